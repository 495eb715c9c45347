"""The Discord stand-in, driven by the real discord.py client (a tiny bot, not fluxcord's)."""

from __future__ import annotations

import asyncio
import gc
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands
from PIL import Image

from tests.support.standins.discord_api import (
    FLAG_EPHEMERAL,
    PUBLIC_THREAD,
    Channel,
    CommandUnavailable,
    DiscordStandIn,
    Guild,
    Perm,
    User,
)

pytestmark = pytest.mark.asyncio


def make_png(size: tuple[int, int] = (3, 2)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = make_png()


# -- the tiny bot ----------------------------------------------------------------------------------


class CounterButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"counter:(?P<n>[0-9]+)"
):
    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label=f"+1 ({n})", custom_id=f"counter:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> CounterButton:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(CounterButton(self.n + 1))
        await interaction.response.edit_message(content=f"count={self.n + 1}", view=view)


class RenameModal(discord.ui.Modal, title="Rename"):
    prompt: discord.ui.TextInput[RenameModal] = discord.ui.TextInput(
        label="Prompt", custom_id="prompt"
    )

    def __init__(self) -> None:
        super().__init__(custom_id="rename-modal")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"renamed to {self.prompt.value}")


class TinyBot(commands.Bot):
    def __init__(self, *, sync: bool = True) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
        )
        self.sync_on_start = sync
        self.results: dict[str, Any] = {}
        self.runner: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CounterButton)
        for command in build_commands(self):
            self.tree.add_command(command)
        if self.sync_on_start:
            await self.tree.sync()


def build_commands(bot: TinyBot) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    @app_commands.command(description="Defer, edit, then a public followup")
    async def work(interaction: discord.Interaction, prompt: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content=f"working on {prompt}")
        await interaction.followup.send(f"done: {prompt}", ephemeral=False)

    @app_commands.command(description="Defer, then straight to a followup")
    async def quick(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        bot.results["quick"] = await interaction.followup.send(
            "quick answer", ephemeral=False, wait=True
        )

    credits = app_commands.Group(
        name="credits",
        description="Credits",
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @credits.command(description="Grant credits")
    async def grant(interaction: discord.Interaction, member: discord.Member, amount: int) -> None:
        await interaction.response.send_message(f"granted {amount} to {member.name}")

    @app_commands.command(description="Echo an image")
    async def upload(interaction: discord.Interaction, image: discord.Attachment) -> None:
        data = await image.read()
        await interaction.response.send_message(
            "echo", file=discord.File(io.BytesIO(data), "echo.png")
        )

    @app_commands.command(description="A counter button")
    async def counter(interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(CounterButton(0))
        await interaction.response.send_message("count=0", view=view)

    @app_commands.command(description="Open a modal")
    async def rename(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(RenameModal())

    @app_commands.command(description="Answer too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        try:
            await interaction.response.send_message("finally")
        except discord.HTTPException as exc:
            bot.results["slow"] = exc

    @app_commands.command(description="Defer and keep the interaction")
    async def late(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        bot.results["late"] = interaction

    @app_commands.command(description="Who am I")
    async def whoami(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"{interaction.user.name} guild={interaction.guild_id}"
        )

    @app_commands.command(description="Pick a model")
    async def pick(interaction: discord.Interaction, model: str) -> None:
        await interaction.response.send_message(model)

    @pick.autocomplete("model")
    async def pick_model(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = ["flux-dev", "flux-schnell", "sdxl"]
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    @app_commands.command(description="Where am I")
    async def where(interaction: discord.Interaction) -> None:
        channel = interaction.channel
        parent = getattr(channel, "parent_id", None)
        nsfw = channel.is_nsfw() if isinstance(channel, discord.Thread) else None
        await interaction.response.send_message(
            f"{type(channel).__name__} {channel.id if channel else None} parent={parent} "
            f"nsfw={nsfw}"
        )

    return [work, quick, credits, upload, counter, rename, slow, late, whoami, pick, where]


# -- fixtures --------------------------------------------------------------------------------------


@pytest_asyncio.fixture(autouse=True)
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """Fail on 'Unclosed client session' & co (sent to the loop's handler) and on leaked tasks."""
    errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    await asyncio.sleep(0)
    gc.collect()
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not leftover, leftover
    assert not errors, [e.get("message") for e in errors]


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    stand_in = DiscordStandIn()
    await stand_in.start()
    stand_in.install()
    yield stand_in
    await stand_in.stop()
    assert stand_in.unknown_requests == []
    assert stand_in.internal_errors == []


class World:
    def __init__(self, standin: DiscordStandIn) -> None:
        self.guild: Guild = standin.add_guild("Test", premium_tier=0)
        self.channel: Channel = self.guild.add_channel("general")
        self.nsfw_channel: Channel = self.guild.add_channel("after-dark", nsfw=True)
        self.alice: User = standin.add_user("alice")
        self.mod: User = standin.add_user(
            "mod", permissions=Perm.MANAGE_GUILD | Perm.MANAGE_MESSAGES
        )


@pytest.fixture
def world(standin: DiscordStandIn) -> World:
    return World(standin)


async def start_bot(standin: DiscordStandIn, *, sync: bool = True) -> TinyBot:
    bot = TinyBot(sync=sync)
    bot.runner = asyncio.create_task(bot.start(standin.token))
    async with asyncio.timeout(10):
        while not bot.is_ready():
            if bot.runner.done():
                bot.runner.result()  # raises what went wrong
            await asyncio.sleep(0.01)
    return bot


async def stop_bot(bot: TinyBot) -> None:
    await bot.close()
    if bot.runner is not None:
        await bot.runner


@pytest_asyncio.fixture
async def bot(standin: DiscordStandIn, world: World) -> AsyncIterator[TinyBot]:
    tiny = await start_bot(standin)
    yield tiny
    await stop_bot(tiny)


# -- tests -----------------------------------------------------------------------------------------


async def test_login_ready_and_sync(standin: DiscordStandIn, world: World, bot: TinyBot) -> None:
    assert bot.user is not None and bot.user.id == standin.bot.id
    assert bot.application_id == standin.application_id
    names = {c["name"] for c in standin.commands}
    assert {"work", "credits", "upload", "counter", "rename"} <= names
    assert standin.command_puts == 1
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.me is not None
    assert guild.filesize_limit == 10 * 1024 * 1024
    nsfw = guild.get_channel(world.nsfw_channel.id)
    assert isinstance(nsfw, discord.TextChannel) and nsfw.nsfw
    assert (await bot.tree.fetch_commands())[0].id == int(standin.commands[0]["id"])


async def test_deferred_ephemeral_then_edit_then_public_followup(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    ix = await standin.slash(world.channel, world.alice, "work", prompt="a cat")
    await ix.wait_for_ack()
    await ix.wait_until(lambda ix: len(ix.followups) == 1)
    assert ix.callbacks[0] == (5, {"flags": FLAG_EPHEMERAL})
    assert ix.ack_latency is not None and 0 <= ix.ack_latency < 1
    assert ix.original is not None and ix.original.ephemeral and not ix.original.loading
    assert ix.original.content == "working on a cat"
    assert ix.original.history[0]["flags"] & 128  # it was "thinking"
    followup = ix.followups[0]
    assert followup.content == "done: a cat" and not followup.ephemeral
    assert world.channel.messages == [followup]  # the ephemeral original is not in the channel


async def test_first_followup_after_deferral_is_the_ephemeral_original(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    ix = await standin.slash(world.channel, world.alice, "quick")
    await ix.wait_until(lambda ix: ix.original is not None and not ix.original.loading)
    await standin.wait_until(lambda: "quick" in bot.results)
    sent: discord.WebhookMessage = bot.results["quick"]
    assert ix.followups == []
    assert ix.original is not None and sent.id == ix.original.id
    assert ix.original.content == "quick answer" and ix.original.ephemeral and sent.flags.ephemeral
    assert world.channel.messages == []


async def test_subcommand_with_member_option_and_default_permissions(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    ix = await standin.slash(
        world.channel, world.mod, "credits", "grant", member=world.alice, amount=5
    )
    await ix.wait_until(lambda ix: ix.original is not None)
    assert ix.original is not None and ix.original.content == "granted 5 to alice"
    option = ix.payload["data"]["options"][0]
    assert option["type"] == 1 and option["name"] == "grant"
    assert str(world.alice.id) in ix.payload["data"]["resolved"]["members"]
    assert int(ix.payload["member"]["permissions"]) & Perm.MANAGE_GUILD
    with pytest.raises(CommandUnavailable):
        await standin.slash(
            world.channel, world.alice, "credits", "grant", member=world.mod, amount=1
        )


async def test_attachment_option_is_downloaded_and_echoed(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    uploaded = standin.register_attachment(PNG, "cat.png")
    ix = await standin.slash(world.channel, world.alice, "upload", image=uploaded)
    await ix.wait_until(lambda ix: ix.original is not None)
    assert ix.original is not None
    echoed = ix.original.attachments[0]
    assert (
        echoed.data == PNG and echoed.filename == "echo.png" and echoed.content_type == "image/png"
    )
    assert (echoed.width, echoed.height) == (3, 2)
    assert Image.open(io.BytesIO(echoed.data)).size == (3, 2)


async def test_dynamic_button_survives_a_restart(standin: DiscordStandIn, world: World) -> None:
    first = await start_bot(standin)
    ix = await standin.slash(world.channel, world.alice, "counter")
    await ix.wait_until(lambda ix: ix.original is not None)
    assert ix.original is not None
    message = ix.original
    assert message.custom_ids() == ["counter:0"]
    await stop_bot(first)

    second = await start_bot(standin, sync=False)
    try:
        assert standin.command_puts == 1  # the restarted bot did not re-register
        await standin.wait_for_ready(min_identifies=2)
        click = await standin.click(message, "counter:0", world.mod)
        await click.wait_until(lambda ix: message.content == "count=1")
        assert click.callbacks[0][0] == 7
        assert message.custom_ids() == ["counter:1"] and message.history[-1]["content"] == "count=0"
    finally:
        await stop_bot(second)


async def test_modal_roundtrip(standin: DiscordStandIn, world: World, bot: TinyBot) -> None:
    ix = await standin.slash(world.channel, world.alice, "rename")
    await ix.wait_for_ack()
    assert (
        ix.callbacks[0][0] == 9 and ix.modal is not None and ix.modal["custom_id"] == "rename-modal"
    )
    submit = await standin.submit_modal(
        "rename-modal", {"prompt": "new text"}, world.alice, world.channel
    )
    await submit.wait_until(lambda ix: ix.original is not None)
    assert submit.original is not None and submit.original.content == "renamed to new text"


async def test_autocomplete(standin: DiscordStandIn, world: World, bot: TinyBot) -> None:
    ix = await standin.autocomplete(
        world.channel, world.alice, "pick", focused="model", model="flux"
    )
    await ix.wait_for_ack()
    assert ix.choices is not None and [c["value"] for c in ix.choices] == [
        "flux-dev",
        "flux-schnell",
    ]


async def test_dm_interaction(standin: DiscordStandIn, world: World, bot: TinyBot) -> None:
    ix = await standin.slash(standin.dm_channel(world.alice), world.alice, "whoami")
    await ix.wait_until(lambda ix: ix.original is not None)
    assert "guild_id" not in ix.payload and ix.payload["user"]["username"] == "alice"
    assert ix.original is not None and ix.original.content == "alice guild=None"


async def test_channel_send_with_file_stores_bytes(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    channel = bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("a picture", file=discord.File(io.BytesIO(PNG), "cat.png"))
    stored = world.channel.messages[-1]
    assert stored.id == sent.id and stored.author is standin.bot
    assert stored.attachments[0].data == PNG and stored.attachments[0].size == len(PNG)
    assert await sent.attachments[0].read() == PNG  # served by the stand-in
    assert [m.id async for m in channel.history(limit=5)] == [sent.id]


async def test_links_expire_and_a_message_fetched_again_has_fresh_ones(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    channel = bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(file=discord.File(io.BytesIO(PNG), "cat.png"))
    assert "hm=" in sent.attachments[0].url  # signed, as Discord's links are
    world.channel.messages[-1].attachments[0].expire_links()  # a day later
    with pytest.raises(discord.NotFound):
        await sent.attachments[0].read()
    again = await channel.fetch_message(sent.id)
    assert again.attachments[0].url != sent.attachments[0].url
    assert await again.attachments[0].read() == PNG

    standin.delete_message(world.channel.messages[-1])
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(sent.id)


async def test_threads_and_forum_posts_as_discord_has_them(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    forum = world.guild.add_forum("gallery", nsfw=True)
    await standin.wait_until(lambda: bot.get_channel(forum.id) is not None)
    assert isinstance(bot.get_channel(forum.id), discord.ForumChannel)

    # A thread from a message, then one without: THREAD_CREATE puts them in the cache.
    text = bot.get_channel(world.channel.id)
    assert isinstance(text, discord.TextChannel)
    starter = await text.send("let's talk")
    from_message = await starter.create_thread(name="talk")
    assert from_message.id == starter.id and from_message.parent_id == world.channel.id
    world.channel.bot_denied = Perm.CREATE_PRIVATE_THREADS
    with pytest.raises(discord.Forbidden):
        await text.create_thread(name="secret", type=discord.ChannelType.private_thread)
    world.channel.bot_denied = 0
    private = await text.create_thread(name="secret", type=discord.ChannelType.private_thread)
    assert private.type is discord.ChannelType.private_thread
    await standin.wait_until(lambda: bot.get_channel(private.id) is not None)
    with pytest.raises(discord.HTTPException) as again:
        await starter.create_thread(name="talk again")
    assert again.value.code == 160004

    # A forum post is a thread with a starter message of the same id; the forum itself
    # takes no messages.
    gallery = bot.get_channel(forum.id)
    assert isinstance(gallery, discord.ForumChannel)
    post = await gallery.create_thread(name="my post", content="first!")
    assert post.thread.id == post.message.id and post.thread.parent_id == forum.id
    assert post.thread.is_nsfw()  # a thread is as age-restricted as its parent
    with pytest.raises(discord.HTTPException) as direct:
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=forum.id)
        await bot.http.request(route, json={"content": "x"})
    assert direct.value.code == 50024
    stand_post = next(t for t in world.guild.threads if t.id == post.thread.id)
    assert stand_post.type == PUBLIC_THREAD and stand_post.messages[0].content == "first!"

    # An interaction from a thread carries the thread as its channel, with its parent.
    ix = await standin.slash(stand_post, world.alice, "where")
    await ix.wait_until(lambda ix: ix.original is not None)
    assert ix.payload["channel_id"] == str(post.thread.id)
    assert ix.payload["channel"]["parent_id"] == str(forum.id)
    assert ix.original is not None
    assert ix.original.content == f"Thread {post.thread.id} parent={forum.id} nsfw=True"
    with pytest.raises(ValueError):
        await standin.slash(forum, world.alice, "where")

    # A message unarchives an archived thread; a locked one refuses it.
    world.guild.set_archived(stand_post)
    await post.thread.send("back")
    assert not stand_post.archived
    world.guild.set_archived(stand_post, locked=True)
    with pytest.raises(discord.HTTPException) as locked:
        await post.thread.send("no")
    assert locked.value.code == 50083


async def test_history_honours_after_before_limit_and_access(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    channel = bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = [await channel.send(f"m{n}") for n in range(7)]
    ids = [m.id for m in sent]
    after = [m.id async for m in channel.history(after=sent[1], limit=3)]
    assert after == ids[2:5]  # oldest first from after=
    before = [m.id async for m in channel.history(before=sent[5], limit=2)]
    assert before == [ids[4], ids[3]]
    assert [m.id async for m in channel.history(limit=None, after=sent[4])] == ids[5:]
    world.channel.bot_denied = Perm.READ_MESSAGE_HISTORY
    assert [m async for m in channel.history(limit=10)] == []  # Discord says nothing
    world.channel.bot_denied = Perm.VIEW_CHANNEL
    with pytest.raises(discord.Forbidden):
        [m async for m in channel.history(limit=10)]
    world.channel.bot_denied = 0
    standin.fail("GET", "/channels/{channel}/messages", 503)
    with pytest.raises(discord.DiscordServerError):
        [m async for m in channel.history(limit=10)]
    assert len([m async for m in channel.history(limit=10)]) == 7


async def test_sixth_message_in_five_seconds_is_rate_limited_then_delivered() -> None:
    async with DiscordStandIn(hide_message_rate_limit=True) as standin:
        world = World(standin)
        with standin.install():
            bot = await start_bot(standin)
            try:
                channel = bot.get_channel(world.channel.id)
                assert isinstance(channel, discord.TextChannel)
                loop = asyncio.get_running_loop()
                started = loop.time()
                for n in range(6):
                    await channel.send(f"message {n}")
                elapsed = loop.time() - started
            finally:
                await stop_bot(bot)
        assert len(standin.rate_limited) == 1
        assert [m.content for m in world.channel.messages] == [f"message {n}" for n in range(6)]
        assert elapsed > 4


async def test_honest_ratelimit_headers_make_discordpy_wait_instead() -> None:
    async with DiscordStandIn(message_rate_limit=(5, 1.0)) as standin:
        world = World(standin)
        with standin.install():
            bot = await start_bot(standin)
            try:
                channel = bot.get_channel(world.channel.id)
                assert isinstance(channel, discord.TextChannel)
                loop = asyncio.get_running_loop()
                started = loop.time()
                for n in range(6):
                    await channel.send(f"message {n}")
                elapsed = loop.time() - started
            finally:
                await stop_bot(bot)
        assert standin.rate_limited == []  # discord.py read the bucket and slept pre-emptively
        assert len(world.channel.messages) == 6
        assert elapsed > 0.8


async def test_expired_token_answers_401_50027(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    standin.token_ttl = 0.5
    ix = await standin.slash(world.channel, world.alice, "late")
    await standin.wait_until(lambda: "late" in bot.results)
    await asyncio.sleep(0.6)
    interaction: discord.Interaction = bot.results["late"]
    with pytest.raises(discord.HTTPException) as caught:
        await interaction.followup.send("too late")
    assert not isinstance(caught.value, discord.NotFound)  # 401 is a plain HTTPException
    assert (caught.value.status, caught.value.code) == (401, 50027)
    assert ("followup", 50027) in ix.rejected


async def test_upload_over_the_guild_limit_is_413(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    small = standin.add_guild("Small", filesize_limit=1024)
    room = small.add_channel("uploads")
    await standin.wait_until(lambda: bot.get_channel(room.id) is not None)
    channel = bot.get_channel(room.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(file=discord.File(io.BytesIO(b"x" * 2048), "big.bin"))
    assert (caught.value.status, caught.value.code) == (413, 40005)
    assert room.messages == []


async def test_late_ack_and_double_ack(standin: DiscordStandIn, world: World, bot: TinyBot) -> None:
    standin.ack_deadline = 0.2
    ix = await standin.slash(world.channel, world.alice, "slow")
    await standin.wait_until(lambda: "slow" in bot.results)
    assert isinstance(bot.results["slow"], discord.NotFound) and bot.results["slow"].code == 10062
    assert ix.rejected == [("callback 4", 10062)] and not ix.acked

    standin.ack_deadline = 3.0
    ix = await standin.slash(world.channel, world.alice, "whoami")
    await ix.wait_for_ack()
    url = f"{standin.api_base}/interactions/{ix.id}/{ix.token}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as response:
            assert response.status == 400
            assert (await response.json())["code"] == 40060


async def test_resume_after_reconnect(standin: DiscordStandIn, world: World, bot: TinyBot) -> None:
    assert standin.request_reconnect() == 1
    await standin.wait_until(lambda: standin.gateway.resume_count == 1)
    ix = await standin.slash(world.channel, world.alice, "whoami")
    await ix.wait_until(lambda ix: ix.original is not None)
    assert standin.gateway.identify_count == 1


async def test_unknown_routes_auth_and_ratelimit_headers(standin: DiscordStandIn) -> None:
    headers = {"Authorization": f"Bot {standin.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{standin.api_base}/users/@me", headers=headers) as response:
            assert response.status == 200
            assert {
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
                "X-RateLimit-Reset-After",
                "X-RateLimit-Bucket",
            } <= set(response.headers)
        async with session.get(f"{standin.api_base}/users/@me") as response:
            assert response.status == 401
        async with session.get(f"{standin.api_base}/no/such/route", headers=headers) as response:
            assert response.status == 404
            assert await response.json() == {"message": "404: Not Found", "code": 0}
    assert [r.path for r in standin.unknown_requests] == ["/api/v10/no/such/route"]
    standin.unknown_requests.clear()


async def test_member_overwrites_reach_the_client_and_the_interactions_permissions(
    standin: DiscordStandIn, world: World, bot: TinyBot
) -> None:
    staff = world.guild.add_channel("staff")
    world.guild.set_overwrite(staff, world.alice, allow=Perm.MANAGE_CHANNELS)
    world.guild.set_overwrite(staff, world.mod, deny=Perm.MANAGE_MESSAGES)
    # CHANNEL_UPDATE arrives on its own.
    await standin.wait_until(
        lambda: len(getattr(bot.get_channel(staff.id), "overwrites", {})) >= 2, timeout=5)
    cached = bot.get_channel(staff.id)
    assert isinstance(cached, discord.TextChannel)
    by_id = {target.id: overwrite for target, overwrite in cached.overwrites.items()}
    assert by_id[world.alice.id].manage_channels is True
    assert by_id[world.mod.id].manage_messages is False

    def member_permissions(ix: Any) -> int:
        return int(ix.payload["member"]["permissions"])

    assert member_permissions(await standin.slash(staff, world.alice, "quick")) \
        & Perm.MANAGE_CHANNELS
    assert not member_permissions(await standin.slash(world.channel, world.alice, "quick")) \
        & Perm.MANAGE_CHANNELS
    assert not member_permissions(await standin.slash(staff, world.mod, "quick")) \
        & Perm.MANAGE_MESSAGES
    assert member_permissions(await standin.slash(world.channel, world.mod, "quick")) \
        & Perm.MANAGE_MESSAGES
