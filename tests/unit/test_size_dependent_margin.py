"""Unit tests of size-dependent margin models wired into the engine: Hyperliquid tiers and dYdX OI-scaled IMF.

Sources: Hyperliquid docs, *Trading → Margin tiers* (maintenance = notional · mmr − deduction,
mmr = 1 / (2 · max leverage)); dYdX v4 ``protocol/x/perpetuals/types/liquidity_tier.go``
(IMF scaled from the base to 100% between the open-interest caps, maintenance from the base
IMF) and ``protocol/x/subaccounts/keeper/subaccount.go`` (the open interest after a match is
what its collateral check reads).

Every expected number is computed by hand, with the arithmetic in the comment beside it. The
market has no spread, no taker fee and no funding; the skew premium stays (skew scale
1,000,000 ETH), so a long of 10 ETH from skew 0 fills at 2000·(1 + 10/2e6) = 2000.01: basis
20_000_100_000 quote atoms, unrealised PnL at ETH 2000 of −100_000. The flat rates are set to
50% / 40%, far from every model's numbers, so a passing test cannot be using them. USDC has
6 decimals (a quote atom is a value atom), ETH 18.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest

import support.venue
from ringfence.core.errors import CommandRejected, InsufficientMargin, InvalidParameter
from ringfence.core.margin_models import DydxLiquidityTier, HyperliquidMarginTable, HyperliquidMarginTier
from ringfence.core.pool.commands import AddMarket, AdjustIsolatedMargin
from ringfence.core.pool.events import MarketAdded, PositionLiquidated
from ringfence.core.pool.requirements import dydx_margin_model, hyperliquid_margin_model
from ringfence.core.pool.state import MarginMode, MarginModel, MarginModelKind, MarketParams
from ringfence.core.units import WAD
from ringfence.service.engine import replay
from ringfence.store.codec import decode_event, encode_event
from ringfence.store.journal import PendingCommand
from ringfence.store.sqlite import SqliteJournal
from support.venue import ETH, MARKET, PERCENT, POOL, POOL_PARAMS, USDC, only

FLAT_MARKET = MarketParams(
    market=MARKET,
    base_asset="ETH",
    initial_margin_wad=50 * PERCENT,
    maintenance_margin_wad=40 * PERCENT,
    spread_wad=0,
    taker_fee_wad=0,
    skew_scale_atoms=1_000_000 * ETH,
    max_funding_rate_per_day_wad=0,
    open_interest_cap_atoms=1_000 * ETH,
    pnl_weight_wad=50 * PERCENT,
)
TIERS = HyperliquidMarginTable((HyperliquidMarginTier(0, 10), HyperliquidMarginTier(20_000 * USDC, 5)))
"""10x up to 20,000 USDC of notional, 5x above: mmr 1/20 then 1/10, deduction(1) = 20,000·(1/10 − 1/20) = 1,000."""
HYPERLIQUID_MARKET = dataclasses.replace(FLAT_MARKET, margin_model=hyperliquid_margin_model(TIERS))
LIQUIDITY_TIER = DydxLiquidityTier(
    initial_margin_ppm=100_000,
    maintenance_fraction_ppm=500_000,
    open_interest_lower_cap_value=10_000 * USDC,
    open_interest_upper_cap_value=50_000 * USDC,
)
"""Base IMF 10%, maintenance 50% of the base IM (5%); IMF scaled from 10,000 to 50,000 USDC of OI."""
DYDX_MARKET = dataclasses.replace(FLAT_MARKET, margin_model=dydx_margin_model(LIQUIDITY_TIER))


class Venue(support.venue.Venue):
    """The shared venue with this module's pool and one market (100k LP, 5k insurance)."""

    def __init__(self, market: MarketParams, *, in_genesis: bool = False) -> None:
        super().__init__(POOL_PARAMS, market, insurance_atoms=5_000 * USDC, in_genesis=in_genesis)

    def open(self, owner: str, size_atoms: int, margin_atoms: int, mode: MarginMode = MarginMode.ISOLATED) -> None:
        """Deposit ``margin_atoms`` and open a position with it (isolated vault or cross collateral)."""
        self.deposit(owner, margin_atoms)
        self.trade(owner, size_atoms, mode, margin_atoms if mode is MarginMode.ISOLATED else 0)

    def open_command(self, owner: str, size_atoms: int, margin_atoms: int, mode: MarginMode) -> object:
        """Deposit ``margin_atoms`` and return the trade that would open with it."""
        self.deposit(owner, margin_atoms)
        return self.trade_command(owner, size_atoms, mode, margin_atoms if mode is MarginMode.ISOLATED else 0)

    def adjust(self, owner: str, delta_atoms: int) -> AdjustIsolatedMargin:
        return AdjustIsolatedMargin(owner, 0, POOL, MARKET, delta_atoms, self.now)


BOTH_MODES = pytest.mark.parametrize("mode", [MarginMode.ISOLATED, MarginMode.CROSS], ids=["isolated", "cross"])


# --- Hyperliquid tiers --------------------------------------------------------------------------------


@BOTH_MODES
def test_hyperliquid_position_at_the_tier_bound_uses_the_lower_tier(mode: MarginMode) -> None:
    # Arrange: 10 ETH at 2000 is 20_000_000_000 of notional, at the bound: still 10x, IM 2_000_000_000
    # (the docs' ranges are "0-20k" and ">20k"); equity is the margin − 100_000 of PnL
    venue = Venue(HYPERLIQUID_MARKET)
    short = venue.open_command("alice", 10 * ETH, 2_000_099_999, mode)

    # Act / Assert: one atom of margin less than 2_000_100_000 is refused, exactly that is accepted
    venue.refuse(
        short,  # type: ignore[arg-type]
        InsufficientMargin,
        "alice/0 would have initial-margin equity 1999999999 below its requirement 2000000000",
    )
    venue.open("bob", 10 * ETH, 2_000_100_000, mode)
    venue.assert_replay_equals_live()


@BOTH_MODES
def test_hyperliquid_one_atom_past_the_tier_bound_doubles_the_initial_margin(mode: MarginMode) -> None:
    # Arrange: 10 ETH + 1 atom fills at ceil(2000e18·(2e24 + 1e19 + 1)/2e24) = 2000.01e18 + 1, basis
    # ceil((1e19 + 1)·(2000.01e18 + 1)/1e30) = ceil(20_000_100_000 + 2.01e-9) = 20_000_100_001; marked at 2000:
    # floor(20_000_000_000 + 2e-9) = 20_000_000_000, PnL −100_001. Notional ceil(20_000_000_000 + 2e-9) =
    # 20_000_000_001 > the bound: 5x, IM ceil(20_000_000_001/5 = 4_000_000_000.2) = 4_000_000_001.
    venue = Venue(HYPERLIQUID_MARKET)
    command = venue.open_command("alice", 10 * ETH + 1, 3_000 * USDC, mode)

    # Act / Assert: 3_000 USDC covers 10x (2,000) but not 5x: 3_000_000_000 − 100_001 = 2_999_899_999
    venue.refuse(
        command,  # type: ignore[arg-type]
        InsufficientMargin,
        "alice/0 would have initial-margin equity 2999899999 below its requirement 4000000001",
    )
    venue.open("bob", 10 * ETH, 3_000 * USDC, mode)


def test_hyperliquid_growing_a_position_across_the_bound_is_refused_while_its_size_below_was_accepted() -> None:
    # Arrange: alice holds 10 ETH (at the bound) with 3_000 USDC
    venue = Venue(HYPERLIQUID_MARKET)
    venue.open("alice", 10 * ETH, 3_000 * USDC)

    # Act / Assert: one more atom fills at ceil(2000e18·(2e24 + 2e19 + 1)/2e24) = 2000.02e18 + 1, booked at
    # ceil(2000.02e18·1e-30 + …) = 1 atom: basis 20_000_100_001, PnL −100_001; now 5x: IM 4_000_000_001
    venue.refuse(
        venue.trade_command("alice", 1, MarginMode.ISOLATED),
        InsufficientMargin,
        "alice/0 would have initial-margin equity 2999899999 below its requirement 4000000001",
    )
    venue.assert_replay_equals_live()


def test_hyperliquid_maintenance_above_the_bound_is_notional_over_ten_minus_the_deduction() -> None:
    # Arrange: 20 ETH fills at 2000·(1 + 20/2e6) = 2000.02, basis 40_000_400_000; notional 40,000 > 20,000,
    # 5x: IM 8_000_000_000, so 8_000_400_000 of margin is exactly enough
    at_1723, at_1722 = Venue(HYPERLIQUID_MARKET), Venue(HYPERLIQUID_MARKET)
    for venue in (at_1723, at_1722):
        venue.open("alice", 20 * ETH, 8_000_400_000)
    at_1723.quote_prices(1_723 * WAD)
    at_1722.quote_prices(1_722 * WAD)

    # Act / Assert: at 1723, equity 8_000_400_000 + 34_460_000_000 − 40_000_400_000 = 2_460_000_000 and
    # maintenance 34_460_000_000/10 − 1_000_000_000 = 2_446_000_000: safe (flat 40% would say 13_784_000_000,
    # the first tier's 1/20 alone 1_723_000_000)
    at_1723.refuse(
        at_1723.liquidate_command("alice"),
        CommandRejected,
        "maintenance equity 2460000000 covers its requirement 2446000000",
    )
    # at 1722: equity 2_440_000_000 < 3_444_000_000 − 1_000_000_000 = 2_444_000_000: liquidated
    assert only(at_1722.liquidate("alice"), PositionLiquidated)
    at_1723.assert_replay_equals_live()
    at_1722.assert_replay_equals_live()


# --- dYdX OI-scaled IMF -----------------------------------------------------------------------------


@BOTH_MODES
def test_dydx_trade_pays_the_imf_of_the_open_interest_after_it(mode: MarginMode) -> None:
    # Arrange: alice's own 10 ETH make the OI 10 ETH = 20_000 USDC, inside the caps:
    # IMF 100_000 + ⌊900_000·(20_000 − 10_000)/(50_000 − 10_000)⌋ = 325_000 ppm, IM 20_000_000_000·0.325 =
    # 6_500_000_000 (with the OI before the trade, 0, it would be 2_000_000_000)
    venue = Venue(DYDX_MARKET)
    short = venue.open_command("alice", 10 * ETH, 6_500_099_999, mode)

    # Act / Assert
    venue.refuse(
        short,  # type: ignore[arg-type]
        InsufficientMargin,
        "alice/0 would have initial-margin equity 6499999999 below its requirement 6500000000",
    )
    venue.open("bob", 10 * ETH, 6_500_100_000, mode)
    venue.assert_replay_equals_live()


def test_dydx_open_interest_is_the_larger_side() -> None:
    # Arrange: alice long 10 ETH (IM 6_500 USDC, see above) with 7_000 USDC
    venue = Venue(DYDX_MARKET)
    venue.open("alice", 10 * ETH, 7_000 * USDC)
    # bob shorts 5 ETH: OI stays max(10, 5) = 10 ETH, IMF 325_000 ppm, IM 10_000_000_000·0.325 = 3_250_000_000.
    # He sells at 2000·(1 + (20 − 5)/2e6) = 2000.015: basis −10_000_075_000, PnL +75_000, at 50%: 37_500.
    short = venue.open_command("bob", -5 * ETH, 3_249_962_499, MarginMode.ISOLATED)

    # Act / Assert: 3_249_962_499 + 37_500 = 3_249_999_999; one atom more is enough
    venue.refuse(
        short,  # type: ignore[arg-type]
        InsufficientMargin,
        "bob/0 would have initial-margin equity 3249999999 below its requirement 3250000000",
    )
    venue.open("carol", -5 * ETH, 3_249_962_500)
    venue.assert_replay_equals_live()


def test_dydx_second_traders_open_interest_raises_the_first_traders_initial_margin() -> None:
    # Arrange: alice long 10 ETH with 8_000 USDC (IM 6_500 USDC at OI 10 ETH); before bob trades she can
    # take 1 USDC out: equity 7_999_000_000 − 100_000 = 7_998_900_000 ≥ 6_500_000_000
    venue = Venue(DYDX_MARKET)
    venue.open("alice", 10 * ETH, 8_000 * USDC)
    venue.run(venue.adjust("alice", -1 * USDC))

    # Act: bob goes long 5 ETH: OI 15 ETH = 30_000 USDC, IMF 100_000 + ⌊900_000·20_000/40_000⌋ = 550_000.
    # He fills at 2000·(1 + 25/2e6) = 2000.025 (PnL −125_000) and needs 10_000_000_000·0.55 + 125_000.
    venue.open("bob", 5 * ETH, 5_500_125_000)

    # Assert: alice's IM is now 20_000_000_000·0.55 = 11_000_000_000: the same 1 USDC cannot leave
    # (7_998_900_000 − 1_000_000 = 7_997_900_000 of equity), nor can she add 1 atom of size
    venue.refuse(
        venue.adjust("alice", -1 * USDC),
        InsufficientMargin,
        "alice/0 would have initial-margin equity 7997900000 below its requirement 11000000000",
    )
    venue.refuse(venue.trade_command("alice", 1, MarginMode.ISOLATED), InsufficientMargin, "alice/0")
    # Maintenance is the base IM times the fraction, whatever the OI: ceil(ceil(20_000_000_000·0.1)·0.5) =
    # 1_000_000_000 (dYdX: crowding raises the cost of opening, not the liquidation threshold)
    venue.refuse(
        venue.liquidate_command("alice"),
        CommandRejected,
        "alice/0 is not liquidatable: maintenance equity 7998900000 covers its requirement 1000000000",
    )
    venue.assert_replay_equals_live()


def test_dydx_maintenance_threshold_does_not_move_with_open_interest() -> None:
    # Arrange: alice long 10 ETH with 6_500_100_000; at ETH 1500 her equity is
    # 6_500_100_000 + 15_000_000_000 − 20_000_100_000 = 1_500_000_000 and her maintenance
    # ceil(ceil(15_000_000_000·0.1)·0.5) = 750_000_000, with or without bob's 10 ETH of extra OI
    alone, crowded = Venue(DYDX_MARKET), Venue(DYDX_MARKET)
    for venue in (alone, crowded):
        venue.open("alice", 10 * ETH, 6_500_100_000)
    # bob: OI 20 ETH = 40_000 USDC, IMF 100_000 + ⌊900_000·30_000/40_000⌋ = 775_000, IM 15_500_000_000 + PnL:
    # he fills at 2000·(1 + 30/2e6) = 2000.03, PnL −300_000
    crowded.open("bob", 10 * ETH, 15_500_300_000)

    # Act / Assert
    for venue in (alone, crowded):
        venue.quote_prices(1_500 * WAD)
        venue.refuse(
            venue.liquidate_command("alice"),
            CommandRejected,
            "maintenance equity 1500000000 covers its requirement 750000000",
        )
        venue.assert_replay_equals_live()


# --- validation at AddMarket ----------------------------------------------------------------------------


def _market(model: MarginModel) -> AddMarket:
    return AddMarket(POOL, dataclasses.replace(FLAT_MARKET, market="X-PERP", margin_model=model), 0)


DYDX = MarginModelKind.DYDX_IMF
TIERED = MarginModelKind.HYPERLIQUID_TIERS


@pytest.mark.parametrize(
    ("model", "match"),
    [
        pytest.param(MarginModel(DYDX, 1_000_001, 500_000), "initial_margin_ppm=1000001", id="dydx-imf-above-100%"),
        pytest.param(MarginModel(DYDX, 0, 500_000), "margin_model.initial_margin_ppm=0", id="dydx-imf-zero"),
        pytest.param(MarginModel(DYDX, 100_000, 0), "margin_model.maintenance_fraction_ppm=0", id="dydx-mmf-zero"),
        pytest.param(MarginModel(DYDX, 100_000, -1), "maintenance_fraction_ppm=-1", id="dydx-mmf-negative"),
        pytest.param(MarginModel(DYDX, 100_000, 500_000, 2, 1), "lower cap ≤ upper cap", id="dydx-caps-crossed"),
        pytest.param(
            MarginModel(DYDX, 100_000, 500_000, 0, 2**128),
            "open_interest_upper_cap_value",
            id="dydx-cap-beyond-max-atoms",
        ),
        pytest.param(
            MarginModel(DYDX, 100_000, 500_000, tier_max_leverages=(10,)),
            "tier_max_leverages=\\(10,\\).*unused by a dydx_imf model",
            id="dydx-with-tiers",
        ),
        pytest.param(MarginModel(TIERED), "at least one tier", id="tiers-empty"),
        pytest.param(
            MarginModel(TIERED, tier_lower_bounds_value=(1,), tier_max_leverages=(10,)),
            "first with lower bound 0",
            id="tiers-first-bound",
        ),
        pytest.param(
            MarginModel(TIERED, tier_lower_bounds_value=(0, 5, 5), tier_max_leverages=(10, 5, 3)),
            "strictly increasing lower bounds",
            id="tiers-not-increasing",
        ),
        pytest.param(
            MarginModel(TIERED, tier_lower_bounds_value=(0, 5), tier_max_leverages=(10, 0)),
            "max leverage of at least 1",
            id="tiers-zero-leverage",
        ),
        pytest.param(
            MarginModel(TIERED, tier_lower_bounds_value=(0, 5), tier_max_leverages=(10,)),
            "one maximum leverage per lower bound",
            id="tiers-lengths-differ",
        ),
        pytest.param(
            MarginModel(TIERED, tier_lower_bounds_value=(0,), tier_max_leverages=(1_001,)),
            "leverages ≤ 1000",
            id="tiers-leverage-too-high",
        ),
        pytest.param(
            MarginModel(TIERED, tier_lower_bounds_value=tuple(range(17)), tier_max_leverages=(1,) * 17),
            "≤ 16 tiers",
            id="tiers-too-many",
        ),
        pytest.param(
            MarginModel(TIERED, 100_000, tier_lower_bounds_value=(0,), tier_max_leverages=(10,)),
            "margin_model.initial_margin_ppm=100000.*unused by a hyperliquid_tiers model",
            id="tiers-with-dydx-fields",
        ),
        pytest.param(
            MarginModel(tier_lower_bounds_value=(0,), tier_max_leverages=(10,)),
            "unused by a flat model",
            id="flat-with-tiers",
        ),
    ],
)
def test_invalid_margin_models_are_refused_at_add_market(model: MarginModel, match: str) -> None:
    venue = Venue(FLAT_MARKET, in_genesis=True)  # markets are added in the genesis

    venue.refuse(_market(model), InvalidParameter, match)


def test_margin_model_field_types_are_checked_before_any_rule() -> None:
    venue = Venue(FLAT_MARKET)
    model = MarginModel(TIERED, tier_lower_bounds_value=(0, 2.5), tier_max_leverages=(10, 5))  # type: ignore[arg-type]

    venue.refuse(_market(model), InvalidParameter, "tier_lower_bounds_value")


# --- codec and journals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("market", [FLAT_MARKET, DYDX_MARKET, HYPERLIQUID_MARKET], ids=["flat", "dydx", "tiers"])
def test_market_added_with_its_margin_model_round_trips_through_the_codec(market: MarketParams) -> None:
    event = MarketAdded(pool=POOL, params=market, timestamp_ns=7)

    decoded = decode_event(*encode_event(event))

    assert decoded == event
    assert isinstance(decoded, MarketAdded)
    assert type(decoded.params.margin_model.kind) is MarginModelKind
    assert type(decoded.params.margin_model.tier_lower_bounds_value) is tuple


def test_market_added_before_margin_models_decodes_as_flat() -> None:
    # A payload written before the field existed has no "margin_model": the default applies (no upcaster)
    _, version, payload = encode_event(MarketAdded(pool=POOL, params=FLAT_MARKET, timestamp_ns=7))
    body = json.loads(payload)
    del body["params"]["margin_model"]

    decoded = decode_event("MarketAdded", version, json.dumps(body))

    assert decoded == MarketAdded(pool=POOL, params=FLAT_MARKET, timestamp_ns=7)


def test_a_tiered_venue_replays_identically_from_memory_and_sqlite(tmp_path: Path) -> None:
    # Arrange: a Hyperliquid market with a position past the bound and a margin adjustment
    venue = Venue(HYPERLIQUID_MARKET)
    venue.open("alice", 20 * ETH, 8_000_400_000)
    venue.deposit("alice", 100 * USDC)
    venue.run(venue.adjust("alice", 100 * USDC))
    entries = list(venue.engine.journal.read())
    sqlite = SqliteJournal(tmp_path / "journal.sqlite")

    # Act: the same commands' events appended to SQLite, then read back through a new connection
    batch = [
        PendingCommand(command_id, tuple(entry.event() for entry in group))
        for command_id, group in itertools.groupby(entries, key=lambda entry: entry.command_id)
    ]
    sqlite.append("clearing", 0, batch)
    sqlite.close()
    reopened = SqliteJournal(tmp_path / "journal.sqlite")

    # Assert: both journals rebuild the live state, and SQLite stored the same bytes
    try:
        assert replay(venue.engine.journal.read()) == venue.state
        assert replay(reopened.read()) == venue.state
        assert [e.payload for e in reopened.read()] == [e.payload for e in entries]
        assert reopened.verify() == len(entries)
        market = venue.state.pools[POOL].markets[MARKET].params
        assert market.margin_model.tier_lower_bounds_value == (0, 20_000 * USDC)
    finally:
        reopened.close()


def test_codec_rebuilds_a_tuple_of_nested_dataclasses() -> None:
    from ringfence.store import codec

    rebuilt = codec._typed([{"lower_bound_value": 0, "max_leverage": 10}], tuple[HyperliquidMarginTier, ...])

    assert rebuilt == (HyperliquidMarginTier(0, 10),)
