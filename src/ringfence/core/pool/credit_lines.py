"""Credit lines as the pools see them: liquidity, NAV, draws, and the waterfall's lender step (issue 14 item 3).

When a line is drawn (the rule this engine chose; the issue left it open):

- **a profit**: a trade realises a profit past the borrower pool's vault cash; the gap is
  drawn (``DrawReason.PROFIT``, ``decide_trade``) instead of being forgone
  (``payable_pnl_atoms``). What the lines cannot cover is still forgone.
- **a shortfall**: after the borrower's own waterfall (insurance, backstop, ADL, its LPs),
  a vault left negative is refilled from the line (``DrawReason.SHORTFALL``).

An LP withdrawal never draws: LPs are junior, so the borrower's LPs withdraw only the cash
its vault holds beyond what it owes its lines. Repayment is an explicit, permissionless
``RepayCreditLine`` from the borrower's vault cash.

Seniority: at the end of the borrower's waterfall (:func:`credit_line_waterfall`), once its
vault holds less cash than it owes, its LP capital is gone and each line is written down
(impaired) to the cash left for it (lines rank by opening: the first opened is the most senior
and written down last). Cash, not NAV, is the measure, as a pool pays profits from cash only:
unrealised PnL of open positions is not capital until realised. The impairment is booked by
the lender at once, but not forgiven: the borrower still owes it, its LPs may not withdraw
while any of it is unpaid, and a ``RepayCreditLine`` recovers it from later inflows (the
remaining margin of positions still being liquidated, fees, losers' payments) before its LPs
see a cent.

The borrower counts its lines' room as liquidity for its reserve (GMX v2's reserve factor
over vault plus line) and its NAV counts what it owes; the lender's NAV counts the line's
cash and claim. Every amount comes from :mod:`ringfence.core.liquidation.credit_line`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.events import Event
from ringfence.core.liquidation.credit_line import accrued_interest_atoms, draw_room_atoms, write_down
from ringfence.core.pool.credit_line_events import (
    CreditLineAccrued,
    CreditLineDrawn,
    CreditLineWrittenDown,
    DrawReason,
)
from ringfence.core.pool.credit_line_state import CreditLine
from ringfence.core.pool.state import PoolState
from ringfence.core.state import LedgerState

__all__ = [
    "LineView",
    "borrowed_lines",
    "credit_line_waterfall",
    "credit_nav_atoms",
    "credit_room_atoms",
    "draw_for",
    "line_view",
    "owed_by_atoms",
]


def borrowed_lines(state: LedgerState, pool_id: str) -> list[CreditLine]:
    """Return the open lines ``pool_id`` borrows on, in opening order (the first is the most senior)."""
    return [line for line in state.credit_lines.values() if line.borrower_pool == pool_id and line.closed_ns is None]


@dataclass(frozen=True, slots=True)
class LineView:
    """A line as it stands at ``now_ns``, with the interest accrued since its last accrual."""

    line: CreditLine
    pending_interest_atoms: int

    @property
    def interest_owed_atoms(self) -> int:
        """Return the interest owed, the pending part included."""
        return self.line.interest_owed_atoms + self.pending_interest_atoms

    @property
    def owed_atoms(self) -> int:
        """Return principal plus interest owed at ``now_ns``."""
        return self.line.principal_atoms + self.interest_owed_atoms

    @property
    def claim_atoms(self) -> int:
        """Return the lender's whole claim at ``now_ns``: owed plus impaired."""
        return self.owed_atoms + self.line.written_off_atoms

    @property
    def room_atoms(self) -> int:
        """Return what may still be drawn (Aave v4 draw cap)."""
        return draw_room_atoms(self.line.cap_atoms, self.owed_atoms, self.line.written_off_atoms)

    def accrual(self, now_ns: int) -> list[Event]:
        """Return the accrual event to record before touching the line (none when nothing accrued)."""
        if not self.pending_interest_atoms:
            return []
        return [
            CreditLineAccrued(
                line=self.line.line,
                borrower_pool=self.line.borrower_pool,
                interest_atoms=self.pending_interest_atoms,
                timestamp_ns=now_ns,
            )
        ]


def line_view(line: CreditLine, now_ns: int) -> LineView:
    """Return ``line`` at ``now_ns``."""
    pending = accrued_interest_atoms(line.owed_atoms, line.rate_per_year_wad, now_ns - line.accrued_ns)
    return LineView(line, pending)


def credit_room_atoms(state: LedgerState, pool_id: str, now_ns: int) -> int:
    """Return what ``pool_id`` may still draw on all its lines at ``now_ns``."""
    return sum(line_view(line, now_ns).room_atoms for line in borrowed_lines(state, pool_id))


def owed_by_atoms(state: LedgerState, pool_id: str, now_ns: int) -> int:
    """Return what ``pool_id`` owes its lines at ``now_ns``: booked (interest pending included) and impaired."""
    return sum(line_view(line, now_ns).claim_atoms for line in borrowed_lines(state, pool_id))


def credit_nav_atoms(state: LedgerState, pool_id: str, now_ns: int) -> int:
    """Return the lines' net worth to ``pool_id``'s LPs: lent (cash, unimpaired claim, interest) − borrowed.

    The lender counts its claim net of impairments; the borrower owes the whole claim, the
    impaired part included, so its LPs stay junior to it.
    """
    net = 0
    for line in state.credit_lines.values():
        if line.lender_pool == pool_id:
            view = line_view(line, now_ns)
            net += line.undrawn_atoms + line.interest_collected_atoms + view.owed_atoms
        if line.borrower_pool == pool_id:
            net -= line_view(line, now_ns).claim_atoms
    return net


def draw_for(
    state: LedgerState, pool: PoolState, amount_atoms: int, now_ns: int, reason: DrawReason
) -> tuple[list[Event], int]:
    """Return the events drawing up to ``amount_atoms`` on ``pool``'s lines (senior first), and the total drawn."""
    events: list[Event] = []
    drawn = 0
    for line in borrowed_lines(state, pool.pool):
        if drawn >= amount_atoms:
            break
        view = line_view(line, now_ns)
        take = min(amount_atoms - drawn, view.room_atoms)
        if take <= 0:
            continue
        events += view.accrual(now_ns)
        events.append(
            CreditLineDrawn(
                line=line.line, borrower_pool=pool.pool, amount_atoms=take, reason=reason, timestamp_ns=now_ns
            )
        )
        drawn += take
    return events, drawn


def credit_line_waterfall(state: LedgerState, pool: PoolState, vault_after: int, now_ns: int) -> list[Event]:
    """Return the lender step at the end of ``pool``'s waterfall: a draw for a negative vault, then write-downs.

    ``vault_after`` is the borrower's vault once the shortfall settled and its LPs bore what they
    could. A negative vault draws on the lines; then, junior line first, each line is written down
    to the cash left once the more senior lines are backed
    (:func:`~ringfence.core.liquidation.credit_line.write_down`).
    """
    lines = borrowed_lines(state, pool.pool)
    if not lines:
        return []
    events, drawn = draw_for(state, pool, max(-vault_after, 0), now_ns, DrawReason.SHORTFALL)
    drawn_on = {event.line: event.amount_atoms for event in events if isinstance(event, CreditLineDrawn)}
    accrued = {event.line for event in events if isinstance(event, CreditLineAccrued)}
    claims = []
    for line in lines:
        view = line_view(line, now_ns)
        claims.append((view, view.interest_owed_atoms, line.principal_atoms + drawn_on.get(line.line, 0)))
    cash_left = vault_after + drawn
    senior_claims = sum(interest + principal for _, interest, principal in claims)
    for view, interest, principal in reversed(claims):
        senior_claims -= interest + principal
        cut = write_down(cash_left - senior_claims, interest, principal)
        if cut.interest_atoms or cut.principal_atoms:
            if view.line.line not in accrued:
                events += view.accrual(now_ns)
            events.append(
                CreditLineWrittenDown(
                    line=view.line.line,
                    lender_pool=view.line.lender_pool,
                    borrower_pool=pool.pool,
                    interest_atoms=cut.interest_atoms,
                    principal_atoms=cut.principal_atoms,
                    timestamp_ns=now_ns,
                )
            )
    return events
