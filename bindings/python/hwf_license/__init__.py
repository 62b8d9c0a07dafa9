"""Offline validation of hwf site licenses, for Python.

A root key signs a Customer Master License (CML) for an organisation; the org key inside it signs
one site license per site node; ``site.lic`` holds both. A :class:`Validator` built from the
trusted root public keys verifies the chain and the rules (expiry and grace, fingerprint,
features, dev/prod separation, revocation, clock rollback against the trust state it keeps) and
returns a :class:`Verdict`, or raises a :class:`LicenseError` subclass carrying core's stable
``code`` and ``name``::

    from pathlib import Path
    from hwf_license import Validator, TrustedRoot, NodeFacts

    validator = Validator([TrustedRoot("root-prod-1", "prod", Path("root.pem").read_text())])
    validator.load_state("trust.state")     # what earlier runs learnt (clock floor, revocations)
    verdict = validator.validate(Path("site.lic").read_bytes(), NodeFacts(["10.20.30.40"]))
    if validator.state_changed():
        validator.save_state("trust.state")
    if verdict.has_feature("analytics"):
        ...

The same validator verifies usage manifests and ledgers (:meth:`Validator.verify_manifest`,
:meth:`Validator.verify_ledger`), revocation lists and heartbeat answers. All license rules live in
the Rust core (crate ``hwf-license``); this package only converts types and errors.
"""

from ._errors import (
    BindingError,
    FormatError,
    LicenseError,
    NodeError,
    TimeError,
    TrustError,
    UsageError,
)
from ._native import hwf_license_uniffi as _n
from ._types import (
    Cml,
    CmlStanding,
    Environment,
    Fingerprint,
    HeartbeatInfo,
    KeyText,
    LedgerSummary,
    Manifest,
    ManifestSite,
    ManifestStats,
    NodeFacts,
    PeriodBounds,
    ProductTierCount,
    Receipt,
    Standing,
    Status,
    TimeLike,
    TrustedRoot,
    Verdict,
    VerdictWarning,
)
from ._validator import (
    Clock,
    Document,
    LicenseBytes,
    StateBytes,
    StatePath,
    Validator,
    key_thumbprint,
    period_of,
)

CORE_VERSION: str = _n.core_version()
"""The version of the Rust core (crate ``hwf-license``) this package is built from."""

try:
    from importlib.metadata import version as _version

    __version__: str = _version("hwf-license")
except Exception:  # pragma: no cover - not installed as a distribution
    __version__ = CORE_VERSION

__all__ = [
    "Validator",
    "TrustedRoot",
    "NodeFacts",
    "Environment",
    "Status",
    "Verdict",
    "VerdictWarning",
    "Fingerprint",
    "HeartbeatInfo",
    "Cml",
    "CmlStanding",
    "Standing",
    "PeriodBounds",
    "Manifest",
    "ManifestStats",
    "ManifestSite",
    "ProductTierCount",
    "Receipt",
    "LedgerSummary",
    "key_thumbprint",
    "period_of",
    "LicenseError",
    "FormatError",
    "TrustError",
    "TimeError",
    "NodeError",
    "UsageError",
    "BindingError",
    "LicenseBytes",
    "Document",
    "KeyText",
    "TimeLike",
    "Clock",
    "StateBytes",
    "StatePath",
    "CORE_VERSION",
]
