"""The exception hierarchy: one :class:`LicenseError` subclass per domain of core's stable codes.

Every failure carries core's stable numeric ``code`` and snake_case ``name`` (compare those, never
the message) and core's one-line English message as ``str(error)``. An operating-system failure
reading or writing a trust state file is not a license failure: it is raised as :class:`OSError`
(with ``errno``, so as ``PermissionError``, ``FileNotFoundError``, ...).
"""

from __future__ import annotations

import os
from typing import Any, Callable, TypeVar

from ._native import hwf_license_uniffi as _n

__all__ = [
    "LicenseError",
    "FormatError",
    "TrustError",
    "TimeError",
    "NodeError",
    "UsageError",
    "BindingError",
]


class LicenseError(Exception):
    """Any failure of this library, with core's stable ``code`` and ``name``.

    ``str(error)`` is core's message, the same text in every language binding.
    """

    code: int
    """The stable numeric code, e.g. ``301``."""
    name: str
    """The stable snake_case name, e.g. ``"expired"``."""
    message: str
    """Core's one-line English message (also ``str(error)``)."""

    def __init__(self, code: int, name: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, name={self.name!r}, message={self.message!r})"


class FormatError(LicenseError):
    """100–199, input shape: size, encoding, JWS structure, payload schema, keys, arguments."""


class TrustError(LicenseError):
    """200–299, chain of trust: signature, environment, parent binding, org, features, signer."""


class TimeError(LicenseError):
    """300–399, time: not yet valid, expired past grace, clock rollback."""


class NodeError(LicenseError):
    """400–499, node binding and revocation: fingerprint, revoked, revocation lists, heartbeats."""


class UsageError(LicenseError):
    """500–599, usage ledger and manifests."""

    index: int | None
    """For ``ledger_broken``: the zero-based index of the first bad ledger entry."""

    def __init__(self, code: int, name: str, message: str, index: int | None = None) -> None:
        super().__init__(code, name, message)
        self.index = index


class BindingError(LicenseError):
    """900–999, the binding itself: a panic caught at the boundary (a bug; please report)."""


# The generated error class (one nested exception class per Rust variant); untyped for checkers.
_Native: Any = _n.LicenseError
_NATIVE: dict[type, type[LicenseError]] = {
    _Native.Format: FormatError,
    _Native.Trust: TrustError,
    _Native.Time: TimeError,
    _Native.Node: NodeError,
    _Native.Binding: BindingError,
}
_NATIVE_ERRORS: tuple[type[Exception], ...] = (*_NATIVE, _Native.Usage, _Native.Io)

T = TypeVar("T")


def _translate(e: Any, filename: str | None = None) -> Exception:
    """The exception to raise for a native error: a :class:`LicenseError` subclass, or an
    :class:`OSError` for the code-less I/O variant (``filename`` names the state file)."""
    if isinstance(e, _Native.Usage):
        return UsageError(e.code, e.name, e.message, e.index)
    if isinstance(e, _Native.Io):
        if e.errno is not None:
            return OSError(e.errno, os.strerror(e.errno), filename)
        return OSError(f"{e.message}: {filename!r}" if filename else e.message)
    return _NATIVE[type(e)](e.code, e.name, e.message)


def _call(f: Callable[..., T], *args: object) -> T:
    """Calls a native function, raising native errors as this module's exceptions."""
    try:
        return f(*args)
    except _NATIVE_ERRORS as e:
        raise _translate(e) from None


