"""The one error tree of ringfence.

Every error the package raises on purpose derives from :class:`RingfenceError`. Each
carries structured fields and a message that says what was wrong and what would be
accepted instead. Adapters map the tree: the CLI to exit codes, HTTP to problem+json.

::

    RingfenceError
    ├── InvalidCommand              the input itself is malformed: fix it and resend
    │   ├── InvalidAmount           an amount, price or ratio that is not exact, finite, in range
    │   ├── InvalidParameter        any other field outside its accepted domain
    │   │   └── ToxicLiquidationPolicy  a liquidation penalty that would lower the health it should restore
    │   ├── UnknownEntity           an asset, account, oracle source ... that does not exist
    │   ├── IdentityError           (service.identity) an identity file missing, too readable or malformed
    │   └── ProofFileError          (solvency.errors) a commitment, proof or secret file missing or malformed
    ├── CommandRejected             well-formed, but a rule of the venue refuses it now
    │   ├── DuplicateEntity         registering something that already exists
    │   ├── InsufficientBalance     taking more than an account holds
    │   ├── SupplyCapExceeded       a deposit past the asset's supply cap
    │   ├── InsufficientMargin      the account would end below its initial margin
    │   ├── OracleUnavailable       no trustworthy price (stale, quorum lost, guarded)
    │   ├── VolSurfaceUnavailable   no volatility smile for a series' expiry, or one too old for new risk
    │   ├── SeriesNotTradable       a series past its expiry or settled (or not yet expired, to settle it)
    │   ├── Unauthorized            the sender lacks the role, feeder seat or ownership the command needs
    │   │   └── ActingAsAnother     the command names another principal as its owner, keeper or actor
    │   ├── NotAuthenticated        (service.authentication) a sender the adapter could not authenticate
    │   ├── VenueNotOpen            an account command during the genesis (before OpenVenue)
    │   ├── GenesisClosed           a listing, oracle or market change sent directly once the venue is open
    │   ├── ProposalNotExecutable   a proposal before its eta, past its expiry, closed or stale
    │   ├── PoolNavNotPositive      redeeming LP shares of a pool whose NAV is at or below zero
    │   ├── ReserveExceeded         a trade or LP withdrawal leaving the pool's exposure past its reserve
    │   ├── CreditLineOutstanding   closing a credit line whose borrower cannot repay all it owes
    │   ├── CreditLineCapBelowDrawn lowering a credit line's cap below the principal drawn on it
    │   ├── CreditLineAlreadyClosed acting on a credit line that was closed
    │   ├── NotPortfolioMargined    a portfolio command on a sub-account that is not (or is) portfolio-margined
    │   └── PortfolioAuctionRefused a portfolio auction's state refuses the start, bid or end asked for
    ├── JournalError                the durable journal refused or failed
    │   ├── StreamConflict          a (stream, version) pair already written
    │   ├── JournalCorrupted        a broken hash chain, gap or unreadable entry
    │   │   └── JournalTruncated    entries the journal's signed head records are missing
    │   ├── JournalUnreadable       not a ringfence journal: a directory, not SQLite, a bad page
    │   ├── JournalKeyError         the journal's key is missing, unreadable or not the one it was signed with
    │   └── JournalNotAdopted       a journal written before keyed chains, not yet adopted
    ├── SolvencyCheckFailed         (solvency.errors) a proof of liabilities did not check out (exit 5)
    │   ├── ProofRejected           an inclusion, range or coverage proof does not verify
    │   ├── LiabilitiesNotCovered   a pool's assets are below its committed (opened) liabilities
    │   └── CoverageNotProven       no valid proof that a pool's assets cover its hidden liabilities
    └── InvariantViolation          a checked invariant failed: a bug, never user error

A rejected command (any :class:`InvalidCommand` or :class:`CommandRejected`) changes
no state: ``decide`` raises before any event exists.
"""

from __future__ import annotations

__all__ = [
    "ActingAsAnother",
    "CommandRejected",
    "CreditLineAlreadyClosed",
    "CreditLineCapBelowDrawn",
    "CreditLineOutstanding",
    "DuplicateEntity",
    "GenesisClosed",
    "InsufficientBalance",
    "InsufficientMargin",
    "InvalidAmount",
    "InvalidCommand",
    "InvalidParameter",
    "InvariantViolation",
    "JournalCorrupted",
    "JournalError",
    "JournalKeyError",
    "JournalNotAdopted",
    "JournalTruncated",
    "JournalUnreadable",
    "NotPortfolioMargined",
    "OracleUnavailable",
    "PoolNavNotPositive",
    "PortfolioAuctionRefused",
    "ProposalNotExecutable",
    "ReserveExceeded",
    "RingfenceError",
    "SeriesNotTradable",
    "StreamConflict",
    "SupplyCapExceeded",
    "ToxicLiquidationPolicy",
    "Unauthorized",
    "UnknownEntity",
    "VenueNotOpen",
    "VolSurfaceUnavailable",
]


class RingfenceError(Exception):
    """Base of every error ringfence raises on purpose."""

    code: str = "ringfence_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCommand(RingfenceError):
    """The input is malformed; resending it unchanged can never succeed."""

    code = "invalid_command"


class InvalidAmount(InvalidCommand):
    """An amount, price or ratio is not exact, finite, non-negative and in range."""

    code = "invalid_amount"

    def __init__(self, field: str, value: object, expected: str) -> None:
        super().__init__(f"{field}={value!r} is not accepted: expected {expected}")
        self.field = field
        self.value = value
        self.expected = expected


class InvalidParameter(InvalidCommand):
    """A field other than an amount lies outside its accepted domain."""

    code = "invalid_parameter"

    def __init__(self, field: str, value: object, expected: str) -> None:
        super().__init__(f"{field}={value!r} is not accepted: expected {expected}")
        self.field = field
        self.value = value
        self.expected = expected


class ToxicLiquidationPolicy(InvalidParameter):
    """A liquidation policy whose penalty would lower the health of the accounts it liquidates (SPEC §2.6)."""

    code = "toxic_liquidation_policy"


class UnknownEntity(InvalidCommand):
    """The command names something that does not exist."""

    code = "unknown_entity"

    def __init__(self, kind: str, identifier: object, known: tuple[str, ...] = ()) -> None:
        hint = f"; known: {', '.join(known)}" if known else ""
        super().__init__(f"unknown {kind} {identifier!r}{hint}")
        self.kind = kind
        self.identifier = identifier
        self.known = known


class CommandRejected(RingfenceError):
    """The command is well-formed but a rule of the venue refuses it in this state."""

    code = "command_rejected"


class DuplicateEntity(CommandRejected):
    """Registering something that already exists."""

    code = "duplicate_entity"

    def __init__(self, kind: str, identifier: object) -> None:
        super().__init__(f"{kind} {identifier!r} already exists; choose another identifier")
        self.kind = kind
        self.identifier = identifier


class InsufficientBalance(CommandRejected):
    """Taking more of an asset than an account holds."""

    code = "insufficient_balance"

    def __init__(self, account: str, asset: str, requested_atoms: int, available_atoms: int) -> None:
        super().__init__(
            f"{account} holds {available_atoms} atoms of {asset}, cannot take {requested_atoms}; "
            f"at most {available_atoms} would be accepted"
        )
        self.account = account
        self.asset = asset
        self.requested_atoms = requested_atoms
        self.available_atoms = available_atoms


class SupplyCapExceeded(CommandRejected):
    """A deposit would push an asset's total deposits past its supply cap."""

    code = "supply_cap_exceeded"

    def __init__(self, asset: str, cap_atoms: int, supplied_atoms: int, requested_atoms: int) -> None:
        room = max(cap_atoms - supplied_atoms, 0)
        super().__init__(
            f"{asset} supply is {supplied_atoms} of a {cap_atoms}-atom cap; a deposit of "
            f"{requested_atoms} atoms exceeds it, at most {room} would be accepted"
        )
        self.asset = asset
        self.cap_atoms = cap_atoms
        self.supplied_atoms = supplied_atoms
        self.requested_atoms = requested_atoms
        self.room_atoms = room


class NotPortfolioMargined(CommandRejected):
    """A command needs a portfolio-margined sub-account (or one that is not) and got the other."""

    code = "not_portfolio_margined"

    def __init__(self, account: str, action: str, remedy: str) -> None:
        super().__init__(f"{account} cannot {action}: {remedy}")
        self.account = account
        self.action = action
        self.remedy = remedy


class PortfolioAuctionRefused(CommandRejected):
    """A portfolio auction's state refuses the command: none live, one already live, healthy, spent, above a limit."""

    code = "portfolio_auction_refused"

    def __init__(self, account: str, reason: str) -> None:
        super().__init__(f"portfolio auction of {account}: {reason}")
        self.account = account
        self.reason = reason


class InsufficientMargin(CommandRejected):
    """The account would end with equity below its requirement."""

    code = "insufficient_margin"

    def __init__(
        self, account: str, equity_value: int, requirement_value: int, kind: str = "initial", unit: str = "value atoms"
    ) -> None:
        super().__init__(
            f"{account} would have {kind}-margin equity {equity_value} below its requirement "
            f"{requirement_value} ({unit}); reduce the amount or add collateral"
        )
        self.account = account
        self.equity_value = equity_value
        self.requirement_value = requirement_value
        self.kind = kind
        self.unit = unit


class OracleUnavailable(CommandRejected):
    """No trustworthy price for an asset: the oracle is stale, below quorum or guarded."""

    code = "oracle_unavailable"

    def __init__(self, asset: str, status: str, reason: str) -> None:
        super().__init__(f"oracle for {asset} is {status}: {reason}; only risk-reducing commands are accepted")
        self.asset = asset
        self.status = status
        self.reason = reason


class VolSurfaceUnavailable(CommandRejected):
    """A series' expiry has no published volatility smile, or one older than its limit (new risk refused)."""

    code = "vol_surface_unavailable"

    def __init__(self, pool: str, underlying: str, expiry_ns: int, reason: str) -> None:
        super().__init__(
            f"pool {pool} has no usable {underlying} smile for expiry {expiry_ns}: {reason}; "
            "its oracle must publish one (PublishVolSurface); only risk-reducing commands are accepted"
        )
        self.pool = pool
        self.underlying = underlying
        self.expiry_ns = expiry_ns
        self.reason = reason


class SeriesNotTradable(CommandRejected):
    """A series refuses the command in its phase: expired or settled (trades), or not yet expired (settlement)."""

    code = "series_not_tradable"

    def __init__(self, pool: str, series: str, reason: str) -> None:
        super().__init__(f"series {series} of pool {pool} {reason}")
        self.pool = pool
        self.series = series
        self.reason = reason


class Unauthorized(CommandRejected):
    """The sender lacks the authority the command needs: a governance role, a feeder's seat, an account."""

    code = "unauthorized"

    def __init__(
        self, actor: str, roles: tuple[str, ...], action: str, remedy: str = "an admin may grant it with GrantRole"
    ) -> None:
        needed = " or ".join(roles)
        super().__init__(f"{actor!r} does not hold the {needed} role needed to {action}; {remedy}")
        self.actor = actor
        self.roles = roles
        self.action = action


class ActingAsAnother(Unauthorized):
    """The command names a principal other than its sender as the one acting (owner, keeper, actor, source)."""

    code = "acting_as_another"

    def __init__(self, sender: str, field: str, named: str, action: str) -> None:
        CommandRejected.__init__(
            self,
            f"{sender!r} sent a command whose {field} is {named!r}: a principal acts only as itself "
            f"(to {action}, {named!r} must send it)",
        )
        self.actor = sender
        self.roles = (f"{field} {named}",)
        self.action = action
        self.field = field
        self.named = named


class VenueNotOpen(CommandRejected):
    """An account command arrived during the genesis, before the admin opened the venue."""

    code = "venue_not_open"

    def __init__(self, action: str) -> None:
        super().__init__(f"the venue is not open yet: cannot {action} before its admin sends OpenVenue")
        self.action = action


class GenesisClosed(CommandRejected):
    """A venue-shaping command was sent directly after opening; it now needs a timelocked proposal."""

    code = "genesis_closed"

    def __init__(self, action: str, timelock_ns: int) -> None:
        super().__init__(
            f"the venue is open: to {action}, a proposer sends ProposeVenueChange and an executor executes it "
            f"after the {timelock_ns} ns timelock"
        )
        self.action = action
        self.timelock_ns = timelock_ns


class ProposalNotExecutable(CommandRejected):
    """A governance proposal cannot be executed now: timelock running, expired, closed or stale."""

    code = "proposal_not_executable"

    def __init__(self, proposal_id: int, reason: str) -> None:
        super().__init__(f"proposal {proposal_id} cannot be executed: {reason}")
        self.proposal_id = proposal_id
        self.reason = reason


class PoolNavNotPositive(CommandRejected):
    """LP shares of a pool whose NAV is at or below zero are worth nothing: burning them for 0 is refused."""

    code = "pool_nav_not_positive"

    def __init__(self, pool: str, nav_atoms: int, shares: int) -> None:
        super().__init__(
            f"pool {pool}'s NAV is {nav_atoms} quote atoms (at or below 0): its {shares} LP shares would be burnt "
            "for nothing; the redemption is refused until the NAV is positive again"
        )
        self.pool = pool
        self.nav_atoms = nav_atoms
        self.shares = shares


class ReserveExceeded(CommandRejected):
    """The pool's exposure (perpetuals' net skew notional and its series' worst-case payout) would pass its reserve.

    The reserve is ``reserve_factor`` × the LP vault's cash (plus its credit lines' room, for
    perpetuals only): a trade adding exposure, or an LP withdrawal, that would leave more is refused
    (``check_reserve`` in ``core/pool/decide.py``; docs/options.md). Closing and liquidation never are.
    """

    code = "reserve_exceeded"

    def __init__(self, pool: str, exposure_atoms: int, allowed_atoms: int, detail: str = "") -> None:
        super().__init__(
            f"pool {pool} would carry {exposure_atoms} quote atoms of net exposure{detail} against a reserve of "
            f"{allowed_atoms}; reduce the size or wait for more liquidity"
        )
        self.pool = pool
        self.exposure_atoms = exposure_atoms
        self.allowed_atoms = allowed_atoms


class CreditLineOutstanding(CommandRejected):
    """Closing a credit line whose borrower pool's vault cash cannot repay all it owes the line."""

    code = "credit_line_outstanding"

    def __init__(self, line: str, borrower_pool: str, claim_atoms: int, cash_atoms: int, drawn_atoms: int) -> None:
        super().__init__(
            f"line {line} cannot close: pool {borrower_pool} owes it {claim_atoms} quote atoms (interest, principal "
            f"and written off) and holds {max(cash_atoms, 0)} in cash; lower its cap to {drawn_atoms} to stop "
            "further draws (LowerCreditLineCap), and close it once RepayCreditLine has repaid it"
        )
        self.line = line
        self.borrower_pool = borrower_pool
        self.claim_atoms = claim_atoms
        self.cash_atoms = cash_atoms
        self.drawn_atoms = drawn_atoms


class CreditLineCapBelowDrawn(CommandRejected):
    """Lowering a credit line's cap below the principal drawn on it and not repaid (written off included)."""

    code = "credit_line_cap_below_drawn"

    def __init__(self, line: str, cap_atoms: int, drawn_atoms: int) -> None:
        super().__init__(
            f"line {line}'s cap cannot fall to {cap_atoms} quote atoms: {drawn_atoms} of it is drawn and not repaid "
            f"(written off included), out of the line; a cap of at least {drawn_atoms} would be accepted"
        )
        self.line = line
        self.cap_atoms = cap_atoms
        self.drawn_atoms = drawn_atoms


class CreditLineAlreadyClosed(CommandRejected):
    """The command acts on a credit line that was closed (its name stays taken)."""

    code = "credit_line_already_closed"

    def __init__(self, line: str, closed_ns: int) -> None:
        super().__init__(f"line {line} was closed at {closed_ns} ns; open a new line under another name")
        self.line = line
        self.closed_ns = closed_ns


class JournalError(RingfenceError):
    """The durable journal refused or failed an operation."""

    code = "journal_error"


class StreamConflict(JournalError):
    """A (stream, version) pair is already written: another writer got there first."""

    code = "stream_conflict"

    def __init__(self, stream: str, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"stream {stream!r} is at version {actual_version}, expected {expected_version}; "
            "reload the state and decide again"
        )
        self.stream = stream
        self.expected_version = expected_version
        self.actual_version = actual_version


class JournalCorrupted(JournalError):
    """The journal fails verification: a broken hash chain, a gap, or an unreadable entry."""

    code = "journal_corrupted"

    def __init__(self, sequence: int, reason: str) -> None:
        super().__init__(f"journal entry {sequence}: {reason}")
        self.sequence = sequence
        self.reason = reason


class JournalTruncated(JournalCorrupted):
    """The journal ends before the entry its signed head records: entries were removed."""

    code = "journal_truncated"

    def __init__(self, last_sequence: int, head_sequence: int) -> None:
        super().__init__(
            last_sequence + 1,
            f"the journal ends at entry {last_sequence} but its signed head records entry {head_sequence}: "
            f"entries {last_sequence + 1}..{head_sequence} were removed",
        )
        self.last_sequence = last_sequence
        self.head_sequence = head_sequence


class JournalUnreadable(JournalError):
    """The path is not a readable ringfence journal (a directory, not SQLite, a corrupt page, a foreign file)."""

    code = "journal_unreadable"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} is not a readable ringfence journal: {reason}")
        self.path = path
        self.reason = reason


class JournalKeyError(JournalError):
    """The journal's key is missing, unreadable, too widely readable, or not the key that signed it."""

    code = "journal_key_error"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"journal key {source}: {reason}")
        self.source = source
        self.reason = reason


class JournalNotAdopted(JournalError):
    """A journal written before keyed chains; an operator must adopt it explicitly before it is trusted."""

    code = "journal_not_adopted"

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} was written before keyed hash chains (journal schema v1): anyone can rebuild its chain, "
            f"so it is not trusted; check it, then re-sign it with `ringfence journal adopt {path}`"
        )
        self.path = path


class InvariantViolation(RingfenceError):
    """A checked invariant failed. This is a bug in ringfence, never a user error."""

    code = "invariant_violation"

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"invariant {invariant!r} violated: {detail}")
        self.invariant = invariant
        self.detail = detail
