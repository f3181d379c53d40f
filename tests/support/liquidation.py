"""A venue for the liquidation-policy tests: the pool and market of ``tests/unit/test_pool_liquidation.py``.

Premises: no spread, no taker fee, no funding; skew scale 1,000,000 ETH, so a long of 10 ETH
from skew 0 fills at 2000·(1 + 10/2e6) = 2000.01 (basis 20_000_100_000). Pool: IM 10%, MM 5%,
close factor 50%, penalty 2% (half to the keeper), insurance draw cap 1,000 USDC per hour, NAV
drawdown limit 20%; its liquidation policy is each test's premise. USDC has 6 decimals, ETH 18.
Nothing here calls the code under test to compute an expectation.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

from ringfence.core.pool.commands import AddMarket, Trade
from ringfence.core.pool.events import LiquidationRecorded, TradeFilled
from ringfence.core.pool.liquidation_policy import LiquidationPolicy
from ringfence.core.pool.state import MarginMode, PoolParams, Position
from ringfence.core.units import WAD
from support.venue import MARKET, MARKET_PARAMS, POOL, POOL_PARAMS, Venue, only

SECOND_MARKET = "ETH-PERP-2"
"""A second perp on ETH in the same pool, for cross accounts whose requirement is not one position's."""
TWO_THIRDS_WAD = 2 * WAD // 3
"""Hyperliquid's liquidator-vault threshold: 2/3 of maintenance (666_666_666_666_666_666)."""
BASIS_OF_TEN = 20_000_100_000
"""Basis of a long of 10 ETH from skew 0: 10·2000.01 USDC."""


class PolicyVenue(Venue):
    """The shared venue with :data:`POOL_PARAMS` (``policy`` as its liquidation policy) and :data:`MARKET_PARAMS`.

    No insurance unless ``insurance_atoms`` says so, so a shortfall reaches the backstop budget,
    auto-deleveraging and the LPs.
    """

    def __init__(
        self,
        policy: LiquidationPolicy | None = None,
        *,
        pool: PoolParams = POOL_PARAMS,
        insurance_atoms: int = 0,
        second_market: bool = False,
        in_genesis: bool = False,
    ) -> None:
        """Build it; ``second_market`` lists :data:`SECOND_MARKET` too; ``in_genesis`` leaves it unopened."""
        params = dataclasses.replace(pool, liquidation=policy or LiquidationPolicy())
        super().__init__(params, MARKET_PARAMS, insurance_atoms=insurance_atoms, in_genesis=True)
        if second_market:
            self.run(AddMarket(POOL, dataclasses.replace(MARKET_PARAMS, market=SECOND_MARKET), self.now))
        if not in_genesis:
            self.finish_genesis()

    def open_isolated(self, owner: str, size_atoms: int, margin_atoms: int) -> TradeFilled:
        """Deposit ``margin_atoms`` and open an isolated position with all of it."""
        self.deposit(owner, margin_atoms)
        return self.trade(owner, size_atoms, MarginMode.ISOLATED, margin_atoms)

    def trade_in(self, market: str, owner: str, size_atoms: int) -> TradeFilled:
        """Open or change a cross position in ``market``."""
        command = Trade(owner, 0, POOL, market, size_atoms, MarginMode.CROSS, 0, 0, self.now)
        return only(self.run(command), TradeFilled)

    def position(self, owner: str, market: str = MARKET) -> Position | None:
        """Return ``owner``'s position (sub-account 0) in ``market``, or None."""
        return self.state.pools[POOL].positions.get(((owner, 0), market))


def recorded(events: tuple[object, ...]) -> LiquidationRecorded:
    """Return the one :class:`LiquidationRecorded` of a liquidation."""
    found = [event for event in events if isinstance(event, LiquidationRecorded)]
    assert len(found) == 1, events
    return found[0]


def health_up_wad(equity_atoms: int, requirement_atoms: int) -> int:
    """Return ``⌈E·WAD/R⌉``: the health the policy sees (rounded up, SPEC §2.6)."""
    return math.ceil(Fraction(equity_atoms * WAD, requirement_atoms))


def isolated_health_at_1850(venue: PolicyVenue) -> tuple[int, int]:
    """Return alice's maintenance equity and requirement at 1850 from her position's state, by hand.

    Equity = vault + ⌊size·1850⌋ − basis; requirement = ⌈⌈size·1850⌉·5%⌉ (quote atoms; 1 ETH = 1e18 atoms,
    1 USDC = 1e6, so size·1850 USDC is size·1850/1e12 quote atoms).
    """
    position = venue.position("alice")
    assert position is not None
    value = Fraction(position.size_atoms * 1_850, 10**12)
    equity = position.isolated_margin_atoms + math.floor(value) - position.open_notional_atoms
    return equity, math.ceil(math.ceil(value) * Fraction(5, 100))
