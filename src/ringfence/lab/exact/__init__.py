"""The exact stress engine: agents send commands to the integer engine (``docs/stress-model.md``).

Modules
-------
layout      the venue on one rung of the isolation ladder, as engine commands (the float/int boundary)
population  the traders and the per-step uniforms, drawn from the seed (shared with the vector engine)
units       margin units and their exact health
agents      traders, keepers, LPs and the attacker
ledger      the engine in process, and the tally of losses and contagion
runner      ``run_exact``: one path on one design
"""

from ringfence.lab.exact.runner import run_exact

__all__ = ["run_exact"]
