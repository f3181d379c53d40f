"""One sample of every governance event, for the journal contract's codec round trip (and the other venue changes)."""

from __future__ import annotations

from ringfence.core.governance.events import (
    GovernanceConfigured,
    GovernanceEvent,
    ParameterChangeProposed,
    PoolParameterChanged,
    PoolResumeProposed,
    PoolTemplateUpgraded,
    ProposalCancelled,
    ProposalExecuted,
    RiskMarginUpdated,
    RoleGranted,
    RoleRevoked,
    TemplateRegistered,
    TemplateUpgradeProposed,
    VenueChangeProposed,
    VenueOpened,
)
from ringfence.core.governance.state import Role
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.cover_commands import AcceptCover, CancelCover
from ringfence.core.pool.credit_line_commands import CloseCreditLine, LowerCreditLineCap, OpenCreditLine
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.core.pool.series_commands import ListSeries
from ringfence.core.pool.state import MarketParams, PoolParams
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin
from ringfence.core.portfolio.rule import deribit_rule
from ringfence.core.venue_commands import ConfigureOracle, RegisterAsset
from support.series_samples import SERIES_PARAMS_SAMPLE

NOW_NS = 1_700_000_000 * 10**9
DAY_NS = 86_400 * 10**9
WAD = 10**18

GOVERNANCE_EVENT_SAMPLES: tuple[GovernanceEvent, ...] = (
    GovernanceConfigured(
        admin="root", timelock_ns=2 * DAY_NS, grace_period_ns=14 * DAY_NS, max_step_wad=WAD // 4, timestamp_ns=NOW_NS
    ),
    RoleGranted(actor="root", role=Role.GUARDIAN, principal="watch-1", timestamp_ns=NOW_NS + 1),
    RoleRevoked(actor="root", role=Role.PROPOSER, principal="council:old", timestamp_ns=NOW_NS + 2),
    TemplateRegistered(
        actor="root",
        template="linear-perp",
        version=4,
        bound_paths=("pool.reserve_factor_wad", "market.initial_margin_wad", "pool.liquidation.target_health_wad"),
        bound_minimums=(0, WAD // 50, -(2**70)),
        bound_maximums=(WAD, WAD // 2, 2**127),
        timestamp_ns=NOW_NS + 3,
    ),
    ParameterChangeProposed(
        proposal_id=7,
        proposer="council",
        pool="eth-perps",
        market="ETH-PERP",
        field="initial_margin_wad",
        old_value=WAD // 10,
        new_value=WAD // 8,
        eta_ns=9,
        expires_ns=10,
        timestamp_ns=8,
    ),
    TemplateUpgradeProposed(
        proposal_id=8,
        proposer="council",
        pool="eth-perps",
        template="linear-perp",
        old_version=3,
        new_version=4,
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=1,
    ),
    PoolResumeProposed(
        proposal_id=9,
        proposer="council",
        pool="eth-perps",
        from_status="halted",
        reason="fault fixed — résumé",
        eta_ns=11,
        expires_ns=12,
        timestamp_ns=10,
    ),
    ProposalCancelled(proposal_id=9, actor="watch-1", timestamp_ns=NOW_NS + 4),
    ProposalExecuted(proposal_id=7, actor="keeper-of-time", timestamp_ns=NOW_NS + 5),
    PoolParameterChanged(
        pool="eth-perps",
        market="",
        field="reserve_factor_wad",
        old_value=4 * WAD // 10,
        new_value=5 * WAD // 10,
        proposal_id=7,
        timestamp_ns=NOW_NS + 5,
    ),
    PoolTemplateUpgraded(
        pool="eth-perps", template="linear-perp", old_version=3, new_version=4, proposal_id=8, timestamp_ns=NOW_NS + 6
    ),
    VenueOpened(admin="root", timestamp_ns=NOW_NS + 7),
    RiskMarginUpdated(
        actor="risk-bot",
        pool="eth-perps",
        market="ETH-PERP",
        old_initial_margin_wad=WAD // 10,
        new_initial_margin_wad=11 * WAD // 100,
        old_maintenance_margin_wad=WAD // 20,
        new_maintenance_margin_wad=55 * WAD // 1000,
        cause="ewma sigma=0.031/day z=2.33 h=1h",
        timestamp_ns=NOW_NS + 11,
        ramp_original_wad=WAD // 20,
        ramp_target_ns=NOW_NS + 11 + DAY_NS,
        ramp_ns=DAY_NS,
    ),
    VenueChangeProposed(
        proposal_id=12,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 10,
        create_pool=CreatePool(
            "sol-perps",
            "linear-perp",
            4,
            PoolParams(
                "USDC",
                7 * WAD // 10,
                2 * WAD // 10,
                WAD // 2,
                WAD // 100,
                WAD // 2,
                10**12,
                3600 * 10**9,
                WAD // 2,
                WAD // 5,
            ),
            NOW_NS + 10,
        ),
    ),
)

VENUE_CHANGE_SAMPLES: tuple[VenueChangeProposed, ...] = (
    VenueChangeProposed(
        proposal_id=9,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 7,
        list_series=ListSeries("eth-options", SERIES_PARAMS_SAMPLE, NOW_NS + 7),
    ),
    VenueChangeProposed(
        proposal_id=10,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 8,
        register_asset=RegisterAsset("SOL", 9, 7 * WAD // 10, 8 * WAD // 10, 2**100, 0, NOW_NS + 8),
    ),
    VenueChangeProposed(
        proposal_id=11,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 9,
        configure_oracle=ConfigureOracle(
            "ETH", ("pyth", "chainlink"), (2, 1), 2, 60 * 10**9, WAD // 50, WAD // 100, WAD // 5, 0, 3600, 6, 3, 1
        ),
    ),
    VenueChangeProposed(
        proposal_id=13,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 12,
        add_market=AddMarket(
            "eth-perps",
            MarketParams(
                "SOL-PERP",
                "SOL",
                WAD // 10,
                WAD // 20,
                WAD // 10_000,
                5 * WAD // 10_000,
                10**24,
                WAD // 100,
                2**90,
                WAD // 2,
                dynamic_margin=DynamicMarginRule(WAD // 50, WAD // 2, WAD // 10, 3600 * 10**9),
            ),
            NOW_NS + 12,
        ),
    ),
    VenueChangeProposed(
        proposal_id=14,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 13,
        accept_cover=AcceptCover("eth-perps", 2**40, NOW_NS + 13),
    ),
    VenueChangeProposed(
        proposal_id=15,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 14,
        cancel_cover=CancelCover("eth-perps", 1, NOW_NS + 14),
    ),
    VenueChangeProposed(
        proposal_id=16,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 15,
        open_credit_line=OpenCreditLine("b-to-a", "B", "A", 2**70, WAD // 20, NOW_NS + 15),
    ),
    VenueChangeProposed(
        proposal_id=17,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 16,
        lower_credit_line_cap=LowerCreditLineCap("b-to-a", "B", 2**66, NOW_NS + 16),
    ),
    VenueChangeProposed(
        proposal_id=18,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 17,
        close_credit_line=CloseCreditLine("b-to-a", NOW_NS + 17),
    ),
    VenueChangeProposed(
        proposal_id=19,
        proposer="council",
        eta_ns=NOW_NS + DAY_NS,
        expires_ns=NOW_NS + 2 * DAY_NS,
        timestamp_ns=NOW_NS + 18,
        configure_portfolio_margin=ConfigurePortfolioMargin(deribit_rule("USDC"), NOW_NS + 18),
    ),
)
"""The other kinds of venue change (the governance samples hold one ``VenueChangeProposed``, with a pool)."""
