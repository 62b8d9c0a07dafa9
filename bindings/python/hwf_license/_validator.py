"""The :class:`Validator`: trusted roots and environment in, verdicts and verified documents out.

Every rule lives in the Rust core; this module converts Python values (bytes/str, datetime) and
turns native errors into :class:`LicenseError` subclasses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Union

from ._errors import _NATIVE_ERRORS, _call, _translate
from ._native import hwf_license_uniffi as _n
from ._types import (
    _ENV,
    Cml,
    Environment,
    HeartbeatInfo,
    KeyText,
    LedgerSummary,
    Manifest,
    NodeFacts,
    TimeLike,
    TrustedRoot,
    Verdict,
    _dt,
    _key_text,
    _unix,
)

__all__ = ["Validator", "key_thumbprint", "LicenseBytes", "Document"]

LicenseBytes = Union[bytes, bytearray, memoryview, str]
"""The content of a ``site.lic`` file: its bytes, or its text (encoded as UTF-8)."""
Document = Union[str, bytes]
"""A compact JWS (``header.payload.signature``), as text or ASCII bytes."""

_NO_FACTS = _n.NodeFacts.none()


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


def _facts(facts: NodeFacts | None) -> _n.NodeFacts:
    if facts is None:
        return _NO_FACTS
    if isinstance(facts, NodeFacts):
        return facts._native
    raise TypeError(f"facts must be NodeFacts or None, not {type(facts).__name__}")


def key_thumbprint(key: KeyText) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url) of a P-256 public key given as SPKI PEM,
    JWK JSON text or a JWK mapping: the key id an org key is announced with.

    Raises :class:`FormatError` ``bad_key`` when the key is not a P-256 public key.
    """
    return _call(_n.key_thumbprint, _key_text(key))


class Validator:
    """Validates ``site.lic`` files offline against trusted root keys, and verifies what an org
    key signs: revocation lists, heartbeat answers, usage manifests and ledgers.

    >>> v = Validator([TrustedRoot("root-prod-1", "prod", pem)])     # doctest: +SKIP
    >>> verdict = v.validate(open("site.lic", "rb").read(), NodeFacts(["10.1.2.3"]))  # doctest: +SKIP
    >>> verdict.has_feature("analytics")                              # doctest: +SKIP

    The validator remembers what it verified (a repeated validation skips the signature checks,
    never the rules), the revocation lists applied and the newest trusted time, the floor under
    which the clock may not go (see :attr:`clock_floor`). It is safe to share between threads.

    Every method raises a :class:`LicenseError` subclass on failure.
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        roots: Iterable[TrustedRoot],
        environment: Environment | str = Environment.PROD,
        *,
        accept_other_environment: bool = False,
        last_seen: datetime | int | None = None,
    ) -> None:
        """A validator for ``environment`` trusting ``roots``.

        ``accept_other_environment`` is the explicit opt-in to CMLs of the other environment;
        ``last_seen`` is the host's persisted last-seen time (e.g. a previous :attr:`clock_floor`).
        A root key that is not a P-256 PEM or JWK raises :class:`FormatError` ``bad_key``.
        """
        native_roots = [r._native() for r in roots]
        env = Environment(environment)._native()
        seen = None if last_seen is None else _unix(last_seen)
        self._native: _n.Validator = _call(
            _n.Validator, env, native_roots, bool(accept_other_environment), seen
        )

    def validate(
        self,
        license: LicenseBytes,
        facts: NodeFacts | None = None,
        now: TimeLike = None,
    ) -> Verdict:
        """Validates a ``site.lic`` (its bytes, or its text) for a node with ``facts`` at ``now``
        (an aware datetime or unix seconds; ``None``: the system clock).

        Returns the :class:`Verdict` of a usable license (valid, or in grace); raises a
        :class:`LicenseError` subclass otherwise.
        """
        lic = license if type(license) is bytes else _license(license)
        f = _NO_FACTS if facts is None else _facts(facts)
        t = _unix(now)
        try:
            v = self._native.validate(lic, f, t)
        except _NATIVE_ERRORS as e:
            raise _translate(e) from None
        return Verdict._from_native(v)

    def apply_revocation_list(
        self, license: LicenseBytes, revocation_list: Document, now: TimeLike = None
    ) -> int:
        """Verifies a revocation list against the CML of ``license`` and applies it to every
        later validation; returns its sequence number. An older list than the one applied
        raises :class:`NodeError` ``revocation_list_stale``.
        """
        return _call(
            self._native.apply_revocation_list,
            _license(license),
            _doc(revocation_list),
            _unix(now),
        )

    def verify_heartbeat(
        self, license: LicenseBytes, answer: Document, nonce: str, now: TimeLike = None
    ) -> HeartbeatInfo:
        """Verifies a heartbeat answer for ``license`` carrying the ``nonce`` this node sent, and
        applies the revocation list it carries.
        """
        info = _call(
            self._native.verify_heartbeat, _license(license), _doc(answer), nonce, _unix(now)
        )
        return HeartbeatInfo._from_native(info)

    def verify_cml(self, cml: Document) -> Cml:
        """Verifies a Customer Master License against the trusted roots and the environment."""
        return Cml._from_native(_call(self._native.verify_cml, _doc(cml)))

    def verify_manifest(self, cml: Document, manifest: Document) -> Manifest:
        """Verifies a monthly usage manifest signed by the org key of ``cml`` (verified first):
        signature, org, CML binding, period and totals.
        """
        return Manifest._from_native(_call(self._native.verify_manifest, _doc(cml), _doc(manifest)))

    def verify_ledger(self, cml: Document, entries: Iterable[Document]) -> LedgerSummary:
        """Verifies a whole usage ledger (entries oldest first) of the org of ``cml``: signatures,
        sequence, hash chain and time order. A bad entry raises :class:`UsageError`
        ``ledger_broken`` with its ``index``.
        """
        s = _call(self._native.verify_ledger, _doc(cml), [_doc(e) for e in entries])
        return LedgerSummary(s.length, s.head)

    def set_last_seen(self, last_seen: datetime | int) -> None:
        """Sets the host's persisted last-seen time: the clock may not go under it."""
        _call(self._native.set_last_seen, _unix(last_seen))

    @property
    def clock_floor(self) -> datetime:
        """The time the clock may not go under: the latest of the last-seen time and every signed
        issue time accepted so far. Persist it and pass it back as ``last_seen``.
        """
        return _dt(_call(self._native.clock_floor))

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
