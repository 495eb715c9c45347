"""A member's export fits the upload limit: as it is, compressed, or the compressed file
split into parts that join back into the whole document."""

from __future__ import annotations

import gzip
import json
import random

from bot.privacy import build_export, fit_export


def _document(rows: int) -> bytes:
    noise = random.Random(5)
    jobs = [{"id": f"{n:032x}", "guild_id": 7, "prompt": "".join(
        noise.choice("abcdefghij ") for _ in range(200)), "created_at": 1_700_000_000.0}
        for n in range(rows)]
    return build_export(42, {"jobs": jobs, "balances": []}, {7: 12}, 1_700_000_000.0)


def test_a_small_export_is_one_plain_json_file_with_its_header() -> None:
    data = _document(2)
    files, how = fit_export(data, 1 << 20, "fluxcord-data-42")
    assert how == "plain" and [f.filename for f in files] == ["fluxcord-data-42.json"]
    document = json.loads(files[0].data)
    assert document["member_id"] == "42" and "jobs" in document["about"]
    assert document["jobs"][0]["created_at"] == "2023-11-14T22:13:20Z"
    assert document["credits_now"] == [{"guild_id": "7", "credits": 12}]


def test_a_large_export_is_compressed_then_split_and_joins_back() -> None:
    data = _document(400)
    files, how = fit_export(data, len(data) - 1, "x")
    assert how == "compressed" and files[0].filename == "x.json.gz"
    assert gzip.decompress(files[0].data) == data

    limit = len(gzip.compress(data, mtime=0)) // 3
    files, how = fit_export(data, limit, "x")
    assert how == "split" and len(files) >= 3
    assert [f.filename for f in files][:2] == ["x.json.gz.001", "x.json.gz.002"]
    assert all(len(f.data) <= limit for f in files)
    assert gzip.decompress(b"".join(f.data for f in files)) == data
