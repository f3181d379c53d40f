"""``ringfence identity new|show``: create and inspect a principal's Ed25519 identity file.

``new NAME...`` creates ``NAME.identity`` for each name in the current directory (or in
``--dir DIR``, created with mode 0700 if missing; one name may go to ``--out PATH``) with
mode 0600, never over an existing file, and prints each principal's public key: the one its
``RegisterPrincipal`` records.
Every name is checked before any file is written; then the files are created in order and
an existing one stops there (the files made before it stay). ``show PATH`` loads the file
with every check a signer makes (permissions, format, the public key matching the private
key) and prints its name and public key; the private key is never printed. The file format
is described in :mod:`ringfence.service.identity`. Exit codes: 0 ok, 2 an invalid name, an
existing file, or an identity file that is missing, accessible by group or others, or
malformed (:class:`~ringfence.service.identity.IdentityError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ringfence.cli.exit_codes import exit_code_for
from ringfence.core.errors import RingfenceError
from ringfence.core.validation import check_name
from ringfence.service.identity import (
    Identity,
    IdentityError,
    create_identity_file,
    default_identity_path,
    load_identity_file,
)

__all__ = ["new", "register", "show"]


@contextmanager
def _exit_codes(console: Console) -> Iterator[None]:
    """Print an error of the tree as ``<Error>: <message>`` and exit with its code."""
    try:
        yield
    except RingfenceError as error:
        console.print(f"[red]{type(error).__name__}:[/red] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code_for(error)) from None


def _print_identity(console: Console, identity: Identity) -> None:
    console.print(f"principal   {escape(identity.name)}", highlight=False)
    console.print(f"public key  {identity.public_key_hex}", highlight=False)
    console.print(f"file        {escape(identity.source)}", highlight=False, soft_wrap=True)


def _make_folder(directory: Path) -> None:
    """Create ``--dir`` (mode 0700, parents too) if it does not exist yet."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise IdentityError(str(directory), f"cannot create the folder: {error.strerror}") from None


def new(console: Console, names: list[str], out: Path | None, directory: Path | None) -> None:
    """Create an identity file for each name and print its public key (see the module docstring)."""
    if out is not None and directory is not None:
        raise typer.BadParameter("give --out PATH or --dir DIR, not both", param_hint="--out / --dir")
    if out is not None and len(names) != 1:
        raise typer.BadParameter("--out names one file: give one NAME (or --dir DIR for several)", param_hint="--out")
    with _exit_codes(console):
        for name in names:
            check_name("name", name)
        if directory is not None:
            _make_folder(directory)
    for name in names:
        path = out if out is not None else default_identity_path(name, directory)
        with _exit_codes(console):
            identity = create_identity_file(path, name)
        console.print(
            f"[green]identity {escape(name)} created[/green] (mode 0600: keep it secret; it is never overwritten)",
            highlight=False,
        )
        _print_identity(console, identity)


def show(console: Console, path: Path) -> None:
    """Load and check an identity file, then print its principal and public key."""
    with _exit_codes(console):
        identity = load_identity_file(path)
    _print_identity(console, identity)


def register(app: typer.Typer, console: Console) -> None:
    """Add the ``identity`` command group (``new``, ``show``) to ``app``."""
    identity_app = typer.Typer(help="Create and inspect principals' Ed25519 identity files.", no_args_is_help=True)

    @identity_app.command("new")
    def identity_new(
        names: Annotated[
            list[str], typer.Argument(help="Principals' names (1-64 letters, digits, '.', '_', ':', '-').")
        ],
        out: Annotated[Path | None, typer.Option(help="The file to create (default: DIR/NAME.identity).")] = None,
        directory: Annotated[
            Path | None,
            typer.Option(
                "--dir", help="The folder for NAME.identity (default: the current one; created, mode 0700, if missing)."
            ),
        ] = None,
    ) -> None:
        """Create a new Ed25519 identity file per name (mode 0600, never overwritten) and print its public key."""
        new(console, names, out, directory)

    @identity_app.command("show")
    def identity_show(path: Annotated[Path, typer.Argument(help="An identity file.")]) -> None:
        """Check an identity file (permissions, format, key pair) and print its principal and public key."""
        show(console, path)

    app.add_typer(identity_app, name="identity")
