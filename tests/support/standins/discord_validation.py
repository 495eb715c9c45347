"""The subset of Discord's validation rules a bot is likely to trip over (400/413 ApiErrors).

Private module of :mod:`tests.support.standins.discord_api`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.support.standins.discord_models import FLAG_COMPONENTS_V2, JSON, ApiError

if TYPE_CHECKING:
    from tests.support.standins.discord_state import UploadedFile


# -- messages and modals ---------------------------------------------------------------------------


def validate_message(
    payload: JSON, files: list[UploadedFile], *, size_limit: int, creating: bool
) -> None:
    for upload in files:
        if len(upload.data) > size_limit:
            raise ApiError(413, 40005, "Request entity too large")
    if len(files) > 10:
        raise ApiError.form("files", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    content = payload.get("content") or ""
    if len(content) > 2000:
        raise ApiError.form("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        raise ApiError.form("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        total += _validate_embed(embed, f"embeds.{index}")
    if total > 6000:
        raise ApiError.form(
            "embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    _validate_components(
        payload.get("components") or [], (payload.get("flags") or 0) & FLAG_COMPONENTS_V2 != 0
    )
    has_body = content or embeds or files or payload.get("attachments") or payload.get("components")
    has_body = has_body or payload.get("sticker_ids") or payload.get("poll")
    if creating and not has_body:
        raise ApiError(400, 50006, "Cannot send an empty message")


_EMBED_LIMITS = {"title": 256, "description": 4096}


def _validate_embed(embed: JSON, path: str) -> int:
    size = 0
    for key, limit in _EMBED_LIMITS.items():
        value = embed.get(key) or ""
        if len(value) > limit:
            raise ApiError.form(
                f"{path}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
            )
        size += len(value)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        raise ApiError.form(
            f"{path}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
        )
    for index, item in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = item.get(key) or ""
            if not value:
                raise ApiError.form(
                    f"{path}.fields.{index}.{key}", "BASE_TYPE_REQUIRED", "This field is required"
                )
            if len(value) > limit:
                raise ApiError.form(
                    f"{path}.fields.{index}.{key}",
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {limit} or fewer in length.",
                )
            size += len(value)
    size += len((embed.get("footer") or {}).get("text") or "") + len(
        (embed.get("author") or {}).get("name") or ""
    )
    return size


def _validate_components(components: list[JSON], v2: bool) -> None:
    if not v2 and len(components) > 5:
        raise ApiError.form("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for index, row in enumerate(components):
        if row.get("type") == 1 and len(row.get("components", [])) > 5:
            raise ApiError.form(
                f"components.{index}.components",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 5 or fewer in length.",
            )
        if row.get("type") != 1 and not v2:
            raise ApiError.form(
                f"components.{index}", "UNION_TYPE_CHOICES", 'Value of field "type" must be 1.'
            )
        _validate_component_fields(row, f"components.{index}")


def _validate_component_fields(component: JSON, path: str) -> None:
    custom_id = component.get("custom_id")
    if custom_id is not None and not 1 <= len(custom_id) <= 100:
        raise ApiError.form(
            f"{path}.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    label = component.get("label")
    if component.get("type") == 2 and label is not None and len(label) > 80:
        raise ApiError.form(
            f"{path}.label", "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length."
        )
    if component.get("type") == 3 and not 1 <= len(component.get("options", [])) <= 25:
        raise ApiError.form(
            f"{path}.options", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."
        )
    for index, child in enumerate(component.get("components", [])):
        _validate_component_fields(child, f"{path}.components.{index}")


def validate_modal(data: JSON) -> None:
    title = data.get("title") or ""
    if not 1 <= len(title) <= 45:
        raise ApiError.form(
            "data.title", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length."
        )
    custom_id = data.get("custom_id") or ""
    if not 1 <= len(custom_id) <= 100:
        raise ApiError.form(
            "data.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise ApiError.form(
            "data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
    for index, row in enumerate(components):
        for child in [row.get("component") or {}, *row.get("components", [])]:
            label = child.get("label") or row.get("label") or ""
            if len(label) > 45:
                raise ApiError.form(
                    f"data.components.{index}.label",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 45 or fewer in length.",
                )
            if len(child.get("value") or "") > 4000:
                raise ApiError.form(
                    f"data.components.{index}.value",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 4000 or fewer in length.",
                )


# -- application commands (a bulk overwrite) -------------------------------------------------------

_NAME = re.compile(r"^[-_\w]{1,32}$")


def validate_command(command: JSON, path: str) -> None:
    prefix = f"{path}." if path else ""
    name = command.get("name") or ""
    kind = command.get("type", 1)
    if kind == 1 and (not _NAME.fullmatch(name) or name != name.lower()):
        raise ApiError.form(
            f"{prefix}name",
            "APPLICATION_COMMAND_INVALID_NAME",
            f"Command name is invalid: {name!r}",
        )
    if kind == 1:
        _check_description(command, f"{prefix}description")
        _validate_options(command.get("options") or [], f"{prefix}options")
    elif not 1 <= len(name) <= 32:
        raise ApiError.form(
            f"{prefix}name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."
        )


def _check_description(item: JSON, path: str) -> None:
    if not 1 <= len(item.get("description") or "") <= 100:
        raise ApiError.form(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    _check_localizations(item.get("description_localizations"), f"{path}_localizations")


# The locales Discord accepts as keys of name_localizations/description_localizations.
DISCORD_LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi",
    "th", "zh-CN", "ja", "zh-TW", "ko",
})


def _check_localizations(found: JSON | None, path: str) -> None:
    """A localizations dictionary: known locales only, each text 1-100 characters."""
    for locale, text in (found or {}).items():
        if locale not in DISCORD_LOCALES:
            raise ApiError.form(f"{path}.{locale}", "LOCALE_INVALID", f"Invalid locale {locale}")
        if not 1 <= len(text or "") <= 100:
            raise ApiError.form(f"{path}.{locale}", "BASE_TYPE_BAD_LENGTH",
                                "Must be between 1 and 100 in length.")


def _validate_options(options: list[JSON], path: str) -> None:
    if len(options) > 25:
        raise ApiError.form(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    for index, option in enumerate(options):
        where = f"{path}.{index}"
        name = option.get("name") or ""
        if not _NAME.fullmatch(name) or name != name.lower():
            raise ApiError.form(
                f"{where}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        _check_description(option, f"{where}.description")
        if option.get("type") in (1, 2):
            _validate_options(option.get("options") or [], f"{where}.options")
            continue
        if option.get("required") and seen_optional:
            raise ApiError.form(
                where,
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        seen_optional = seen_optional or not option.get("required")
        if len(option.get("choices") or []) > 25:
            raise ApiError.form(
                f"{where}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        for number, choice in enumerate(option.get("choices") or []):
            _check_localizations(choice.get("name_localizations"),
                                 f"{where}.choices.{number}.name_localizations")
