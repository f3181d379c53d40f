"""The assumptions a study rests on: each calibrated or chosen value of a scenario with its source.

The report prints them as a table, so a reader can see which numbers drive the results and
where each came from.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Assumption"]


@dataclass(frozen=True, slots=True)
class Assumption:
    """One value a study assumes.

    Attributes
    ----------
    name:
        What it is, with its market when it has one (``"BTC depth (USD for 1σ daily move)"``).
    value:
        As printed (with its unit).
    source:
        Where it comes from: a calibration (file, window, command) or a cited document and date;
        ``"chosen"`` with the reason when it is a modelling choice.
    """

    name: str
    value: str
    source: str
