"""`python -m demo` (or `scripts/run demo`): the bot against the stand-ins, and the page."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from aiohttp import web

from bot.log import quiet_voice_warnings
from demo.web import make_app
from demo.world import DemoWorld

log = logging.getLogger("demo")


async def serve(host: str, port: int) -> None:
    """Runs the demo until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with DemoWorld() as world:
        runner = web.AppRunner(make_app(world), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            log.info("the demo is ready: open http://%s:%d (Ctrl+C stops it)", host, port)
            await stop.wait()
        finally:
            await runner.cleanup()


def main() -> None:
    """Parses the command line and runs the demo."""
    parser = argparse.ArgumentParser(prog="scripts/run demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="where the page listens")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    quiet_voice_warnings()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
