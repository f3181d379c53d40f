"""Insurance cover sold to a pool (issue 14 item 2): caps, deductible and order in the waterfall, premiums, the end.

Every expected number is computed by hand in the comment beside it, never by the code under test.
The venue is :mod:`support.liquidation` (premises there: no fees or funding, skew scale 1,000,000
ETH, insurance draw cap 1,000 USDC per hour). The recurring bankruptcy: an isolated long of 10 ETH
with 2_100 USDC of margin, filled at ``2000·(1 + (skew + 5)/1e6)``, liquidated at ETH 1500; its
shortfall is ``basis − 15_000 − 2_100`` USDC: 2_900.1 for the first such long (2000.01), 2_900.3,
2_900.5 and 2_900.7 for the second, third and fourth (2000.03, 2000.05, 2000.07).

Every command runs through the :class:`~ringfence.service.engine.Engine` as the principal it names,
and ``check_conservation`` (policy capital included) runs after each one.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from ringfence.core.errors import (
    ActingAsAnother,
    CommandRejected,
    GenesisClosed,
    InsufficientBalance,
    ProposalNotExecutable,
    UnknownEntity,
)
from ringfence.core.events import Event
from ringfence.core.governance.commands import ExecuteProposal, GrantRole, ProposeVenueChange
from ringfence.core.governance.state import Role
from ringfence.core.pool.commands import AddMarket, CreatePool, FundInsurance
from ringfence.core.pool.cover_commands import AcceptCover, AccruePremium, CancelCover, OfferCover, WithdrawCoverOffer
from ringfence.core.pool.cover_events import CoverAccepted, CoverClaimPaid, CoverEnded, CoverOffered, PremiumPaid
from ringfence.core.pool.cover_state import CoverEndReason, CoverStatus, CoverTerms, PremiumSource
from ringfence.core.pool.events import BackstopAbsorbed, InsuranceDrawn, LossSocialised
from ringfence.core.pool.liquidation_policy import LiquidationPolicy
from ringfence.core.units import WAD
from support.authority import ADMIN
from support.liquidation import PolicyVenue
from support.venue import ETH, MARKET_PARAMS, POOL, POOL_PARAMS, SECOND_NS, USDC, none_of, only

DAY_NS = 86_400 * SECOND_NS
TIMELOCK_NS = 2 * DAY_NS
"""The test venues' governance timelock (``support.authority.bootstrap``: Compound's two days)."""
UNDERWRITER = "uw"


def _terms(
    cover_usdc: int,
    deductible_usdc: int,
    premium_atoms: int = 100 * USDC,
    period_ns: int = DAY_NS,
    periods: int = 30,
    source: PremiumSource = PremiumSource.INSURANCE_FUND,
) -> CoverTerms:
    return CoverTerms(cover_usdc * USDC, deductible_usdc * USDC, premium_atoms, period_ns, periods, source)


def _with_governors(venue: PolicyVenue) -> PolicyVenue:
    venue.run(GrantRole(ADMIN, Role.PROPOSER, "council", venue.now))
    venue.run(GrantRole(ADMIN, Role.EXECUTOR, "exec", venue.now))
    return venue


def _through_governance(venue: PolicyVenue, change: AcceptCover | CancelCover) -> tuple[Event, ...]:
    """Propose ``change`` (the council), let the timelock pass at ETH 2000, execute it (exec)."""
    governance = venue.state.governance
    assert governance is not None
    proposal_id = governance.next_proposal_id
    venue.run(ProposeVenueChange("council", change, venue.now))
    venue.quote_prices(2_000 * WAD, advance_ns=TIMELOCK_NS)
    return venue.run(ExecuteProposal("exec", proposal_id, venue.now))


def _covered(
    terms: CoverTerms, *, insurance_atoms: int, policy: LiquidationPolicy, spare_atoms: int = 0, pool: str = POOL
) -> tuple[PolicyVenue, tuple[Event, ...]]:
    """Return a venue whose pool bought ``terms`` from ``uw`` (policy 1), and the acceptance's events."""
    venue = _with_governors(PolicyVenue(policy, insurance_atoms=insurance_atoms))
    venue.deposit(UNDERWRITER, terms.cover_limit_atoms + spare_atoms)
    venue.run(OfferCover(UNDERWRITER, 0, pool, terms, venue.now))
    return venue, _through_governance(venue, AcceptCover(pool, 1, venue.now))


def _open_bankrupt_longs(venue: PolicyVenue, *owners: str) -> None:
    for owner in owners:
        venue.open_isolated(owner, 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_500 * WAD)


def _position(events: tuple[Event, ...], kind: type[object]) -> int:
    return next(index for index, event in enumerate(events) if isinstance(event, kind))


# --- order and cap in the waterfall --------------------------------------------------------------------


def test_a_shortfall_takes_the_fund_then_the_cover_past_its_deductible_up_to_its_limit_then_the_lp_steps() -> None:
    # Arrange: fund 1_100 USDC, of which the first premium (100) buys cover of 1_200 with a 300 deductible:
    # the fund holds 1_000 = its draw cap. Backstop budget 500 per window, no auto-deleveraging.
    policy = LiquidationPolicy(backstop_loss_cap_atoms=500 * USDC, auto_deleverage=False)
    venue, accepted = _covered(_terms(1_200, 300), insurance_atoms=1_100 * USDC, policy=policy, spare_atoms=50 * USDC)
    assert only(accepted, PremiumPaid).amount_atoms == 100 * USDC
    pool = venue.state.pools[POOL]
    assert pool.insurance_atoms == 1_000 * USDC  # 1_100 − 100
    assert venue.balance(UNDERWRITER) == 150 * USDC  # 50 spare + the premium 100; 1_200 locked in the policy
    _open_bankrupt_longs(venue, "bob")
    vault_before = pool.vault_atoms

    # Act: bob's shortfall 20_000.1 − 15_000 − 2_100 = 2_900.1 USDC
    events = venue.liquidate("bob")

    # Assert: fund min(2_900.1, cap 1_000, fund 1_000) = 1_000; 1_900.1 reaches the cover: the pool retains
    # its deductible 300, the cover pays min(1_900.1 − 300, 1_200) = 1_200 (its limit, all its capital);
    # 2_900.1 − 1_000 − 1_200 = 700.1 goes on: the backstop budget takes 500, the LPs the last 200.1
    assert only(events, InsuranceDrawn).amount_atoms == 1_000_000_000
    assert only(events, CoverClaimPaid) == CoverClaimPaid(
        pool=POOL,
        policy_id=1,
        residual_atoms=1_900_100_000,
        retained_atoms=300_000_000,
        amount_atoms=1_200_000_000,
        capital_left_atoms=0,
        timestamp_ns=venue.now,
    )
    assert only(events, BackstopAbsorbed).amount_atoms == 500_000_000
    assert only(events, LossSocialised).amount_atoms == 200_100_000
    order = [_position(events, kind) for kind in (InsuranceDrawn, CoverClaimPaid, BackstopAbsorbed, LossSocialised)]
    assert order == sorted(order)
    # the LP vault got bob's margin 2_100 (his loss 5_000.1 less the shortfall 2_900.1), the fund's 1_000 and
    # the cover's 1_200
    assert pool.vault_atoms - vault_before == (2_100 + 1_000 + 1_200) * USDC
    assert pool.cover_policies[1].capital_atoms == 0
    assert venue.balance(UNDERWRITER) == 150 * USDC  # a claim never reaches the underwriter's account

    # Act 2: exhausted, the policy ends on the next crank (anyone's) and returns nothing
    ended = only(venue.run(AccruePremium("anyone", POOL, 1, venue.now)), CoverEnded)

    # Assert 2
    assert (ended.reason, ended.capital_returned_atoms, ended.claims_paid_atoms) == (
        CoverEndReason.EXHAUSTED,
        0,
        1_200_000_000,
    )
    assert pool.cover_policies == {}
    venue.assert_replay_equals_live()


def test_cover_below_its_limit_leaves_the_lps_untouched_and_returns_its_capital_net_of_claims_at_expiry() -> None:
    # Arrange: one period of one day, cover 5_000, no deductible; the fund (100) pays the premium and is empty
    venue, _ = _covered(
        _terms(5_000, 0, periods=1), insurance_atoms=100 * USDC, policy=LiquidationPolicy(auto_deleverage=False)
    )
    _open_bankrupt_longs(venue, "bob")

    # Act: shortfall 2_900.1, fund empty
    events = venue.liquidate("bob")

    # Assert: the cover pays all of it: min(2_900.1 − 0, 5_000); nothing for the backstop or the LPs
    assert none_of(events, InsuranceDrawn)
    claim = only(events, CoverClaimPaid)
    assert (claim.residual_atoms, claim.retained_atoms, claim.amount_atoms) == (2_900_100_000, 0, 2_900_100_000)
    assert claim.capital_left_atoms == 2_099_900_000  # 5_000 − 2_900.1
    assert none_of(events, BackstopAbsorbed) and none_of(events, LossSocialised)
    assert venue.state.pools[POOL].socialised_loss_atoms == 0

    # Act 2: a day later the single period is over; anyone ends it
    venue.quote_prices(1_500 * WAD, advance_ns=DAY_NS)
    ended = only(venue.run(AccruePremium("anyone", POOL, 1, venue.now)), CoverEnded)

    # Assert 2: 2_099.9 back to the underwriter, who also kept the premium 100
    assert (ended.reason, ended.capital_returned_atoms, ended.premium_refund_atoms) == (
        CoverEndReason.EXPIRED,
        2_099_900_000,
        0,
    )
    assert venue.balance(UNDERWRITER) == 100 * USDC + 2_099_900_000
    venue.assert_replay_equals_live()


# --- the deductible: per premium period, in aggregate ----------------------------------------------


def test_the_deductible_is_retained_once_per_period_across_liquidations_and_an_unpaid_period_is_not_covered() -> None:
    # Arrange: cover 10_000 with a 4_000 deductible per one-day period; the fund's 100 pays the first premium
    # and is empty, so every shortfall reaches the cover whole. No backstop budget, no ADL: the rest is socialised.
    venue, _ = _covered(
        _terms(10_000, 4_000), insurance_atoms=100 * USDC, policy=LiquidationPolicy(auto_deleverage=False)
    )
    _open_bankrupt_longs(venue, "bob", "carol", "dan", "eve")
    pool = venue.state.pools[POOL]

    # Act 1 / Assert 1: bob's 2_900.1 is all deductible: retained, paid 0, socialised
    bob = venue.liquidate("bob")
    assert only(bob, CoverClaimPaid).retained_atoms == 2_900_100_000
    assert only(bob, CoverClaimPaid).amount_atoms == 0
    assert only(bob, LossSocialised).amount_atoms == 2_900_100_000

    # Act 2 / Assert 2: same period: 4_000 − 2_900.1 = 1_099.9 of deductible left; carol's 2_900.3 − 1_099.9 =
    # 1_800.4 is paid, 1_099.9 socialised, 10_000 − 1_800.4 = 8_199.6 left
    carol = venue.liquidate("carol")
    assert only(carol, CoverClaimPaid) == CoverClaimPaid(
        pool=POOL,
        policy_id=1,
        residual_atoms=2_900_300_000,
        retained_atoms=1_099_900_000,
        amount_atoms=1_800_400_000,
        capital_left_atoms=8_199_600_000,
        timestamp_ns=venue.now,
    )
    assert only(carol, LossSocialised).amount_atoms == 1_099_900_000

    # Act 3 / Assert 3: a day later period 1 has begun and nobody paid it: no cover for dan's 2_900.5
    venue.quote_prices(1_500 * WAD, advance_ns=DAY_NS)
    dan = venue.liquidate("dan")
    assert none_of(dan, CoverClaimPaid)
    assert only(dan, LossSocialised).amount_atoms == 2_900_500_000

    # Act 4 / Assert 4: the lp refills the fund, anyone pays period 1; its deductible starts again at 4_000,
    # so eve's 2_900.7 is all retained
    venue.deposit("lp", 100 * USDC)
    venue.run(FundInsurance("lp", 0, POOL, 100 * USDC, venue.now))
    paid = only(venue.run(AccruePremium("anyone", POOL, 1, venue.now)), PremiumPaid)
    assert (paid.period, paid.amount_atoms) == (1, 100 * USDC)
    eve = venue.liquidate("eve")
    assert only(eve, CoverClaimPaid).retained_atoms == 2_900_700_000
    assert only(eve, CoverClaimPaid).amount_atoms == 0
    assert pool.cover_policies[1].capital_atoms == 8_199_600_000
    venue.assert_replay_equals_live()


# --- premiums --------------------------------------------------------------------------------------------


def test_premiums_are_paid_per_period_in_advance_and_cover_lapses_when_the_fund_cannot_pay() -> None:
    # Arrange: premium 100 per day for 3 days from a fund of 250; acceptance paid day 0 (fund 150)
    venue, accepted = _covered(_terms(1_000, 0, periods=3), insurance_atoms=250 * USDC, policy=LiquidationPolicy())
    started = only(accepted, CoverAccepted).timestamp_ns
    assert only(accepted, PremiumPaid).covered_until_ns == started + DAY_NS
    pool = venue.state.pools[POOL]

    # Act / Assert: nothing is due while day 0 is paid
    venue.refuse(AccruePremium("anyone", POOL, 1, venue.now), CommandRejected, "the next premium is due then")

    # day 1: paid from the fund (150 − 100 = 50), cover until the end of day 1
    venue.quote_prices(2_000 * WAD, advance_ns=DAY_NS)
    paid = only(venue.run(AccruePremium("anyone", POOL, 1, venue.now)), PremiumPaid)
    assert (paid.period, paid.amount_atoms, paid.covered_until_ns) == (1, 100 * USDC, started + 2 * DAY_NS)
    assert pool.insurance_atoms == 50 * USDC

    # day 2: the fund holds 50 < 100: the policy lapses, its whole capital returns, the premiums stay earned
    venue.quote_prices(2_000 * WAD, advance_ns=DAY_NS)
    ended = only(venue.run(AccruePremium("anyone", POOL, 1, venue.now)), CoverEnded)
    assert (ended.reason, ended.capital_returned_atoms) == (CoverEndReason.LAPSED, 1_000 * USDC)
    assert pool.insurance_atoms == 50 * USDC
    assert venue.balance(UNDERWRITER) == (1_000 + 200) * USDC
    venue.assert_replay_equals_live()


def test_a_premium_from_protocol_fees_the_pool_does_not_have_is_refused_at_proposal() -> None:
    venue = _with_governors(PolicyVenue())
    venue.deposit(UNDERWRITER, 1_000 * USDC)
    venue.run(OfferCover(UNDERWRITER, 0, POOL, _terms(1_000, 0, source=PremiumSource.PROTOCOL_FEES), venue.now))

    venue.refuse(
        ProposeVenueChange("council", AcceptCover(POOL, 1, venue.now), venue.now),
        CommandRejected,
        "protocol_fees holds 0 quote atoms, less than the first premium 100000000",
    )


# --- cancellation by the pool --------------------------------------------------------------------------


def test_a_cancellation_refunds_the_unearned_premium_rounded_against_the_pool_and_returns_the_rest() -> None:
    # Arrange: premium 100.000001 USDC per 10-day period; accepted at t, cancellation proposed at once
    premium = 100_000_001
    terms = _terms(1_000, 0, premium_atoms=premium, period_ns=10 * DAY_NS, periods=3)
    venue, _ = _covered(terms, insurance_atoms=premium, policy=LiquidationPolicy())

    # Act: executed after the two-day timelock
    ended = only(_through_governance(venue, CancelCover(POOL, 1, venue.now)), CoverEnded)

    # Assert: 2 of 10 days used: earned ⌈100_000_001·2/10⌉ = ⌈20_000_000.2⌉ = 20_000_001 (against the pool that
    # paid), refund 100_000_001 − 20_000_001 = 80_000_000 from the capital, the rest 920_000_000 back
    assert (ended.reason, ended.premium_refund_atoms, ended.capital_returned_atoms) == (
        CoverEndReason.CANCELLED,
        80_000_000,
        920_000_000,
    )
    assert venue.state.pools[POOL].insurance_atoms == 80_000_000
    assert venue.balance(UNDERWRITER) == premium + 920_000_000
    venue.assert_replay_equals_live()


# --- who may do what ------------------------------------------------------------------------------------


def test_the_pool_accepts_cover_only_through_governance_and_an_accepted_policy_binds_the_underwriter() -> None:
    venue = _with_governors(PolicyVenue(insurance_atoms=100 * USDC))
    venue.deposit(UNDERWRITER, 1_000 * USDC)
    offered = only(venue.run(OfferCover(UNDERWRITER, 0, POOL, _terms(1_000, 0), venue.now)), CoverOffered)
    assert offered.policy_id == 1
    assert venue.balance(UNDERWRITER) == 0

    # the admin cannot accept it directly once the venue is open; mallory cannot withdraw uw's offer
    venue.refuse(AcceptCover(POOL, 1, venue.now), GenesisClosed, "ProposeVenueChange")
    venue.refuse(
        WithdrawCoverOffer(UNDERWRITER, 0, POOL, 1, venue.now),
        ActingAsAnother,
        "'mallory' sent a command whose",
        sender="mallory",
    )
    venue.refuse(WithdrawCoverOffer("mallory", 0, POOL, 1, venue.now), UnknownEntity, "cover offer of mallory/0")

    # accepted through the timelock, the underwriter can no longer take its capital back
    _through_governance(venue, AcceptCover(POOL, 1, venue.now))
    assert venue.state.pools[POOL].cover_policies[1].status is CoverStatus.ACTIVE
    venue.refuse(WithdrawCoverOffer(UNDERWRITER, 0, POOL, 1, venue.now), CommandRejected, "was accepted")


def test_an_offer_needs_the_capital_and_can_be_withdrawn_before_acceptance_with_a_stale_proposal_left() -> None:
    venue = _with_governors(PolicyVenue(insurance_atoms=100 * USDC))
    venue.deposit(UNDERWRITER, 999 * USDC)
    venue.refuse(OfferCover(UNDERWRITER, 0, POOL, _terms(1_000, 0), venue.now), InsufficientBalance, "uw/0")

    venue.run(OfferCover(UNDERWRITER, 0, POOL, _terms(999, 0), venue.now))
    venue.run(ProposeVenueChange("council", AcceptCover(POOL, 1, venue.now), venue.now))
    ended = only(venue.run(WithdrawCoverOffer(UNDERWRITER, 0, POOL, 1, venue.now)), CoverEnded)

    assert (ended.reason, ended.capital_returned_atoms) == (CoverEndReason.WITHDRAWN, 999 * USDC)
    assert venue.balance(UNDERWRITER) == 999 * USDC
    venue.quote_prices(2_000 * WAD, advance_ns=TIMELOCK_NS)
    venue.refuse(ExecuteProposal("exec", 1, venue.now), ProposalNotExecutable, "no longer validates")


# --- isolation of the underwriter's capital per policy --------------------------------------------------


def test_a_claim_in_one_pool_never_touches_the_underwriters_policy_in_another_pool_nor_its_account() -> None:
    # Arrange: uw covers pool P (1_000) and pool Q (1_000), each from its own fund's premium of 100
    policy = LiquidationPolicy(auto_deleverage=False)
    venue = PolicyVenue(policy, insurance_atoms=100 * USDC, in_genesis=True)
    venue.run(CreatePool("Q", "perp", 1, dataclasses.replace(POOL_PARAMS, liquidation=policy), venue.now))
    venue.run(AddMarket("Q", MARKET_PARAMS, venue.now))
    venue.finish_genesis()
    _with_governors(venue)
    venue.deposit("lp", 100 * USDC)
    venue.run(FundInsurance("lp", 0, "Q", 100 * USDC, venue.now))
    venue.deposit(UNDERWRITER, 2_000 * USDC + 7)
    for pool_id in (POOL, "Q"):
        venue.run(OfferCover(UNDERWRITER, 0, pool_id, _terms(1_000, 0), venue.now))
        venue.run(ProposeVenueChange("council", AcceptCover(pool_id, 1, venue.now), venue.now))
    venue.quote_prices(2_000 * WAD, advance_ns=TIMELOCK_NS)
    for proposal_id in (1, 2):
        venue.run(ExecuteProposal("exec", proposal_id, venue.now))
    _open_bankrupt_longs(venue, "bob")
    pool_q_before = copy.deepcopy(venue.state.pools["Q"])
    account_before = venue.balance(UNDERWRITER)
    assert account_before == 200 * USDC + 7  # 7 spare + two premiums

    # Act: bob's 2_900.1 in P exhausts P's policy: it pays 1_000, the other 1_900.1 is socialised in P
    events = venue.liquidate("bob")

    # Assert
    assert only(events, CoverClaimPaid).amount_atoms == 1_000 * USDC
    assert only(events, LossSocialised).amount_atoms == 1_900_100_000
    assert venue.state.pools["Q"] == pool_q_before
    assert venue.state.pools["Q"].cover_policies[1].capital_atoms == 1_000 * USDC
    assert venue.balance(UNDERWRITER) == account_before
    venue.assert_replay_equals_live()


# --- several policies: layers in the order the pool accepted them ---------------------------------------


@pytest.mark.parametrize(
    ("executed", "expected"),
    [
        # policy 1 first: it retains 500 and pays min(2_900.1 − 500, 1_000) = 1_000; policy 2 sees
        # 2_900.1 − 1_000 = 1_900.1 (policy 1's deductible included) and pays all of it
        ((1, 2), [(1, 2_900_100_000, 500_000_000, 1_000_000_000), (2, 1_900_100_000, 0, 1_900_100_000)]),
        # policy 2 first: no deductible, it pays min(2_900.1, 5_000) = 2_900.1; nothing reaches policy 1
        ((2, 1), [(2, 2_900_100_000, 0, 2_900_100_000)]),
    ],
)
def test_two_policies_pay_in_the_order_the_pool_accepted_them_each_on_what_the_one_before_left(
    executed: tuple[int, int], expected: list[tuple[int, int, int, int]]
) -> None:
    # Arrange: the fund's 200 pays both premiums and is empty. Policy 1 (uw): cover 1_000 past a 500
    # deductible; policy 2 (vic): cover 5_000, no deductible. Accepted one second apart, in ``executed`` order.
    venue = _with_governors(PolicyVenue(LiquidationPolicy(auto_deleverage=False), insurance_atoms=200 * USDC))
    for policy_id, owner, terms in ((1, UNDERWRITER, _terms(1_000, 500)), (2, "vic", _terms(5_000, 0))):
        venue.deposit(owner, terms.cover_limit_atoms)
        venue.run(OfferCover(owner, 0, POOL, terms, venue.now))
        venue.run(ProposeVenueChange("council", AcceptCover(POOL, policy_id, venue.now), venue.now))
    venue.quote_prices(2_000 * WAD, advance_ns=TIMELOCK_NS)
    for proposal_id in executed:
        venue.run(ExecuteProposal("exec", proposal_id, venue.now))
        venue.quote_prices(2_000 * WAD)
    _open_bankrupt_longs(venue, "bob")

    # Act: shortfall 2_900.1, fund empty
    claims = [event for event in venue.liquidate("bob") if isinstance(event, CoverClaimPaid)]

    # Assert: nothing reaches the LPs either way
    assert [(c.policy_id, c.residual_atoms, c.retained_atoms, c.amount_atoms) for c in claims] == expected
    assert venue.state.pools[POOL].socialised_loss_atoms == 0
    venue.assert_replay_equals_live()
