"""Response bodies of the service, shared by the server and the typed client (:mod:`ringfence.http.client`).

Money is exact: amounts are JSON integers in atoms of the asset named beside them, prices and
ratios integers scaled by 10**18 (``_wad``), as in the core. A JavaScript reader should parse
them with a big-integer-aware parser (``JSON.parse`` rounds integers past 2**53); ``health`` is
also given as a float for display.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccountView",
    "BreakerView",
    "CommandReceipt",
    "EntryView",
    "HealthBucket",
    "HealthDistribution",
    "MarginView",
    "MarketView",
    "OracleView",
    "PoolExposureView",
    "PoolView",
    "PositionView",
    "PrincipalView",
    "Problem",
    "RegisterPrincipalBody",
    "SeriesExposureView",
    "StressResults",
    "VenueView",
]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Problem(_View):
    """An RFC 9457 problem: every error response has this body (``application/problem+json``)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    type: str = Field(description="A URI naming the kind of problem: urn:ringfence:error:<error>.")
    title: str
    status: int
    detail: str = Field(description="What was wrong and what would be accepted.")
    error: str = Field(description="The error's name in ringfence's error tree (core/errors.py), e.g. ActingAsAnother.")
    code: str = Field(description="The error's stable snake_case code.")


class EntryView(_View):
    """One journal entry: its sequence, the command that produced it, the event and its payload."""

    sequence: int
    command_id: str
    type: str
    schema_version: int
    payload: dict[str, Any]


class CommandReceipt(_View):
    """The acknowledgement of a command: sent only once its events are durable in the journal."""

    command_id: str = Field(description="The journal's id of the command: SENDER/CLIENT_ID, or one the service chose.")
    sender: str
    first_sequence: int | None = Field(description="The journal sequence of its first event (None: no events).")
    last_sequence: int | None
    duplicate: bool = Field(description="True when this command id was acknowledged before: nothing ran again.")
    events: list[EntryView]


class VenueView(_View):
    """What a client needs to know about the venue to talk to it."""

    audience: str = Field(description="The `aud` every bearer token for this venue must carry.")
    head_sequence: int
    head_hash: str
    now_ns: int = Field(description="The service's clock: the timestamp the next command would get.")
    opened: bool
    admins: list[str]


class PrincipalView(_View):
    """A registered principal: its public key and the governance roles it holds."""

    name: str
    public_key_hex: str
    roles: list[str] = Field(description="Governance roles (admin, proposer, executor, guardian, risk_model).")
    feeds: list[str] = Field(description="The assets whose oracle names it as a source (it may quote them).")


class RegisterPrincipalBody(_View):
    """Self-registration: a new principal's name and raw Ed25519 public key (64 hex digits)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=64)
    public_key_hex: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class PoolView(_View):
    """A pool: its status (breaker), LP vault, NAV bounds, insurance fund, fees and losses, in quote atoms."""

    pool: str
    template: str
    template_version: int
    quote_asset: str
    quote_decimals: int
    status: str = Field(description="active, reduce_only or halted: the pool's breaker state.")
    status_reason: str
    vault_atoms: int
    total_shares: int
    nav_low_atoms: int | None = Field(description="NAV bounds LP shares trade at now (None: an oracle is unavailable).")
    nav_high_atoms: int | None
    nav_unavailable: str | None
    insurance_atoms: int
    protocol_fees_atoms: int
    socialised_loss_atoms: int
    backstop_absorbed_atoms: int
    deleveraged_atoms: int
    markets: list[str]


class MarketView(_View):
    """A perpetual market of a pool: open interest, skew, funding, margin rates and its oracle price."""

    pool: str
    market: str
    base_asset: str
    base_decimals: int
    long_atoms: int
    short_atoms: int
    skew_atoms: int
    open_interest_cap_atoms: int
    funding_index_wad: int
    initial_margin_wad: int
    maintenance_margin_wad: int
    oracle_price_wad: int | None
    oracle_status: str


class MarginView(_View):
    """Equity and requirement of one kind; ``health`` = equity / requirement (None with no requirement)."""

    equity_atoms: int | None
    requirement_atoms: int | None
    denomination: str
    health_wad: int | None
    health: float | None = Field(description="health_wad / 10**18 as a float, for display only.")
    unavailable: str | None = Field(description="Why it could not be computed now (an oracle unavailable).")


class PositionView(_View):
    """An open position; an isolated one has its own vault and maintenance margin."""

    pool: str
    market: str
    mode: str
    size_atoms: int
    open_notional_atoms: int
    isolated_margin_atoms: int
    maintenance: MarginView | None = Field(description="The isolated position's maintenance margin (None: cross).")
    below_maintenance: bool


class AccountView(_View):
    """A sub-account: balances, LP shares, positions, and cross margin with its health."""

    owner: str
    sub_account: int
    balances: dict[str, int]
    lp_shares: dict[str, int]
    positions: list[PositionView]
    initial: MarginView
    maintenance: MarginView
    liquidatable: list[PositionView] = Field(description="Its positions below maintenance margin at the oracle now.")


class HealthBucket(_View):
    """How many margin units have a maintenance health in ``[lower, upper)`` (``upper`` None: no bound)."""

    lower: float
    upper: float | None
    count: int


class HealthDistribution(_View):
    """The maintenance health of every margin unit: each sub-account's cross margin and each isolated position."""

    buckets: list[HealthBucket]
    below_maintenance: int = Field(description="Units with health < 1: liquidatable now.")
    no_requirement: int = Field(description="Sub-accounts with collateral and no cross requirement (not in a bucket).")
    unavailable: int = Field(description="Units whose health needs an oracle that is unavailable now.")


class OracleView(_View):
    """An asset's oracle: status (fresh, guarded, stale) and its accepted price."""

    asset: str
    status: str
    reason: str
    accepted_price_wad: int | None
    guarded_since_ns: int | None


class SeriesExposureView(_View):
    """The LP vault's side of one series: its size (contracts, signed) and Greeks in WAD (None: not valued)."""

    series: str
    underlying: str
    kind: str = Field(description="call, put or future.")
    vault_size_atoms: int
    delta_wad: int | None = Field(description="In units of the underlying, scaled by 10**18.")
    gamma_wad: int | None
    vega_wad: int | None = Field(description="In quote units per 1.00 of volatility, scaled by 10**18.")
    unvalued_reason: str


class PoolExposureView(_View):
    """A pool's counterparty book in its option series and dated futures: per series, and totals per underlying."""

    pool: str
    series: list[SeriesExposureView]
    totals: dict[str, list[int]] = Field(description="underlying → [delta_wad, gamma_wad, vega_wad].")


class BreakerView(_View):
    """Breaker state: each pool's status and each oracle's guard."""

    pools: list[PoolView]
    oracles: list[OracleView]


class StressResults(_View):
    """The stress results ``ringfence stress`` wrote (``results.json``), read from disk as they are."""

    source: str
    modified_ns: int
    results: dict[str, Any]
