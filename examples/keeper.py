"""A keeper: watch the venue's event stream and liquidate every position below maintenance margin.

Run it against a running service (``ringfence serve``) with the keeper's identity file::

    python examples/keeper.py --url http://127.0.0.1:8000 --identity ids/keeper.identity

It registers its identity if the venue does not know it yet (self-registration), checks once for
liquidatable accounts, then follows the live event stream from the journal's head: after every
accepted price or trade it asks the service which sub-accounts have a position below maintenance
(``GET /v1/accounts?liquidatable=true``) and sends a ``Liquidate`` for each, as keeper into its own
sub-account 0. The core decides: a position no longer liquidatable, or the keeper's own account, is
refused and the keeper goes on. ``--max-liquidations N`` stops after N accepted liquidations.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ringfence.http.client import ProblemError, RingfenceClient
from ringfence.service.identity import load_identity_file

WAKE_ON = frozenset({"OraclePriceAccepted", "TradeFilled", "FundingAccrued", "OracleGuardTripped"})


def liquidate_all(client: RingfenceClient) -> int:
    """Send a Liquidate for every liquidatable position of another owner; return how many were accepted."""
    me = client.identity.name if client.identity is not None else ""
    accepted = 0
    for account in client.accounts(liquidatable=True):
        if account.owner == me:
            continue
        for position in account.liquidatable:
            try:
                receipt = client.liquidate(account.owner, account.sub_account, position.pool, position.market)
            except ProblemError as refused:
                print(f"refused {account.owner}/{account.sub_account} {position.market}: {refused.error}", flush=True)
                continue
            accepted += 1
            kinds = ", ".join(event.type for event in receipt.events)
            print(
                f"liquidated {account.owner}/{account.sub_account} {position.pool}/{position.market} "
                f"at sequence {receipt.first_sequence}: {kinds}",
                flush=True,
            )
    return accepted


def ensure_registered(client: RingfenceClient) -> None:
    """Register the keeper's identity unless the venue knows it already."""
    assert client.identity is not None
    try:
        client.principal(client.identity.name)
    except ProblemError as error:
        if error.status != 404:
            raise
        client.register()
        print(f"registered {client.identity.name}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the keeper until interrupted (or after --max-liquidations); return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service")
    parser.add_argument("--identity", type=Path, required=True, help="the keeper's identity file")
    parser.add_argument("--max-liquidations", type=int, default=0, help="stop after N accepted liquidations")
    arguments = parser.parse_args(argv)
    with RingfenceClient(arguments.url, load_identity_file(arguments.identity)) as client:
        ensure_registered(client)
        head = client.venue().head_sequence  # read first: what happens during the first check is still streamed
        done = liquidate_all(client)
        print(f"watching events after sequence {head}", flush=True)
        for event in client.events(after=head):
            if arguments.max_liquidations and done >= arguments.max_liquidations:
                break
            if event.type in WAKE_ON:
                done += liquidate_all(client)
            if arguments.max_liquidations and done >= arguments.max_liquidations:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
