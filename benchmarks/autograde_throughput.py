"""Autograding throughput: N submissions of one lesson, graded with --jobs 1 and with --jobs 2.

    python benchmarks/autograde_throughput.py                 # 6 submissions of 00_setup_check
    python benchmarks/autograde_throughput.py -n 12 --jobs 1,2,4 --lesson 00_setup_check

The submissions are a mix of correct (the solutions notebook), blank (the student version) and wrong (the
lesson's round-trip case from tests/cases/). Each --jobs value grades all of them in a fresh course directory
with `dlcourse.autograde`, exactly as `dlcourse autograde` does, and the script prints submissions per minute
and the speed-up over the first --jobs value. It also prints the load average before and after, because the
numbers mean little on a machine that other work is using. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def make_submissions(root: Path, lesson: str, count: int) -> dict:
    import nbformat
    from roundtrip import load_case, wrong_submission

    solution = REPO / "solutions" / lesson / f"{lesson}.ipynb"
    blank = REPO / "course" / lesson / f"{lesson}.ipynb"
    case = load_case(lesson)
    kinds = {}
    for index in range(count):
        kind = ("correct", "wrong", "blank")[index % 3]
        notebook = (nbformat.read(solution, as_version=4) if kind == "correct"
                    else nbformat.read(blank, as_version=4) if kind == "blank"
                    else wrong_submission(solution, case.WRONG_ANSWER["grade_id"], case.WRONG_ANSWER["source"]))
        target = root / "submitted" / f"student{index:03d}" / lesson
        target.mkdir(parents=True)
        nbformat.write(notebook, target / f"{lesson}.ipynb")
        kinds[f"student{index:03d}"] = kind
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="00_setup_check")
    parser.add_argument("-n", "--submissions", type=int, default=6)
    parser.add_argument("--jobs", default="1,2", help="comma list of --jobs values to compare")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    staged = REPO.parent / "shared" / "data"
    if "DLCOURSE_DATA_DIR" not in os.environ and staged.is_dir():
        os.environ["DLCOURSE_DATA_DIR"] = str(staged)
    from dlcourse.autograde import autograde
    from dlcourse.sandbox import describe_limits, skip_slow_format_checker

    skip_slow_format_checker()
    print(f"{args.submissions} submissions of {args.lesson} on {os.cpu_count()} CPUs; "
          f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(describe_limits(args.timeout, 8192, 300))
    results = {}
    for jobs in [int(j) for j in args.jobs.split(",")]:
        with tempfile.TemporaryDirectory(prefix="dlcourse-bench-") as work:
            root = Path(work)
            make_submissions(root, args.lesson, args.submissions)
            started = time.perf_counter()
            summary = autograde(REPO, root, [args.lesson], jobs=jobs, timeout=args.timeout, progress=False,
                                echo=lambda *a: None)
            seconds = time.perf_counter() - started
        rate = args.submissions / seconds * 60
        results[jobs] = rate
        print(f"--jobs {jobs}: {args.submissions} graded in {seconds:.1f} s = {rate:.2f} submissions/minute "
              f"(graded {summary['graded']}, failed {summary['failed']})")
    first = next(iter(results))
    for jobs, rate in results.items():
        if jobs != first:
            print(f"speed-up of --jobs {jobs} over --jobs {first}: {rate / results[first]:.2f}x")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
