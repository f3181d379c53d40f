"""The HTML report (``ringfence.lab.report``) of studies assembled from hand-made runs, not an engine.

The page is checked as text here; ``tests/e2e/test_report_browser.py`` opens it in a real Chromium.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from ringfence.lab.report import KEY_PLOT_FILE, expected_plots, render_report
from ringfence.lab.report.tables import duration, ordinal, usd
from ringfence.lab.study import ContainmentRow
from support.lab_runs import make_run, sample_study

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
        "prices",
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
