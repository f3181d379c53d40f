"""The attacker of the exact stress engine: Mango's self-trade, sized under the pool's caps (``docs/stress-model.md``).

The attacker wants a long and a short of ``collateral · leverage`` each in its market (Mango
Markets, 2022: Eisenberg's two accounts). A pool refuses a trade that takes its net exposure past
``reserve_factor ×`` its LP vault, a market's open interest past its cap, or an account below
initial margin (``core/pool/decide.py``: ``check_reserve``, ``check_open_interest``,
``_check_trade_margin``). The attacker reads those caps from the engine's state and opens in
*pairs*: a long and a short of the same size, each in a fresh owner's account, the side that
brings the market's skew toward zero first, so each pair leaves the pool's net exposure where it
was and the reserve cap binds on one pair, never on the whole. Its leverage is held under the
market's initial margin (``0.95 / IM``, as the traders'). At ``exit_step`` every long closes at
the oracle and every account withdraws what the engine lets go.
"""

from __future__ import annotations

from ringfence.core.commands import Command, Deposit, Withdraw
from ringfence.core.errors import RingfenceError
from ringfence.core.margin import base_price_wad
from ringfence.core.pool.commands import Trade
from ringfence.core.pool.perp_math import signed_notional_atoms
from ringfence.core.pool.state import PoolState
from ringfence.core.state import AccountKey
from ringfence.core.units import WAD, Rounding, mul_div
from ringfence.lab.exact.layout import BASE_DECIMALS, QUOTE, QUOTE_DECIMALS, QUOTE_UNIT, Layout, to_atoms
from ringfence.lab.exact.ledger import Ledger
from ringfence.lab.exact.units import MarginUnit
from ringfence.lab.scenario_agents import Attacker

__all__ = ["AdaptiveAttacker", "pair_room_atoms"]

MAX_PAIRS = 64
"""Most long/short pairs one attack opens (each pair is bounded by the reserve, so a few suffice)."""
MAX_SHRINKS = 8
"""A pair the engine still refuses (rounding at the cap) is halved at most this many times."""
LEVERAGE_MARGIN = 0.95
"""The attacker's leverage stays at most ``0.95 / IM``: as the traders', a margin of safety on the check."""
NOTIONAL_SCALE = WAD * 10 ** (BASE_DECIMALS - QUOTE_DECIMALS)
"""``size_atoms = notional_atoms · NOTIONAL_SCALE / price_wad`` (inverse of ``signed_notional_atoms``)."""


def pair_room_atoms(pool: PoolState, market_id: str, prices_wad: dict[str, int]) -> tuple[int, int]:
    """Return the largest pair size the pool's caps admit (base atoms) and the sign of its first leg.

    The reserve rule allows ``Σ_markets |skew · price| ≤ reserve_factor · vault``. A pair's first
    leg of size ``s`` moves the market's skew ``k`` to ``k ± s``; the second brings it back. Going
    long first admits ``s ≤ room/price − k``, short first ``s ≤ room/price + k``, where ``room`` is
    the allowance left by the other markets; each leg adds ``s`` to one side's open interest,
    which stays under the market's cap.
    """
    market = pool.markets[market_id]
    allowed = mul_div(max(pool.vault_atoms, 0), pool.params.reserve_factor_wad, WAD, Rounding.DOWN)
    others = sum(
        abs(signed_notional_atoms(m.skew_atoms, prices_wad[m.params.base_asset], BASE_DECIMALS, QUOTE_DECIMALS))
        for market_name, m in pool.markets.items()
        if market_name != market_id
    )
    price = prices_wad[market.params.base_asset]
    room = mul_div(max(allowed - others, 0), NOTIONAL_SCALE, price, Rounding.DOWN)
    long_first, short_first = room - market.skew_atoms, room + market.skew_atoms
    cap = market.params.open_interest_cap_atoms
    open_interest_room = cap - max(market.long_atoms, market.short_atoms)
    size = min(max(long_first, short_first), open_interest_room)
    return max(size, 0), 1 if long_first >= short_first else -1


class AdaptiveAttacker:
    """One run's attacker: its accounts, its margin units (for the keepers) and its profit."""

    def __init__(self, design: Attacker, layout: Layout, ledger: Ledger, first_draw: int) -> None:
        self.design, self.layout, self.ledger = design, layout, ledger
        self.market = layout.assets.index(design.market)
        self.pool_id, self.market_id = layout.pool_of(self.market), layout.markets[self.market]
        self.sub = layout.sub_account(self.market)
        self.first_draw = first_draw
        self.longs: list[AccountKey] = []
        self.accounts: list[AccountKey] = []
        self.units: list[MarginUnit] = []
        self.profit_usd = 0.0

    def _try(self, sender: str, command: Command) -> bool:
        """Apply ``command`` from ``sender`` (one of the attacker's owners); report whether it was accepted."""
        try:
            self.ledger.apply(command, sender)
        except RingfenceError:
            return False
        return True

    def _prices(self, now: int) -> dict[str, int]:
        state = self.ledger.state
        return {
            market.params.base_asset: base_price_wad(state, market.params.base_asset, now)
            for market in state.pools[self.pool_id].markets.values()
        }

    def act(self, step: int, now: int) -> None:
        """Open the pairs at ``open_step`` (at least step 1), close the longs and withdraw at ``exit_step``."""
        if step == max(self.design.open_step, 1):
            self._open(now)
        if step == self.design.exit_step:
            self._exit(now)

    def _open(self, now: int) -> None:
        state = self.ledger.state
        params = state.pools[self.pool_id].markets[self.market_id].params
        leverage = min(self.design.leverage, LEVERAGE_MARGIN * WAD / max(params.initial_margin_wad, 1))
        price = self._prices(now)[params.base_asset]
        wanted = mul_div(to_atoms(self.design.collateral * leverage), NOTIONAL_SCALE, price, Rounding.DOWN)
        opened = 0
        for _ in range(MAX_PAIRS):
            size, first = pair_room_atoms(state.pools[self.pool_id], self.market_id, self._prices(now))
            size = min(size, wanted - opened)
            if size <= 0:
                break
            placed = self._place_pair(len(self.longs), size, first, leverage, now)
            if placed == 0:
                break
            opened += placed

    def _place_pair(self, index: int, size: int, first: int, leverage: float, now: int) -> int:
        """Open a long and a short of ``size`` (halving it while the engine refuses); return the size placed."""
        for _ in range(MAX_SHRINKS):
            if size <= 0:
                return 0
            price = self._prices(now)[self.layout.assets[self.market]]
            notional = signed_notional_atoms(size, price, BASE_DECIMALS, QUOTE_DECIMALS)
            collateral = mul_div(notional, WAD, int(leverage * WAD), Rounding.UP)
            legs = [(f"attacker-long-{index}", 1), (f"attacker-short-{index}", -1)]
            legs.sort(key=lambda leg: leg[1] != first)
            if self._leg(legs[0], size, collateral, now):
                self._leg(legs[1], size, collateral, now)
                self.longs.append((f"attacker-long-{index}", self.sub))
                return size
            size //= 2
        return 0

    def _leg(self, leg: tuple[str, int], size: int, collateral: int, now: int) -> bool:
        """Deposit ``collateral`` into the leg's account and trade; keep the unit for the keepers."""
        owner, sign = leg
        isolated = self.layout.mode.value == "isolated"
        key = (owner, self.sub)
        if key not in self.accounts:
            self.ledger.apply(Deposit(owner, self.sub, QUOTE, collateral, now), owner)
            self.accounts.append(key)
            self.profit_usd -= collateral / QUOTE_UNIT
        margin = collateral if isolated else 0
        trade = Trade(owner, self.sub, self.pool_id, self.market_id, sign * size, self.layout.mode, margin, 0, now)
        if not self._try(owner, trade):
            return False
        draw = self.first_draw + (0 if sign > 0 else 1)
        self.units.append(MarginUnit(key, ((self.pool_id, self.market_id, self.market),), isolated, -1, draw))
        return True

    def _exit(self, now: int) -> None:
        state = self.ledger.state
        for key in self.longs:
            position = state.pools[self.pool_id].positions.get((key, self.market_id))
            if position is not None:
                self._try(
                    key[0], Trade(*key, self.pool_id, self.market_id, -position.size_atoms, self.layout.mode, 0, 0, now)
                )
        for key in self.accounts:
            account = state.accounts.get(key)
            balance = account.balances.get(QUOTE, 0) if account is not None else 0
            if balance > 0 and self._try(key[0], Withdraw(key[0], key[1], QUOTE, balance, now)):
                self.profit_usd += balance / QUOTE_UNIT
