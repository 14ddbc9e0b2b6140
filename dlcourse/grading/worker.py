"""One submission, graded in a worker process where no student code ever runs.

``python -m dlcourse.grading.worker JOB.json`` (started by `autograde`, one per submission):

1. builds the lesson's probe plan from its trusted checks (inputs here, expected values in memory only);
2. executes the clean copy of the notebook in a jailed kernel (`jail`), every cell, errors allowed, with a cell
   time limit and a cap on output, then one appended probe cell; the plan is written into the jail only when
   that cell starts;
3. reads the probe's plain data from that cell's output, judges it (`checks.judge`) and writes ``result.json``:
   a verdict and a hint per test cell, and the executed notebook without the probe cell.

The kernel's own opinion of its tests (errors, stderr, partial credit in display data) decides nothing.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import checks, jail
from .probe import MIME

PROBE_SOURCE = '__import__("dlcourse.grading.probe").grading.probe.run(globals())'
OUTPUT_LIMIT = 32 << 20  # bytes of output a notebook may produce in all, probe results included


class OutputLimitExceeded(Exception):
    pass


class KernelUnresponsive(Exception):
    pass


UNRESPONSIVE_AFTER = 10  # seconds a kernel may take to answer after a cell was interrupted


def _client_class():
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        """nbclient with a cap on output, and the probe plan written only when the last cell starts."""

        def __init__(self, *args, on_last_cell=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.output_bytes = 0
            self.on_last_cell = on_last_cell

        def output(self, outs, msg, display_id, cell_index):
            self.output_bytes += len(json.dumps(msg.get("content", {}), default=str))
            if self.output_bytes > OUTPUT_LIMIT:
                raise OutputLimitExceeded()
            return super().output(outs, msg, display_id, cell_index)

        async def _async_handle_timeout(self, timeout, cell=None):
            """Interrupt the cell; a kernel that then cannot answer within seconds (it ignores interrupts, or the
            student's code broke it) ends the run instead of timing out cell after cell."""
            await self.km.interrupt_kernel()
            try:
                await self.kc.kernel_info(reply=True, timeout=UNRESPONSIVE_AFTER)
            except Exception:  # noqa: BLE001 - no answer, in whatever form
                raise KernelUnresponsive() from None
            return {"content": {"status": "error", "ename": "CellTimeoutError", "traceback": [],
                                "evalue": f"the cell ran past {timeout} s and was interrupted"}}

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if cell_index == len(self.nb.cells) - 1 and self.on_last_cell:
                self.on_last_cell()
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    return GradingClient


def _watch_ipc(folder: Path, limit_bytes: int, stop: threading.Event, tripped: list, kill) -> None:
    """The socket folder is the one place the jail can write that the grader sees: keep it small."""
    while not stop.wait(0.25):
        try:
            used = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            count = sum(1 for _ in folder.iterdir())
        except OSError:
            continue
        if used > limit_bytes or count > 64:
            tripped.append(True)
            kill()
            return


def run_job(job: dict) -> dict:
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    work = Path(job["work"])
    registry = checks.load(Path(job["checks"]))
    plan, cases = checks.make_plan(registry, int(job["seed"]))
    notebook = nbformat.read(job["notebook"], as_version=4)
    probe_cell = nbformat.v4.new_code_cell(PROBE_SOURCE, metadata={"tags": ["dlcourse-probe"]})
    notebook.cells.append(probe_cell)
    limits = jail.Limits(**job["limits"])

    plan_file = work / "plan" / "plan.json"
    env = None
    if job["isolation"] == "jail":
        cgroups = jail.Cgroups.create(limits)
        _, job_file = jail.make_job(work, limits, cgroups)
        manager = jail.new_kernel_manager(work, job_file)  # the clean copy is already in work/submission
    else:  # --isolation none: the grader's own user, network and files; said on every line of output
        from jupyter_client.manager import AsyncKernelManager

        cgroups = None
        (work / "plan").mkdir(parents=True, exist_ok=True)
        manager = AsyncKernelManager(kernel_name="python3")
        env = {**os.environ, "NBGRADER_EXECUTION": "autograde", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg",
               "DLCOURSE_PROBE_PLAN": str(plan_file)}

    def write_plan():
        partial = plan_file.with_suffix(".partial")
        partial.write_text(json.dumps(plan))
        os.replace(partial, plan_file)

    client = _client_class()(notebook, km=manager, timeout=int(job["cell_timeout"]), allow_errors=True,
                             interrupt_on_timeout=True, kernel_name="python3", record_timing=False,
                             on_last_cell=write_plan,
                             resources={"metadata": {"path": str(Path(job["notebook"]).parent)}})
    stop, tripped = threading.Event(), []
    watcher = None
    if job["isolation"] == "jail":
        watcher = threading.Thread(target=_watch_ipc, daemon=True,
                                   args=(work / "ipc", limits.ipc_mb << 20, stop, tripped,
                                         lambda: _kill_process(manager)))
        watcher.start()
    problem = None
    started = time.perf_counter()
    try:
        client.execute(**({"env": env} if env else {}))
    except OutputLimitExceeded:
        problem = f"the notebook printed more than {OUTPUT_LIMIT >> 20} MB of output"
    except DeadKernelError:
        problem = ("the kernel died while running the notebook (it crashed, exited, or ran out of memory: "
                   f"the limit is {limits.memory_mb} MB)")
    except (CellTimeoutError, KernelUnresponsive):
        problem = (f"a cell ran past the {job['cell_timeout']} s limit per cell, and the kernel would not stop "
                   "(a loop that ignores interrupts, or a broken kernel)")
    except Exception as exc:  # noqa: BLE001 - nbclient's own failure to run the kernel
        problem = f"the notebook could not be run: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        stop.set()
        _kill(manager)
        if cgroups:
            cgroups.remove()
    if tripped:
        problem = f"the kernel wrote more than {limits.ipc_mb} MB into the grader's socket folder"
    seconds = round(time.perf_counter() - started, 1)

    raw = None
    last = notebook.cells[-1] if notebook.cells and notebook.cells[-1] is probe_cell else None
    if last is not None:
        for output in last.get("outputs", []):
            if output.get("output_type") == "display_data" and MIME in output.get("data", {}):
                raw = output["data"][MIME]
        notebook.cells.pop()
    results = checks.parse_results(raw, len(cases))
    verdicts = checks.judge(registry, cases, results)
    nbformat.write(notebook, work / "executed.ipynb")
    return {"success": True, "problem": problem, "seconds": seconds,
            "verdicts": {test_id: {"passed": v.passed, "hint": v.hint} for test_id, v in verdicts.items()},
            "probed": raw is not None}


def _kill_process(manager) -> None:
    """From another thread: SIGKILL the launched process (bwrap), and the jail dies with it."""
    process = getattr(manager.provisioner, "process", None)
    if process is not None:
        try:
            process.kill()
        except OSError:
            pass


def _kill(manager) -> None:
    from jupyter_core.utils import run_sync

    try:
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - it is going away either way
        try:
            run_sync(manager._async_kill_kernel)()
        except Exception:  # noqa: BLE001
            pass
    try:
        manager.cleanup_resources()
    except Exception:  # noqa: BLE001
        pass


def main(argv: list[str]) -> int:
    from .processes import set_pdeathsig, skip_slow_format_checker

    skip_slow_format_checker()
    set_pdeathsig(signal.SIGKILL)  # the grader is gone: so are we, and (through bwrap) the jail
    job_file = Path(argv[0])
    job = json.loads(job_file.read_text())
    try:
        result = run_job(job)
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the grader as a reason
        import traceback

        result = {"success": False, "error": traceback.format_exc()[-4000:],
                  "exception": f"{type(exc).__name__}: {str(exc)[:300]}"}
    partial = job_file.parent / "result.json.partial"
    partial.write_text(json.dumps(result))
    os.replace(partial, job_file.parent / "result.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
