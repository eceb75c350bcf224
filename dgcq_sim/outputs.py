"""Output paths checked before any work: :func:`check_output_file`, :func:`check_output_dir`.

An output is refused up front unless a probe file can really be created (and removed) where
the output will go: this catches read-only mounts, ``/proc``, over-long names and missing
parents, which ``os.access`` alone does not.  Messages name the flag and the path.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from .errors import InputError


def _name_max(directory: Path) -> int:
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _check_components(path: Path, flag: str) -> None:
    if "\x00" in str(path):
        raise InputError(f"{flag} {str(path)!r}: the path contains a NUL byte")
    base = path.absolute()
    limit = _name_max(_existing_ancestor(base))
    for part in base.parts:
        if len(os.fsencode(part)) > limit:
            raise InputError(f"{flag}: the name {part[:40]!r}... is {len(os.fsencode(part))} "
                             f"bytes long; this file system allows {limit}")


def _existing_ancestor(path: Path) -> Path:
    p = path
    while True:
        try:
            if p.exists():
                return p
        except OSError:
            pass
        if p.parent == p:
            return p
        p = p.parent


def _probe(directory: Path, flag: str, target: Path) -> None:
    """Create and remove a probe file in ``directory``; InputError naming ``target`` if not."""
    probe = directory / f".dgcq-sim-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with open(probe, "xb"):
            pass
    except OSError as exc:
        raise InputError(f"{flag} {str(target)!r}: cannot write in {str(directory)!r} "
                         f"({exc.strerror or exc})") from None
    try:
        probe.unlink()
    except OSError:
        pass


def check_output_file(path: str | Path, flag: str = "--out") -> Path:
    """Refuse an output file that could not be written, before any work.

    The parent directory must exist and accept a new file (checked by creating and removing
    a probe file there); an existing ``path`` must be a regular file (it is overwritten).
    """
    p = Path(path)
    if not str(path).strip():
        raise InputError(f"{flag}: empty file name")
    _check_components(p, flag)
    try:
        if p.is_dir():
            raise InputError(f"{flag} {str(p)!r} is a directory; give a file name")
    except OSError as exc:
        raise InputError(f"{flag} {str(p)!r}: {exc.strerror or exc}") from None
    parent = p.absolute().parent
    if not parent.is_dir():
        raise InputError(f"{flag} {str(p)!r}: directory {str(parent)!r} does not exist")
    _probe(parent, flag, p)
    return p


def check_output_dir(path: str | Path, flag: str = "--out") -> Path:
    """Refuse an output directory that could not be created or written, before any work.

    It may not exist yet (created later); then its nearest existing ancestor must be a
    directory that accepts a new file (probe created and removed there).  Nothing stays.
    """
    p = Path(path)
    if not str(path).strip():
        raise InputError(f"{flag}: empty directory name")
    _check_components(p, flag)
    if p.exists():
        if not p.is_dir():
            raise InputError(f"{flag} {str(p)!r} exists and is not a directory")
        _probe(p, flag, p)
        return p
    anc = _existing_ancestor(p.absolute().parent)
    if not anc.is_dir():
        raise InputError(f"{flag} {str(p)!r}: {str(anc)!r} is a file, not a directory")
    _probe(anc, flag, p)
    return p
