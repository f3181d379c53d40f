"""``decide`` for the venue's portfolio-margin rule and an owner's opt-in and opt-out (``core/portfolio/rule.py``).

- :class:`ConfigurePortfolioMargin`: a venue change (the admin's genesis, or a proposal once the
  venue is open). The cash asset cannot change while a sub-account is portfolio-margined (its
  positions are in pools quoted in it).
- :class:`EnablePortfolioMargin`: the owner's opt-in, gated by the venue's rule: the sub-account
  holds no position in any pool, owes no pool (no cross binding), has no collateral auction, and
  holds at least the rule's ``minimum_equity_value`` of maintenance equity (its balances at the
  oracle, full weight). Deribit and Binance gate portfolio margin by a minimum equity; a
  governance allow-list would be a role check in front of it and is not built.
- :class:`DisablePortfolioMargin`: back to cross margin, with no portfolio position and no live
  portfolio auction.
"""

from __future__ import annotations

from ringfence.core.errors import CommandRejected, DuplicateEntity, InsufficientMargin, NotPortfolioMargined
from ringfence.core.events import Event
from ringfence.core.margin import base_price_wad
from ringfence.core.pool.portfolio_margin import portfolio_positions, portfolio_rule_of
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin, DisablePortfolioMargin, EnablePortfolioMargin
from ringfence.core.portfolio.events import PortfolioMarginConfigured, PortfolioMarginDisabled, PortfolioMarginEnabled
from ringfence.core.portfolio.rule import check_rule
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import Rounding, value_of
from ringfence.core.validation import check_account

__all__ = ["decide_configure_portfolio_margin", "decide_disable_portfolio_margin", "decide_enable_portfolio_margin"]


def _label(key: AccountKey) -> str:
    return f"{key[0]}/{key[1]}"


def decide_configure_portfolio_margin(state: LedgerState, command: ConfigurePortfolioMargin) -> list[Event]:
    """Validate the rule and set it."""
    rule = command.rule
    check_rule(rule, tuple(state.assets))
    current = state.portfolio_rule
    if current is not None and current.cash_asset != rule.cash_asset and state.portfolio_accounts:
        raise CommandRejected(
            f"{len(state.portfolio_accounts)} sub-accounts are portfolio-margined in {current.cash_asset}: "
            "the cash asset cannot change while any is"
        )
    return [PortfolioMarginConfigured(rule=rule, timestamp_ns=command.timestamp_ns)]


def _holds_positions(state: LedgerState, key: AccountKey) -> bool:
    return any(key in pool.account_markets for pool in state.pools.values())


def decide_enable_portfolio_margin(state: LedgerState, command: EnablePortfolioMargin) -> list[Event]:
    """Enrol a sub-account in portfolio margin (module docstring: the gate)."""
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    rule = portfolio_rule_of(state)
    label = _label(key)
    if key in state.portfolio_accounts:
        raise DuplicateEntity("portfolio-margined sub-account", label)
    if _holds_positions(state, key):
        raise NotPortfolioMargined(label, "enable portfolio margin", "it holds positions: close them first")
    if key in state.cross_pool or any(
        (a.owner, a.sub_account) == key for p in state.pools.values() for a in p.auctions.values()
    ):
        raise NotPortfolioMargined(label, "enable portfolio margin", "it owes a pool: repay its debt first")
    if rule.minimum_equity_value:
        account = state.accounts.get(key)
        equity = 0
        for asset, amount in (account.balances if account is not None else {}).items():
            price = base_price_wad(state, asset, command.timestamp_ns)
            equity += value_of(amount, price, state.assets[asset].params.decimals, Rounding.DOWN)
        if equity < rule.minimum_equity_value:
            raise InsufficientMargin(label, equity, rule.minimum_equity_value, "portfolio-margin minimum")
    return [
        PortfolioMarginEnabled(owner=command.owner, sub_account=command.sub_account, timestamp_ns=command.timestamp_ns)
    ]


def decide_disable_portfolio_margin(state: LedgerState, command: DisablePortfolioMargin) -> list[Event]:
    """Return a sub-account with no portfolio position and no live auction to cross margin."""
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    label = _label(key)
    if key not in state.portfolio_accounts:
        raise NotPortfolioMargined(label, "disable portfolio margin", "it is not portfolio-margined")
    if portfolio_positions(state, key) or key in state.portfolio_auctions:
        raise NotPortfolioMargined(
            label, "disable portfolio margin", "it holds portfolio positions or is being auctioned: close them first"
        )
    account = state.accounts.get(key)
    if account is not None and any(amount < 0 for amount in account.balances.values()):
        raise NotPortfolioMargined(label, "disable portfolio margin", "it owes a debt: repay it first")
    return [
        PortfolioMarginDisabled(owner=command.owner, sub_account=command.sub_account, timestamp_ns=command.timestamp_ns)
    ]
