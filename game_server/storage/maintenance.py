"""Maintenance of the SQLite database: integrity check, online backup and restore.

Each function is blocking (run it in a thread from async code) and opens its own
connections, so it works while a server holds the same database: in WAL mode readers
never wait for the writer. ``backup_database`` copies the database with SQLite's online
backup API in one step, that is inside one read transaction: the copy is the database as
it was when the step started, every write committed before included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
import os
from pathlib import Path
import sqlite3

from .base import COLLECTIONS, StorageError, StorageUnavailable
from .files import SIDE_FILES, create_private_file, prepare_data_dir
from .sqlite import SCHEMA_VERSION, is_fault

BUSY_TIMEOUT_MS = 10_000


@dataclass(slots=True)
class CheckReport:
    """What ``check_database`` found: the schema version and the problems (none: ok)."""

    path: Path
    schema: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether the database passed every check."""
        return not self.problems


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """Open an existing database file read-only (never creating one)."""
    if path.parent.exists() and not path.parent.is_dir():
        raise StorageUnavailable(f"the data directory {path.parent} is not a directory")
    if not path.is_file():
        raise StorageUnavailable(f"there is no database file at {path}")
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
    except sqlite3.Error as err:
        raise StorageUnavailable(f"{path}: {err}") from err
    return conn


def _problems(conn: sqlite3.Connection) -> list[str]:
    """Return what ``PRAGMA integrity_check`` and ``foreign_key_check`` report."""
    problems = [
        str(row[0])
        for row in conn.execute("PRAGMA integrity_check").fetchall()
        if row[0] != "ok"
    ]
    problems += [
        f"{table} row {rowid} refers to a missing {parent} (foreign key)"
        for table, rowid, parent, _ in conn.execute(
            "PRAGMA foreign_key_check"
        ).fetchall()
    ]
    return problems


def check_database(path: Path) -> CheckReport:
    """Check a database file: integrity, foreign keys, schema version (read-only).

    A file SQLite cannot read at all (not a database, truncated header) is reported as
    a problem; a missing or locked file raises ``StorageUnavailable``.
    """
    report = CheckReport(path)
    conn = _connect_readonly(path)
    try:
        report.schema = int(conn.execute("PRAGMA user_version").fetchone()[0])
        report.problems = _problems(conn)
    except sqlite3.Error as err:
        if isinstance(err, sqlite3.OperationalError):
            raise StorageUnavailable(f"{path}: {err}") from err
        report.problems.append(str(err))
    finally:
        conn.close()
    if report.schema > SCHEMA_VERSION:
        report.problems.append(
            f"schema {report.schema} is newer than this server's ({SCHEMA_VERSION})"
        )
    return report


def _fsync(path: Path) -> None:
    """Flush a file (or directory) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp() -> str:
    """Return the current UTC time for file names."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _copy(source: Path, copy: Path) -> list[str]:
    """Copy a database into an empty file as a single file; return its problems."""
    try:
        src = _connect_readonly(source)
        try:
            dst = sqlite3.connect(copy, isolation_level=None)
            try:
                # One step (all pages): a single read transaction, one snapshot.
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
                return _problems(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as err:
        if is_fault(err):
            raise StorageUnavailable(f"{source}: {err}") from err
        raise StorageError(f"{source}: {err}") from err


def backup_database(source: Path, destination: Path) -> Path:
    """Copy a database (live or not) to a new file; return the file written.

    ``destination`` is a file that does not exist yet, or a directory (the copy is then
    named ``sunshare-YYYYMMDD-HHMMSS.db``). The copy is written beside it under a
    temporary name, switched to a single file (no ``-wal``), checked, flushed to disk,
    then renamed: a failed backup never leaves a file that looks complete. Its mode
    is 0600.
    """
    if destination.is_dir():
        destination = destination / f"{source.stem}-{_stamp()}{source.suffix}"
    if destination.exists() or destination.is_symlink():
        raise StorageError(f"{destination} exists: choose a new file name")
    if not destination.parent.is_dir():
        raise StorageError(f"the directory {destination.parent} does not exist")
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)
    try:
        problems = _copy(source, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if problems:
        partial.unlink(missing_ok=True)
        raise StorageError(
            f"the copy of {source} fails its integrity check: " + "; ".join(problems)
        )
    _fsync(partial)
    os.replace(partial, destination)
    _fsync(destination.parent)
    return destination


def _holds_data(path: Path) -> bool:
    """Return whether a database file holds any of the game's records (or is unreadable)."""
    if not path.exists():
        return False
    try:
        conn = _connect_readonly(path)
        try:
            tables = {
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).fetchall()
            }
            for coll in COLLECTIONS:
                if coll.name not in tables:
                    continue
                query = f'SELECT 1 FROM "{coll.name}" LIMIT 1'  # noqa: S608
                if conn.execute(query).fetchone() is not None:
                    return True
        finally:
            conn.close()
    except (sqlite3.DatabaseError, StorageUnavailable):
        return True  # corrupt or foreign: something to keep aside, not to overwrite
    return False


def _move_aside(target: Path) -> Path:
    """Rename a database file and its side files to ``<name>.before-restore-<time>``."""
    saved = target.with_name(f"{target.name}.before-restore-{_stamp()}")
    for suffix in ("", *SIDE_FILES):
        source = target.with_name(target.name + suffix)
        if source.exists():
            os.replace(source, saved.with_name(saved.name + suffix))
    return saved


def restore_database(backup: Path, target: Path, *, force: bool = False) -> Path | None:
    """Copy a checked backup into the database file ``target`` (stop the server first).

    Refuses a backup that fails ``check_database``. A target holding data (or that
    cannot be read) is replaced only with ``force``, after being renamed, with its
    ``-wal`` and ``-shm`` files, to ``<target>.before-restore-<time>`` (that path is
    returned; None when there was nothing to keep).
    """
    report = check_database(backup)
    if not report.ok:
        raise StorageError(
            f"the backup {backup} fails its check: " + "; ".join(report.problems)
        )
    prepare_data_dir(target.parent)
    saved: Path | None = None
    if _holds_data(target):
        if not force:
            raise StorageError(
                f"{target} already holds data: add --force to replace it"
                " (it is kept beside it under another name)"
            )
        saved = _move_aside(target)
    create_private_file(target)
    try:
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            dst.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
            src = _connect_readonly(backup)
            try:
                src.backup(dst)
            finally:
                src.close()
            dst.execute("PRAGMA journal_mode=WAL")
            problems = _problems(dst)
        finally:
            dst.close()
    except sqlite3.Error as err:
        if is_fault(err):
            raise StorageUnavailable(f"{target}: {err}") from err
        raise StorageError(f"{target}: {err}") from err
    if problems:
        raise StorageError(
            f"{target} fails its check after the restore: " + "; ".join(problems)
        )
    return saved
