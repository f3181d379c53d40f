"""Credit lines between pools (issue 14 item 3), with worked numbers.

Premises (``support.venue``): USDC (6 decimals) and ETH at 2,000; pool ``P`` lists the ETH perp
(IM 10%, MM 5%, no fee, spread or funding, a skew scale so large that no fill moves off the
oracle; reserve factor 100%); pool ``L`` has the same
parameters and no market. ``lp`` provides 100,000 USDC to ``L`` and ``P``'s LP capital per test.
A line ``L → P`` of 50,000 USDC at 10% a year is opened by proposal (the venue is open), so the
timelock (2 days) passes first. Every expected number is worked by hand in a comment.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from ringfence.core.errors import (
    CommandRejected,
    CreditLineAlreadyClosed,
    CreditLineCapBelowDrawn,
    CreditLineOutstanding,
    DuplicateEntity,
    GenesisClosed,
    InvalidParameter,
    ProposalNotExecutable,
    Unauthorized,
    UnknownEntity,
)
from ringfence.core.governance.commands import ExecuteProposal, GrantRole, ProposeVenueChange
from ringfence.core.governance.state import DEFAULT_SETTINGS, Role
from ringfence.core.pool.commands import CreatePool, ProvideLiquidity, RemoveLiquidity
from ringfence.core.pool.credit_line_commands import (
    CloseCreditLine,
    LowerCreditLineCap,
    OpenCreditLine,
    RepayCreditLine,
)
from ringfence.core.pool.credit_line_events import (
    CreditLineAccrued,
    CreditLineCapLowered,
    CreditLineClosed,
    CreditLineDrawn,
    CreditLineOpened,
    CreditLineRepaid,
    CreditLineWrittenDown,
    DrawReason,
)
from ringfence.core.pool.decide import pool_nav_atoms
from ringfence.core.pool.events import LossSocialised, PositionLiquidated, TradeFilled
from ringfence.core.pool.state import MarginMode
from support.authority import ADMIN
from support.venue import ETH, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, WAD, Venue, none_of, only

LENDER = "L"
LINE = "L-to-P"
DAY_NS = 86_400 * 10**9
MARKET = dataclasses.replace(MARKET_PARAMS, skew_scale_atoms=2**128 - 1)


def venue(borrower_lp_usd: int) -> Venue:
    """Return the venue with pool L (100,000 USDC of LPs) and pool P (``borrower_lp_usd``), open, no line yet."""
    built = Venue(POOL_PARAMS, MARKET, lp_atoms=borrower_lp_usd * USDC, in_genesis=True)
    built.run(CreatePool(LENDER, "perp", 1, POOL_PARAMS, built.now))
    built.finish_genesis()
    built.deposit("lp", 100_000 * USDC, sub=1)
    built.run(ProvideLiquidity("lp", 1, LENDER, 100_000 * USDC, built.now))
    built.run(GrantRole(ADMIN, Role.PROPOSER, "council", built.now))
    built.run(GrantRole(ADMIN, Role.EXECUTOR, "exec", built.now))
    return built


def open_line(
    built: Venue, cap_usd: int = 50_000, rate_wad: int = 10 * PERCENT, line: str = LINE
) -> tuple[object, ...]:
    """Propose the line, let the timelock pass (prices quoted again), execute it; return the execution's events."""
    change = OpenCreditLine(line, LENDER, POOL, cap_usd * USDC, rate_wad, built.now)
    built.run(ProposeVenueChange("council", change, built.now))
    proposal_id = built.state.governance.next_proposal_id - 1 if built.state.governance else 0
    built.quote_prices(2_000 * WAD, advance_ns=DEFAULT_SETTINGS.timelock_ns)
    return built.run(ExecuteProposal("exec", proposal_id, built.now))


def test_opening_moves_the_cap_from_the_lenders_vault_into_the_line_and_keeps_its_nav() -> None:
    built = venue(10_000)
    nav_before = pool_nav_atoms(built.state, built.state.pools[LENDER], built.now)

    events = open_line(built)

    assert only(events, CreditLineOpened) == CreditLineOpened(
        line=LINE,
        lender_pool=LENDER,
        borrower_pool=POOL,
        quote_asset="USDC",
        cap_atoms=50_000 * USDC,
        rate_per_year_wad=10 * PERCENT,
        timestamp_ns=built.now,
    )
    assert built.state.pools[LENDER].vault_atoms == 50_000 * USDC  # 100,000 − 50,000 committed
    assert built.state.credit_lines[LINE].undrawn_atoms == 50_000 * USDC
    assert nav_before == (100_000 * USDC, 100_000 * USDC)
    assert pool_nav_atoms(built.state, built.state.pools[LENDER], built.now) == nav_before
    built.assert_replay_equals_live()


def test_the_room_of_a_line_lets_the_borrower_carry_more_exposure_than_its_vault() -> None:
    # 10 ETH long at 2,000 is 20,000 of net exposure: more than P's 10,000 vault (reserve 100%) ...
    without = venue(10_000)
    without.deposit("alice", 10_000 * USDC)
    without.refuse(without.trade_command("alice", 10 * ETH), CommandRejected, "against a reserve of 10000000000")
    # ... but within vault + room = 60,000 once L's line is open
    built = venue(10_000)
    open_line(built)
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 10 * ETH)


def test_a_profit_past_the_vaults_cash_draws_the_line_and_is_paid_in_full() -> None:
    built = venue(10_000)
    open_line(built)
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 10 * ETH)
    built.quote_prices(3_500 * WAD)

    events = built.run(built.trade_command("alice", -10 * ETH))

    # profit 10 · (3,500 − 2,000) = 15,000 less 1 atom (the long's basis was booked rounded up, against
    # it); the vault holds 10,000: 4,999.999999 drawn
    assert only(events, CreditLineDrawn) == CreditLineDrawn(
        line=LINE, borrower_pool=POOL, amount_atoms=4_999_999_999, reason=DrawReason.PROFIT, timestamp_ns=built.now
    )
    assert only(events, TradeFilled).realised_pnl_atoms == 14_999_999_999
    assert built.state.pools[POOL].vault_atoms == 0
    line = built.state.credit_lines[LINE]
    assert (line.undrawn_atoms, line.principal_atoms) == (45_000_000_001, 4_999_999_999)
    built.assert_replay_equals_live()


def test_the_draw_cap_bounds_the_draw_and_the_rest_of_the_profit_is_forgone() -> None:
    built = venue(10_000)
    open_line(built, cap_usd=12_000)
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 10 * ETH)  # exposure 20,000 ≤ 10,000 + 12,000
    built.quote_prices(3_500 * WAD)
    built.quote_prices(5_000 * WAD)  # two steps: each inside the oracle's 90% jump guard

    events = built.run(built.trade_command("alice", -10 * ETH))

    # profit 30,000 (less an atom): the vault's 10,000 and the whole 12,000 line; the rest forgone
    assert only(events, CreditLineDrawn).amount_atoms == 12_000 * USDC
    assert only(events, TradeFilled).realised_pnl_atoms == 22_000 * USDC
    assert built.state.credit_lines[LINE].undrawn_atoms == 0


def test_interest_accrues_on_the_venue_clock_and_a_repayment_pays_it_first() -> None:
    built = venue(10_000)
    open_line(built)
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 10 * ETH)
    built.quote_prices(3_500 * WAD)
    built.run(built.trade_command("alice", -10 * ETH))  # 5,000 drawn, the vault is empty
    built.deposit("bob", 20_000 * USDC)
    built.trade("bob", -10 * ETH)  # a short at 3,500
    built.quote_prices(4_000 * WAD, advance_ns=30 * DAY_NS)
    built.trade("bob", 10 * ETH)  # bob loses 10 · 500 = 5,000 (and an atom: his basis rounded against him)

    events = built.run(RepayCreditLine("keeper", LINE, built.now))

    # 4,999.999999 · 10% · 30 / 365 = 41.09589040... USDC: 41,095,891 atoms, rounded up
    assert only(events, CreditLineAccrued).interest_atoms == 41_095_891
    assert only(events, CreditLineRepaid) == CreditLineRepaid(
        line=LINE,
        borrower_pool=POOL,
        interest_atoms=41_095_891,
        principal_atoms=4_958_904_110,  # the 5,000.000001 of cash less the interest
        recovered_interest_atoms=0,
        recovered_principal_atoms=0,
        timestamp_ns=built.now,
    )
    line = built.state.credit_lines[LINE]
    assert (line.undrawn_atoms, line.principal_atoms) == (49_958_904_111, 41_095_889)
    assert line.interest_collected_atoms == 41_095_891
    assert built.state.pools[POOL].vault_atoms == 0
    built.assert_replay_equals_live()


def test_lps_of_the_borrower_withdraw_only_the_cash_beyond_what_it_owes() -> None:
    built = venue(10_000)
    open_line(built)
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 10 * ETH)
    built.quote_prices(3_500 * WAD)
    built.run(built.trade_command("alice", -10 * ETH))  # vault 0, owes 5,000
    built.deposit("bob", 20_000 * USDC)
    built.trade("bob", -10 * ETH)  # a short at 3,500
    built.quote_prices(4_500 * WAD)
    built.trade("bob", 5 * ETH)  # realises 5 · 1,000 = 5,000 of loss: the vault holds 5,000

    # NAV ≈ 5,000 of cash − 5,000 owed + bob's open loss of 5,000 ≈ 5,000 for 10,000 shares, so 1,000
    # shares are worth about 500; but all the cash is owed to the line, senior to the LPs
    nav_low, _ = pool_nav_atoms(built.state, built.state.pools[POOL], built.now)
    assert 4_999 * USDC < nav_low <= 5_000 * USDC
    withdrawal = RemoveLiquidity("lp", 0, POOL, 1_000 * USDC, built.now)
    built.refuse(withdrawal, CommandRejected, "LPs may withdraw only the 0 quote atoms of cash beyond it")


def defaulted(with_bob: bool = False) -> Venue:
    """Return P (8,000 of LP capital) after carol's short won what alice's isolated long lost at 800.

    Carol's profit 10 · 1,200 = 12,000 (less an atom: her short's basis is booked against her) is
    paid from P's 8,000 of cash and 3,999.999999 drawn on the line. With ``with_bob``, bob holds a
    3 ETH cross long from 2,000 that he closes once alice is liquidated.
    """
    built = venue(8_000)
    open_line(built)
    built.deposit("alice", 2_001 * USDC)
    built.deposit("carol", 5_000 * USDC)
    built.trade("alice", 10 * ETH, MarginMode.ISOLATED, 2_001 * USDC)  # IM 10% of 20,000, and a dollar
    built.trade("carol", -10 * ETH, MarginMode.ISOLATED, 5_000 * USDC)
    if with_bob:
        built.deposit("bob", 5_000 * USDC)
        built.trade("bob", 3 * ETH)
    built.quote_prices(800 * WAD)
    drawn = only(built.run(built.trade_command("carol", 10 * ETH, MarginMode.ISOLATED)), CreditLineDrawn)
    assert drawn.amount_atoms == 3_999_999_999
    return built


def test_the_lender_loses_only_what_the_borrowers_lp_capital_could_not_bear() -> None:
    built = defaulted()

    events = built.liquidate("alice")

    # alice: loss 12,000.000001 on 2,001 of margin, shortfall 9,999.000001, all socialised to P's LPs
    # (no insurance, no backstop budget, nobody to deleverage). The vault gets her 2,001: 2,001 of cash
    # against 3,999.999999 owed, so P's LPs' 8,000 are gone and the lender is written down by the rest.
    assert only(events, PositionLiquidated).shortfall_atoms == 9_999_000_001
    assert only(events, LossSocialised).amount_atoms == 9_999_000_001
    assert only(events, CreditLineWrittenDown) == CreditLineWrittenDown(
        line=LINE,
        lender_pool=LENDER,
        borrower_pool=POOL,
        interest_atoms=0,
        principal_atoms=1_998_999_999,
        timestamp_ns=built.now,
    )
    assert built.state.pools[POOL].vault_atoms == 2_001 * USDC
    # the lender's NAV: 50,000 in its vault + 46,000.000001 undrawn + 2,001 still owed
    lender_nav = pool_nav_atoms(built.state, built.state.pools[LENDER], built.now)
    assert lender_nav == (98_001_000_001, 98_001_000_001)
    # P's 2,001 of cash repays what is still owed; the impaired 1,998.999999 stays a claim
    repaid = only(built.run(RepayCreditLine("keeper", LINE, built.now)), CreditLineRepaid)
    assert (repaid.principal_atoms, repaid.recovered_principal_atoms) == (2_001 * USDC, 0)
    line = built.state.credit_lines[LINE]
    assert (line.undrawn_atoms, line.principal_written_off_atoms) == (48_001_000_001, 1_998_999_999)
    built.assert_replay_equals_live()


def test_a_later_inflow_recovers_an_impairment_before_the_borrowers_lps_see_it() -> None:
    built = defaulted(with_bob=True)
    built.liquidate("alice")  # 1,998.999999 impaired, 2,001 owed, 2,001 of cash
    built.trade("bob", -3 * ETH)  # bob's loss 3 · 1,200 = 3,600.000001 (basis against him) comes in

    repaid = only(built.run(RepayCreditLine("keeper", LINE, built.now)), CreditLineRepaid)

    # 2,001 owed, then the 1,998.999999 impaired: of 5,601.000001 of cash, 1,601.000002 is left for P's LPs
    assert (repaid.principal_atoms, repaid.recovered_principal_atoms) == (2_001 * USDC, 1_998_999_999)
    line = built.state.credit_lines[LINE]
    assert (line.undrawn_atoms, line.principal_written_off_atoms) == (50_000 * USDC, 0)
    assert built.state.pools[POOL].vault_atoms == 1_601_000_002
    built.assert_replay_equals_live()


def test_lines_rank_by_opening_drawn_senior_first_and_written_down_junior_first() -> None:
    built = venue(8_000)
    open_line(built, cap_usd=2_000, line="senior")
    open_line(built, cap_usd=48_000, line="junior")
    built.deposit("alice", 2_001 * USDC)
    built.deposit("carol", 5_000 * USDC)
    built.trade("alice", 10 * ETH, MarginMode.ISOLATED, 2_001 * USDC)
    built.trade("carol", -10 * ETH, MarginMode.ISOLATED, 5_000 * USDC)
    built.quote_prices(800 * WAD)

    drawn = built.run(built.trade_command("carol", 10 * ETH, MarginMode.ISOLATED))
    written = built.liquidate("alice")

    # 3,999.999999 drawn: the senior line's whole 2,000 first, then 1,999.999999 of the junior one
    assert [(e.line, e.amount_atoms) for e in drawn if isinstance(e, CreditLineDrawn)] == [
        ("senior", 2_000 * USDC),
        ("junior", 1_999_999_999),
    ]
    # 2,001 of cash backs the senior 2,000 and 1 of the junior: the junior line takes the 1,998.999999
    assert [(e.line, e.principal_atoms) for e in written if isinstance(e, CreditLineWrittenDown)] == [
        ("junior", 1_998_999_999)
    ]


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (OpenCreditLine(LINE, LENDER, LENDER, USDC, 0, 0), InvalidParameter, "a pool other than the lender"),
        (OpenCreditLine(LINE, LENDER, "nowhere", USDC, 0, 0), UnknownEntity, "nowhere"),
        (OpenCreditLine(LINE, LENDER, POOL, 0, 0, 0), Exception, "cap_atoms"),
        (OpenCreditLine(LINE, LENDER, POOL, USDC, 11 * WAD, 0), Exception, "rate_per_year_wad"),
        (OpenCreditLine(LINE, LENDER, POOL, 100_001 * USDC, 0, 0), CommandRejected, "less than the cap"),
    ],
    ids=["self", "unknown-pool", "zero-cap", "rate-past-bound", "cap-past-cash"],
)
def test_a_bad_line_is_refused_at_proposal_and_changes_nothing(
    change: OpenCreditLine, error: type[Exception], match: str
) -> None:
    built = venue(10_000)
    built.refuse(ProposeVenueChange("council", change, built.now), error, match)


def test_a_second_line_of_the_same_name_is_refused() -> None:
    built = venue(10_000)
    open_line(built, cap_usd=1_000)
    change = OpenCreditLine(LINE, LENDER, POOL, USDC, 0, built.now)
    built.refuse(ProposeVenueChange("council", change, built.now), DuplicateEntity, LINE)


def test_repaying_with_nothing_owed_is_refused_and_an_unknown_line_too() -> None:
    built = venue(10_000)
    open_line(built)
    built.refuse(RepayCreditLine("keeper", LINE, built.now), CommandRejected, "nothing to repay")
    built.refuse(RepayCreditLine("keeper", "nope", built.now), UnknownEntity, "nope")


# --- lowering a line's cap and closing a line (venue changes, Aave v4 Hub.updateSpokeConfig) --------


def change_line(built: Venue, change: object) -> tuple[object, ...]:
    """Propose a change of a line, let the 2-day timelock pass (prices quoted again), execute it."""
    built.run(ProposeVenueChange("council", change, built.now))  # type: ignore[arg-type]
    proposal_id = built.state.governance.next_proposal_id - 1 if built.state.governance else 0
    built.quote_prices(built.state.oracles["ETH"].accepted_price_wad or 0, advance_ns=DEFAULT_SETTINGS.timelock_ns)
    return built.run(ExecuteProposal("exec", proposal_id, built.now))


def test_closing_an_undrawn_line_returns_the_whole_cap_to_the_lender_and_keeps_its_nav() -> None:
    built = venue(10_000)
    open_line(built)
    nav_before = pool_nav_atoms(built.state, built.state.pools[LENDER], built.now)

    events = change_line(built, CloseCreditLine(LINE, built.now))

    assert none_of(events, CreditLineRepaid)  # nothing was owed
    assert only(events, CreditLineClosed) == CreditLineClosed(
        line=LINE,
        lender_pool=LENDER,
        borrower_pool=POOL,
        returned_atoms=50_000 * USDC,
        interest_atoms=0,
        timestamp_ns=built.now,
    )
    assert built.state.pools[LENDER].vault_atoms == 100_000 * USDC  # 50,000 + the 50,000 committed
    line = built.state.credit_lines[LINE]
    assert (line.cap_atoms, line.undrawn_atoms, line.closed_ns) == (0, 0, built.now)
    assert pool_nav_atoms(built.state, built.state.pools[LENDER], built.now) == nav_before == (100_000 * USDC,) * 2
    # the borrower's reserve no longer counts the line's room: 20,000 of exposure on a 10,000 vault is refused
    built.deposit("alice", 10_000 * USDC)
    built.refuse(built.trade_command("alice", 10 * ETH), CommandRejected, "against a reserve of 10000000000")
    built.assert_replay_equals_live()


def drawn_then_repaid_by_bob(loss_price_usd: int | Fraction) -> Venue:
    """Return P after alice's profit drew 4,999.999999 on the line and bob's short lost at ``loss_price_usd``.

    As in the interest test: the vault is empty after alice's 15,000 profit; bob shorts 10 ETH at 3,500,
    the price moves to ``loss_price_usd`` over 30 days and bob closes, paying his loss into P's vault.
    """
    built = venue(10_000)
    open_line(built)
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 10 * ETH)
    built.quote_prices(3_500 * WAD)
    built.run(built.trade_command("alice", -10 * ETH))
    built.deposit("bob", 20_000 * USDC)
    built.trade("bob", -10 * ETH)
    built.quote_prices(int(loss_price_usd * WAD), advance_ns=30 * DAY_NS)
    built.trade("bob", 10 * ETH)
    return built


def test_closing_a_drawn_line_repays_everything_first_then_returns_cap_and_interest_to_the_lender() -> None:
    built = drawn_then_repaid_by_bob(4_500)  # bob loses 10 · 1,000 and an atom: P holds 10,000.000001
    assert built.state.pools[POOL].vault_atoms == 10_000_000_001

    events = change_line(built, CloseCreditLine(LINE, built.now))

    # executed 30 + 2 days after the draw: 4,999.999999 · 10% · 32 / 365 = 43.8356164... → 43,835,617 atoms (up)
    assert only(events, CreditLineAccrued).interest_atoms == 43_835_617
    assert only(events, CreditLineRepaid) == CreditLineRepaid(
        line=LINE,
        borrower_pool=POOL,
        interest_atoms=43_835_617,
        principal_atoms=4_999_999_999,
        recovered_interest_atoms=0,
        recovered_principal_atoms=0,
        timestamp_ns=built.now,
    )
    assert only(events, CreditLineClosed) == CreditLineClosed(
        line=LINE,
        lender_pool=LENDER,
        borrower_pool=POOL,
        returned_atoms=50_000 * USDC,
        interest_atoms=43_835_617,
        timestamp_ns=built.now,
    )
    # P: 10,000.000001 − 5,043.835616 = 4,956.164385; L: 50,000 + 50,000 + 43.835617
    assert built.state.pools[POOL].vault_atoms == 4_956_164_385
    assert built.state.pools[LENDER].vault_atoms == 100_043_835_617
    assert built.state.credit_lines[LINE].claim_atoms == 0
    built.assert_replay_equals_live()


def test_a_line_the_borrower_cannot_repay_does_not_close_and_nothing_changes() -> None:
    built = drawn_then_repaid_by_bob(4_000)  # bob loses 5,000.000001: less than the 5,041.09589 owed at 30 days

    error = built.refuse(
        ProposeVenueChange("council", CloseCreditLine(LINE, built.now), built.now),
        CreditLineOutstanding,
        "owes it 5041095890 quote atoms .* holds 5000000001 in cash; lower its cap to 4999999999",
    )

    assert isinstance(error, CreditLineOutstanding)
    assert (error.claim_atoms, error.cash_atoms, error.drawn_atoms) == (5_041_095_890, 5_000_000_001, 4_999_999_999)


def test_a_close_that_no_longer_validates_at_execution_is_not_executed_and_changes_nothing() -> None:
    # bob's loss 10 · 504.2 and an atom = 5,042.000001 of cash: above the 5,041.095890 owed after 30 days
    # (the proposal validates) but below the 5,043.835616 owed at execution, 2 days of interest later
    built = drawn_then_repaid_by_bob(Fraction(40_042, 10))
    built.run(ProposeVenueChange("council", CloseCreditLine(LINE, built.now), built.now))
    proposal_id = built.state.governance.next_proposal_id - 1 if built.state.governance else 0
    built.quote_prices(int(Fraction(40_042, 10) * WAD), advance_ns=DEFAULT_SETTINGS.timelock_ns)

    built.refuse(
        ExecuteProposal("exec", proposal_id, built.now),
        ProposalNotExecutable,
        "owes it 5043835616 quote atoms .* holds 5042000001 in cash",
    )


def test_the_cap_falls_to_what_is_drawn_and_no_lower_and_the_written_off_claim_is_still_recovered() -> None:
    built = defaulted(with_bob=True)
    built.liquidate("alice")  # 2,001 owed, 1,998.999999 impaired: 3,999.999999 of principal out of the line
    line = built.state.credit_lines[LINE]
    assert (line.principal_atoms, line.principal_written_off_atoms, line.undrawn_atoms) == (
        2_001 * USDC,
        1_998_999_999,
        46_000_000_001,
    )
    built.refuse(
        ProposeVenueChange("council", LowerCreditLineCap(LINE, LENDER, 3_999_999_998, built.now), built.now),
        CreditLineCapBelowDrawn,
        "a cap of at least 3999999999 would be accepted",
    )
    lender_vault = built.state.pools[LENDER].vault_atoms

    events = change_line(built, LowerCreditLineCap(LINE, LENDER, 3_999_999_999, built.now))

    # 50,000 − 3,999.999999 = 46,000.000001 of undrawn cash goes back to L's vault; the debt stays
    assert only(events, CreditLineCapLowered) == CreditLineCapLowered(
        line=LINE,
        lender_pool=LENDER,
        old_cap_atoms=50_000 * USDC,
        cap_atoms=3_999_999_999,
        released_atoms=46_000_000_001,
        timestamp_ns=built.now,
    )
    assert built.state.pools[LENDER].vault_atoms == lender_vault + 46_000_000_001
    line = built.state.credit_lines[LINE]
    assert (line.cap_atoms, line.undrawn_atoms, line.principal_atoms) == (3_999_999_999, 0, 2_001 * USDC)
    # bob's loss of 3,600.000001 comes in: the repayment takes interest, the 2,001 and the impaired 1,998.999999
    built.trade("bob", -3 * ETH)
    repaid = only(built.run(RepayCreditLine("keeper", LINE, built.now)), CreditLineRepaid)
    assert (repaid.principal_atoms, repaid.recovered_principal_atoms) == (2_001 * USDC, 1_998_999_999)
    assert built.state.credit_lines[LINE].undrawn_atoms == 3_999_999_999  # the lowered cap, whole again
    built.assert_replay_equals_live()


def test_a_lowered_cap_bounds_the_next_draw() -> None:
    built = venue(10_000)
    open_line(built)
    events = change_line(built, LowerCreditLineCap(LINE, LENDER, 12_000 * USDC, built.now))
    assert only(events, CreditLineCapLowered).released_atoms == 38_000 * USDC
    assert built.state.pools[LENDER].vault_atoms == 88_000 * USDC  # 50,000 + 38,000
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 10 * ETH)  # exposure 20,000 ≤ 10,000 + 12,000
    built.quote_prices(3_500 * WAD)
    built.quote_prices(5_000 * WAD)

    drawn = only(built.run(built.trade_command("alice", -10 * ETH)), CreditLineDrawn)

    assert drawn.amount_atoms == 12_000 * USDC  # the lowered cap, not the 50,000 opened


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (LowerCreditLineCap(LINE, LENDER, 50_000 * USDC, 0), InvalidParameter, "a cap below the line's"),
        (LowerCreditLineCap(LINE, LENDER, 60_000 * USDC, 0), InvalidParameter, "open another line"),
        (LowerCreditLineCap(LINE, POOL, USDC, 0), InvalidParameter, "the line's lender pool L"),
        (LowerCreditLineCap(LINE, LENDER, -1, 0), InvalidParameter, "cap_atoms"),
        (LowerCreditLineCap("nope", LENDER, USDC, 0), UnknownEntity, "nope"),
        (CloseCreditLine("nope", 0), UnknownEntity, "nope"),
    ],
    ids=["same-cap", "raise", "wrong-lender", "negative", "unknown-lower", "unknown-close"],
)
def test_a_bad_change_of_a_line_is_refused_at_proposal_and_changes_nothing(
    change: object, error: type[Exception], match: str
) -> None:
    built = venue(10_000)
    open_line(built)
    built.refuse(ProposeVenueChange("council", change, built.now), error, match)  # type: ignore[arg-type]


def test_a_closed_line_refuses_every_command_and_keeps_its_name() -> None:
    built = venue(10_000)
    open_line(built)
    change_line(built, CloseCreditLine(LINE, built.now))
    closed_at = built.now
    built.quote_prices(2_000 * WAD)
    for change in (CloseCreditLine(LINE, built.now), LowerCreditLineCap(LINE, LENDER, 0, built.now)):
        built.refuse(
            ProposeVenueChange("council", change, built.now), CreditLineAlreadyClosed, f"closed at {closed_at}"
        )
    built.refuse(RepayCreditLine("keeper", LINE, built.now), CreditLineAlreadyClosed, "open a new line")
    reopen = OpenCreditLine(LINE, LENDER, POOL, USDC, 0, built.now)
    built.refuse(ProposeVenueChange("council", reopen, built.now), DuplicateEntity, LINE)


def test_closing_a_line_once_the_venue_is_open_takes_a_proposal() -> None:
    built = venue(10_000)
    open_line(built)
    built.refuse(CloseCreditLine(LINE, built.now), GenesisClosed, "ProposeVenueChange", sender=ADMIN)
    built.refuse(
        ProposeVenueChange("alice", CloseCreditLine(LINE, built.now), built.now), Unauthorized, "proposer", "alice"
    )
