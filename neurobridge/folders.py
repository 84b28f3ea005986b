"""Folders that cannot lie: one writer at a time, whole folders renamed into place, atomic files.

A folder is owned by one writer at a time: :func:`folder_lock` holds an OS lock
(``fcntl.flock``) on the hidden file ``.<name>.lock`` beside it, which the OS releases when
the process ends, however it ends. :func:`write_folder` fills a hidden staging folder
``.<name>.staging-<pid>-<random>`` next to the target and renames it into place, so the
folder appears complete or not at all; an existing folder is only replaced when asked
(``overwrite``), by renames, so a reader sees the old folder, then none, then the new one,
never a mixture. Staging folders of processes that died are removed by the next write;
every reader skips hidden names. :func:`write_file` writes one file the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import FolderInUseError, FolderNotEmptyError, OutputWriteError

STAGING = "staging"
REPLACED = "replaced"


def lock_path(directory: str | Path) -> Path:
    """The lock file of ``directory``: ``.<name>.lock`` beside it."""
    directory = Path(directory).resolve()
    return directory.parent / f".{directory.name}.lock"


@contextlib.contextmanager
def folder_lock(directory: str | Path) -> Iterator[Path]:
    """Own ``directory`` for the duration of the block, or raise :class:`FolderInUseError` at once.

    The lock file holds the owner's pid (named in the error) and is removed on release.
    """
    path = lock_path(directory)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = _acquire(path, Path(directory))
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(descriptor)


def _acquire(path: Path, directory: Path) -> int:
    """An open, exclusively locked descriptor of the file that is at ``path`` now."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _owner(descriptor)
            os.close(descriptor)
            raise FolderInUseError(f"{directory} is in use by another writer ({owner}): wait for it to finish, "
                                   f"or write elsewhere.") from None
        if _is_current(descriptor, path):
            return descriptor
        os.close(descriptor)  # the previous owner removed the file in between: lock the new one


def _owner(descriptor: int) -> str:
    text = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
    return f"pid {text}" if text.isdigit() else "pid unknown"


def _is_current(descriptor: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(descriptor).st_ino
    except FileNotFoundError:
        return False


def write_folder(directory: str | Path, fill: Callable[[Path], object], overwrite: bool = False) -> Path:
    """Create ``directory`` whole: ``fill`` writes into a hidden staging folder that is then renamed.

    Parameters
    ----------
    directory
        The folder to create. An empty folder is replaced; a non-empty one only with ``overwrite``.
    fill
        Writes the folder's files into the (empty) staging folder it is given.
    overwrite
        Replace an existing non-empty folder (by renames: a reader never sees a mixture).
    """
    directory = Path(directory)
    with writing(directory):
        directory.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(directory)
    refuse_unless_empty(directory, overwrite, "pass overwrite=True to replace it")
    with writing(directory):
        staging = Path(tempfile.mkdtemp(prefix=_hidden(directory, STAGING), dir=directory.parent))
    try:
        fill(staging)
        _move_into_place(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def _move_into_place(staging: Path, directory: Path) -> None:
    with writing(directory):
        if not directory.is_dir() or not any(directory.iterdir()):
            os.replace(staging, directory)  # onto nothing or an empty folder: one atomic rename
            return
        old = Path(tempfile.mkdtemp(prefix=_hidden(directory, REPLACED), dir=directory.parent))
        os.replace(directory, old)
        os.replace(staging, directory)
    shutil.rmtree(old, ignore_errors=True)


def refuse_unless_empty(directory: Path, overwrite: bool, hint: str) -> None:
    """Raise :class:`FolderNotEmptyError` for a non-empty ``directory`` (unless ``overwrite``), or a file."""
    if directory.exists() and not directory.is_dir():
        raise FolderNotEmptyError(f"{directory} is a file, not a folder.")
    if overwrite or not directory.is_dir():
        return
    entries = sorted(p.name for p in directory.iterdir())
    if entries:
        shown = ", ".join(entries[:4]) + (", ..." if len(entries) > 4 else "")
        raise FolderNotEmptyError(f"{directory} is not empty (it holds {shown}): {hint}.")


def clear_folder(directory: Path, keep: Iterable[str] = (), first: Iterable[str] = ()) -> None:
    """Remove what ``directory`` holds except the names in ``keep``; the names in ``first`` go first.

    Removing a commit record (``job.json``) first means a reader never sees it next to other files.
    """
    kept = set(keep)
    with writing(directory):
        for name in first:
            with contextlib.suppress(FileNotFoundError):
                (directory / name).unlink()
        for entry in sorted(directory.iterdir()) if directory.is_dir() else []:
            if entry.name in kept:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def write_file(path: str | Path, content: str | bytes) -> Path:
    """Write ``path`` by rename: readers see the old file or the whole new one."""
    path = Path(path)
    return replace_with(path, lambda temporary: _write(temporary, content))


def replace_with(path: Path, writer: Callable[[Path], object]) -> Path:
    """``writer`` fills a hidden temporary file beside ``path``, which is then renamed onto it."""
    temporary = path.parent / f".{path.name}.{STAGING}-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        with writing(path):
            writer(temporary)
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return path


def _write(path: Path, content: str | bytes) -> None:
    data = content.encode() if isinstance(content, str) else content
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn an ``OSError`` (disk full, permissions) into :class:`OutputWriteError` naming ``path``."""
    try:
        yield
    except (OutputWriteError, FolderInUseError, FolderNotEmptyError):
        raise
    except OSError as error:
        raise OutputWriteError(f"could not write {path}: {reason(error)}") from error


def reason(error: BaseException) -> str:
    """An exception's text on one line: ``strerror`` for OS errors, else the first line of its message."""
    text = getattr(error, "strerror", None) or str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def remove_stale(directory: Path) -> None:
    """Staging (and replaced) folders beside ``directory`` whose process is gone.

    A replaced folder whose process died before the new one was renamed into place is
    put back when ``directory`` is missing (the overwrite did not happen).
    """
    for entry, kind in _stale_entries(directory.parent):
        if _staging_parts(entry.name)[0] != directory.name:
            continue
        if kind == REPLACED and not directory.exists():
            os.replace(entry, directory)
        else:
            _remove(entry)


def remove_stale_files(folder: Path) -> None:
    """Every staging file or folder in ``folder`` whose process is gone (a killed write)."""
    for entry, kind in _stale_entries(folder):
        if kind == STAGING:
            _remove(entry)


def _stale_entries(folder: Path) -> list[tuple[Path, str]]:
    entries = []
    for entry in sorted(folder.glob(".*.*-*-*")) if folder.is_dir() else []:
        _, kind, pid = _staging_parts(entry.name)
        if kind is not None and not _alive(pid):
            entries.append((entry, kind))
    return entries


def _staging_parts(entry: str) -> tuple[str, str | None, int]:
    """``(name, kind, pid)`` of a staging name ``.<name>.<kind>-<pid>-<random>``, else kind ``None``."""
    name, _, tail = entry[1:].rpartition(".")
    kind, _, rest = tail.partition("-")
    pid = rest.partition("-")[0]
    if not name or kind not in (STAGING, REPLACED) or not pid.isdigit():
        return name, None, 0
    return name, kind, int(pid)


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def _hidden(directory: Path, kind: str) -> str:
    return f".{directory.name}.{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_hidden(path: Path, root: Path) -> bool:
    """Whether any part of ``path`` below ``root`` is hidden (staging, locks, ``.hydra``)."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


__all__ = ["folder_lock", "lock_path", "write_folder", "write_file", "replace_with", "clear_folder",
           "refuse_unless_empty", "remove_stale", "remove_stale_files", "writing", "reason", "is_hidden"]
