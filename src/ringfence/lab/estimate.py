"""A reported figure with its uncertainty: the value, its 95% confidence interval, and how it was obtained.

Every number the stress lab reports about a study (a mean, VaR95, EVaR99, LaR95) is an
:class:`Estimate` from a finite number of runs. A tail statistic that the runs cannot support
(too few runs beyond its quantile for an interval to exist) has ``value = None`` and says in
``runs_needed`` how many runs it would take; the report prints that instead of a number.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Estimate"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """One figure across runs with its 95% confidence interval.

    Attributes
    ----------
    value:
        The point estimate, or ``None`` when the runs cannot support it (see ``runs_needed``).
    low, high:
        The bounds of the 95% confidence interval (``None`` with ``value``).
    method:
        How the interval was computed, named for the reader (for example ``"bootstrap percentile,
        2000 resamples"`` or ``"exact order-statistic interval"``).
    runs:
        How many runs the estimate uses.
    runs_needed:
        When ``value`` is ``None``: the fewest runs that would support the statistic.
    """

    value: float | None
    low: float | None
    high: float | None
    method: str
    runs: int
    runs_needed: int | None = None

    @property
    def printable(self) -> bool:
        """Whether the runs support a number (otherwise the report prints ``runs_needed``)."""
        return self.value is not None
