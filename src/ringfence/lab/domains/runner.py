"""Play one path of a domains scenario on the exact engine: every domain in lockstep, bridges between them.

Each domain is its own venue: its own ``LedgerState`` (a :class:`~ringfence.lab.exact.ledger.Ledger`),
its own admin's genesis, its own oracle, keepers, LPs and population, its own depth (liquidation
flow on one domain moves that domain's market only; the exogenous price path is shared). A step
runs the stress model's step order (``docs/stress-model.md``) on every domain, with the bridges'
work in between (``docs/domains.md``):

1. every domain: market and oracle prices, the wrapped assets' prices (the native asset's on that
   domain times the peg), dynamic margins;
2. every bridge: halted or not at this step (the failure); due mints delivered to the holders;
3. every domain's traders top up; every bridge's holders top up through the bridge;
4. every domain's keepers liquidate (holders included); the auction keeper kicks, redoes and takes;
5. every domain's LPs may flee; the step is recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from ringfence.core.commands import Command, Deposit, OpenVenue, RegisterAsset, Sent, SubmitPrice
from ringfence.core.events import Event
from ringfence.core.margin import NO_LIMIT
from ringfence.core.pool.auction_commands import ConfigureAuctions
from ringfence.core.pool.auction_events import CollateralAuctionEnded
from ringfence.core.pool.auction_state import AuctionCurve, AuctionParams
from ringfence.core.pool.events import BackstopAbsorbed, InsuranceDrawn, LossSocialised, PositionLiquidated
from ringfence.core.state import LedgerState
from ringfence.core.units import MAX_ATOMS
from ringfence.lab.domains.bridge import Bridge
from ringfence.lab.domains.holders import AUCTION_KEEPER, Holders, draw_holders
from ringfence.lab.domains.scenario import BridgeDesign, BridgeFailure, DomainScenario
from ringfence.lab.exact.layout import (
    BASE_DECIMALS,
    QUOTE,
    SECOND_NS,
    SOURCE,
    START_NS,
    VENUE_ADMIN,
    Layout,
    _oracle,
    layout_venue,
    to_atoms,
    to_wad,
)
from ringfence.lab.exact.ledger import Ledger
from ringfence.lab.exact.population import DrawSet, draw_population, draw_uniforms
from ringfence.lab.exact.runner import _Prices, _Run
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario

__all__ = ["AUCTION_CAPITAL_USD", "DomainPlay", "LossLedger", "domain_uniforms", "play_domains", "state_digest"]

AUCTION_CAPITAL_USD = 1e9
"""Quote the auction keeper brings to take auctions with (ample: it never binds)."""


def state_digest(state: LedgerState) -> str:
    """Return a SHA-256 of the state's full ``repr`` (every field, in the engine's own order)."""
    return hashlib.sha256(repr(state).encode()).hexdigest()


class LossLedger(Ledger):
    """A :class:`Ledger` that also sums, per pool, the waterfall's events in atoms."""

    def __init__(self) -> None:
        super().__init__()
        self.bad_debt_atoms: dict[str, int] = {}
        self.insurance_drawn_atoms: dict[str, int] = {}
        self.lp_loss_atoms: dict[str, int] = {}

    def apply(self, command: Command, sender: str) -> list[Event]:
        """Apply ``command`` (:meth:`Ledger.apply`) and sum its waterfall events."""
        events = super().apply(command, sender)
        self._scan(events)
        return events

    def commit(self, command: Command, events: list[Event]) -> list[Event]:
        """Commit ``events`` (:meth:`Ledger.commit`) and sum its waterfall events."""
        super().commit(command, events)
        self._scan(events)
        return events

    def _scan(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, PositionLiquidated | CollateralAuctionEnded):
                _add(self.bad_debt_atoms, event.pool, event.shortfall_atoms)
            elif isinstance(event, InsuranceDrawn):
                _add(self.insurance_drawn_atoms, event.pool, event.amount_atoms)
            elif isinstance(event, BackstopAbsorbed | LossSocialised):
                _add(self.lp_loss_atoms, event.pool, event.amount_atoms)


def _add(totals: dict[str, int], key: str, amount: int) -> None:
    totals[key] = totals.get(key, 0) + amount


@dataclasses.dataclass(slots=True)
class _Wrapped:
    """A wrapped asset listed on this domain: its bridge and the native market that prices it."""

    design: BridgeDesign
    native_index: int
    last_published: int = -1


class _Domain:
    """One domain's run: the exact runner's ``_Run`` on a :class:`LossLedger`, plus its wrapped assets."""

    def __init__(
        self, scenario: DomainScenario, name: str, paths: ScenarioPaths, path_index: int, draws: DrawSet | None
    ) -> None:
        self.name = name
        own = scenario.scenario(name)
        venue = own.venue
        if venue is None:  # validate_domain_scenario gives every domain a venue
            raise ValueError(f"domain {name} has no venue")
        self.wrapped = [
            _Wrapped(b, [m.asset for m in venue.markets].index(b.asset))
            for b in scenario.bridges
            if b.wrapped_domain == name
        ]
        layout = self._with_wrapped(layout_venue(own, venue.isolation, 1.0), own)
        book = draw_population(own)
        self.first_holder_draw = len(book.position_trader)
        if draws is None:
            draws = domain_uniforms(scenario, name, path_index + 1)
        self.run = _Run(own, layout, book, _Prices(own, layout, paths, path_index), draws[path_index])
        self.ledger = LossLedger()
        self.run.ledger = self.ledger
        self.run.agents.ledger = self.ledger
        self.layout = layout
        self.holder_units = 0

    def _with_wrapped(self, layout: Layout, own: Scenario) -> Layout:
        """Add each wrapped asset's listing and oracle to the genesis, and its pool's auctions before ``OpenVenue``."""
        if not self.wrapped:
            return layout
        registry = list(layout.registry)
        setup = list(layout.setup)
        opened = next(i for i, sent in enumerate(setup) if isinstance(sent.command, OpenVenue))
        for wrapped in self.wrapped:
            design = wrapped.design
            registry.append(
                RegisterAsset(
                    design.wrapped_asset,
                    BASE_DECIMALS,
                    to_wad(design.initial_weight),
                    to_wad(design.maintenance_weight),
                    NO_LIMIT,
                    NO_LIMIT,
                    START_NS,
                )
            )
            registry.append(_oracle(design.wrapped_asset, own, False))
            pool = layout.pool_of(layout.assets.index(design.holders.market))
            setup.insert(opened, Sent(VENUE_ADMIN, ConfigureAuctions(pool, _auction_params(design), START_NS)))
            opened += 1
        return dataclasses.replace(layout, registry=tuple(registry), setup=tuple(setup))

    def setup(self) -> None:
        """Play the genesis, the first prices, LPs, insurance and traders (the exact runner's ``play`` up to step 0)."""
        run = self.run
        for command in self.layout.registry:
            self.ledger.apply(command, VENUE_ADMIN)
        run.publish(0)
        self.publish_wrapped(0, None)
        for sent in self.layout.setup:
            self.ledger.apply(sent.command, sent.sender)
        run.marks.start(self.ledger.state)
        run.agents.open_positions(run.now(0))
        if self.wrapped:
            now = run.now(0)
            capital = to_atoms(AUCTION_CAPITAL_USD)
            self.ledger.apply(Deposit(AUCTION_KEEPER, 0, QUOTE, capital, now), AUCTION_KEEPER)

    def publish_wrapped(self, step: int, failure: BridgeFailure | None) -> None:
        """Submit each wrapped asset's oracle price: the native asset's oracle on this domain times the peg."""
        run = self.run
        now = run.now(step)
        published = now - int(run.prices.age_seconds[step]) * SECOND_NS
        for wrapped in self.wrapped:
            if published <= wrapped.last_published:
                continue
            price = to_wad(float(run.prices.oracle[wrapped.native_index, step]) * self.peg(wrapped, step, failure))
            command = SubmitPrice(
                wrapped.design.wrapped_asset, SOURCE, min(max(price, 1), MAX_ATOMS), 0, published, now
            )
            self.ledger.apply(command, SOURCE)
            wrapped.last_published = published

    @staticmethod
    def peg(wrapped: _Wrapped, step: int, failure: BridgeFailure | None) -> float:
        """Return the wrapped asset's peg at ``step`` (1 unless the failure depegs this bridge)."""
        if failure is None or failure.bridge != wrapped.design.name:
            return 1.0
        return failure.peg(step)

    def wrapped_market_usd(self, wrapped: _Wrapped, step: int, failure: BridgeFailure | None) -> float:
        """Return the wrapped asset's market price at ``step``: the native market here times the peg."""
        return float(self.run.prices.market[wrapped.native_index, step]) * self.peg(wrapped, step, failure)


@dataclasses.dataclass(slots=True)
class DomainPlay:
    """One path played: each domain's run, each bridge, its holders, and the failure (or ``None``)."""

    scenario: DomainScenario
    domains: dict[str, _Domain]
    bridges: dict[str, Bridge]
    holders: dict[str, Holders]

    def state(self, domain: str) -> LedgerState:
        """Return ``domain``'s final engine state."""
        return self.domains[domain].ledger.state


def _auction_params(design: BridgeDesign) -> AuctionParams:
    auction = design.auction
    return AuctionParams(
        curve=AuctionCurve.LINEAR,
        chop_wad=to_wad(auction.penalty),
        buf_wad=to_wad(auction.starting_factor),
        tail_seconds=auction.duration_seconds,
        cusp_wad=0,
        chip_wad=0,
        tip_atoms=0,
        dust_atoms=0,
        tau_seconds=auction.duration_seconds,
    )


def domain_uniforms(scenario: DomainScenario, name: str, n_paths: int) -> DrawSet:
    """Return domain ``name``'s uniforms for ``n_paths`` paths: its units', then one column per holder it hosts.

    Path ``p``'s draws are the same whatever ``n_paths > p`` (:func:`draw_uniforms` fills path by path),
    so a study draws them once for all its paths.
    """
    own = scenario.scenario(name)
    units = own.population.traders * own.population.markets_per_trader if own.population is not None else 0
    holders = sum(b.holders.traders for b in scenario.bridges if b.wrapped_domain == name)
    return draw_uniforms(own, n_paths, units + holders)


def _setup(
    scenario: DomainScenario, paths: ScenarioPaths, path_index: int, draws: dict[str, DrawSet] | None
) -> DomainPlay:
    domains = {
        name: _Domain(scenario, name, paths, path_index, None if draws is None else draws[name])
        for name in scenario.names
    }
    for domain in domains.values():
        domain.setup()
    step_seconds = scenario.base.horizon.step_seconds
    bridges: dict[str, Bridge] = {}
    holders: dict[str, Holders] = {}
    for index, design in enumerate(scenario.bridges):
        latency_steps = -(-design.latency_seconds // step_seconds)
        bridge = Bridge(design.name, latency_steps)
        native, wrapped = domains[design.native_domain], domains[design.wrapped_domain]
        seed = scenario.scenario(design.wrapped_domain).seed
        group = Holders(
            design,
            draw_holders(design, seed, index),
            bridge,
            (native.ledger, native.layout),
            (wrapped.ledger, wrapped.layout),
        )
        market = wrapped.layout.markets[group.market]
        initial_margin = wrapped.ledger.state.pools[group.pool].markets[market].params.initial_margin_wad
        units = group.open(wrapped.run.now(0), wrapped.first_holder_draw + wrapped.holder_units, initial_margin)
        wrapped.holder_units += len(units)
        wrapped.run.agents.units.extend(units)
        bridges[design.name], holders[design.name] = bridge, group
    for domain in domains.values():
        domain.run.agents.watch_pools(domain.run.nav_now(0))
        domain.run.record(0)
    return DomainPlay(scenario, domains, bridges, holders)


def play_domains(
    scenario: DomainScenario, paths: ScenarioPaths, path_index: int, draws: dict[str, DrawSet] | None = None
) -> DomainPlay:
    """Play path ``path_index`` of ``paths`` through every domain and bridge of ``scenario``.

    ``draws`` maps each domain to its uniforms (:func:`domain_uniforms`, drawn once for a study's
    paths); without them each domain draws its own up to ``path_index``.

    Raises
    ------
    RingfenceError
        A domain's venue is one the engine refuses (the message names the parameter).
    """
    play = _setup(scenario, paths, path_index, draws)
    failure = scenario.failure
    flows = {name: np.zeros(len(d.layout.assets)) for name, d in play.domains.items()}
    for step in range(1, scenario.base.horizon.steps + 1):
        for name, domain in play.domains.items():
            domain.run.prices.advance(step, flows[name])
            domain.run.publish(step)
            domain.publish_wrapped(step, failure)
            domain.run.update_margins(step)
        for name, bridge in play.bridges.items():
            bridge.halted = failure is not None and failure.bridge == name and failure.halted(step)
            play.holders[name].deliver(step, play.domains[play.holders[name].design.wrapped_domain].run.now(step))
        for domain in play.domains.values():
            domain.run.agents.top_up(step, domain.run.now(step))
        for group in play.holders.values():
            group.top_up(step, play.domains[group.design.wrapped_domain].run.now(step))
        for name, domain in play.domains.items():
            run = domain.run
            flow = run.agents.keep(step, run.now(step), run.prices.market[:, step])
            flows[name] = run.prices.flow_impact(flow)
        for group in play.holders.values():
            domain = play.domains[group.design.wrapped_domain]
            wrapped = next(w for w in domain.wrapped if w.design.name == group.design.name)
            group.auction(domain.run.now(step), to_wad(domain.wrapped_market_usd(wrapped, step, failure)))
        for domain in play.domains.values():
            run = domain.run
            run.agents.flee(step, run.now(step), run.nav_now(step))
            run.record(step)
        for bridge in play.bridges.values():
            bridge.check()
    return play
