"""C2PA content credentials for tests: a certificate chain made at test time with
`cryptography` (a test root and a signer it issued, as C2PA's certificate profile asks),
and images signed with it by c2pa-python, as BFL signs its images."""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import dataclass

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


@dataclass(frozen=True)
class TestCredentials:
    """A signer's certificate chain (its own, then the root's) and key, both PEM."""

    chain: bytes
    key: bytes
    organization: str


def _name(common: str, organization: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])


def make_credentials(organization: str = "Test Image Lab") -> TestCredentials:
    """A new test root and a signing certificate it issued (valid for a month)."""
    now = datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Test Root", organization)
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (x509.CertificateBuilder().subject_name(_name("Test Signer", organization))
              .issuer_name(root_name).public_key(key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(days=1))
              .not_valid_after(now + datetime.timedelta(days=30))
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                           False, False), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                             critical=False)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                             critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                  root_key.public_key()), critical=False)
              .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return TestCredentials(
        chain=signer.public_bytes(pem) + root.public_bytes(pem),
        key=key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
        organization=organization)


def sign(image: bytes, mime: str, credentials: TestCredentials,
         generator: str = "test-provider") -> bytes:
    """`image` with a C2PA manifest: created by a trained algorithm, signed."""
    manifest = {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [
            {"action": "c2pa.created", "digitalSourceType": TRAINED}]}}],
    }
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(b"es256", credentials.chain, credentials.key, None))
    out = io.BytesIO()
    c2pa.Builder(json.dumps(manifest)).sign(signer, mime, io.BytesIO(image), out)
    return out.getvalue()


def read(image: bytes, mime: str) -> tuple[dict[str, object] | None, str | None]:
    """The active manifest of a file and its validation state, as c2pa.Reader sees them."""
    reader = c2pa.Reader.try_create(mime, io.BytesIO(image))
    if reader is None:
        return None, None
    return reader.get_active_manifest(), reader.get_validation_state()
