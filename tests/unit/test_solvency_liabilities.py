"""What a pool owes and holds (docs/solvency-proofs.md, "What a pool owes"): worked numbers by hand.

Premises (``tests/support/venue.py``): USDC (6 decimals) at par, ETH at 2,000; pool P's ETH perp has
no spread, no fee and no funding, skew scale 1,000,000 ETH; ``lp`` provides 100,000 USDC.
alice deposits 1,000 USDC and buys 1 ETH isolated with 500 USDC of margin; bob deposits 1,000 USDC
and buys 2 ETH cross. Fill = oracle · (1 + (2·skew + size) / (2·scale)):
alice 2,000 · 2,000,001 / 2,000,000 = 2,000.001 (open notional 2,000.001 USDC);
bob (skew 1) 2,000 · 2,000,004 / 2,000,000 = 2,000.004 each, 4,000.008 USDC for 2 ETH.
"""

from __future__ import annotations

import pytest

from ringfence.core.pool.perp_math import unrealised_pnl_atoms
from ringfence.core.pool.state import MarginMode, Position
from ringfence.core.units import Rounding
from ringfence.solvency.errors import CoverageNotProven, LiabilitiesNotCovered
from ringfence.solvency.files import Commitment, Opening
from ringfence.solvency.group import encode_scalar
from ringfence.solvency.liabilities import PoolBook, pool_book
from ringfence.solvency.tree import build_tree, prove_coverage
from ringfence.solvency.verify import check_coverage
from support.venue import ETH, MARKET_PARAMS, POOL, POOL_PARAMS, USDC, WAD, Venue


def venue_at(price_wad: int, insurance_atoms: int = 0) -> Venue:
    venue = Venue(POOL_PARAMS, MARKET_PARAMS, insurance_atoms=insurance_atoms)
    venue.deposit("alice", 1_000 * USDC)
    venue.deposit("bob", 1_000 * USDC)
    venue.trade("alice", ETH, MarginMode.ISOLATED, 500 * USDC)
    venue.trade("bob", 2 * ETH, MarginMode.CROSS)
    venue.quote_prices(price_wad)
    return venue


def claims(book: PoolBook) -> dict[str, tuple[int, int, int]]:
    return {item.account: (item.isolated_atoms, item.cross_atoms, item.lp_atoms) for item in book.liabilities}


def commitment_of(book: PoolBook) -> tuple[Commitment, Opening]:
    """The book's real (height-2) tree: its commitment, with the coverage proof if one exists, and its opening."""
    tree = build_tree(book.pool, 0, [(item.account, item.total_atoms) for item in book.liabilities], bytes(32), 2)
    commitment = Commitment(
        pool=book.pool,
        sequence=0,
        height=2,
        range_bits=64,
        asset=book.asset,
        decimals=book.decimals,
        root_hash=tree.root.hash,
        root_commitment=tree.root.commitment,
        root_range_proof=tree.range_proof(tree.root),
        coverage_proof=prove_coverage(tree, book.assets.total_atoms),
        root_opening=None,
        assets_atoms={"total_atoms": book.assets.total_atoms},
        raw={},
    )
    opening = Opening(total_liabilities_atoms=tree.root.value_atoms, blinding=encode_scalar(tree.root.blinding))
    return commitment, opening


def test_the_fills_are_the_premises() -> None:
    state = venue_at(2_000 * WAD).state
    pool = state.pools[POOL]
    assert pool.positions[(("alice", 0), "ETH-PERP")].open_notional_atoms == 2_000_001_000
    assert pool.positions[(("bob", 0), "ETH-PERP")].open_notional_atoms == 4_000_008_000
    assert pool.vault_atoms == 100_000 * USDC


def test_in_the_money_every_claim_is_owed_and_the_assets_match_to_the_atom() -> None:
    venue = venue_at(2_100 * WAD)
    book = pool_book(venue.state, POOL, venue.now)
    # alice: 500 + 2,100 - 2,000.001 = 599.999; bob: 4,200 - 4,000.008 = 199.992;
    # lp: NAV = 100,000 - 99.999 - 199.992 = 99,700.009 (the only LP: all of it)
    assert claims(book) == {
        "alice/0": (599_999_000, 0, 0),
        "bob/0": (0, 199_992_000, 0),
        "lp/0": (0, 0, 99_700_009_000),
    }
    assert book.total_liabilities_atoms == 100_500_000_000
    # vault 100,000 + alice's margin vault 500; bob owes nothing
    assert (book.assets.vault_atoms, book.assets.isolated_margin_atoms) == (100_000 * USDC, 500 * USDC)
    assert (book.assets.cross_receivable_atoms, book.assets.cross_debt_atoms) == (0, 0)
    assert book.assets.total_atoms == 100_500_000_000
    commitment, opening = commitment_of(book)
    assert check_coverage(commitment, book.assets.total_atoms, opening).surplus_atoms == 0
    assert check_coverage(commitment, book.assets.total_atoms).how == "range proof"  # a surplus of 0 is in range


def test_under_water_the_losses_are_floored_and_the_uncovered_part_shows_as_a_shortfall() -> None:
    venue = venue_at(1_400 * WAD)
    book = pool_book(venue.state, POOL, venue.now)
    # alice: 500 + 1,400 - 2,000.001 = -100.001 -> 0; bob: 2,800 - 4,000.008 = -1,200.008 -> 0;
    # lp: NAV = 100,000 + 600.001 + 1,200.008 = 101,800.009
    assert claims(book) == {"alice/0": (0, 0, 0), "bob/0": (0, 0, 0), "lp/0": (0, 0, 101_800_009_000)}
    # bob owes 1,200.008 but holds 1,000 USDC: only 1,000 counts
    assert book.assets.cross_receivable_atoms == 1_000 * USDC
    assert book.assets.total_atoms == 101_500 * USDC
    commitment, opening = commitment_of(book)
    with pytest.raises(LiabilitiesNotCovered, match="short by 300009000") as raised:
        check_coverage(commitment, book.assets.total_atoms, opening)
    assert (raised.value.assets_atoms, raised.value.liabilities_atoms) == (101_500 * USDC, 101_800_009_000)
    # with the total hidden: the venue cannot prove A - L >= 0, so it publishes no coverage proof
    assert commitment.coverage_proof is None
    with pytest.raises(CoverageNotProven, match="no coverage proof"):
        check_coverage(commitment, book.assets.total_atoms)


def test_an_insurance_fund_larger_than_the_shortfall_covers_it() -> None:
    venue = venue_at(1_400 * WAD, insurance_atoms=1_000 * USDC)
    book = pool_book(venue.state, POOL, venue.now)
    assert book.assets.insurance_atoms == 1_000 * USDC
    # 102,500 - 101,800.009 = 699.991
    commitment, opening = commitment_of(book)
    assert check_coverage(commitment, book.assets.total_atoms, opening).surplus_atoms == 699_991_000
    hidden = check_coverage(commitment, book.assets.total_atoms)
    assert (hidden.liabilities_atoms, hidden.surplus_atoms, hidden.how) == (None, None, "range proof")


@pytest.mark.parametrize(
    ("size_atoms", "down", "up"),
    # 1 atom of ETH at 2,000 is 2,000 · 10^-18 USDC = 2 · 10^-9 atoms: floor 0, ceiling 1; a short: -1 and 0
    [(1, 0, 1), (-1, -1, 0), (ETH, 2_000 * USDC, 2_000 * USDC)],
)
def test_a_liability_counts_the_pnl_rounded_up(size_atoms: int, down: int, up: int) -> None:
    position = Position(size_atoms, 0, 0, MarginMode.CROSS)
    assert unrealised_pnl_atoms(position, 2_000 * WAD, 18, 6) == down
    assert unrealised_pnl_atoms(position, 2_000 * WAD, 18, 6, Rounding.UP) == up
