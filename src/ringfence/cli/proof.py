"""``ringfence proof publish|verify|check``: per-pool proofs of liabilities (docs/solvency-proofs.md).

``publish --journal PATH --pool P --out DIR`` verifies the journal read-only, replays it to its
head and writes pool ``P``'s commitment (``DIR/commitment.json``, public; the total hidden in a
Pedersen commitment unless ``--public-total``), one inclusion proof per account
(``DIR/proofs/OWNER_SUB.json``, each for its account alone), the root's opening for an auditor
(``DIR/root.opening.json``, mode 0600) and, unless ``--secret-file`` names an existing one, a new
master secret (``DIR/master.secret``, mode 0600, never to be published); ``--range-bits N`` sets
the width of every range proof (default from the quote asset's decimals). ``verify PROOF
--commitment FILE`` checks one account's inclusion offline, from the two files alone. ``check
COMMITMENT`` checks that the pool's declared assets cover the committed total: from the
commitment's range proofs alone, or, given the root's opening (``--opening`` or a public total),
also in the clear; with ``--journal`` (which needs the opening) it first recomputes both sides
from the journal at the commitment's sequence (an auditor's check).

Exit codes: 0 ok; 2 a missing or malformed file, an unknown pool, an output folder that
already holds a commitment, a ``--range-bits``/``--height`` pair refused, a total of ``2**N`` atoms
or more; 3 no usable price for a market of the pool; 4 a journal error;
5 a proof rejected, or liabilities not covered, or a commitment that differs from the journal.
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
from ringfence.cli.journal import KeyFileOption
from ringfence.core.errors import RingfenceError, UnknownEntity
from ringfence.core.state import LedgerState
from ringfence.core.units import format_fixed
from ringfence.service.venue import replay_with_time
from ringfence.solvency.errors import ProofFileError, ProofRejected, SolvencyCheckFailed
from ringfence.solvency.files import Commitment, Opening, read_commitment, read_opening, read_proof
from ringfence.solvency.liabilities import PoolBook, pool_book
from ringfence.solvency.publish import publish
from ringfence.solvency.tree import DEFAULT_HEIGHT, check_range_width
from ringfence.solvency.verify import check_coverage, check_opening, verify_inclusion
from ringfence.store.journal import StoredEvent
from ringfence.store.sqlite import SqliteJournal

__all__ = ["register"]


@contextmanager
def _exit_codes(console: Console) -> Iterator[None]:
    try:
        yield
    except RingfenceError as error:
        console.print(f"[red]{type(error).__name__}:[/red] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code_for(error)) from None


def _entries(journal_path: Path, key_file: Path | None) -> tuple[list[StoredEvent], str]:
    """Return the journal's verified entries and its head ``N:HASH``."""
    if not journal_path.exists():
        raise ProofFileError(journal_path, "no journal here")
    journal = SqliteJournal(journal_path, key_file=key_file, read_only=True)
    try:
        entries = list(journal.read_verified())
        head = journal.head().text()
    finally:
        journal.close()
    return entries, head


def _book(state: LedgerState, pool: str, as_of_ns: int) -> PoolBook:
    if pool not in state.pools:
        raise UnknownEntity("pool", pool, tuple(state.pools))
    return pool_book(state, pool, as_of_ns)


def _amount(atoms: int, commitment_or_book: Commitment | PoolBook) -> str:
    return f"{format_fixed(atoms, commitment_or_book.decimals)} {commitment_or_book.asset}"


def _publish(
    console: Console,
    journal: Path,
    pool: str,
    out: Path,
    key_file: Path | None,
    secret: Path | None,
    height: int,
    range_bits: int | None,
    public_total: bool,
) -> None:
    if range_bits is not None:
        check_range_width(range_bits, height)  # before the journal is read: a refused pair costs nothing
    entries, head = _entries(journal, key_file)
    state, as_of_ns = replay_with_time(entries)
    book = _book(state, pool, as_of_ns)
    sequence = entries[-1].sequence if entries else 0
    try:
        written = publish(
            book,
            sequence,
            head,
            out,
            secret_file=secret,
            height=height,
            range_bits=range_bits,
            public_total=public_total,
        )
    except ValueError as error:
        raise ProofFileError(out, str(error)) from None
    hidden = "published in the clear" if public_total else "hidden in the commitment"
    console.print(
        f"[green]pool {escape(pool)} committed[/green] at journal sequence {sequence}: total liabilities "
        f"{_amount(book.total_liabilities_atoms, book)} ({hidden}), assets {_amount(book.assets.total_atoms, book)}, "
        f"root {written.tree.root.hash.hex()} (height {height}, {written.tree.range_bits}-bit range proofs)",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"public commitment: {escape(str(written.commitment))}", highlight=False, soft_wrap=True)
    console.print(
        f"root opening for auditors (0600): {escape(str(written.opening))}; hand it to an auditor only",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"{len(written.proofs)} inclusion proofs in {escape(str(out / 'proofs'))} (hand each to its account only)",
        highlight=False,
        soft_wrap=True,
    )
    made = "new" if written.secret_created else "reused"
    console.print(
        f"master secret ({made}): {escape(str(written.secret))}; keep it private, never publish it",
        highlight=False,
        soft_wrap=True,
    )


def _audit(commitment: Commitment, liabilities_atoms: int, journal: Path, key_file: Path | None) -> None:
    """Recompute the commitment's figures from the journal at its sequence; raise if any differs."""
    entries, _ = _entries(journal, key_file)
    upto = [entry for entry in entries if entry.sequence <= commitment.sequence]
    if not upto or upto[-1].sequence != commitment.sequence:
        raise ProofRejected("journal", f"the journal holds no entry {commitment.sequence}")
    if commitment.raw.get("journal_head") != f"{upto[-1].sequence}:{upto[-1].hash}":
        raise ProofRejected("journal", "the commitment's journal head is not this journal's entry at its sequence")
    state, as_of_ns = replay_with_time(upto)
    book = _book(state, commitment.pool, as_of_ns)
    if book.total_liabilities_atoms != liabilities_atoms:
        raise ProofRejected(
            "journal",
            f"the journal gives liabilities of {book.total_liabilities_atoms} atoms, "
            f"the commitment opens to {liabilities_atoms}",
        )
    if book.assets.total_atoms != commitment.assets_atoms.get("total_atoms"):
        raise ProofRejected(
            "journal",
            f"the journal gives assets of {book.assets.total_atoms} atoms, "
            f"the commitment declares {commitment.assets_atoms.get('total_atoms')}",
        )


def _opening(commitment: Commitment, opening_path: Path | None) -> Opening | None:
    """Return the root's opening: from ``opening_path`` (which must be this root's), else the commitment's."""
    if opening_path is None:
        return commitment.root_opening
    pool, sequence, root, opening = read_opening(opening_path)
    if (pool, sequence, root) != (commitment.pool, commitment.sequence, commitment.root_commitment):
        raise ProofRejected("opening", f"{opening_path} opens another commitment (pool, sequence or root differ)")
    return opening


def _check(
    console: Console, commitment_path: Path, opening_path: Path | None, journal: Path | None, key_file: Path | None
) -> None:
    commitment = read_commitment(commitment_path)
    if "total_atoms" not in commitment.assets_atoms:
        raise ProofFileError(commitment_path, "field 'assets': no 'total_atoms'")
    opening = _opening(commitment, opening_path)
    if journal is not None:
        if opening is None:
            raise ProofFileError(
                commitment_path,
                "the total is hidden: an audit against the journal needs the root's opening (--opening)",
            )
        _audit(commitment, check_opening(commitment, opening), journal, key_file)
    assets = commitment.assets_atoms["total_atoms"]
    source = "recomputed from the journal" if journal is not None else "as the commitment declares them"
    try:
        coverage = check_coverage(commitment, assets, opening)
    except SolvencyCheckFailed:
        console.print(
            f"[red]pool {escape(commitment.pool)} NOT covered[/red] at sequence {commitment.sequence}: assets "
            f"{_amount(assets, commitment)} ({source})",
            highlight=False,
            soft_wrap=True,
        )
        raise
    if coverage.liabilities_atoms is None or coverage.surplus_atoms is None:
        detail = f"≥ the hidden liabilities (shown by {coverage.how})"
    else:
        owed = _amount(coverage.liabilities_atoms, commitment)
        detail = f"≥ liabilities {owed} (opened); surplus {_amount(coverage.surplus_atoms, commitment)}"
    console.print(
        f"[green]pool {escape(commitment.pool)} covered[/green] at sequence {commitment.sequence}: assets "
        f"{_amount(assets, commitment)} ({source}) {detail}",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer, console: Console) -> None:
    """Add the ``proof`` command group to ``app``."""
    proof_app = typer.Typer(help="Per-pool proofs of liabilities: publish, verify an inclusion, check coverage.")
    app.add_typer(proof_app, name="proof")

    @proof_app.command("publish")
    def proof_publish(
        journal: Annotated[Path, typer.Option(help="The SQLite journal (opened read-only, verified, replayed).")],
        pool: Annotated[str, typer.Option(help="The pool whose liabilities to commit to.")],
        out: Annotated[Path, typer.Option(help="A folder with no commitment yet: commitment, proofs, secret.")],
        key_file: KeyFileOption = None,
        secret_file: Annotated[
            Path | None, typer.Option(help="The master secret to use (created, mode 0600, if missing).")
        ] = None,
        height: Annotated[int, typer.Option(min=1, max=64, help="Tree height: room for 2**height accounts.")] = (
            DEFAULT_HEIGHT
        ),
        range_bits: Annotated[
            int | None,
            typer.Option(
                help="Range-proof width N: a multiple of 8 in 32..192 with N + height ≤ 252; the total must be "
                "below 2**N atoms. Default: from the quote asset's decimals (64 up to 8 decimals, 104 for 18)."
            ),
        ] = None,
        public_total: Annotated[
            bool, typer.Option("--public-total", help="Put the root's opening (the total) in the public commitment.")
        ] = False,
    ) -> None:
        """Commit to a pool's liabilities at the journal's head and write every account's inclusion proof."""
        with _exit_codes(console):
            _publish(console, journal, pool, out, key_file, secret_file, height, range_bits, public_total)

    @proof_app.command("verify")
    def proof_verify(
        proof: Annotated[Path, typer.Argument(help="An account's inclusion proof (JSON).")],
        commitment: Annotated[Path, typer.Option(help="The pool's published commitment (JSON).")],
    ) -> None:
        """Check offline that an account's liability is counted in the pool's committed total."""
        with _exit_codes(console):
            found = read_commitment(commitment)
            inclusion = verify_inclusion(found, read_proof(proof))
            console.print(
                f"[green]included:[/green] account {escape(inclusion.account)} with "
                f"{_amount(inclusion.liability_atoms, found)} in pool {escape(inclusion.pool)}'s committed total "
                f"(root commitment {inclusion.root_commitment.hex()[:16]}…) at sequence {inclusion.sequence}; "
                f"every sibling on the path is proven in [0, 2**{found.range_bits})",
                highlight=False,
                soft_wrap=True,
            )

    @proof_app.command("check")
    def proof_check(
        commitment: Annotated[Path, typer.Argument(help="The pool's published commitment (JSON).")],
        opening: Annotated[
            Path | None, typer.Option(help="The root's opening (root.opening.json): check in the clear too.")
        ] = None,
        journal: Annotated[
            Path | None,
            typer.Option(help="Recompute liabilities and assets from this journal first (needs the opening)."),
        ] = None,
        key_file: KeyFileOption = None,
    ) -> None:
        """Check that the pool's assets cover its committed liabilities (exit 5 if not)."""
        with _exit_codes(console):
            _check(console, commitment, opening, journal, key_file)
