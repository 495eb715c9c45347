"""cogs/common/job/delivery.py's upload file: the image's bytes go out as they are, not copied."""

from __future__ import annotations

import gc
import os
import weakref

import aiohttp
import discord
from aiohttp import web

from cogs.common.job.delivery import discord_file


async def test_the_upload_sends_the_images_bytes_without_copying_them() -> None:
    data = os.urandom(1_000_000)
    received: list[bytes] = []

    async def upload(request: web.Request) -> web.Response:
        async for part in await request.multipart():
            assert isinstance(part, aiohttp.BodyPartReader)
            received.append(await part.read())
        return web.Response(text="ok")

    app = web.Application(client_max_size=4 * 2**20)
    app.router.add_post("/upload", upload)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        file = discord_file(data, "image.webp")
        # As discord.py builds its multipart upload.
        form = aiohttp.FormData(quote_fields=False)
        form.add_field(name="files[0]", value=file.fp, filename=file.filename,
                       content_type="application/octet-stream")
        # The payload aiohttp makes of the file holds the image's own bytes object.
        payload = aiohttp.payload.get_payload(file.fp)
        assert await payload.as_bytes() is data
        async with aiohttp.ClientSession() as session, session.post(
                f"http://127.0.0.1:{port}/upload", data=form) as reply:
            assert reply.status == 200
    finally:
        await runner.cleanup()
    assert received == [data]


def test_a_sent_files_image_is_freed_with_the_file_without_the_collector() -> None:
    # discord.py closes each file after sending it (MultipartParameters' exit); the
    # buffer holding the image must then go with the file by reference counting alone,
    # not wait for the cycle collector's full pass.
    gc.disable()
    try:
        file = discord_file(os.urandom(1_000), "image.png")
        with discord.http.handle_message_parameters(file=file) as params:
            assert params.files == [file]
        buffer = weakref.ref(file.fp)
        del file, params
        assert buffer() is None
    finally:
        gc.enable()
