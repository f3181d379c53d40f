"""A small venue builder for benchmarks (benchmark-only): assets, oracles, pools, prices.

Every function returns plain commands, so a benchmark can run them through any engine (or a peer
model) untimed before its timed region. :func:`admin_genesis` orders a setup as the core
requires (the admin's ``ConfigureGovernance`` first, the venue-shaping commands, ``OpenVenue``,
then the accounts' commands) and :func:`sent_as_named` sends each command as the principal it
names: no benchmark measures authority beyond the check every command pays. Defaults follow the
demo (``ringfence demo``): USDC as the quote asset at par, ETH and WBTC as collateral and perp
bases, three oracle sources with quorum 2, 10% initial and 5% maintenance margin, a 1%
liquidation penalty split half and half between keeper and insurance, and a 50% close factor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ringfence.core.authority import GENESIS_COMMANDS, acting_field
from ringfence.core.commands import Command, ConfigureOracle, Deposit, OpenVenue, RegisterAsset, Sent, SubmitPrice
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.core.margin import NO_LIMIT
from ringfence.core.pool.commands import AddMarket, CreatePool, FundInsurance, ProvideLiquidity
from ringfence.core.pool.state import MarketParams, PoolParams
from ringfence.core.units import WAD, parse_ratio

SECOND_NS = 1_000_000_000
MINUTE_NS = 60 * SECOND_NS
HOUR_NS = 3_600 * SECOND_NS
START_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
SOURCES = ("chainlink", "pyth", "redstone")
USDC = 10**6
ADMIN = "admin"
"""The benchmark venues' admin."""
DAY_NS = 86_400 * SECOND_NS


def admin_genesis(commands: Iterable[Command], now_ns: int = START_NS) -> list[Command]:
    """Return ``commands`` as a venue's setup: the admin's genesis, then the rest.

    ``ConfigureGovernance`` by :data:`ADMIN` (timelock 2 days, grace 14 days, steps of at most
    25%, as the test venues), the venue-shaping commands among ``commands`` in their order,
    ``OpenVenue``, then every other command in its order (prices, deposits, LP funding).
    """
    ordered = list(commands)
    genesis = [command for command in ordered if type(command) in GENESIS_COMMANDS]
    accounts = [command for command in ordered if type(command) not in GENESIS_COMMANDS]
    governance = ConfigureGovernance(ADMIN, 2 * DAY_NS, 14 * DAY_NS, WAD // 4, now_ns)
    return [governance, *genesis, OpenVenue(ADMIN, now_ns), *accounts]


def named_sender(command: Command) -> str:
    """Return the principal ``command`` names as acting (owner, keeper, source), or the admin."""
    field = acting_field(type(command))
    return ADMIN if field is None else str(getattr(command, field))


def sent_as_named(commands: Iterable[Command]) -> list[Sent]:
    """Return each command as sent by the principal it names (:func:`named_sender`)."""
    return [Sent(named_sender(command), command) for command in commands]


@dataclass(frozen=True)
class Listing:
    """An asset's listing: decimals and collateral weights (WAD)."""

    asset: str
    decimals: int
    initial_weight_wad: int
    maintenance_weight_wad: int


LISTINGS = (
    Listing("USDC", 6, WAD, WAD),
    Listing("ETH", 18, parse_ratio("0.80"), parse_ratio("0.85")),
    Listing("WBTC", 8, parse_ratio("0.75"), parse_ratio("0.80")),
)
DECIMALS = {listing.asset: listing.decimals for listing in LISTINGS}


def listing_commands(
    listings: Sequence[Listing] = LISTINGS,
    now_ns: int = START_NS,
    *,
    max_jump: str = "0.15",
    stable_growth_limit: str = "0.0003",
) -> list[Command]:
    """Register each asset and configure its three-source oracle (quorum 2, 1 h staleness).

    ``stable_growth_limit``: the stable price's largest relative move per second (Mango's 0.03%
    by default; "1" lets it reach the oracle at every update ≥ 10 s apart).
    """
    commands: list[Command] = []
    for listing in listings:
        commands.append(
            RegisterAsset(
                listing.asset,
                listing.decimals,
                listing.initial_weight_wad,
                listing.maintenance_weight_wad,
                NO_LIMIT,
                NO_LIMIT,
                now_ns,
            )
        )
        commands.append(
            ConfigureOracle(
                asset=listing.asset,
                source_names=SOURCES,
                source_weights=(1, 1, 1),
                quorum=2,
                max_staleness_ns=HOUR_NS,
                max_deviation_wad=parse_ratio("0.05"),
                max_confidence_wad=parse_ratio("0.01"),
                max_jump_wad=parse_ratio(max_jump),
                guard_release_ns=300 * SECOND_NS,
                delay_interval_seconds=3_600,
                delay_growth_limit_wad=parse_ratio("0.06"),
                stable_growth_limit_wad=parse_ratio(stable_growth_limit),
                timestamp_ns=now_ns,
            )
        )
    return commands


def price_commands(prices_wad: Mapping[str, int], now_ns: int) -> list[Command]:
    """Have every source quote every asset at ``prices_wad`` (published now, no confidence band)."""
    return [
        SubmitPrice(asset, source, price, 0, now_ns, now_ns)
        for asset, price in prices_wad.items()
        for source in SOURCES
    ]


def pool_params(**overrides: int | str) -> PoolParams:
    """Return the demo's pool parameters, with keyword ``overrides``."""
    params = PoolParams(
        quote_asset="USDC",
        lp_fee_share_wad=parse_ratio("0.7"),
        insurance_fee_share_wad=parse_ratio("0.2"),
        reserve_factor_wad=parse_ratio("0.5"),
        liquidation_penalty_wad=parse_ratio("0.01"),
        liquidator_share_wad=parse_ratio("0.5"),
        insurance_draw_cap_atoms=10_000 * USDC,
        insurance_window_ns=HOUR_NS,
        close_factor_wad=parse_ratio("0.5"),
        nav_drawdown_limit_wad=parse_ratio("0.2"),
    )
    return replace(params, **overrides)


def market_params(market: str, base_asset: str, skew_scale_atoms: int, **overrides: int | str) -> MarketParams:
    """Return a linear perp's parameters (10% IM, 5% MM, OI cap = skew scale), with ``overrides``."""
    params = MarketParams(
        market=market,
        base_asset=base_asset,
        initial_margin_wad=parse_ratio("0.1"),
        maintenance_margin_wad=parse_ratio("0.05"),
        spread_wad=parse_ratio("0.0005"),
        taker_fee_wad=parse_ratio("0.0005"),
        skew_scale_atoms=skew_scale_atoms,
        max_funding_rate_per_day_wad=parse_ratio("0.01"),
        open_interest_cap_atoms=skew_scale_atoms,
        pnl_weight_wad=parse_ratio("0.8"),
    )
    return replace(params, **overrides)


def pool_commands(
    pool: str,
    params: PoolParams,
    markets: Sequence[MarketParams],
    *,
    lp_atoms: int,
    insurance_atoms: int,
    now_ns: int = START_NS,
    funder: str = "lpfund",
) -> list[Command]:
    """Create a pool with its markets; ``funder`` deposits and provides its LP vault and insurance fund."""
    commands: list[Command] = [CreatePool(pool, "perp", 1, params, now_ns)]
    commands.extend(AddMarket(pool, market, now_ns) for market in markets)
    commands.append(Deposit(funder, 0, params.quote_asset, lp_atoms + insurance_atoms, now_ns))
    commands.append(ProvideLiquidity(funder, 0, pool, lp_atoms, now_ns))
    if insurance_atoms:
        commands.append(FundInsurance(funder, 0, pool, insurance_atoms, now_ns))
    return commands
