"""`python -m dlcourse.check NOTEBOOK`: a student's summary of a notebook's visible checks (see
`dlcourse.grading.student_check`). Exit code 0 when every exercise passes, 1 when one fails, 2 on an error."""

from __future__ import annotations

import sys

from .errors import DlcourseError


def check_my_work(notebook=None) -> None:
    """Run the saved notebook's visible checks in a fresh kernel and print a table: each exercise, passed or
    failed, its points, the first hint of a failing one, and the total. Save the notebook first.

    In JupyterLab, ``dlcourse.check_my_work()`` checks the notebook it is called from."""
    from .grading import student_check

    if student_check.being_checked():
        print("check_my_work: skipped while this notebook is itself being checked, validated or graded")
        return None
    try:
        print(student_check.check_notebook(student_check.find_notebook(notebook)))
    except DlcourseError as exc:
        print(f"check_my_work: {exc}")
    return None


def main(argv: list[str] | None = None) -> int:
    from .grading import student_check

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m dlcourse.check NOTEBOOK.ipynb", file=sys.stderr)
        return 2
    try:
        report = student_check.check_notebook(student_check.find_notebook(args[0]))
    except DlcourseError as exc:
        print(f"dlcourse.check: error: {exc}", file=sys.stderr)
        return 2
    print(report)
    return 0 if report.exercises and all(e.passed for e in report.exercises) else 1


if __name__ == "__main__":
    sys.exit(main())
