"""A small venue for unit tests: USDC and ETH listed with three-source oracles, one pool ``P``.

Each test module states its own pool and market parameters (their numbers are the test's
premises); this harness only builds the venue (the admin's genesis, then ``OpenVenue``), runs
commands through the real :class:`~ringfence.service.engine.Engine` on a memory journal, each
sent by the principal it names unless a test says otherwise (``tests/support/authority.py``),
and checks conservation of every asset after each command.
"""

from __future__ import annotations

import copy
from typing import TypeVar

import pytest

from ringfence.core.commands import Command, ConfigureOracle, Deposit, RegisterAsset, SubmitPrice
from ringfence.core.errors import RingfenceError
from ringfence.core.events import Event
from ringfence.core.invariants import check_conservation
from ringfence.core.margin import NO_LIMIT
from ringfence.core.pool.commands import AddMarket, CreatePool, FundInsurance, Liquidate, ProvideLiquidity, Trade
from ringfence.core.pool.events import TradeFilled
from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD
from ringfence.service.engine import Engine, replay
from ringfence.store.memory import MemoryJournal
from support.authority import bootstrap, named_sender, open_venue

E = TypeVar("E")

SECOND_NS = 10**9
HOUR_NS = 3600 * SECOND_NS
T0 = 1_000_000 * SECOND_NS
USDC = 10**6
ETH = 10**18
PERCENT = WAD // 100
POOL = "P"
MARKET = "ETH-PERP"
LP_ATOMS = 100_000 * USDC

POOL_PARAMS = PoolParams(
    quote_asset="USDC",
    lp_fee_share_wad=60 * PERCENT,
    insurance_fee_share_wad=20 * PERCENT,
    reserve_factor_wad=100 * PERCENT,
    liquidation_penalty_wad=2 * PERCENT,
    liquidator_share_wad=50 * PERCENT,
    insurance_draw_cap_atoms=1_000 * USDC,
    insurance_window_ns=HOUR_NS,
    close_factor_wad=50 * PERCENT,
    nav_drawdown_limit_wad=20 * PERCENT,
)
"""The usual premises of liquidation tests: fees 60% LP / 20% insurance / 20% protocol, reserve 100%, penalty 2%
(half to the keeper), insurance draw cap 1,000 USDC per hour, close factor 50%, NAV-drawdown limit 20%."""
MARKET_PARAMS = MarketParams(
    market=MARKET,
    base_asset="ETH",
    initial_margin_wad=10 * PERCENT,
    maintenance_margin_wad=5 * PERCENT,
    spread_wad=0,
    taker_fee_wad=0,
    skew_scale_atoms=1_000_000 * ETH,
    max_funding_rate_per_day_wad=0,
    open_interest_cap_atoms=1_000 * ETH,
    pnl_weight_wad=50 * PERCENT,
)
"""ETH perp: IM 10%, MM 5%, no spread, fee or funding, skew scale 1,000,000 ETH, OI cap 1,000 ETH,
PnL weight 50%."""


def oracle_config(asset: str, now_ns: int) -> ConfigureOracle:
    """Three equal sources, quorum 2, one-hour staleness, 90% jump guard released after 60 s."""
    return ConfigureOracle(
        asset=asset,
        source_names=("a", "b", "c"),
        source_weights=(1, 1, 1),
        quorum=2,
        max_staleness_ns=HOUR_NS,
        max_deviation_wad=5 * PERCENT,
        max_confidence_wad=1 * PERCENT,
        max_jump_wad=90 * PERCENT,
        guard_release_ns=60 * SECOND_NS,
        delay_interval_seconds=3600,
        delay_growth_limit_wad=6 * PERCENT,
        stable_growth_limit_wad=WAD * 3 // 10_000,
        timestamp_ns=now_ns,
    )


class Venue:
    """One engine with USDC and ETH at 2,000, pool ``P`` with one ETH perp, LP and insurance funded by ``lp``."""

    def __init__(
        self,
        pool: PoolParams,
        market: MarketParams,
        *,
        lp_atoms: int = LP_ATOMS,
        insurance_atoms: int = 0,
        eth_weight_scale_start_value: int = NO_LIMIT,
        in_genesis: bool = False,
    ) -> None:
        """Build the venue; ``in_genesis``: stop before ``OpenVenue`` (the test adds to the genesis, then opens)."""
        self.engine = Engine(MemoryJournal())
        self.now = T0
        self.run(bootstrap(T0))
        self.run(RegisterAsset("USDC", 6, WAD, WAD, NO_LIMIT, NO_LIMIT, T0))
        self.run(RegisterAsset("ETH", 18, 80 * PERCENT, 85 * PERCENT, NO_LIMIT, eth_weight_scale_start_value, T0))
        self.run(oracle_config("USDC", T0))
        self.run(oracle_config("ETH", T0))
        self.quote_prices(2_000 * WAD, advance_ns=0)
        self.run(CreatePool(POOL, "perp", 1, pool, T0))
        self.run(AddMarket(POOL, market, T0))
        self._funding = (lp_atoms, insurance_atoms)
        if not in_genesis:
            self.finish_genesis()

    def finish_genesis(self) -> None:
        """End the genesis (``OpenVenue``), then ``lp`` funds pool ``P``'s LP vault and insurance."""
        lp_atoms, insurance_atoms = self._funding
        self.run(open_venue(self.now))
        self.deposit("lp", lp_atoms + insurance_atoms)
        self.run(ProvideLiquidity("lp", 0, POOL, lp_atoms, self.now))
        if insurance_atoms:
            self.run(FundInsurance("lp", 0, POOL, insurance_atoms, self.now))

    @property
    def state(self) -> LedgerState:
        return self.engine.state

    def run(self, command: Command, sender: str | None = None) -> tuple[Event, ...]:
        """Execute ``command`` from ``sender`` (default: the principal it names); check conservation to the atom."""
        events = self.engine.execute(command, sender=sender or named_sender(command))
        check_conservation(self.engine.state)
        return events

    def refuse(
        self, command: Command, error: type[RingfenceError], match: str, sender: str | None = None
    ) -> RingfenceError:
        """Check ``command`` from ``sender`` (default: the one it names) is refused with ``error``, changing nothing."""
        before = copy.deepcopy(self.engine.state)
        with pytest.raises(error, match=match) as raised:
            self.engine.execute(command, sender=sender or named_sender(command))
        assert self.engine.state == before
        check_conservation(self.engine.state)
        return raised.value

    def quote_prices(self, eth_price_wad: int, *, advance_ns: int = SECOND_NS) -> None:
        """Move the clock and have all three sources quote ETH (and USDC at par)."""
        self.now += advance_ns
        for asset, price in (("USDC", WAD), ("ETH", eth_price_wad)):
            for source in ("a", "b", "c"):
                self.run(SubmitPrice(asset, source, price, 0, self.now, self.now))

    def quote_until_stable(self, eth_price_wad: int, *, step_ns: int = 600 * SECOND_NS) -> int:
        """Quote ETH at one level every ``step_ns`` until its stable price has reached it; return the steps.

        Initial margin values unrealised PnL at the conservative of oracle and stable price (SPEC §2.1),
        so a test whose premise is a settled price lets the stable price follow first. Fails past
        200 steps (over a day at 600 s) rather than looping.
        """
        for steps in range(1, 201):
            self.quote_prices(eth_price_wad, advance_ns=step_ns)
            stable = self.state.oracles["ETH"].stable
            if stable is not None and stable.stable_price_wad == eth_price_wad:
                return steps
        raise AssertionError(f"the stable price did not reach {eth_price_wad} in 200 steps")

    def deposit(self, owner: str, amount_atoms: int, sub: int = 0, asset: str = "USDC") -> None:
        self.run(Deposit(owner, sub, asset, amount_atoms, self.now))

    def trade_command(
        self, owner: str, size_atoms: int, mode: MarginMode = MarginMode.CROSS, margin_atoms: int = 0, sub: int = 0
    ) -> Trade:
        return Trade(owner, sub, POOL, MARKET, size_atoms, mode, margin_atoms, 0, self.now)

    def trade(
        self, owner: str, size_atoms: int, mode: MarginMode = MarginMode.CROSS, margin_atoms: int = 0, sub: int = 0
    ) -> TradeFilled:
        return only(self.run(self.trade_command(owner, size_atoms, mode, margin_atoms, sub)), TradeFilled)

    def liquidate_command(self, owner: str, sub: int = 0, keeper: str = "keeper") -> Liquidate:
        return Liquidate(keeper, 0, owner, sub, POOL, MARKET, self.now)

    def liquidate(self, owner: str, sub: int = 0) -> tuple[Event, ...]:
        return self.run(self.liquidate_command(owner, sub))

    def balance(self, owner: str, asset: str = "USDC", sub: int = 0) -> int:
        account = self.state.accounts.get((owner, sub))
        return account.balances.get(asset, 0) if account is not None else 0

    def assert_replay_equals_live(self) -> None:
        assert replay(self.engine.journal.read()) == self.state


def only(events: tuple[Event, ...], kind: type[E]) -> E:
    """Return the one event of type ``kind`` in ``events``."""
    found = [event for event in events if isinstance(event, kind)]
    assert len(found) == 1, events
    return found[0]


def none_of(events: tuple[Event, ...], kind: type[object]) -> bool:
    """Return whether ``events`` holds no event of type ``kind``."""
    return not any(isinstance(event, kind) for event in events)
