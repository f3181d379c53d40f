"""The peer of the liquidation mix: a naive per-command ``decimal.Decimal`` model of the same venue rules.

This is what a Python developer would write without the engine: dictionaries of plain objects,
every amount a ``Decimal`` in human units (USDC, ETH, BTC), every rounding an explicit
``quantize`` to the asset's smallest unit in the direction the venue's rules state. No events,
no journal, no replay, no hash chain, no type or range validation. It reads the same command
objects the engine reads and answers ``"ok"`` or the name of the engine's rejection.

Rules modelled, as the engine's docstrings state them (``core/pool/decide.py``,
``core/pool/liquidate.py``, ``core/margin.py``, ``core/pool/perp_math.py``):

- oracle: the median of the latest quote of each source, once a quorum (2) has quoted;
- trade: Synthetix skew-premium fill ± spread (buys round up, sells down), cost basis and
  realised PnL on resize, taker fee split LP / insurance / protocol, isolated margin vault,
  open-interest cap, initial-margin check of a risk-increasing trade (cross: the
  sub-account's collateral plus every cross position of its pool), the pool's reserve;
- liquidation, the keeper path: maintenance check (healthy: refused), the close factor of
  the position at the oracle, the fixed penalty split keeper / insurance fund.

Not modelled, and kept out of reach by the workload: the engine's other liquidation paths
(a bankrupt or "toxic" account goes to the pool's backstop and the waterfall: insurance,
auto-deleveraging, socialised loss, breakers; before the liquidation-policy rewrite, a whole
close whose shortfall goes down the waterfall). The mix has no price gaps (ticks of at most 3%)
and keepers sweep until every position is healthy before the next tick, so every liquidation
starts at a health of about 0.4 or more; the model checks this on every liquidation and stops
the benchmark (:class:`OutsideModel`) if the workload ever leaves its domain. Also inert under
the benchmark's parameters: funding (the markets' funding rate is 0, so the engine's index
never moves), the oracle's deviation filter, jump guard and staleness (small ticks, fresh
quotes), stable prices (the only collateral is USDC at a constant 1), reduce-only and halted
pools, and field validation. The benchmark's gate proves all of this: every outcome and the
final state must equal the engine's.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from ringfence.core.commands import ConfigureOracle, Deposit, OpenVenue, RegisterAsset, SubmitPrice
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.core.pool.commands import AddMarket, CreatePool, FundInsurance, Liquidate, ProvideLiquidity, Trade
from ringfence.core.pool.state import MarginMode

# 80 significant digits: an 18-decimal size times an 18-decimal price needs about 45, so
# products and sums are exact; a quotient is off by far less than one atom before it is
# quantized in the rule's direction.
CONTEXT = decimal.Context(prec=80, rounding=ROUND_FLOOR)
ZERO = Decimal(0)
ONE = Decimal(1)
WAD_DIGITS = 18
OK = "ok"

Key = tuple[str, int]


@contextmanager
def decimal_context() -> Iterator[None]:
    """Run the model inside its 80-digit context."""
    with decimal.localcontext(CONTEXT):
        yield


def _ratio(wad: int) -> Decimal:
    return Decimal(wad).scaleb(-WAD_DIGITS)


class OutsideModel(AssertionError):
    """The workload left the part of the rules this model implements (a benchmark bug, not a result)."""


class Rejected(Exception):
    """A command the model refuses; ``kind`` is the engine's error class name."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(slots=True)
class Asset:
    unit: Decimal
    initial_weight: Decimal
    maintenance_weight: Decimal
    quotes: dict[str, Decimal]
    price: Decimal | None = None


@dataclass(slots=True)
class Market:
    pool: str
    base: str
    unit: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    spread: Decimal
    taker_fee: Decimal
    skew_scale: Decimal
    open_interest_cap: Decimal
    pnl_weight: Decimal
    long: Decimal = ZERO
    short: Decimal = ZERO


@dataclass(slots=True)
class Pool:
    quote: str
    unit: Decimal
    lp_fee_share: Decimal
    insurance_fee_share: Decimal
    reserve_factor: Decimal
    penalty: Decimal
    keeper_share: Decimal
    close_factor: Decimal
    markets: list[str]
    vault: Decimal = ZERO
    insurance: Decimal = ZERO
    protocol_fees: Decimal = ZERO


@dataclass(slots=True)
class Position:
    size: Decimal
    open_notional: Decimal
    mode: MarginMode
    isolated_margin: Decimal = ZERO


def _down(value: Decimal, unit: Decimal) -> Decimal:
    return value.quantize(unit, ROUND_FLOOR)


def _up(value: Decimal, unit: Decimal) -> Decimal:
    return value.quantize(unit, ROUND_CEILING)


class DecimalVenue:
    """The venue as dictionaries of Decimal objects; :meth:`apply` runs one command."""

    def __init__(self) -> None:
        self.assets: dict[str, Asset] = {}
        self.pools: dict[str, Pool] = {}
        self.markets: dict[tuple[str, str], Market] = {}
        self.balances: dict[Key, dict[str, Decimal]] = {}
        self.positions: dict[tuple[str, str, Key], Position] = {}
        self.cross_pool: dict[Key, str] = {}
        self._handlers: dict[type[Any], Any] = {
            ConfigureGovernance: lambda command: None,  # authority: the engine's check, not modelled
            OpenVenue: lambda command: None,
            RegisterAsset: self._register,
            ConfigureOracle: lambda command: None,
            SubmitPrice: self._submit_price,
            Deposit: self._deposit,
            CreatePool: self._create_pool,
            AddMarket: self._add_market,
            ProvideLiquidity: self._provide,
            FundInsurance: self._fund_insurance,
            Trade: self._trade,
            Liquidate: self._liquidate,
        }

    # ------------------------------------------------------------------ commands

    def apply(self, command: Any) -> str:
        """Run one command; return ``"ok"`` or the engine's name for its rejection."""
        try:
            self._handlers[type(command)](command)
        except Rejected as rejected:
            return rejected.kind
        return OK

    def run(self, commands: Iterable[Any]) -> list[str]:
        """Run commands in order (inside the model's Decimal context); return their outcomes."""
        with decimal_context():
            return [self.apply(command) for command in commands]

    def _register(self, command: RegisterAsset) -> None:
        unit = ONE.scaleb(-command.decimals)
        weights = _ratio(command.initial_weight_wad), _ratio(command.maintenance_weight_wad)
        self.assets[command.asset] = Asset(unit, *weights, quotes={})

    def _submit_price(self, command: SubmitPrice) -> None:
        asset = self.assets[command.asset]
        asset.quotes[command.source] = Decimal(command.price_wad).scaleb(-WAD_DIGITS)
        ordered = sorted(asset.quotes.values())
        if len(ordered) >= 2:
            middle = len(ordered) // 2
            median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
            asset.price = _down(median, ONE.scaleb(-WAD_DIGITS))

    def _credit(self, key: Key, asset: str, amount: Decimal) -> None:
        balances = self.balances.setdefault(key, {})
        balances[asset] = balances.get(asset, ZERO) + amount

    def _deposit(self, command: Deposit) -> None:
        amount = Decimal(command.amount_atoms) * self.assets[command.asset].unit
        self._credit((command.owner, command.sub_account), command.asset, amount)

    def _create_pool(self, command: CreatePool) -> None:
        p = command.params
        self.pools[command.pool] = Pool(
            p.quote_asset,
            self.assets[p.quote_asset].unit,
            _ratio(p.lp_fee_share_wad),
            _ratio(p.insurance_fee_share_wad),
            _ratio(p.reserve_factor_wad),
            _ratio(p.liquidation_penalty_wad),
            _ratio(p.liquidator_share_wad),
            _ratio(p.close_factor_wad),
            [],
        )

    def _add_market(self, command: AddMarket) -> None:
        p = command.params
        unit = self.assets[p.base_asset].unit
        self.markets[(command.pool, p.market)] = Market(
            command.pool,
            p.base_asset,
            unit,
            _ratio(p.initial_margin_wad),
            _ratio(p.maintenance_margin_wad),
            _ratio(p.spread_wad),
            _ratio(p.taker_fee_wad),
            p.skew_scale_atoms * unit,
            p.open_interest_cap_atoms * unit,
            _ratio(p.pnl_weight_wad),
        )
        self.pools[command.pool].markets.append(p.market)

    def _require(self, key: Key, asset: str, amount: Decimal) -> None:
        if self.balances.get(key, {}).get(asset, ZERO) < amount:
            raise Rejected("InsufficientBalance")

    def _take(self, key: Key, asset: str, amount: Decimal) -> None:
        self._require(key, asset, amount)
        self._credit(key, asset, -amount)

    def _provide(self, command: ProvideLiquidity) -> None:
        pool = self.pools[command.pool]
        amount = command.amount_atoms * pool.unit
        self._take((command.owner, command.sub_account), pool.quote, amount)
        pool.vault += amount

    def _fund_insurance(self, command: FundInsurance) -> None:
        pool = self.pools[command.pool]
        amount = command.amount_atoms * pool.unit
        self._take((command.owner, command.sub_account), pool.quote, amount)
        pool.insurance += amount

    # ------------------------------------------------------------------ margin

    def _price(self, asset: str) -> Decimal:
        price = self.assets[asset].price
        if price is None:
            raise Rejected("OracleUnavailable")
        return price

    def position_terms(self, market: Market, position: Position, rate: Decimal, price: Decimal) -> tuple[Decimal, ...]:
        """Return ``(equity, requirement)``: weighted unrealised PnL, and ``|size| · price · rate`` rounded up."""
        unit = self.pools[market.pool].unit
        pnl = _down(position.size * price, unit) - position.open_notional
        if pnl > 0:
            pnl = _down(pnl * market.pnl_weight, unit)
        notional = _up(abs(position.size) * price, unit)
        return pnl, _up(notional * rate, unit)

    def _collateral(self, balances: dict[str, Decimal], initial: bool) -> Decimal:
        total = ZERO
        for name, amount in balances.items():
            if amount == 0:
                continue
            asset = self.assets[name]
            value = _down(amount * self._price(name), ONE.scaleb(-6))
            if amount > 0:
                weight = asset.initial_weight if initial else asset.maintenance_weight
                value = _down(value * weight, ONE.scaleb(-6))
            total += value
        return total

    def cross_margin(
        self, key: Key, initial: bool, change: Decimal = ZERO, override: tuple[str, str, Position] | None = None
    ) -> tuple[Decimal, Decimal]:
        """Return a sub-account's cross ``(equity, requirement)``, optionally after a quote change and a position."""
        balances = dict(self.balances.get(key, {}))
        pool_id = self.cross_pool.get(key) or (override[0] if override else None)
        if change:
            quote = self.pools[pool_id].quote if pool_id else "USDC"
            balances[quote] = balances.get(quote, ZERO) + change
        positions: list[tuple[Market, Position]] = []
        if pool_id is not None:
            for market_id in self.pools[pool_id].markets:
                position = self.positions.get((pool_id, market_id, key))
                if override is not None and override[:2] == (pool_id, market_id):
                    position = override[2]
                if position is not None and position.mode is MarginMode.CROSS:
                    positions.append((self.markets[(pool_id, market_id)], position))
        if not positions and all(amount >= 0 for amount in balances.values()):
            return ZERO, ZERO
        equity, requirement = self._collateral(balances, initial), ZERO
        for market, position in positions:
            rate = market.initial_margin if initial else market.maintenance_margin
            terms = self.position_terms(market, position, rate, self._price(market.base))
            equity += terms[0]
            requirement += terms[1]
        return equity, requirement

    def health(self, pool_id: str, market_id: str, key: Key) -> tuple[Decimal, Decimal] | None:
        """Return a position's maintenance ``(equity, requirement)`` (None without a position)."""
        position = self.positions.get((pool_id, market_id, key))
        if position is None:
            return None
        market = self.markets[(pool_id, market_id)]
        if position.mode is MarginMode.CROSS:
            return self.cross_margin(key, initial=False)
        pnl, requirement = self.position_terms(market, position, market.maintenance_margin, self._price(market.base))
        return position.isolated_margin + pnl, requirement

    # ------------------------------------------------------------------ trades

    def _fill(self, market: Market, oracle: Decimal, delta: Decimal) -> Decimal:
        """Synthetix skew premium averaged over the trade, then the spread; buys round up, sells down."""
        quantize = _up if delta > 0 else _down
        wei = ONE.scaleb(-WAD_DIGITS)
        skew = market.long - market.short
        skewed = quantize(oracle * (2 * market.skew_scale + 2 * skew + delta) / (2 * market.skew_scale), wei)
        spread = ONE + market.spread if delta > 0 else ONE - market.spread
        return max(quantize(skewed * spread, wei), wei)

    @staticmethod
    def _resize(size: Decimal, basis: Decimal, delta: Decimal, price: Decimal, unit: Decimal) -> tuple[Decimal, ...]:
        """Return ``(new size, new cost basis, realised PnL)`` of changing a position by ``delta`` at ``price``."""
        closing = size != 0 and (size > 0) != (delta > 0)
        closed = min(abs(delta), abs(size)) if closing else ZERO
        closed_signed = closed if size > 0 else -closed
        removed = _up(basis * closed / abs(size), unit) if closed else ZERO
        realised = _down(closed_signed * price, unit) - removed if closed else ZERO
        opened = delta + closed_signed if closing else delta
        opened_basis = _up(opened * price, unit) if opened else ZERO
        return size + delta, basis - removed + opened_basis, realised

    def _check_reserve(self, pool_id: str, vault_after: Decimal, market_id: str, delta: Decimal) -> None:
        pool = self.pools[pool_id]
        exposure = ZERO
        for other in pool.markets:
            market = self.markets[(pool_id, other)]
            skew = market.long - market.short + (delta if other == market_id else ZERO)
            if skew:
                exposure += abs(_down(skew * self._price(market.base), pool.unit))
        if exposure > _down(max(vault_after, ZERO) * pool.reserve_factor, pool.unit):
            raise Rejected("CommandRejected")

    def _trade(self, command: Trade) -> None:
        key = (command.owner, command.sub_account)
        market = self.markets[(command.pool, command.market)]
        pool = self.pools[command.pool]
        unit = pool.unit
        position = self.positions.get((command.pool, command.market, key))
        size = position.size if position else ZERO
        basis = position.open_notional if position else ZERO
        delta = command.size_delta_atoms * market.unit
        new_size = size + delta
        increases = abs(new_size) > abs(size) or (size != 0 and new_size != 0 and (size > 0) != (new_size > 0))
        oracle = self._price(market.base)
        fill = self._fill(market, oracle, delta)
        new_size, new_basis, realised = self._resize(size, basis, delta, fill, unit)
        fee = _up(_up(abs(delta) * fill, unit) * market.taker_fee, unit)
        margin = command.margin_atoms * unit
        side_delta = margin - fee + realised
        self._require(key, pool.quote, margin)
        vault_after = (position.isolated_margin if position else ZERO) + side_delta
        released = ZERO
        isolated = command.mode is MarginMode.ISOLATED
        if isolated:
            if vault_after < 0:
                raise Rejected("InsufficientMargin")
            released = vault_after if new_size == 0 else ZERO
        new_position = Position(new_size, new_basis, command.mode, vault_after - released if isolated else ZERO)
        if increases:
            self._check_open_interest(market, size, new_size)
            self._check_initial_margin(command, key, market, new_position, side_delta, oracle)
        lp_fee = _down(fee * pool.lp_fee_share, unit)
        insurance_fee = _down(fee * pool.insurance_fee_share, unit)
        if increases:
            self._check_reserve(command.pool, pool.vault + lp_fee - realised, command.market, delta)
        self._credit(key, pool.quote, released - margin if isolated else side_delta)
        pool.vault += lp_fee - realised
        pool.insurance += insurance_fee
        pool.protocol_fees += fee - lp_fee - insurance_fee
        self._set_position(command.pool, command.market, key, size, new_position)

    def _check_open_interest(self, market: Market, size: Decimal, new_size: Decimal) -> None:
        long_after = market.long - max(size, ZERO) + max(new_size, ZERO)
        short_after = market.short - max(-size, ZERO) + max(-new_size, ZERO)
        if long_after > market.open_interest_cap or short_after > market.open_interest_cap:
            raise Rejected("CommandRejected")

    def _check_initial_margin(
        self, command: Trade, key: Key, market: Market, position: Position, side_delta: Decimal, oracle: Decimal
    ) -> None:
        if command.mode is MarginMode.ISOLATED:
            pnl, requirement = self.position_terms(market, position, market.initial_margin, oracle)
            equity = position.isolated_margin + pnl
        else:
            equity, requirement = self.cross_margin(key, True, side_delta, (command.pool, command.market, position))
        if equity < requirement:
            raise Rejected("InsufficientMargin")

    def _set_position(self, pool_id: str, market_id: str, key: Key, old_size: Decimal, position: Position) -> None:
        market = self.markets[(pool_id, market_id)]
        market.long += max(position.size, ZERO) - max(old_size, ZERO)
        market.short += max(-position.size, ZERO) - max(-old_size, ZERO)
        if position.size:
            self.positions[(pool_id, market_id, key)] = position
            if position.mode is MarginMode.CROSS:
                self.cross_pool[key] = pool_id
            return
        self.positions.pop((pool_id, market_id, key), None)
        if position.mode is MarginMode.CROSS and not any(
            self.positions[(pool_id, other, key)].mode is MarginMode.CROSS
            for other in self.pools[pool_id].markets
            if (pool_id, other, key) in self.positions
        ):
            self.cross_pool.pop(key, None)

    # ------------------------------------------------------------------ liquidation

    def _liquidate(self, command: Liquidate) -> None:
        """A keeper's close: the close factor of the position at the oracle, the penalty split keeper / insurance."""
        key = (command.owner, command.sub_account)
        pool = self.pools[command.pool]
        position = self.positions.get((command.pool, command.market, key))
        health = self.health(command.pool, command.market, key)
        if position is None or health is None:
            raise Rejected("UnknownEntity")
        equity, requirement = health
        if equity >= requirement:
            raise Rejected("CommandRejected")
        market = self.markets[(command.pool, command.market)]
        price = self._price(market.base)
        self._check_keeper_path(pool, market, position, equity, requirement, price)
        isolated = position.mode is MarginMode.ISOLATED
        side = position.isolated_margin if isolated else self.balances.get(key, {}).get(pool.quote, ZERO)
        size = abs(position.size)
        close = min(_up(size * pool.close_factor, market.unit), size)
        delta = -close if position.size > 0 else close
        new_size, new_basis, realised = self._resize(position.size, position.open_notional, delta, price, pool.unit)
        penalty = _up(_up(close * price, pool.unit) * pool.penalty, pool.unit)
        after = side + realised - penalty
        if after < 0:
            raise OutsideModel(f"{key} cannot pay the penalty: a liquidation path this model does not implement")
        keeper = _down(penalty * pool.keeper_share, pool.unit)
        self._credit((command.keeper_owner, command.keeper_sub_account), pool.quote, keeper)
        pool.vault -= realised
        pool.insurance += penalty - keeper
        if isolated:
            new_position = Position(new_size, new_basis, position.mode, after)
        else:
            self._credit(key, pool.quote, after - side)
            new_position = Position(new_size, new_basis, position.mode)
        self._set_position(command.pool, command.market, key, position.size, new_position)
        self._check_health_rose(command, equity, requirement)

    def _check_keeper_path(
        self, pool: Pool, market: Market, position: Position, equity: Decimal, requirement: Decimal, price: Decimal
    ) -> None:
        """Refuse to go on where the engine would leave the plain keeper path (bankrupt or toxic accounts).

        A penalty-paying partial close lowers health iff ``E · r < R · p · N`` (``r`` the position's
        own requirement, ``N`` its notional; Aave's toxic liquidation). The engine takes such an
        account, and a bankrupt one, down another path (since the liquidation-policy rewrite its
        backstop; before it, a whole close with a shortfall), which this model does not implement.
        """
        _, own_requirement = self.position_terms(market, position, market.maintenance_margin, price)
        notional = _up(abs(position.size) * price, pool.unit)
        if equity <= 0 or equity * own_requirement < requirement * pool.penalty * notional:
            raise OutsideModel(
                f"health {equity}/{requirement} is bankrupt or toxic: a path this model does not implement"
            )

    def _check_health_rose(self, command: Liquidate, equity: Decimal, requirement: Decimal) -> None:
        after = self.health(command.pool, command.market, (command.owner, command.sub_account))
        if after is not None and after[0] * requirement < equity * after[1]:
            raise OutsideModel("the close lowered health by rounding: a path this model does not implement")

    # ------------------------------------------------------------------ export

    def atoms(self) -> dict[str, Any]:
        """Return the model's state in integer atoms, in the shape :func:`engine_atoms` reads from the engine."""
        with decimal_context():
            balances = {
                (key, asset): int(amount / self.assets[asset].unit)
                for key, held in self.balances.items()
                for asset, amount in held.items()
                if amount
            }
            positions = {}
            for (pool_id, market_id, key), position in self.positions.items():
                market, pool = self.markets[(pool_id, market_id)], self.pools[pool_id]
                positions[(pool_id, market_id, key)] = (
                    int(position.size / market.unit),
                    int(position.open_notional / pool.unit),
                    int(position.isolated_margin / pool.unit),
                )
            # No shortfall reaches the waterfall in the model's domain: no socialised loss, no breaker.
            pools = {
                pool_id: (
                    *(int(amount / pool.unit) for amount in (pool.vault, pool.insurance, pool.protocol_fees)),
                    0,
                    "active",
                )
                for pool_id, pool in self.pools.items()
            }
            interest = {
                ids: (int(market.long / market.unit), int(market.short / market.unit))
                for ids, market in self.markets.items()
            }
        return {"balances": balances, "positions": positions, "pools": pools, "open_interest": interest}
