"""A large synthetic book for the screen benchmark, as float arrays and as the objects a peer would write.

:func:`generate` draws (seeded) a venue of ``accounts`` margin accounts holding ``positions``
positions: half the accounts are isolated positions, the other half cross sub-accounts holding the
rest of the positions (about 4 each, at least 1) and 1-2 collateral assets each (USDC always, a
volatile asset for 30%, a USDC debt for 3%). 24 markets over 7 base assets, maintenance 1-5%,
initial twice that, PnL weight 50-100%. Notionals are log-normal (median 5,000 USD), entries within
a few percent of the price, leverage 2.5-20x, funding owed a few basis points. The price tick is a
crash: every volatile asset moves by ``exp(N(-0.08, 0.05))``, so a few percent of the accounts fall
below maintenance.

:func:`peer_book` turns the same book into what a user would write in plain Python: ``Position``
objects in a list per account, a ``dict`` of accounts keyed by name, markets and prices in dicts;
:func:`peer_screen` is the straightforward loop over it (same formulas as the kernel, same floats).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ringfence.risk.book import RiskBook
from ringfence.risk.boundary import QUOTE_ATOMS_PER_POSITION, VALUE_ATOMS_PER_CROSS_POSITION, VALUE_ATOMS_PER_HOLDING

ASSET_PRICES = np.array([1.0, 3_000.0, 65_000.0, 150.0, 0.5, 20.0, 8.0, 1.1])
"""Asset 0 is USDC, the quote asset, at par; 1-7 are volatile bases (and collateral)."""
MARKETS = 24
MAINTENANCE_RATES = np.array([0.01, 0.02, 0.03, 0.05])
PNL_WEIGHTS = np.array([0.5, 0.8, 1.0])
COLLATERAL_WEIGHT = 0.85


@dataclass
class Generated:
    """The book's columns (the arguments of :class:`RiskBook`) and the prices before and after the tick."""

    columns: dict[str, Any]
    prices_before: np.ndarray
    prices_after: np.ndarray

    def book(self) -> RiskBook:
        """Build the float book from copies of the columns (so its memory is the book's own)."""
        return RiskBook(**{k: v.copy() if isinstance(v, np.ndarray) else v for k, v in self.columns.items()})


def _positions_per_account(rng: np.random.Generator, isolated: np.ndarray, positions: int) -> np.ndarray:
    counts = np.ones(isolated.shape[0], dtype=np.intp)
    cross = np.flatnonzero(~isolated)
    extra = positions - counts.sum()
    if extra < 0 or (extra and cross.size == 0):
        raise ValueError(f"{positions} positions cannot fill {isolated.shape[0]} accounts")
    counts[cross] += rng.multinomial(extra, np.full(cross.size, 1.0 / cross.size))
    return counts


def generate(positions: int, accounts: int, seed: int = 20260103) -> Generated:
    """Draw the book and the tick (see the module docstring)."""
    rng = np.random.default_rng(seed)
    isolated = rng.permutation(accounts) < accounts // 2
    counts = _positions_per_account(rng, isolated, positions)
    account = np.repeat(np.arange(accounts, dtype=np.intp), counts)
    market_base = (1 + np.arange(MARKETS) % (ASSET_PRICES.size - 1)).astype(np.intp)
    maintenance = MAINTENANCE_RATES[np.arange(MARKETS) % MAINTENANCE_RATES.size]
    market = rng.integers(0, MARKETS, positions).astype(np.intp)
    price = ASSET_PRICES[market_base[market]]
    notional = rng.lognormal(math.log(5_000.0), 1.2, positions)
    side = np.where(rng.random(positions) < 0.6, 1.0, -1.0)
    size = side * notional / price
    open_notional = size * price * np.exp(rng.normal(0.0, 0.03, positions))
    funding = rng.normal(0.0, 2e-4, positions) * notional
    position_isolated = isolated[account]
    vault = np.where(position_isolated, notional * rng.uniform(0.06, 0.30, positions), 0.0)

    cross_accounts = np.flatnonzero(~isolated)
    account_notional = np.bincount(account, notional, accounts)[cross_accounts]
    usdc = account_notional * rng.uniform(0.05, 0.40, cross_accounts.size)
    usdc = np.where(rng.random(cross_accounts.size) < 0.03, -0.02 * account_notional, usdc)
    extra = rng.random(cross_accounts.size) < 0.30
    extra_asset = rng.integers(1, ASSET_PRICES.size, cross_accounts.size)[extra]
    extra_amount = account_notional[extra] * 0.1 / ASSET_PRICES[extra_asset] * COLLATERAL_WEIGHT
    holding_account = np.concatenate([cross_accounts, cross_accounts[extra]])
    order = np.argsort(holding_account, kind="stable")
    holding_asset = np.concatenate([np.zeros(cross_accounts.size, dtype=np.intp), extra_asset])[order]
    holding_amount = np.concatenate([usdc, extra_amount])[order]
    holding_account = holding_account[order]

    allowance = np.bincount(account, minlength=accounts) * QUOTE_ATOMS_PER_POSITION * 1e-6
    allowance += (~isolated) * np.bincount(account, minlength=accounts) * VALUE_ATOMS_PER_CROSS_POSITION * 1e-6
    allowance += np.bincount(holding_account, minlength=accounts) * VALUE_ATOMS_PER_HOLDING * 1e-6
    columns: dict[str, Any] = {
        "position_account": account,
        "position_market": market,
        "position_size": size,
        "position_open_notional": open_notional,
        "position_funding_owed": funding,
        "position_isolated": position_isolated,
        "position_isolated_margin": vault,
        "holding_account": holding_account.astype(np.intp),
        "holding_asset": holding_asset.astype(np.intp),
        "holding_weighted_amount": holding_amount,
        "market_base_asset": market_base,
        "market_maintenance_rate": maintenance,
        "market_initial_rate": 2 * maintenance,
        "market_pnl_weight": PNL_WEIGHTS[np.arange(MARKETS) % PNL_WEIGHTS.size],
        "account_isolated": isolated,
        "account_rounding_allowance": allowance,
        "asset_count": ASSET_PRICES.size,
    }
    after = ASSET_PRICES * np.exp(rng.normal(-0.08, 0.05, ASSET_PRICES.size))
    after[0] = 1.0
    return Generated(columns, ASSET_PRICES.copy(), after)


# --------------------------------------------------------------------------- the peer: plain Python objects


@dataclass(slots=True)
class Market:
    base: str
    maintenance_rate: float
    pnl_weight: float


@dataclass(slots=True)
class Position:
    market: str
    size: float
    open_notional: float
    funding_owed: float


@dataclass(slots=True)
class Account:
    isolated: bool
    isolated_margin: float
    collateral: dict[str, float]
    """Asset → amount weighted at the maintenance haircut."""
    positions: list[Position]


@dataclass
class PeerBook:
    accounts: dict[str, Account]
    markets: dict[str, Market]
    assets: list[str]


def account_name(index: int) -> str:
    return f"account-{index:07d}"


def peer_book(generated: Generated, first_accounts: int | None = None) -> PeerBook:
    """Build the objects for the first ``first_accounts`` accounts (all by default) from the same columns."""
    c = generated.columns
    assets = [f"asset-{i}" for i in range(c["asset_count"])]
    markets = {
        f"market-{m}": Market(assets[base], rate, weight)
        for m, (base, rate, weight) in enumerate(
            zip(
                c["market_base_asset"].tolist(),
                c["market_maintenance_rate"].tolist(),
                c["market_pnl_weight"].tolist(),
                strict=True,
            )
        )
    }
    limit = c["account_isolated"].shape[0] if first_accounts is None else first_accounts
    isolated = c["account_isolated"][:limit].tolist()
    accounts = {account_name(i): Account(isolated[i], 0.0, {}, []) for i in range(limit)}
    names = list(accounts)
    # Only the subset's rows are converted (columns are sorted by account), so its memory is its own.
    positions = int(np.searchsorted(c["position_account"], limit))
    rows = zip(
        *(
            c[name][:positions].tolist()
            for name in (
                "position_account",
                "position_market",
                "position_size",
                "position_open_notional",
                "position_funding_owed",
                "position_isolated_margin",
            )
        ),
        strict=True,
    )
    for index, market, size, opened, funding, vault in rows:
        account = accounts[names[index]]
        account.positions.append(Position(f"market-{market}", size, opened, funding))
        account.isolated_margin += vault
    held = int(np.searchsorted(c["holding_account"], limit))
    columns = ("holding_account", "holding_asset", "holding_weighted_amount")
    for index, asset, amount in zip(*(c[name][:held].tolist() for name in columns), strict=True):
        accounts[names[index]].collateral[assets[asset]] = amount
    return PeerBook(accounts, markets, assets)


def peer_screen(book: PeerBook, prices: dict[str, float]) -> dict[str, tuple[float, float, float]]:
    """Return every account's (equity, requirement, health): the loop a user would write."""
    results = {}
    for name, account in book.accounts.items():
        equity = account.isolated_margin
        for asset, amount in account.collateral.items():
            equity += amount * prices[asset]
        requirement = 0.0
        for position in account.positions:
            market = book.markets[position.market]
            notional = position.size * prices[market.base]
            pnl = notional - position.open_notional
            if pnl > 0:
                pnl *= market.pnl_weight
            equity += pnl - position.funding_owed
            requirement += abs(notional) * market.maintenance_rate
        if requirement > 0:
            health = equity / requirement
        elif equity >= 0:
            health = math.inf
        else:
            health = -math.inf
        results[name] = (equity, requirement, health)
    return results
