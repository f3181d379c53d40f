"""Conformance of the portfolio auction's arithmetic (Derive ``DutchAuction.sol``), on numbers worked by hand.

``derivexyz/v2-core`` ``src/liquidation/DutchAuction.sol``: ``_getMaxProportion`` (``IM / (IM − bid)``),
``bid``'s ``bidPrice.multiplyDecimal(finalPercentage)``, the insolvent ``_getCurrentBidPrice``
(``−dv · steps``, ``dv = |lowerBound| / lengthOfAuction``), and the solvent bid of the current contract,
``(MtM − reserved cash) · d(t)`` with Derive's published schedule.
"""

from __future__ import annotations

import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.core.liquidation.auctions import LYRA_DEFAULT_AUCTION, lyra_solvent_bid_value
from ringfence.core.liquidation.portfolio import (
    elapsed_seconds,
    insolvent_payment_atoms,
    moved_basis_atoms,
    portfolio_share_atoms,
    solvent_price_atoms,
    solvent_share_cap_wad,
    split_by_weight,
)

WAD = 10**18


def test_the_share_cap_restores_initial_margin_rounded_up() -> None:
    # IM = −1,890.1, bid for the whole = 824.9175: f = 1,890.1 / 2,715.0175 = 0.69616494184659951…
    assert solvent_share_cap_wad(1_890_100_000, 824_917_500) == 696_164_941_846_599_516  # ⌈…⌉
    assert solvent_share_cap_wad(1, 0) == WAD  # nothing to pay for: the whole portfolio may go
    assert solvent_share_cap_wad(3, 1) == 3 * WAD // 4  # exact: no rounding to do


def test_the_solvent_bid_and_its_price_for_a_share() -> None:
    # MtM 999.9 USDC at 450 s: d = 82.5%, the whole bid ⌊999.9 · 0.825⌋ = 824.9175 USDC
    assert lyra_solvent_bid_value(LYRA_DEFAULT_AUCTION, 999_900_000, 0, 450) == 824_917_500
    assert solvent_price_atoms(824_917_500, 696_164_941_846_599_516) == 574_278_643  # ⌊824,917,500 · 0.6961649…⌋
    assert solvent_price_atoms(10, WAD // 3) == 3


def test_the_insolvent_payment_grows_linearly_to_the_deficit() -> None:
    # deficit 3,550.1 USDC over 3,600 s: 1,801 s pay ⌊3,550,100,000 · 1,801 / 3,600⌋ = 1,776,036,138
    assert insolvent_payment_atoms(3_550_100_000, 1_801, 3_600, WAD) == 1_776_036_138
    assert insolvent_payment_atoms(3_550_100_000, 0, 3_600, WAD) == 0
    assert insolvent_payment_atoms(3_550_100_000, 9_999, 3_600, WAD) == 3_550_100_000  # capped at the deficit
    assert insolvent_payment_atoms(3_550_100_000, 3_600, 3_600, WAD // 4) == 887_525_000


def test_shares_move_toward_zero_with_their_basis_rounded_up() -> None:
    assert portfolio_share_atoms(10 * 10**18, 696_164_941_846_599_516) == 6_961_649_418_465_995_160
    assert portfolio_share_atoms(-7, WAD // 2) == -3  # a debt's share, toward zero
    assert portfolio_share_atoms(-7, WAD) == -7  # a whole share moves all of it
    # basis 20,000.1 USDC on 10 ETH, 6.9616… ETH moved: ⌈20,000,100,000 · 0.69616494184659951⌉
    assert moved_basis_atoms(20_000_100_000, 6_961_649_418_465_995_160, 10 * 10**18) == 13_923_368_454
    assert moved_basis_atoms(-358_760_362, 1, 3) == -119_586_787  # ⌈−119,586,787.33⌉: toward +∞


def test_a_payment_splits_by_claims_and_adds_up() -> None:
    assert split_by_weight(100, (1, 1, 1)) == (34, 33, 33)  # the remainder to the first of equal claims
    assert split_by_weight(1_000, (300, 100, 0)) == (750, 250, 0)
    assert split_by_weight(7, (2, 5)) == (2, 5)
    assert sum(split_by_weight(1_776_036_138, (3, 7, 11))) == 1_776_036_138
    with pytest.raises(InvalidParameter):
        split_by_weight(1, (0, 0))


def test_the_clock_counts_whole_seconds_and_refuses_the_past() -> None:
    assert elapsed_seconds(10**9, 10**9 + 1_999_999_999) == 1
    with pytest.raises(InvalidParameter):
        elapsed_seconds(2 * 10**9, 10**9)
