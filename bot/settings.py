"""Operator settings: environment variables and `.env`, typed and validated at start.

Costs and routing may also come from a TOML file (`FLUXCORD_CONFIG`, see
`config.example.toml`). Nothing here runs at import time: `load_settings()` is called
once by the entry point, so tests build `Settings(...)` directly.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.catalogue import MODELS
from bot.providers.registry import BY_NAME as PROVIDERS
from bot.providers.registry import PROVIDERS as PROVIDER_ENTRIES
from bot.storage import redact_url, url_passwords

ModelId = Literal["flux-1.1-pro", "flux-pro", "flux-2-pro", "flux-dev"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

DEFAULT_COSTS: dict[str, int | dict[str, int]] = {
    "flux-1.1-pro": 4,
    "flux-pro": 5,
    "flux-2-pro": 6,
    # flux-dev's price follows its output size.
    "flux-dev": {"0.25": 1, "1": 3, "2": 5},
    # /edit: flux-2-pro's image editor.
    "flux-2-pro-edit": 6,
    # /blend: FLUX.2 [pro] with reference images (on top: `blend-reference-mp`, when set).
    "blend": 6,
    # The tools under a result: Vary (FLUX.1 [dev]), BFL's expand and fill.
    "vary": 3,
    "zoom-out": 5,
    "pan": 5,
    "vary-region": 5,
}
# A cost key `<model>-reference-mp` prices the reference images of that model's jobs, in
# credits per megapixel of them all (rounded up); unset, they cost nothing extra.
REFERENCE_MP = "-reference-mp"


# What the messages say a variable should look like, when pydantic's own words are unclear.
_HINTS = {
    "DISCORD_TOKEN": "the bot token from the Discord Developer Portal",
    "DATABASE_URL": "sqlite:///relative/path.db, sqlite:////absolute/path.db or "
                    "postgresql://user:password@host:port/dbname",
    "SFW_SAFETY_MAX": "a whole number from 1 to 6",
    "DEFAULT_MODEL": "one of " + ", ".join(m.id for m in MODELS.values() if m.imagine),
    "ALLOW_DMS": "true or false",
    "LOG_LEVEL": "DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "LOG_FORMAT": "plain or json",
    "METRICS_PORT": "a port number from 1 to 65535, or unset for no metrics",
    "SHARD_COUNT": "a whole number, 1 or more",
    "SHARD_IDS": "shard numbers separated by commas, such as 0,1",
}


class SettingsError(Exception):
    """Bad configuration; `lines` holds one human sentence per bad value."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class _Discord(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    DISCORD_TOKEN: SecretStr


def _provider_fields() -> dict[str, Any]:
    """Each registered provider's settings: its key (optional) and its base URL, with the
    default its module declares. A new provider adds its own without an edit here."""
    fields: dict[str, Any] = {}
    for entry in PROVIDER_ENTRIES:
        if entry.key_setting:
            fields[entry.key_setting] = (SecretStr | None, None)
        if entry.url_setting:
            fields[entry.url_setting] = (AnyHttpUrl, AnyHttpUrl(entry.url_default or ""))
    return fields


if TYPE_CHECKING:  # the fields are known at run time only; read them with api_key/base_url
    _WithProviders = _Discord
else:
    _WithProviders = create_model("_WithProviders", __base__=_Discord, **_provider_fields())


class Settings(_WithProviders):
    """Everything the operator can set. Field names are the environment variable names;
    the providers' keys and base URLs come from the registry (`_provider_fields`)."""

    DATABASE_URL: str = "sqlite:///data/fluxcord.db"
    SFW_SAFETY_MAX: Annotated[int, Field(ge=1, le=6)] = 2
    DEFAULT_MODEL: ModelId = "flux-1.1-pro"
    ALLOW_DMS: bool = False
    LOG_LEVEL: LogLevel = "INFO"
    # `json`: one JSON object per log line, for a log collector.
    LOG_FORMAT: Literal["plain", "json"] = "plain"
    # Where /metrics, /healthz and /readyz are served; unset: not served.
    METRICS_PORT: Annotated[int, Field(ge=1, le=65535)] | None = None
    METRICS_HOST: str = "127.0.0.1"

    # Serve models with the local placeholder when none of their providers is configured.
    PLACEHOLDER_PROVIDER: bool = False
    # Defaults for new servers; admins change them with /credits.
    DEFAULT_ALLOWANCE: Annotated[int, Field(ge=0)] = 50
    DEFAULT_PERIOD_HOURS: Annotated[int, Field(ge=1, le=24 * 366)] = 24
    DEFAULT_DAILY_BUDGET: Annotated[int, Field(ge=0)] = 2000
    DEFAULT_SAFETY_CAP: Annotated[int, Field(ge=1, le=6)] = 2
    # The most a server admin may set as an allowance (or a role tier) and as a daily
    # budget: they protect the operator's provider bill from a generous admin.
    MAX_ALLOWANCE: Annotated[int, Field(ge=0)] = 1000
    MAX_DAILY_BUDGET: Annotated[int, Field(ge=0)] = 20000
    # Fairness limits (SPEC section 5).
    MAX_JOBS_PER_MEMBER: Annotated[int, Field(ge=1)] = 2
    MAX_JOBS_PER_SERVER: Annotated[int, Field(ge=1)] = 6
    MAX_QUEUED_PER_MEMBER: Annotated[int, Field(ge=1)] = 5
    PROVIDER_CONCURRENCY: Annotated[int, Field(ge=1)] = 8
    # Jobs between the start of generation and the end of the upload, across all servers:
    # bounds the images held in memory, whatever the burst.
    MAX_IMAGES_IN_FLIGHT: Annotated[int, Field(ge=1)] = 12
    # The most pixels a member's input image may have; judged from its header, before
    # any pixel is decoded (SPEC section 5).
    MAX_INPUT_PIXELS: Annotated[int, Field(ge=1)] = 16_000_000
    # A job costing more credits than this first asks the member to confirm the cost.
    CONFIRM_ABOVE: Annotated[int, Field(ge=0)] = 20
    # The most jobs one /imagine may make from its `{a, b}` groups, `count` included.
    MAX_PERMUTATIONS: Annotated[int, Field(ge=1, le=100)] = 8
    # On SIGTERM, how long jobs in flight may take to finish before they are refunded.
    SHUTDOWN_GRACE_SECONDS: Annotated[float, Field(ge=0, le=600)] = 60.0
    # How often a job whose upload Discord never answered is looked for in its channel
    # (settled when found, refunded when not); also at once when Discord answers again.
    POSTING_CHECK_SECONDS: Annotated[float, Field(ge=1, le=3600)] = 120.0
    # The most one provider call may take, submit, polls and download together.
    PROVIDER_DEADLINE_SECONDS: Annotated[float, Field(gt=0, le=3600)] = 300.0
    # How often a provider taken out of the routes (bad key, no credit) is checked again.
    HEALTH_CHECK_SECONDS: Annotated[float, Field(ge=1, le=86400)] = 300.0
    # Where the operator is told about providers taken out of (or back into) the routes.
    OPS_CHANNEL_ID: int | None = None
    # How often an apiframe job is polled (its docs advise 2-3 s for images).
    APIFRAME_POLL_SECONDS: Annotated[float, Field(ge=0.01, le=60)] = 2.0
    # Where the costs/routing TOML lives; optional.
    FLUXCORD_CONFIG: Path | None = None
    # For a Discord-compatible server other than discord.com (tests, benchmarks).
    DISCORD_API_BASE: AnyHttpUrl | None = None
    DISCORD_GATEWAY_URL: str | None = None
    # Moderation (SPEC section 7): the operator's blocklist, one entry a line.
    BLOCKLIST_FILE: Path | None = None
    STRIKES_BEFORE_COOLDOWN: Annotated[int, Field(ge=1)] = 3
    STRIKE_COOLDOWN_MINUTES: Annotated[int, Field(ge=0)] = 60
    APPEALS_PER_DAY: Annotated[int, Field(ge=0)] = 3
    # Days a job's input image is kept, so Reroll, Edit and Try again work after
    # Discord's attachment URL expired (about a day). 0 keeps none.
    INPUT_RETENTION_DAYS: Annotated[int, Field(ge=0, le=3650)] = 7
    # The most days prompts and job details are kept; a server may choose fewer with
    # /server retention (SPEC section 13). Ledger amounts are kept regardless.
    MAX_RETENTION_DAYS: Annotated[int, Field(ge=1, le=3650)] = 365
    # The operator's C2PA certificate chain and ES256 private key (PEM files): when both
    # are set, every result carries the bot's own signed manifest.
    C2PA_SIGN_CERT: Path | None = None
    C2PA_SIGN_KEY: Path | None = None
    # Sharding (SPEC section 10): how many shards the bot has in all, and which of them
    # this process runs. Unset, discord.py takes Discord's recommended count (one shard,
    # one connection, for a bot in fewer than about a thousand servers) and runs them all.
    SHARD_COUNT: Annotated[int, Field(ge=1)] | None = None
    SHARD_IDS: Annotated[tuple[int, ...] | None, NoDecode] = None

    costs: dict[str, int | dict[str, int]] = Field(default_factory=lambda: dict(DEFAULT_COSTS))
    routing: dict[str, list[str]] = Field(default_factory=dict)
    # Per provider, the calls at once in place of PROVIDER_CONCURRENCY (`[concurrency]`).
    concurrency: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)

    @field_validator("DISCORD_TOKEN", mode="before")
    @classmethod
    def _token_given(cls, value: Any) -> Any:
        # `.env.example` ships `DISCORD_TOKEN=`: a copied but unfilled file must read as
        # "not set", not as a token Discord will refuse after the bot has started.
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not text.strip():
            raise PydanticCustomError("missing", "Field required")
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            try:
                parts = urlsplit(value)
                parts.port  # noqa: B018 (parsing the port is the check)
            except ValueError:
                raise ValueError("is not a valid postgresql:// URL") from None
            if not parts.hostname or not parts.path.strip("/"):
                raise ValueError("must name the host and the database")
            return value
        if not value.startswith("sqlite:///") or value == "sqlite:///":
            raise ValueError("must be sqlite:///path-of-a-file or postgresql://…")
        return value

    @field_validator("SHARD_IDS", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: Any) -> Any:
        # "0,1" in the environment; a list when built in code.
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",")]
            if not all(part.isdigit() for part in parts):
                raise ValueError("is not a list of shard numbers")
            return tuple(int(part) for part in parts)
        return value

    @field_validator("SHARD_IDS")
    @classmethod
    def _shard_ids_fit(
        cls, value: tuple[int, ...] | None, info: ValidationInfo
    ) -> tuple[int, ...] | None:
        if value is None:
            return None
        if "SHARD_COUNT" not in info.data:  # SHARD_COUNT has its own error already
            return value
        count = info.data["SHARD_COUNT"]
        if count is None:
            raise ValueError("needs SHARD_COUNT, the number of shards in all")
        if not value:
            raise ValueError("names no shard")
        if len(set(value)) != len(value):
            raise ValueError("names a shard twice")
        outside = [shard for shard in value if shard >= count]
        if outside:
            raise ValueError(
                f"shard {outside[0]} is outside SHARD_COUNT={count} (shards are 0 to {count - 1})"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _load_config_file(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("FLUXCORD_CONFIG"):
            return data
        path = Path(str(data["FLUXCORD_CONFIG"]))
        try:
            parsed = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from None
        merged = dict(data)
        if "costs" in parsed:
            merged["costs"] = {**DEFAULT_COSTS, **parsed["costs"]}
        if "routing" in parsed:
            merged["routing"] = parsed["routing"]
        if "concurrency" in parsed:
            merged["concurrency"] = parsed["concurrency"]
        return merged

    @field_validator("concurrency")
    @classmethod
    def _limits_known(cls, value: dict[str, int]) -> dict[str, int]:
        for provider in value:
            if provider not in PROVIDERS:
                raise ValueError(f"unknown provider {provider!r} in concurrency; "
                                 f"known: {', '.join(PROVIDERS)}")
        return value

    def provider_concurrency(self, provider: str) -> int:
        """The most calls to `provider` at once (for all processes together on
        PostgreSQL): its `[concurrency]` entry, else PROVIDER_CONCURRENCY."""
        return self.concurrency.get(provider, self.PROVIDER_CONCURRENCY)

    @field_validator("costs")
    @classmethod
    def _costs_known(cls, value: dict[str, Any]) -> dict[str, Any]:
        for model, cost in value.items():
            if model not in MODELS and model.removesuffix(REFERENCE_MP) not in MODELS:
                raise ValueError(f"unknown model {model!r} in costs")
            amounts = cost.values() if isinstance(cost, dict) else [cost]
            if any(not isinstance(a, int) or a < 0 for a in amounts):
                raise ValueError(f"cost of {model} must be whole numbers of credits, 0 or more")
        return value

    @field_validator("routing")
    @classmethod
    def _routes_known(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for model, route in value.items():
            if model not in MODELS:
                raise ValueError(f"unknown model {model!r} in routing")
            for provider in route:
                if provider not in PROVIDERS:
                    raise ValueError(
                        f"unknown provider {provider!r} for {model}; "
                        f"known: {', '.join(PROVIDERS)}"
                    )
        return value

    @property
    def database_path(self) -> Path:
        """The SQLite file: `sqlite:///rel.db` is relative, `sqlite:////abs.db` absolute."""
        return Path(self.DATABASE_URL.removeprefix("sqlite:///"))

    @property
    def database_name(self) -> str:
        """Where the database is, fit for output: the file, or the URL without password."""
        if self.DATABASE_URL.startswith("sqlite:///"):
            return str(self.database_path)
        return redact_url(self.DATABASE_URL)

    def api_key(self, setting: str) -> SecretStr | None:
        """The key in the setting named `setting` (a provider module names it), or None
        when the operator did not set one."""
        value = getattr(self, setting, None)
        return value if isinstance(value, SecretStr) else None

    def base_url(self, setting: str) -> str:
        """The URL in the setting named `setting`, without a trailing slash."""
        return str(getattr(self, setting)).rstrip("/")

    def secrets(self) -> list[str]:
        """Every secret value, for the log filter."""
        values = [getattr(self, name) for name in type(self).model_fields]
        found = [v.get_secret_value() for v in values if isinstance(v, SecretStr)]
        return found + url_passwords(self.DATABASE_URL)

    def cost(self, model: str, megapixels: str | None = None) -> int:
        """Credits one image of `model` costs."""
        cost = self.costs.get(model, DEFAULT_COSTS[model])
        if isinstance(cost, dict):
            return cost.get(megapixels or "1", max(cost.values()))
        return cost

    def reference_cost(self, model: str, pixels: Sequence[int]) -> int:
        """Credits the reference images (their pixel counts) add to one image of `model`:
        `<model>-reference-mp` credits per megapixel of them all, rounded up."""
        price = self.costs.get(model + REFERENCE_MP)
        if not isinstance(price, int) or not pixels:
            return 0
        return math.ceil(price * sum(pixels) / 1_000_000)


def load_settings(**overrides: Any) -> Settings:
    """Reads the environment and `.env`; raises SettingsError with one line per problem."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> list[str]:
    """One sentence per bad variable; never echoes the value (it may be a secret)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or "configuration"
        if error["type"] == "missing":
            problem = "is not set"
        else:
            problem = error["msg"].removeprefix("Value error, ")
        hint = _HINTS.get(name)
        lines.append(f"{name}: {problem}" + (f" (expected {hint})" if hint else ""))
    return lines
