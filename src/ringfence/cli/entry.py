"""The ``ringfence`` script's entry point: ``ringfence serve`` starts without importing the stress lab.

Every other command goes to :func:`ringfence.cli.main.main`, whose module imports all commands
(the lab among them: numpy, scipy, numba, scikit-learn; over a second). ``serve`` needs none of
them, so it runs from a Typer app of its own and the service answers sooner after a restart.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Run ``ringfence``: ``serve`` directly, anything else through the full command."""
    if sys.argv[1:2] == ["serve"]:
        import typer  # noqa: PLC0415 (only this branch needs it)
        from rich.console import Console  # noqa: PLC0415

        from ringfence.cli.serve import register  # noqa: PLC0415

        app = typer.Typer(add_completion=False)
        register(app, Console())

        @app.callback()
        def ringfence() -> None:
            """Ringfence: an exact clearing and risk engine built on isolation."""

        app()
        return
    from ringfence.cli.main import main as full_main  # noqa: PLC0415

    full_main()
