"""`ringfence venue apply examples/portfolio-margin-venue.toml examples/portfolio-margin.toml`, then the bid.

The genesis configures Deribit's rule; carol (portfolio margin) buys 5 puts struck at 3,800 and
goes long 10 ETH-PERP at 4,200; ETH falls to 3,700; a keeper starts the portfolio auction; dave
bids for half a minute later. Every expected figure is computed here, independently of the engine:
the grid by hand, the put's values with QuantLib's ``BlackCalculator`` (not ``ringfence.core.pricing``)
on Deribit's volatility shock retyped from its formula, the auction's schedule and share cap with
``fractions`` from Derive's published formulas (docs/options-and-portfolio-margin.md).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
import QuantLib as ql  # noqa: N813 - the library's own documented alias
from test_cli_venue import EXAMPLES, invoke, journal_state, row, table_rows, venue_apply

from support.identities import make_identities

USD = 10**6
WAD = 10**18
DAY_NS = 86_400 * 10**9
YEAR_NS = 365 * DAY_NS
VENUE = EXAMPLES / "portfolio-margin-venue.toml"
SHOCKS = [Fraction(k * 4, 100) for k in range(-4, 5)]
"""Deribit S:PM's ±16% in 9 buckets, each with volatility up / same / down."""
TOTAL_VARIANCE = 0.0448  # the flat smile's a (b = 0): the total variance to expiry
EXPIRY_NS = 30 * DAY_NS  # after the venue's start


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_identities(tmp_path_factory.mktemp("identities"))


def _put(forward: float, sigma: float, years: float) -> float:
    payoff = ql.PlainVanillaPayoff(ql.Option.Put, 3_800.0)
    return float(ql.BlackCalculator(payoff, forward, sigma * math.sqrt(years), 1.0).value())


def _shocked(sigma: float, days: float, move: int) -> float:
    """Deribit's volatility shock, BTC parameters (range up 0.5, down 0.25, floor 0.5, powers 0.3 / 0.13)."""
    scale = (30.0 / days) ** (0.3 if days < 30 else 0.13)
    if move > 0:
        return max(sigma * (1 + 0.5 * scale), 0.5)
    return sigma * (1 - 0.25 * scale) if move < 0 else sigma


def _portfolio_pnl(price: float, remaining_ns: int) -> list[float]:
    """carol's P&L per scenario (USD): 10 ETH-PERP and 5 puts long, repriced at the shocked price and volatility."""
    years, days = remaining_ns / YEAR_NS, remaining_ns / DAY_NS
    sigma = math.sqrt(TOTAL_VARIANCE / years)
    now = _put(price, sigma, years)
    return [
        10 * price * float(shock) + 5 * (_put(price * (1 + float(shock)), _shocked(sigma, days, move), years) - now)
        for shock in SHOCKS
        for move in (1, 0, -1)
    ]


def _usd(cell: str) -> int:
    """A table's exact USD cell to value atoms."""
    whole, _, fraction = cell.partition(".")
    return int(whole) * USD + (int(fraction.ljust(6, "0")) if fraction else 0) * (-1 if cell.startswith("-") else 1)


def test_the_genesis_configures_deribits_grid_from_the_preset(ids: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    applied = venue_apply(ids, VENUE, "--journal", journal)
    assert applied.exit_code == 0, applied.output
    state, _ = journal_state(journal)
    rule = state.portfolio_rule
    assert rule is not None and rule.cash_asset == "USDC"
    # by hand: 9 buckets of 4% from −16% to +16%, each with volatility up, same, down, weight 1
    assert rule.spot_shocks_ppm == tuple(k * 40_000 for k in range(-4, 5) for _ in range(3))
    assert rule.volatility_moves == (1, 0, -1) * 9
    assert rule.weights_ppm == (1_000_000,) * 27
    assert (rule.initial_factor_wad, rule.maintenance_factor_wad) == (WAD, 8 * WAD // 10)
    assert rule.linear_contingency_wad == WAD // 100
    assert (rule.minimum_equity_value, rule.insolvent_auction_seconds) == (1_000 * USD, 3_600)


def test_the_example_margins_a_hedged_portfolio_auctions_it_and_a_bidder_takes_the_capped_share(
    ids: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite"
    applied = venue_apply(ids, VENUE, EXAMPLES / "portfolio-margin.toml", "--journal", journal)
    assert applied.exit_code == 0, applied.output
    assert "portfolio auction of carol/0 started (solvent) by keeper" in applied.output
    state, _ = journal_state(journal)
    now = state.portfolio_auctions[("carol", 0)].started_ns
    remaining = EXPIRY_NS - (2 * DAY_NS + 4 * 60 * 10**9)  # expiry 30d after start; the auction at 2d4m
    assert state.pools["eth"].series["ETH-P-3800"].params.expiry_ns - now == remaining

    # the requirement: ⌈factor × worst loss + 1% × 3,700 × 10⌉, the worst loss by QuantLib (±2 atoms)
    pnl = _portfolio_pnl(3_700.0, remaining)
    worst = -min(pnl)
    assert pnl.index(min(pnl)) == 2  # −16% with volatility down: the perp loses more than the puts gain
    margin = row(applied.output, "Portfolio margin", "carol/0")
    im_equity, im_req, mm_equity, mm_req = (_usd(cell) for cell in margin[1:5])
    assert abs(im_req - math.ceil((worst + 370) * USD)) <= 2
    assert abs(mm_req - math.ceil((0.8 * worst + 370) * USD)) <= 2
    assert _usd(margin[6]) == 370 * USD
    assert margin[7].startswith("ETH ") and margin[7].endswith(" at -16% vol down")
    assert abs(_usd(margin[7].split()[1]) - worst * USD) <= 2
    # below maintenance: equity = her USDC + the perp's PnL + 5 puts at mark (QuantLib; funding of 2 min < 1 cent)
    account = state.accounts[("carol", 0)]
    basis = state.pools["eth"].positions[(("carol", 0), "ETH-PERP")].open_notional_atoms
    put_now = _put(3_700.0, math.sqrt(TOTAL_VARIANCE / (remaining / YEAR_NS)), remaining / YEAR_NS)
    mtm_by_hand = account.balances["USDC"] + (37_000 * USD - basis) + 5 * put_now * USD
    assert abs(mm_equity - mtm_by_hand) < 0.01 * USD
    assert mm_equity < mm_req and im_equity == mm_equity  # every term at full weight in both (no stable lag)

    # the live auction, at its start: 95% of MtM, share cap deficit / (deficit + 0.95 · MtM), rounded up
    auction = row(applied.output, "Portfolio auctions", "carol/0")
    assert auction[1:3] == ["solvent", "0s"]
    mtm = _usd(auction[3])
    assert abs(mtm - mtm_by_hand) < 0.01 * USD
    assert auction[4] == "95%"
    whole_bid = mtm * 95 // 100
    assert _usd(auction[6]) == whole_bid
    deficit = im_req - im_equity
    cap = Fraction(deficit, deficit + whole_bid)
    shown_cap = Fraction(auction[5].rstrip("%")) / 100
    assert 0 <= shown_cap - cap < Fraction(1, 10**18)
    assert auction[7] == "keeper/0"

    ran = invoke("venue", "run", EXAMPLES / "portfolio-margin-bid.toml", "--journal", journal, "--identity-dir", ids)

    assert ran.exit_code == 0, ran.output
    assert "portfolio auction of carol/0 ended: restored" in ran.output
    after, _ = journal_state(journal)
    assert not after.portfolio_auctions
    # a minute in, Derive's fast phase: 95% − 25% · 60 / 900 = 93.33…% of MtM, floored in WAD
    discount = Fraction(95, 100) - Fraction(25, 100) * Fraction(60, 900)
    bid_line = next(line for line in ran.output.splitlines() if "dave/0 took" in line)
    assert f"discount {float(discount * 100):.13f}" in bid_line
    share = Fraction(bid_line.split("took ")[1].split("%")[0]) / 100
    assert share < Fraction(1, 2)  # capped below the half dave asked for
    # dave took the share of carol's 10 perps and 5 puts (atoms, toward zero) and paid share × MtM × d
    dave_perp = after.pools["eth"].positions[(("dave", 0), "ETH-PERP")].size_atoms
    dave_put = after.pools["eth"].series_positions[(("dave", 0), "ETH-P-3800")].size_atoms
    assert dave_perp == math.floor(share * 10 * 10**18)
    assert dave_put == math.floor(share * 5 * 10**18)
    paid = _usd(bid_line.split("paid ")[1].split(" USDC")[0])
    bid_mtm = _usd(bid_line.split("of MtM ")[1].split(" USD")[0])
    discount_wad = math.floor(discount * WAD)
    assert paid == math.floor(math.floor(Fraction(bid_mtm * discount_wad, WAD)) * share)
    assert abs(bid_mtm - mtm) < 0.01 * USD  # a minute of funding later
    # carol is back at initial margin, as the cap intends (Derive's _getMaxProportion)
    assert [cells[0] for cells in table_rows(ran.output, "Portfolio margin")] == ["carol/0", "dave/0"]
    carol = row(ran.output, "Portfolio margin", "carol/0")
    assert _usd(carol[1]) >= _usd(carol[2])
