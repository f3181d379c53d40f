"""Errors of the risk models, attached to the one error tree of :mod:`ringfence.core.errors`.

::

    RingfenceError
    └── InvalidCommand
        └── InvalidParameter            a field outside its accepted domain (core class)
            ├── InvalidSeries           a price or return series the models cannot use
            │   ├── NonFiniteSeries     a NaN or infinity in the series
            │   ├── NonPositivePrices   a price at or below zero (log returns need positive prices)
            │   └── SeriesTooShort      fewer observations than the model needs
            ├── GarchFitFailed          the likelihood maximisation did not converge
            └── CollateralShortfall     an allocation's floors need more than the collateral

Every one is an input error: the series (or the model chosen for it) must change. Nothing in
:mod:`ringfence.risk` repairs a series (no NaN dropped, no price clipped) on the caller's behalf.
"""

from __future__ import annotations

from ringfence.core.errors import InvalidParameter

__all__ = [
    "CollateralShortfall",
    "GarchFitFailed",
    "InvalidSeries",
    "NonFiniteSeries",
    "NonPositivePrices",
    "SeriesTooShort",
]


class InvalidSeries(InvalidParameter):
    """A price or return series that a volatility model cannot use as given."""

    code = "invalid_series"


class NonFiniteSeries(InvalidSeries):
    """The series holds a NaN or an infinity; ``value`` is the first offending index."""

    code = "non_finite_series"

    def __init__(self, field: str, first_index: int) -> None:
        super().__init__(field, f"non-finite value at index {first_index}", "finite floats only (drop or fill gaps)")
        self.first_index = first_index


class NonPositivePrices(InvalidSeries):
    """A price is zero or negative; ``first_index`` is where (a bad tick to drop before the model)."""

    code = "non_positive_prices"

    def __init__(self, field: str, first_index: int, price: float) -> None:
        super().__init__(field, f"price {price!r} at index {first_index}", "prices > 0 (drop bad ticks first)")
        self.first_index = first_index
        self.price = price


class SeriesTooShort(InvalidSeries):
    """Fewer observations than the model needs."""

    code = "series_too_short"

    def __init__(self, field: str, length: int, minimum: int) -> None:
        super().__init__(field, f"{length} observations", f"at least {minimum} observations")
        self.length = length
        self.minimum = minimum


class GarchFitFailed(InvalidParameter):
    """The GARCH(1,1) likelihood maximisation did not converge on this series."""

    code = "garch_fit_failed"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason, "a return series a GARCH(1,1) can be fitted to (check its scale and length)")
        self.reason = reason


class CollateralShortfall(InvalidParameter):
    """The floors of an allocation (what each vault must keep) add up to more than the collateral."""

    code = "collateral_shortfall"

    def __init__(self, floors_total: float, collateral: float) -> None:
        super().__init__(
            "collateral",
            collateral,
            f"at least {floors_total} (what the positions' floors need); add collateral or lower the floors",
        )
        self.floors_total = floors_total
        self.collateral = collateral
