"""The :class:`Validator`: trusted roots and environment in, verdicts and verified documents out.

Every rule lives in the Rust core; this module converts Python values (bytes/str, datetime) and
turns native errors into :class:`LicenseError` subclasses.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from datetime import datetime
from typing import Callable, Iterable, NoReturn, Union

from ._errors import _NATIVE_ERRORS, _call, _translate
from ._native import hwf_license_uniffi as _n
from ._types import (
    _ENV,
    Cml,
    CmlStanding,
    PeriodBounds,
    Environment,
    HeartbeatInfo,
    KeyText,
    LedgerSummary,
    Manifest,
    NodeFacts,
    Receipt,
    TimeLike,
    TrustedRoot,
    Verdict,
    _dt,
    _key_text,
    _unix,
    _unix_required,
)

__all__ = [
    "Validator",
    "key_thumbprint",
    "period_of",
    "LicenseBytes",
    "Document",
    "StateBytes",
    "Clock",
    "StatePath",
]

LicenseBytes = Union[bytes, bytearray, memoryview, str]
"""The content of a ``site.lic`` file: its bytes, or its text (encoded as UTF-8)."""
Document = Union[str, bytes]
"""A compact JWS (``header.payload.signature``), as text or ASCII bytes."""

StateBytes = Union[bytes, bytearray, memoryview]
"""Trust state bytes, as :meth:`Validator.export_state` returns them."""
Clock = Callable[[], Union[int, float, datetime]]
"""A time source: called without arguments, returns unix seconds (``int`` or ``float``, floored)
or an aware :class:`~datetime.datetime`. ``time.time`` is one."""
StatePath = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]
"""A trust state file's path."""

_NO_FACTS = _n.NodeFacts.none()
_KEPT_LICENSES = 64
"""How many licenses a validator keeps the converted Verdict of (the oldest goes first); the
native side keeps as many verdicts (``KEPT_VERDICTS``)."""
_I64 = range(-(2**63), 2**63)


def _state(state: StateBytes) -> bytes:
    if isinstance(state, bytes):
        return state
    if isinstance(state, (bytearray, memoryview)):
        return bytes(state)
    raise TypeError(f"trust state must be bytes, not {type(state).__name__}")


def _path(path: StatePath) -> str:
    p = os.fspath(path)
    return os.fsdecode(p) if isinstance(p, bytes) else p


def _deprecated_now(method: str, replacement: str) -> None:
    warnings.warn(
        f"Validator.{method}(..., now) is deprecated: {method} reads the validator's clock; "
        f"use {replacement}(..., now) to ask what the answer would be at a given time",
        DeprecationWarning,
        stacklevel=3,
    )


class _ClockAdapter:
    """The native ``Clock`` callback over a Python clock. An exception of the clock (or a value
    of the wrong type) is kept for the calling thread and -1 is given to core instead, which
    fails the call; the wrapper then raises the clock's own exception (see ``_failed``)."""

    __slots__ = ("_read", "_errors")

    def __init__(self, read: Callable[[], object]) -> None:
        self._read = read
        self._errors = threading.local()

    def now(self) -> int:
        try:
            t = self._read()
            if isinstance(t, int) and not isinstance(t, bool):
                return t if t in _I64 else -1
            if isinstance(t, float):
                return math.floor(t) if math.isfinite(t) and -(2.0**63) <= t < 2.0**63 else -1
            if isinstance(t, datetime):
                s = _unix(t)
                return s if s in _I64 else -1
            raise TypeError(
                f"the clock must return unix seconds (int or float) or an aware datetime, "
                f"not {type(t).__name__}"
            )
        except BaseException as e:  # noqa: BLE001 - raised again by the wrapper
            self._errors.pending = e
            return -1

    def take(self) -> BaseException | None:
        e: BaseException | None = getattr(self._errors, "pending", None)
        self._errors.pending = None
        return e


def _clock_adapter(clock: Clock | None) -> _ClockAdapter | None:
    if clock is None:
        return None
    read = clock if callable(clock) else getattr(clock, "now", None)
    if not callable(read):
        raise TypeError(f"clock must be a callable returning unix seconds, not {type(clock).__name__}")
    return _ClockAdapter(read)


def _license(license: LicenseBytes) -> bytes:
    if isinstance(license, bytes):
        return license
    if isinstance(license, str):
        return license.encode("utf-8")
    if isinstance(license, (bytearray, memoryview)):
        return bytes(license)
    raise TypeError(f"license must be bytes or str, not {type(license).__name__}")


def _doc(doc: Document) -> str:
    if isinstance(doc, str):
        return doc
    if isinstance(doc, (bytes, bytearray)):
        # A JWS is ASCII; anything else is replaced and then rejected by core with its own code.
        return bytes(doc).decode("utf-8", errors="replace")
    raise TypeError(f"expected a compact JWS as str or bytes, not {type(doc).__name__}")


def _entries(entries: Iterable[Document]) -> Iterable[Document]:
    if isinstance(entries, (str, bytes, bytearray)):
        # One document is not a ledger: iterating it would give its characters.
        raise TypeError("ledger entries must be an iterable of compact JWS, not one document")
    return entries


def _facts(facts: NodeFacts | None) -> _n.NodeFacts:
    if facts is None:
        return _NO_FACTS
    if isinstance(facts, NodeFacts):
        return facts._native
    raise TypeError(f"facts must be NodeFacts or None, not {type(facts).__name__}")


_SETTINGS: dict[tuple[object, ...], _n.ValidatorSettings] = {}
_KEPT_SETTINGS = 16


def _settings(
    roots: tuple[TrustedRoot, ...],
    native_roots: list[_n.TrustedRootKey],
    env: Environment,
    accept_other: bool,
    seed: bytes | None,
) -> _n.ValidatorSettings:
    """Core's parsed settings for these arguments: parsed once per distinct arguments (the
    root keys are immutable values; a JWK given as a mapping is parsed every time), like a
    peer library that imports its root key once. Every validator built from them is new."""
    key = (tuple((r.kid, Environment(r.environment), r.key) for r in roots), env, accept_other,
           seed)
    try:
        settings = _SETTINGS.get(key)
    except TypeError:  # a JWK mapping (unhashable, may change): not kept
        return _call(_n.ValidatorSettings, env._native(), native_roots, accept_other, seed)
    if settings is None:
        settings = _call(_n.ValidatorSettings, env._native(), native_roots, accept_other, seed)
        if len(_SETTINGS) >= _KEPT_SETTINGS:
            try:
                del _SETTINGS[next(iter(_SETTINGS))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                pass
        _SETTINGS[key] = settings
    return settings


def key_thumbprint(key: KeyText) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url) of a P-256 public key given as SPKI PEM,
    JWK JSON text or a JWK mapping: the key id an org key is announced with.

    Raises :class:`FormatError` ``bad_key`` when the key is not a P-256 public key.
    """
    return _call(_n.key_thumbprint, _key_text(key))


def period_of(t: datetime | int) -> str:
    """The month (``"YYYY-MM"``, UTC) that contains ``t`` (an aware datetime or unix seconds):
    the ``period`` a usage manifest for that time reports. Core's rule.
    """
    return _call(_n.period_of, _unix_required(t))


class Validator:
    """Validates ``site.lic`` files offline against trusted root keys, and verifies what an org
    key signs: revocation lists, heartbeat answers, usage manifests and ledgers.

    >>> v = Validator([TrustedRoot("root-prod-1", "prod", pem)])     # doctest: +SKIP
    >>> v.load_state("trust.state")                                   # doctest: +SKIP
    >>> verdict = v.validate(open("site.lic", "rb").read(), NodeFacts(["10.1.2.3"]))  # doctest: +SKIP
    >>> if v.state_changed(): v.save_state("trust.state")             # doctest: +SKIP

    The validator holds one *trust state*: the clock floor (the time its clock may not go under,
    raised by every successful :meth:`validate`), the revocation lists applied and the newest
    heartbeat answers. Carry it across restarts with :meth:`save_state`/:meth:`load_state` (or
    :meth:`export_state`/:meth:`import_state`): a clock set back is then refused
    (``clock_rollback``) and a revoked license stays revoked. It also caches what it verified (a
    repeated validation skips the signature checks, never the rules).

    Safe to share between threads; validations run concurrently (the GIL is released while the
    Rust core works). Every method raises a :class:`LicenseError` subclass on failure.
    """

    __slots__ = ("_native", "_clock", "_kept")

    def __init__(
        self,
        roots: Iterable[TrustedRoot],
        environment: Environment | str = Environment.PROD,
        *,
        accept_other_environment: bool = False,
        clock: Clock | None = None,
        nonce_seed: StateBytes | None = None,
        last_seen: datetime | int | None = None,
    ) -> None:
        """A validator for ``environment`` trusting ``roots``.

        - ``accept_other_environment``: the explicit opt-in to CMLs of the other environment
          (change it later with :meth:`accept_other_environment`);
        - ``clock``: what :meth:`validate`, :meth:`apply_revocation_list` and
          :meth:`verify_heartbeat` read the time from, a callable returning unix seconds or an
          aware datetime (default: the system clock, read in Rust). An exception it raises is
          raised by the call that read it;
        - ``nonce_seed``: 32 bytes of secret the heartbeat nonces are derived from (default:
          fresh OS randomness; a fixed seed makes nonces predictable, for tests only); another
          length raises :class:`FormatError` ``invalid_argument``;
        - ``last_seen``: a persisted last-seen time (e.g. an earlier :attr:`clock_floor`); prefer
          :meth:`load_state`, which keeps the revocation lists too.

        A root key that is not a P-256 PEM or JWK raises :class:`FormatError` ``bad_key``; two
        roots with the same kid ``invalid_argument``.
        """
        roots = tuple(roots)
        native_roots = [r._native() for r in roots]
        env = Environment(environment)
        seen = None if last_seen is None else _unix(last_seen)
        seed = None if nonce_seed is None else _state(nonce_seed)
        adapter = _clock_adapter(clock)
        self._clock: _ClockAdapter | None = adapter
        # license bytes -> (verdict id, Verdict): the conversion of the last verdict core gave for
        # them, reused only when core's next validation of them answers with the same id.
        self._kept: dict[bytes, tuple[int, Verdict]] = {}
        settings = _settings(roots, native_roots, env, bool(accept_other_environment), seed)
        if adapter is None:
            self._native: _n.Validator = _call(_n.Validator.from_settings, settings)
        else:
            self._native = _call(_n.Validator.from_settings_with_clock, settings, adapter)
        if seen is not None:
            _call(self._native.set_last_seen, seen)

    def _failed(self, e: Exception) -> NoReturn:
        """Raises a native error as this package's exception, or the clock's own exception when
        the clock failed during the call."""
        clock_error = self._clock.take() if self._clock is not None else None
        if clock_error is not None:
            raise clock_error from None
        raise _translate(e) from None

    # --- validation ------------------------------------------------------------------------

    def validate(
        self,
        license: LicenseBytes,
        facts: NodeFacts | None = None,
        now: TimeLike = None,
    ) -> Verdict:
        """Validates a ``site.lic`` (its bytes, or its text) for a node with ``facts`` at the
        validator's clock. On success the clock floor rises to that time.

        Returns the :class:`Verdict` of a usable license (valid, or in grace); raises a
        :class:`LicenseError` subclass otherwise.

        ``now`` is deprecated: ``validate(license, facts, now)`` is :meth:`validate_at` (a
        what-if that writes no state) and warns with :class:`DeprecationWarning`.
        """
        if now is not None:
            _deprecated_now("validate", "validate_at")
            return self.validate_at(license, facts, now)
        lic = license if type(license) is bytes else _license(license)
        f = _NO_FACTS if facts is None else _facts(facts)
        kept = self._kept.get(lic)
        known = 0 if kept is None else kept[0]
        try:
            got = self._native.validate_kept(lic, f, known)
        except _NATIVE_ERRORS as e:
            self._failed(e)
        if kept is not None and got == known:
            return kept[1]
        return self._converted(lic, got, self._native.validate, lic, f)

    def validate_at(
        self, license: LicenseBytes, facts: NodeFacts | None, now: datetime | int
    ) -> Verdict:
        """What-if: validates as if the time were ``now`` (an aware datetime or unix seconds).
        Every rule is checked, the trust state included (a ``now`` under the clock floor is
        ``clock_rollback``), but nothing is written: the floor does not move.
        """
        lic = license if type(license) is bytes else _license(license)
        f = _NO_FACTS if facts is None else _facts(facts)
        t = _unix_required(now)
        kept = self._kept.get(lic)
        known = 0 if kept is None else kept[0]
        try:
            got = self._native.validate_at_kept(lic, f, t, known)
        except _NATIVE_ERRORS as e:
            raise _translate(e) from None
        if kept is not None and got == known:
            return kept[1]
        return self._converted(lic, got, self._native.validate_at, lic, f, t)

    def _converted(
        self, lic: bytes, got: int, again: Callable[..., _n.Verdict], *args: object
    ) -> Verdict:
        """The Verdict of a validation core answered with the new verdict id ``got``: a view over
        the verdict core keeps (members fetched when first read), kept for ``lic`` until core
        answers with another id. (Core validated this call in full either way: docs/PYTHON.md,
        "Why a cached validation is fast".)"""
        try:
            verdict = Verdict._from_kept(self._native.kept_verdict_object(got))
        except _NATIVE_ERRORS:
            # More than KEPT_VERDICTS distinct verdicts from other threads since this call:
            # validate once more the plain way (a full validation again, never a guess), and
            # keep nothing.
            try:
                return Verdict._from_native(again(*args))
            except _NATIVE_ERRORS as e:
                self._failed(e)
        kept = self._kept
        if len(kept) >= _KEPT_LICENSES:
            try:
                del kept[next(iter(kept))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                pass
        kept[lic] = (got, verdict)
        return verdict

    # --- revocation lists and heartbeats ---------------------------------------------------

    def apply_revocation_list(
        self, license: LicenseBytes, revocation_list: Document, now: TimeLike = None
    ) -> int:
        """Verifies a revocation list against the CML of ``license`` (not issued after the
        validator's clock) and applies it to every later validation; returns its sequence
        number. An older list than the one applied raises :class:`NodeError`
        ``revocation_list_stale``. (``now`` is deprecated: use
        :meth:`apply_revocation_list_at`.)
        """
        if now is not None:
            _deprecated_now("apply_revocation_list", "apply_revocation_list_at")
            return self.apply_revocation_list_at(license, revocation_list, now)
        try:
            return self._native.apply_revocation_list(_license(license), _doc(revocation_list))
        except _NATIVE_ERRORS as e:
            self._failed(e)

    def apply_revocation_list_at(
        self, license: LicenseBytes, revocation_list: Document, now: datetime | int
    ) -> int:
        """:meth:`apply_revocation_list` with ``now`` for the "not issued in the future" check.
        The list is applied.
        """
        return _call(
            self._native.apply_revocation_list_at,
            _license(license),
            _doc(revocation_list),
            _unix_required(now),
        )

    def new_nonce(self) -> str:
        """A fresh nonce to send with a heartbeat request. The answer to it, given to
        :meth:`verify_heartbeat`, may also lower the clock floor to the Hub's time (a clock that
        was once too far ahead recovers); each nonce is accepted once.
        """
        return _call(self._native.new_nonce)

    def verify_heartbeat(
        self, license: LicenseBytes, answer: Document, nonce: str, now: TimeLike = None
    ) -> HeartbeatInfo:
        """Verifies a heartbeat answer for ``license`` carrying the ``nonce`` this node sent,
        applies the revocation list it carries and records the Hub's time. A nonce already
        answered raises :class:`NodeError` ``nonce_mismatch``. (``now`` is deprecated: use
        :meth:`verify_heartbeat_at`.)
        """
        if now is not None:
            _deprecated_now("verify_heartbeat", "verify_heartbeat_at")
            return self.verify_heartbeat_at(license, answer, nonce, now)
        try:
            info = self._native.verify_heartbeat(_license(license), _doc(answer), nonce)
        except _NATIVE_ERRORS as e:
            self._failed(e)
        return HeartbeatInfo._from_native(info)

    def verify_heartbeat_at(
        self, license: LicenseBytes, answer: Document, nonce: str, now: datetime | int
    ) -> HeartbeatInfo:
        """:meth:`verify_heartbeat` with ``now`` for the "not issued in the future" check of the
        embedded revocation list. The answer is applied.
        """
        info = _call(
            self._native.verify_heartbeat_at,
            _license(license),
            _doc(answer),
            nonce,
            _unix_required(now),
        )
        return HeartbeatInfo._from_native(info)

    # --- documents -------------------------------------------------------------------------

    def verify_cml(self, cml: Document) -> Cml:
        """Verifies a Customer Master License against the trusted roots and the environment."""
        return Cml._from_native(_call(self._native.verify_cml, _doc(cml)))

    def cml_standing(self, cml: Document, now: datetime | int) -> CmlStanding:
        """The standing of a CML (verified first) at ``now``: valid, expiring (30 days or fewer
        left), in grace or expired, with the days left."""
        s = _call(self._native.cml_standing, _doc(cml), _unix_required(now))
        return CmlStanding._from_native(s)

    def manifest_period(self, cml: Document, period: str, now: datetime | int) -> PeriodBounds:
        """Checks that a usage manifest may cover ``period`` (``"YYYY-MM"``) under ``cml``
        (verified first) at ``now``: the month has started, did not end before the CML was issued
        and does not start after its grace ended. Returns the month's bounds; raises
        :class:`UsageError` ``manifest_invalid`` otherwise.
        """
        b = _call(self._native.manifest_period, _doc(cml), period, _unix_required(now))
        return PeriodBounds(_dt(b.start), _dt(b.end))

    def verify_manifest(
        self, cml: Document, manifest: Document, ledger: Iterable[Document] | None = None
    ) -> Manifest:
        """Verifies a monthly usage manifest signed by the org key of ``cml`` (verified first):
        signature, org, CML binding, period and totals.

        With ``ledger`` (the org's ledger entries, oldest first) the ledger is verified too (as
        :meth:`verify_ledger`) and the manifest's ``ledger_head``/``ledger_length`` must be that
        ledger's: :class:`UsageError` ``manifest_invalid`` otherwise, ``ledger_broken`` for a bad
        entry.
        """
        if ledger is None:
            m = _call(self._native.verify_manifest, _doc(cml), _doc(manifest))
        else:
            entries = [_doc(e) for e in _entries(ledger)]
            m = _call(self._native.verify_manifest_with_ledger, _doc(cml), _doc(manifest), entries)
        return Manifest._from_native(m)

    def verify_receipt(
        self,
        certificate: Document,
        receipt: Document,
        org_id: str,
        manifest_id: str,
        now: datetime | int,
    ) -> Receipt:
        """Verifies a Root's manifest receipt (``hwf-receipt+jws``) and its receipt key
        certificate (``hwf-receipt-key+jws``) at ``now`` with this validator's roots and
        environment policy: the certificate signed by a trusted root and valid at ``now``, the
        receipt signed by the certified key and dated within the certificate, for ``org_id``
        and the manifest whose document id is ``manifest_id``. Raises core's errors (e.g.
        :class:`TrustError` ``signer_mismatch``, ``org_mismatch``, ``binding_mismatch``;
        :class:`TimeError` ``expired``).
        """
        r = _call(
            self._native.verify_receipt,
            _doc(certificate),
            _doc(receipt),
            org_id,
            manifest_id,
            _unix_required(now),
        )
        return Receipt._from_native(r)

    def verify_ledger(self, cml: Document, entries: Iterable[Document]) -> LedgerSummary:
        """Verifies a whole usage ledger (entries oldest first) of the org of ``cml``: signatures,
        sequence, hash chain and time order. A bad entry raises :class:`UsageError`
        ``ledger_broken`` with its ``index``.
        """
        s = _call(self._native.verify_ledger, _doc(cml), [_doc(e) for e in _entries(entries)])
        return LedgerSummary(s.length, s.head)

    # --- trust state -----------------------------------------------------------------------

    def export_state(self) -> bytes:
        """The trust state as bytes (a versioned, checksummed format, docs/FORMAT.md §7); clears
        :meth:`state_changed`."""
        return _call(self._native.export_state)

    def import_state(self, state: StateBytes) -> None:
        """Merges exported trust state bytes in: the floor only rises, a revocation list only
        replaces an older one, every signed document in them is verified again under this
        validator's roots. Corrupt, truncated or foreign bytes raise :class:`FormatError`
        ``bad_state`` (oversized ones ``too_large``) and change nothing.
        """
        _call(self._native.import_state, _state(state))

    def state_changed(self) -> bool:
        """Whether the trust state changed since the last :meth:`export_state` or
        :meth:`save_state` (or since the validator was built): save only when it did."""
        return _call(self._native.state_changed)

    def save_state(self, path: StatePath) -> None:
        """Writes the trust state to the file ``path`` atomically (a temporary file beside it,
        fsync, rename; mode 0600 on Unix); clears :meth:`state_changed`. An OS failure raises
        :class:`OSError`.
        """
        p = _path(path)
        try:
            self._native.save_state(p)
        except _NATIVE_ERRORS as e:
            raise _translate(e, p) from None

    def load_state(self, path: StatePath) -> bool:
        """Loads and merges (as :meth:`import_state`) the trust state of the file ``path``;
        returns ``False`` when there is no such file (a first start). Bad contents raise
        :class:`FormatError` ``bad_state`` and change nothing; an OS failure raises
        :class:`OSError`.
        """
        p = _path(path)
        try:
            return self._native.load_state(p)
        except _NATIVE_ERRORS as e:
            raise _translate(e, p) from None

    def set_last_seen(self, last_seen: datetime | int) -> None:
        """Raises the clock floor to a persisted last-seen time (never lowers it)."""
        _call(self._native.set_last_seen, _unix_required(last_seen))

    @property
    def clock_floor(self) -> datetime:
        """The time the clock may not go under (by more than the tolerated skew): the latest
        validation time at the clock, signed time accepted and last-seen time, lowered only by a
        heartbeat answer to a :meth:`new_nonce`.
        """
        return _dt(_call(self._native.clock_floor))

    # --- policy ----------------------------------------------------------------------------

    def accept_other_environment(self, accept: bool) -> None:
        """Accepts CMLs of the other environment too (``True``), or stops (``False``): takes
        effect on the next call, chains already cached included."""
        _call(self._native.accept_other_environment, bool(accept))

    @property
    def environment(self) -> Environment:
        """The validator's own environment."""
        return _ENV[_call(self._native.environment)]

    @property
    def accepts_other_environment(self) -> bool:
        """Whether CMLs of the other environment are accepted too."""
        return _call(self._native.accepts_other_environment)

    def __repr__(self) -> str:
        other = ", accept_other_environment=True" if self.accepts_other_environment else ""
        return f"Validator(environment={self.environment.value!r}{other})"
