"""The operator's own C2PA manifest on each result (`C2PA_SIGN_CERT`, `C2PA_SIGN_KEY`):
action `c2pa.created` by a trained algorithm, the model, provider and seed, and the
provider's file (with its manifest, when it had one) as the parent ingredient.

Signing is CPU work in a native library: it runs in a worker thread, never on the event
loop. Thumbnails are left out of the manifest: they cost most of the time and say
nothing the image does not.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from PIL import Image

from bot.provenance import has_credentials
from bot.workers import in_image_thread

log = logging.getLogger(__name__)

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GENERATION = "org.fluxcord.generation"  # the assertion naming model, provider and seed
MIMES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}
_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}}


def _probe() -> bytes:
    """A tiny PNG to try the operator's keys on."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    return out.getvalue()


def _version() -> str:
    try:
        return metadata.version("fluxcord")
    except metadata.PackageNotFoundError:
        return "unknown"


class SigningError(Exception):
    """The operator's certificate or key cannot sign; the text names the setting."""


@dataclass(frozen=True, slots=True)
class Generation:
    """What the manifest says made the image."""

    model: str
    model_label: str
    provider: str
    seed: int


class ResultSigner:
    """Signs results with the operator's certificate chain and key (PEM bytes)."""

    def __init__(self, chain: bytes, key: bytes) -> None:
        self._chain = chain
        self._key = key

    def sign(self, data: bytes, fmt: str, made: Generation) -> bytes:
        """`data` with the bot's manifest added (blocking: call it in a thread). Raises
        SigningError for a format C2PA cannot sign or a key it refuses."""
        mime = MIMES.get(fmt.lower())
        if mime is None:
            raise SigningError(f"cannot sign a {fmt} file")
        manifest = {
            "claim_generator_info": [{"name": "fluxcord", "version": _version()}],
            "assertions": [
                {"label": "c2pa.actions", "data": {"actions": [{
                    "action": "c2pa.created", "digitalSourceType": TRAINED,
                    "softwareAgent": {"name": made.model_label}}]}},
                {"label": GENERATION, "data": {"model": made.model,
                                               "provider": made.provider,
                                               "seed": made.seed}},
            ],
        }
        import c2pa  # the native library costs ~8 MB of memory; only signing bots load it

        try:
            context = c2pa.Context(c2pa.Settings.from_dict(_SETTINGS))
            signer = c2pa.Signer.from_info(
                c2pa.C2paSignerInfo(b"es256", self._chain, self._key, None))
            builder = c2pa.Builder(json.dumps(manifest), context=context)
            if has_credentials(data):  # the provider's manifest, kept as the parent
                builder.add_ingredient(
                    json.dumps({"title": f"{made.provider} image", "relationship": "parentOf"}),
                    mime, io.BytesIO(data))
            out = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(data), out)
        except c2pa.C2paError as exc:
            raise SigningError(f"C2PA signing failed: {exc}") from None
        return out.getvalue()

    async def sign_async(self, data: bytes, fmt: str, made: Generation) -> bytes:
        """`sign`, in a worker thread."""
        return await in_image_thread(self.sign, data, fmt, made)


def load_signer(cert: Path | None, key: Path | None) -> ResultSigner | None:
    """The signer of C2PA_SIGN_CERT and C2PA_SIGN_KEY (None when neither is set), tried
    once on a tiny image. Raises SigningError naming what is wrong."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise SigningError("set both C2PA_SIGN_CERT and C2PA_SIGN_KEY, or neither")
    try:
        signer = ResultSigner(cert.read_bytes(), key.read_bytes())
    except OSError as exc:
        raise SigningError(f"C2PA_SIGN_CERT/C2PA_SIGN_KEY: cannot read "
                           f"{exc.filename}: {exc.strerror}") from None
    try:
        signer.sign(_probe(), "png", Generation("probe", "probe", "probe", 0))
    except SigningError as exc:
        raise SigningError(f"C2PA_SIGN_CERT/C2PA_SIGN_KEY cannot sign (an ES256 key and "
                           f"its certificate chain, PEM, are needed): {exc}") from None
    return signer


async def sign_or_keep(signer: ResultSigner | None, data: bytes, fmt: str,
                       made: Generation) -> bytes:
    """The file with the operator's manifest when signing is on; as it came when it is
    off, or when signing this file failed (logged: the image is posted unsigned)."""
    if signer is None:
        return data
    try:
        return await signer.sign_async(data, fmt, made)
    except SigningError as exc:
        log.warning("result of %s not signed: %s", made.provider, exc)
        return data
