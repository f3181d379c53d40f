"""The domains scenario: several venues (chains) on one price path, bridges between them, one failure.

A domains scenario is an ordinary scenario (``name``, ``seed``, ``runs``, ``horizon``, ``price``,
``oracle``, ``liquidity``: :mod:`ringfence.lab.scenario`) without a top-level venue, plus:

- ``[[domains]]``: each domain (a chain) with its own ``venue``, ``population``, ``keepers`` and
  ``liquidity_providers``, validated as a whole scenario of its own (every key path in an error
  is prefixed ``domains[i].``);
- ``[[bridges]]``: a lock-and-mint bridge carrying ``asset`` from ``native_domain`` to
  ``wrapped_domain``, where it is listed as ``wrapped_asset`` with its own oracle and collateral
  weights; ``[bridges.holders]`` are the traders of the wrapped domain who post it as collateral
  and keep a reserve of the native asset on the native domain's venue;
- ``[failure]``: what goes wrong on one bridge (a halt, a depeg of the wrapped asset, or both).

See ``docs/domains.md`` for the model and an example.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field, ValidationError, model_validator

from ringfence.lab.errors import ScenarioError, ScenarioIssue
from ringfence.lab.scenario import Scenario, _issues, validate_scenario
from ringfence.lab.scenario_agents import (
    AccountUsd,
    Keepers,
    LabModel,
    Leverage,
    LiquidityProviders,
    Name,
    Population,
    VenueDesign,
)

__all__ = [
    "AuctionDesign",
    "BridgeDesign",
    "BridgeFailure",
    "DomainDesign",
    "DomainScenario",
    "HolderDesign",
    "load_domain_scenario",
    "validate_domain_scenario",
]

Weight = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
DOMAIN_KEYS = ("domains", "bridges", "failure")
PER_DOMAIN_KEYS = ("venue", "population", "keepers", "liquidity_providers", "attacker", "study")
"""Sections a domains scenario refuses at the top level: they belong to each domain (``attacker``
and ``study`` to none: the domains study has no attacker and plays the domains' own designs)."""
DOMAIN_SEED_STREAM = 15
"""Domain ``d``'s population and uniforms come from ``SeedSequence([seed, 15, d])`` (paths from ``seed``)."""


class DomainDesign(LabModel):
    """One domain (chain): its venue and the agents on it."""

    name: Name
    venue: VenueDesign
    population: Population
    keepers: Keepers
    liquidity_providers: LiquidityProviders = Field(default_factory=LiquidityProviders)


class HolderDesign(LabModel):
    """Traders of the wrapped domain who post the wrapped asset as cross collateral.

    Each holds ``collateral`` USD worth of the wrapped asset (log-normal around
    ``collateral_mean``) in a sub-account on the wrapped domain, opens one position in
    ``market`` (a market of the wrapped domain) at a leverage drawn in
    ``[leverage_min, leverage_max]``, long with probability ``long_share``, and keeps
    ``reserve`` times its collateral in the native asset on the native domain's venue. Below
    ``top_up_health`` it withdraws ``top_up_fraction`` of its collateral from that reserve and
    sends it over the bridge (one transfer in flight at a time).
    """

    traders: int = Field(ge=1, le=10_000)
    market: Name
    collateral_mean: AccountUsd
    collateral_log_sd: Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)] = 0.5
    leverage_min: Leverage = 1.0
    leverage_max: Leverage
    long_share: Fraction = 1.0
    reserve: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 1.0
    top_up_health: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 1.5
    top_up_fraction: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] = 0.5

    @model_validator(mode="after")
    def _ordered(self) -> HolderDesign:
        if self.leverage_max < self.leverage_min:
            raise ValueError(f"leverage_max ({self.leverage_max}) must be at least leverage_min ({self.leverage_min})")
        return self


class AuctionDesign(LabModel):
    """The wrapped domain's collateral auctions (Maker Clipper, linear curve: ``core/pool/auction.py``)."""

    duration_seconds: int = Field(default=21_600, ge=60, le=30 * 86_400)
    """``tau``: the price falls linearly from ``top`` to 0 over this; also the tail (a redo after it)."""
    starting_factor: Annotated[float, Field(ge=1, le=2, allow_inf_nan=False)] = 1.1
    """``buf``: ``top = oracle · buf``."""
    penalty: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.05
    """``chop``: ``tab = debt · (1 + penalty)``."""


class BridgeDesign(LabModel):
    """A lock-and-mint bridge: ``asset`` locked on ``native_domain`` backs ``wrapped_asset`` on ``wrapped_domain``."""

    name: Name
    native_domain: Name
    wrapped_domain: Name
    asset: Name
    wrapped_asset: Name
    latency_seconds: int = Field(ge=0, le=30 * 86_400)
    """Time from a lock (or burn) to the mint (or release) on the other side: messages arrive after it."""
    initial_weight: Weight = 0.75
    maintenance_weight: Weight = 0.8
    """Collateral weights of the wrapped asset on its domain (``initial ≤ maintenance``)."""
    holders: HolderDesign
    auction: AuctionDesign = Field(default_factory=AuctionDesign)

    @model_validator(mode="after")
    def _checked(self) -> BridgeDesign:
        if self.native_domain == self.wrapped_domain:
            raise ValueError("native_domain and wrapped_domain must differ (a bridge joins two domains)")
        if self.initial_weight > self.maintenance_weight:
            raise ValueError(f"initial_weight ({self.initial_weight}) must not exceed maintenance_weight")
        if self.wrapped_asset == self.asset:
            raise ValueError("wrapped_asset must differ from asset (the wrapped token is a different asset)")
        return self


class BridgeFailure(LabModel):
    """What goes wrong on ``bridge``, on the step grid.

    - **halt** from ``halt_step`` (to ``resume_step``, or the end): no new transfer is accepted,
      and messages in flight are frozen (delivered on resumption, after their latency);
    - **depeg** from ``depeg_step``: the wrapped asset's market and oracle fall from the native
      price to ``(1 − depeg)`` of it, linearly over ``depeg_steps`` steps, and stay there.

    A failure with neither (``halt_step`` and ``depeg_step`` omitted) is refused.
    """

    bridge: Name
    halt_step: int | None = Field(default=None, ge=1)
    resume_step: int | None = Field(default=None, ge=1)
    depeg_step: int | None = Field(default=None, ge=1)
    depeg: Fraction = 0.0
    depeg_steps: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _checked(self) -> BridgeFailure:
        if self.halt_step is None and self.depeg_step is None:
            raise ValueError("give halt_step, depeg_step or both: a failure must do something")
        if self.resume_step is not None and (self.halt_step is None or self.resume_step <= self.halt_step):
            raise ValueError("resume_step needs a halt_step before it")
        if self.depeg_step is not None and self.depeg <= 0:
            raise ValueError("depeg_step needs depeg > 0 (the fraction of the peg lost)")
        return self

    def peg(self, step: int) -> float:
        """Return the wrapped asset's price as a fraction of the native one at ``step``."""
        if self.depeg_step is None or step < self.depeg_step:
            return 1.0
        done = min(step - self.depeg_step + 1, self.depeg_steps) / self.depeg_steps
        return 1.0 - self.depeg * done

    def halted(self, step: int) -> bool:
        """Return whether the bridge is halted at ``step``."""
        if self.halt_step is None or step < self.halt_step:
            return False
        return self.resume_step is None or step < self.resume_step


class _DomainSections(LabModel):
    domains: list[DomainDesign] = Field(min_length=1, max_length=16)
    bridges: list[BridgeDesign] = Field(default_factory=list)
    failure: BridgeFailure | None = None


class DomainScenario:
    """A validated domains scenario: the shared price scenario and one :class:`Scenario` per domain."""

    def __init__(
        self,
        base: Scenario,
        domains: tuple[DomainDesign, ...],
        scenarios: tuple[Scenario, ...],
        bridges: tuple[BridgeDesign, ...],
        failure: BridgeFailure | None,
    ) -> None:
        self.base, self.domains, self.scenarios = base, domains, scenarios
        self.bridges, self.failure = bridges, failure

    @property
    def names(self) -> tuple[str, ...]:
        """The domains' names, in file order."""
        return tuple(domain.name for domain in self.domains)

    def scenario(self, domain: str) -> Scenario:
        """Return ``domain``'s own scenario (its venue and agents on the shared prices)."""
        return self.scenarios[self.names.index(domain)]

    def without_failure(self) -> DomainScenario:
        """Return the same scenario with no failure (the control run)."""
        return self.with_failure(None)

    def with_failure(self, failure: BridgeFailure | None) -> DomainScenario:
        """Return the same scenario with ``failure`` instead of its own."""
        return DomainScenario(self.base, self.domains, self.scenarios, self.bridges, failure)

    def failure_parts(self) -> dict[str, BridgeFailure]:
        """Return the failure and, when it both halts and depegs, each part alone (``halt only``, ``depeg only``)."""
        failure = self.failure
        if failure is None:
            return {}
        parts = {"as given": failure}
        if failure.halt_step is not None and failure.depeg_step is not None:
            parts["halt only"] = failure.model_copy(update={"depeg_step": None, "depeg": 0.0})
            parts["depeg only"] = failure.model_copy(update={"halt_step": None, "resume_step": None})
        return parts


def domain_seed(seed: int, index: int) -> int:
    """Return domain ``index``'s seed: independent streams per domain, the same for every run of the file."""
    state = np.random.SeedSequence([seed, DOMAIN_SEED_STREAM, index]).generate_state(2, np.uint32)
    return (int(state[0]) << 31 | int(state[1]) >> 1) & (2**63 - 1)


def _prefixed(error: ScenarioError, prefix: str) -> list[ScenarioIssue]:
    return [ScenarioIssue(f"{prefix}.{issue.key}", issue.message) for issue in error.issues]


def _one_bridge_issues(key: str, bridge: BridgeDesign, scenarios: dict[str, Scenario]) -> list[ScenarioIssue]:
    issues: list[ScenarioIssue] = []
    for field in ("native_domain", "wrapped_domain"):
        if getattr(bridge, field) not in scenarios:
            issues.append(
                ScenarioIssue(f"{key}.{field}", f"{getattr(bridge, field)!r} is not a domain: {list(scenarios)}")
            )
    priced = set().union(*(set(s.assets) for s in scenarios.values()))
    if bridge.wrapped_asset in priced:
        issues.append(ScenarioIssue(f"{key}.wrapped_asset", f"{bridge.wrapped_asset!r} is already a priced asset"))
    for field, domain in (("native_domain", bridge.native_domain), ("wrapped_domain", bridge.wrapped_domain)):
        scenario = scenarios.get(domain)
        markets = [] if scenario is None or scenario.venue is None else [m.asset for m in scenario.venue.markets]
        if scenario is not None and bridge.asset not in markets:
            issues.append(ScenarioIssue(f"{key}.asset", f"{bridge.asset!r} has no market on {domain} ({field})"))
        if field == "wrapped_domain" and scenario is not None and bridge.holders.market not in markets:
            issues.append(ScenarioIssue(f"{key}.holders.market", f"{bridge.holders.market!r} is not in {markets}"))
    return issues


def _failure_issues(failure: BridgeFailure | None, bridges: list[BridgeDesign], steps: int) -> list[ScenarioIssue]:
    if failure is None:
        return []
    issues: list[ScenarioIssue] = []
    if failure.bridge not in [b.name for b in bridges]:
        issues.append(ScenarioIssue("failure.bridge", f"{failure.bridge!r} is not a bridge"))
    for field in ("halt_step", "resume_step", "depeg_step"):
        value = getattr(failure, field)
        if value is not None and value > steps:
            issues.append(ScenarioIssue(f"failure.{field}", f"{value} is after the last step {steps}"))
    return issues


def _bridge_issues(sections: _DomainSections, scenarios: dict[str, Scenario], steps: int) -> list[ScenarioIssue]:
    issues: list[ScenarioIssue] = []
    for index, bridge in enumerate(sections.bridges):
        issues += _one_bridge_issues(f"bridges[{index}]", bridge, scenarios)
    if len({b.name for b in sections.bridges}) != len(sections.bridges):
        issues.append(ScenarioIssue("bridges", "bridge names must be unique"))
    return issues + _failure_issues(sections.failure, sections.bridges, steps)


def validate_domain_scenario(data: dict[str, Any], base_dir: Path, file: Path) -> DomainScenario:
    """Validate a parsed domains scenario.

    Raises
    ------
    ScenarioError
        Every problem found, each naming its key path (``domains[1].venue.markets[0].asset``).
    """
    per_domain = [key for key in PER_DOMAIN_KEYS if key in data]
    if per_domain:
        message = "give it inside each [[domains]] entry (each domain has its own)"
        raise ScenarioError(file, tuple(ScenarioIssue(key, message) for key in per_domain))
    base_data = {key: value for key, value in data.items() if key not in DOMAIN_KEYS}
    base = validate_scenario(base_data, base_dir, file)
    sections_data = {key: data[key] for key in DOMAIN_KEYS if key in data}
    try:
        sections = _DomainSections.model_validate(sections_data)
    except ValidationError as error:
        raise ScenarioError(file, _issues(error, sections_data)) from None
    names = [domain.name for domain in sections.domains]
    issues: list[ScenarioIssue] = []
    if len(set(names)) != len(names):
        issues.append(ScenarioIssue("domains", f"domain names must be unique, got {names}"))
    scenarios: dict[str, Scenario] = {}
    for index, domain in enumerate(data.get("domains", [])):
        own = {key: value for key, value in domain.items() if key != "name"}
        domain_data = {
            **base_data,
            **own,
            "name": f"{base.name}.{domain['name']}",
            "seed": domain_seed(base.seed, index),
            "study": {"ladder": [own.get("venue", {}).get("isolation", "isolated_pools")]},
        }
        try:
            scenarios[names[index]] = validate_scenario(domain_data, base_dir, file)
        except ScenarioError as error:
            issues += _prefixed(error, f"domains[{index}]")
    if not issues:
        issues += _bridge_issues(sections, scenarios, base.horizon.steps)
    if issues:
        raise ScenarioError(file, tuple(issues))
    return DomainScenario(
        base,
        tuple(sections.domains),
        tuple(scenarios[name] for name in names),
        tuple(sections.bridges),
        sections.failure,
    )


def load_domain_scenario(path: str | Path) -> DomainScenario:
    """Read, parse and validate a domains scenario TOML file.

    Raises
    ------
    ScenarioError
        The file is missing, not TOML, or invalid; each issue names its key path.
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise ScenarioError(
            file, (ScenarioIssue("(file)", "not found: give the path of a scenario TOML file"),)
        ) from None
    except UnicodeDecodeError as error:
        raise ScenarioError(file, (ScenarioIssue("(file)", f"not UTF-8 text ({error.reason})"),)) from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(file, (ScenarioIssue("(toml)", str(error)),)) from None
    return validate_domain_scenario(data, file.parent, file)
