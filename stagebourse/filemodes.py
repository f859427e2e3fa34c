"""Files and folders readable by the service's account only: files 0600, folders 0700,
whatever the process's umask. Used for the SQLite database, the instance folder and every
private upload (docs/privacy.md, "File modes"). No Flask here: config.py uses it too."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as 0700 folders (an existing folder is left as
    the operator made it, except ``path`` itself, which is narrowed to 0700)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        folder.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask
    if path.stat().st_mode & 0o077:
        path.chmod(DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the service's account only: created 0600 (never briefly
    0644, as a write then chmod would leave it), its folder 0700."""
    make_private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # an existing file keeps its mode through O_CREAT
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
    finally:
        os.close(descriptor)


def create_private_file(path: Path) -> None:
    """An empty file made 0600 if it does not exist yet, else narrowed to 0600: the SQLite
    database before its first connection (SQLite gives its -wal and -shm files the mode of the
    database file)."""
    if not path.parent.exists():
        make_private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        if os.fstat(descriptor).st_mode & 0o077:
            os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///path`` URL; None for memory databases and servers."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            path = url[len(prefix):].split("?", 1)[0]
            return Path(path) if path and path != ":memory:" else None
    return None
