"""Command line of the Sunshare game server.

``python -m game_server`` runs the server; ``create-admin``, ``export`` and ``import`` work
on the same data directory or database without starting it; ``check``, ``backup`` and
``restore`` check, copy (also while the server runs) and put back the SQLite file.
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
import sqlite3
import sys
from typing import Any

from aiohttp import web

from game_server.app import Settings, configure_logging, create_app
from game_server.errors import GameError
from game_server.models import Role
from game_server.services import GameService, Registration
from game_server.storage import StorageError, StorageUnavailable, open_storage
from game_server.storage.files import prepare_data_dir
from game_server.storage.maintenance import (
    backup_database,
    check_database,
    restore_database,
)
from game_server.storage.sqlite import SQLiteStorage

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
    check = commands.add_parser(
        "check",
        help="check the SQLite database's integrity (exit status 1 on a problem)",
    )
    _storage_options(check, suppress=True)
    backup = commands.add_parser(
        "backup",
        help="copy the SQLite database to a new file (also while the server runs)",
    )
    backup.add_argument(
        "destination",
        type=Path,
        help="new file, or a directory (the copy is named sunshare-DATE-TIME.db)",
    )
    _storage_options(backup, suppress=True)
    restore = commands.add_parser(
        "restore",
        help="put a backup in place of the SQLite database (stop the server first)",
    )
    restore.add_argument("backup", type=Path, help="file written by backup")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace a database that holds data (it is kept under another name)",
    )
    _storage_options(restore, suppress=True)
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


def _sqlite_path(args: argparse.Namespace) -> Path:
    """Return the SQLite file of the command line (refuse MongoDB)."""
    storage = open_storage(args.database, args.data_dir)
    if not isinstance(storage, SQLiteStorage):
        raise StorageError(
            f"{args.command} works on SQLite databases; for MongoDB use mongodump and"
            " mongorestore (or export and import)"
        )
    return storage.path


def _restore_hint(args: argparse.Namespace) -> str:
    """Return what to do about a damaged SQLite file."""
    options = f"--data-dir {args.data_dir}"
    if args.database:
        options = f"--database {args.database}"
    return (
        f"check it with: python -m game_server check {options}; restore a backup with:"
        f" python -m game_server restore FILE --force {options}"
        " (docs/game-server.md, 'Backup and restore')"
    )


async def _check(args: argparse.Namespace) -> int:
    """Check the integrity of the SQLite file; print ok or the problems."""
    path = _sqlite_path(args)
    report = await asyncio.to_thread(check_database, path)
    if report.ok:
        print(
            f"ok: {path} (schema {report.schema}): integrity and foreign keys checked"
        )
        return 0
    print(f"{path}: {len(report.problems)} problem(s):")
    for problem in report.problems:
        print(f"  {problem}")
    print(_restore_hint(args), file=sys.stderr)
    return 1


async def _backup(args: argparse.Namespace) -> int:
    """Copy the SQLite file with SQLite's online backup API."""
    path = _sqlite_path(args)
    written = await asyncio.to_thread(backup_database, path, args.destination)
    size = (await asyncio.to_thread(written.stat)).st_size
    print(f"Backed up {path} to {written} ({size} bytes, integrity checked).")
    return 0


async def _restore(args: argparse.Namespace) -> int:
    """Put a checked backup in place of the SQLite file."""
    path = _sqlite_path(args)
    saved = await asyncio.to_thread(
        restore_database, args.backup, path, force=args.force
    )
    if saved is not None:
        print(f"The replaced database is kept as {saved}.")
    print(f"Restored {args.backup} into {path}.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Run the server until it is stopped; a start-up failure is one clear message."""
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
    try:
        prepare_data_dir(settings.data_dir)  # also holds the session key
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            shutdown_timeout=settings.shutdown_timeout,
            access_log=None,
            print=None,
        )
    except (StorageError, OSError) as err:
        print(f"error: the server cannot start: {err}", file=sys.stderr)
        if isinstance(err, StorageUnavailable) and isinstance(
            err.__cause__, sqlite3.Error
        ):
            print(_restore_hint(args), file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the server or a command."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        return _serve(args)
    configure_logging(logging.WARNING, json_format=False)
    commands = {
        "create-admin": _create_admin,
        "export": _export,
        "import": _import,
        "check": _check,
        "backup": _backup,
        "restore": _restore,
    }
    try:
        return asyncio.run(commands[args.command](args))
    except GameError as err:
        print(f"error: {err.message}", file=sys.stderr)
    except (StorageError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
    return 1
