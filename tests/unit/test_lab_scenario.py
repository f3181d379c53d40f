"""Tests of ``ringfence.lab.scenario`` (the TOML schema and loader) and ``ringfence.lab.sample``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ringfence.core.errors import InvalidCommand
from ringfence.lab.errors import ScenarioError
from ringfence.lab.events import black_thursday
from ringfence.lab.history import load_price_history
from ringfence.lab.sample import sample_paths
from ringfence.lab.scenario import (
    CorrelatedGbmProcess,
    CorrelatedJumpDiffusionProcess,
    EventProcess,
    GarchProcess,
    GbmProcess,
    HistoricalProcess,
    JumpDiffusionProcess,
    Scenario,
    load_scenario,
)

HEAD = """
name = "eth-calm"
description = "a test scenario"
sources = ["Glasserman (2004)"]
seed = 7
runs = 5

[horizon]
steps = 24
step_seconds = 3600
"""

GBM = """
[price]
kind = "gbm"
initial_price = 2000.0
drift = 0.0
volatility = 0.8
"""

PRICE_CSV = "timestamp,price\n" + "".join(f"{1_600_000_000 + 3600 * i},{100 + i}\n" for i in range(49))


def _write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(tmp_path: Path, text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(_write(tmp_path, text))
    return caught.value


# --- loading every kind -----------------------------------------------------------------------


def test_a_full_gbm_scenario_loads_with_its_optional_sections(tmp_path: Path) -> None:
    text = (
        HEAD
        + GBM
        + """
[oracle]
latency_seconds = 3600
cadence_seconds = 3600
staleness_seconds = 5400

[population]
traders = 100
leverage_min = 1.0
leverage_max = 20.0
collateral_mean = 1000.0

[keepers]
count = 3
latency_seconds = 12
failure_probability = 0.25
"""
    )

    scenario = load_scenario(_write(tmp_path, text))

    assert isinstance(scenario.price, GbmProcess)
    assert scenario.price.volatility == 0.8
    assert scenario.horizon.seconds == 86_400
    assert scenario.oracle.staleness_seconds == 5400
    assert scenario.population is not None
    assert scenario.population.leverage_max == 20.0
    assert scenario.keepers is not None
    assert scenario.keepers.failure_probability == 0.25


def test_optional_sections_may_be_left_out(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, HEAD + GBM))

    assert scenario.population is None
    assert scenario.keepers is None
    assert scenario.oracle.latency_seconds == 0
    assert scenario.oracle.cadence_seconds is None


@pytest.mark.parametrize(
    ("price", "model"),
    [
        (
            'kind = "jump_diffusion"\ninitial_price = 1.0\nvolatility = 0.5\njump_intensity = 10.0\n'
            "jump_mean = -0.1\njump_volatility = 0.05",
            JumpDiffusionProcess,
        ),
        ('kind = "garch"\ninitial_price = 1.0\nomega = 1e-6\nalpha = 0.1\nbeta = 0.85', GarchProcess),
        (
            'kind = "correlated_gbm"\nassets = ["ETH", "BTC"]\ninitial_prices = [2000.0, 30000.0]\n'
            "volatilities = [0.8, 0.6]\ncorrelation = [[1.0, 0.7], [0.7, 1.0]]",
            CorrelatedGbmProcess,
        ),
        (
            'kind = "correlated_jump_diffusion"\nassets = ["ETH", "ALT"]\ninitial_prices = [2000.0, 2.0]\n'
            "volatilities = [0.8, 1.2]\ncorrelation = [[1.0, 0.5], [0.5, 1.0]]\njump_intensities = [80.0, 6.0]\n"
            "jump_means = [-0.01, -0.2]\njump_volatilities = [0.07, 0.15]",
            CorrelatedJumpDiffusionProcess,
        ),
        ('kind = "event"\ntemplate = "black_thursday"\ninitial_price = 2000.0', EventProcess),
    ],
)
def test_each_price_process_kind_loads(tmp_path: Path, price: str, model: type) -> None:
    scenario = load_scenario(_write(tmp_path, HEAD + "\n[price]\n" + price + "\n"))

    assert isinstance(scenario.price, model)


def test_a_historical_csv_is_resolved_next_to_the_scenario_and_read_at_load(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "prices.csv").write_text(PRICE_CSV, encoding="utf-8")
    text = HEAD + '\n[price]\nkind = "historical"\ncsv = "data/prices.csv"\nstart = 2020-09-13T13:26:40Z\n'

    scenario = load_scenario(_write(tmp_path, text))

    assert isinstance(scenario.price, HistoricalProcess)
    assert Path(scenario.price.csv) == (tmp_path / "data" / "prices.csv").resolve()
    assert scenario.price.start_s == 1_600_003_600  # 2020-09-13T13:26:40Z = 1,600,003,600 s


# --- every validation error names its key -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        (HEAD + GBM.replace("volatility = 0.8", "volatility = -0.8"), "price.volatility", "greater than or equal to 0"),
        (HEAD + GBM.replace("initial_price = 2000.0", 'initial_price = "2000"'), "price.initial_price", "number"),
        (HEAD + GBM.replace("volatility = 0.8", "volatility = nan"), "price.volatility", "finite"),
        (HEAD + GBM + "vol = 1.0\n", "price.vol", "not permitted"),
        (HEAD + GBM.replace('kind = "gbm"', 'kind = "heston"'), "price", "does not match"),
        (HEAD.replace("seed = 7", "seed = -7") + GBM, "seed", "greater than or equal to 0"),
        (HEAD.replace("runs = 5", "runs = 0") + GBM, "runs", "greater than or equal to 1"),
        (HEAD.replace("step_seconds = 3600", "step_seconds = 0.5") + GBM, "horizon.step_seconds", "integer"),
        (HEAD.replace('name = "eth-calm"', 'name = "eth calm"') + GBM, "name", "pattern"),
        ("colour = 'red'\n" + HEAD + GBM, "colour", "not permitted"),
        (HEAD, "price", "Field required"),
        (
            HEAD + '\n[price]\nkind = "garch"\ninitial_price = 1.0\nomega = 1e-6\nalpha = 0.3\nbeta = 0.7\n',
            "price.beta",
            "alpha + beta = 1.0 must be below 1",
        ),
        (
            HEAD + '\n[price]\nkind = "garch"\ninitial_price = 1.0\nomega = 0.0\nalpha = 0.1\nbeta = 0.7\n',
            "price.omega",
            "greater than 0",
        ),
        (
            HEAD + '\n[price]\nkind = "correlated_gbm"\nassets = ["A", "B", "C"]\ninitial_prices = [1.0, 1.0, 1.0]\n'
            "volatilities = [0.1, 0.1, 0.1]\n"
            "correlation = [[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]]\n",
            "price.correlation",
            "positive semi-definite",
        ),
        (
            HEAD + '\n[price]\nkind = "correlated_gbm"\nassets = ["A", "B"]\ninitial_prices = [1.0, 1.0]\n'
            "volatilities = [0.1, 0.1]\ncorrelation = [[1.0]]\n",
            "price.correlation",
            "2x2 matrix",
        ),
        (
            HEAD + '\n[price]\nkind = "correlated_gbm"\nassets = ["A", "B"]\ninitial_prices = [1.0]\n'
            "volatilities = [0.1, 0.1]\ncorrelation = [[1.0, 0.0], [0.0, 1.0]]\n",
            "price.initial_prices",
            "1 values for 2 assets",
        ),
        (
            HEAD + '\n[price]\nkind = "correlated_gbm"\nassets = ["A", "A"]\ninitial_prices = [1.0, 1.0]\n'
            "volatilities = [0.1, 0.1]\ncorrelation = [[1.0, 0.0], [0.0, 1.0]]\n",
            "price.assets",
            "unique",
        ),
        (
            HEAD + GBM + "\n[population]\ntraders = 3\nleverage_min = 0.5\nleverage_max = 3.0\n"
            "collateral_mean = 10.0\n",
            "population.leverage_min",
            "greater than or equal to 1",
        ),
        (
            HEAD + GBM + "\n[population]\ntraders = 3\nleverage_min = 5.0\nleverage_max = 3.0\n"
            "collateral_mean = 10.0\n",
            "population.leverage_max",
            "at least leverage_min",
        ),
        (
            HEAD + GBM + "\n[keepers]\ncount = 2\nfailure_probability = 1.5\n",
            "keepers.failure_probability",
            "less than or equal to 1",
        ),
        (
            HEAD + GBM + "\n[oracle]\nlatency_seconds = 600\nstaleness_seconds = 600\n",
            "oracle.staleness_seconds",
            "stale on arrival",
        ),
        (
            HEAD + GBM + "\n[oracle]\ncadence_seconds = 100000\n",
            "oracle.cadence_seconds",
            "never update",
        ),
        (
            HEAD.replace("steps = 24", "steps = 100") + '\n[price]\nkind = "event"\ntemplate = "black_thursday"\n',
            "horizon.steps",
            "exceed the black_thursday template's 47 steps",
        ),
        (HEAD + '\n[price]\nkind = "event"\ntemplate = "ftx"\n', "price.template", "Input should be"),
    ],
)
def test_validation_errors_name_the_offending_key(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    error = _load_error(tmp_path, text)

    assert key in error.keys
    issue = next(issue for issue in error.issues if issue.key == key)
    assert fragment in issue.message
    assert f"{key}: " in str(error)
    assert isinstance(error, InvalidCommand)


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = HEAD.replace("runs = 5", "runs = 0") + GBM.replace("volatility = 0.8", "volatility = -1.0")

    error = _load_error(tmp_path, text)

    assert error.keys == ("runs", "price.volatility")


def test_a_missing_csv_is_reported_under_its_key_with_the_file_name(tmp_path: Path) -> None:
    text = HEAD + '\n[price]\nkind = "historical"\ncsv = "absent.csv"\n'

    error = _load_error(tmp_path, text)

    assert error.keys == ("price.csv",)
    assert "absent.csv" in error.issues[0].message
    assert "file not found" in error.issues[0].message


def test_a_malformed_csv_is_reported_with_its_line(tmp_path: Path) -> None:
    _write(tmp_path, "timestamp,price\n1600000000,1\n1600003600,one\n", "broken.csv")
    text = HEAD + '\n[price]\nkind = "historical"\ncsv = "broken.csv"\n'

    error = _load_error(tmp_path, text)

    assert error.keys == ("price.csv",)
    assert "broken.csv:3" in error.issues[0].message
    assert "'one' is not a number" in error.issues[0].message


def test_a_price_column_that_does_not_fit_the_csv_is_refused_at_load(tmp_path: Path) -> None:
    _write(tmp_path, PRICE_CSV, "prices.csv")
    text = HEAD + '\n[price]\nkind = "historical"\nprice_column = "close"\ncsv = "prices.csv"\n'

    error = _load_error(tmp_path, text)

    assert error.keys == ("price.csv",)
    assert "price_column 'close' does not fit a prices file" in error.issues[0].message


def test_a_horizon_longer_than_the_csv_is_refused(tmp_path: Path) -> None:
    # 49 hourly rows span 48 hours; starting 1 hour in, 47 steps of an hour fit.
    _write(tmp_path, PRICE_CSV, "prices.csv")
    text = HEAD.replace("steps = 24", "steps = 48") + (
        '\n[price]\nkind = "historical"\ncsv = "prices.csv"\nstart = 2020-09-13T13:26:40Z\n'
    )

    error = _load_error(tmp_path, text)

    assert error.keys == ("horizon.steps",)
    assert "at most 47 steps fit" in error.issues[0].message


@pytest.mark.parametrize(
    ("start", "fragment"),
    [("2019-01-01T00:00:00Z", "outside the file's span"), ("2020-09-13T13:26:40", "UTC offset")],
)
def test_a_start_outside_the_csv_or_without_offset_is_refused(tmp_path: Path, start: str, fragment: str) -> None:
    _write(tmp_path, PRICE_CSV, "prices.csv")
    text = HEAD + f'\n[price]\nkind = "historical"\ncsv = "prices.csv"\nstart = {start}\n'

    error = _load_error(tmp_path, text)

    assert error.keys == ("price.start",)
    assert fragment in error.issues[0].message


def test_a_toml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    error = _load_error(tmp_path, HEAD + "[price\n")

    # HEAD is 10 lines (it opens with an empty line), so the broken table header is line 11.
    assert error.keys == ("(toml)",)
    assert "line 11" in error.issues[0].message


def test_a_missing_scenario_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nothing.toml"

    with pytest.raises(ScenarioError, match=r"nothing\.toml") as caught:
        load_scenario(path)

    assert caught.value.keys == ("(file)",)


# --- sampling a loaded scenario ---------------------------------------------------------------


def test_a_scenario_samples_the_same_paths_from_the_same_seed(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, HEAD + GBM))

    first = sample_paths(scenario)
    second = sample_paths(scenario)
    reseeded = sample_paths(scenario.model_copy(update={"seed": 8}))

    assert first.market.shape == (1, 5, 25)  # one asset, runs = 5, steps + 1 = 25
    assert np.array_equal(first.market, second.market)
    assert not np.array_equal(first.market, reseeded.market)
    assert np.all(first.market[:, :, 0] == 2000.0)


def test_the_oracle_model_is_applied_to_sampled_paths(tmp_path: Path) -> None:
    text = HEAD + GBM + "\n[oracle]\nlatency_seconds = 3600\ncadence_seconds = 7200\nstaleness_seconds = 7000\n"
    scenario = load_scenario(_write(tmp_path, text))

    paths = sample_paths(scenario, n_paths=3)

    market, oracle = paths.market[0], paths.oracle[0]
    # Hourly grid; updates at 0, 7200, ...: hours 0-1 show the start, hours 2-3 show hour 1, ...
    assert np.array_equal(oracle[:, 2], market[:, 1])
    assert np.array_equal(oracle[:, 3], market[:, 1])
    assert np.array_equal(oracle[:, 4], market[:, 3])
    # Ages 0, 3600, 3600, 7200, 3600, 7200 ...: stale above 7000 s.
    assert paths.oracle_age_seconds[:4].tolist() == [0, 3600, 3600, 7200]
    assert paths.stale[:4].tolist() == [False, False, False, True]


def test_an_event_scenario_is_the_template_path(tmp_path: Path) -> None:
    text = HEAD + '\n[price]\nkind = "event"\ntemplate = "black_thursday"\n'
    scenario = load_scenario(_write(tmp_path, text))

    paths = sample_paths(scenario)

    event = black_thursday(step_seconds=3600)
    # one path per run (runs = 5), the template's on every one: runs differ by population and draws
    assert paths.market.shape == (1, 5, 25)
    for path in range(5):
        assert np.array_equal(paths.market[0, path], event.market[0, :25])
        assert np.array_equal(paths.oracle[0, path], event.oracle[0, :25])


def test_a_historical_scenario_replays_the_csv_on_its_grid(tmp_path: Path) -> None:
    csv_path = _write(tmp_path, PRICE_CSV, "prices.csv")
    text = HEAD + '\n[price]\nkind = "historical"\ncsv = "prices.csv"\n'
    scenario = load_scenario(_write(tmp_path, text))

    paths = sample_paths(scenario)

    assert paths.market.shape == (1, 5, 25)  # the recorded path on each of the runs = 5 paths
    assert paths.market[0, 0].tolist() == [100.0 + i for i in range(25)]
    assert np.array_equal(paths.market[0], np.repeat(load_price_history(csv_path).on_grid(3600, 24), 5, axis=0))


def test_a_correlated_scenario_names_its_assets(tmp_path: Path) -> None:
    text = HEAD + (
        '\n[price]\nkind = "correlated_gbm"\nassets = ["ETH", "BTC"]\ninitial_prices = [2000.0, 30000.0]\n'
        "volatilities = [0.8, 0.6]\ncorrelation = [[1.0, 0.7], [0.7, 1.0]]\n"
    )
    scenario = load_scenario(_write(tmp_path, text))

    paths = sample_paths(scenario)

    assert paths.assets == ("ETH", "BTC")
    assert paths.market.shape == (2, 5, 25)
    assert paths.market[:, 0, 0].tolist() == [2000.0, 30000.0]


def test_models_are_immutable_and_strict() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "x",
            "seed": 1,
            "runs": 1,
            "horizon": {"steps": 1, "step_seconds": 1},
            "price": {"kind": "gbm", "initial_price": 1.0, "volatility": 0.1},
        }
    )

    with pytest.raises(ValueError, match="frozen"):
        scenario.runs = 2  # type: ignore[misc]


def test_a_correlated_jump_scenario_crashes_its_alt_and_names_a_short_jump_list(tmp_path: Path) -> None:
    price = (
        '\n[price]\nkind = "correlated_jump_diffusion"\nassets = ["ETH", "ALT"]\ninitial_prices = [2000.0, 2.0]\n'
        "volatilities = [0.0, 0.0]\ncorrelation = [[1.0, 0.5], [0.5, 1.0]]\njump_intensities = [0.0, 365.0]\n"
        "jump_means = [0.0, -0.2]\njump_volatilities = [0.0, 0.0]\n"
    )
    paths = sample_paths(load_scenario(_write(tmp_path, HEAD + price)))

    # no diffusion: ETH stays at 2000; the ALT moves only by jumps of exactly -0.2 and the
    # compensating drift lambda·kappa·dt per step, so every one-step log move is -0.2·n - lambda·kappa·dt
    assert np.all(paths.market[0] == 2000.0)
    kappa_dt = 365.0 * math.expm1(-0.2) * (3600 / (365 * 86_400))
    jumps = (np.diff(np.log(paths.market[1]), axis=1) + kappa_dt) / -0.2
    np.testing.assert_allclose(jumps, np.round(jumps), atol=1e-9)
    assert jumps.sum() > 0

    short = price.replace("jump_means = [0.0, -0.2]", "jump_means = [-0.2]")
    assert _load_error(tmp_path, HEAD + short).keys == ("price.jump_means",)


def test_shared_data_is_found_under_the_environment_variable_or_beside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ringfence.lab import scenario

    (tmp_path / "prices.csv").write_text("t,p\n")
    monkeypatch.setenv(scenario.SHARED_DATA_ENV, str(tmp_path))
    assert scenario.shared_data_file("prices.csv") == tmp_path / "prices.csv"

    monkeypatch.delenv(scenario.SHARED_DATA_ENV)
    project = Path(scenario.__file__).resolve().parents[3]
    assert scenario.shared_data_file("absent.csv") == project.parent / "shared" / "data" / "absent.csv"
    assert "/work/shared" not in Path(scenario.__file__).read_text()
