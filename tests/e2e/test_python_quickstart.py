"""The README's Python example runs as printed, and what it prints is right.

The README shows ``examples/quickstart.py`` verbatim and the output it prints; the tests keep
the three in step (the README's block is the file, the README's output is what a fresh
interpreter prints) and check the printed figures against numbers computed by hand below from
the example's parameters, with the documented formulas: fill = oracle · (1 + (2·skew + size) /
(2·skew_scale)) · (1 + spread) (Synthetix perps ``fillPrice``; buys round up), fee = notional ·
0.05% rounded up, split 70% LP / 20% insurance (each rounded down) / the rest to the protocol;
a liquidation closes ``close_factor`` = 50% of the position at the oracle, charges a 1% penalty
on the closed notional and pays half of it to the keeper, half to the insurance fund.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
EXAMPLE = ROOT / "examples" / "quickstart.py"
USDC_ATOMS = 10**6


def _block(marker: str, language: str) -> str:
    """Return the fenced block of ``language`` that follows ``marker`` in the README."""
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(marker) + r"\n```" + language + r"\n(.*?)```\n", text, re.DOTALL)
    assert found is not None, f"no ```{language} block after {marker!r} in README.md"
    return found.group(1)


def _run_example() -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def _usdc(amount: Fraction, *, up: bool) -> Fraction:
    """Round ``amount`` USDC to whole atoms, up or down."""
    atoms = amount * USDC_ATOMS
    return Fraction(math.ceil(atoms) if up else math.floor(atoms), USDC_ATOMS)


def _fill(oracle: int, skew: int, size: int) -> Fraction:
    skew_scale, spread = 100_000, Fraction(5, 10_000)
    return oracle * Fraction(2 * skew_scale + 2 * skew + size, 2 * skew_scale) * (1 + spread)


def _number(line: str, pattern: str) -> Fraction:
    found = re.search(pattern, line)
    assert found is not None, f"{pattern!r} not in {line!r}"
    return Fraction(found.group(1))


def test_the_readme_shows_the_example_file_verbatim() -> None:
    assert _block("<!-- quickstart: examples/quickstart.py -->", "python") == EXAMPLE.read_text(encoding="utf-8")


def test_the_example_prints_what_the_readme_says() -> None:
    assert _run_example() == _block("<!-- quickstart output -->", "text")


def test_the_printed_figures_match_the_hand_computation() -> None:
    lines = _run_example().splitlines()
    assert lines[0].startswith("refused: ActingAsAnother: 'mallory'")
    assert lines[1] == "liquidation: FundingAccrued, LiquidationRecorded, PositionLiquidated"

    # carol buys 10 ETH at 4000 with no skew (fill 4002.2001), dave 5 ETH after her (skew 10: 4002.50025)
    carol_fill, dave_fill = _fill(4000, 0, 10), _fill(4000, 10, 5)
    assert (carol_fill, dave_fill) == (Fraction("4002.2001"), Fraction("4002.50025"))
    fees = [_usdc(10 * carol_fill * Fraction(5, 10_000), up=True), _usdc(5 * dave_fill * Fraction(5, 10_000), up=True)]
    insurance_fees = sum(_usdc(fee * Fraction(20, 100), up=False) for fee in fees)
    # ETH falls to 3600: half of carol's 10 ETH closes, penalty 1% of 5 · 3600 = 180, half to the keeper
    penalty = Fraction(1, 100) * 5 * 3600
    keeper = penalty / 2
    assert _number(lines[2], r"insurance ([\d.]+) USDC") == 5000 + insurance_fees + (penalty - keeper)
    assert _number(lines[5], r"keeper earned ([\d.]+) USDC") == keeper == 90

    # carol's vault: 4,500 less her fee, the realised loss on the half closed and the penalty, less
    # the funding she paid over two minutes, which is at most |size| · price · 1%/day · skew/skew_scale
    # · 2 min (skew ≤ 15 ETH), rounded up to an atom: 0.000084 USDC.
    assert _number(lines[3], r"([\d.]+) ETH long left") == 5
    margin = _number(lines[3], r"isolated margin ([\d.]+) USDC")
    realised_loss = 5 * carol_fill - 5 * 3600
    before_funding = 4500 - fees[0] - realised_loss - penalty
    funding_bound = _usdc(10 * 4000 * Fraction(1, 100) * Fraction(15, 100_000) * Fraction(2, 24 * 60), up=True)
    assert 0 <= before_funding - margin <= funding_bound
    # her maintenance health: (vault + PnL at 3600) / (5% of 5 · 3600), rounded down to 4 decimals
    health = (margin + 5 * 3600 - 5 * carol_fill) / (Fraction(5, 100) * 5 * 3600)
    assert _number(lines[3], r"maintenance health ([\d.]+)") == Fraction(math.floor(health * 10_000), 10_000)

    # dave's cross requirement: 5% of 5 ETH at 3600
    assert _number(lines[4], r"against ([\d.]+) required") == Fraction(5, 100) * 5 * 3600
    assert lines[4].endswith("(cross, healthy: True)")
