"""Property tests of the ledger: random command sequences against ``Engine(MemoryJournal())``.

A hypothesis state machine has the admin list three assets (6, 8 and 18 decimals; one with a
finite supply cap) with three-source, quorum-two oracles in the genesis and open the venue, then
sends, each as the principal it names (owner or source: ``tests/support/authority.py``),
deposits, withdrawals,
transfers and price submissions (valid and invalid, one at a time through
``Engine.execute`` and in batches through ``Engine.execute_batch``) while time advances.

An independent model in this file predicts, from the commands alone, whether each command
is accepted (and, if not, which rejections may apply) and what every balance must be.
After every step the machine checks that

- value is conserved per asset and no balance is negative,
- the engine's balances equal the model's exactly,
- replaying the journal rebuilds the live state,
- a rejected command changed neither the state nor the journal,
- the journal's hash chain verifies every entry.

Plain ``@given`` tests cover batch/one-by-one equivalence and that collateral valuation
rounds in the protocol's favour (checked against ``fractions.Fraction``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ringfence.core.commands import (
    Command,
    ConfigureOracle,
    Deposit,
    OpenVenue,
    RegisterAsset,
    SubmitPrice,
    Transfer,
    Withdraw,
)
from ringfence.core.errors import (
    InsufficientBalance,
    InvalidAmount,
    InvalidParameter,
    RingfenceError,
    SupplyCapExceeded,
    Unauthorized,
    UnknownEntity,
)
from ringfence.core.events import (
    CollateralDeposited,
    CollateralTransferred,
    CollateralWithdrawn,
    Event,
    OracleDegraded,
    OracleGuardTripped,
    OraclePriceAccepted,
    PriceSubmitted,
)
from ringfence.core.evolve import evolve_all
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.core.margin import NO_LIMIT
from ringfence.service.engine import Accepted, Engine, Rejected, replay
from ringfence.store.memory import MemoryJournal
from support.authority import bootstrap, named_sender, open_venue, sent_as_named

SECOND_NS = 1_000_000_000
START_NS = 1_000 * SECOND_NS
WAD_LITERAL = 1_000_000_000_000_000_000
MAX_ATOMS_LITERAL = 2**128 - 1
PERCENT_WAD = WAD_LITERAL // 100

SOURCES = ("a", "b", "c")
UNKNOWN_SOURCE = "zz"


@dataclass(frozen=True)
class AssetSpec:
    """A listed asset of the scenario."""

    decimals: int
    supply_cap_atoms: int
    start_price_wad: int


ASSETS: dict[str, AssetSpec] = {
    "USDC": AssetSpec(6, NO_LIMIT, 1 * WAD_LITERAL),
    "WBTC": AssetSpec(8, 21 * 10**8, 65_000 * WAD_LITERAL),  # capped at 21 BTC
    "ETH": AssetSpec(18, NO_LIMIT, 3_000 * WAD_LITERAL),
}
UNKNOWN_ASSET = "DOGE"
OWNERS = ("alice", "bob", "carol")
INVALID_OWNER = "no spaces"
MAX_SUB_ACCOUNT = 255

# Sampling with repetition weights the valid values over the occasional invalid one.
owners = st.sampled_from(OWNERS * 5 + (INVALID_OWNER,))
sub_accounts = st.sampled_from((0, 1, 2, 3) * 5 + (256, -1))
assets = st.sampled_from(tuple(ASSETS) * 3 + (UNKNOWN_ASSET,))
raw_amounts = st.one_of(
    st.integers(1, 10**9),
    st.integers(1, 10**21),
    st.integers(1, 10**9),
    st.sampled_from((0, -1, -(10**6), MAX_ATOMS_LITERAL, MAX_ATOMS_LITERAL + 1, 10**40)),  # zero, negative, huge
)
AMOUNT_CHOICES = ("raw", "held", "held", "half_held", "half_held", "held_plus_one")  # relative to the balance
amount_choices = st.sampled_from(AMOUNT_CHOICES)
deposit_choices = st.sampled_from(("raw",) * 6 + ("room", "room_plus_one"))  # relative to the supply cap
price_moves = st.sampled_from(
    (
        Fraction(1),
        Fraction(1001, 1000),
        Fraction(999, 1000),
        Fraction(101, 100),
        Fraction(99, 100),
        Fraction(13, 10),  # a 30% jump: trips the 15% guard
        Fraction(1, 2),
        Fraction(3),
        Fraction(0),  # price 0: invalid
        Fraction(-1),  # negative price: invalid
    )
)
sources = st.sampled_from(SOURCES * 3 + (UNKNOWN_SOURCE,))
quote_ages = st.sampled_from((0, 0, 0, 1, 5, -1))  # seconds before now; -1 = 1 ns in the future


@dataclass(frozen=True)
class MoneySpec:
    """A deposit, withdrawal or transfer, with its amount chosen relative to the model."""

    kind: str
    owner: str
    sub_account: int
    to_sub_account: int
    asset: str
    amount_choice: str
    raw_amount: int


@dataclass(frozen=True)
class PriceSpec:
    """A price submission as a move of the asset's reference price."""

    asset: str
    source: str
    move: Fraction
    confidence_permille: int
    age_seconds: int


money_specs = st.builds(
    MoneySpec,
    kind=st.sampled_from(("deposit", "deposit", "withdraw", "transfer")),
    owner=owners,
    sub_account=sub_accounts,
    to_sub_account=sub_accounts,
    asset=assets,
    amount_choice=st.sampled_from((*AMOUNT_CHOICES, "raw", "room", "room_plus_one")),
    raw_amount=raw_amounts,
)
price_specs = st.builds(
    PriceSpec,
    asset=assets,
    source=sources,
    move=price_moves,
    confidence_permille=st.sampled_from((0, 0, 1, 50)),
    age_seconds=quote_ages,
)


# --- the independent model ----------------------------------------------------------------------


@dataclass
class LedgerModel:
    """What the ledger must hold, computed from the commands and nothing else."""

    caps: dict[str, int] = field(default_factory=dict)
    oracle_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    balances: dict[tuple[str, int, str], int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    deposited: dict[str, int] = field(default_factory=dict)
    withdrawn: dict[str, int] = field(default_factory=dict)
    last_published: dict[tuple[str, str], int] = field(default_factory=dict)

    def held(self, owner: str, sub_account: int, asset: str) -> int:
        return self.balances.get((owner, sub_account, asset), 0)

    def room(self, asset: str) -> int:
        return self.caps[asset] - self.totals[asset] if asset in self.caps else 0

    def _valid_key(self, owner: str, sub_account: int) -> bool:
        return owner in OWNERS and 0 <= sub_account <= MAX_SUB_ACCOUNT

    def rejections(self, command: Command) -> set[type[RingfenceError]]:
        """Return every rejection that applies to ``command`` now; empty means it must be accepted."""
        if isinstance(command, RegisterAsset | ConfigureOracle | ConfigureGovernance | OpenVenue):
            return set()
        if isinstance(command, SubmitPrice):
            return self._price_rejections(command)
        if isinstance(command, Deposit):
            return self._deposit_rejections(command)
        return self._release_rejections(command)

    def _asset_and_amount_rejections(self, asset: str, amount_atoms: int) -> set[type[RingfenceError]]:
        reasons: set[type[RingfenceError]] = set()
        if asset not in self.caps:
            reasons.add(UnknownEntity)
        if not 1 <= amount_atoms <= MAX_ATOMS_LITERAL:
            reasons.add(InvalidAmount)
        return reasons

    def _deposit_rejections(self, command: Deposit) -> set[type[RingfenceError]]:
        if command.owner not in OWNERS:
            # Sent by the owner it names: the sender's name check comes before any other rule.
            return {InvalidParameter}
        reasons = self._asset_and_amount_rejections(command.asset, command.amount_atoms)
        if not self._valid_key(command.owner, command.sub_account):
            reasons.add(InvalidParameter)
        if not reasons and command.amount_atoms > self.room(command.asset):
            reasons.add(SupplyCapExceeded)
        return reasons

    def _release_rejections(self, command: Withdraw | Transfer) -> set[type[RingfenceError]]:
        if command.owner not in OWNERS:
            return {InvalidParameter}  # the sender's name check, as for a deposit
        reasons = self._asset_and_amount_rejections(command.asset, command.amount_atoms)
        source = command.sub_account if isinstance(command, Withdraw) else command.from_sub_account
        if not self._valid_key(command.owner, source):
            reasons.add(InvalidParameter)
        if isinstance(command, Transfer) and (
            not self._valid_key(command.owner, command.to_sub_account)
            or command.from_sub_account == command.to_sub_account
        ):
            reasons.add(InvalidParameter)
        if not reasons and command.amount_atoms > self.held(command.owner, source, command.asset):
            reasons.add(InsufficientBalance)
        return reasons

    def _price_rejections(self, command: SubmitPrice) -> set[type[RingfenceError]]:
        if command.asset in self.oracle_sources and command.source not in self.oracle_sources[command.asset]:
            # Sent by the source it names, which is no feeder of this oracle: authority is checked
            # before any other rule (an unknown source of a listed asset is an unauthorised sender).
            return {Unauthorized}
        reasons: set[type[RingfenceError]] = set()
        if command.asset not in self.oracle_sources:
            reasons.add(UnknownEntity)
        if not 1 <= command.price_wad <= MAX_ATOMS_LITERAL:
            reasons.add(InvalidAmount)
        if not 0 <= command.confidence_wad <= MAX_ATOMS_LITERAL:
            reasons.add(InvalidParameter)
        previous = self.last_published.get((command.asset, command.source))
        earliest = previous + 1 if previous is not None else 0
        if not earliest <= command.published_ns <= command.timestamp_ns:
            reasons.add(InvalidParameter)
        return reasons

    def expected_events(self, command: Command) -> tuple[Event, ...] | None:
        """The exact events of an accepted money command (None: only the first event is known)."""
        if isinstance(command, Deposit):
            return (
                CollateralDeposited(
                    owner=command.owner,
                    sub_account=command.sub_account,
                    asset=command.asset,
                    amount_atoms=command.amount_atoms,
                ),
            )
        if isinstance(command, Withdraw):
            return (
                CollateralWithdrawn(
                    owner=command.owner,
                    sub_account=command.sub_account,
                    asset=command.asset,
                    amount_atoms=command.amount_atoms,
                ),
            )
        if isinstance(command, Transfer):
            return (
                CollateralTransferred(
                    owner=command.owner,
                    from_sub_account=command.from_sub_account,
                    to_sub_account=command.to_sub_account,
                    asset=command.asset,
                    amount_atoms=command.amount_atoms,
                ),
            )
        return None

    def _move(self, key: tuple[str, int, str], delta: int) -> None:
        balance = self.balances.get(key, 0) + delta
        if balance:
            self.balances[key] = balance
        else:
            self.balances.pop(key, None)

    def apply(self, command: Command) -> None:
        """Record the effect of an accepted command."""
        if isinstance(command, ConfigureGovernance | OpenVenue):
            return  # governance and the venue's opening hold no balance
        if isinstance(command, RegisterAsset):
            self.caps[command.asset] = command.supply_cap_atoms
            self.totals[command.asset] = self.deposited[command.asset] = self.withdrawn[command.asset] = 0
        elif isinstance(command, ConfigureOracle):
            self.oracle_sources[command.asset] = command.source_names
        elif isinstance(command, SubmitPrice):
            self.last_published[(command.asset, command.source)] = command.published_ns
        elif isinstance(command, Deposit):
            self._move((command.owner, command.sub_account, command.asset), command.amount_atoms)
            self.totals[command.asset] += command.amount_atoms
            self.deposited[command.asset] += command.amount_atoms
        elif isinstance(command, Withdraw):
            self._move((command.owner, command.sub_account, command.asset), -command.amount_atoms)
            self.totals[command.asset] -= command.amount_atoms
            self.withdrawn[command.asset] += command.amount_atoms
        else:
            self._move((command.owner, command.from_sub_account, command.asset), -command.amount_atoms)
            self._move((command.owner, command.to_sub_account, command.asset), command.amount_atoms)


# --- scenario setup -----------------------------------------------------------------------------


def _listing_commands(now_ns: int) -> list[Command]:
    """Return the admin's genesis: governance, the three assets and their oracles, then ``OpenVenue``."""
    commands: list[Command] = [bootstrap(now_ns)]
    for asset, spec in ASSETS.items():
        commands.append(
            RegisterAsset(
                asset=asset,
                decimals=spec.decimals,
                initial_weight_wad=80 * PERCENT_WAD,
                maintenance_weight_wad=90 * PERCENT_WAD,
                supply_cap_atoms=spec.supply_cap_atoms,
                weight_scale_start_value=NO_LIMIT,
                timestamp_ns=now_ns,
            )
        )
        commands.append(
            ConfigureOracle(
                asset=asset,
                source_names=SOURCES,
                source_weights=(1, 1, 1),
                quorum=2,
                max_staleness_ns=120 * SECOND_NS,
                max_deviation_wad=2 * PERCENT_WAD,
                max_confidence_wad=1 * PERCENT_WAD,
                max_jump_wad=15 * PERCENT_WAD,
                guard_release_ns=300 * SECOND_NS,
                delay_interval_seconds=3600,
                delay_growth_limit_wad=6 * PERCENT_WAD,
                stable_growth_limit_wad=3 * WAD_LITERAL // 10_000,
                timestamp_ns=now_ns,
            )
        )
    commands.append(open_venue(now_ns))
    return commands


def _fresh_quotes(now_ns: int, prices: dict[str, int]) -> list[Command]:
    return [
        SubmitPrice(asset, source, price, 0, now_ns, now_ns) for asset, price in prices.items() for source in SOURCES
    ]


def _outcome_pairs(
    outcomes: Sequence[Accepted | Rejected],
) -> list[tuple[tuple[Event, ...] | None, RingfenceError | None]]:
    return [(o.events, None) if isinstance(o, Accepted) else (None, o.error) for o in outcomes]


# --- the state machine --------------------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
    """Random deposits, withdrawals, transfers, prices and time against one engine."""

    def __init__(self) -> None:
        super().__init__()
        self.journal = MemoryJournal()
        self.engine = Engine(self.journal)
        self.model = LedgerModel()
        self.now_ns = START_NS
        self.reference_price: dict[str, int] = {asset: spec.start_price_wad for asset, spec in ASSETS.items()}
        self.expected_entries = 0

    # -- helpers --

    def _amount(self, spec: MoneySpec) -> int:
        held = self.model.held(spec.owner, spec.sub_account, spec.asset)
        room = self.model.room(spec.asset)
        return {
            "raw": spec.raw_amount,
            "held": held,
            "half_held": held // 2,
            "held_plus_one": held + 1,
            "room": room,
            "room_plus_one": room + 1,
        }[spec.amount_choice]

    def _money_command(self, spec: MoneySpec) -> Command:
        amount = self._amount(spec)
        if spec.kind == "deposit":
            return Deposit(spec.owner, spec.sub_account, spec.asset, amount, self.now_ns)
        if spec.kind == "withdraw":
            return Withdraw(spec.owner, spec.sub_account, spec.asset, amount, self.now_ns)
        return Transfer(spec.owner, spec.sub_account, spec.to_sub_account, spec.asset, amount, self.now_ns)

    def _price_command(self, spec: PriceSpec) -> Command:
        reference = self.reference_price.get(spec.asset, WAD_LITERAL)
        price = int(reference * spec.move)
        if 1 <= price <= MAX_ATOMS_LITERAL and spec.asset in self.reference_price:
            self.reference_price[spec.asset] = price
        confidence = max(price, 0) * spec.confidence_permille // 1000
        published = self.now_ns + 1 if spec.age_seconds < 0 else self.now_ns - spec.age_seconds * SECOND_NS
        return SubmitPrice(spec.asset, spec.source, price, confidence, published, self.now_ns)

    def _build(self, spec: MoneySpec | PriceSpec) -> Command:
        return self._money_command(spec) if isinstance(spec, MoneySpec) else self._price_command(spec)

    def _run(self, commands: list[Command], *, batch: bool) -> None:
        """Execute, compare every outcome with the model, and check rejections left no trace."""
        before_state = copy.deepcopy(self.engine.state)
        before_entries = list(self.journal.read())
        results: list[tuple[tuple[Event, ...] | None, RingfenceError | None]]
        if batch:
            results = _outcome_pairs(self.engine.execute_batch(sent_as_named(commands)))
        else:
            (command,) = commands
            try:
                results = [(self.engine.execute(command, sender=named_sender(command)), None)]
            except RingfenceError as error:
                results = [(None, error)]

        accepted_events: list[Event] = []
        for command, (events, error) in zip(commands, results, strict=True):
            reasons = self.model.rejections(command)
            if reasons:
                assert error is not None, f"{command} was accepted; the model expected one of {reasons}"
                assert type(error) in reasons, f"{command} rejected with {error!r}; expected one of {reasons}"
                continue
            assert events is not None, f"{command} was rejected with {error!r}; the model expected it accepted"
            expected = self.model.expected_events(command)
            if expected is not None:
                assert events == expected
            elif isinstance(command, SubmitPrice):
                assert events[0] == PriceSubmitted(
                    asset=command.asset,
                    source=command.source,
                    price_wad=command.price_wad,
                    confidence_wad=command.confidence_wad,
                    published_ns=command.published_ns,
                )
                assert all(isinstance(e, OraclePriceAccepted | OracleGuardTripped | OracleDegraded) for e in events[1:])
            self.model.apply(command)
            accepted_events.extend(events)

        after_entries = list(self.journal.read())
        if not accepted_events:
            # Only rejections: nothing changed, not the state and not one journal entry.
            assert self.engine.state == before_state
            assert after_entries == before_entries
        # The journal is append-only and gained exactly the accepted commands' events, in order.
        assert after_entries[: len(before_entries)] == before_entries
        assert [entry.event() for entry in after_entries[len(before_entries) :]] == accepted_events
        # The rejected commands contributed nothing: the accepted events alone explain the new state.
        assert evolve_all(before_state, accepted_events) == self.engine.state
        self.expected_entries += len(accepted_events)

    # -- setup --

    @initialize()
    def list_assets_configure_oracles_and_publish_fresh_prices(self) -> None:
        commands = _listing_commands(self.now_ns) + _fresh_quotes(self.now_ns, self.reference_price)
        self._run(commands, batch=True)
        assert set(self.engine.state.assets) == set(ASSETS)

    # -- rules --

    @rule(owner=owners, sub_account=sub_accounts, asset=assets, choice=deposit_choices, raw=raw_amounts)
    def deposit(self, owner: str, sub_account: int, asset: str, choice: str, raw: int) -> None:
        spec = MoneySpec("deposit", owner, sub_account, 0, asset, choice, raw)
        self._run([self._money_command(spec)], batch=False)

    @rule(
        owner=st.sampled_from(OWNERS),
        sub_account=st.integers(0, 3),
        asset=st.sampled_from(tuple(ASSETS)),
        choice=deposit_choices,
        raw=st.integers(1, 10**21),
    )
    def deposit_into_a_valid_account(self, owner: str, sub_account: int, asset: str, choice: str, raw: int) -> None:
        spec = MoneySpec("deposit", owner, sub_account, 0, asset, choice, raw)
        self._run([self._money_command(spec)], batch=False)

    @rule(owner=owners, sub_account=sub_accounts, asset=assets, choice=amount_choices, raw=raw_amounts)
    def withdraw(self, owner: str, sub_account: int, asset: str, choice: str, raw: int) -> None:
        spec = MoneySpec("withdraw", owner, sub_account, 0, asset, choice, raw)
        self._run([self._money_command(spec)], batch=False)

    @rule(
        owner=owners,
        from_sub=sub_accounts,
        to_sub=sub_accounts,
        asset=assets,
        choice=amount_choices,
        raw=raw_amounts,
    )
    def transfer(self, owner: str, from_sub: int, to_sub: int, asset: str, choice: str, raw: int) -> None:
        spec = MoneySpec("transfer", owner, from_sub, to_sub, asset, choice, raw)
        self._run([self._money_command(spec)], batch=False)

    def _holding(self, index: int) -> tuple[str, int, str]:
        holdings = sorted(self.model.balances)
        return holdings[index % len(holdings)]

    @precondition(lambda self: self.model.balances)
    @rule(index=st.integers(0, 1_000), choice=amount_choices, raw=raw_amounts)
    def withdraw_from_a_holding(self, index: int, choice: str, raw: int) -> None:
        owner, sub_account, asset = self._holding(index)
        spec = MoneySpec("withdraw", owner, sub_account, 0, asset, choice, raw)
        self._run([self._money_command(spec)], batch=False)

    @precondition(lambda self: self.model.balances)
    @rule(index=st.integers(0, 1_000), to_sub=sub_accounts, choice=amount_choices, raw=raw_amounts)
    def transfer_from_a_holding(self, index: int, to_sub: int, choice: str, raw: int) -> None:
        owner, sub_account, asset = self._holding(index)
        spec = MoneySpec("transfer", owner, sub_account, to_sub, asset, choice, raw)
        self._run([self._money_command(spec)], batch=False)

    @precondition(lambda self: self.model.balances)
    @rule(
        picks=st.lists(
            st.tuples(st.integers(0, 1_000), st.sampled_from(("withdraw", "transfer")), sub_accounts, amount_choices),
            min_size=1,
            max_size=5,
        ),
        raw=raw_amounts,
    )
    def execute_a_batch_of_releases(self, picks: list[tuple[int, str, int, str]], raw: int) -> None:
        # Amounts are chosen against the balances before the batch: later ones may exceed what is left.
        commands = []
        for index, kind, to_sub, choice in picks:
            owner, sub_account, asset = self._holding(index)
            commands.append(self._money_command(MoneySpec(kind, owner, sub_account, to_sub, asset, choice, raw)))
        self._run(commands, batch=True)

    @rule(spec=price_specs)
    def submit_price(self, spec: PriceSpec) -> None:
        self._run([self._price_command(spec)], batch=False)

    @rule(specs=st.lists(st.one_of(money_specs, money_specs, price_specs), min_size=1, max_size=6))
    def execute_a_batch(self, specs: list[MoneySpec | PriceSpec]) -> None:
        self._run([self._build(spec) for spec in specs], batch=True)

    @rule(asset=st.sampled_from(tuple(ASSETS)))
    def refresh_prices(self, asset: str) -> None:
        # All three sources confirm the reference price 1 ns after their last quote at the earliest.
        self.now_ns += SECOND_NS
        self._run(_fresh_quotes(self.now_ns, {asset: self.reference_price[asset]}), batch=True)

    @rule(seconds=st.sampled_from((0, 1, 10, 59, 121, 301, 3_600)))
    def advance_time(self, seconds: int) -> None:
        self.now_ns += seconds * SECOND_NS

    @rule(
        kind=st.sampled_from(
            (
                "withdraw_above_held",
                "transfer_above_held",
                "deposit_above_cap",
                "unknown_asset",
                "zero_amount",
                "negative_amount",
                "amount_above_max",
                "transfer_to_itself",
                "invalid_owner",
                "sub_account_out_of_range",
                "price_from_the_future",
                "unknown_source",
            )
        ),
        owner=st.sampled_from(OWNERS),
        sub_account=st.integers(0, 3),
        asset=st.sampled_from(tuple(ASSETS)),
    )
    def a_rejected_command_changes_nothing(self, kind: str, owner: str, sub_account: int, asset: str) -> None:
        now = self.now_ns
        held = self.model.held(owner, sub_account, asset)
        command: Command = {
            "withdraw_above_held": Withdraw(owner, sub_account, asset, held + 1, now),
            "transfer_above_held": Transfer(owner, sub_account, (sub_account + 1) % 4, asset, held + 1, now),
            "deposit_above_cap": Deposit(owner, sub_account, "WBTC", self.model.room("WBTC") + 1, now),
            "unknown_asset": Deposit(owner, sub_account, UNKNOWN_ASSET, 1, now),
            "zero_amount": Deposit(owner, sub_account, asset, 0, now),
            "negative_amount": Withdraw(owner, sub_account, asset, -1, now),
            "amount_above_max": Deposit(owner, sub_account, asset, MAX_ATOMS_LITERAL + 1, now),
            "transfer_to_itself": Transfer(owner, sub_account, sub_account, asset, 1, now),
            "invalid_owner": Deposit(INVALID_OWNER, sub_account, asset, 1, now),
            "sub_account_out_of_range": Deposit(owner, 256, asset, 1, now),
            "price_from_the_future": SubmitPrice(asset, "a", WAD_LITERAL, 0, now + 1, now),
            "unknown_source": SubmitPrice(asset, UNKNOWN_SOURCE, WAD_LITERAL, 0, now, now),
        }[kind]
        assert self.model.rejections(command), f"{kind} must be a rejection"
        before_state = copy.deepcopy(self.engine.state)
        before_length = len(list(self.journal.read()))
        try:
            self.engine.execute(command, sender=named_sender(command))
        except RingfenceError:
            pass
        else:
            raise AssertionError(f"{command} was accepted")
        assert self.engine.state == before_state
        assert len(list(self.journal.read())) == before_length

    # -- invariants --

    @invariant()
    def conservation_holds_and_no_balance_is_negative(self) -> None:
        state = self.engine.state
        if not state.assets:
            return
        for asset, spec in ASSETS.items():
            held = [account.balances.get(asset, 0) for account in state.accounts.values()]
            assert all(balance >= 0 for balance in held)
            assert sum(held) == state.deposited_atoms[asset] - state.withdrawn_atoms[asset]
            assert sum(held) == state.assets[asset].total_deposits_atoms
            assert sum(held) == self.model.totals[asset]
            assert state.deposited_atoms[asset] == self.model.deposited[asset]
            assert state.withdrawn_atoms[asset] == self.model.withdrawn[asset]
            assert state.assets[asset].total_deposits_atoms <= spec.supply_cap_atoms

    @invariant()
    def balances_equal_the_independent_model(self) -> None:
        engine_balances = {
            (owner, sub_account, asset): balance
            for (owner, sub_account), account in self.engine.state.accounts.items()
            for asset, balance in account.balances.items()
        }
        assert engine_balances == self.model.balances
        assert set(self.engine.state.assets) <= set(ASSETS)

    @invariant()
    def replay_equals_live(self) -> None:
        assert replay(self.journal.read()) == self.engine.state

    @invariant()
    def journal_verifies_every_entry(self) -> None:
        assert self.journal.verify() == self.expected_entries
        assert len(list(self.journal.read())) == self.expected_entries

    def teardown(self) -> None:
        # A new engine on the same journal rebuilds the same state.
        assert Engine(self.journal).state == self.engine.state


LedgerMachine.TestCase.settings = settings(stateful_step_count=50)
TestLedgerInvariantsHoldOverRandomCommandSequences = LedgerMachine.TestCase


# --- plain properties ---------------------------------------------------------------------------


def _listed_engine() -> Engine:
    engine = Engine(MemoryJournal())
    prices = {asset: spec.start_price_wad for asset, spec in ASSETS.items()}
    outcomes = engine.execute_batch(sent_as_named(_listing_commands(START_NS) + _fresh_quotes(START_NS, prices)))
    assert all(isinstance(outcome, Accepted) for outcome in outcomes)
    return engine


def _raw_command(spec: MoneySpec) -> Command:
    if spec.kind == "deposit":
        return Deposit(spec.owner, spec.sub_account, spec.asset, spec.raw_amount, START_NS)
    if spec.kind == "withdraw":
        return Withdraw(spec.owner, spec.sub_account, spec.asset, spec.raw_amount, START_NS)
    return Transfer(spec.owner, spec.sub_account, spec.to_sub_account, spec.asset, spec.raw_amount, START_NS)


small_money_specs = st.builds(
    MoneySpec,
    kind=st.sampled_from(("deposit", "deposit", "withdraw", "transfer")),
    owner=st.sampled_from(OWNERS[:2]),
    sub_account=st.integers(0, 2),
    to_sub_account=st.integers(0, 2),
    asset=assets,
    amount_choice=st.just("raw"),
    raw_amount=st.one_of(st.integers(-2, 2_000), st.just(21 * 10**8), st.just(MAX_ATOMS_LITERAL + 1)),
)


@given(specs=st.lists(small_money_specs, min_size=1, max_size=12))
def test_a_batch_has_the_same_outcomes_and_state_as_its_commands_one_by_one(specs: list[MoneySpec]) -> None:
    commands = [_raw_command(spec) for spec in specs]
    batched, single = _listed_engine(), _listed_engine()

    batch_outcomes = batched.execute_batch(sent_as_named(commands))
    single_accepted = []
    for command in commands:
        try:
            single.execute(command, sender=named_sender(command))
        except RingfenceError:
            single_accepted.append(False)
        else:
            single_accepted.append(True)

    assert [isinstance(outcome, Accepted) for outcome in batch_outcomes] == single_accepted
    assert batched.state == single.state
    assert [e.event() for e in batched.journal.read()] == [e.event() for e in single.journal.read()]


@given(specs=st.lists(small_money_specs, min_size=1, max_size=12))
def test_a_fully_rejected_batch_changes_nothing(specs: list[MoneySpec]) -> None:
    engine = _listed_engine()
    # Make every command invalid: an unknown asset is refused whatever else the command says.
    commands = [_raw_command(MoneySpec(**{**spec.__dict__, "asset": UNKNOWN_ASSET})) for spec in specs]
    before_state = copy.deepcopy(engine.state)
    before_entries = list(engine.journal.read())

    outcomes = engine.execute_batch(sent_as_named(commands))

    assert all(isinstance(outcome, Rejected) for outcome in outcomes)
    assert engine.state == before_state
    assert list(engine.journal.read()) == before_entries
