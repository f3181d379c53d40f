"""The domains report's plot: value lost by party on each domain, with 95% intervals (matplotlib, no pyplot)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from ringfence.lab.estimate import mean_estimate
from ringfence.lab.report.plots import INK, PALETTE, style

__all__ = ["loss_plot"]


def loss_plot(
    domains: Sequence[str], parties: Sequence[str], party_loss: Mapping[tuple[str, str], NDArray[np.float64]]
) -> Figure:
    """Return grouped horizontal bars: per domain, each party's mean loss with its 95% interval as a whisker."""
    with style("domains-loss"):
        figure = Figure(figsize=(8.0, 0.9 + 0.32 * len(domains) * len(parties)))
        axes = figure.add_subplot()
        height = 0.8 / len(parties)
        for j, party in enumerate(parties):
            means, lows, highs = [], [], []
            for domain in domains:
                estimate = mean_estimate(party_loss[(domain, party)])
                mean = 0.0 if estimate.value is None else estimate.value
                means.append(mean)
                lows.append(mean - (mean if estimate.low is None else estimate.low))
                highs.append((mean if estimate.high is None else estimate.high) - mean)
            positions = np.arange(len(domains)) + (j - (len(parties) - 1) / 2) * height
            axes.barh(
                positions,
                means,
                height=height * 0.9,
                color=PALETTE[j % len(PALETTE)],
                label=party,
                xerr=np.array([lows, highs]),
                error_kw={"ecolor": INK, "elinewidth": 0.8, "capsize": 2},
            )
        axes.set_yticks(np.arange(len(domains)), list(domains))
        axes.invert_yaxis()
        axes.axvline(0.0, color=INK, linewidth=0.8)
        axes.set_xlabel("value lost because of the failure, USD (control − failure)")
        axes.set_title("Where the bridge failure's loss landed")
        axes.legend(loc="lower right")
        figure.tight_layout()
    return figure
