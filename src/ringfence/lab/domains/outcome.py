"""Where a bridge failure's loss lands: each domain's pools and parties, failure run against control run.

One path is played twice with the same prices, populations and uniforms (common random
numbers): with the scenario's failure and without it (the control). A figure's *loss from the
failure* is control − failure (a positive number is a loss). Per pool: bad debt (shortfalls of
liquidations and of collateral auctions), insurance drawn, LP loss (backstop and socialised
loss), latent bad debt (units still open at the end whose equity at the final market prices is
negative: the holders' wrapped collateral and auction lots valued at the wrapped asset's price) and
the LP NAV at the end. Per party, the value it holds at the end, marked at the final
market prices (the wrapped asset at its own, depegged, price): ``holders`` (of the wrapped asset:
their accounts on every domain, auction lots still for sale and bridge transfers in flight),
``traders`` (their accounts and the reserve they kept off the venue), ``lps`` (pool NAVs and what
they redeemed), ``insurance`` (the pools' funds and the insurer), ``liquidators`` (keepers, the
protocol's liquidator, the auction keeper, protocol fees).
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.pool.perp_math import unrealised_pnl_atoms
from ringfence.core.units import WAD
from ringfence.lab.domains.bridge import Direction
from ringfence.lab.domains.runner import DomainPlay, _Domain
from ringfence.lab.exact.layout import BASE_DECIMALS, INSURER, QUOTE, QUOTE_DECIMALS, QUOTE_UNIT, to_wad

__all__ = ["PARTIES", "POOL_FIGURES", "DomainOutcome", "domain_outcomes"]

PARTIES = ("holders", "traders", "lps", "insurance", "liquidators")
POOL_FIGURES = ("bad_debt_usd", "latent_bad_debt_usd", "insurance_drawn_usd", "lp_loss_usd", "lp_nav_usd")


@dataclass(frozen=True, slots=True)
class DomainOutcome:
    """One domain at the end of one path: per pool figures (USD) and per party value (USD)."""

    pools: tuple[str, ...]
    pool_figures: dict[str, tuple[float, ...]]
    parties: dict[str, float]


def _party(owner: str) -> str:
    if owner.startswith("holder-"):
        return "holders"
    if owner.startswith("lp-"):
        return "lps"
    if owner == INSURER:
        return "insurance"
    if owner.startswith("keeper") or owner in ("protocol-liquidator", "auction-keeper"):
        return "liquidators"
    return "traders"


def _final_prices(play: DomainPlay, domain: _Domain) -> dict[str, int]:
    run = domain.run
    prices = {asset: to_wad(float(run.prices.market[i, -1])) for i, asset in enumerate(domain.layout.assets)}
    steps = play.scenario.base.horizon.steps
    for wrapped in domain.wrapped:
        prices[wrapped.design.wrapped_asset] = to_wad(domain.wrapped_market_usd(wrapped, steps, play.scenario.failure))
    prices[QUOTE] = WAD
    return prices


def _value_atoms(amount_atoms: int, decimals: int, price_wad: int) -> int:
    """Quote atoms of ``amount_atoms`` at ``price_wad`` (floored: a statistic, not a ledger amount)."""
    return int(amount_atoms * price_wad * 10**QUOTE_DECIMALS // (WAD * 10**decimals))


def _parties(play: DomainPlay, name: str) -> dict[str, int]:
    domain = play.domains[name]
    state = domain.ledger.state
    prices = _final_prices(play, domain)
    parties = dict.fromkeys(PARTIES, 0)
    for (owner, _), account in sorted(state.accounts.items()):
        for asset, amount in sorted(account.balances.items()):
            parties[_party(owner)] += _value_atoms(amount, state.assets[asset].params.decimals, prices[asset])
    for pool_id in sorted(state.pools):
        pool = state.pools[pool_id]
        traders_pnl = 0
        for (key, market_id), position in sorted(pool.positions.items()):
            base = pool.markets[market_id].params.base_asset
            pnl = unrealised_pnl_atoms(position, prices[base], BASE_DECIMALS, QUOTE_DECIMALS)
            traders_pnl += pnl
            parties[_party(key[0])] += position.isolated_margin_atoms + pnl
        parties["lps"] += pool.vault_atoms - traders_pnl
        parties["insurance"] += pool.insurance_atoms
        parties["liquidators"] += pool.protocol_fees_atoms
        for auction in pool.auctions.values():
            decimals = state.assets[auction.asset].params.decimals
            parties[_party(auction.owner)] += _value_atoms(auction.lot_atoms, decimals, prices[auction.asset])
    parties["traders"] += int(sum(float(r) for r in domain.run.agents.reserve) * QUOTE_UNIT)
    for bridge_name, group in play.holders.items():
        if group.design.wrapped_domain != name:
            continue
        in_flight = play.bridges[bridge_name].in_flight_atoms(Direction.MINT)
        parties["holders"] += _value_atoms(in_flight, BASE_DECIMALS, prices[group.design.wrapped_asset])
    return parties


def _holder_latent_atoms(play: DomainPlay, name: str, prices: dict[str, int]) -> dict[str, int]:
    """Return, per pool, the negative equity of holders' sub-accounts at ``prices`` (lots and positions included)."""
    state = play.domains[name].ledger.state
    latent: dict[str, int] = {}
    for group in play.holders.values():
        if group.design.wrapped_domain != name:
            continue
        pool = state.pools[group.pool]
        lots = {(a.owner, a.sub_account): a.lot_atoms for a in pool.auctions.values()}
        for unit in group.units:
            account = state.accounts.get(unit.key)
            balances = {} if account is None else account.balances
            equity = sum(
                _value_atoms(amount, state.assets[asset].params.decimals, prices[asset])
                for asset, amount in balances.items()
            )
            equity += _value_atoms(lots.get(unit.key, 0), BASE_DECIMALS, prices[group.design.wrapped_asset])
            for (key, market_id), position in pool.positions.items():
                if key == unit.key:
                    base = pool.markets[market_id].params.base_asset
                    equity += unrealised_pnl_atoms(position, prices[base], BASE_DECIMALS, QUOTE_DECIMALS)
            if equity < 0:
                latent[group.pool] = latent.get(group.pool, 0) - equity
    return latent


def _latent_usd(play: DomainPlay, name: str) -> tuple[float, ...]:
    """Return each pool's latent bad debt in USD: the population's (the exact runner's rule) and the holders'."""
    domain = play.domains[name]
    agents = domain.run.agents
    units = agents.units
    agents.units = [unit for unit in units if unit.trader >= 0]
    try:
        population, _ = agents.latent_bad_debt_usd(domain.run.prices.market[:, -1])
    finally:
        agents.units = units
    holders = _holder_latent_atoms(play, name, _final_prices(play, domain))
    return tuple(population.get(p, 0.0) + holders.get(p, 0) / QUOTE_UNIT for p in domain.layout.pools)


def domain_outcomes(play: DomainPlay) -> dict[str, DomainOutcome]:
    """Return every domain's outcome at the end of ``play``."""
    outcomes = {}
    for name, domain in play.domains.items():
        ledger, run = domain.ledger, domain.run
        pools = domain.layout.pools
        figures = {
            "bad_debt_usd": tuple(ledger.bad_debt_atoms.get(p, 0) / QUOTE_UNIT for p in pools),
            "latent_bad_debt_usd": _latent_usd(play, name),
            "insurance_drawn_usd": tuple(ledger.insurance_drawn_atoms.get(p, 0) / QUOTE_UNIT for p in pools),
            "lp_loss_usd": tuple(ledger.lp_loss_atoms.get(p, 0) / QUOTE_UNIT for p in pools),
            "lp_nav_usd": tuple(float(v) for v in run.nav[:, -1]),
        }
        parties = {party: atoms / QUOTE_UNIT for party, atoms in _parties(play, name).items()}
        outcomes[name] = DomainOutcome(pools, figures, parties)
    return outcomes
