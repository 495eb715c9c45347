"""The ``data`` of INTERACTION_CREATE payloads for what a user does: a slash command typed from the
registered command, a click on a component, a modal submit mirroring the modal's layout.

Private module of :mod:`tests.support.standins.discord_api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.support.standins.discord_guilds import Channel, Guild
from tests.support.standins.discord_models import JSON, Attachment, Message, Perm, User

if TYPE_CHECKING:
    from tests.support.standins.discord_state import StandInState

# application command option types
SUBCOMMAND, GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE = 1, 2, 3, 4, 5, 6, 7, 8
MENTIONABLE, NUMBER, ATTACHMENT = 9, 10, 11
SELECT_TYPES = (3, 5, 6, 7, 8)


class CommandUnavailable(Exception):
    """The Discord client would not offer this command (or component) to this user here."""


# -- application commands --------------------------------------------------------------------------


def find_command(state: StandInState, channel: Channel, name: str) -> JSON:
    scopes: list[int | None] = [channel.guild.id] if channel.guild else []
    scopes.append(None)
    for scope in scopes:
        for command in state.commands.get(scope, []):
            if command["name"] == name and command.get("type", 1) == 1:
                return command
    known = sorted({c["name"] for scope in scopes for c in state.commands.get(scope, [])})
    raise LookupError(f"slash command /{name} is not registered here (registered: {known})")


def find_message_command(state: StandInState, channel: Channel, name: str) -> JSON:
    """The message context menu command of this name registered here."""
    scopes: list[int | None] = [channel.guild.id] if channel.guild else []
    scopes.append(None)
    for scope in scopes:
        for command in state.commands.get(scope, []):
            if command["name"] == name and command.get("type", 1) == 3:
                return command
    raise LookupError(f"message command {name!r} is not registered here")


def check_available(command: JSON, channel: Channel, user: User) -> None:
    guild = channel.guild
    context = 0 if guild else 1
    contexts = command.get("contexts")
    if contexts is not None and context not in contexts:
        raise CommandUnavailable(
            f"/{command['name']} is not available in context {context} (contexts={contexts})"
        )
    if guild is None and command.get("dm_permission") is False:
        raise CommandUnavailable(f"/{command['name']} is not available in DMs")
    if guild is not None and command.get("nsfw") and not channel.nsfw:
        raise CommandUnavailable(
            f"/{command['name']} is age-restricted and #{channel.name} is not NSFW"
        )
    required = command.get("default_member_permissions")
    if guild is not None and required is not None:
        need, have = int(required), guild.permissions_for(user)
        if have & need != need or (need == 0 and not have & Perm.ADMINISTRATOR):  # "0": admins only
            raise CommandUnavailable(
                f"{user.username} lacks permissions {need:#x} for /{command['name']}"
            )


def command_data(
    state: StandInState,
    channel: Channel,
    user: User,
    name: str,
    path: tuple[str, ...],
    options: dict[str, Any],
    *,
    focused: str | None = None,
) -> JSON:
    """The ``data`` of a type 2 (with ``focused``: type 4) interaction, typed from the command."""
    command = find_command(state, channel, name)
    check_available(command, channel, user)
    top: list[JSON] = []
    data: JSON = {"id": command["id"], "name": command["name"], "type": 1, "options": top}
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    definitions: list[JSON] = command.get("options", [])
    container, full_name = top, f"/{name}"
    for part in path:
        definition = next(
            (o for o in definitions if o["name"] == part and o["type"] in (SUBCOMMAND, GROUP)), None
        )
        if definition is None:
            raise LookupError(f"{full_name} has no subcommand {part!r}")
        entry: JSON = {"name": part, "type": definition["type"], "options": []}
        container.append(entry)
        container, definitions, full_name = (
            entry["options"],
            definition.get("options", []),
            f"{full_name} {part}",
        )
    subcommands = [o["name"] for o in definitions if o["type"] in (SUBCOMMAND, GROUP)]
    if subcommands:
        raise LookupError(f"{full_name} needs a subcommand, one of {subcommands}")
    resolved: JSON = {}
    for key, value in options.items():
        definition = next((o for o in definitions if o["name"] == key), None)
        if definition is None:
            raise ValueError(
                f"{full_name} has no option {key!r} (options: {[o['name'] for o in definitions]})"
            )
        if key == focused:
            container.append(
                {"name": key, "type": definition["type"], "value": str(value), "focused": True}
            )
        else:
            container.append(_option_value(definition, value, resolved, channel, user, full_name))
    missing = [o["name"] for o in definitions if o.get("required") and o["name"] not in options]
    if missing and focused is None:
        raise ValueError(f"{full_name} is missing required options {missing}")
    if resolved:
        data["resolved"] = resolved
    _drop_empty_options(data)
    return data


def _drop_empty_options(item: JSON) -> None:
    """Discord leaves ``options`` out where there are none."""
    for option in item.get("options", []):
        _drop_empty_options(option)
    if item.get("options") == []:
        del item["options"]


def _option_value(
    definition: JSON, value: Any, resolved: JSON, channel: Channel, user: User, where: str
) -> JSON:
    kind, name = definition["type"], definition["name"]
    guild = channel.guild
    if kind == STRING:
        value = str(value)
        low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise ValueError(f"{where} {name}: length {len(value)} outside [{low}, {high}]")
    elif kind in (INTEGER, NUMBER):
        value = int(value) if kind == INTEGER else float(value)
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"{where} {name}: {value} outside [{low}, {high}]")
    elif kind == BOOLEAN:
        value = bool(value)
    elif kind in (USER, MENTIONABLE) and isinstance(value, User):
        resolved.setdefault("users", {})[str(value.id)] = value.payload()
        if guild is not None:
            member = guild.member_payload(value, with_user=False, with_permissions=True)
            resolved.setdefault("members", {})[str(value.id)] = member
        value = str(value.id)
    elif kind == CHANNEL and isinstance(value, Channel):
        allowed = definition.get("channel_types")
        if allowed is not None and value.type not in allowed:
            raise ValueError(f"{where} {name}: channel type {value.type} not in {allowed}")
        perms = guild.permissions_for(user) if guild else Perm.DEFAULT_BOT
        resolved.setdefault("channels", {})[str(value.id)] = value.payload(permissions=perms)
        value = str(value.id)
    elif kind in (ROLE, MENTIONABLE) and guild is not None:
        role = next((r for r in guild.role_payloads() if r["id"] == str(value)), None)
        if role is None:
            raise ValueError(f"{where} {name}: no role {value!r} in {guild.name}")
        resolved.setdefault("roles", {})[role["id"]] = role
        value = role["id"]
    elif kind == ATTACHMENT and isinstance(value, Attachment):
        resolved.setdefault("attachments", {})[str(value.id)] = value.payload()
        value = str(value.id)
    else:
        raise TypeError(
            f"{where} {name}: cannot pass {type(value).__name__} to an option of type {kind}"
        )
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(
            f"{where} {name}: {value!r} is not one of the choices {[c['value'] for c in choices]}"
        )
    return {"name": name, "type": kind, "value": value}


# -- components and modals -------------------------------------------------------------------------


def component_data(
    message: Message, custom_id: str, values: list[Any] | None, resolved_guild: Guild | None
) -> JSON:
    component = message.find_component(custom_id)
    if component is None:
        raise LookupError(
            f"message {message.id} has no component {custom_id!r} (has {message.custom_ids()})"
        )
    if component.get("disabled"):
        raise CommandUnavailable(f"component {custom_id!r} is disabled")
    data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
    if "id" in component:
        data["id"] = component["id"]
    if component["type"] in SELECT_TYPES:
        resolved: JSON = {}
        data["values"] = []
        for value in values or []:
            if isinstance(value, User):
                resolved.setdefault("users", {})[str(value.id)] = value.payload()
                if resolved_guild is not None:
                    member = resolved_guild.member_payload(
                        value, with_user=False, with_permissions=True
                    )
                    resolved.setdefault("members", {})[str(value.id)] = member
                value = value.id
            data["values"].append(str(value))
        if resolved:
            data["resolved"] = resolved
    elif values:
        raise ValueError(f"component {custom_id!r} is not a select menu; values make no sense")
    return data


def modal_data(custom_id: str, values: dict[str, Any], layout: JSON | None) -> JSON:
    """The ``data`` of a modal submit, mirroring the layout the bot sent (action rows or labels)."""
    remaining = dict(values)
    components: list[JSON] = []
    if layout is None:
        components = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": str(value)}]}
            for key, value in remaining.items()
        ]
        remaining.clear()
    else:
        for row in layout.get("components", []):
            if row["type"] == 1:
                children = [_submitted(child, remaining) for child in row.get("components", [])]
                components.append(_with_id({"type": 1, "components": children}, row))
            elif row["type"] == 18:
                components.append(
                    _with_id(
                        {"type": 18, "component": _submitted(row["component"], remaining)}, row
                    )
                )
            else:
                components.append(_with_id({"type": row["type"]}, row))
    if remaining:
        raise LookupError(f"modal {custom_id!r} has no fields {sorted(remaining)}")
    return {"custom_id": custom_id, "components": components}


def _submitted(component: JSON, remaining: dict[str, Any]) -> JSON:
    kind, custom_id = component["type"], str(component.get("custom_id"))
    if kind == 4:
        value = str(remaining.pop(custom_id, component.get("value") or ""))
        if component.get("required", True) and not value:
            raise ValueError(f"modal field {custom_id!r} is required")
        low, high = component.get("min_length", 0), component.get("max_length", 4000)
        if value and not low <= len(value) <= high:
            raise ValueError(
                f"modal field {custom_id!r}: length {len(value)} outside [{low}, {high}]"
            )
        return _with_id({"type": 4, "custom_id": custom_id, "value": value}, component)
    if kind in SELECT_TYPES:
        chosen = remaining.pop(custom_id, [])
        return _with_id(
            {"type": kind, "custom_id": custom_id, "values": [str(v) for v in chosen]}, component
        )
    return _with_id({"type": kind}, component)


def _with_id(submitted: JSON, sent: JSON) -> JSON:
    if sent.get("id") is not None:
        submitted["id"] = sent["id"]
    return submitted
