"""``decide`` for the credit-line commands: opening a line (a venue change) and repaying one."""

from __future__ import annotations

from ringfence.core.errors import CommandRejected, DuplicateEntity, InvalidParameter, UnknownEntity, VenueNotOpen
from ringfence.core.events import Event
from ringfence.core.liquidation.credit_line import repayment
from ringfence.core.pool.credit_line_commands import OpenCreditLine, RepayCreditLine
from ringfence.core.pool.credit_line_events import CreditLineOpened, CreditLineRepaid
from ringfence.core.pool.credit_lines import line_view
from ringfence.core.pool.decide import check_reserve, pool_of
from ringfence.core.pool.state import PoolStatus
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD
from ringfence.core.validation import check_amount, check_name, check_ratio

__all__ = ["MAX_RATE_PER_YEAR_WAD", "decide_open_credit_line", "decide_repay_credit_line"]

MAX_RATE_PER_YEAR_WAD = 10 * WAD
"""Highest yearly rate a line may carry (1,000%): a bound against a typo, not a market rate."""


def decide_open_credit_line(state: LedgerState, command: OpenCreditLine) -> list[Event]:
    """Validate a line and commit its cap from the lender pool's vault cash.

    The lender must hold the cap in cash and keep its own reserve without it
    (``reserve_factor · (vault − cap)`` still covers its net exposure); both pools must share
    their quote asset; a pool never lends to itself.
    """
    check_name("line", command.line)
    if command.line in state.credit_lines:
        raise DuplicateEntity("credit line", command.line)
    lender = pool_of(state, command.lender_pool)
    borrower = pool_of(state, command.borrower_pool)
    if lender.pool == borrower.pool:
        raise InvalidParameter("borrower_pool", command.borrower_pool, "a pool other than the lender")
    if lender.params.quote_asset != borrower.params.quote_asset:
        raise InvalidParameter(
            "borrower_pool",
            command.borrower_pool,
            f"a pool quoted in {lender.params.quote_asset}, as the lender (it is {borrower.params.quote_asset})",
        )
    check_amount("cap_atoms", command.cap_atoms)
    check_ratio("rate_per_year_wad", command.rate_per_year_wad, 0, MAX_RATE_PER_YEAR_WAD)
    if lender.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {lender.pool} is halted ({lender.status_reason}); governance must resume it")
    if lender.vault_atoms < command.cap_atoms:
        raise CommandRejected(
            f"pool {lender.pool} holds {max(lender.vault_atoms, 0)} quote atoms of cash, less than the cap "
            f"{command.cap_atoms}; lower the cap or wait for more liquidity"
        )
    check_reserve(state, lender, lender.vault_atoms - command.cap_atoms, command.timestamp_ns)
    return [
        CreditLineOpened(
            line=command.line,
            lender_pool=lender.pool,
            borrower_pool=borrower.pool,
            quote_asset=lender.params.quote_asset,
            cap_atoms=command.cap_atoms,
            rate_per_year_wad=command.rate_per_year_wad,
            timestamp_ns=command.timestamp_ns,
        )
    ]


def decide_repay_credit_line(state: LedgerState, command: RepayCreditLine) -> list[Event]:
    """Repay a line from the borrower pool's vault cash: interest owed, principal, then what was impaired."""
    if state.governance is None or state.governance.opened_ns is None:
        raise VenueNotOpen(f"send {type(command).__name__}")
    line = state.credit_lines.get(command.line)
    if line is None:
        raise UnknownEntity("credit line", command.line, tuple(state.credit_lines))
    borrower = state.pools[line.borrower_pool]
    if borrower.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {borrower.pool} is halted ({borrower.status_reason}); governance must resume it")
    now = command.timestamp_ns
    if now < line.accrued_ns:
        raise InvalidParameter("timestamp_ns", now, f"a time at or after the line's last accrual ({line.accrued_ns})")
    view = line_view(line, now)
    paid = repayment(borrower.vault_atoms, view.interest_owed_atoms, line.principal_atoms)
    cash_left = borrower.vault_atoms - paid.interest_atoms - paid.principal_atoms
    recovered = repayment(cash_left, line.interest_written_off_atoms, line.principal_written_off_atoms)
    if not any((*paid, *recovered)):
        raise CommandRejected(
            f"nothing to repay on line {line.line}: pool {borrower.pool} owes {view.claim_atoms} quote atoms and "
            f"holds {max(borrower.vault_atoms, 0)} in cash"
        )
    return [
        *view.accrual(now),
        CreditLineRepaid(
            line=line.line,
            borrower_pool=borrower.pool,
            interest_atoms=paid.interest_atoms,
            principal_atoms=paid.principal_atoms,
            recovered_interest_atoms=recovered.interest_atoms,
            recovered_principal_atoms=recovered.principal_atoms,
            timestamp_ns=now,
        ),
    ]
