"""``ringfence domains SCENARIO``: where a bridge failure's loss lands, across domains (exact engine)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ringfence.cli.exit_codes import exit_code_for
from ringfence.core.errors import RingfenceError
from ringfence.lab.domains.report import report_html, report_json, study_domains
from ringfence.lab.domains.scenario import load_domain_scenario

__all__ = ["register"]


def register(app: typer.Typer, console: Console) -> None:
    """Add the ``domains`` command to ``app``."""

    @app.command()
    def domains(
        scenario: Annotated[Path, typer.Argument(help="A domains scenario TOML file (docs/domains.md).")],
        out: Annotated[Path, typer.Option(help="Folder for domains.json and domains.html (created).")] = Path(
            "domains-out"
        ),
        runs: Annotated[int | None, typer.Option(min=1, help="Paths to play (default: the scenario's runs).")] = None,
    ) -> None:
        """Play a domains scenario with and without its bridge failure and report where the loss lands."""
        try:
            loaded = load_domain_scenario(scenario)
            study = study_domains(loaded, runs)
        except RingfenceError as error:
            console.print(f"[red]{type(error).__name__}:[/red] {escape(error.message)}", highlight=False)
            raise typer.Exit(exit_code_for(error)) from None
        out.mkdir(parents=True, exist_ok=True)
        (out / "domains.json").write_text(json.dumps(report_json(study), indent=2, sort_keys=True) + "\n")
        (out / "domains.html").write_text(report_html(study))
        console.print(
            f"{study.runs} paths, each with and without the failure (and each part of it alone), "
            f"on the exact engine; wrote {out}/domains.html"
        )
