"""What the provider stand-ins share, and `ProviderStandIns`, which runs them all.

Each stand-in is a real aiohttp server on 127.0.0.1 (port 0) that follows its seed
page strictly: a request the page does not allow is refused the way the real API would
refuse it AND written to `violations`, which the test fixtures assert is empty at
teardown. Every request is recorded (the key header's value replaced by `<valid>` or
`<invalid>`). Faults are queued with `inject(kind, times=1, **params)` and hit the next
matching requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web

from tests.support.standins.images import make_image, sized_noise_image

if TYPE_CHECKING:
    from tests.support.standins.apiframe import ApiframeStandIn
    from tests.support.standins.bfl import BflStandIn
    from tests.support.standins.onemin import OneMinStandIn
    from tests.support.standins.segmind import SegmindStandIn

# Keys the tests configure; distinctive, so a test can search logs and errors for them.
TEST_KEYS = {
    "onemin": "omk_live_5e1b0c9a7d2f4e6b8a3c",
    "apiframe": "afk_test_9c8b7a6f5e4d3c2b1a0f",
    "segmind": "SG_3b4c5d6e7f8a9b0c1d2e",
}
BFL_TEST_KEY = "bfl_4f9e2a7c1d8b6e3f5a0c"
SEED_MAX = 4294967295


@dataclass(frozen=True, slots=True)
class Spec:
    """One documented field: its JSON type, range, choices and multiple."""

    kind: str  # "string", "int", "number", "bool", "enum", "object" or "list"
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    multiple: int | None = None
    required: bool = False

    def problems(self, value: Any, where: str) -> list[str]:
        ok_type = {
            "string": isinstance(value, str),
            "enum": isinstance(value, str),
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "object": isinstance(value, dict),
            "list": isinstance(value, list),
        }[self.kind]
        if not ok_type:
            return [f"{where}: expected {self.kind}, got {type(value).__name__} {value!r}"]
        if self.kind == "enum" and value not in self.choices:
            return [f"{where}: {value!r} is not one of {', '.join(self.choices)}"]
        measure = len(value) if self.kind == "string" else value
        if self.kind in ("string", "int", "number"):
            if (self.min is not None and measure < self.min) or (
                self.max is not None and measure > self.max
            ):
                return [f"{where}: {value!r} outside {self.min}-{self.max}"]
        if self.multiple and value % self.multiple:
            return [f"{where}: {value} is not a multiple of {self.multiple}"]
        return []


def check_object(obj: Any, specs: dict[str, Spec], where: str) -> list[str]:
    """Every way `obj` breaks `specs`: unknown fields, missing required ones, bad values."""
    if not isinstance(obj, dict):
        return [f"{where}: expected an object"]
    found = [f"{where}.{name}: unknown field" for name in obj if name not in specs]
    for name, spec in specs.items():
        if name in obj:
            found += spec.problems(obj[name], f"{where}.{name}")
        elif spec.required:
            found.append(f"{where}.{name}: required")
    return found


@dataclass(slots=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    files: dict[str, str] = field(default_factory=dict)  # multipart field -> filename
    # time.monotonic() when the handler started (headers read) and when its answer was
    # ready: the stand-in's own time on the request, which the benchmark counts as the
    # provider's.
    started: float = 0.0
    finished: float = 0.0


@dataclass(slots=True)
class Fault:
    kind: str
    times: int
    params: dict[str, Any]


class StandIn:
    """Base of the stand-ins: the server, the record, the faults, the key check."""

    key_header = ""
    generation_path = ""
    # Which route a fault kind hits; every kind not named here hits "api".
    fault_routes: dict[str, str] = {"expired_download": "download"}

    def __init__(
        self, api_key: str, *, hang_seconds: float = 10.0, image_bytes: int | None = None
    ) -> None:
        self.api_key = api_key
        self.hang_seconds = hang_seconds
        #: When set, every result is the same random-pixel image of about this many bytes
        #: (made once, then cached), whatever size was asked for: the benchmark's ~1 MB.
        self.image_bytes = image_bytes
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.base_url = ""
        #: Requests being served now, and the most at once (per-provider concurrency).
        self.in_flight = 0
        self.max_in_flight = 0
        self._faults: list[Fault] = []
        self._recording: dict[int, Recorded] = {}  # id(request) -> its record, while served
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> str:
        """Starts the server on a free loopback port; returns its base URL."""
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self._count])
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        # A deep accept queue, as a real API has: with aiohttp's default of 128, a burst of
        # new connections overflows it and the kernel retries the rest a second later.
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def result_image(self, width: int, height: int, fmt: str, tint: int = 0) -> bytes:
        """The bytes of a generated image: a quick gradient of the asked size, or the
        cached noise image of `image_bytes` when that is set."""
        if self.image_bytes is not None:
            return sized_noise_image(self.image_bytes, fmt)
        return make_image(width, height, fmt, tint)

    @web.middleware
    async def _count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        started = time.monotonic()
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1
            entry = self._recording.pop(id(request), None)
            if entry is not None:
                entry.started, entry.finished = started, time.monotonic()

    # -- faults ------------------------------------------------------------------------

    def inject(self, kind: str, times: int = 1, **params: Any) -> None:
        """Makes the next `times` matching requests fail as `kind` (see each stand-in)."""
        self._faults.append(Fault(kind, times, params))

    @property
    def pending_faults(self) -> list[str]:
        return [f.kind for f in self._faults]

    def take_fault(self, route: str = "api") -> Fault | None:
        """The first queued fault for `route`, used up by one."""
        for fault in self._faults:
            if self.fault_routes.get(fault.kind, "api") == route:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def hang(self, fault: Fault) -> None:
        """Holds the answer back past any client timeout (until closed); the "slow" fault
        uses it for a short `seconds=` delay before a normal answer."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._stopping.wait(), fault.params.get("seconds", self.hang_seconds)
            )

    def release(self) -> None:
        """Lets every request held by "hang" or "slow" go on now."""
        self._stopping.set()
        self._stopping = asyncio.Event()

    # -- records -----------------------------------------------------------------------

    def record(
        self, request: web.Request, json: Any = None, files: dict[str, str] | None = None
    ) -> Recorded:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if self.key_header in headers:
            headers[self.key_header] = "<valid>" if self.key_valid(request) else "<invalid>"
        entry = Recorded(request.method, request.path, dict(request.query), headers, json,
                         files or {})
        self.requests.append(entry)
        self._recording[id(request)] = entry
        return entry

    def recorded(self, path_prefix: str, method: str | None = None) -> list[Recorded]:
        return [
            r for r in self.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method)
        ]

    def generation_bodies(self) -> list[Any]:
        """The JSON bodies of every generation request received, oldest first."""
        return [r.json for r in self.recorded(self.generation_path, "POST")]

    def key_valid(self, request: web.Request) -> bool:
        return request.headers.get(self.key_header) == self.api_key

    def violate(self, problems: list[str]) -> None:
        self.violations.extend(f"{type(self).__name__}: {p}" for p in problems)


class ProviderStandIns:
    """The provider stand-ins together, with the settings that point the bot at them.

    BFL's runs too, but `settings_env()` gives its settings only when asked, since it is
    routed last and most tests are about the providers in front of it."""

    def __init__(self, keys: dict[str, str] | None = None, **options: Any) -> None:
        from tests.support.standins.apiframe import ApiframeStandIn
        from tests.support.standins.bfl import BflStandIn
        from tests.support.standins.onemin import OneMinStandIn
        from tests.support.standins.segmind import SegmindStandIn

        keys = keys or TEST_KEYS
        self.onemin: OneMinStandIn = OneMinStandIn(keys["onemin"], **options)
        self.apiframe: ApiframeStandIn = ApiframeStandIn(keys["apiframe"], **options)
        self.segmind: SegmindStandIn = SegmindStandIn(keys["segmind"], **options)
        self.bfl: BflStandIn = BflStandIn(BFL_TEST_KEY, **options)
        self.keys = keys

    @property
    def all(self) -> tuple[StandIn, ...]:
        return (self.onemin, self.apiframe, self.segmind, self.bfl)

    @property
    def violations(self) -> list[str]:
        return [v for standin in self.all for v in standin.violations]

    def total_generations(self) -> int:
        """Generation requests that reached any provider."""
        return sum(len(standin.generation_bodies()) for standin in self.all)

    async def start(self) -> None:
        for standin in self.all:
            await standin.start()

    async def close(self) -> None:
        for standin in self.all:
            await standin.close()

    async def __aenter__(self) -> ProviderStandIns:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def settings_env(self, *, bfl: bool = False) -> dict[str, str]:
        """`Settings` fields (environment names) that point the bot at the stand-ins
        (BFL's only with `bfl=True`)."""
        extra = {"BFL_API_KEY": self.bfl.api_key, "BFL_BASE_URL": self.bfl.base_url} if bfl else {}
        return extra | {
            "ONEMIN_API_KEY": self.keys["onemin"],
            "APIFRAME_API_KEY": self.keys["apiframe"],
            "SEGMIND_API_KEY": self.keys["segmind"],
            "ONEMIN_BASE_URL": self.onemin.base_url,
            "APIFRAME_BASE_URL": self.apiframe.base_url,
            "SEGMIND_BASE_URL": self.segmind.base_url,
        }
