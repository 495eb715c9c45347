"""Benchmark of C2PA signing: the bot's own manifest added to a result
(bot/provenance/signing.py), per image, as it runs in the worker thread.

    python -m bench.c2pa_sign [--repeats 20]

Each case signs a noisy 1 MP result `repeats` times with a certificate made at start
(tests/support/c2pa_signing.py) and reports the median and worst milliseconds: a PNG and
a JPEG as 1min.ai returns them (no manifest), and a PNG that BFL signed (its manifest
becomes the parent ingredient, which c2pa reads and validates first). Noise is the worst
case for hashing: the whole file is hashed either way, and its size is the largest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any


def run(repeats: int = 20) -> dict[str, Any]:
    """The figures, per case: median and worst ms, and the file's size."""
    from bot.provenance.signing import Generation, ResultSigner
    from tests.support.c2pa_signing import make_credentials, sign
    from tests.support.standins.images import make_noise_image

    ours = make_credentials("Operator")
    signer = ResultSigner(ours.chain, ours.key)
    made = Generation("flux-pro", "FLUX.1 [pro]", "BFL", 42)
    png = make_noise_image(1024, 1024, "png", seed=1)
    cases = {
        "png, unsigned": (png, "png"),
        "jpeg, unsigned": (make_noise_image(1024, 1024, "jpeg", seed=2), "jpeg"),
        "png, signed by the provider": (
            sign(png, "image/png", make_credentials("Provider")), "png"),
    }
    figures: dict[str, Any] = {}
    for name, (data, fmt) in cases.items():
        signer.sign(data, fmt, made)  # warm-up: the library's first use loads more
        seconds = []
        for _ in range(repeats):
            started = time.perf_counter()
            signer.sign(data, fmt, made)
            seconds.append(time.perf_counter() - started)
        figures[name] = {"median_ms": round(statistics.median(seconds) * 1000, 1),
                         "worst_ms": round(max(seconds) * 1000, 1),
                         "bytes": len(data)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.c2pa_sign",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    sys.stdout.write(json.dumps(run(args.repeats), indent=1) + "\n")


if __name__ == "__main__":
    main()
