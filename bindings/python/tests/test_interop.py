"""Interoperability: the CML and site links of a vector verify with the independent `cryptography`
package as plain ES256 JWS (RFC 7515/7518): base64url-decode, build the P-256 public key from the
JWK, turn r||s into DER, verify over ASCII(header.payload). Nothing of this library is used to
verify, so the format is standard and not tied to this code."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import hwf_license as hl

from conftest import roots_of


def b64url(s: str) -> bytes:
    assert "=" not in s
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def public_key(jwk: dict) -> ec.EllipticCurvePublicKey:
    assert (jwk["kty"], jwk["crv"]) == ("EC", "P-256")
    x, y = (int.from_bytes(b64url(jwk[c]), "big") for c in ("x", "y"))
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def verify_es256(jws: str, jwk: dict) -> tuple[dict, dict]:
    """Verifies a compact ES256 JWS with `cryptography`; returns (header, claims)."""
    h, p, s = jws.split(".")
    header = json.loads(b64url(h))
    assert header["alg"] == "ES256"
    sig = b64url(s)
    assert len(sig) == 64
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public_key(jwk).verify(der, f"{h}.{p}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    return header, json.loads(b64url(p))


def thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 of the required members in lexicographic order, no whitespace."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def chain(vectors, by_name) -> dict:
    v = by_name["valid/all-fingerprint-fields"]
    file = json.loads(v["license"])
    return {"vector": v, "cml": file["cml"], "site": file["site"], "roots": vectors["roots"]}


def test_cml_link_verifies_with_cryptography(chain) -> None:
    header, claims = verify_es256(chain["cml"], chain["roots"]["root-prod-1"]["jwk"])
    assert header == {"alg": "ES256", "typ": "hwf-cml+jws", "kid": "root-prod-1"}
    assert claims["type"] == "cml" and claims["issued_by"] == "root-prod-1"


def test_site_link_verifies_with_cryptography_under_the_cml_org_key(chain) -> None:
    _, cml = verify_es256(chain["cml"], chain["roots"]["root-prod-1"]["jwk"])
    header, site = verify_es256(chain["site"], cml["org_key"])
    assert header["typ"] == "hwf-site+jws"
    # The site's kid is the RFC 7638 thumbprint of the org key, computed here independently.
    assert header["kid"] == thumbprint(cml["org_key"]) == hl.key_thumbprint(cml["org_key"])
    # Its parent binding is the SHA-256 of the CML's signing input, computed here independently.
    signing_input = chain["cml"].rsplit(".", 1)[0].encode("ascii")
    assert site["cml"] == hashlib.sha256(signing_input).hexdigest()


def test_both_libraries_read_the_same_claims(chain, vectors) -> None:
    _, cml = verify_es256(chain["cml"], chain["roots"]["root-prod-1"]["jwk"])
    _, site = verify_es256(chain["site"], cml["org_key"])
    v = chain["vector"]
    verdict = hl.Validator(roots_of(vectors)).validate_at(v["license"], hl.NodeFacts(**v["facts"]), v["now"])
    assert verdict.cml_id == site["cml"]
    assert (verdict.site_id, verdict.license_id, verdict.org_id) == (
        site["site_id"],
        site["license_id"],
        site["org_id"],
    )
    assert verdict.features == site["features"]
    assert int(verdict.expires_at.timestamp()) == min(site["expires_at"], cml["valid_until"])


def test_the_pem_and_jwk_of_a_root_are_the_same_key_for_cryptography(vectors) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    for r in vectors["roots"].values():
        assert load_pem_public_key(r["pem"].encode()).public_numbers() == public_key(r["jwk"]).public_numbers()


def test_cryptography_rejects_a_flipped_signature_bit(chain) -> None:
    """The independent check can fail: one flipped bit and `cryptography` refuses it too."""
    h, p, s = chain["site"].split(".")
    sig = bytearray(b64url(s))
    sig[10] ^= 0x01
    forged = f"{h}.{p}." + base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()
    _, cml = verify_es256(chain["cml"], chain["roots"]["root-prod-1"]["jwk"])
    with pytest.raises(InvalidSignature):
        verify_es256(forged, cml["org_key"])
    with pytest.raises(InvalidSignature):
        verify_es256(chain["cml"], chain["roots"]["root-dev-1"]["jwk"])
