"""Command line of the Sunshare game server.

``python -m game_server`` runs the server; ``create-admin``, ``export`` and ``import`` work
on the same data directory or database without starting it.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import getpass
import json
import logging
import os
from pathlib import Path
import sys
from typing import Any

from aiohttp import web

from game_server.app import Settings, configure_logging, create_app
from game_server.errors import GameError
from game_server.models import Role
from game_server.services import GameService, Registration
from game_server.storage import StorageError, open_storage

__all__ = ["create_app", "main"]

LOGGER = logging.getLogger(__package__)
PASSWORD_ENV = "SUNSHARE_ADMIN_PASSWORD"  # noqa: S105
LOG_LEVEL_ENV = "SUNSHARE_LOG_LEVEL"
"""Log level of the server (debug, info, warning, error); the add-on's option."""


def _storage_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Add the data directory and database options."""
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default if suppress else Path("data"),
        help="directory for the SQLite file and the session key (default: ./data)",
    )
    parser.add_argument(
        "--database",
        default=default,
        help="database URL: mongodb://… for MongoDB (default: SQLite in the data dir)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m game_server", description="Sunshare serious game server"
    )
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on")  # noqa: S104
    parser.add_argument("--port", type=int, default=8099, help="port (default: 8099)")
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDRESS",
        help="address whose ingress and forwarded headers are trusted (repeatable;"
        " default: 172.30.32.2, the Home Assistant Supervisor)",
    )
    _storage_options(parser, suppress=False)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="seed a demo season (teams, players, 60 days of data) into an empty database",
    )
    parser.add_argument(
        "--log-format", choices=("json", "text"), default="json", help="log format"
    )
    commands = parser.add_subparsers(dest="command")
    admin = commands.add_parser("create-admin", help="create an admin account")
    admin.add_argument("username")
    admin.add_argument("--display-name", help="shown name (default: the username)")
    _storage_options(admin, suppress=True)
    export = commands.add_parser("export", help="write a JSON backup of everything")
    export.add_argument(
        "--output", "-o", default="-", help="file to write (default: standard output)"
    )
    _storage_options(export, suppress=True)
    load = commands.add_parser(
        "import", help="load a JSON backup into an empty database"
    )
    load.add_argument("file", help="backup file ('-' for standard input)")
    _storage_options(load, suppress=True)
    return parser


def _read_password() -> str:
    """Return the admin password from the environment or an interactive prompt."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise GameError("the passwords differ", field="password")
    return first


async def _create_admin(args: argparse.Namespace) -> int:
    """Create an admin account."""
    password = _read_password()
    storage = open_storage(args.database, args.data_dir)
    await storage.open()
    try:
        service = GameService(storage)
        user = await service.register(
            Registration(
                username=args.username,
                password=password,
                display_name=args.display_name or args.username,
            ),
            role=Role.ADMIN,
        )
        await service.audit(None, "user.create_admin", "user", user.id)
    finally:
        await storage.close()
    print(f"Admin account {user.username} created.")
    return 0


async def _export(args: argparse.Namespace) -> int:
    """Write everything stored as JSON."""
    storage = open_storage(args.database, args.data_dir)
    await storage.open()
    try:
        document = await storage.export_data()
    finally:
        await storage.close()
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
    return 0


async def _import(args: argparse.Namespace) -> int:
    """Load a JSON backup into an empty storage."""
    if args.file == "-":
        text = sys.stdin.read()
    else:
        text = await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise StorageError(f"the backup is not valid JSON: {err}") from err
    storage = open_storage(args.database, args.data_dir)
    await storage.open()
    try:
        await storage.import_data(document)
    finally:
        await storage.close()
    counts = {k: len(v) for k, v in document.items() if isinstance(v, list)}
    print("Imported " + ", ".join(f"{n} {k}" for k, n in counts.items() if n))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the server or a command."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        level = logging.getLevelNamesMapping().get(
            os.environ.get(LOG_LEVEL_ENV, "info").upper(), logging.INFO
        )
        configure_logging(level, json_format=args.log_format == "json")
        settings = Settings(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            database_url=args.database,
            demo=args.demo,
            trusted_proxies=frozenset(args.trusted_proxy or {"172.30.32.2"}),
        )
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            shutdown_timeout=settings.shutdown_timeout,
            access_log=None,
            print=None,
        )
        return 0
    configure_logging(logging.WARNING, json_format=False)
    commands = {"create-admin": _create_admin, "export": _export, "import": _import}
    try:
        return asyncio.run(commands[args.command](args))
    except GameError as err:
        print(f"error: {err.message}", file=sys.stderr)
    except (StorageError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
    return 1
