"""Private files of the game server: the data directory (0700) and database files (0600).

The modes are set explicitly (``chmod`` after creating), so they do not depend on the
process umask. SQLite creates its ``-wal`` and ``-shm`` files with the database file's
permissions, so a 0600 database gives 0600 side files.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
import stat

from .base import StorageUnavailable

LOGGER = logging.getLogger(__name__)
DIR_MODE = 0o700
FILE_MODE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")
"""SQLite's files beside a database (WAL, shared memory, rollback journal)."""


def prepare_data_dir(directory: Path) -> None:
    """Create the data directory (mode 0700) unless it exists; refuse anything else.

    An existing directory keeps its mode (it may be shared, e.g. an add-on's ``/data``).
    """
    try:
        info = directory.stat()
    except FileNotFoundError:
        pass
    except OSError as err:
        raise StorageUnavailable(
            f"the data directory {directory} cannot be used: {err.strerror}"
        ) from err
    else:
        if not stat.S_ISDIR(info.st_mode):
            raise StorageUnavailable(
                f"the data directory {directory} is not a directory"
            )
        return
    try:
        directory.mkdir(parents=True, mode=DIR_MODE)
        directory.chmod(DIR_MODE)
    except FileExistsError:
        # Created meanwhile by someone else: use it if it is a directory.
        if not directory.is_dir():
            raise StorageUnavailable(
                f"the data directory {directory} is not a directory"
            ) from None
    except OSError as err:
        raise StorageUnavailable(
            f"cannot create the data directory {directory}: {err.strerror}"
        ) from err
    else:
        LOGGER.info("Created the data directory %s (mode 0700)", directory)


def create_private_file(path: Path) -> bool:
    """Create an empty file with mode 0600 unless it exists; return whether created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    except OSError as err:
        raise StorageUnavailable(f"cannot create {path}: {err.strerror}") from err
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def restrict_file(path: Path) -> None:
    """Remove the group and other permissions of a file (if it exists); log a failure."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    except OSError as err:
        LOGGER.warning("Cannot read the permissions of %s: %s", path, err.strerror)
        return
    if not mode & 0o077:
        return
    try:
        path.chmod(mode & 0o700)
    except OSError as err:
        LOGGER.warning(
            "%s is readable by other users and cannot be restricted: %s",
            path,
            err.strerror,
        )
    else:
        LOGGER.warning("Restricted the permissions of %s to owner only", path)


def restrict_database_files(database: Path) -> None:
    """Remove the group and other permissions of a database and its side files."""
    restrict_file(database)
    for suffix in SIDE_FILES:
        restrict_file(database.with_name(database.name + suffix))
