"""Unit tests of governance: roles, timelocked proposals, bounded steps, template upgrades, pause/resume.

Premises (the numbers every expectation below is computed from by hand):

- governance: the test venues' bootstrap (``support.authority.bootstrap``, the venue's first
  command): timelock 2 days, grace period 14 days, max step 25% of the current value;
- roles: ``admin`` admin (the venue's, ``support.authority.ADMIN``), ``council`` proposer, ``exec``
  executor, ``guard`` guardian, all granted in the genesis; ``mallory`` holds none;
- pool ``P`` (template ``perp`` v1, created in the genesis before the template is registered, as a
  genesis may): close factor 50%, liquidation penalty 2%, reserve factor 100%; market ``ETH-PERP``:
  IM 10%, MM 5%, spread 0, no fee, no funding;
- template ``perp`` v1 bounds ``pool.close_factor_wad`` to [40%, 60%]; v2 bounds it to [20%, 100%]
  and ``market.spread_wad`` to [0, 1%]; both registered in the genesis.

Every command runs through the real engine, sent by the principal it names; ``Venue.run`` checks
conservation after each one and ``Venue.refuse`` checks a refused command changes no state at all.
Pools other than ``P`` are created in the genesis. The governed factory (``CreatePool`` and
``AddMarket`` within template bounds, in the genesis and by ``ProposeVenueChange`` once open) is
tested in ``test_venue_change.py``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import support.venue
from ringfence.core.commands import Command
from ringfence.core.errors import (
    CommandRejected,
    DuplicateEntity,
    InvalidAmount,
    InvalidParameter,
    ProposalNotExecutable,
    RingfenceError,
    Unauthorized,
    UnknownEntity,
)
from ringfence.core.events import Event
from ringfence.core.governance.commands import (
    CancelProposal,
    ConfigureGovernance,
    ExecuteProposal,
    GovernanceCommand,
    GrantRole,
    PausePool,
    ProposeParameterChange,
    ProposeResumePool,
    ProposeTemplateUpgrade,
    RegisterTemplate,
    RevokeRole,
)
from ringfence.core.governance.events import (
    GovernanceConfigured,
    ParameterChangeProposed,
    PoolParameterChanged,
    PoolResumeProposed,
    PoolTemplateUpgraded,
    ProposalExecuted,
    RoleGranted,
    TemplateUpgradeProposed,
    VenueChangeProposed,
)
from ringfence.core.governance.params import (
    read_path,
    step_allowance,
)
from ringfence.core.governance.state import GovernanceState, ParameterBound, ProposalStatus, Role
from ringfence.core.pool import decide as pool_decide
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.events import PoolHalted, PoolStatusChanged, TradeFilled
from ringfence.core.pool.state import PoolState, PoolStatus
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD
from ringfence.service.engine import Engine, replay
from ringfence.store.memory import MemoryJournal
from support.authority import ADMIN, named_sender
from support.venue import ETH, HOUR_NS, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, T0, USDC, only

DAY_NS = 24 * HOUR_NS
TIMELOCK_NS = 2 * DAY_NS
GRACE_NS = 14 * DAY_NS
STEP_WAD = 25 * PERCENT

V1_BOUNDS = (ParameterBound("pool.close_factor_wad", 40 * PERCENT, 60 * PERCENT),)
V2_BOUNDS = (
    ParameterBound("pool.close_factor_wad", 20 * PERCENT, 100 * PERCENT),
    ParameterBound("market.spread_wad", 0, 1 * PERCENT),
)


class Venue(support.venue.Venue):
    """The shared venue with pool ``P``; in its genesis the admin grants the three roles and registers perp v1, v2.

    ``in_genesis``: stop before ``OpenVenue`` (the test adds to the genesis, then calls ``open``).
    """

    def __init__(self, *, templates: bool = True, in_genesis: bool = False) -> None:
        super().__init__(POOL_PARAMS, MARKET_PARAMS, insurance_atoms=5_000 * USDC, in_genesis=True)
        for role, principal in ((Role.PROPOSER, "council"), (Role.EXECUTOR, "exec"), (Role.GUARDIAN, "guard")):
            self.run(GrantRole(ADMIN, role, principal, self.now))
        if templates:
            self.run(RegisterTemplate(ADMIN, "perp", 1, V1_BOUNDS, self.now))
            self.run(RegisterTemplate(ADMIN, "perp", 2, V2_BOUNDS, self.now))
        if not in_genesis:
            self.finish_genesis()

    @property
    def governance(self) -> GovernanceState:
        assert self.state.governance is not None
        return self.state.governance

    def pool(self, pool: str = POOL) -> PoolState:
        return self.state.pools[pool]

    def submit(self, command: GovernanceCommand) -> int:
        """Run a proposal command; return the id of the one proposal it queued."""
        (event,) = self.run(command)
        assert isinstance(
            event, (ParameterChangeProposed, TemplateUpgradeProposed, PoolResumeProposed, VenueChangeProposed)
        ), event
        return event.proposal_id

    def propose(self, field: str, new_value: int, market: str = "", pool: str = POOL) -> int:
        """Have the council propose a change; return its proposal id."""
        return self.submit(ProposeParameterChange("council", pool, market, field, new_value, self.now))

    def execute(self, proposal_id: int) -> tuple[Event, ...]:
        return self.run(ExecuteProposal("exec", proposal_id, self.now))

    def execute_command(self, proposal_id: int) -> ExecuteProposal:
        return ExecuteProposal("exec", proposal_id, self.now)

    def create_second_pool(self, name: str = "Q", version: int = 1) -> None:
        """Create pool ``name`` on perp ``version`` with ``P``'s parameters and market (in the genesis)."""
        self.run(CreatePool(name, "perp", version, POOL_PARAMS, self.now))
        self.run(AddMarket(name, MARKET_PARAMS, self.now))


@contextmanager
def pricing_fault() -> Iterator[None]:
    """Test double: every fill price raises, so the next trade's fault halts its pool."""

    def broken(*_: int) -> int:
        raise RuntimeError("injected pricing fault")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pool_decide, "fill_price_wad", broken)
        yield


# --- bootstrap and roles -------------------------------------------------------------------------


def _refuse_on_empty_venue(engine: Engine, command: Command, error: type[RingfenceError], match: str) -> None:
    """Check ``command`` (from the principal it names) is refused with ``error`` and the venue stays empty."""
    with pytest.raises(error, match=match):
        engine.execute(command, sender=named_sender(command))
    assert engine.state == LedgerState()
    assert list(engine.journal.read()) == []


def test_bootstrap_records_settings_and_makes_the_admin_the_only_role_holder() -> None:
    # Arrange: governance is a venue's first command; its sender (the ``admin`` it names) becomes the admin
    engine = Engine(MemoryJournal())

    # Act
    events = engine.execute(ConfigureGovernance("root", TIMELOCK_NS, GRACE_NS, STEP_WAD, T0), sender="root")

    # Assert
    assert events == (
        GovernanceConfigured(
            admin="root",
            timelock_ns=TIMELOCK_NS,
            grace_period_ns=GRACE_NS,
            max_step_wad=STEP_WAD,
            timestamp_ns=T0,
        ),
        RoleGranted(actor="root", role=Role.ADMIN, principal="root", timestamp_ns=T0),
    )
    governance = engine.state.governance
    assert governance is not None
    assert governance.holders == {Role.ADMIN: {"root"}}
    assert governance.settings.timelock_ns == TIMELOCK_NS
    assert governance.opened_ns is None  # the genesis runs until OpenVenue
    assert replay(engine.journal.read()) == engine.state


@pytest.mark.parametrize("in_genesis", [True, False], ids=["genesis", "open"])
def test_bootstrap_is_refused_once_governance_exists(in_genesis: bool) -> None:
    venue = Venue(in_genesis=in_genesis)
    venue.refuse(ConfigureGovernance("mallory", 1, 1, 1, venue.now), CommandRejected, "already configured")


def test_governance_commands_are_refused_before_bootstrap() -> None:
    # A venue without governance is an empty one now: any command but ConfigureGovernance comes too early
    engine = Engine(MemoryJournal())
    _refuse_on_empty_venue(engine, GrantRole("root", Role.ADMIN, "x", T0), CommandRejected, "no admin yet")
    _refuse_on_empty_venue(engine, PausePool("guard", POOL, "drill", T0), CommandRejected, "no admin yet")


@pytest.mark.parametrize(
    ("timelock_ns", "grace_ns", "step_wad", "error", "field"),
    [(0, GRACE_NS, STEP_WAD, InvalidParameter, "timelock_ns=0"),
     (TIMELOCK_NS, 0, STEP_WAD, InvalidParameter, "grace_period_ns=0"),
     (TIMELOCK_NS, GRACE_NS, 0, InvalidAmount, "max_step_wad=0"),
     (TIMELOCK_NS, GRACE_NS, WAD + 1, InvalidAmount, "max_step_wad=1000000000000000001")],
)  # fmt: skip
def test_bootstrap_refuses_settings_out_of_range(
    timelock_ns: int, grace_ns: int, step_wad: int, error: type[RingfenceError], field: str
) -> None:
    engine = Engine(MemoryJournal())
    _refuse_on_empty_venue(engine, ConfigureGovernance("root", timelock_ns, grace_ns, step_wad, T0), error, field)
    assert engine.state.governance is None


def test_admin_grants_and_revokes_roles() -> None:
    venue = Venue()
    venue.run(GrantRole(ADMIN, Role.PROPOSER, "council-2", venue.now))
    assert venue.governance.holders[Role.PROPOSER] == {"council", "council-2"}
    venue.run(RevokeRole(ADMIN, Role.PROPOSER, "council", venue.now))
    assert venue.governance.holders[Role.PROPOSER] == {"council-2"}
    venue.refuse(ProposeParameterChange("council", POOL, "", "close_factor_wad", 55 * PERCENT, venue.now),
                 Unauthorized, "'council' does not hold the proposer role")  # fmt: skip
    venue.assert_replay_equals_live()


def test_role_grants_and_revocations_that_change_nothing_are_refused() -> None:
    venue = Venue()
    venue.refuse(GrantRole(ADMIN, Role.PROPOSER, "council", venue.now), CommandRejected, "already holds")
    venue.refuse(RevokeRole(ADMIN, Role.GUARDIAN, "council", venue.now), CommandRejected, "does not hold")
    venue.refuse(RevokeRole(ADMIN, Role.ADMIN, ADMIN, venue.now), CommandRejected, "last admin")


def test_a_second_admin_can_revoke_the_first() -> None:
    venue = Venue()
    venue.run(GrantRole(ADMIN, Role.ADMIN, "root-2", venue.now))
    venue.run(RevokeRole("root-2", Role.ADMIN, ADMIN, venue.now))
    assert venue.governance.holders[Role.ADMIN] == {"root-2"}
    venue.refuse(GrantRole(ADMIN, Role.GUARDIAN, "x", venue.now), Unauthorized, "admin role")


def _wrong_role_cases() -> list[tuple[str, GovernanceCommand]]:
    now = support.venue.T0
    cases: list[tuple[str, GovernanceCommand]] = []
    for actor in ("council", "exec", "guard", "mallory"):
        cases.append(("admin", GrantRole(actor, Role.ADMIN, actor, now)))
        cases.append(("admin", RevokeRole(actor, Role.PROPOSER, "council", now)))
        cases.append(("admin", RegisterTemplate(actor, "perp", 3, (), now)))
    for actor in (ADMIN, "exec", "guard", "mallory"):
        cases.append(("proposer", ProposeParameterChange(actor, POOL, "", "close_factor_wad", 55 * PERCENT, now)))
        cases.append(("proposer", ProposeTemplateUpgrade(actor, POOL, 2, now)))
        cases.append(("proposer", ProposeResumePool(actor, POOL, "all clear", now)))
    for actor in (ADMIN, "exec", "mallory"):
        cases.append(("proposer or guardian", CancelProposal(actor, 1, now)))
    for actor in (ADMIN, "council", "guard", "mallory"):
        cases.append(("executor", ExecuteProposal(actor, 1, now)))
    for actor in (ADMIN, "council", "exec", "mallory"):
        cases.append(("guardian", PausePool(actor, POOL, "drill", now)))
    return cases


@pytest.mark.parametrize(("role", "command"), _wrong_role_cases(), ids=lambda case: type(case).__name__)
def test_every_governance_command_refuses_an_actor_without_its_role(role: str, command: GovernanceCommand) -> None:
    # Arrange: a pending proposal 1 exists, so only the role can be what is wrong
    venue = Venue()
    venue.propose("close_factor_wad", 55 * PERCENT)

    # Act / Assert
    error = venue.refuse(command, Unauthorized, f"does not hold the {role} role")
    assert isinstance(error, Unauthorized)
    assert error.actor == command.actor


# --- parameter changes: timelock, expiry, ids -----------------------------------------------------


def test_proposal_ids_are_sequential_and_eta_is_proposal_time_plus_timelock() -> None:
    venue = Venue()
    proposed_at = venue.now
    first = venue.propose("close_factor_wad", 55 * PERCENT)
    second = venue.propose("initial_margin_wad", 11 * PERCENT, MARKET)
    assert (first, second) == (1, 2)
    proposal = venue.governance.proposals[1]
    assert proposal.eta_ns == proposed_at + 2 * DAY_NS
    assert proposal.expires_ns == proposed_at + 2 * DAY_NS + 14 * DAY_NS  # the harness's grace: 14 days
    assert venue.pool().params == POOL_PARAMS  # nothing changes before execution
    venue.assert_replay_equals_live()


def test_execution_is_refused_one_nanosecond_before_eta_and_accepted_exactly_at_eta() -> None:
    # Arrange
    venue = Venue()
    proposal_id = venue.propose("close_factor_wad", 55 * PERCENT)
    eta = venue.governance.proposals[proposal_id].eta_ns

    # Act / Assert: eta − 1 is refused and changes nothing
    venue.now = eta - 1
    venue.refuse(
        venue.execute_command(proposal_id), ProposalNotExecutable, "timelock runs until .* \\(1 ns from now\\)"
    )
    venue.now = eta
    events = venue.execute(proposal_id)

    # Assert
    assert events == (
        ProposalExecuted(proposal_id=proposal_id, actor="exec", timestamp_ns=eta),
        PoolParameterChanged(
            pool=POOL,
            market="",
            field="close_factor_wad",
            old_value=50 * PERCENT,
            new_value=55 * PERCENT,
            proposal_id=proposal_id,
            timestamp_ns=eta,
        ),
    )
    assert venue.pool().params == dataclasses.replace(POOL_PARAMS, close_factor_wad=55 * PERCENT)
    assert venue.governance.proposals[proposal_id].status is ProposalStatus.EXECUTED
    venue.assert_replay_equals_live()


def test_execution_is_accepted_one_nanosecond_before_expiry() -> None:
    venue = Venue()
    proposal_id = venue.propose("close_factor_wad", 45 * PERCENT)
    venue.now = venue.governance.proposals[proposal_id].expires_ns - 1
    venue.execute(proposal_id)
    assert venue.pool().params.close_factor_wad == 45 * PERCENT


def test_execution_is_refused_at_expiry() -> None:
    venue = Venue()
    proposal_id = venue.propose("close_factor_wad", 45 * PERCENT)
    venue.now = venue.governance.proposals[proposal_id].expires_ns
    venue.refuse(venue.execute_command(proposal_id), ProposalNotExecutable, "expired")


def test_an_executed_proposal_cannot_be_executed_again_or_cancelled() -> None:
    venue = Venue()
    proposal_id = venue.propose("close_factor_wad", 45 * PERCENT)
    venue.now += TIMELOCK_NS
    venue.execute(proposal_id)
    venue.refuse(venue.execute_command(proposal_id), ProposalNotExecutable, "it is executed")
    venue.refuse(CancelProposal("guard", proposal_id, venue.now), CommandRejected, "is executed")


@pytest.mark.parametrize("canceller", ["guard", "council"])
def test_a_cancelled_proposal_is_never_executed(canceller: str) -> None:
    venue = Venue()
    proposal_id = venue.propose("close_factor_wad", 45 * PERCENT)
    venue.run(CancelProposal(canceller, proposal_id, venue.now))
    venue.now += TIMELOCK_NS
    venue.refuse(venue.execute_command(proposal_id), ProposalNotExecutable, "it is cancelled")
    venue.refuse(CancelProposal(canceller, proposal_id, venue.now), CommandRejected, "is cancelled")
    assert venue.pool().params == POOL_PARAMS
    venue.assert_replay_equals_live()


def test_an_unknown_proposal_is_refused() -> None:
    venue = Venue()
    venue.refuse(ExecuteProposal("exec", 7, venue.now), UnknownEntity, "unknown proposal 7")


# --- parameter changes: bounded step ----------------------------------------------------------------


def test_a_pool_parameter_may_move_exactly_one_step_up_but_not_one_atom_more() -> None:
    # Arrange: close factor 50%; one step is 25% of it = 125·10¹⁵, so up to 625·10¹⁵. Template v1 caps
    # the close factor at 60%, so the pool is Q on v2 (bounds [20%, 100%]), created in the genesis.
    venue = Venue(in_genesis=True)
    venue.create_second_pool("Q", version=2)
    venue.finish_genesis()
    allowed = 50 * PERCENT + 125 * WAD // 1000  # 500·10¹⁵ + 125·10¹⁵ = 625·10¹⁵

    # Act / Assert
    venue.refuse(ProposeParameterChange("council", "Q", "", "close_factor_wad", allowed + 1, venue.now),
                 InvalidParameter, "between 375000000000000000 and 625000000000000000")  # fmt: skip
    venue.run(ProposeParameterChange("council", "Q", "", "close_factor_wad", allowed, venue.now))


def test_a_pool_parameter_may_move_exactly_one_step_down_but_not_one_atom_more() -> None:
    # close factor 50% − 12.5% = 37.5%; v2 allows down to 20% (Q on v2, created in the genesis)
    venue = Venue(in_genesis=True)
    venue.create_second_pool("Q", version=2)
    venue.finish_genesis()
    allowed = 375 * WAD // 1000
    venue.refuse(ProposeParameterChange("council", "Q", "", "close_factor_wad", allowed - 1, venue.now),
                 InvalidParameter, "one change moves close_factor_wad by at most 125000000000000000")  # fmt: skip
    venue.run(ProposeParameterChange("council", "Q", "", "close_factor_wad", allowed, venue.now))


def test_a_market_parameter_moves_by_at_most_one_step() -> None:
    # IM 10% → step 2.5% → at most 12.5% = 125·10¹⁵
    venue = Venue()
    too_far = ProposeParameterChange("council", POOL, MARKET, "initial_margin_wad", 125 * WAD // 1000 + 1, venue.now)
    venue.refuse(too_far, InvalidParameter, "between 75000000000000000 and 125000000000000000")
    proposal_id = venue.propose("initial_margin_wad", 125 * WAD // 1000, MARKET)
    venue.now += TIMELOCK_NS
    venue.execute(proposal_id)
    assert venue.pool().markets[MARKET].params == dataclasses.replace(
        MARKET_PARAMS, initial_margin_wad=125 * WAD // 1000
    )
    assert venue.pool().params == POOL_PARAMS
    venue.assert_replay_equals_live()


def test_the_step_rounds_up_so_a_small_value_can_always_move() -> None:
    # 3 × 25% = 0.75 → 1 unit; 4 × 25% = 1 exactly; 1 × 25% = 0.25 → 1
    assert step_allowance(3, None, STEP_WAD) == 1
    assert step_allowance(4, None, STEP_WAD) == 1
    assert step_allowance(1, None, STEP_WAD) == 1
    assert step_allowance(-8, None, STEP_WAD) == 2  # |−8| × 25% = 2


def test_a_zero_takes_its_step_from_the_template_range_and_has_no_step_without_one() -> None:
    bound = ParameterBound("market.spread_wad", 0, 1_000)
    assert step_allowance(0, bound, STEP_WAD) == 250  # (1000 − 0) × 25%
    assert step_allowance(0, ParameterBound("pool.x", 0, 1_001), STEP_WAD) == 251  # 250.25 rounds up
    assert step_allowance(0, None, STEP_WAD) is None


def test_a_zero_parameter_without_a_template_bound_cannot_move() -> None:
    venue = Venue()  # P is on perp v1, which does not bound the spread
    venue.refuse(ProposeParameterChange("council", POOL, MARKET, "spread_wad", 1, venue.now),
                 InvalidParameter, "spread_wad is 0 and has no scale")  # fmt: skip


def test_a_proposal_to_the_current_value_is_refused() -> None:
    venue = Venue()
    venue.refuse(ProposeParameterChange("council", POOL, "", "close_factor_wad", 50 * PERCENT, venue.now),
                 InvalidParameter, "other than the current")  # fmt: skip


@pytest.mark.parametrize(
    ("pool", "market", "field", "error", "match"),
    [("Z", "", "close_factor_wad", UnknownEntity, "unknown pool"),
     (POOL, "BTC-PERP", "spread_wad", UnknownEntity, "unknown market"),
     (POOL, "", "quote_asset", InvalidParameter, "an integer field of PoolParams"),
     (POOL, MARKET, "base_asset", InvalidParameter, "an integer field of MarketParams"),
     (POOL, "", "no_such_field", InvalidParameter, "an integer field"),
     (POOL, "", "close_factor_wad.x", InvalidParameter, "an integer field")],
)  # fmt: skip
def test_a_proposal_naming_no_integer_parameter_is_refused(
    pool: str, market: str, field: str, error: type[RingfenceError], match: str
) -> None:
    venue = Venue()
    venue.refuse(ProposeParameterChange("council", pool, market, field, 1, venue.now), error, match)


def test_a_change_the_pool_validation_refuses_is_refused_at_proposal() -> None:
    # Arrange: penalty 45% (Q on v2, no bound on it, created in the genesis); step 11.25% would allow 56.25%,
    # CreatePool allows ≤ 50%
    venue = Venue(in_genesis=True)
    venue.run(
        CreatePool("Q", "perp", 2, dataclasses.replace(POOL_PARAMS, liquidation_penalty_wad=45 * PERCENT), venue.now)
    )
    venue.finish_genesis()

    # Act / Assert: 50% + 1 atom is within the step but not within validation
    venue.refuse(ProposeParameterChange("council", "Q", "", "liquidation_penalty_wad", WAD // 2 + 1, venue.now),
                 InvalidAmount, "liquidation_penalty_wad")  # fmt: skip
    venue.run(ProposeParameterChange("council", "Q", "", "liquidation_penalty_wad", WAD // 2, venue.now))


def test_a_change_outside_the_template_bounds_is_refused() -> None:
    # P is on perp v1: close factor in [40%, 60%]; 62.5% is within one step of 50% but outside v1
    venue = Venue()
    outside = ProposeParameterChange("council", POOL, "", "close_factor_wad", 625 * WAD // 1000, venue.now)
    bounds = "between 400000000000000000 and 600000000000000000 \\(bounds of template perp v1\\)"
    venue.refuse(outside, InvalidParameter, bounds)
    venue.propose("close_factor_wad", 60 * PERCENT)


def test_a_proposal_made_stale_by_another_execution_is_refused() -> None:
    venue = Venue()
    first = venue.propose("close_factor_wad", 55 * PERCENT)
    second = venue.propose("close_factor_wad", 45 * PERCENT)
    venue.now += TIMELOCK_NS
    venue.execute(first)
    venue.refuse(
        venue.execute_command(second), ProposalNotExecutable, "stale: close_factor_wad is now 550000000000000000"
    )


def test_two_changes_valid_alone_but_invalid_together_cannot_both_execute() -> None:
    # Arrange: IM 6%, MM 5%. Lower IM to 5.5% (step 1.5%) and raise MM to 6% (step 1.25%): each fits
    # alone, but together MM 6% > IM 5.5%. Q is created in the genesis.
    venue = Venue(in_genesis=True)
    venue.run(CreatePool("Q", "perp", 2, POOL_PARAMS, venue.now))
    venue.run(AddMarket("Q", dataclasses.replace(MARKET_PARAMS, initial_margin_wad=6 * PERCENT), venue.now))
    venue.finish_genesis()
    lower_im = venue.propose("initial_margin_wad", 55 * WAD // 1000, MARKET, pool="Q")
    raise_mm = venue.propose("maintenance_margin_wad", 6 * PERCENT, MARKET, pool="Q")
    venue.now += TIMELOCK_NS

    # Act
    venue.execute(lower_im)

    # Assert
    venue.refuse(venue.execute_command(raise_mm), ProposalNotExecutable, "no longer validates.*initial_margin_wad")


# --- templates --------------------------------------------------------------------------------------


def test_a_template_version_is_registered_once() -> None:
    venue = Venue()
    venue.refuse(RegisterTemplate(ADMIN, "perp", 2, (), venue.now), DuplicateEntity, "template version 'perp v2'")


@pytest.mark.parametrize(
    ("bounds", "match"),
    [((ParameterBound("pool.quote_asset", 0, 1),), "an integer field of PoolParams"),
     ((ParameterBound("vault.close_factor_wad", 0, 1),), "a path starting pool. or market."),
     ((ParameterBound("market.spread_wad", 2, 1),), "bounds.maximum"),
     ((ParameterBound("market.spread_wad", 0.5, 1),), "bounds.minimum"),  # type: ignore[arg-type]
     ((ParameterBound("market.spread_wad", 0, 1), ParameterBound("market.spread_wad", 0, 2)), "at most once")],
)  # fmt: skip
def test_a_template_with_malformed_bounds_is_refused(bounds: tuple[ParameterBound, ...], match: str) -> None:
    venue = Venue()
    venue.refuse(RegisterTemplate(ADMIN, "perp", 3, bounds, venue.now), InvalidParameter, match)


# --- template upgrades ------------------------------------------------------------------------------


def test_an_upgrade_changes_only_the_named_pool() -> None:
    # Arrange: P and Q both from perp v1 (Q created in the genesis)
    venue = Venue(in_genesis=True)
    venue.create_second_pool("Q", version=1)
    venue.finish_genesis()
    q_before = copy.deepcopy(venue.pool("Q"))
    p_before = copy.deepcopy(venue.pool(POOL))
    upgrade = venue.submit(ProposeTemplateUpgrade("council", POOL, 2, venue.now))
    venue.now += TIMELOCK_NS

    # Act
    events = venue.execute(upgrade)

    # Assert
    assert events[1] == PoolTemplateUpgraded(
        pool=POOL, template="perp", old_version=1, new_version=2, proposal_id=1, timestamp_ns=venue.now
    )
    assert venue.pool(POOL) == dataclasses.replace(p_before, template_version=2)
    assert venue.pool("Q") == q_before
    venue.assert_replay_equals_live()


def test_an_upgraded_pool_takes_the_new_versions_bounds_and_step_scale() -> None:
    # After P moves to v2: close factor may go below 40% (v2: ≥ 20%), and the zero spread gets a
    # scale: (1% − 0) × 25% = 0.25% = 25·10¹⁴.
    venue = Venue()
    upgrade = venue.submit(ProposeTemplateUpgrade("council", POOL, 2, venue.now))
    venue.now += TIMELOCK_NS
    venue.execute(upgrade)
    venue.refuse(ProposeParameterChange("council", POOL, MARKET, "spread_wad", 25 * WAD // 10_000 + 1, venue.now),
                 InvalidParameter, "between -2500000000000000 and 2500000000000000")  # fmt: skip
    spread = venue.propose("spread_wad", 25 * WAD // 10_000, MARKET)
    venue.now += TIMELOCK_NS
    venue.execute(spread)
    assert venue.pool().markets[MARKET].params.spread_wad == 25 * WAD // 10_000
    venue.assert_replay_equals_live()


def test_an_upgrade_to_the_current_or_an_unregistered_version_is_refused() -> None:
    venue = Venue()
    venue.refuse(
        ProposeTemplateUpgrade("council", POOL, 1, venue.now), InvalidParameter, "other than the pool's current"
    )
    venue.refuse(ProposeTemplateUpgrade("council", POOL, 5, venue.now), UnknownEntity, "perp v5")


def test_an_upgrade_whose_bounds_the_pool_does_not_satisfy_is_refused() -> None:
    venue = Venue()
    venue.run(
        RegisterTemplate(ADMIN, "perp", 3, (ParameterBound("market.initial_margin_wad", 20 * PERCENT, WAD),), venue.now)
    )
    venue.refuse(ProposeTemplateUpgrade("council", POOL, 3, venue.now), InvalidParameter,
                 "market.initial_margin_wad=100000000000000000 .* template perp v3")  # fmt: skip


def test_an_upgrade_made_stale_by_another_upgrade_is_refused() -> None:
    venue = Venue()
    venue.run(RegisterTemplate(ADMIN, "perp", 3, (), venue.now))
    to_two = venue.submit(ProposeTemplateUpgrade("council", POOL, 2, venue.now))
    to_three = venue.submit(ProposeTemplateUpgrade("council", POOL, 3, venue.now))
    venue.now += TIMELOCK_NS
    venue.execute(to_two)
    venue.refuse(venue.execute_command(to_three), ProposalNotExecutable, "now at version 2")


# --- pause and resume -------------------------------------------------------------------------------


def test_the_guardian_pauses_at_once_and_the_pool_refuses_new_risk_but_not_closing() -> None:
    # Arrange: alice holds a long of 1 ETH
    venue = Venue()
    venue.deposit("alice", 1_000 * USDC)
    venue.trade("alice", ETH)

    # Act
    events = venue.run(PausePool("guard", POOL, "oracle incident", venue.now))

    # Assert
    assert events == (
        PoolStatusChanged(
            pool=POOL, status="reduce_only", reason="paused by guardian guard: oracle incident", timestamp_ns=venue.now
        ),
    )
    venue.refuse(venue.trade_command("alice", ETH), CommandRejected, "reduce-only")
    venue.trade("alice", -ETH)
    venue.assert_replay_equals_live()


def test_a_pause_never_loosens_a_halted_pool_nor_repeats() -> None:
    venue = Venue()
    venue.run(PausePool("guard", POOL, "drill", venue.now))
    venue.refuse(PausePool("guard", POOL, "again", venue.now), CommandRejected, "is reduce_only, not active")
    halted = Venue()
    halted.deposit("alice", 1_000 * USDC)
    with pricing_fault():
        only(halted.run(halted.trade_command("alice", ETH)), PoolHalted)
    halted.refuse(PausePool("guard", POOL, "drill", halted.now), CommandRejected, "is halted, not active")


def test_a_paused_pool_resumes_only_through_the_timelock() -> None:
    venue = Venue()
    venue.deposit("alice", 1_000 * USDC)
    venue.run(PausePool("guard", POOL, "drill", venue.now))
    resume = venue.submit(ProposeResumePool("council", POOL, "drill over", venue.now))
    eta = venue.governance.proposals[resume].eta_ns
    venue.now = eta - 1
    venue.refuse(venue.execute_command(resume), ProposalNotExecutable, "timelock")
    venue.quote_prices(2_000 * WAD, advance_ns=1)  # fresh prices, now == eta

    # Act
    events = venue.execute(resume)

    # Assert
    assert events[1] == PoolStatusChanged(
        pool=POOL, status="active", reason="resumed by proposal 1: drill over", timestamp_ns=eta
    )
    venue.trade("alice", ETH)
    venue.assert_replay_equals_live()


def test_a_resumed_halted_pool_trades_again_and_the_other_pool_is_untouched() -> None:
    # Arrange: pool Q from the same template (created in the genesis); P halted by a contained fault
    venue = Venue(in_genesis=True)
    venue.create_second_pool("Q")
    venue.finish_genesis()
    venue.deposit("alice", 1_000 * USDC)
    with pricing_fault():
        only(venue.run(venue.trade_command("alice", ETH)), PoolHalted)
    assert venue.pool().status is PoolStatus.HALTED
    venue.refuse(venue.trade_command("alice", ETH), CommandRejected, "halted")
    q_before = copy.deepcopy(venue.pool("Q"))
    resume = venue.submit(ProposeResumePool("council", POOL, "fault fixed", venue.now))
    venue.quote_prices(2_000 * WAD, advance_ns=TIMELOCK_NS)

    # Act
    venue.execute(resume)
    fill = venue.trade("alice", ETH)

    # Assert
    assert venue.pool().status is PoolStatus.ACTIVE
    assert isinstance(fill, TradeFilled)
    assert fill.new_size_atoms == ETH
    assert venue.pool("Q") == q_before
    venue.assert_replay_equals_live()


def test_resuming_an_active_pool_is_refused() -> None:
    venue = Venue()
    venue.refuse(ProposeResumePool("council", POOL, "why not", venue.now), CommandRejected, "is active")


def test_a_resume_proposed_for_a_paused_pool_is_stale_once_the_pool_is_halted() -> None:
    venue = Venue()
    venue.deposit("alice", 1_000 * USDC)
    venue.trade("alice", ETH)
    venue.run(PausePool("guard", POOL, "drill", venue.now))
    resume = venue.submit(ProposeResumePool("council", POOL, "drill over", venue.now))
    with pricing_fault():
        only(venue.run(venue.trade_command("alice", -ETH)), PoolHalted)  # a reducing trade still prices
    venue.now += TIMELOCK_NS
    venue.refuse(venue.execute_command(resume), ProposalNotExecutable, "now halted, it was proposed from reduce_only")


@pytest.mark.parametrize("reason", ["", "x" * 201, "line\nbreak"])
def test_a_pause_reason_must_be_short_printable_text(reason: str) -> None:
    venue = Venue()
    venue.refuse(PausePool("guard", POOL, reason, venue.now), InvalidParameter, "printable characters")


# --- property: params stay within bounds and steps ---------------------------------------------------

_FIELDS = (
    ("", "close_factor_wad"),
    ("", "liquidation_penalty_wad"),
    ("", "reserve_factor_wad"),
    (MARKET, "initial_margin_wad"),
    (MARKET, "maintenance_margin_wad"),
    (MARKET, "spread_wad"),
)
_PROPOSE = st.tuples(st.just("propose"), st.sampled_from(_FIELDS), st.integers(-30 * PERCENT, 30 * PERCENT))
"""The number is the move relative to the current value (WAD), a little past one step either way."""
_ACTIONS = st.one_of(
    _PROPOSE,
    _PROPOSE,
    st.tuples(st.just("upgrade"), st.sampled_from((1, 2)), st.just(0)),
    st.tuples(st.just("execute"), st.integers(0, 7), st.sampled_from((-1, 0, 1, GRACE_NS - 1, GRACE_NS))),
    st.tuples(st.just("cancel"), st.integers(0, 7), st.just(0)),
)


def _check_within_template(venue: Venue) -> None:
    pool = venue.pool()
    bounds = venue.governance.templates[(pool.template, pool.template_version)]
    for path, bound in bounds.items():
        scope, _, field = path.partition(".")
        values = [read_path(pool.params, field)] if scope == "pool" else [
            read_path(market.params, field) for market in pool.markets.values()
        ]  # fmt: skip
        assert all(bound.minimum <= value <= bound.maximum for value in values), (path, values)


def _some_proposal(venue: Venue, index: int) -> int:
    """Return the ``index``-th pending proposal id (modulo their count), else any, else 1."""
    proposals = venue.governance.proposals
    pending = [i for i, proposal in proposals.items() if proposal.status is ProposalStatus.PENDING]
    ids = pending or sorted(proposals)
    return ids[index % len(ids)] if ids else 1


def _apply(venue: Venue, action: tuple[str, object, int]) -> tuple[Event, ...] | None:
    kind, target, number = action
    command: GovernanceCommand
    if kind == "propose":
        assert isinstance(target, tuple)
        market, field = target
        pool = venue.pool()
        old = read_path(pool.markets[market].params if market else pool.params, field)
        scale = old if old else PERCENT  # a zero moves on the scale of the widest bound used here (1%)
        new_value = old + scale * number // WAD
        command = ProposeParameterChange("council", POOL, market, field, new_value, venue.now)
    elif kind == "upgrade":
        assert isinstance(target, int)
        command = ProposeTemplateUpgrade("council", POOL, target, venue.now)
    elif kind == "execute":
        assert isinstance(target, int)
        proposal_id = _some_proposal(venue, target)
        proposal = venue.governance.proposals.get(proposal_id)
        if proposal is not None:  # the number is the offset from the proposal's eta (the clock never goes back)
            venue.now = max(venue.now, proposal.eta_ns + number)
        command = ExecuteProposal("exec", proposal_id, venue.now)
    else:
        assert isinstance(target, int)
        command = CancelProposal("guard", _some_proposal(venue, target), venue.now)
    before = copy.deepcopy(venue.state)
    try:
        return venue.run(command)
    except (InvalidAmount, InvalidParameter, UnknownEntity, CommandRejected):
        assert venue.state == before
        return None


@settings(max_examples=60)
@given(actions=st.lists(_ACTIONS, min_size=1, max_size=20))
def test_any_governance_sequence_keeps_params_within_template_bounds_and_single_steps(
    actions: list[tuple[str, object, int]],
) -> None:
    venue = Venue()
    for action in actions:
        pool = venue.pool()
        bounds = venue.governance.templates[(pool.template, pool.template_version)]
        events = _apply(venue, action) or ()
        for event in events:
            if isinstance(event, PoolParameterChanged):
                scope = "market" if event.market else "pool"
                allowance = step_allowance(event.old_value, bounds.get(f"{scope}.{event.field}"), STEP_WAD)
                assert allowance is not None
                assert abs(event.new_value - event.old_value) <= allowance
        _check_within_template(venue)
    venue.assert_replay_equals_live()
