"""The value types: inputs (:class:`TrustedRoot`, :class:`NodeFacts`) and verified results
(:class:`Verdict`, :class:`Cml`, :class:`Manifest`, ...). Times are timezone-aware UTC
:class:`~datetime.datetime` values; core's unix seconds are converted here and nowhere else.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping, Union

from ._errors import _call
from ._native import hwf_license_uniffi as _n

__all__ = [
    "Environment",
    "Status",
    "TrustedRoot",
    "NodeFacts",
    "VerdictWarning",
    "Fingerprint",
    "Verdict",
    "HeartbeatInfo",
    "Cml",
    "ProductTierCount",
    "ManifestStats",
    "ManifestSite",
    "Manifest",
    "LedgerSummary",
    "Standing",
    "CmlStanding",
    "PeriodBounds",
    "KeyText",
    "TimeLike",
]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)

KeyText = Union[str, bytes, Mapping[str, object]]
"""A P-256 public key: SPKI PEM text, JWK JSON text, or a JWK as a mapping (e.g. ``json.loads``
of a JWK, or what WebCrypto exports). Every form is read by core's one key rule."""
TimeLike = Union[datetime, int, None]
"""A point in time: an aware :class:`~datetime.datetime`, unix seconds, or ``None`` for now."""


def _dt(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def _unix(t: TimeLike) -> int:
    """Unix seconds of ``t`` (floored); ``None`` is the system clock."""
    if t is None:
        return int(time.time())
    if isinstance(t, datetime):
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError("a naive datetime is ambiguous: give it a tzinfo (e.g. timezone.utc)")
        return (t - EPOCH) // _SECOND
    if isinstance(t, int) and not isinstance(t, bool):
        return t
    raise TypeError(f"expected a datetime, unix seconds (int) or None, not {type(t).__name__}")


def _unix_required(t: datetime | int) -> int:
    """Unix seconds of a given time (``None`` is refused: the caller asked for an explicit one)."""
    if t is None:
        raise TypeError("expected a datetime or unix seconds (int), not None")
    return _unix(t)


def _key_text(key: KeyText) -> str:
    """The key as text for core's ``PublicKey::from_pem_or_jwk``, the only place a key is parsed:
    nothing here looks inside it. A JWK mapping is serialised to JSON text as it is (every
    member, ``d`` included, so that core accepts or refuses it exactly as it would the text)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bytes):
        # Not UTF-8: replaced, then refused by core with bad_key like any other bad text.
        return key.decode("utf-8", errors="replace")
    if isinstance(key, Mapping):
        try:
            return json.dumps(dict(key), separators=(",", ":"))
        except (TypeError, ValueError) as e:
            raise TypeError(f"a JWK mapping must hold JSON values: {e}") from None
    raise TypeError(f"expected PEM or JWK text, or a JWK mapping, not {type(key).__name__}")


class Environment(str, enum.Enum):
    """The environment of a key, a document or a validator."""

    DEV = "dev"
    """Development and testing."""
    PROD = "prod"
    """Production."""

    def _native(self) -> _n.Environment:
        return _n.Environment.PROD if self is Environment.PROD else _n.Environment.DEV


_ENV = {_n.Environment.PROD: Environment.PROD, _n.Environment.DEV: Environment.DEV}


class Status(str, enum.Enum):
    """Whether a usable license is within its validity or on its grace period."""

    VALID = "valid"
    """Within its validity."""
    GRACE = "grace"
    """Past its effective expiry but within the grace period: usable, with a warning."""


_STATUS = {_n.Status.VALID: Status.VALID, _n.Status.GRACE: Status.GRACE}


@dataclass(frozen=True)
class TrustedRoot:
    """A root public key to trust: its key id, the environment it signs for, and the key."""

    kid: str
    """The ``kid`` CMLs signed by this key announce."""
    environment: Environment | str
    """``Environment.PROD``/``"prod"`` or ``Environment.DEV``/``"dev"``."""
    key: KeyText
    """SPKI PEM text, JWK JSON text, or a JWK mapping (``kty``, ``crv``, ``x``, ``y``; the
    WebCrypto/JOSE extras ``alg`` ``"ES256"``, ``use`` ``"sig"``, ``key_ops``, ``ext`` and ``kid``
    are accepted, ``d`` and any other member refused with ``bad_key``), read by core's key rule."""

    def _native(self) -> _n.TrustedRootKey:
        return _n.TrustedRootKey(
            kid=self.kid,
            environment=Environment(self.environment)._native(),
            key=_key_text(self.key),
        )


class NodeFacts:
    """What the node observes about itself: IP addresses, DNS name, deployment tag.

    Checked against the license's fingerprint (a field the license does not bind is not checked).
    Addresses are parsed once, here: an unparsable one raises :class:`FormatError`
    ``invalid_argument``. Build it once and reuse it for every validation.
    """

    __slots__ = ("_addresses", "_dns_name", "_deployment_tag", "_native")

    def __init__(
        self,
        addresses: Iterable[str | ipaddress.IPv4Address | ipaddress.IPv6Address] = (),
        dns_name: str | None = None,
        deployment_tag: str | None = None,
    ) -> None:
        addrs = tuple(str(a) for a in addresses)
        self._addresses = addrs
        self._dns_name = dns_name
        self._deployment_tag = deployment_tag
        self._native: _n.NodeFacts = _call(_n.NodeFacts, list(addrs), dns_name, deployment_tag)

    @property
    def addresses(self) -> tuple[str, ...]:
        """The node's IP addresses, as given."""
        return self._addresses

    @property
    def dns_name(self) -> str | None:
        """The node's DNS name, if known."""
        return self._dns_name

    @property
    def deployment_tag(self) -> str | None:
        """The node's deployment tag, if any."""
        return self._deployment_tag

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NodeFacts):
            return NotImplemented
        return (self._addresses, self._dns_name, self._deployment_tag) == (
            other._addresses,
            other._dns_name,
            other._deployment_tag,
        )

    def __hash__(self) -> int:
        return hash((self._addresses, self._dns_name, self._deployment_tag))

    def __repr__(self) -> str:
        return (
            f"NodeFacts(addresses={list(self._addresses)!r}, dns_name={self._dns_name!r}, "
            f"deployment_tag={self._deployment_tag!r})"
        )


@dataclass(frozen=True)
class VerdictWarning:
    """A warning attached to a usable license, to show the operator."""

    name: str
    """The stable name: ``"in_grace"`` or ``"expires_soon"``."""
    message: str
    """Core's one-line English message."""
    days_left: int | None
    """Whole days left (rounded up): until the end of grace, or until expiry."""


@dataclass(frozen=True)
class Fingerprint:
    """What a site license binds the node to; a field that is ``None`` is not checked."""

    address: str | None
    """IP address or CIDR network (v4 or v6) the node must have an address in."""
    dns_suffix: str | None
    """DNS suffix the node's name must be within."""
    deployment_tag: str | None
    """Deployment tag the node must carry exactly."""


_MAX_ANSWERS = 64
"""How many feature names a verdict keeps core's answer for (more are asked every time)."""


class Verdict:
    """What a usable license allows. Validation failures raise :class:`LicenseError` instead.

    Immutable. Returned by :meth:`Validator.validate`; two verdicts are equal when every field is.
    (A view over the native record: fields are converted when read. A validator hands the same
    Verdict object again while core's verdict for a license is unchanged, member by member.)
    """

    __slots__ = ("_r", "_h", "_status", "_answers")
    _r: _n.Verdict | None
    _h: _n.KeptVerdict | None
    _answers: dict[str, bool]

    def __init__(self) -> None:
        raise TypeError("Verdict objects are returned by Validator.validate")

    @classmethod
    def _from_native(cls, v: _n.Verdict) -> Verdict:
        """A verdict over a native record."""
        self = object.__new__(cls)
        object.__setattr__(self, "_r", v)
        object.__setattr__(self, "_h", None)
        return self

    @classmethod
    def _from_kept(cls, h: _n.KeptVerdict) -> Verdict:
        """A verdict over a verdict core keeps: the record is fetched at the first read of a
        member that needs it (``status``, ``in_grace`` and ``has_feature`` ask core without it)."""
        self = object.__new__(cls)
        object.__setattr__(self, "_r", None)
        object.__setattr__(self, "_h", h)
        return self

    @property
    def _v(self) -> _n.Verdict:
        r = self._r
        if r is None:
            r = self._h.record()  # type: ignore[union-attr]  # _h is set when _r is not
            object.__setattr__(self, "_r", r)
        return r

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Verdict is immutable: cannot set {name!r}")

    @property
    def status(self) -> Status:
        """``Status.VALID`` or ``Status.GRACE``."""
        try:
            return self._status  # type: ignore[no-any-return]
        except AttributeError:
            pass
        r, h = self._r, self._h
        if r is not None or h is None:
            status = _STATUS[self._v.status]
        else:
            status = Status.GRACE if h.in_grace() else Status.VALID
        object.__setattr__(self, "_status", status)
        return status

    @property
    def site_id(self) -> str:
        """The site."""
        return self._v.site_id

    @property
    def org_id(self) -> str:
        """The organisation."""
        return self._v.org_id

    @property
    def license_id(self) -> str:
        """The site license id."""
        return self._v.license_id

    @property
    def cml_license_id(self) -> str:
        """The license id of the Customer Master License."""
        return self._v.cml_license_id

    @property
    def cml_id(self) -> str:
        """The CML's document id (hex SHA-256)."""
        return self._v.cml_id

    @property
    def site_document_id(self) -> str:
        """The site license's document id (hex SHA-256 of its signing input)."""
        return self._v.site_document_id

    @property
    def environment(self) -> Environment:
        """The environment of the chain."""
        return _ENV[self._v.environment]

    @property
    def product(self) -> str:
        """Product (usage statistics)."""
        return self._v.product

    @property
    def tier(self) -> str:
        """Tier (usage statistics)."""
        return self._v.tier

    @property
    def features(self) -> list[str]:
        """Enabled features, in license order (a new list on each read)."""
        return list(self._v.features)

    @property
    def issued_at(self) -> datetime:
        """When the site license was issued."""
        return _dt(self._v.issued_at)

    @property
    def expires_at(self) -> datetime:
        """Effective expiry: the earlier of the site license's and the CML's."""
        return _dt(self._v.expires_at)

    @property
    def site_expires_at(self) -> datetime:
        """The site license's own expiry (``expires_at`` is the earlier of this and the CML's)."""
        return _dt(self._v.site_expires_at)

    @property
    def cml_valid_until(self) -> datetime:
        """The CML's ``valid_until``."""
        return _dt(self._v.cml_valid_until)

    @property
    def max_sites(self) -> int:
        """The CML's ``max_sites``: how many site licenses the org may have active (enforced by
        the Hub; shown to the operator)."""
        return self._v.max_sites

    @property
    def feature_packs(self) -> list[str]:
        """The CML's feature packs (what the org may grant), in CML order (a new list on each
        read)."""
        return list(self._v.feature_packs)

    @property
    def max_offline_days(self) -> int | None:
        """The CML's ``max_offline_days`` (most days without a signed time from the Hub), if it
        sets one."""
        return self._v.max_offline_days

    @property
    def fingerprint(self) -> Fingerprint:
        """What the site license binds the node to."""
        f = self._v.fingerprint
        return Fingerprint(f.address, f.dns_suffix, f.deployment_tag)

    @property
    def grace_end(self) -> datetime:
        """End of the grace period."""
        return _dt(self._v.grace_end)

    @property
    def grace_days_left(self) -> int | None:
        """Whole days of grace left (rounded up) when in grace, else ``None``."""
        return self._v.grace_days_left

    @property
    def warnings(self) -> list[VerdictWarning]:
        """Warnings to show the operator."""
        return [VerdictWarning(w.name, w.message, w.days_left) for w in self._v.warnings]

    @property
    def in_grace(self) -> bool:
        """Whether the license runs on its grace period."""
        return self.status is Status.GRACE

    def has_feature(self, name: str) -> bool:
        """Whether feature ``name`` is enabled: core's rule (``hwf_license::has_feature``), an
        exact, case-sensitive match with one of :attr:`features`, no wildcards.

        Core answers each name once per verdict (about the verdict it keeps, or over the feature
        list lowered through uniffi); the verdict is immutable, so its answer is kept and asking
        again is a dictionary lookup.
        """
        if not isinstance(name, str):
            raise TypeError(f"a feature name is a str, not {type(name).__name__}")
        try:
            return self._answers[name]
        except AttributeError:
            object.__setattr__(self, "_answers", {})
        except KeyError:
            pass
        h = self._h
        enabled: bool = (
            h.has_feature(name) if h is not None else _n.has_feature(self._v.features, name)
        )
        if len(self._answers) < _MAX_ANSWERS:
            self._answers[name] = enabled
        return enabled

    _FIELDS = (
        "status",
        "site_id",
        "org_id",
        "license_id",
        "cml_license_id",
        "cml_id",
        "site_document_id",
        "environment",
        "product",
        "tier",
        "features",
        "issued_at",
        "expires_at",
        "site_expires_at",
        "cml_valid_until",
        "max_sites",
        "feature_packs",
        "max_offline_days",
        "fingerprint",
        "grace_end",
        "grace_days_left",
        "warnings",
    )

    def as_dict(self) -> dict[str, object]:
        """Every field by name (e.g. for logging or JSON with a datetime-aware encoder)."""
        return {f: getattr(self, f) for f in self._FIELDS}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        same: bool = self._v == other._v
        return same

    __hash__ = None  # type: ignore[assignment]  # equal by value, holds lists

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"Verdict({fields})"


@dataclass(frozen=True)
class HeartbeatInfo:
    """The answer of a verified heartbeat, whose revocation list has been applied."""

    status: str
    """The site's status at the Hub (``"active"`` or ``"revoked"``)."""
    server_time: datetime
    """The Hub's clock."""
    revocation_seq: int
    """Sequence number of the revocation list now applied."""
    revoked: bool
    """Whether this site license is revoked by that list."""

    @classmethod
    def _from_native(cls, h: _n.HeartbeatInfo) -> HeartbeatInfo:
        return cls(h.status, _dt(h.server_time), h.revocation_seq, h.revoked)


@dataclass(frozen=True)
class Cml:
    """A verified Customer Master License."""

    id: str
    """The document id (hex SHA-256 of the signing input): what site licenses bind to."""
    license_id: str
    """Unique license id."""
    org_id: str
    """The organisation."""
    max_sites: int
    """How many site licenses the org may have active at once."""
    issued_at: datetime
    """Issuance."""
    valid_until: datetime
    """End of validity (before grace)."""
    feature_packs: list[str]
    """Feature packs the org may grant to its sites."""
    environment: Environment
    """The environment (equals the signing root's)."""
    issued_by: str
    """The ``kid`` of the root key that signed it."""
    org_key_thumbprint: str
    """RFC 7638 thumbprint of the org key: the ``kid`` of every org-signed document."""
    grace_days: int
    """Grace period in days after expiry."""
    max_offline_days: int | None = None
    """Most days a node may go without a signed time from the Hub (CML v2), if set."""

    @classmethod
    def _from_native(cls, c: _n.Cml) -> Cml:
        return cls(
            c.id,
            c.license_id,
            c.org_id,
            c.max_sites,
            _dt(c.issued_at),
            _dt(c.valid_until),
            c.feature_packs,
            _ENV[c.environment],
            c.issued_by,
            c.org_key_thumbprint,
            c.grace_days,
            c.max_offline_days,
        )


class Standing(str, enum.Enum):
    """Where a CML stands at a time."""

    VALID = "valid"
    """Before ``valid_until``, more than 30 days left."""
    EXPIRING = "expiring"
    """Before ``valid_until``, at most 30 days left."""
    GRACE = "grace"
    """Past ``valid_until``, within the grace period: its site licenses still work."""
    EXPIRED = "expired"
    """Past the end of grace."""


_STANDING = {
    _n.Standing.VALID: Standing.VALID,
    _n.Standing.EXPIRING: Standing.EXPIRING,
    _n.Standing.GRACE: Standing.GRACE,
    _n.Standing.EXPIRED: Standing.EXPIRED,
}


@dataclass(frozen=True)
class CmlStanding:
    """A CML's standing at a time (:meth:`Validator.cml_standing`)."""

    standing: Standing
    """Valid, expiring, in grace or expired."""
    days_left: int | None
    """Whole days (rounded up) until ``valid_until`` (valid, expiring) or the end of grace
    (grace); ``None`` when expired."""
    days_ago: int | None
    """Whole days (rounded down) since the end of grace, when expired."""
    usable: bool
    """Whether its site licenses are still usable (all but expired)."""

    @classmethod
    def _from_native(cls, s: _n.CmlStanding) -> CmlStanding:
        return cls(_STANDING[s.standing], s.days_left, s.days_ago, s.usable)


@dataclass(frozen=True)
class PeriodBounds:
    """The month a usage manifest covers: from ``start`` (included) to ``end`` (excluded)."""

    start: datetime
    """The first second of the month (UTC)."""
    end: datetime
    """The first second of the next month."""


@dataclass(frozen=True)
class ProductTierCount:
    """Active sites counted per product and tier."""

    product: str
    """Product."""
    tier: str
    """Tier."""
    count: int
    """Active sites with this product and tier."""


@dataclass(frozen=True)
class ManifestStats:
    """Usage statistics of a manifest."""

    admin_users: int
    """Hub users with the admin role."""
    total_users: int
    """All Hub users."""
    sites_by_product_tier: list[ProductTierCount]
    """Active sites by product and tier."""
    total_active_sites: int
    """Active sites in all."""


@dataclass(frozen=True)
class ManifestSite:
    """One site as reported in a manifest."""

    site_id: str
    """The site."""
    product: str
    """Product."""
    tier: str
    """Tier."""
    issued_at: datetime
    """When its license was issued."""
    last_seen: datetime | None
    """When the node was last seen, if ever."""
    status: str
    """``"active"`` or ``"revoked"``."""


@dataclass(frozen=True)
class Manifest:
    """A verified monthly usage manifest."""

    id: str
    """The document id (hex SHA-256 of the signing input)."""
    org_id: str
    """The organisation."""
    cml: str
    """The CML binding (document id of the CML)."""
    period: str
    """The month reported, ``YYYY-MM``."""
    generated_at: datetime
    """Generation time."""
    stats: ManifestStats
    """Statistics."""
    sites: list[ManifestSite]
    """The sites of the period."""
    ledger_head: str
    """Document id of the newest ledger entry (64 zeros for an empty ledger)."""
    ledger_length: int
    """Number of ledger entries."""

    @classmethod
    def _from_native(cls, m: _n.Manifest) -> Manifest:
        s = m.stats
        return cls(
            m.id,
            m.org_id,
            m.cml,
            m.period,
            _dt(m.generated_at),
            ManifestStats(
                s.admin_users,
                s.total_users,
                [ProductTierCount(p.product, p.tier, p.count) for p in s.sites_by_product_tier],
                s.total_active_sites,
            ),
            [
                ManifestSite(
                    x.site_id,
                    x.product,
                    x.tier,
                    _dt(x.issued_at),
                    None if x.last_seen is None else _dt(x.last_seen),
                    x.status,
                )
                for x in m.sites
            ],
            m.ledger_head,
            m.ledger_length,
        )


@dataclass(frozen=True)
class Receipt:
    """A Root's manifest receipt verified with its receipt key certificate."""

    id: str
    """The receipt's document id."""
    org_id: str
    """The org the receipted manifest is from."""
    manifest: str
    """The receipted manifest's document id."""
    period: str
    """The manifest's period, ``YYYY-MM``."""
    received_at: datetime
    """When the Root first recorded the manifest."""
    certificate_id: str
    """The receipt key certificate's document id."""
    receipt_key_thumbprint: str
    """The RFC 7638 thumbprint of the receipt key (the receipt's ``kid``)."""
    certificate_valid_until: datetime
    """When the receipt key certificate ends."""

    @classmethod
    def _from_native(cls, r: _n.Receipt) -> Receipt:
        return cls(
            r.id,
            r.org_id,
            r.manifest,
            r.period,
            _dt(r.received_at),
            r.certificate_id,
            r.receipt_key_thumbprint,
            _dt(r.certificate_valid_until),
        )


@dataclass(frozen=True)
class LedgerSummary:
    """The result of verifying a whole usage ledger."""

    length: int
    """Number of entries."""
    head: str
    """Document id of the last entry (64 zeros when empty)."""
