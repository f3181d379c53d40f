"""The pools part of ``ringfence demo``: two isolated pools, a crash in one, its waterfall.

An ETH pool and a BTC pool are created from the same template, each with its own LP vault
and insurance fund. Traders open isolated and cross positions; ETH then falls 30% in three
guarded steps, a keeper liquidates, the ETH pool's insurance fund and LPs absorb the
shortfall, and the BTC pool and its traders are left exactly as they were.
"""

from __future__ import annotations

from rich.table import Table

from ringfence.core.commands import Command, Deposit, Sent, SubmitPrice
from ringfence.core.pool.commands import (
    AddMarket,
    CreatePool,
    FundInsurance,
    Liquidate,
    ProvideLiquidity,
    Trade,
)
from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams
from ringfence.core.state import LedgerState
from ringfence.core.units import format_fixed, parse_amount, parse_price, parse_ratio
from ringfence.service.clock import ManualClock

__all__ = ["pool_genesis", "pool_script", "pool_table"]

SECOND_NS = 1_000_000_000
SOURCES = ("chainlink", "pyth", "redstone")
USDC = 10**6
HOLD_HOURS = 6
"""Hours ETH holds at 4,200 before the traders open, so the stable price has caught up."""


def _pool_params() -> PoolParams:
    return PoolParams(
        quote_asset="USDC",
        lp_fee_share_wad=parse_ratio("0.7"),
        insurance_fee_share_wad=parse_ratio("0.2"),
        reserve_factor_wad=parse_ratio("0.5"),
        liquidation_penalty_wad=parse_ratio("0.01"),
        liquidator_share_wad=parse_ratio("0.5"),
        insurance_draw_cap_atoms=10_000 * USDC,
        insurance_window_ns=3_600 * SECOND_NS,
        close_factor_wad=parse_ratio("0.5"),
        nav_drawdown_limit_wad=parse_ratio("0.2"),
    )


def _market(market: str, base: str, skew_scale: str, decimals: int) -> MarketParams:
    return MarketParams(
        market=market,
        base_asset=base,
        initial_margin_wad=parse_ratio("0.1"),
        maintenance_margin_wad=parse_ratio("0.05"),
        spread_wad=parse_ratio("0.0005"),
        taker_fee_wad=parse_ratio("0.0005"),
        skew_scale_atoms=parse_amount(skew_scale, decimals),
        max_funding_rate_per_day_wad=parse_ratio("0.01"),
        open_interest_cap_atoms=parse_amount(skew_scale, decimals),
        pnl_weight_wad=parse_ratio("0.8"),
    )


def _prices(now: int, eth: str) -> list[Sent]:
    quotes = {"USDC": "1", "ETH": eth, "WBTC": "65000"}
    return [
        Sent(source, SubmitPrice(asset, source, parse_price(price), 0, now, now))
        for asset, price in quotes.items()
        for source in SOURCES
    ]


def pool_genesis(now: int) -> list[Command]:
    """Return the pools the admin creates in the genesis: an ETH pool and a BTC pool from template perp v1."""
    return [
        CreatePool("eth-pool", "perp", 1, _pool_params(), now),
        AddMarket("eth-pool", _market("ETH-PERP", "ETH", "100000", 18), now),
        CreatePool("btc-pool", "perp", 1, _pool_params(), now),
        AddMarket("btc-pool", _market("BTC-PERP", "WBTC", "5000", 8), now),
    ]


def _own(owner: str, *commands: Command) -> list[Sent]:
    """Return ``commands`` as sent by ``owner`` (the demo says who sends what)."""
    return [Sent(owner, command) for command in commands]


def pool_script(clock: ManualClock) -> list[tuple[str, list[Sent]]]:
    """Return the titled command batches of the pools demo.

    ETH first holds at 4,200 for six hours of heartbeats: initial margin values a position at
    the conservative of the oracle and the slow stable price (Mango v4), so a long opened right
    after the jump would start below its initial margin.
    """
    hold: list[Sent] = []
    for _ in range(HOLD_HOURS):
        clock.advance(3_600 * SECOND_NS)
        hold += _prices(clock.now_ns(), "4200")
    steps = [(f"ETH holds at 4200 for {HOLD_HOURS} hours (hourly quotes): the stable price catches up", hold)]
    clock.advance(60 * SECOND_NS)
    now = clock.now_ns()
    steps += [
        (
            "pools: lpfund funds the ETH and BTC pools' LP vaults and insurance",
            [
                *_prices(now, "4200"),
                *_own(
                    "lpfund",
                    Deposit("lpfund", 0, "USDC", 2_000_000 * USDC, now),
                    ProvideLiquidity("lpfund", 0, "eth-pool", 500_000 * USDC, now),
                    ProvideLiquidity("lpfund", 0, "btc-pool", 500_000 * USDC, now),
                    FundInsurance("lpfund", 0, "eth-pool", 5_000 * USDC, now),
                    FundInsurance("lpfund", 0, "btc-pool", 5_000 * USDC, now),
                ),
            ],
        ),
        (
            "traders: carol isolated 10 ETH long, dave cross 20 ETH long, erin cross 1 BTC long",
            [
                *_own("carol", Deposit("carol", 0, "USDC", 10_000 * USDC, now)),
                *_own("dave", Deposit("dave", 0, "USDC", 12_000 * USDC, now)),
                *_own("erin", Deposit("erin", 0, "USDC", 10_000 * USDC, now)),
                *_own(
                    "carol",
                    Trade("carol", 0, "eth-pool", "ETH-PERP", 10 * 10**18, MarginMode.ISOLATED, 4_500 * USDC, 0, now),
                ),
                *_own("dave", Trade("dave", 0, "eth-pool", "ETH-PERP", 20 * 10**18, MarginMode.CROSS, 0, 0, now)),
                *_own("erin", Trade("erin", 0, "btc-pool", "BTC-PERP", 10**8, MarginMode.CROSS, 0, 0, now)),
                *_own("dave", Trade("dave", 0, "eth-pool", "ETH-PERP", 10 * 10**18, MarginMode.CROSS, 0, 0, now)),
            ],
        ),
    ]
    for eth in ("3700", "3300", "2950"):
        clock.advance(60 * SECOND_NS)
        steps.append((f"ETH falls to {eth} (each step inside the 15% jump guard)", _prices(clock.now_ns(), eth)))
    now = clock.now_ns()
    steps.append(
        (
            "a keeper liquidates: bankrupt positions close whole, shortfalls go down the ETH pool's waterfall",
            _own(
                "keeper",
                Liquidate("keeper", 0, "carol", 0, "eth-pool", "ETH-PERP", now),
                Liquidate("keeper", 0, "dave", 0, "eth-pool", "ETH-PERP", now),
                Liquidate("keeper", 0, "erin", 0, "btc-pool", "BTC-PERP", now),
            ),
        )
    )
    return steps


def pool_table(state: LedgerState) -> Table:
    """Return a table of every pool's vault, insurance, losses and open interest."""
    table = Table(title="Pools (USDC)")
    for column in (
        "pool",
        "template",
        "status",
        "LP vault",
        "insurance",
        "socialised loss",
        "protocol fees",
        "positions",
    ):
        table.add_column(column, justify="left" if column in ("pool", "template", "status") else "right")
    for pool in state.pools.values():
        table.add_row(
            pool.pool,
            f"{pool.template} v{pool.template_version}",
            pool.status.value,
            format_fixed(pool.vault_atoms, 6),
            format_fixed(pool.insurance_atoms, 6),
            format_fixed(pool.socialised_loss_atoms, 6),
            format_fixed(pool.protocol_fees_atoms, 6),
            str(len(pool.positions)),
        )
    return table
