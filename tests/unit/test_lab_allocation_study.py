"""The allocator study (``ringfence.lab.allocation_study``) and its report: rules, intervals, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from ringfence.lab.allocation_study import (
    ATOMS_PER_USD,
    liquidated_on_paths,
    load_allocation_book,
    run_allocation_study,
)
from ringfence.lab.errors import ScenarioError
from ringfence.lab.estimate import mean_estimate
from ringfence.lab.report.allocation import render_allocation_report
from ringfence.risk.early_warning import liquidation_price

SCENARIOS = Path(__file__).parents[2] / "scenarios"
BOOK = SCENARIOS / "books" / "allocator-book.toml"


def _book(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "book.toml"
    path.write_text(f'name = "b"\nscenario = "{SCENARIOS / "isolation-ladder.toml"}"\n{body}')
    return path


def test_the_liquidation_rule_is_a_touch_of_the_liquidation_price():
    # x + q(S_t − S_0) < |q| m S_t  ⇔  S_t below L (long) / above L (short), L from early_warning's formula.
    rng = np.random.default_rng(7)
    prices = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, (500, 49)), axis=1))
    prices[:, 0] = 100.0
    for size, margin in ((3.0, 40.0), (-3.0, 40.0)):
        barrier = float(liquidation_price(100.0, size, 0.05, margin - abs(size) * 0.05 * 100.0))
        later = prices[:, 1:]
        expected = np.any(later < barrier, axis=1) if size > 0 else np.any(later > barrier, axis=1)
        got = liquidated_on_paths(prices, size, margin, 0.05)
        assert 0 < got.sum() < got.size  # some paths hit, some do not: the check bites
        np.testing.assert_array_equal(got, expected)


def _small(path: Path = BOOK):
    """The bundled book with 500 training paths for the path search (the file's 10,000 take seconds)."""
    book, scenario = load_allocation_book(path)
    return book.model_copy(update={"training_paths": 500}), scenario


def test_a_small_study_is_exact_paired_and_deterministic():
    book, scenario = _small()
    first = run_allocation_study(book, scenario, paths=60)
    second = run_allocation_study(book, scenario, paths=60)
    assert first == second
    collateral = round(book.collateral * ATOMS_PER_USD)
    for policy in first.policies:
        assert sum(policy.margins_atoms) == collateral
    allocator = first.policy("allocator")
    assert all(m >= f for m, f in zip(allocator.margins_atoms, first.initial_margin_atoms, strict=True))
    assert first.policy("equal split").margins_atoms == (10_000 * ATOMS_PER_USD,) * 5
    # The gain is the mean of the paired differences: P_equal − P_alloc, the same as the two shares' difference.
    equal = first.policy("equal split").measured_any.value
    mine = allocator.measured_any.value
    assert first.gain_over_equal.value == pytest.approx(equal - mine, abs=1e-12)
    assert first.gain_over_equal.low <= first.gain_over_equal.value <= first.gain_over_equal.high
    # The interval is lab.estimate's bootstrap of those differences, not a new one.
    assert first.gain_over_equal.method == mean_estimate([0.0, 1.0]).method
    path = first.policy("path search")
    assert sum(path.margins_atoms) == collateral
    assert all(m >= f for m, f in zip(path.margins_atoms, first.initial_margin_atoms, strict=True))
    assert first.path_search_gain.value == pytest.approx(mine - path.measured_any.value, abs=1e-12)


def test_book_errors_name_their_key(tmp_path: Path):
    with pytest.raises(ScenarioError) as unknown:
        load_allocation_book(
            _book(tmp_path, 'collateral = 1000.0\n[[positions]]\nasset = "DOGE"\nside = "long"\nnotional = 1.0\n')
        )
    assert unknown.value.keys == ("positions.0.asset",)
    with pytest.raises(ScenarioError) as wrong:
        load_allocation_book(
            _book(tmp_path, 'collateral = -1.0\n[[positions]]\nasset = "BTC"\nside = "up"\nnotional = 1.0\n')
        )
    assert set(wrong.value.keys) == {"collateral", "positions.0.side"}
    with pytest.raises(ScenarioError):
        load_allocation_book(tmp_path / "missing.toml")
    book, scenario = load_allocation_book(
        _book(
            tmp_path,
            'collateral = 1000.0\n[[positions]]\nasset = "BTC"\nside = "long"\nnotional = 100000.0\n'
            '[[positions]]\nasset = "ETH"\nside = "long"\nnotional = 1000.0\n',
        )
    )
    with pytest.raises(ScenarioError, match="below its initial margin"):
        run_allocation_study(book, scenario, paths=10)


def test_the_report_and_the_command(tmp_path: Path):
    book, scenario = _small()
    study = run_allocation_study(book, scenario, paths=40)
    html, data, png = render_allocation_report(study, tmp_path / "report")
    page = html.read_text()
    assert 'data-plot="allocation"' in page and "<script" not in page
    results = json.loads(data.read_text())
    assert results["gain_over_equal"]["value"] == study.gain_over_equal.value
    assert png.read_bytes().startswith(b"\x89PNG")
    again = render_allocation_report(study, tmp_path / "again")
    assert again[0].read_bytes() == html.read_bytes() and again[2].read_bytes() == png.read_bytes()

    out = tmp_path / "cli"
    small = tmp_path / "small-book.toml"
    text = BOOK.read_text().replace(
        'scenario = "../isolation-ladder.toml"', f'scenario = "{SCENARIOS / "isolation-ladder.toml"}"'
    )
    small.write_text(text.replace("paths = 1000", "paths = 1000\ntraining_paths = 500"))
    result = CliRunner().invoke(app, ["allocate-study", str(small), "--paths", "40", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "gain of the allocator over the equal split" in result.output
    assert (out / "allocation.html").exists()
    bad = CliRunner().invoke(app, ["allocate-study", str(tmp_path / "nope.toml")])
    assert bad.exit_code == 2 and "not found" in bad.output
