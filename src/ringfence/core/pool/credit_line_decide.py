"""``decide`` for the credit-line commands: opening, lowering and closing a line (venue changes), and repaying one.

Who may lower or close a line follows Aave v4's hub (aave/aave-v4 ``src/hub/Hub.sol``): a spoke's
draw cap is set by ``Hub.updateSpokeConfig``, ``restricted`` to the hub's governance (its access
manager), at any time, also to zero and also below what the spoke owes; the debt stays owed and
``restore`` still repays it (``_validateRestore`` never reads the cap). The hub never unlists a
spoke. Here the venue's governance (the one both pools answer to) lowers and closes lines through
the same timelocked venue change that opens them. Because our lines are committed cash, the cap
cannot fall below the principal out of the line; closing, which Aave does not have, settles the
whole claim from the borrower's vault first and is refused while the borrower cannot pay it.
"""

from __future__ import annotations

from ringfence.core.errors import (
    CommandRejected,
    CreditLineAlreadyClosed,
    CreditLineCapBelowDrawn,
    CreditLineOutstanding,
    DuplicateEntity,
    InvalidParameter,
    UnknownEntity,
    VenueNotOpen,
)
from ringfence.core.events import Event
from ringfence.core.liquidation.credit_line import repayment
from ringfence.core.pool.credit_line_commands import (
    CloseCreditLine,
    LowerCreditLineCap,
    OpenCreditLine,
    RepayCreditLine,
)
from ringfence.core.pool.credit_line_events import (
    CreditLineCapLowered,
    CreditLineClosed,
    CreditLineOpened,
    CreditLineRepaid,
)
from ringfence.core.pool.credit_line_state import CreditLine
from ringfence.core.pool.credit_lines import line_view
from ringfence.core.pool.decide import check_reserve, pool_of
from ringfence.core.pool.state import PoolState, PoolStatus
from ringfence.core.state import LedgerState
from ringfence.core.units import MAX_ATOMS, WAD
from ringfence.core.validation import check_amount, check_int, check_name, check_ratio

__all__ = [
    "MAX_RATE_PER_YEAR_WAD",
    "decide_close_credit_line",
    "decide_lower_credit_line_cap",
    "decide_open_credit_line",
    "decide_repay_credit_line",
]

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
    line = _open_line(state, command.line)
    borrower = _borrower_not_halted(state, line)
    now = _at_or_after_accrual(line, command.timestamp_ns)
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


def _open_line(state: LedgerState, line_id: str) -> CreditLine:
    """Return the line, refusing an unknown one or one that was closed."""
    line = state.credit_lines.get(line_id)
    if line is None:
        raise UnknownEntity("credit line", line_id, tuple(state.credit_lines))
    if line.closed_ns is not None:
        raise CreditLineAlreadyClosed(line.line, line.closed_ns)
    return line


def _borrower_not_halted(state: LedgerState, line: CreditLine) -> PoolState:
    borrower = state.pools[line.borrower_pool]
    if borrower.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {borrower.pool} is halted ({borrower.status_reason}); governance must resume it")
    return borrower


def _at_or_after_accrual(line: CreditLine, now_ns: int) -> int:
    if now_ns < line.accrued_ns:
        raise InvalidParameter(
            "timestamp_ns", now_ns, f"a time at or after the line's last accrual ({line.accrued_ns})"
        )
    return now_ns


def decide_lower_credit_line_cap(state: LedgerState, command: LowerCreditLineCap) -> list[Event]:
    """Lower a line's cap: the released undrawn cash returns to the lender's vault (a venue change).

    The new cap lies in ``[drawn, cap)`` with ``drawn`` the principal out of the line (drawn and
    not repaid, written-off principal included): ``cap − new cap`` of undrawn cash is released.
    A cap at or below what the borrower owes with interest stops every further draw (Aave v4
    ``_validateDraw``); the debt stays owed and ``RepayCreditLine`` still repays it.
    """
    line = _open_line(state, command.line)
    if command.lender_pool != line.lender_pool:
        raise InvalidParameter("lender_pool", command.lender_pool, f"the line's lender pool {line.lender_pool}")
    check_int("cap_atoms", command.cap_atoms, 0, MAX_ATOMS)
    if command.cap_atoms >= line.cap_atoms:
        raise InvalidParameter(
            "cap_atoms", command.cap_atoms, f"a cap below the line's {line.cap_atoms}; to lend more, open another line"
        )
    drawn = line.principal_atoms + line.principal_written_off_atoms
    if command.cap_atoms < drawn:
        raise CreditLineCapBelowDrawn(line.line, command.cap_atoms, drawn)
    return [
        CreditLineCapLowered(
            line=line.line,
            lender_pool=line.lender_pool,
            old_cap_atoms=line.cap_atoms,
            cap_atoms=command.cap_atoms,
            released_atoms=line.cap_atoms - command.cap_atoms,
            timestamp_ns=command.timestamp_ns,
        )
    ]


def decide_close_credit_line(state: LedgerState, command: CloseCreditLine) -> list[Event]:
    """Close a line (a venue change): the borrower repays its whole claim, the line's cash returns to the lender.

    The claim (interest to now, principal, and what was written off) is repaid from the borrower
    pool's vault cash, senior to its LPs, in :func:`~ringfence.core.liquidation.credit_line.repayment`'s
    order; then the undrawn cash (now the whole cap) and every interest atom the line collected
    move to the lender's vault. Refused with :class:`~ringfence.core.errors.CreditLineOutstanding`
    when the cash cannot repay the whole claim: closing never forgives what a later inflow could
    still recover (the write-down at the end of the borrower's waterfall already impaired what its
    cash does not back).
    """
    line = _open_line(state, command.line)
    borrower = _borrower_not_halted(state, line)
    now = _at_or_after_accrual(line, command.timestamp_ns)
    view = line_view(line, now)
    if view.claim_atoms > max(borrower.vault_atoms, 0):
        raise CreditLineOutstanding(
            line.line,
            borrower.pool,
            view.claim_atoms,
            borrower.vault_atoms,
            line.principal_atoms + line.principal_written_off_atoms,
        )
    events: list[Event] = [*view.accrual(now)]
    interest_paid = view.interest_owed_atoms + line.interest_written_off_atoms
    if view.claim_atoms:
        events.append(
            CreditLineRepaid(
                line=line.line,
                borrower_pool=borrower.pool,
                interest_atoms=view.interest_owed_atoms,
                principal_atoms=line.principal_atoms,
                recovered_interest_atoms=line.interest_written_off_atoms,
                recovered_principal_atoms=line.principal_written_off_atoms,
                timestamp_ns=now,
            )
        )
    events.append(
        CreditLineClosed(
            line=line.line,
            lender_pool=line.lender_pool,
            borrower_pool=borrower.pool,
            returned_atoms=line.cap_atoms,
            interest_atoms=line.interest_collected_atoms + interest_paid,
            timestamp_ns=now,
        )
    )
    return events
