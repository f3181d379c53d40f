"""Proof of liabilities per pool: a padded Merkle tree of Pedersen commitments (DAPOL+, docs/solvency-proofs.md).

- :mod:`.liabilities`: what a pool owes each account and what it holds (pure, from the state);
- :mod:`.encoding`: byte layouts and hashes shared by the prover and the verifier;
- :mod:`.group`: ristretto255 and Pedersen commitments (generators ``G``, ``H``);
- :mod:`.rangeproof`: checking an N-bit range proof (bit decomposition, CDS OR-proofs, Fiat–Shamir) and
  which widths N a publication may use;
- :mod:`.range_prover`: making one (prover only);
- :mod:`.tree`: the prover (KDF-derived salts and blinding factors, random placement, padding,
  one range proof per node proven);
- :mod:`.publish`: the files a publication writes; :mod:`.files`: reading them back;
- :mod:`.verify`: an account's inclusion against the commitment, and the pool's coverage;
- :mod:`.errors`: this package's branch of the error tree.

An adapter: it uses ``hashlib``, ``hmac``, ``secrets`` and libsodium (through ``rbcl``) and writes
files, which the pure core may not; it imports only the core (``pyproject.toml``'s import contracts).
The verifier's modules never import the prover's (another contract).
"""

__all__: list[str] = []
