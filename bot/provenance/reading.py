"""Reads the C2PA manifests of an image (`Check provenance`): who signed it, what it
claims (made by a trained algorithm, with which model), and whether the signature holds.

Everything in a manifest comes from whoever made the file: it is reported as text, never
trusted. Reading is native CPU work, for a worker thread.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.provenance.signing import GENERATION

if TYPE_CHECKING:
    import c2pa

log = logging.getLogger(__name__)

_MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8", "image/jpeg"), (b"RIFF", "image/webp"))


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an image's active manifest says, as its reader sees it."""

    signer: str  # the certificate's organisation (or common name)
    ai_generated: bool  # an action says a trained algorithm made it
    model: str | None
    provider: str | None
    state: str  # "Trusted", "Valid" or "Invalid"
    untrusted: bool  # the signature holds, but the certificate is on no trust list
    parent_signer: str | None  # who signed the file this one was made from, if anyone


def mime_of(data: bytes) -> str | None:
    """The image type by its first bytes (PNG, JPEG, WebP), or None."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    return None


def read(data: bytes) -> Manifest | None:
    """The image's active manifest, or None when it has none (or is no image C2PA
    reads). A manifest that cannot be parsed is reported as invalid."""
    mime = mime_of(data)
    if mime is None:
        return None
    import c2pa  # the native library costs ~8 MB of memory; loaded on first use

    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data))
        if reader is None:
            return None
        active = reader.get_active_manifest() or {}
        state = reader.get_validation_state() or "Invalid"
        results = reader.get_validation_results() or {}
    except c2pa.C2paError as exc:
        log.info("unreadable C2PA manifest: %s", exc)
        return Manifest("unknown", False, None, None, "Invalid", False, None)
    failures = {f.get("code") for f in (results.get("activeManifest") or {}).get("failure", [])}
    model, provider, ai = _claims(active)
    parents = [i for i in active.get("ingredients") or [] if i.get("relationship") == "parentOf"]
    parent_signer = None
    if parents and parents[0].get("active_manifest"):
        parent = reader_manifest(reader, parents[0]["active_manifest"])
        parent_signer = _signer(parent) if parent else None
    return Manifest(_signer(active), ai, model, provider, state,
                    "signingCredential.untrusted" in failures, parent_signer)


def reader_manifest(reader: c2pa.Reader, label: str) -> dict[str, Any] | None:
    """The manifest of this label in the file's store, or None."""
    import c2pa

    try:
        return reader.get_manifest(label)
    except c2pa.C2paError:
        return None


def _signer(manifest: dict[str, Any]) -> str:
    info = manifest.get("signature_info") or {}
    return str(info.get("issuer") or info.get("common_name") or "unknown")


def _claims(manifest: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    model = provider = None
    ai = False
    for assertion in manifest.get("assertions") or []:
        label, data = assertion.get("label", ""), assertion.get("data") or {}
        if label.startswith("c2pa.actions"):
            for action in data.get("actions") or []:
                if str(action.get("digitalSourceType", "")).endswith("trainedAlgorithmicMedia"):
                    ai = True
                agent = action.get("softwareAgent")
                if model is None and isinstance(agent, dict) and agent.get("name"):
                    model = str(agent["name"])
        elif label == GENERATION:
            # The model's label from the action reads better than its id.
            model = model or (str(data["model"]) if data.get("model") else None)
            provider = str(data.get("provider") or "") or None
    return model, provider, ai
