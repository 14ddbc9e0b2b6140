"""`dlcourse run`: execute lesson notebooks in course order with papermill and write a report.

Each notebook runs in its own kernel with ``PROFILE`` and ``SEED`` injected as
papermill parameters. Key results come back from `dlcourse.record` outputs and
are compared with the lesson's targets for the profile (`dlcourse.lessons`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from .lessons import Lesson

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _failure_details(output_path: Path) -> dict:
    """The failing cell's source and the last lines of its traceback, from the executed notebook."""
    import nbformat

    try:
        notebook = nbformat.read(output_path, as_version=4)
    except Exception:
        return {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                lines = _ANSI.sub("", "\n".join(output.get("traceback", []))).splitlines()
                return {"cell_source": cell.source, "traceback_tail": "\n".join(lines[-12:]),
                        "error": f"{output.get('ename')}: {output.get('evalue')}"}
    return {}


def notebook_parameters(notebook_path: Path) -> set[str]:
    """The names a notebook's ``parameters`` cell assigns (read from its source; no kernel is started)."""
    import ast

    import nbformat

    for cell in nbformat.read(notebook_path, as_version=4).cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            targets = [target for node in ast.parse(cell.source).body if isinstance(node, (ast.Assign, ast.AnnAssign))
                       for target in (node.targets if isinstance(node, ast.Assign) else [node.target])]
            return {target.id for target in targets if isinstance(target, ast.Name)}
    return set()


def execute_lesson(repo: str, lesson: Lesson, source: str, profile: str, seed: int, backend: str | None,
                   output_dir: str, timeout: int | None = None, parameters: dict | None = None) -> dict:
    """Execute one lesson; never raises for a notebook failure (it is reported instead)."""
    saved = {key: os.environ.get(key) for key in ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL")}
    if backend:
        os.environ["KERAS_BACKEND"] = backend  # the kernel inherits this process's environment
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter buries real errors
    try:
        return _execute(repo, lesson, source, profile, seed, output_dir, timeout, parameters or {})
    finally:
        for key, value in saved.items():  # with --jobs 1 this is the caller's own process
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _execute(repo, lesson, source, profile, seed, output_dir, timeout, parameters) -> dict:
    import nbformat
    import papermill

    from .record import read_records

    notebook_path = lesson.notebook(Path(repo), source)
    output_path = Path(output_dir) / f"{lesson.lesson_id}.ipynb"
    result = {"lesson": lesson.lesson_id, "title": lesson.title, "notebook": str(output_path)}
    # Only the names this lesson declares: one --set EPOCHS=1 serves every lesson that has an EPOCHS.
    injected = {}
    if parameters and notebook_path.is_file():
        declared = notebook_parameters(notebook_path)
        injected = {name: value for name, value in parameters.items() if name in declared}
    result["parameters"] = injected
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(notebook_path), str(output_path),
                                   parameters={"PROFILE": profile, "SEED": seed, **injected},
                                   cwd=str(notebook_path.parent), progress_bar=False, execution_timeout=timeout,
                                   kernel_name="python3", language="python",  # this interpreter's kernel
                                   # native stderr (TensorFlow's C++ log lines) stays out of the notebook
                                   extra_arguments=["--IPKernelApp.capture_fd_output=False"])
        result["status"] = "ok"
    except Exception as exc:  # PapermillExecutionError, missing notebook, dead kernel...
        result["status"] = "failed"
        result["error"] = f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        result.update(_failure_details(output_path))
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    records = {}
    if output_path.is_file():
        try:
            records = read_records(nbformat.read(output_path, as_version=4))
        except Exception:
            pass
    result["records"] = records
    # The profile's targets hold for the profile's sizes; with sizes overridden they say nothing.
    result["checks"] = [] if injected else lesson.check(profile, records)
    if result["status"] == "ok" and not all(check["ok"] for check in result["checks"]):
        result["status"] = "below target"
    return result


def run_course(repo: Path, lessons: list[Lesson], *, profile: str = "smoke", source: str = "solutions",
               backend: str | None = None, jobs: int = 1, output: Path | None = None, seed: int = 42,
               timeout: int | None = None, show_progress: bool = True, parameters: dict | None = None) -> dict:
    from tqdm import tqdm

    output = Path(output or repo / "runs" / f"{profile}-{time.strftime('%Y%m%d-%H%M%S')}").resolve()
    output.mkdir(parents=True, exist_ok=True)
    args = (str(repo), source, profile, seed, backend, str(output), timeout, parameters or {})
    results = {}
    bar = tqdm(total=len(lessons), desc=f"{profile} run", unit="lesson", disable=not show_progress)
    if jobs <= 1:
        for lesson in lessons:
            bar.set_postfix_str(lesson.lesson_id)
            results[lesson.lesson_id] = execute_lesson(args[0], lesson, *args[1:])
            bar.update()
    else:
        # spawn, not fork: a forked copy of a process that already loaded TensorFlow can deadlock.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(execute_lesson, args[0], lesson, *args[1:]): lesson for lesson in lessons}
            for future in as_completed(futures):
                results[futures[future].lesson_id] = future.result()
                bar.set_postfix_str(futures[future].lesson_id)
                bar.update()
    bar.close()
    report = {"profile": profile, "source": source, "seed": seed,
              "backend": backend or os.environ.get("KERAS_BACKEND", "tensorflow"),
              "versions": _versions(),
              "output": str(output), "lessons": [results[lesson.lesson_id] for lesson in lessons]}
    write_report(report, output)
    return report


def _versions() -> dict:
    """Package versions, read without importing the frameworks into this process."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("keras", "tensorflow", "jax", "torch", "numpy", "papermill", "nbgrader"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def _format(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def write_report(report: dict, output: Path) -> None:
    (output / "report.json").write_text(json.dumps(report, indent=2))
    lines = [f"# dlcourse run: {report['profile']} profile", "",
             f"Backend {report['backend']}, seed {report['seed']}, source `{report['source']}/`.", "",
             "| lesson | status | wall time (s) | results | targets |", "|---|---|---|---|---|"]
    for item in report["lessons"]:
        results = ", ".join(f"{k} = {_format(v)}" for k, v in item["records"].items()) or "-"
        targets = ", ".join(f"{c['key']} {c['op']} {c['target']}: {'met' if c['ok'] else 'NOT met'}"
                            for c in item["checks"]) or "-"
        if item.get("parameters"):
            targets = "not checked, sizes set: " + ", ".join(f"{k}={v!r}" for k, v in item["parameters"].items())
        lines.append(f"| {item['lesson']} | {item['status']} | {item['wall_seconds']} | {results} | {targets} |")
    for item in report["lessons"]:
        if item["status"] == "failed":
            lines += ["", f"## {item['lesson']} failed", "", item.get("error", ""), "", "Failing cell:", "```python",
                      item.get("cell_source", "(unknown)"), "```", "", "```", item.get("traceback_tail", ""), "```"]
    (output / "report.md").write_text("\n".join(lines) + "\n")


def failure_summary(report: dict) -> str:
    """What CI logs should show for each failed lesson."""
    parts = []
    for item in report["lessons"]:
        if item["status"] == "failed":
            parts.append(f"FAILED {item['lesson']}: {item.get('error', '')}\n--- failing cell ---\n"
                         f"{item.get('cell_source', '(unknown)')}\n--- traceback (last lines) ---\n"
                         f"{item.get('traceback_tail', '')}")
        elif item["status"] == "below target":
            missed = [c for c in item["checks"] if not c["ok"]]
            parts.append(f"BELOW TARGET {item['lesson']}: " + "; ".join(
                f"{c['key']} = {c['value']} (target {c['op']} {c['target']})" for c in missed))
    return "\n\n".join(parts)
