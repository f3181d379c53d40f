"""``ringfence serve`` with group commit switched off: one journal transaction per command (the load test's peer).

Run exactly as ``ringfence serve`` (same arguments). It runs the very same command, with one
change: the service's ``ServiceSettings`` gets ``max_batch=1``, so the group-commit writer
takes one command per journal transaction and every request waits for its own durable
commit. ``benchmarks/bench_service.py`` measures it beside the real ``ringfence serve`` in the
same run.
"""

from __future__ import annotations

import functools

import ringfence.http
from ringfence.cli.main import main

if __name__ == "__main__":
    # `ringfence serve` imports ServiceSettings from ringfence.http when it runs: this is the one difference.
    ringfence.http.ServiceSettings = functools.partial(ringfence.http.ServiceSettings, max_batch=1)  # type: ignore[misc]
    main()
