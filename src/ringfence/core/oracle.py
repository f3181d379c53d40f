"""Oracle aggregation: N named sources → one guarded price per asset.

A submission from a source is one :class:`SourceQuote`. :func:`aggregate` turns the latest
quote of every source into an :class:`Aggregate` in five steps:

1. **Freshness**: a quote older than ``max_staleness_ns`` at ``now`` is ignored.
2. **Confidence**: a quote whose confidence interval exceeds ``max_confidence_wad`` of its
   price is ignored (Pyth-style ``conf / price`` filter).
3. **Quorum**: fewer than ``quorum`` usable quotes → :attr:`OracleStatus.STALE`, no price.
4. **Deviation**: quotes farther than ``max_deviation_wad`` (relative) from the median of the
   usable quotes are dropped as outliers; the quorum is checked again.
5. **Median**: the weighted median of the remaining quotes (with equal weights, the ordinary
   median; the mean of the two middle prices rounds down).

Then the **jump guard** compares the median with the last accepted price: a relative change
beyond ``max_jump_wad`` is :attr:`OracleStatus.GUARDED` and not accepted. A guard must never
freeze a market for good (Aave removed its sequencer sentinel for that reason; hard-coded
oracles froze the Stream/xUSD markets), so the rule is explicit: **a guarded price that a
quorum of fresh sources keeps confirming for ``guard_release_ns`` is accepted** as the new
reference. While the oracle is not fresh, markets priced by it go reduce-only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ringfence.core.units import WAD, Rounding, mul_div

__all__ = [
    "Aggregate",
    "OracleConfig",
    "OracleSource",
    "OracleStatus",
    "SourceQuote",
    "aggregate",
    "relative_change_wad",
    "weighted_median",
]


class OracleStatus(enum.Enum):
    """Trust in an asset's price at a point in time."""

    FRESH = "fresh"
    """A quorum of fresh, agreeing sources; the price is usable for every command."""
    STALE = "stale"
    """Too few fresh sources (or none recently accepted): reduce-only."""
    GUARDED = "guarded"
    """The sources jumped past the jump guard; waiting for confirmation: reduce-only."""


@dataclass(frozen=True, slots=True)
class OracleSource:
    """A named price source and its weight in the median."""

    name: str
    weight: int = 1


@dataclass(frozen=True, slots=True)
class OracleConfig:
    """How one asset's sources are aggregated and guarded."""

    sources: tuple[OracleSource, ...]
    quorum: int
    max_staleness_ns: int
    max_deviation_wad: int
    """Largest relative distance of a source from the median before it counts as an outlier."""
    max_confidence_wad: int
    """Largest ``confidence / price`` a quote may carry."""
    max_jump_wad: int
    """Largest relative move against the last accepted price before the guard trips."""
    guard_release_ns: int
    """How long a quorum must confirm a guarded price before it is accepted."""

    def source_names(self) -> tuple[str, ...]:
        """Return the configured source names in order."""
        return tuple(source.name for source in self.sources)


@dataclass(frozen=True, slots=True)
class SourceQuote:
    """One source's latest report."""

    price_wad: int
    confidence_wad: int
    published_ns: int


@dataclass(frozen=True, slots=True)
class Aggregate:
    """The outcome of aggregating the sources at one instant."""

    status: OracleStatus
    price_wad: int | None
    """The median when a quorum agrees (also set when GUARDED, to show what was refused)."""
    used_sources: tuple[str, ...]
    reason: str


def relative_change_wad(new: int, reference: int) -> int:
    """Return ``|new − reference| / reference`` in WAD, rounded up (conservative for guards)."""
    return mul_div(abs(new - reference), WAD, reference, Rounding.UP)


def weighted_median(prices_and_weights: Iterable[tuple[int, int]]) -> int:
    """Return the weighted median of ``(price, weight)`` pairs with positive weights.

    The smallest price whose cumulative weight reaches half the total; when the cumulative
    weight lands exactly on half, the mean of that price and the next (rounded down), so
    equal weights give the ordinary median.
    """
    ordered = sorted(prices_and_weights)
    total = sum(weight for _, weight in ordered)
    cumulative = 0
    for index, (price, weight) in enumerate(ordered):
        cumulative += weight
        if 2 * cumulative > total:
            return price
        if 2 * cumulative == total:
            return (price + ordered[index + 1][0]) // 2
    raise ValueError("weighted_median needs at least one positive weight")


def _usable_quotes(
    config: OracleConfig, quotes: Mapping[str, SourceQuote], now_ns: int
) -> list[tuple[str, SourceQuote, int]]:
    usable = []
    for source in config.sources:
        quote = quotes.get(source.name)
        if quote is None or now_ns - quote.published_ns > config.max_staleness_ns:
            continue
        if mul_div(quote.confidence_wad, WAD, quote.price_wad, Rounding.UP) > config.max_confidence_wad:
            continue
        usable.append((source.name, quote, source.weight))
    return usable


def aggregate(
    config: OracleConfig,
    quotes: Mapping[str, SourceQuote],
    now_ns: int,
    reference_price_wad: int | None,
) -> Aggregate:
    """Aggregate the latest quotes at ``now_ns`` against the last accepted price.

    The jump guard is evaluated here but its release (``guard_release_ns``) needs history,
    so the caller decides whether a GUARDED aggregate has been confirmed long enough.
    """
    usable = _usable_quotes(config, quotes, now_ns)
    if len(usable) < config.quorum:
        return Aggregate(OracleStatus.STALE, None, (), f"{len(usable)} usable source(s), quorum is {config.quorum}")
    first_median = weighted_median((quote.price_wad, weight) for _, quote, weight in usable)
    agreeing = [
        (name, quote, weight)
        for name, quote, weight in usable
        if relative_change_wad(quote.price_wad, first_median) <= config.max_deviation_wad
    ]
    if len(agreeing) < config.quorum:
        return Aggregate(
            OracleStatus.STALE,
            None,
            (),
            f"{len(agreeing)} source(s) agree within the deviation limit, quorum is {config.quorum}",
        )
    median = weighted_median((quote.price_wad, weight) for _, quote, weight in agreeing)
    used = tuple(name for name, _, _ in agreeing)
    if reference_price_wad is not None:
        jump = relative_change_wad(median, reference_price_wad)
        if jump > config.max_jump_wad:
            return Aggregate(
                OracleStatus.GUARDED,
                median,
                used,
                f"median moved {jump} wad against the last accepted price, limit {config.max_jump_wad}",
            )
    return Aggregate(OracleStatus.FRESH, median, used, "quorum of fresh, agreeing sources")
