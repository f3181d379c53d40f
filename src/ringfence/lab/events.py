"""Event templates: deterministic market and oracle paths shaped on real incidents.

Each template joins a few anchor points ``(seconds after the start, price)`` taken from published
numbers with geometric (log-linear) interpolation on a grid of ``step_seconds``, and derives the
oracle path with the mechanism that failed in the incident (a one-hour delay, a ``minAnswer``
freeze, a forced settlement). Each docstring separates the **published numbers** (with sources)
from the **shape assumptions** (timings the sources do not pin down; every one is a parameter).

Paths have shape ``(1, n_steps + 1)`` like the simulated processes; :meth:`EventPath.rebased`
scales a template to another starting price. Keepers, liquidity and agents are not modelled here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab._checks import check_count, check_positive
from ringfence.lab.oracle import min_answer_oracle, observe_oracle

__all__ = [
    "EVENT_TEMPLATES",
    "EventPath",
    "aave_crv_squeeze",
    "anchored_path",
    "black_thursday",
    "hyperliquid_jelly",
    "luna_collapse",
    "mango_markets",
    "usdc_depeg",
]

FloatArray = NDArray[np.float64]
HOUR = 3600
DAY = 86_400


@dataclass(frozen=True, slots=True, eq=False)
class EventPath:
    """A market path and what the venue's oracle reported along it.

    Attributes
    ----------
    name:
        The template's name (a key of :data:`EVENT_TEMPLATES`).
    step_seconds:
        Grid spacing.
    times_s:
        Seconds since the start of the event, shape ``(n_steps + 1,)``.
    market, oracle:
        Prices of shape ``(1, n_steps + 1)``.
    sources:
        Where the published numbers come from.
    """

    name: str
    step_seconds: int
    times_s: NDArray[np.int64]
    market: FloatArray
    oracle: FloatArray
    sources: tuple[str, ...]

    def rebased(self, initial_price: float) -> EventPath:
        """Return the same event scaled so that the market starts at ``initial_price``."""
        scale = check_positive("initial_price", initial_price) / float(self.market[0, 0])
        return EventPath(
            self.name, self.step_seconds, self.times_s, self.market * scale, self.oracle * scale, self.sources
        )


def anchored_path(anchors: Sequence[tuple[int, float]], step_seconds: int) -> tuple[NDArray[np.int64], FloatArray]:
    """Interpolate anchor points geometrically on a uniform grid from 0 to the last anchor.

    Between anchors ``(t_a, p_a)`` and ``(t_b, p_b)`` the price at ``t`` is
    ``p_a · (p_b / p_a)^((t − t_a) / (t_b − t_a))``: constant percentage moves, as crashes and
    squeezes are quoted. The first anchor must be at 0, times strictly increasing, prices positive;
    anchors that fall on the grid are hit exactly.

    Returns
    -------
    tuple
        Grid times (seconds, shape ``(n + 1,)``) and prices (shape ``(1, n + 1)``).
    """
    step = check_count("step_seconds", step_seconds)
    times = [check_count(f"anchors[{i}].seconds", t, minimum=0) for i, (t, _) in enumerate(anchors)]
    prices = [check_positive(f"anchors[{i}].price", p) for i, (_, p) in enumerate(anchors)]
    if len(times) < 2 or times[0] != 0 or any(b <= a for a, b in itertools.pairwise(times)):
        raise InvalidParameter("anchors", list(anchors), "at least two anchors, the first at 0 s, times increasing")
    grid = np.arange(0, times[-1] + 1, step, dtype=np.int64)
    log_prices = np.interp(grid.astype(np.float64), np.asarray(times, dtype=np.float64), np.log(prices))
    path = np.exp(log_prices)
    for time, price in zip(times, prices, strict=True):
        if time % step == 0:
            path[time // step] = price
    return grid, path.reshape(1, -1)


def black_thursday(
    step_seconds: int = 300,
    osm_hop_seconds: int = HOUR,
    start_price: float = 194.46,
    first_low: float = 126.00,
    bottom: float = 86.62,
    close: float = 135.40,
) -> EventPath:
    """ETH on 12–13 March 2020 ("Black Thursday") behind MakerDAO's one-hour Oracle Security Module.

    Published numbers
    -----------------
    ETH/USD hourly bars (Gemini-style export, ``../shared/data/eth_usd_1h_2016-2020_geb.csv``):
    12 Mar 00:00 UTC open 194.46; 10:00 candle low 126.00; 13 Mar 02:00 candle low 86.62 (the
    window minimum, −55% in 26 hours); 13 Mar 23:00 close 135.40. The anchors sit at those hours.
    MakerDAO's OSM releases each price one ``hop`` = 3600 s after reading it, so the oracle here is
    :func:`~ringfence.lab.oracle.observe_oracle` with latency = cadence = ``osm_hop_seconds``.
    During the crash gas prices spiked, keepers' bids failed and some auctions cleared at 0 DAI
    (not modelled here: this template is only the price and oracle part).

    Sources: MakerDAO, "The Market Collapse of March 12-13, 2020: How It Impacted MakerDAO"
    (blog.makerdao.com, 2020); MakerDAO, "Oracle Security Module (OSM) - Detailed Documentation"
    (docs.makerdao.com); reflexer-labs/geb-simulations, ``notebooks/Stochastic_Generators/data/ETH_1H.csv``.

    Shape assumptions
    -----------------
    Geometric interpolation between the anchor hours (the intra-hour path is not published here).
    """
    anchors = [(0, start_price), (10 * HOUR, first_low), (26 * HOUR, bottom), (47 * HOUR, close)]
    times, market = anchored_path(anchors, step_seconds)
    hop = check_count("osm_hop_seconds", osm_hop_seconds)
    oracle = observe_oracle(market, step_seconds, latency_seconds=hop, cadence_seconds=hop).prices
    return EventPath(
        "black_thursday",
        step_seconds,
        times,
        market,
        oracle,
        (
            "MakerDAO blog, The Market Collapse of March 12-13, 2020: How It Impacted MakerDAO",
            "https://docs.makerdao.com/smart-contract-modules/oracle-module/oracle-security-module-osm-detailed-documentation",
            "reflexer-labs/geb-simulations notebooks/Stochastic_Generators/data/ETH_1H.csv",
        ),
    )


def mango_markets(
    step_seconds: int = 60,
    start_price: float = 0.0382,
    peak_price: float = 0.91,
    pump_seconds: int = 20 * 60,
    collapse_fraction: float = 0.98,
    collapse_seconds: int = 2 * HOUR,
) -> EventPath:
    """MNGO on Mango Markets, 11 October 2022: an illiquid oracle pumped ×24, then −98%.

    Published numbers
    -----------------
    The attacker bought spot MNGO on thin venues and pushed the price from about $0.0382 to about
    $0.91 (×23.8) within minutes, about 20 minutes in the design brief; Mango's oracle aggregated
    those spot prices, so it reported the pumped price faithfully (oracle = market here), and the
    inflated unrealised PnL was borrowed against cross margin (about $110–117 million taken).
    The price then fell back: −98% from the peak.

    Sources: ringfence SPEC §4 (×24 in 20 min); InsurAce, "Hack Review — Mango Markets $117 million
    Exploit" (https://www.insurace.io/blog/?p=3531: $0.0382 → $0.91); U.S. CFTC v. Avraham
    Eisenberg, complaint (S.D.N.Y., 9 January 2023).

    Shape assumptions
    -----------------
    ``collapse_seconds`` (how long the fall back takes) is not pinned by the sources.
    """
    if not 0.0 < collapse_fraction < 1.0:
        raise InvalidParameter("collapse_fraction", collapse_fraction, "a fraction strictly between 0 and 1")
    pump = check_count("pump_seconds", pump_seconds)
    collapse = check_count("collapse_seconds", collapse_seconds)
    floor = peak_price * (1.0 - collapse_fraction)
    anchors = [(0, start_price), (pump, peak_price), (pump + collapse, floor)]
    times, market = anchored_path(anchors, step_seconds)
    return EventPath(
        "mango_markets",
        step_seconds,
        times,
        market,
        market.copy(),
        (
            "ringfence SPEC §4: illiquid oracle pumped x24 in 20 min against cross margin",
            "https://www.insurace.io/blog/?p=3531",
            "CFTC v. Avraham Eisenberg, complaint, S.D.N.Y., 2023-01-09",
        ),
    )


def aave_crv_squeeze(
    step_seconds: int = 300,
    start_price: float = 0.53,
    low_price: float = 0.40,
    squeeze_price: float = 0.63,
    dump_seconds: int = 2 * HOUR,
    squeeze_seconds: int = 4 * HOUR,
) -> EventPath:
    """CRV on Aave v2, 22 November 2022: a borrowed-and-dumped debt asset squeezed back up.

    Published numbers
    -----------------
    A trader borrowed about 92 million CRV against about $57 million USDC and sold it; CRV fell from
    $0.53 to $0.40 (−25%, a two-year low), then rallied more than 50% to $0.61–0.63, where the
    position was liquidated; Aave was left with about 2.66 million CRV (about $1.6 million) of bad
    debt because the illiquid debt asset could not be bought back in time. The oracle (Chainlink
    CRV/USD) tracked the market: oracle = market here.

    Sources: L. Heimbach, E. G. Schertenleib, R. Wattenhofer, "Short Squeeze in DeFi Lending Market:
    Decentralization in Jeopardy?", arXiv:2302.04068 (2023); Coinspeaker, "Curve (CRV) token price
    squeeze" (22 Nov 2022, CoinGecko prices $0.53 → $0.40 → $0.61–0.63).

    Shape assumptions
    -----------------
    ``dump_seconds`` and ``squeeze_seconds`` (same morning, hours apart in the reports).
    """
    dump = check_count("dump_seconds", dump_seconds)
    squeeze = check_count("squeeze_seconds", squeeze_seconds)
    anchors = [(0, start_price), (dump, low_price), (dump + squeeze, squeeze_price)]
    times, market = anchored_path(anchors, step_seconds)
    return EventPath(
        "aave_crv_squeeze",
        step_seconds,
        times,
        market,
        market.copy(),
        (
            "Heimbach, Schertenleib, Wattenhofer, arXiv:2302.04068 (2023)",
            "https://www.coinspeaker.com/curve-crv-token-price-squeeze-plot/",
        ),
    )


def luna_collapse(
    step_seconds: int = HOUR,
    anchors_days: Sequence[tuple[float, float]] = ((0, 87.15), (3, 60.14), (5, 4.0), (6, 0.03), (7, 0.0001)),
    min_answer: float = 0.10,
) -> EventPath:
    """LUNA, 6–13 May 2022: collateral to zero while the Chainlink feed freezes at its floor.

    Published numbers
    -----------------
    LUNA traded about $87 on 6 May and $60 on 9 May 2022, about $4 on 11 May, cents on 12 May and
    about $0.0001 on 13 May. Chainlink's LUNA/USD aggregator had ``minAnswer`` = $0.10: once the
    market fell below it the feed stopped at its last answer ($0.107 per Venus) while LUNA traded
    near $0.01; borrowers deposited LUNA at the frozen price and drained Venus (about $11.2 million)
    and Blizz Finance. The oracle is :func:`~ringfence.lab.oracle.min_answer_oracle`.

    Sources: Venus Protocol statement, 13 May 2022 (oracle $0.107 vs market $0.01, $11.2 million);
    Halborn, "Explained: The Luna Price Dip Exploits (May 2022)"; smartcontractkit/libocr,
    ``contract/OffchainAggregator.sol`` (``minAnswer`` check in ``transmit``).

    Shape assumptions
    -----------------
    ``anchors_days`` are (days after 6 May 00:00 UTC, price): the reported prices of 6, 9, 11, 12
    and 13 May placed at midnight (the sources quote them by day, not by hour).
    """
    anchors = [(round(day * DAY), price) for day, price in anchors_days]
    times, market = anchored_path(anchors, step_seconds)
    return EventPath(
        "luna_collapse",
        step_seconds,
        times,
        market,
        min_answer_oracle(market, min_answer),
        (
            "Venus Protocol statement on the LUNA market, 2022-05-13",
            "https://halborn.com/explained-the-luna-price-dip-exploits-may-2022/",
            "smartcontractkit/libocr contract/OffchainAggregator.sol",
        ),
    )


def usdc_depeg(
    step_seconds: int = 600,
    low_price: float = 0.8774,
    depeg_seconds: int = 12 * HOUR,
    partial_recovery_price: float = 0.97,
    partial_recovery_seconds: int = 24 * HOUR,
    full_recovery_seconds: int = 24 * HOUR,
) -> EventPath:
    """USDC, 10–13 March 2023: −12% in 12 hours after Circle's SVB exposure, then recovery.

    Published numbers
    -----------------
    Circle disclosed that $3.3 billion of about $40 billion of USDC reserves were at the failed
    Silicon Valley Bank; USDC fell to about $0.8774 (−12%) within about 12 hours, recovered to
    about $0.97 when Circle said it would cover any shortfall, and regained $1 after the U.S.
    authorities guaranteed SVB deposits on 12–13 March. The oracle tracked the market (oracle =
    market here); venues that hard-code $1 for a stablecoin would see a flat oracle instead.

    Sources: Circle, statement of 11 March 2023 ($3.3 billion of ~$40 billion at SVB); CoinDesk,
    "USDC Stablecoin Regains Dollar Peg After Silicon Valley Bank-Induced Chaos" (13 March 2023).

    Shape assumptions
    -----------------
    The two recovery legs' durations (``partial_recovery_seconds``, ``full_recovery_seconds``).
    """
    depeg = check_count("depeg_seconds", depeg_seconds)
    partial = depeg + check_count("partial_recovery_seconds", partial_recovery_seconds)
    full = partial + check_count("full_recovery_seconds", full_recovery_seconds)
    anchors = [(0, 1.0), (depeg, low_price), (partial, partial_recovery_price), (full, 1.0)]
    times, market = anchored_path(anchors, step_seconds)
    return EventPath(
        "usdc_depeg",
        step_seconds,
        times,
        market,
        market.copy(),
        (
            "Circle statement, 2023-03-11: $3.3 billion of ~$40 billion USDC reserves at SVB",
            "CoinDesk 2023-03-13, USDC Stablecoin Regains Dollar Peg After Silicon Valley Bank-Induced Chaos",
        ),
    )


def hyperliquid_jelly(
    step_seconds: int = 60,
    start_price: float = 0.0095,
    squeeze_multiple: float = 5.0,
    squeeze_seconds: int = HOUR,
    delist_seconds: int = 2 * HOUR,
    after_delist_seconds: int = HOUR,
) -> EventPath:
    """JELLY on Hyperliquid, 26 March 2025: the backstop inherits a short, JELLY squeezes ×5.

    Published numbers
    -----------------
    A trader's large JELLY short was liquidated into the HLP vault (the venue's backstop), then
    JELLY's price rose about ×5 (market value $10 million → $50 million in under an hour), leaving
    HLP with about $12 million unrealised loss. Validators delisted the market and settled every
    position at $0.0095, the price at which the short had been opened: from the delisting on the
    venue's oracle reads $0.0095 while the outside market kept trading.

    Sources: Hyperliquid, statement on X of 26 March 2025 (delisting, settlement at $0.0095);
    Coinfomania, "JELLY Token Delisted: Hyperliquid Averts $12M Liquidation Crisis" (2025).

    Shape assumptions
    -----------------
    The market holds its peak until the delisting; ``delist_seconds`` and ``after_delist_seconds``.
    """
    multiple = check_positive("squeeze_multiple", squeeze_multiple)
    squeeze = check_count("squeeze_seconds", squeeze_seconds)
    delist = check_count("delist_seconds", delist_seconds)
    tail = check_count("after_delist_seconds", after_delist_seconds)
    if delist <= squeeze:
        raise InvalidParameter("delist_seconds", delist, f"more than squeeze_seconds ({squeeze})")
    peak = start_price * multiple
    anchors = [(0, start_price), (squeeze, peak), (delist, peak), (delist + tail, peak)]
    times, market = anchored_path(anchors, step_seconds)
    oracle = np.where(times >= delist, start_price, market)
    return EventPath(
        "hyperliquid_jelly",
        step_seconds,
        times,
        market,
        oracle,
        (
            "Hyperliquid statement on X, 2025-03-26: JELLY delisted, settled at 0.0095",
            "https://coinfomania.com/jelly-token-delisted-hyperliquid-averts-12m-liquidation-crisis",
        ),
    )


#: Every template by name, each callable with its defaults (and ``step_seconds=``).
EVENT_TEMPLATES: dict[str, Callable[..., EventPath]] = {
    "black_thursday": black_thursday,
    "mango_markets": mango_markets,
    "aave_crv_squeeze": aave_crv_squeeze,
    "luna_collapse": luna_collapse,
    "usdc_depeg": usdc_depeg,
    "hyperliquid_jelly": hyperliquid_jelly,
}
