"""Tables of portfolio margin: each portfolio-margined sub-account's requirement, and live portfolio auctions.

Every figure is read from the core's own functions, never recomputed here:
:func:`~ringfence.core.pool.portfolio_margin.portfolio_margin` (equity, requirement, each
underlying's worst loss and scenario), :func:`~ringfence.core.pool.portfolio_margin.mark_to_market_value`,
and the Derive auction's schedule and share cap (``core/liquidation/auctions.py``,
``core/liquidation/portfolio.py``), composed as ``core/pool/portfolio_auction.py`` prices a bid.
Money in USD value atoms shown exactly; a stale oracle shows its status instead.
"""

from __future__ import annotations

from fractions import Fraction

from rich.table import Table

from ringfence.core.errors import RingfenceError
from ringfence.core.liquidation.auctions import lyra_discount_percentage_wad, lyra_solvent_bid_value
from ringfence.core.liquidation.portfolio import elapsed_seconds, insolvent_payment_atoms, solvent_share_cap_wad
from ringfence.core.margin import MarginKind
from ringfence.core.pool.portfolio_margin import PortfolioMargin, mark_to_market_value, portfolio_margin
from ringfence.core.portfolio.grid import PPM, Scenario, VolatilityMove
from ringfence.core.portfolio.rule import PortfolioRule
from ringfence.core.portfolio.state import PortfolioAuction
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import VALUE_DECIMALS, WAD, format_fixed

__all__ = ["portfolio_auctions_table", "portfolio_margin_table", "portfolio_tables"]

_MOVES = {VolatilityMove.UP: "vol up", VolatilityMove.STATIC: "vol same", VolatilityMove.DOWN: "vol down"}


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 or column.startswith("worst") else "right")
    return table


def _usd(value_atoms: int) -> str:
    return format_fixed(value_atoms, VALUE_DECIMALS)


def _loss(value: Fraction) -> str:
    """Return a worst loss (exact, value atoms) rounded up to the atom, as the requirement rounds."""
    return _usd(-((-value.numerator) // value.denominator))


def _scenario(scenario: Scenario) -> str:
    shock = Fraction(scenario.spot_shock_ppm * 100, PPM)
    shown = f"{float(shock):+g}%" if shock.denominator != 1 else f"{shock.numerator:+d}%"
    weight = "" if scenario.weight_ppm == PPM else f", weight {format_fixed(scenario.weight_ppm, 6)}"
    return f"{shown} {_MOVES[scenario.volatility_move]}{weight}"


def _worst(margin: PortfolioMargin, rule: PortfolioRule) -> str:
    scenarios = rule.scenarios
    parts = [
        f"{loss.underlying} {_loss(loss.loss_value)} at {_scenario(scenarios[loss.worst_scenario])}"
        for loss in margin.losses
    ]
    return "; ".join(parts) or "-"


def _health(margin: PortfolioMargin) -> str:
    health = margin.snapshot().health_wad()
    return "-" if health is None else format_fixed(health * 10**4 // WAD, 4)


def portfolio_margin_table(state: LedgerState, now_ns: int) -> Table:
    """Every portfolio-margined sub-account: IM and MM (equity, requirement), MM health, worst loss per underlying."""
    table = _table(
        "Portfolio margin (USD; requirement = ⌈factor × worst loss + contingency⌉;"
        " worst loss per underlying, before the factor)",
        "account",
        "IM equity",
        "IM req.",
        "MM equity",
        "MM req.",
        "MM health",
        "contingency",
        "worst loss per underlying",
    )
    rule = state.portfolio_rule
    if rule is None:
        return table
    for key in state.portfolio_accounts:
        label = f"{key[0]}/{key[1]}"
        try:
            initial = portfolio_margin(state, key, MarginKind.INITIAL, now_ns, allow_guarded=True)
            maintenance = portfolio_margin(state, key, MarginKind.MAINTENANCE, now_ns, allow_guarded=True)
        except RingfenceError as error:
            table.add_row(label, f"({type(error).__name__})", "-", "-", "-", "-", "-", "-")
            continue
        table.add_row(
            label,
            _usd(initial.equity_value),
            _usd(initial.requirement_value),
            _usd(maintenance.equity_value),
            _usd(maintenance.requirement_value),
            _health(maintenance),
            _loss(maintenance.contingency_value),
            _worst(maintenance, rule),
        )
    return table


def _auction_row(
    state: LedgerState, rule: PortfolioRule, key: AccountKey, auction: PortfolioAuction, now_ns: int
) -> list[str]:
    """``[kind, elapsed, MtM, discount, share cap, price of the capped share]`` now (module docstring)."""
    elapsed = elapsed_seconds(auction.started_ns, now_ns)
    mtm = mark_to_market_value(state, key, now_ns)
    cash_decimals = state.assets[rule.cash_asset].params.decimals
    if auction.insolvent:
        paid = insolvent_payment_atoms(auction.deficit_atoms, elapsed, rule.insolvent_auction_seconds, WAD)
        return ["insolvent", f"{elapsed}s", _usd(mtm), "-", "100%", f"-{format_fixed(paid, cash_decimals)}"]
    discount = lyra_discount_percentage_wad(rule.auction, elapsed)
    whole_bid = lyra_solvent_bid_value(rule.auction, max(mtm, 0), 0, elapsed)
    initial = portfolio_margin(state, key, MarginKind.INITIAL, now_ns, allow_guarded=True)
    deficit = initial.requirement_value - initial.equity_value
    if deficit <= 0:
        cap = "0 (back at IM: EndPortfolioAuction)"
    elif whole_bid <= 0:
        cap = "0 (price reached 0: StartPortfolioAuction turns it insolvent)"
    else:
        cap = format_fixed(solvent_share_cap_wad(deficit, whole_bid) * 100, 18) + "%"
    return ["solvent", f"{elapsed}s", _usd(mtm), format_fixed(discount * 100, 18) + "%", cap, _usd(whole_bid)]


def portfolio_auctions_table(state: LedgerState, now_ns: int) -> Table:
    """Every live portfolio auction: its kind, time since start, MtM, discount now, share cap and price now.

    Solvent: a bidder pays ``share × whole bid`` (whole bid = MtM × discount), the share capped at
    the one that restores initial margin. Insolvent: a bidder taking the whole portfolio is paid the
    amount shown (negative), growing to the initial-margin deficit.
    """
    table = _table(
        "Portfolio auctions (USD; solvent: whole bid = MtM × discount, a bid pays share × whole bid, share ≤ cap;"
        " insolvent: a bidder of the whole is paid the amount shown)",
        "account",
        "kind",
        "elapsed",
        "MtM",
        "discount now",
        "share cap",
        "whole bid",
        "keeper",
    )
    rule = state.portfolio_rule
    if rule is None:
        return table
    for key, auction in state.portfolio_auctions.items():
        try:
            cells = _auction_row(state, rule, key, auction, now_ns)
        except RingfenceError as error:
            cells = [f"({type(error).__name__})", "-", "-", "-", "-", "-"]
        table.add_row(f"{key[0]}/{key[1]}", *cells, f"{auction.keeper_owner}/{auction.keeper_sub_account}")
    return table


def portfolio_tables(state: LedgerState, now_ns: int) -> list[Table]:
    """Return the portfolio tables when the venue has portfolio-margined sub-accounts or auctions."""
    if not state.portfolio_accounts and not state.portfolio_auctions:
        return []
    tables = [portfolio_margin_table(state, now_ns)]
    if state.portfolio_auctions:
        tables.append(portfolio_auctions_table(state, now_ns))
    return tables
