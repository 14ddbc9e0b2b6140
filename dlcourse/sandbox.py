"""Per-submission limits for autograding, with what Linux offers without Docker.

Each submission is graded by its own worker process (``python -m dlcourse.sandbox JOB.json``) that runs
nbgrader's autograde in a private temporary course directory. The limits are applied to that worker and
inherited by the Jupyter kernel it starts:

* **wall time**: the parent kills the worker *and every descendant* (the kernel runs in its own session,
  so killing the process group is not enough) when ``timeout`` seconds have passed;
* **memory**: ``RLIMIT_AS`` (address space) per process; a student's allocation beyond it raises
  ``MemoryError`` in the kernel or kills the kernel, never the machine. TensorFlow reserves about 3 GB of
  address space on import, so the default is 8 GB; ``MALLOC_ARENA_MAX=2`` keeps glibc from reserving
  64 MB arenas per thread;
* **no core dumps** (``RLIMIT_CORE=0``) and files of at most 1 GB (``RLIMIT_FSIZE``);
* **no network**: a fresh network namespace via ``unshare -n`` (as root) or ``unshare -rn`` (an
  unprivileged user namespace), with only the loopback interface, which the worker brings up so that it
  can talk to its kernel. Where neither is permitted, grading still runs and says the network is *not*
  isolated.

This is isolation against accidents (loops, memory hogs, crashing kernels), not a security boundary:
the kernel can still read and write the grader's files. Grade untrusted code in a container or VM.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_MEMORY_MB = 8192
MAX_FILE_BYTES = 1 << 30


@functools.lru_cache(maxsize=1)
def network_isolation() -> list[str] | None:
    """The command prefix that runs a process in a new network namespace here, or None if none works."""
    if os.environ.get("DLCOURSE_NO_NETNS") or not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return None
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        try:
            probe = subprocess.run([*prefix, sys.executable, "-c", _PROBE], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    return None


def describe_limits(timeout: float, memory_mb: int, cell_timeout: float) -> str:
    prefix = network_isolation()
    network = f"isolated ({' '.join(prefix)})" if prefix else "NOT isolated (unshare not permitted here)"
    memory = f"{memory_mb} MB address space" if memory_mb else "no memory limit"
    return f"limits per submission: {timeout:g} s wall, {cell_timeout:g} s per cell, {memory}, network {network}"


def _loopback_up() -> None:
    """Bring ``lo`` up in a fresh network namespace (the kernel talks to its client over 127.0.0.1)."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, siocgifflags, request))[1]
        if not flags & iff_up:
            fcntl.ioctl(sock, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


# Run by `network_isolation` inside the candidate namespace: loopback must come up, and nothing else exist.
_PROBE = ("from dlcourse.sandbox import _loopback_up; import socket; _loopback_up(); "
          "assert [n for _, n in socket.if_nameindex()] == ['lo']")


def apply_limits(memory_mb: int) -> None:
    """Limits for this process and everything it starts (the kernel inherits them)."""
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    os.environ["MALLOC_ARENA_MAX"] = "2"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def worker_command(job_file: Path) -> list[str]:
    """The command that grades one submission, inside a network namespace when one is available."""
    return [*(network_isolation() or []), sys.executable, "-m", "dlcourse.sandbox", str(job_file)]


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


def run_job(job: dict) -> dict:
    """Inside the worker: grade one submission with nbgrader in the job's private course directory."""
    from .nbgrader_setup import make_api, make_config

    if job.get("netns"):
        _loopback_up()
    apply_limits(job["memory_mb"])
    root = Path(job["root"])
    config = make_config(Path(job["repo"]), root=root, release=root / "release")
    config.Execute.timeout = int(job["cell_timeout"])
    # A deleted test cell is put back from the source and graded, instead of silently scoring nothing.
    config.OverwriteCells.add_missing_cells = True
    result = make_api(config).autograde(job["lesson"], job["student"], force=True, create=True)
    return {"success": bool(result.get("success")), "error": result.get("error") or "",
            "log": (result.get("log") or "")[-20000:]}


def skip_slow_format_checker() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax``, which builds a parser on import (about 3 s of CPU).

    nbformat's schema uses no IRI/URI formats, so validation is unchanged; every notebook-reading process of
    ours pays this otherwise, and a worker per submission pays it 300 times for a class of 300.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules makes the import fail fast


def main(argv: list[str]) -> int:
    skip_slow_format_checker()
    job_file = Path(argv[0])
    job = json.loads(job_file.read_text())
    try:
        result = run_job(job)
    except BaseException as exc:  # noqa: BLE001 - every failure must be reported to the parent
        import traceback

        result = {"success": False, "error": traceback.format_exc()[-5000:], "log": "",
                  "exception": f"{exc.__class__.__name__}: {exc}"}
    (job_file.parent / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
