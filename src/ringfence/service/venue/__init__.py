"""Venues defined in TOML: validate, compile to core commands, apply with a command script.

See :mod:`~ringfence.service.venue.model` for the venue file, :mod:`~ringfence.service.venue.script`
for scripts and :mod:`~ringfence.service.venue.fields` for the human units of every field.
"""

from __future__ import annotations

from ringfence.service.venue.apply import (
    Plan,
    Registrations,
    StepResult,
    apply_venue,
    create_venue,
    load_plan,
    load_script_plan,
    read_toml,
    replay_with_time,
    run_script,
)
from ringfence.service.venue.catalog import Catalog
from ringfence.service.venue.compile import Compiled, VenueProgram, compile_venue, rejection_message, to_ns
from ringfence.service.venue.problems import Problem, VenueFileError
from ringfence.service.venue.script import COMMAND_TYPES, ScriptStep, compile_script

__all__ = [
    "COMMAND_TYPES",
    "Catalog",
    "Compiled",
    "Plan",
    "Problem",
    "Registrations",
    "ScriptStep",
    "StepResult",
    "VenueFileError",
    "VenueProgram",
    "apply_venue",
    "compile_script",
    "compile_venue",
    "create_venue",
    "load_plan",
    "load_script_plan",
    "read_toml",
    "rejection_message",
    "replay_with_time",
    "run_script",
    "to_ns",
]
