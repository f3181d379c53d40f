"""Properties of insurance cover in the waterfall, through the engine (docs/insurance.md).

For random cover terms, insurance funds, backstop budgets and cascades of bankruptcies within one
premium period:

- the waterfall splits every shortfall exactly: fund + cover + backstop + socialised = shortfall;
- the cover never pays more than its limit in total, nor more than what reached it past the deductible;
- the pool retains the whole deductible of the period before the cover pays an atom, and never more;
- the fund pays first: the cover is claimed only when the shortfall exceeds the fund's room;
- every asset is conserved (policy capital included) after every command, and replay equals live.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.governance.commands import ExecuteProposal, GrantRole, ProposeVenueChange
from ringfence.core.governance.state import Role
from ringfence.core.pool.cover_commands import AcceptCover, OfferCover
from ringfence.core.pool.cover_events import CoverClaimPaid
from ringfence.core.pool.cover_state import CoverTerms
from ringfence.core.pool.events import BackstopAbsorbed, InsuranceDrawn, LossSocialised, PositionLiquidated
from ringfence.core.pool.liquidation_policy import LiquidationPolicy
from ringfence.core.units import WAD
from support.authority import ADMIN
from support.liquidation import PolicyVenue
from support.venue import ETH, POOL, USDC

DAY_NS = 86_400 * 10**9
PREMIUM_ATOMS = 10 * USDC
OWNERS = ("bob", "carol", "dan", "eve")


def _sum(events: tuple[object, ...], kind: type[InsuranceDrawn | BackstopAbsorbed | LossSocialised]) -> int:
    return sum(event.amount_atoms for event in events if isinstance(event, kind))


@settings(max_examples=40, deadline=None)
@given(
    cover_usdc=st.integers(1, 6_000),
    deductible_usdc=st.integers(0, 4_000),
    fund_usdc=st.integers(0, 2_500),
    backstop_usdc=st.integers(0, 1_500),
    bankruptcies=st.integers(1, len(OWNERS)),
)
def test_cover_pays_past_the_periods_deductible_within_its_limit_and_the_waterfall_adds_up(
    cover_usdc: int, deductible_usdc: int, fund_usdc: int, backstop_usdc: int, bankruptcies: int
) -> None:
    # Arrange: the fund pays the premium (10 USDC) and keeps fund_usdc; policy accepted through governance
    policy = LiquidationPolicy(backstop_loss_cap_atoms=backstop_usdc * USDC, auto_deleverage=False)
    venue = PolicyVenue(policy, insurance_atoms=fund_usdc * USDC + PREMIUM_ATOMS)
    venue.run(GrantRole(ADMIN, Role.PROPOSER, "council", venue.now))
    venue.run(GrantRole(ADMIN, Role.EXECUTOR, "exec", venue.now))
    limit, deductible = cover_usdc * USDC, deductible_usdc * USDC
    venue.deposit("uw", limit)
    venue.run(OfferCover("uw", 0, POOL, CoverTerms(limit, deductible, PREMIUM_ATOMS, 30 * DAY_NS, 1), venue.now))
    venue.run(ProposeVenueChange("council", AcceptCover(POOL, 1, venue.now), venue.now))
    venue.quote_prices(2_000 * WAD, advance_ns=2 * DAY_NS)
    venue.run(ExecuteProposal("exec", 1, venue.now))
    for owner in OWNERS[:bankruptcies]:
        venue.open_isolated(owner, 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_500 * WAD)
    paid_total = retained_total = 0
    room = min(venue.state.pools[POOL].insurance_atoms, 1_000 * USDC)  # the hourly draw cap: one window

    for owner in OWNERS[:bankruptcies]:
        capital_before = venue.state.pools[POOL].cover_policies[1].capital_atoms

        # Act
        events = venue.liquidate(owner)

        # Assert
        shortfall = sum(event.shortfall_atoms for event in events if isinstance(event, PositionLiquidated))
        claims = [event for event in events if isinstance(event, CoverClaimPaid)]
        cover = sum(claim.amount_atoms for claim in claims)
        parts = _sum(events, InsuranceDrawn) + cover + _sum(events, BackstopAbsorbed) + _sum(events, LossSocialised)
        assert parts == shortfall
        assert _sum(events, InsuranceDrawn) == min(shortfall, room)
        for claim in claims:
            assert claim.residual_atoms == shortfall - min(shortfall, room)
            assert claim.amount_atoms <= min(claim.residual_atoms - claim.retained_atoms, capital_before)
            assert claim.capital_left_atoms == capital_before - claim.amount_atoms
            retained_total += claim.retained_atoms
            if claim.amount_atoms:
                assert retained_total == deductible  # the whole deductible first
        if shortfall > room:
            assert claims or (capital_before == 0 and deductible == retained_total)
        paid_total += cover
        assert retained_total <= deductible
        assert paid_total <= limit
        room -= _sum(events, InsuranceDrawn)

    assert venue.state.pools[POOL].cover_policies[1].capital_atoms == limit - paid_total
    venue.assert_replay_equals_live()
