"""Autograding throughput: the same submissions graded jailed and unjailed, side by side.

    python benchmarks/autograde_throughput.py                          # lessons 00, 01, 03; 3 submissions each
    python benchmarks/autograde_throughput.py --lessons 00_setup_check -n 6 --jobs 2 --rounds 2

The submissions are a mix of correct (the solutions notebook), blank (the student version) and wrong (the
lesson's round-trip case from tests/cases/). Each round grades all of them once with ``isolation="none"`` and
once with ``isolation="jail"`` (in alternating order, each in a fresh course directory) through
`dlcourse.grading.autograde`, exactly as `dlcourse autograde` does. It prints submissions per minute for each,
and the jail's cost as a ratio of the wall times. It also prints the load average before and after, because
the numbers mean little on a machine that other work is using. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def make_submissions(root: Path, lesson: str, count: int) -> None:
    import nbformat
    from roundtrip import load_case, wrong_submission

    solution = REPO / "solutions" / lesson / f"{lesson}.ipynb"
    blank = REPO / "course" / lesson / f"{lesson}.ipynb"
    case = load_case(lesson)
    for index in range(count):
        kind = ("correct", "wrong", "blank")[index % 3]
        notebook = (nbformat.read(solution, as_version=4) if kind == "correct"
                    else nbformat.read(blank, as_version=4) if kind == "blank"
                    else wrong_submission(solution, case.WRONG_ANSWER["grade_id"], case.WRONG_ANSWER["source"]))
        target = root / "submitted" / f"student{index:03d}" / lesson
        target.mkdir(parents=True)
        nbformat.write(notebook, target / f"{lesson}.ipynb")


def grade_once(lessons: list[str], count: int, jobs: int, isolation: str) -> tuple[float, dict]:
    from dlcourse.grading.autograde import autograde

    with tempfile.TemporaryDirectory(prefix="dlcourse-bench-") as work:
        root = Path(work)
        for lesson in lessons:
            make_submissions(root, lesson, count)
        started = time.perf_counter()
        summary = autograde(REPO, root, lessons, jobs=jobs, isolation=isolation, progress=False,
                            echo=lambda *a: None)
        return time.perf_counter() - started, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", default="00_setup_check,01_images_as_arrays,03_convolution")
    parser.add_argument("-n", "--submissions", type=int, default=3, help="submissions per lesson")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    staged = REPO.parent / "shared" / "data"
    if "DLCOURSE_DATA_DIR" not in os.environ and staged.is_dir():
        os.environ["DLCOURSE_DATA_DIR"] = str(staged)
    from dlcourse.grading.processes import skip_slow_format_checker

    skip_slow_format_checker()
    lessons = [lesson.strip() for lesson in args.lessons.split(",")]
    total = args.submissions * len(lessons)
    print(f"{total} submissions ({args.submissions} each of {', '.join(lessons)}), --jobs {args.jobs}, "
          f"{os.cpu_count()} CPUs; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    seconds = {"none": [], "jail": []}
    for round_number in range(args.rounds):
        order = ("none", "jail") if round_number % 2 == 0 else ("jail", "none")
        for isolation in order:
            wall, summary = grade_once(lessons, args.submissions, args.jobs, isolation)
            seconds[isolation].append(wall)
            print(f"round {round_number + 1}, isolation {isolation}: {total} in {wall:.1f} s = "
                  f"{total / wall * 60:.2f} submissions/minute (graded {summary['graded']}, failed {summary['failed']})")
    none, jailed = statistics.median(seconds["none"]), statistics.median(seconds["jail"])
    print(f"median: none {total / none * 60:.2f}/min, jail {total / jailed * 60:.2f}/min; "
          f"the jail costs {100 * (jailed / none - 1):+.1f}% wall time")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
