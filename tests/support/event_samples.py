"""One sample of every event type, with extreme values, for the codec and journal contracts."""

from __future__ import annotations

from typing import Any

from ringfence.core.events import (
    AssetRegistered,
    CollateralDeposited,
    CollateralTransferred,
    CollateralWithdrawn,
    Event,
    OracleConfigured,
    OracleDegraded,
    OracleGuardTripped,
    OraclePriceAccepted,
    PriceSubmitted,
    PrincipalRegistered,
)
from ringfence.core.liquidation.kinds import LiquidationPath, LiquidationReason
from ringfence.core.pool.auction_events import (
    AuctionsConfigured,
    CollateralAuctionEnded,
    CollateralAuctionRestarted,
    CollateralAuctionStarted,
    CollateralTaken,
)
from ringfence.core.pool.auction_state import AuctionCurve, AuctionParams
from ringfence.core.pool.credit_line_events import (
    CreditLineAccrued,
    CreditLineDrawn,
    CreditLineOpened,
    CreditLineRepaid,
    CreditLineWrittenDown,
    DrawReason,
)
from ringfence.core.pool.events import (
    AutoDeleveraged,
    BackstopAbsorbed,
    FundingAccrued,
    InsuranceDrawn,
    InsuranceFunded,
    IsolatedMarginAdjusted,
    LiquidationRecorded,
    LiquidityProvided,
    LiquidityRemoved,
    LossSocialised,
    MarketAdded,
    PoolCreated,
    PoolHalted,
    PoolStatusChanged,
    PositionDeleveraged,
    PositionLiquidated,
    TradeFilled,
)
from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams
from support.governance_samples import GOVERNANCE_EVENT_SAMPLES

WAD = 10**18
SECOND_NS = 1_000_000_000
NOW_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
MAX_ATOMS = 2**128 - 1
STREAM = "clearing"


EVENT_SAMPLES: tuple[Event, ...] = (
    AssetRegistered(
        asset="WBTC",
        decimals=8,
        initial_weight_wad=75 * WAD // 100,
        maintenance_weight_wad=80 * WAD // 100,
        supply_cap_atoms=2**100 + 1,
        weight_scale_start_value=MAX_ATOMS,
    ),
    OracleConfigured(
        asset="ETH",
        source_names=("chainlink", "pyth", "redstone"),
        source_weights=(1, 2, 3),
        quorum=2,
        max_staleness_ns=120 * SECOND_NS,
        max_deviation_wad=2 * WAD // 100,
        max_confidence_wad=WAD // 100,
        max_jump_wad=15 * WAD // 100,
        guard_release_ns=300 * SECOND_NS,
        delay_interval_seconds=3600,
        delay_growth_limit_wad=6 * WAD // 100,
        stable_growth_limit_wad=3 * WAD // 10_000,
    ),
    PriceSubmitted(
        asset="ETH", source="pyth", price_wad=3_001_500_000_000_000_000_000, confidence_wad=10**15, published_ns=NOW_NS
    ),
    OraclePriceAccepted(asset="ETH", price_wad=4_200 * WAD, accepted_ns=NOW_NS + 300 * SECOND_NS, released_guard=True),
    OracleGuardTripped(
        asset="ETH",
        refused_price_wad=4_200 * WAD,
        reason="median moved 4 × 10¹⁷ wad, limit 1.5 × 10¹⁷ — held",
        timestamp_ns=NOW_NS,
    ),
    OracleDegraded(asset="WBTC", reason="1 usable source(s), quorum is 2", timestamp_ns=NOW_NS + 1),
    CollateralDeposited(owner="alice", sub_account=0, asset="USDC", amount_atoms=2**100 + 7),
    CollateralWithdrawn(owner="bob", sub_account=255, asset="ETH", amount_atoms=2**64 + 1),
    CollateralTransferred(owner="alice", from_sub_account=0, to_sub_account=1, asset="ETH", amount_atoms=MAX_ATOMS),
    PrincipalRegistered(
        name="alice",
        public_key_hex="3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        timestamp_ns=NOW_NS,
    ),
    PoolCreated(
        pool="eth-perps",
        template="linear-perp",
        template_version=3,
        params=PoolParams(
            quote_asset="USDC",
            lp_fee_share_wad=70 * WAD // 100,
            insurance_fee_share_wad=20 * WAD // 100,
            reserve_factor_wad=40 * WAD // 100,
            liquidation_penalty_wad=WAD // 100,
            liquidator_share_wad=WAD // 2,
            insurance_draw_cap_atoms=2**80,
            insurance_window_ns=86_400 * SECOND_NS,
            close_factor_wad=WAD,
            nav_drawdown_limit_wad=25 * WAD // 100,
        ),
    ),
    MarketAdded(
        pool="eth-perps",
        params=MarketParams(
            market="ETH-PERP",
            base_asset="ETH",
            initial_margin_wad=WAD // 10,
            maintenance_margin_wad=WAD // 20,
            spread_wad=WAD // 10_000,
            taker_fee_wad=5 * WAD // 10_000,
            skew_scale_atoms=10**24,
            max_funding_rate_per_day_wad=WAD // 100,
            open_interest_cap_atoms=2**90,
            pnl_weight_wad=WAD // 2,
        ),
        timestamp_ns=NOW_NS,
    ),
    LiquidityProvided(owner="carol", sub_account=2, pool="eth-perps", amount_atoms=2**72, shares=2**72 - 5),
    LiquidityRemoved(owner="carol", sub_account=2, pool="eth-perps", shares=2**70, amount_atoms=2**70 + 3),
    InsuranceFunded(owner="dave", sub_account=0, pool="eth-perps", amount_atoms=10**22),
    FundingAccrued(
        pool="eth-perps", market="ETH-PERP", index_delta_wad=-(2**66), timestamp_ns=NOW_NS + 3_600 * SECOND_NS
    ),
    TradeFilled(
        owner="alice",
        sub_account=4,
        pool="eth-perps",
        market="ETH-PERP",
        mode=MarginMode.ISOLATED,
        size_delta_atoms=-(2**67),
        price_wad=3_000 * WAD,
        new_size_atoms=-(2**67),
        new_open_notional_atoms=-(3 * 10**23),
        funding_index_wad=2**65,
        margin_added_atoms=2**66,
        margin_released_atoms=0,
        fee_atoms=150_000_000,
        lp_fee_atoms=105_000_000,
        insurance_fee_atoms=30_000_000,
        protocol_fee_atoms=15_000_000,
        funding_paid_atoms=-12_345,
        realised_pnl_atoms=-(2**65),
    ),
    PositionLiquidated(
        owner="alice",
        sub_account=4,
        pool="eth-perps",
        market="ETH-PERP",
        mode=MarginMode.ISOLATED,
        size_delta_atoms=2**66,
        price_wad=3_100 * WAD,
        new_size_atoms=-(2**66),
        new_open_notional_atoms=-(15 * 10**22),
        funding_index_wad=2**65 + 1,
        margin_released_atoms=0,
        funding_paid_atoms=-12_345,
        realised_pnl_atoms=-(2**65),
        keeper_owner="keeper",
        keeper_sub_account=0,
        keeper_reward_atoms=2**64 + 9,
        insurance_penalty_atoms=2**64 + 8,
        backstop_forfeit_atoms=7,
        shortfall_atoms=2**64 + 1,
        execution_cost_atoms=3,
    ),
    PositionDeleveraged(
        owner="bob",
        sub_account=0,
        pool="eth-perps",
        market="ETH-PERP",
        mode=MarginMode.CROSS,
        size_delta_atoms=-(2**66),
        price_wad=3_100 * WAD,
        new_size_atoms=0,
        new_open_notional_atoms=0,
        funding_index_wad=2**65 + 1,
        margin_released_atoms=0,
        funding_paid_atoms=12_345,
        realised_pnl_atoms=2**64,
    ),
    InsuranceDrawn(pool="eth-perps", amount_atoms=2**65, shortfall_atoms=2**66, timestamp_ns=NOW_NS + 1),
    LiquidationRecorded(
        pool="eth-perps",
        market="ETH-PERP",
        owner="Ωmega",
        sub_account=3,
        path=LiquidationPath.BACKSTOP,
        reason=LiquidationReason.TOXIC,
        detail="toxic: ünïcode",
        health_wad=2**64,
        penalty_wad=0,
        closed_atoms=2**70,
        notional_atoms=2**80,
        partial=True,
        timestamp_ns=NOW_NS,
    ),
    BackstopAbsorbed(pool="eth-perps", amount_atoms=2**65 + 3, timestamp_ns=NOW_NS + 1),
    AutoDeleveraged(
        pool="eth-perps",
        market="ETH-PERP",
        owner="bob",
        sub_account=0,
        closed_atoms=2**66,
        forgone_atoms=2**65 + 7,
        rank=2,
        timestamp_ns=NOW_NS + 1,
    ),
    LossSocialised(pool="eth-perps", amount_atoms=2**65 + 1, timestamp_ns=NOW_NS + 2),
    PoolStatusChanged(
        pool="eth-perps",
        status="reduce_only",
        reason="NAV fell 26 % below its 24 h peak (limit 25 %)",
        timestamp_ns=NOW_NS + 3,
    ),
    PoolHalted(
        pool="eth-perps",
        command="OpenPosition",
        cause="InvariantViolation: vault < 0 — contained",
        timestamp_ns=NOW_NS + 4,
    ),
    IsolatedMarginAdjusted(
        owner="alice",
        sub_account=4,
        pool="eth-perps",
        market="ETH-PERP",
        delta_atoms=-(2**70 + 1),
        timestamp_ns=NOW_NS + 5,
    ),
    AuctionsConfigured(
        pool="eth-perps",
        params=AuctionParams(
            AuctionCurve.STAIRSTEP,
            13 * WAD // 100,
            12 * WAD // 10,
            3_600,
            6 * WAD // 10,
            10**15,
            2**70,
            2**66,
            cut_wad=99 * WAD // 100,
            step_seconds=90,
        ),
        timestamp_ns=NOW_NS + 5,
    ),
    CollateralAuctionStarted(
        pool="eth-perps",
        auction_id=2**40,
        owner="dave",
        sub_account=3,
        asset="ETH",
        lot_atoms=2**90,
        debt_atoms=2**70,
        tab_atoms=2**70 + 9,
        oracle_price_wad=1_500 * WAD,
        top_wad=1_800 * WAD,
        keeper_owner="keeper",
        keeper_sub_account=1,
        keeper_incentive_atoms=2**65,
        timestamp_ns=NOW_NS,
    ),
    CollateralTaken(
        pool="eth-perps",
        auction_id=2**40,
        taker_owner="taker",
        taker_sub_account=0,
        price_wad=1_764 * WAD + 1,
        slice_atoms=2**89,
        paid_atoms=2**69,
        debt_repaid_atoms=2**68,
        penalty_atoms=2**68 - 5,
        timestamp_ns=NOW_NS + 6,
    ),
    CollateralAuctionEnded(
        pool="eth-perps",
        auction_id=2**40,
        lot_returned_atoms=2**88,
        shortfall_atoms=2**67,
        unsettled_debt_atoms=0,
        timestamp_ns=NOW_NS + 7,
    ),
    CollateralAuctionRestarted(
        pool="eth-perps",
        auction_id=2**40,
        oracle_price_wad=1_499 * WAD,
        top_wad=1_798_800 * WAD // 1_000,
        keeper_owner="keeper",
        keeper_sub_account=2,
        keeper_incentive_atoms=0,
        timestamp_ns=NOW_NS + 8,
    ),
    CreditLineOpened(
        line="b-to-a",
        lender_pool="B",
        borrower_pool="A",
        quote_asset="USDC",
        cap_atoms=2**70 + 1,
        rate_per_year_wad=WAD // 20,
        timestamp_ns=NOW_NS + 9,
    ),
    CreditLineAccrued(line="b-to-a", borrower_pool="A", interest_atoms=7, timestamp_ns=NOW_NS + 10),
    CreditLineDrawn(
        line="b-to-a", borrower_pool="A", amount_atoms=2**66, reason=DrawReason.SHORTFALL, timestamp_ns=NOW_NS + 10
    ),
    CreditLineRepaid(
        line="b-to-a",
        borrower_pool="A",
        interest_atoms=7,
        principal_atoms=2**65,
        recovered_interest_atoms=1,
        recovered_principal_atoms=2**63,
        timestamp_ns=NOW_NS + 11,
    ),
    CreditLineWrittenDown(
        line="b-to-a",
        lender_pool="B",
        borrower_pool="A",
        interest_atoms=3,
        principal_atoms=2**64,
        timestamp_ns=NOW_NS + 12,
    ),
    *GOVERNANCE_EVENT_SAMPLES,
)


def rename_atoms(body: dict[str, Any]) -> dict[str, Any]:
    """v0 -> v1 of CollateralDeposited (fictional): the field ``atoms`` became ``amount_atoms``."""
    upgraded = dict(body)
    upgraded["amount_atoms"] = upgraded.pop("atoms")
    return upgraded


LEGACY_DEPOSIT_PAYLOAD = '{"asset":"USDC","atoms":36893488147419103232,"owner":"alice","sub_account":3}'


LEGACY_DEPOSIT = CollateralDeposited(owner="alice", sub_account=3, asset="USDC", amount_atoms=2**65)
