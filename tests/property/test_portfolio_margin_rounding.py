"""A portfolio-margin requirement never rounds in the account's favour: its atoms are ≥ the exact value."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidParameter
from ringfence.risk.portfolio_margin import requirement_atoms

requirements = st.floats(min_value=0.0, max_value=4e9, allow_nan=False, allow_infinity=False)


@given(st.lists(requirements, min_size=1, max_size=40), st.integers(min_value=0, max_value=6))
def test_atoms_are_never_below_the_exact_requirement_and_at_most_one_above(values: list[float], decimals: int) -> None:
    atoms = requirement_atoms(np.array(values), decimals)
    for value, atom in zip(values, atoms.tolist(), strict=True):
        exact = Fraction(value) * 10**decimals  # the float's exact rational value, scaled
        ceiling = math.ceil(exact)
        assert atom >= exact
        assert atom <= ceiling + 1


def test_exact_products_and_zero() -> None:
    assert requirement_atoms(np.array([0.0, 1.5, 0.1]), 6).tolist() == [0, 1_500_001, 100_001]
    # 1.5·10⁶ is exact in floats: the nudge charges one atom more than the exact ceiling; 0.1 is
    # 0.1000000000000000055…, whose exact ceiling at 6 decimals is 100,001 already


def test_values_beyond_the_resolved_range_and_negatives_are_refused() -> None:
    with pytest.raises(InvalidParameter):
        requirement_atoms(np.array([1e12]), 6)
    with pytest.raises(InvalidParameter):
        requirement_atoms(np.array([-1.0]), 6)
