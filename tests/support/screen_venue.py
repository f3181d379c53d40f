"""Venues built through the real engine for the bulk screen's differential tests.

Two pools: ``P`` (the harness's ETH-PERP, maintenance 5%, PnL weight 50%, plus ETH-PERP-B,
maintenance 3%, PnL weight 100%) and ``Q`` (BTC-PERP on an 8-decimal BTC, maintenance 4%, PnL
weight 80%). Funding runs (a 10,000 ETH / 500 BTC skew scale and a 50% daily cap), so positions
carry funding owed and open notionals off the oracle price. Traders deposit USDC and sometimes ETH
collateral, open cross and isolated positions (a trade the engine refuses is skipped: its rules
are not under test here), and the prices tick between trades and once more at the end.

:func:`exact_accounts` enumerates every margin account straight from the state, independently of
``risk/boundary.py``, with its exact maintenance snapshot.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass

from ringfence.core.commands import RegisterAsset, SubmitPrice
from ringfence.core.errors import RingfenceError
from ringfence.core.margin import MarginKind, MarginSnapshot, base_price_wad
from ringfence.core.pool.commands import AddMarket, CreatePool, ProvideLiquidity
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.state import MarginMode
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD
from support.venue import ETH, HOUR_NS, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, Venue, oracle_config

BTC = 10**8
POOL_Q = "Q"
MARKET_B = "ETH-PERP-B"
BTC_MARKET = "BTC-PERP"
ETH_PRICE_WAD = 2_000 * WAD
BTC_PRICE_WAD = 60_000 * WAD
SIX_HOURS_NS = 6 * HOUR_NS

ETH_PERP_PARAMS = dataclasses.replace(
    MARKET_PARAMS, skew_scale_atoms=10_000 * ETH, max_funding_rate_per_day_wad=50 * PERCENT
)
ETH_PERP_B_PARAMS = dataclasses.replace(
    ETH_PERP_PARAMS,
    market=MARKET_B,
    initial_margin_wad=6 * PERCENT,
    maintenance_margin_wad=3 * PERCENT,
    pnl_weight_wad=100 * PERCENT,
)
BTC_PERP_PARAMS = dataclasses.replace(
    ETH_PERP_PARAMS,
    market=BTC_MARKET,
    base_asset="BTC",
    initial_margin_wad=8 * PERCENT,
    maintenance_margin_wad=4 * PERCENT,
    pnl_weight_wad=80 * PERCENT,
    skew_scale_atoms=500 * BTC,
    open_interest_cap_atoms=50 * BTC,
)
MARKETS = ((POOL, MARKET), (POOL, MARKET_B), (POOL_Q, BTC_MARKET))
PRICE_DECIMALS = {MARKET: 18, MARKET_B: 18, BTC_MARKET: 8}


@dataclass(frozen=True)
class TradeStep:
    """A trade of ``notional_usd`` (long or short) in ``MARKETS[market]``; isolated with ``margin_percent``."""

    market: int
    notional_usd: int
    long: bool
    isolated: bool
    margin_percent: int


@dataclass(frozen=True)
class Trader:
    """A sub-account's deposits and trades."""

    usdc: int
    eth_atoms: int
    trades: tuple[TradeStep, ...]


class ScreenVenue(Venue):
    """The harness venue with a second ETH market in ``P``, BTC, and pool ``Q``."""

    def __init__(self) -> None:
        """List the second ETH market, BTC and pool ``Q`` in the admin's genesis, open, fund ``Q``'s LPs."""
        super().__init__(POOL_PARAMS, ETH_PERP_PARAMS, in_genesis=True)
        self.eth_price_wad = ETH_PRICE_WAD
        self.btc_price_wad = BTC_PRICE_WAD
        self.run(AddMarket(POOL, ETH_PERP_B_PARAMS, self.now))
        self.run(RegisterAsset("BTC", 8, 75 * PERCENT, 80 * PERCENT, 2**128 - 1, 2**128 - 1, self.now))
        self.run(oracle_config("BTC", self.now))
        self.tick(ETH_PRICE_WAD, BTC_PRICE_WAD, advance_ns=1)
        self.run(CreatePool(POOL_Q, "perp", 1, POOL_PARAMS, self.now))
        self.run(AddMarket(POOL_Q, BTC_PERP_PARAMS, self.now))
        self.finish_genesis()
        self.deposit("lp", 1_000_000 * USDC)
        self.run(ProvideLiquidity("lp", 0, POOL_Q, 1_000_000 * USDC, self.now))

    def tick(self, eth_price_wad: int, btc_price_wad: int, *, advance_ns: int = SIX_HOURS_NS) -> None:
        """Move the clock and have all three sources quote every asset (USDC at par)."""
        self.now += advance_ns
        self.eth_price_wad, self.btc_price_wad = eth_price_wad, btc_price_wad
        for asset, price in (("USDC", WAD), ("ETH", eth_price_wad), ("BTC", btc_price_wad)):
            for source in ("a", "b", "c"):
                self.run(SubmitPrice(asset, source, price, 0, self.now, self.now))

    def try_trade(self, owner: str, step: TradeStep) -> None:
        """Run the trade; skip it if the engine refuses it (a refusal changes nothing)."""
        pool, market = MARKETS[step.market]
        price = self.btc_price_wad if market == BTC_MARKET else self.eth_price_wad
        size = step.notional_usd * WAD * 10 ** PRICE_DECIMALS[market] // price or 1
        size = size if step.long else -size
        mode = MarginMode.ISOLATED if step.isolated else MarginMode.CROSS
        margin = step.notional_usd * USDC * step.margin_percent // 100 if step.isolated else 0
        command = dataclasses.replace(self.trade_command(owner, size, mode, margin), pool=pool, market=market)
        with contextlib.suppress(RingfenceError):
            self.run(command)


def build_venue(traders: list[Trader], eth_moves: list[int], btc_moves: list[int]) -> ScreenVenue:
    """Run every trader's deposits and trades (a tick between trades), then the final moves (percent of price)."""
    venue = ScreenVenue()
    for index, trader in enumerate(traders):
        owner = f"t{index}"
        venue.deposit(owner, trader.usdc * USDC)
        if trader.eth_atoms:
            venue.deposit(owner, trader.eth_atoms, asset="ETH")
    for round_index in range(max((len(t.trades) for t in traders), default=0)):
        for index, trader in enumerate(traders):
            if round_index < len(trader.trades):
                venue.try_trade(f"t{index}", trader.trades[round_index])
        venue.tick(venue.eth_price_wad, venue.btc_price_wad)
    for eth_move, btc_move in zip(eth_moves, btc_moves, strict=True):
        venue.tick(venue.eth_price_wad * eth_move // 100, venue.btc_price_wad * btc_move // 100)
    return venue


def exact_accounts(state: LedgerState, now_ns: int) -> dict[tuple[str, int, str, str | None], MarginSnapshot]:
    """Every margin account (a sub-account with cross positions, each isolated position) and its exact snapshot."""
    found: dict[tuple[str, int, str, str | None], MarginSnapshot] = {}
    for pool in state.pools.values():
        for (key, market_id), position in pool.positions.items():
            if position.mode is MarginMode.ISOLATED:
                price = base_price_wad(state, pool.markets[market_id].params.base_asset, now_ns, allow_guarded=True)
                snapshot = isolated_margin(state, pool, market_id, position, MarginKind.MAINTENANCE, price)
                found[(key[0], key[1], pool.pool, market_id)] = snapshot
            elif (key[0], key[1], pool.pool, None) not in found:
                snapshot = margin_snapshot(state, key, MarginKind.MAINTENANCE, now_ns, allow_guarded=True)
                found[(key[0], key[1], pool.pool, None)] = snapshot
    return found
