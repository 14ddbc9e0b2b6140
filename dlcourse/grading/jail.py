"""Every graded kernel runs in a bubblewrap jail (Linux, no Docker): what it can see, write, start and use.

The grader's worker (`worker`) starts the kernel through `JailedKernelManager`, which launches
``python -m dlcourse.grading.jail JOB.json CONNECTION_FILE``: trusted code that joins the job's cgroups, sets
the resource limits, arranges to die with the worker, and then replaces itself with ``bwrap``:

* **namespaces**: new user (no capabilities, no further user namespaces), PID, network, IPC, UTS and cgroup
  namespaces, ``--die-with-parent``. The kernel is PID 2 of its own PID namespace: it sees no other process, and
  when it ends every process it started ends with it. Its network namespace has only its own loopback, so no
  TCP, no abstract unix socket and no ``setns`` reaches the grader's.
* **files**: a read-only view of the system (``/usr``, a few files of ``/etc``), of Python and the course's venv,
  of the ``dlcourse`` package and of the staged data. Writable: one size-limited tmpfs that holds the working
  copy of the submission (``/jail/work``, the kernel's cwd), ``HOME`` and ``/tmp``: a total disk quota. The
  instructor's folders, the gradebook, other submissions and the grader's job files are not there at all.
* **talking to the grader**: ZeroMQ over unix sockets in one directory shared with the jail (``ipc/``); the grader
  watches its size.
* **limits**: memory and processes through cgroups where they are writable (memory charged with the tmpfs),
  else ``RLIMIT_AS``, and ``RLIMIT_NPROC`` for a grader that is not root. No core dumps.
* **environment**: cleared; only what a lesson needs is set again.

`check()` says, in one line, why a jail cannot be set up here. `--isolation none` skips all of this.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import DlcourseError
from .processes import set_pdeathsig

JAIL_ROOT = "/jail"
WORK = f"{JAIL_ROOT}/work"
HOME = f"{JAIL_ROOT}/home"
PLAN_DIR = "/grading"
SUBMISSION = "/submission"
ETC_FILES = ("passwd", "group", "hosts", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
             "localtime", "alternatives", "fonts", "mime.types", "ssl/certs", "matplotlibrc", "os-release")
KEPT_ENV = ("KERAS_BACKEND", "LANG", "LC_ALL", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
            "XLA_FLAGS", "JAX_PLATFORMS")


class JailUnavailable(DlcourseError):
    """The jail cannot be set up on this machine (the message says why and how to fix it)."""


@dataclass
class Limits:
    memory_mb: int = 4096       # resident memory (cgroup) or address space (RLIMIT_AS), 0 for none
    processes: int = 128        # processes and threads in the jail
    disk_mb: int = 1024         # the jail's writable tmpfs: working copy, HOME and TMPDIR together
    tmp_mb: int = 64            # /tmp, a second tmpfs
    ipc_mb: int = 16            # the shared socket directory, watched by the worker

    def describe(self) -> str:
        return (f"{self.memory_mb or 'no'} MB memory, {self.processes} processes, "
                f"{self.disk_mb + self.tmp_mb} MB disk in all")


@dataclass
class JailJob:
    """What the launcher needs; written by the worker as ``jail.json``."""

    ipc_dir: str
    submission_dir: str
    plan_dir: str
    limits: dict
    python_paths: list = field(default_factory=list)
    data_paths: list = field(default_factory=list)
    keras_home: str | None = None
    env: dict = field(default_factory=dict)
    cgroups: list = field(default_factory=list)


# ------------------------------------------------------------------------------------------ can we jail here?

@functools.lru_cache(maxsize=1)
def check() -> str | None:
    """None if a jail can be set up here; else one line saying why, and how to fix it."""
    if not sys.platform.startswith("linux"):
        return "the grading jail needs Linux (bubblewrap and namespaces)"
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return ("bubblewrap is not installed: install it (Debian/Ubuntu: apt-get install bubblewrap; "
                "Fedora: dnf install bubblewrap)")
    probe = subprocess.run([bwrap, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                            "true"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap cannot create namespaces here ({detail}): allow unprivileged user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu 24.04+ "
                "kernel.apparmor_restrict_unprivileged_userns=0), or run the grader as root")
    return None


def _namespace_args() -> list[str]:
    return ["--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--disable-userns", "--die-with-parent", "--cap-drop", "ALL"]


# ------------------------------------------------------------------------------------------ cgroups

@dataclass
class Cgroups:
    """The job's own cgroups (v2, or v1 memory and pids hierarchies) where this process may create them."""

    paths: list
    memory: bool
    pids: bool

    @classmethod
    def create(cls, limits: Limits) -> "Cgroups":
        name = f"dlcourse-{uuid.uuid4().hex[:12]}"
        paths, memory, pids = [], False, False
        own = _own_cgroups()
        if Path("/sys/fs/cgroup/cgroup.controllers").exists():  # cgroup v2, unified (not hybrid) mode
            base = Path("/sys/fs/cgroup") / own[""].lstrip("/")
            controllers = _read(base / "cgroup.subtree_control").split()
            if {"memory", "pids"} <= set(controllers) and _try_mkdir(base / name):
                path = base / name
                memory = not limits.memory_mb or _write(path / "memory.max", limits.memory_mb << 20)
                _write(path / "memory.swap.max", 0)
                pids = _write(path / "pids.max", limits.processes)
                paths.append(str(path))
        else:
            for controller, limit_file, value in (("memory", "memory.limit_in_bytes", limits.memory_mb << 20),
                                                  ("pids", "pids.max", limits.processes)):
                relative = own.get(controller)
                if relative is None:
                    continue
                path = Path("/sys/fs/cgroup") / controller / relative.lstrip("/") / name
                if _try_mkdir(path):
                    ok = (controller == "memory" and not limits.memory_mb) or _write(path / limit_file, value)
                    if controller == "memory":
                        _write(path / "memory.memsw.limit_in_bytes", limits.memory_mb << 20)
                        memory = ok
                    else:
                        pids = ok
                    paths.append(str(path))
        return cls(paths, memory, pids)

    def remove(self) -> None:
        """Kill anything left in the job's cgroups and remove them."""
        import time

        for path in self.paths:
            for _ in range(50):
                members = [int(p) for p in _read(Path(path) / "cgroup.procs").split()]
                if not members:
                    break
                for pid in members:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.05)
            try:
                os.rmdir(path)
            except OSError:
                pass


def _own_cgroups() -> dict:
    own = {}
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                own[controller] = parts[2]
    return own


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, value) -> bool:
    try:
        path.write_text(str(value))
        return True
    except OSError:
        return False


def _try_mkdir(path: Path) -> bool:
    try:
        path.mkdir()
        return True
    except OSError:
        return False


# ------------------------------------------------------------------------------------------ the jail's view

def python_paths() -> list[str]:
    """What the kernel must read to run Python, the venv and the dlcourse package (bound read-only)."""
    import dlcourse

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(dlcourse.__file__).resolve().parent)}
    executable = Path(sys.executable)
    paths.add(str(executable.resolve().parent.parent))
    return sorted(p for p in paths if Path(p).exists())


def data_paths() -> list[str]:
    """Staged data and the course's decoded-data cache (read-only in the jail, same paths)."""
    from ..data.paths import cache_dir, data_dir

    found = []
    for path in (data_dir(), cache_dir()):
        path = Path(path)
        if path.is_dir():
            found.append(str(path.resolve()))
    return sorted(set(found))


def bwrap_argv(job: JailJob, connection_file: str) -> list[str]:
    limits = Limits(**job.limits)
    argv = [shutil.which("bwrap") or "bwrap", *_namespace_args(), "--new-session", "--clearenv",
            "--uid", "1000", "--gid", "1000", "--hostname", "jail"]
    for name in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        source = Path("/") / name
        if source.is_symlink():
            argv += ["--symlink", os.readlink(source), f"/{name}"]
        elif source.is_dir():
            argv += ["--ro-bind", str(source), f"/{name}"]
    for name in ETC_FILES:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    # The tmpfs mounts come before the binds: a venv or socket folder under /tmp is bound on top of the tmpfs,
    # not hidden by it.
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.disk_mb << 20), "--tmpfs", JAIL_ROOT,
             "--dir", WORK, "--dir", HOME, "--dir", f"{JAIL_ROOT}/tmp",
             # /tmp is a second, small tmpfs (not a link into /jail) so the socket folder can sit at its own path
             "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
    for path in job.python_paths + job.data_paths:
        argv += ["--ro-bind", path, path]
    argv += ["--ro-bind", job.submission_dir, SUBMISSION,
             "--ro-bind", job.plan_dir, PLAN_DIR,
             "--bind", job.ipc_dir, job.ipc_dir]
    if job.keras_home:
        argv += ["--ro-bind", job.keras_home, f"{HOME}/.keras"]
    env = {"HOME": HOME, "TMPDIR": f"{JAIL_ROOT}/tmp", "PATH": f"{sys.prefix}/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "MALLOC_ARENA_MAX": "2",
           "TF_CPP_MIN_LOG_LEVEL": "3", "NBGRADER_EXECUTION": "autograde", "MPLCONFIGDIR": f"{JAIL_ROOT}/tmp/mpl",
           "DLCOURSE_PROBE_PLAN": f"{PLAN_DIR}/plan.json", **job.env}
    for key, value in sorted(env.items()):
        argv += ["--setenv", key, str(value)]
    argv += ["--remount-ro", "/", "--chdir", WORK, sys.executable, "-c", _START, connection_file]
    return argv


# Inside the jail: copy the submission into the writable work folder, then become the kernel.
# Native libraries' own stderr (TensorFlow's C++ log lines) goes to the worker's log, not into the notebook.
_START = ("import os, shutil, sys; shutil.copytree('/submission', '/jail/work', dirs_exist_ok=True, symlinks=True);"
          "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', '-f', sys.argv[1], "
          "'--IPKernelApp.capture_fd_output=False'])")


def launch(job_file: str, connection_file: str) -> None:
    """The kernel command (trusted): cgroups, limits, die-with-parent, then exec bwrap."""
    job = JailJob(**json.loads(Path(job_file).read_text()))
    limits = Limits(**job.limits)
    set_pdeathsig()  # the worker is gone: so is bwrap, and with it the jail
    pid = str(os.getpid())
    memory_by_cgroup = processes_by_cgroup = False
    for path in job.cgroups:
        if _write(Path(path) / "cgroup.procs", pid):
            memory_by_cgroup |= Path(path, "memory.max").exists() or Path(path, "memory.limit_in_bytes").exists()
            processes_by_cgroup |= Path(path, "pids.max").exists()
    if limits.memory_mb and not memory_by_cgroup:
        # No cgroup: address space instead. TensorFlow maps about 3 GB on import, hence the floor.
        limit = max(limits.memory_mb, 6144) << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if not processes_by_cgroup and os.getuid() != 0:  # RLIMIT_NPROC counts per user and never binds root
        current = len([p for p in os.listdir("/proc") if p.isdigit()])
        resource.setrlimit(resource.RLIMIT_NPROC, (current + limits.processes,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    argv = bwrap_argv(job, connection_file)
    os.execv(argv[0], argv)


def make_job(work: Path, limits: Limits, cgroups: Cgroups) -> tuple[JailJob, Path]:
    """The jail's folders under ``work`` (ipc, submission, plan) and its job file."""
    for name in ("ipc", "submission", "plan"):
        (work / name).mkdir(parents=True, exist_ok=True)
    os.chmod(work / "ipc", 0o777)  # the jail's uid may differ from ours where user namespaces map it
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    from ..data.paths import cache_dir, data_dir

    env = {key: os.environ[key] for key in KEPT_ENV if key in os.environ}
    # The jail has its own HOME, so the defaults under ~ would point nowhere: name the real folders.
    env["DLCOURSE_DATA_DIR"] = str(data_dir().resolve())
    env["DLCOURSE_CACHE_DIR"] = str(cache_dir().resolve())
    # The kernel imports the dlcourse that is bound into the jail (this grader's), not whatever an editable
    # install elsewhere points to: from a second checkout the venv's finder names a folder the jail does not bind.
    import dlcourse

    env["PYTHONPATH"] = str(Path(dlcourse.__file__).resolve().parent.parent)
    job = JailJob(ipc_dir=str(work / "ipc"), submission_dir=str(work / "submission"), plan_dir=str(work / "plan"),
                  limits=asdict(limits), python_paths=python_paths(), data_paths=data_paths(),
                  keras_home=str(keras_home) if keras_home.is_dir() else None, env=env, cgroups=cgroups.paths)
    job_file = work / "jail.json"
    job_file.write_text(json.dumps(asdict(job)))
    return job, job_file


def kernel_manager_class():
    """An async jupyter_client KernelManager that starts the kernel in the jail and talks over unix sockets.

    Async, as nbclient expects: with a blocking client, nbclient's wait for output blocks its event loop, and a
    kernel that dies in the middle of a cell is never noticed.
    """
    import inspect

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Unicode

    class JailedKernelManager(AsyncKernelManager):
        jail_job_file = Unicode("")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            connection_file = kernel_cmd[kernel_cmd.index("-f") + 1]
            kernel_cmd = [sys.executable, "-m", "dlcourse.grading.jail", self.jail_job_file, connection_file]
            kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            kw["cwd"] = str(Path(self.jail_job_file).parent)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

        async def interrupt_kernel(self):
            # A signal to the launched process group would reach bwrap, which dies of it: ask the kernel instead.
            if self.has_kernel:
                msg = self.session.msg("interrupt_request", content={})
                self._connect_control_socket()
                sent = self.session.send(self._control_socket, msg)
                if inspect.isawaitable(sent):
                    await sent

    return JailedKernelManager


def new_kernel_manager(work: Path, job_file: Path):
    manager = kernel_manager_class()(kernel_name="python3", transport="ipc", ip=str(work / "ipc" / "k"),
                                     connection_file=str(work / "ipc" / "kernel.json"))
    manager.jail_job_file = str(job_file)
    return manager


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        raise DlcourseError("usage: python -m dlcourse.grading.jail JAIL.json CONNECTION_FILE")
    launch(argv[0], argv[1])
    return 1  # not reached: launch execs bwrap


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
