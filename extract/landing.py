"""Immutable raw files: written to a temporary name, fsynced, renamed, never touched again.

Directories are owner-only (0700) and files owner-read-only (0400): the raw zone is the
only place verbatim patient-adjacent text lives.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o400


def ensure_dir(path: Path) -> Path:
    """Create `path` (and parents) owner-only."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write `data` to `path` so readers see either nothing or the whole file."""
    ensure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def gzip_text(text: str) -> bytes:
    """Gzip with a fixed header time, so equal content gives equal bytes."""
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
