"""The float book's validation and derived per-account constants (``risk/book.py``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from support.risk_books import make_book


def test_derived_constants_fold_vault_and_funding_per_account():
    # Arrange / Act
    book = make_book()

    # Assert: account 0: funding owed 3 and −1 → fixed equity −2; magnitude |4,000| + 3 + |−5,500| + 1 = 9,504
    # account 1: vault 50 → fixed equity 50, magnitude 1,500 + 50 = 1,550
    assert list(book.account_fixed_equity) == [-2.0, 50.0, 40.0, 0.0, 0.0]
    assert list(book.account_fixed_magnitude) == [9_504.0, 1_550.0, 1_790.0, 30_000.0, 1_900.0]
    assert book.max_terms_per_account == 4
    assert (book.position_count, book.account_count) == (6, 5)


def test_replace_recomputes_the_derived_constants():
    # Arrange
    book = make_book()

    # Act: double every funding owed
    doubled = dataclasses.replace(book, position_funding_owed=book.position_funding_owed * 2)

    # Assert
    assert doubled.account_fixed_equity[0] == -4.0


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("position_size", np.zeros(5), r"position_size=\(5,\).*length 6"),
        ("position_market", np.zeros(6, dtype=np.int32), r"position_market='int32'.*dtype int64"),
        ("position_market", np.full(6, 2, dtype=np.intp), r"position_market=\(2, 2\).*indices in \[0, 2\)"),
        ("holding_asset", np.full(5, -1, dtype=np.intp), r"holding_asset=\(-1, -1\)"),
        ("position_open_notional", np.full(6, np.nan), "position_open_notional='non-finite values'"),
        ("market_maintenance_rate", np.array([0.05, 1.5]), r"market_maintenance_rate=\(0.05, 1.5\).*\[0, 1\]"),
        ("market_pnl_weight", np.array([-0.1, 0.5]), "market_pnl_weight"),
        ("position_isolated_margin", np.full(6, -1.0), "position_isolated_margin='negative values'"),
        ("position_isolated", np.ones(6, dtype=np.bool_), "position_isolated='differs from its account'"),
        ("account_rounding_allowance", np.full(5, -1.0), "account_rounding_allowance='negative values'"),
        ("asset_count", 2, r"market_base_asset=\(1, 2\).*indices in \[0, 2\)"),
        ("holding_weighted_amount", [1.0] * 5, "holding_weighted_amount='list'.*a numpy array"),
    ],
)
def test_malformed_book_is_refused_naming_the_field(field, value, match):
    # Arrange
    book = make_book()

    # Act / Assert
    with pytest.raises(InvalidParameter, match=match):
        dataclasses.replace(book, **{field: value})


def test_holding_of_an_isolated_account_is_refused():
    # Arrange: account 1 is isolated; a holding cannot belong to it.
    book = make_book()

    # Act / Assert
    with pytest.raises(InvalidParameter, match="holding_account='an isolated account'"):
        dataclasses.replace(book, holding_account=np.array([0, 1, 3, 4, 4], dtype=np.intp))
