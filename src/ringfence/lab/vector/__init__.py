"""The vectorised Monte-Carlo stress engine: ``docs/stress-model.md`` in float64 over many paths at once.

Kernels (:mod:`.kernels`) are pure functions, arrays in and arrays out, returning status codes;
the wrapper (:mod:`.design`, :mod:`.opening`, :mod:`.engine`) builds the arrays from a scenario
and splits the results into one :class:`~ringfence.lab.results.RunResult` per path. The steps
run on the numpy kernel (:mod:`.engine`, the reference) or the fused one (:mod:`.fused`, numba:
one compiled loop per path, paths in parallel), ``docs/fused-kernel.md``.
"""

from ringfence.lab.vector.engine import MarginObserver, run_vector
from ringfence.lab.vector.support import check_vector_support

__all__ = ["MarginObserver", "check_vector_support", "run_vector"]
