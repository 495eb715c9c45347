"""The demo's web page and the small JSON API it polls: the member's side of Discord.

Everything shown comes from the bot through the Discord stand-in; the page puts it on
screen as text (never as markup), so a prompt cannot inject anything into it.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from demo.world import DemoWorld
from tests.support.standins.discord_models import Message, walk_components
from tests.support.standins.discord_payloads import CommandUnavailable

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
WORLD: web.AppKey[DemoWorld] = web.AppKey("world", DemoWorld)
# Discord's option types the form can fill in: string, integer, boolean, number.
FORM_TYPES = {3: "string", 4: "integer", 5: "boolean", 10: "number"}
BUTTON = 2
# Seconds a click waits for the bot's first answer, to tell a form from the rest.
ACK_WAIT = 3.0


def make_app(world: DemoWorld) -> web.Application:
    """The aiohttp application serving the page, its API and the images."""
    app = web.Application(client_max_size=64 * 1024)
    app[WORLD] = world
    app.router.add_get("/", page)
    app.router.add_get("/page.js", script)
    app.router.add_get("/api/command", command)
    app.router.add_get("/api/messages", messages)
    app.router.add_post("/api/imagine", imagine)
    app.router.add_post("/api/click", click)
    app.router.add_get("/files/{message}/{attachment}", attachment)
    return app


async def page(request: web.Request) -> web.StreamResponse:
    """The one static page."""
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def script(request: web.Request) -> web.StreamResponse:
    """The page's script, a file of its own so the page's policy forbids inline scripts."""
    return web.FileResponse(STATIC / "page.js", headers={"Cache-Control": "no-store"})


async def command(request: web.Request) -> web.Response:
    """`/imagine`'s options as the bot registered them: name, type, limits, choices."""
    registered = request.app[WORLD].command("imagine") or {}
    options = []
    for option in registered.get("options", []):
        if option.get("type") not in FORM_TYPES:
            continue  # an attachment, say: Discord's upload has no place on this page
        options.append({
            "name": option["name"], "type": FORM_TYPES[option["type"]],
            "description": option.get("description", ""),
            "required": bool(option.get("required")),
            "choices": [{"name": c["name"], "value": c["value"]}
                        for c in option.get("choices", [])],
            "min": option.get("min_value", option.get("min_length")),
            "max": option.get("max_value", option.get("max_length")),
        })
    return web.json_response({"options": options})


async def messages(request: web.Request) -> web.Response:
    """What the member sees in the channel now, oldest first."""
    world = request.app[WORLD]
    return web.json_response({"messages": [
        describe(message, private) for message, private in world.visible_messages()]})


async def imagine(request: web.Request) -> web.Response:
    """Runs `/imagine` with the form's values; a value Discord would not accept is
    answered with 400 and what to change."""
    world = request.app[WORLD]
    body = await json_body(request)
    registered = world.command("imagine") or {}
    types = {o["name"]: o.get("type") for o in registered.get("options", [])}
    options: dict[str, Any] = {}
    try:
        for name, raw in body.items():
            if raw in ("", None):
                continue
            if types.get(name) not in FORM_TYPES:
                raise ValueError(f"/imagine has no option {name!r}")
            options[name] = typed(name, types[name], raw)
        await world.slash("imagine", options)
    except (ValueError, LookupError, CommandUnavailable) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"ok": True})


async def click(request: web.Request) -> web.Response:
    """Clicks a button on a message the member sees. A button that opens a form (a
    Discord modal) says so: the page has no forms but /imagine's."""
    body = await json_body(request)
    try:
        ix = await request.app[WORLD].click(int(body.get("message", 0)),
                                            str(body.get("custom_id")))
    except (TypeError, ValueError, LookupError):
        return web.json_response({"error": "That message or button is gone."}, status=400)
    with contextlib.suppress(TimeoutError):  # a slow answer still shows when it comes
        await ix.wait_for_ack(timeout=ACK_WAIT)
    if ix.modal is not None:
        return web.json_response({"error": "That button opens a form in Discord, which this "
                                  "demo page does not show."}, status=400)
    return web.json_response({"ok": True})


async def attachment(request: web.Request) -> web.Response:
    """A file attached to a message, as Discord's CDN would serve it."""
    world = request.app[WORLD]
    try:
        message = world.discord.get_message(int(request.match_info["message"]))
        wanted = int(request.match_info["attachment"])
    except ValueError:
        raise web.HTTPNotFound() from None
    found = next((a for a in message.attachments if a.id == wanted), None) if message else None
    if found is None or found.expired:
        raise web.HTTPNotFound()
    return web.Response(body=found.data, content_type=found.content_type or
                        "application/octet-stream")


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="send a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="send a JSON object")
    return body


def typed(name: str, kind: int, raw: Any) -> Any:
    """A form value as the option's type; ValueError, saying what to type, when it is
    not one."""
    try:
        if kind == 4:
            return int(raw)
        if kind == 10:
            return float(raw)
    except (TypeError, ValueError):
        what = "a whole number" if kind == 4 else "a number"
        raise ValueError(f"/imagine {name}: type {what}") from None
    if kind == 5:
        return raw in (True, "true", "on", "1")
    return str(raw)


def describe(message: Message, private: bool) -> dict[str, Any]:
    """A message as the page draws it: text, embeds, image links and buttons."""
    files = {a.filename: f"/files/{message.id}/{a.id}" for a in message.attachments}
    embeds = []
    for embed in message.embeds:
        image = (embed.get("image") or {}).get("url", "")
        if image.startswith("attachment://"):
            image = files.get(image.removeprefix("attachment://"), "")
        elif not image.startswith("/files/"):
            image = ""  # the page loads nothing from elsewhere
        embeds.append({
            "title": embed.get("title") or "", "description": embed.get("description") or "",
            "fields": [{"name": f.get("name", ""), "value": f.get("value", "")}
                       for f in embed.get("fields") or []],
            "footer": (embed.get("footer") or {}).get("text", ""), "image": image,
        })
    shown = {e["image"] for e in embeds}
    buttons = [{"custom_id": c["custom_id"], "label": c.get("label") or
                (c.get("emoji") or {}).get("name") or "", "disabled": bool(c.get("disabled"))}
               for c in walk_components(message.components)
               if c.get("type") == BUTTON and "custom_id" in c]
    return {
        "id": str(message.id), "private": private,
        "author": message.author.global_name or message.author.username,
        "loading": message.loading, "content": message.content, "embeds": embeds,
        "images": [url for url in files.values() if url not in shown], "buttons": buttons,
    }
