"""Process plumbing for the grader: dying with the parent, killing a process tree, a faster nbformat import."""

from __future__ import annotations

import os
import signal
import sys


def set_pdeathsig(signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send ``signum`` to this process when its parent dies, whatever killed the parent."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc (Linux); psutil where there is no /proc."""
    if not os.path.isdir("/proc"):
        try:
            import psutil

            return [child.pid for child in psutil.Process(pid).children(recursive=True)]
        except Exception:
            return []
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])  # "pid (comm) state ppid ..."
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _signal_all(pids, signum) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (the kernel is in its own session, so killpg misses it).

    Everything is stopped first, so that nothing can fork a new child between the listing and the kill.
    """
    import signal

    family = [pid, *_descendants(pid)]
    _signal_all(family, signal.SIGSTOP)
    family = list(dict.fromkeys([*family, *_descendants(pid)]))
    _signal_all(family, signal.SIGKILL)


def skip_slow_format_checker() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax``, which builds a parser on import (about 3 s of CPU).

    nbformat's schema uses no IRI/URI formats, so validation is unchanged; every notebook-reading process of
    ours pays this otherwise, and a worker per submission pays it 300 times for a class of 300.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules makes the import fail fast
