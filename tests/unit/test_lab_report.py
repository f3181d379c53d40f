"""The HTML report (``ringfence.lab.report``) of studies assembled from hand-made runs, not an engine.

The page is checked as text here; ``tests/e2e/test_report_browser.py`` opens it in a real Chromium.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ringfence.lab.metrics import summarise
from ringfence.lab.report import KEY_PLOT_FILE, expected_plots, render_report
from ringfence.lab.report.findings import worst_run
from ringfence.lab.report.plots import MoneyFormatter, bad_debt_distribution, frontier
from ringfence.lab.report.tables import duration, estimate_text, money, ordinal, usd
from ringfence.lab.study import ContainmentRow, frontier_point
from support.lab_runs import make_run, sample_runs, sample_study
from support.report_study import ASSUMPTIONS, estimate, full_study, unsupported, with_intervals, with_summary

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of the standard sample study, rendered once for the read-only checks."""
    return render_report(sample_study(), tmp_path_factory.mktemp("report")).read_text(encoding="utf-8")


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'<figure data-plot="([a-z_]+)">(.*?)</figure>', html, flags=re.DOTALL))


def test_report_contains_every_expected_figure_with_an_svg(sample_html: str) -> None:
    study = sample_study()

    figures = _figures(sample_html)
    assert tuple(figures) == expected_plots(study)
    assert expected_plots(study) == (
        "cascade",
        "liquidation_timeline",
        "bad_debt_distribution",
        "ladder",
        "frontier",
        "keeper_sweep",
    )
    for name, body in figures.items():
        assert re.search(r"<svg[^>]*viewBox=", body), name
        assert "<path" in body, name
        assert "<figcaption>" in body, name


def test_keeper_sweep_figure_only_when_the_study_has_one(tmp_path: Path) -> None:
    study = sample_study(keeper_sweep=False)

    html = render_report(study, tmp_path).read_text(encoding="utf-8")

    assert "keeper_sweep" not in _figures(html)
    assert "keeper_sweep" not in expected_plots(study)


def test_report_and_key_plot_are_deterministic(tmp_path: Path) -> None:
    first = render_report(sample_study(), tmp_path / "a")
    second = render_report(sample_study(), tmp_path / "b")

    assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "a" / KEY_PLOT_FILE).read_bytes() == (tmp_path / "b" / KEY_PLOT_FILE).read_bytes()
    assert (tmp_path / "a" / KEY_PLOT_FILE).read_bytes().startswith(PNG_SIGNATURE)


def test_report_is_self_contained(sample_html: str) -> None:
    html = sample_html

    assert "<script" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert not re.search(r'(src|xlink:href)="(?!#|data:)', html)
    assert not re.search(r"url\((?!#)", html)


def test_report_escapes_scenario_text(sample_html: str) -> None:
    html = sample_html

    assert "<h1>hand-made &lt;runs&gt; &amp; co</h1>" in html
    assert "&lt;b&gt;not&lt;/b&gt;" in html
    assert "<b>not</b>" not in html
    assert '<a href="https://risk.gauntlet.network/faq">' in html


def test_report_states_the_engine_of_each_section(sample_html: str) -> None:
    html = sample_html

    sections = re.findall(r"<h2>([^<]+)</h2><p class=\"engine\">numbers from the <b>(\w+)</b> engine", html)
    assert sections == [
        ("The scenario's own design", "exact"),
        ("Isolation ladder", "exact"),
        ("Frontier: capital efficiency against contagion", "vector"),
        ("Keeper latency", "exact"),
    ]


def test_report_names_the_order_statistics_behind_the_tail(tmp_path: Path) -> None:
    # 30 runs: VaR95 = ⌈0.95·30⌉ = ⌈28.5⌉ = 29th, EVaR99 = ⌈29.7⌉ = 30th (the largest)
    html = render_report(sample_study(runs=30), tmp_path / "thirty").read_text(encoding="utf-8")
    assert "VaR95 is the 29th smallest of the 30 losses and EVaR99 the 30th" in html
    assert 'class="callout"' not in html
    # 6 runs: VaR95 = ⌈5.7⌉ = 6th = the largest → the page warns
    html = render_report(sample_study(runs=6), tmp_path / "six").read_text(encoding="utf-8")
    assert "VaR95 is the 6th smallest of the 6 losses" in html
    assert "VaR95 and EVaR99 are both the largest loss observed" in html


def test_quiet_study_shows_placeholders_instead_of_empty_plots(tmp_path: Path) -> None:
    quiet = tuple(make_run(path_index=index) for index in range(3))
    study = replace(sample_study(runs=3), base=quiet)

    html = render_report(study, tmp_path).read_text(encoding="utf-8")

    assert "No liquidation in any of the 3 runs" in html
    assert "No bad debt in any of the 3 runs" in html


def test_number_formats() -> None:
    assert usd(1234567.4) == "$1,234,567"
    assert usd(-12.345) == "−$12.35"
    assert usd(0.0) == "$0"
    assert usd(None) == "—"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "111th",
    ]
    assert duration(4 * 3600) == "4 h"
    assert duration(30 * 86_400) == "30 d"
    assert duration(90) == "1.5 min"
    assert duration(45) == "45 s"


def test_the_containment_table_shows_each_mechanism_switched_off_only_for_a_study_with_one(tmp_path: Path) -> None:
    rows = (
        ContainmentRow("none", "as designed", False, 2_433_954.0, 4_956_750.0, 0.0),
        ContainmentRow("isolation", "isolated_pools → monolithic", True, 37_783_954.0, 4_956_750.0, 34_829_787.0),
        ContainmentRow(
            "stable price", "not in use: margin already at the oracle", False, 2_433_954.0, 4_956_750.0, 0.0
        ),
    )
    plain = render_report(sample_study(), tmp_path / "plain").read_text(encoding="utf-8")
    html = render_report(replace(sample_study(), containment=rows), tmp_path / "attack").read_text(encoding="utf-8")

    assert "Which mechanism contained the attack" not in plain
    assert "Which mechanism contained the attack" in html
    assert "isolation off" in html and "$34,829,787" in html
    assert "not in use: margin already at the oracle (same figures)" in html


def _section(html: str, start: str, end: str) -> str:
    """Return the page between the first ``start`` and the next ``end`` after it."""
    begin = html.index(start)
    return html[begin : html.index(end, begin + len(start))]


def _svg_texts(html: str, plot: str) -> list[str]:
    body = _figures(html)[plot]
    return re.findall(r"<text[^>]*>([^<]*)</text>", body)


@pytest.fixture(scope="module")
def full_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of the hand-built study with every section filled, an attacker included."""
    study = full_study(40, attacker_profit_usd=37_800_000.0)
    return render_report(study, tmp_path_factory.mktemp("full")).read_text(encoding="utf-8")


# --- number formats -------------------------------------------------------------------------------------


def test_money_is_compact_to_three_significant_figures() -> None:
    assert money(42_600.0) == "$42.6k"
    assert money(37_812_345.0) == "$37.8M"
    assert money(2_193_970.0) == "$2.19M"
    assert money(812.3) == "$812"
    assert money(-1_250_000.0) == "−$1.25M"
    # 999,960 rounds to 1.00M at 3 figures: the unit follows the rounded value, never "$1000k"
    assert money(999_960.0) == "$1.00M"
    assert money(0.0) == "$0"
    assert money(None) == "—"
    # rounding dust (the vector engine's contagion of 9.88e-12 on one path) is neither a number nor zero
    assert money(9.88e-12) == "<$0.01"


def test_a_figure_prints_with_its_interval() -> None:
    assert estimate_text(0.0, estimate(42_600.0, 38_100.0, 47_000.0)) == "$42.6k (95% CI $38.1k–$47.0k)"
    # bounds that agree to 3 figures get more: 42,612 vs 42,600 vs 42,650
    assert estimate_text(0.0, estimate(42_612.0, 42_600.0, 42_650.0)) == "$42.61k (95% CI $42.60k–$42.65k)"
    assert estimate_text(-15_000.0, estimate(-15_000.0, -16_500.0, -13_500.0)) == (
        "−$15.0k (95% CI −$16.5k to −$13.5k)"
    )
    assert estimate_text(3.4, None, "ratio") == "3.40×"
    assert estimate_text(97_243.0, None) == "$97.2k"


def test_a_figure_the_runs_cannot_support_prints_the_runs_it_needs_and_no_number() -> None:
    assert estimate_text(97_243.0, unsupported(runs=1, runs_needed=20)) == "needs ≥ 20 runs"
    assert estimate_text(97_243.0, unsupported(runs=1, runs_needed=None)) == "needs more than 1 runs"


# --- key finding ------------------------------------------------------------------------------------------


def test_key_finding_comes_first_with_its_interval(full_html: str) -> None:
    finding = _section(full_html, 'data-section="key-finding"', "</section>")

    assert full_html.index('data-section="key-finding"') < full_html.index("<h2>The scenario's own design</h2>")
    assert "the protocol loses <b>$42.6k (95% CI $38.1k–$47.0k)</b> to bad debt per run on average" in finding
    assert "The attacker's mean profit is <b>$37.8M (95% CI $35.9M–$39.7M)</b>" in finding
    assert "bootstrap percentile, 2000 resamples" in finding


def test_a_tail_the_runs_cannot_support_is_never_printed_as_a_number(full_html: str) -> None:
    # the hand-built summary says VaR95 = $123,456 and EVaR99 = $234,567, but their estimates have no value
    finding = _section(full_html, 'data-section="key-finding"', "</section>")
    cards = _section(full_html, '<div class="cards">', "<h3>")

    assert "needs ≥ 400 runs" in finding
    assert "needs ≥ 400 runs" in cards and "needs ≥ 2,000 runs" in cards
    for printed in ("$123", "123,456", "$234", "234,567"):
        assert printed not in full_html


def test_key_finding_compares_the_rungs_and_says_when_their_intervals_overlap(full_html: str) -> None:
    finding = _section(full_html, 'data-section="key-finding"', "</section>")

    # the sample ladder over 40 runs: contagion 50 × path index on the two shared rungs, mean 50 × 39 / 2 = $975,
    # interval ±10% = $877.5–$1,072.5; $0 on the isolated rungs
    assert "<b>Mean contagion</b> runs from <b>$0 (95% CI $0–$0)</b> (isolated pools) to " in finding
    assert "<b>$975 (95% CI $878–$1.07k)</b> (sub-accounts)." in finding
    # the attacker: $37.8M on the first rung down to a quarter of it on the last, intervals apart
    assert "runs from <b>$9.45M (95% CI $8.50M–$10.4M)</b> (isolated positions) to" in finding


def test_overlapping_rung_intervals_are_called_out(tmp_path: Path) -> None:
    study = full_study(6)
    low, high = study.ladder[0], study.ladder[3]
    ladder = (
        replace(
            low,
            summary=with_intervals(
                replace(low.summary, bad_debt_mean_usd=100.0), {"bad_debt_mean_usd": estimate(100.0, 50.0, 160.0)}
            ),
        ),
        replace(
            high,
            summary=with_intervals(
                replace(high.summary, bad_debt_mean_usd=140.0), {"bad_debt_mean_usd": estimate(140.0, 120.0, 200.0)}
            ),
        ),
    )

    html = render_report(replace(study, ladder=ladder), tmp_path).read_text(encoding="utf-8")

    # 120 (low bound of the worse rung) <= 160 (high bound of the better one): the intervals overlap
    assert "but the two intervals overlap: these runs do not tell those rungs apart" in html


def _without_intervals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The sample study's report with every summary stripped of its intervals and per-pool rows."""
    from ringfence.lab import study as study_module

    monkeypatch.setattr(study_module, "_summary_of", lambda runs: summarise(runs, intervals=False))
    sample = sample_study()
    ladder = tuple(replace(row, summary=replace(row.summary, intervals={}, per_pool=())) for row in sample.ladder)
    return render_report(replace(sample, ladder=ladder), tmp_path).read_text(encoding="utf-8")


def test_without_intervals_the_page_says_so_and_prints_no_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = _without_intervals(tmp_path, monkeypatch)
    finding = _section(html, 'data-section="key-finding"', "</section>")

    assert "This study computed no confidence intervals" in finding
    assert "95% CI" not in html
    assert "This study did not compute a sensitivity analysis (tornado) or a table of assumptions" in html


# --- sections ---------------------------------------------------------------------------------------------


def test_per_pool_table_prints_each_figure_with_its_interval(full_html: str) -> None:
    pools = _section(full_html, "<h3>Per pool</h3>", "</table>")

    headers = re.findall(r"<th[^>]*>([^<]*)</th>", pools)
    assert headers == [
        "pool",
        "bad debt, mean",
        "VaR95",
        "EVaR99",
        "LaR95",
        "LP P&amp;L, mean",
        "insurance drawdown, mean",
    ]
    # pool-ETH: base $30,000; VaR95 ×3, EVaR99 ×5, LaR95 ×40, LP P&L ×−0.5, drawdown ×0.8, each ±10%
    row = _section(pools, "<td>pool-ETH</td>", "</tr>")
    cells = re.findall(r'<span class="figure">([^<]*)</span><span class="ci">([^<]*)</span>', row)
    assert cells == [
        ("$30.0k", "$27.0k–$33.0k"),
        ("$90.0k", "$81.0k–$99.0k"),
        ("$150k", "$135k–$165k"),
        ("$1.20M", "$1.08M–$1.32M"),
        ("−$15.0k", "−$16.5k to −$13.5k"),
        ("$24.0k", "$21.6k–$26.4k"),
    ]


def test_without_per_pool_rows_the_table_says_it_has_means_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "This study computed no per-pool tail figures or intervals" in _without_intervals(tmp_path, monkeypatch)


def test_the_cascade_is_the_run_with_the_largest_protocol_loss(tmp_path: Path) -> None:
    runs = (
        make_run(path_index=0, bad_debt=(10.0, 0.0)),
        make_run(path_index=1, bad_debt=(500.0, 300.0)),
        make_run(path_index=2, bad_debt=(100.0, 0.0)),
        make_run(path_index=3, bad_debt=(800.0, 0.0)),
    )
    study = replace(sample_study(runs=4), base=runs)

    html = render_report(study, tmp_path).read_text(encoding="utf-8")

    # path 1 and path 3 both lost $800: the first in path order is the worst run
    assert worst_run(runs) is runs[1]
    caption = _section(html, '<figure data-plot="cascade">', "</figure>")
    assert "Path 1, the run of the base design with the largest protocol loss ($800 of bad debt of 4 runs)" in caption


def test_the_ladder_key_table_is_narrow_and_the_full_table_is_folded(full_html: str) -> None:
    ladder = _section(full_html, "<h2>Isolation ladder</h2>", '<figure data-plot="ladder">')

    key = _section(ladder, 'class="table-wrap key-table"', "</table>")
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", key)
    assert headers == [
        "rung",
        "bad debt, mean",
        "VaR95",
        "contagion, mean",
        "capital efficiency",
        "attacker profit, mean",
    ]
    assert "<td>monolithic (×1)</td>" in key
    assert '<span class="figure">$37.8M</span><span class="ci">$34.0M–$41.6M</span>' in key
    folded = _section(ladder, '<details class="full-table">', "</details>")
    assert "<summary>All 23 columns of the ladder</summary>" in folded
    assert "slippage mean" in folded


def test_without_an_attacker_there_is_no_attacker_column_or_card(sample_html: str) -> None:
    assert "attacker profit, mean" not in sample_html.lower().replace("attacker profit mean", "")
    assert "attacker" not in _section(sample_html, 'data-section="key-finding"', "</section>")


def test_the_attacker_has_a_summary_card(full_html: str) -> None:
    cards = _section(full_html, '<div class="cards">', "<h3>")

    assert "attacker profit, mean" in cards
    assert '<span class="figure">$37.8M</span><span class="ci">95% CI $35.9M–$39.7M</span>' in cards


def test_sensitivity_section_draws_the_tornado_widest_first_with_intervals(full_html: str) -> None:
    section = _section(full_html, "<h2>What moves the result: sensitivity</h2>", "<h2>")

    assert '<figure data-plot="sensitivity">' in section
    rows = re.findall(r"<tr><td>([^<]*)</td>", section)
    # swings: depth |20,000 − 90,000| = 70,000; keeper latency 9,000; volatility has no high value: last
    assert rows == ["scenario as written", "depth", "keeper latency", "volatility"]
    assert "$70.0k" in section and "$9.00k" in section
    assert "needs ≥ 400 runs" in section
    assert '<span class="figure">$90.0k</span><span class="ci">$80.0k–$100k</span>' in section
    # the y tick labels of the chart, top to bottom in the svg: the same order
    labels = [
        text for text in _svg_texts(full_html, "sensitivity") if text in ("depth", "keeper latency", "volatility")
    ]
    assert labels == ["depth", "keeper latency", "volatility"]


def test_assumptions_table_lists_each_value_and_source_escaped(full_html: str) -> None:
    section = _section(full_html, "<h2>Assumptions</h2>", "</table>")

    for assumption in ASSUMPTIONS:
        assert f"<td>{assumption.value}</td>" in section
    assert "<td>ringfence calibrate btc.csv, 2024-01..2024-06</td>" in section
    assert "chosen: &lt;median&gt; of Aave v3 liquidations" in section


def test_sections_without_data_are_left_out(sample_html: str) -> None:
    assert "<h2>Assumptions</h2>" not in sample_html
    assert "sensitivity</h2>" not in sample_html
    assert "sensitivity" not in expected_plots(sample_study())


def test_full_report_is_deterministic(tmp_path: Path) -> None:
    first = render_report(full_study(20, attacker_profit_usd=1e6), tmp_path / "a")
    second = render_report(full_study(20, attacker_profit_usd=1e6), tmp_path / "b")

    assert first.read_bytes() == second.read_bytes()


# --- plots with a single path -----------------------------------------------------------------------------


def test_money_axis_labels_share_one_unit_and_differ_from_each_other() -> None:
    formatter = MoneyFormatter()

    formatter.set_locs([0.0, 20_000.0, 40_000.0])
    assert [formatter(value) for value in (0.0, 20_000.0, 40_000.0)] == ["$0", "$20k", "$40k"]
    formatter.set_locs([1_000_000.0, 1_250_000.0, 1_500_000.0])
    assert [formatter(value) for value in (1_000_000.0, 1_250_000.0)] == ["$1.00M", "$1.25M"]
    # ticks a hair apart (the old single-path histogram) still get distinct labels
    formatter.set_locs([97_242.2, 97_242.4, 97_242.6])
    assert len({formatter(value) for value in (97_242.2, 97_242.4, 97_242.6)}) == 3
    formatter.set_locs([-20_000.0, 0.0, 20_000.0])
    assert formatter(-20_000.0) == "−$20k"


def test_one_run_shows_a_strip_that_says_one_value_is_no_distribution(tmp_path: Path) -> None:
    one = replace(sample_study(runs=2), base=(sample_runs(2)[1],), runs_per_design=1)

    html = render_report(one, tmp_path / "one").read_text(encoding="utf-8")

    texts = _svg_texts(html, "bad_debt_distribution")
    assert any("One value is no distribution" in text for text in texts)
    # the one run lost 250 (sample_runs: 250 × path index 1); ticks from $0, all distinct, none negative
    ticks = [text for text in texts if text.startswith(("$", "−"))]
    assert ticks[0] == "$0"
    assert len(ticks) == len(set(ticks))
    assert not any(text.startswith("−") for text in ticks)
    assert "mean $250" in texts
    # with one run VaR95 and EVaR99 are only that run's loss: no lines claim a tail
    assert not any(text.startswith(("VaR95", "EVaR99")) for text in texts)


def test_the_frontier_axis_has_no_negative_dollars_when_contagion_is_zero() -> None:
    summary = summarise(sample_runs(1, "isolated_pools"))
    points = [frontier_point("isolated_pools", scale, summary) for scale in (0.5, 1.0, 2.0)]

    figure = frontier(points)

    axis = figure.axes[0]
    assert axis.get_ylim()[0] == 0.0
    labels = [label.get_text() for label in axis.get_yticklabels()]
    assert labels == ["$0"]


def test_the_histogram_axis_starts_at_zero_for_losses(tmp_path: Path) -> None:
    losses = np.array([1000.0 + 10.0 * index for index in range(40)])
    summary = summarise(sample_runs(40))

    figure = bad_debt_distribution(losses, summary)

    assert figure.axes[0].get_xlim()[0] == 0.0


def test_hand_built_summary_reaches_the_page(tmp_path: Path) -> None:
    study = sample_study(runs=3)
    summary = with_intervals(
        replace(study.base_summary(), lar95_usd=5_570_000.0),
        {"lar95_usd": estimate(5_570_000.0, 5_100_000.0, 6_020_000.0)},
    )

    html = render_report(with_summary(study, summary), tmp_path).read_text(encoding="utf-8")

    assert '<span class="figure">$5.57M</span><span class="ci">95% CI $5.10M–$6.02M</span>' in html
