"""Proof of liabilities per pool: a salted, padded Merkle sum tree (DAPOL+ without hiding; docs/solvency-proofs.md).

- :mod:`.liabilities`: what a pool owes each account and what it holds (pure, from the state);
- :mod:`.encoding`: byte layouts and hashes shared by the prover and the verifier;
- :mod:`.tree`: the prover (KDF-derived salts, random placement, padding);
- :mod:`.publish`: the files a publication writes; :mod:`.files`: reading them back;
- :mod:`.verify`: an account's inclusion against the commitment, and the pool's coverage;
- :mod:`.errors`: this package's branch of the error tree.

An adapter: it uses ``hashlib``, ``hmac`` and ``secrets`` and writes files, which the pure core
may not; it imports only the core (``pyproject.toml``'s import contracts).
"""

__all__: list[str] = []
