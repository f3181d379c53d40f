"""``evolve`` handlers of credit-line events: the only code that changes a line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ringfence.core.pool.credit_line_events import (
    CreditLineAccrued,
    CreditLineCapLowered,
    CreditLineClosed,
    CreditLineDrawn,
    CreditLineOpened,
    CreditLineRepaid,
    CreditLineWrittenDown,
)
from ringfence.core.pool.credit_line_state import CreditLine
from ringfence.core.state import LedgerState

__all__ = ["CREDIT_LINE_HANDLERS"]


def _opened(state: LedgerState, event: CreditLineOpened) -> None:
    state.pools[event.lender_pool].vault_atoms -= event.cap_atoms
    state.credit_lines[event.line] = CreditLine(
        line=event.line,
        lender_pool=event.lender_pool,
        borrower_pool=event.borrower_pool,
        quote_asset=event.quote_asset,
        cap_atoms=event.cap_atoms,
        rate_per_year_wad=event.rate_per_year_wad,
        opened_ns=event.timestamp_ns,
        undrawn_atoms=event.cap_atoms,
        accrued_ns=event.timestamp_ns,
    )


def _accrued(state: LedgerState, event: CreditLineAccrued) -> None:
    line = state.credit_lines[event.line]
    line.interest_owed_atoms += event.interest_atoms
    line.accrued_ns = event.timestamp_ns


def _drawn(state: LedgerState, event: CreditLineDrawn) -> None:
    line = state.credit_lines[event.line]
    line.undrawn_atoms -= event.amount_atoms
    line.principal_atoms += event.amount_atoms
    line.accrued_ns = max(line.accrued_ns, event.timestamp_ns)
    state.pools[event.borrower_pool].vault_atoms += event.amount_atoms


def _repaid(state: LedgerState, event: CreditLineRepaid) -> None:
    line = state.credit_lines[event.line]
    line.interest_owed_atoms -= event.interest_atoms
    line.interest_collected_atoms += event.interest_atoms
    line.principal_atoms -= event.principal_atoms
    line.interest_written_off_atoms -= event.recovered_interest_atoms
    line.principal_written_off_atoms -= event.recovered_principal_atoms
    line.interest_collected_atoms += event.recovered_interest_atoms
    line.undrawn_atoms += event.principal_atoms + event.recovered_principal_atoms
    line.accrued_ns = max(line.accrued_ns, event.timestamp_ns)
    paid = (
        event.interest_atoms + event.principal_atoms + event.recovered_interest_atoms + event.recovered_principal_atoms
    )
    state.pools[event.borrower_pool].vault_atoms -= paid


def _written_down(state: LedgerState, event: CreditLineWrittenDown) -> None:
    line = state.credit_lines[event.line]
    line.interest_owed_atoms -= event.interest_atoms
    line.interest_written_off_atoms += event.interest_atoms
    line.principal_atoms -= event.principal_atoms
    line.principal_written_off_atoms += event.principal_atoms
    line.accrued_ns = max(line.accrued_ns, event.timestamp_ns)


def _cap_lowered(state: LedgerState, event: CreditLineCapLowered) -> None:
    line = state.credit_lines[event.line]
    line.cap_atoms = event.cap_atoms
    line.undrawn_atoms -= event.released_atoms
    state.pools[event.lender_pool].vault_atoms += event.released_atoms


def _closed(state: LedgerState, event: CreditLineClosed) -> None:
    line = state.credit_lines[event.line]
    line.undrawn_atoms -= event.returned_atoms
    line.interest_collected_atoms -= event.interest_atoms
    line.cap_atoms -= event.returned_atoms
    line.closed_ns = event.timestamp_ns
    state.pools[event.lender_pool].vault_atoms += event.returned_atoms + event.interest_atoms


CREDIT_LINE_HANDLERS: dict[type[Any], Callable[[LedgerState, Any], None]] = {
    CreditLineOpened: _opened,
    CreditLineAccrued: _accrued,
    CreditLineDrawn: _drawn,
    CreditLineRepaid: _repaid,
    CreditLineWrittenDown: _written_down,
    CreditLineCapLowered: _cap_lowered,
    CreditLineClosed: _closed,
}
