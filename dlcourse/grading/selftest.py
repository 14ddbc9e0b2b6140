"""Run a lesson's trusted checks in this process, against the solution's own functions: for lesson authors.

    python -m dlcourse.grading.selftest 03_convolution

executes the instructor notebook's code cells here (smoke profile), then probes and judges every exercise
twice: the solution must pass all of them, and a "hard-coded" answer, one that returns the visible example's
result for any input, must fail every exercise whose result is data. It is a quick loop for writing checks;
grading itself always probes a jailed kernel (`dlcourse.grading.worker`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import checks, probe


def namespace_from_notebook(path: Path) -> dict:
    """Execute a notebook's code cells in a fresh namespace (smoke profile, no display) and return it."""
    import nbformat

    os.environ["NBGRADER_EXECUTION"] = "autograde"
    os.environ.setdefault("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    from IPython.display import display

    namespace: dict = {"__name__": "__main__", "display": display}  # what a kernel would supply
    os.chdir(Path(path).parent)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        exec(compile(source, f"<cell {cell.get('id', '?')}>", "exec"), namespace)  # noqa: S102 - our own notebook
    return namespace


def probe_in_process(plan: dict, namespace: dict) -> dict:
    """What the kernel-side probe would send, through the same JSON."""
    results = [probe._call(step, namespace) for step in plan["steps"]]
    return json.loads(json.dumps({"results": results}))


def run(registry: checks.Registry, namespace: dict, seed: int = 0) -> dict[str, checks.Verdict]:
    plan, cases = checks.make_plan(registry, seed)
    raw = probe_in_process(plan, namespace)
    return checks.judge(registry, cases, checks.parse_results(raw, len(cases)))


def hardcoded_namespace(registry: checks.Registry, namespace: dict, seed: int = 0) -> tuple[dict, set]:
    """A namespace whose answer functions return their first case's (visible example's) result for any input.

    Returns it with the test ids whose first result is plain data (those must fail when hard-coded)."""
    plan, cases = checks.make_plan(registry, seed)
    raw = probe_in_process(plan, namespace)
    fake, data_tests, seen = dict(namespace), set(), set()
    for (test_id, case), result in zip(cases, raw["results"]):
        if case.call in seen or case.attribute or "value" not in result:
            continue
        seen.add(case.call)
        value = result["value"]
        if isinstance(value, dict) and "$model" in value:
            continue
        fixed = checks.codec.decode(value)
        fake[case.call] = (lambda fixed: lambda *args, **kwargs: fixed)(fixed)
        data_tests.add(test_id)
    return fake, data_tests


def main(argv: list[str]) -> int:
    from .. import project

    lesson = argv[0]
    repo = project.root()
    registry = checks.load(checks.checks_path(repo, lesson))
    namespace = namespace_from_notebook(repo / "solutions" / lesson / f"{lesson}.ipynb")
    failed = 0
    for seed in (0, 1):
        for test_id, verdict in run(registry, namespace, seed).items():
            print(f"seed {seed} solution  {test_id:32} {'pass' if verdict.passed else 'FAIL: ' + verdict.hint}")
            failed += not verdict.passed
    fake, data_tests = hardcoded_namespace(registry, namespace)
    for test_id, verdict in run(registry, fake, seed=5).items():
        if test_id in data_tests:
            print(f"hard-coded       {test_id:32} {'PASSES (bad)' if verdict.passed else 'fails: ' + verdict.hint}")
            failed += verdict.passed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
