"""Command line of the Sunshare game server."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import logging

from aiohttp import web

from game_server import __version__

LOGGER = logging.getLogger(__package__)


async def healthz(request: web.Request) -> web.Response:
    """Answer the health check."""
    return web.json_response({"status": "ok", "version": __version__})


def create_app() -> web.Application:
    """Create the web application."""
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the server."""
    parser = argparse.ArgumentParser(prog="python -m game_server")
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    web.run_app(create_app(), host=args.host, port=args.port)
    return 0
