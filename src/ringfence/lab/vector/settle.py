"""Settle a step's liquidation closes in the order they happened: pool flows, waterfall, metrics, records.

Nothing a close decides depends on the pools' insurance, vault or windows (only on its unit,
its price and the keepers), so the keepers' service collects the closes first and this module
settles them afterwards, per path and pool in serving order (rank, then close within the unit),
with the scan of :func:`~.kernels.ordered_waterfall` standing in for the sequential waterfall.
All closes of a step share one time, so a window that ended opens anew at the step's first draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.results import LIQUIDATION_DTYPE
from ringfence.lab.vector.kernels import CloseOutcome
from ringfence.lab.vector.state import Book, Records, Static
from ringfence.lab.vector.waterfall import ordered_waterfall

__all__ = ["Closes", "party_pnl", "settle_closes"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Fields = dict[str, NDArray[np.generic]]


@dataclass(slots=True, eq=False)
class Closes:
    """The closes of one step, appended batch by batch."""

    batches: list[Fields] = field(default_factory=list)

    def add(
        self,
        order: tuple[IntArray, IntArray, IntArray, int],
        position: IntArray,
        outcome: CloseOutcome,
        costs: tuple[FloatArray, FloatArray, bool],
        flow: FloatArray,
    ) -> None:
        """Keep one batch: ``order`` is ``(path, unit, rank, close index within the unit)``.

        ``costs`` is each close's shortfall, the gas its sender paid, and whether the sender is
        the protocol's liquidator; ``flow`` is the close's sale at the market price (a closed
        long sells: positive).
        """
        path, unit, rank, sequence = order
        shortfall, gas, protocol = costs
        self.batches.append(
            {
                "path": path,
                "unit": unit,
                "rank": rank,
                "sequence": np.full(path.shape[0], sequence),
                "position": position,
                "notional": outcome.closed_notional,
                "realised": outcome.realised,
                "penalty": outcome.insurance_penalty,
                "fee": outcome.backstop_fee,
                "backstop": outcome.backstop,
                "shortfall": shortfall,
                "signed": flow,
                "reward": outcome.keeper_reward,
                "cost": outcome.execution_cost,
                "gas": gas,
                "protocol": np.full(path.shape[0], protocol),
            }
        )

    def joined(self) -> Fields:
        """Return every close, in serving order within each path (rank, then close index)."""
        fields = {name: np.concatenate([batch[name] for batch in self.batches]) for name in self.batches[0]}
        order = np.lexsort((fields["sequence"], fields["rank"], fields["path"]))
        return {name: values[order] for name, values in fields.items()}


def _floats(fields: Fields, name: str) -> FloatArray:
    return np.asarray(fields[name], dtype=np.float64)


def _ints(fields: Fields, name: str) -> IntArray:
    return np.asarray(fields[name], dtype=np.int64)


def _segments(group: IntArray) -> tuple[IntArray, NDArray[np.bool_]]:
    """Return the stable order grouping equal keys, and where each group starts in that order."""
    order = np.argsort(group, kind="stable")
    starts = np.ones(group.shape[0], dtype=np.bool_)
    starts[1:] = group[order][1:] != group[order][:-1]
    return order, starts


def _waterfall(book: Book, static: Static, now: float, closes: Fields) -> tuple[FloatArray, FloatArray]:
    """Return each close's insurance draw and backstop absorption, and advance the pools' windows."""
    rules = static.rules
    path, pool = _ints(closes, "path"), static.pool[_ints(closes, "position")]
    order, starts = _segments(path * len(static.design.pools) + pool)
    p, q = path[order], pool[order]
    in_window = now - book.insurance_start[p, q] < rules.insurance_window
    cap_room = rules.insurance_cap - np.where(in_window, book.insurance_drawn[p, q], 0.0)
    in_budget = now - book.backstop_start[p, q] < rules.backstop_window
    budget = np.maximum(rules.backstop_cap - np.where(in_budget, book.backstop_absorbed[p, q], 0.0), 0.0)
    shortfall, penalty = _floats(closes, "shortfall"), _floats(closes, "penalty")
    drawn_sorted, absorbed_sorted = ordered_waterfall(
        shortfall[order], penalty[order], starts, book.insurance[p, q], cap_room, budget
    )
    drawn, absorbed = np.empty_like(drawn_sorted), np.empty_like(absorbed_sorted)
    drawn[order], absorbed[order] = drawn_sorted, absorbed_sorted
    _advance_window(book.insurance_start, book.insurance_drawn, path, pool, drawn, now, rules.insurance_window)
    _advance_window(book.backstop_start, book.backstop_absorbed, path, pool, absorbed, now, rules.backstop_window)
    return drawn, absorbed


def _advance_window(
    start: FloatArray, used: FloatArray, path: IntArray, pool: IntArray, amount: FloatArray, now: float, window: float
) -> None:
    """Charge a step's amounts to the pools' windows; a window that ended opens at ``now`` (``evolve``)."""
    total = np.zeros_like(used)
    np.add.at(total, (path, pool), amount)
    renew = (total > 0.0) & (now - start >= window)
    start[renew] = now
    used[renew] = 0.0
    used += total


def _pay_senders(book: Book, closes: Fields, path: IntArray, pool: IntArray) -> None:
    """Book the bonuses, execution costs and gas of the closes' senders (keepers or the protocol's liquidator)."""
    protocol = np.asarray(closes["protocol"], dtype=np.bool_)
    reward, gas = _floats(closes, "reward"), _floats(closes, "gas")
    np.add.at(book.execution_cost, (path, pool), _floats(closes, "cost"))
    np.add.at(book.keeper_rewards, path, np.where(protocol, 0.0, reward))
    np.add.at(book.protocol_rewards, path, np.where(protocol, reward, 0.0))
    np.add.at(book.keeper_gas, path, np.where(protocol, 0.0, gas))
    np.add.at(book.protocol_gas, path, np.where(protocol, gas, 0.0))


def settle_closes(book: Book, static: Static, records: Records, step: int, closes: Closes) -> None:
    """Book a step's closes on the pools (vault, insurance, waterfall) and the metrics, and hold the records."""
    if not closes.batches:
        return
    joined = closes.joined()
    now = step * static.rules.step_seconds
    drawn, _ = _waterfall(book, static, now, joined)
    path, position = _ints(joined, "path"), _ints(joined, "position")
    pool = static.pool[position]
    market = static.design.position_market[position]
    shortfall = _floats(joined, "shortfall")
    vault_flow = _floats(joined, "fee") - _floats(joined, "realised") - shortfall + drawn
    np.add.at(book.vault, (path, pool), vault_flow)
    np.add.at(book.market_flow, (path, market), vault_flow)
    np.add.at(book.insurance, (path, pool), _floats(joined, "penalty") - drawn)
    np.add.at(book.bad_debt, (path, pool), shortfall)
    lp_loss = shortfall - drawn
    np.add.at(book.lp_loss, (path, pool), lp_loss)
    _pay_senders(book, joined, path, pool)
    rows = np.zeros(path.shape[0], dtype=LIQUIDATION_DTYPE)
    rows["step"] = step
    rows["pool"] = pool
    rows["market"] = market
    rows["trader"] = static.design.position_trader[position]
    rows["notional_usd"] = joined["notional"]
    rows["bad_debt_usd"] = shortfall
    rows["slippage_usd"] = joined["cost"]
    rows["delay_seconds"] = (step - book.first_seen[path, _ints(joined, "unit")]) * static.rules.step_seconds
    rows["backstop"] = joined["backstop"]
    records.add_step(path, rows, _floats(joined, "signed"))


def party_pnl(book: Book, static: Static, final_market: FloatArray) -> dict[str, FloatArray]:
    """Return each party's P&L per path ``(P,)``, marked at the final market prices ``(M, P)``.

    The definitions of ``ringfence.lab.exact.parties.party_pnl_atoms`` in float64: traders'
    margin and unrealised PnL less their deposits; LPs' redemptions and pools' NAV (vault less
    the traders' unrealised PnL) less their capital; the insurance funds' change; keepers' and
    the protocol's liquidator's bonuses less gas (execution costs pass through them to the
    market); the market's execution costs and gas. The lab's LPs take every fee (no protocol fee).
    """
    design = static.design
    price = final_market.T[:, design.position_market]
    traders_pnl = (book.size * price - book.basis).sum(axis=1)
    pools_pnl = (book.skew * final_market.T).sum(axis=1) - book.pool_basis.sum(axis=1)
    gas = book.keeper_gas + book.protocol_gas
    return {
        "traders": book.margin.sum(axis=1) + traders_pnl - book.collateral,
        "lps": book.vault.sum(axis=1)
        - pools_pnl
        + book.redeemed
        + float(design.credit_lent.sum())  # the cash the credit lines hold, the lenders' LPs'
        - float(design.lp_capital.sum()),
        "insurance": book.insurance.sum(axis=1) - float(design.pool_insurance.sum()),
        "keepers": book.keeper_rewards - book.keeper_gas,
        "protocol": book.protocol_rewards - book.protocol_gas,
        "market": book.execution_cost.sum(axis=1) + gas,
    }
