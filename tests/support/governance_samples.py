"""One sample of every governance event, for the journal contract's codec round trip."""

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
    RoleGranted,
    RoleRevoked,
    TemplateRegistered,
    TemplateUpgradeProposed,
)
from ringfence.core.governance.state import Role

NOW_NS = 1_700_000_000 * 10**9
DAY_NS = 86_400 * 10**9
WAD = 10**18

GOVERNANCE_EVENT_SAMPLES: tuple[GovernanceEvent, ...] = (
    GovernanceConfigured("root", 2 * DAY_NS, 14 * DAY_NS, WAD // 4, NOW_NS),
    RoleGranted("root", Role.GUARDIAN, "watch-1", NOW_NS + 1),
    RoleRevoked("root", Role.PROPOSER, "council:old", NOW_NS + 2),
    TemplateRegistered(
        "root",
        "linear-perp",
        4,
        ("pool.reserve_factor_wad", "market.initial_margin_wad", "pool.liquidation.target_health_wad"),
        (0, WAD // 50, -(2**70)),
        (WAD, WAD // 2, 2**127),
        NOW_NS + 3,
    ),
    ParameterChangeProposed(7, "council", "eth-perps", "ETH-PERP", "initial_margin_wad", WAD // 10, WAD // 8, 9, 10, 8),
    TemplateUpgradeProposed(8, "council", "eth-perps", "linear-perp", 3, 4, NOW_NS + DAY_NS, NOW_NS + 2 * DAY_NS, 1),
    PoolResumeProposed(9, "council", "eth-perps", "halted", "fault fixed — résumé", 11, 12, 10),
    ProposalCancelled(9, "watch-1", NOW_NS + 4),
    ProposalExecuted(7, "keeper-of-time", NOW_NS + 5),
    PoolParameterChanged("eth-perps", "", "reserve_factor_wad", 4 * WAD // 10, 5 * WAD // 10, 7, NOW_NS + 5),
    PoolTemplateUpgraded("eth-perps", "linear-perp", 3, 4, 8, NOW_NS + 6),
)
