"""The allocator's measured gain, as printed in README.md and docs/allocator.md, is the bundled study's.

Runs ``scenarios/books/allocator-book.toml`` on its 1,000 paths (about 2 s) and checks that the figures the
documentation quotes are the ones the study gives today, so the two cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

from ringfence.lab.allocation_study import load_allocation_book, run_allocation_study
from ringfence.lab.report.allocation import points_text
from ringfence.lab.report.tables import estimate_text

ROOT = Path(__file__).parents[2]


def test_readme_and_docs_quote_the_bundled_study():
    book, scenario = load_allocation_book(ROOT / "scenarios" / "books" / "allocator-book.toml")
    study = run_allocation_study(book, scenario)
    assert study.gain_over_equal.runs == 1000
    gain = points_text(study.gain_over_equal)  # "19.5 pp (95% CI 16.8 to 22.1)"
    value, interval = gain.split(" pp (95% CI ")
    readme = " ".join((ROOT / "README.md").read_text().split())
    docs = " ".join((ROOT / "docs" / "allocator.md").read_text().split())
    quoted = f"{value} percentage points (95% CI {interval.rstrip(')')})"
    assert quoted in readme and quoted in docs
    search = points_text(study.path_search_gain).replace("-", "−")  # "−0.2 pp (95% CI −0.6 to 0.2)"
    value, interval = search.split(" pp (95% CI ")
    quoted = f"{value} pp, 95% CI {interval.rstrip(')')}"
    assert quoted in readme and quoted in docs
    for name in ("equal split", "allocator"):
        figure = estimate_text(None, study.policy(name).measured_any, "share")  # "29.2% (95% CI 26.4%–32.1%)"
        short = figure.replace("95% CI ", "")
        assert short in readme or figure in readme
        assert figure in docs or short in docs
