"""The instructor's grading verbs: release, collect, autograde, feedback, grades, roster (see autograder/README.md).

All of them work on nbgrader's course directory: ``--root``, else ``DLCOURSE_GRADING_ROOT``, else
``autograder/work`` in the checkout (git-ignored).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .errors import DlcourseError


def _fast_imports() -> None:
    from .grading.processes import skip_slow_format_checker

    skip_slow_format_checker()


def _root(args) -> Path:
    from . import project
    from .grading.adapter import grading_root

    return Path(args.root).expanduser().resolve() if args.root else grading_root(project.root())


def _existing_root(args) -> Path:
    root = _root(args)
    if not root.is_dir():
        raise DlcourseError(f"no course directory at {root}: run `dlcourse collect --from PATH` first "
                            f"(or pass --root / set DLCOURSE_GRADING_ROOT)")
    return root


def resolve_lesson(name: str) -> str:
    """A registered lesson (id, number or slug), or any assignment folder in solutions/."""
    from . import lessons, project

    if (project.root() / "solutions" / name).is_dir():
        return name
    return lessons.find(name).lesson_id


def _lessons(value: str | None) -> list[str] | None:
    return [resolve_lesson(n.strip()) for n in value.split(",") if n.strip()] if value else None


def _students(value: str | None) -> list[str] | None:
    return [s.strip() for s in value.split(",") if s.strip()] if value else None


def _known_lessons() -> list[str]:
    from . import lessons, project

    folders = {p.name for p in (project.root() / "solutions").iterdir() if p.is_dir()}
    return sorted(folders | {lesson.lesson_id for lesson in lessons.LESSONS})


def _exchange_dir(args) -> Path | None:
    return Path(args.exchange_dir).expanduser().resolve() if args.exchange_dir else None


def _cmd_collect(args) -> int:
    _fast_imports()
    if bool(args.source) == bool(args.exchange):
        raise DlcourseError("say where the submissions are: --from PATH (a download) or --exchange (nbgrader's "
                            "exchange)")
    if args.exchange:
        from . import project
        from .grading.exchange import collect as collect_exchange

        if args.lesson and args.lesson_name:
            raise DlcourseError("give the lesson once: `dlcourse collect --exchange LESSON`")
        lesson = args.lesson_name or args.lesson
        report = collect_exchange(project.root(), _root(args), [resolve_lesson(lesson)] if lesson else None,
                                  exchange=_exchange_dir(args), force=args.force)
    else:
        from .grading.collect import collect

        if args.lesson_name:
            raise DlcourseError(f"a lesson argument ({args.lesson_name}) is for --exchange; for a download, "
                                f"--lesson {args.lesson_name} says which lesson every notebook in it is")
        if args.exchange_dir:
            raise DlcourseError("--exchange-dir is for --exchange, not --from")
        lesson = resolve_lesson(args.lesson) if args.lesson else None
        report = collect(Path(args.source), _root(args), _known_lessons(), lesson=lesson, force=args.force)
    lines = [line.replace("(replacing them must be asked for)", "(--force replaces them)") for line in report.lines()]
    print("\n".join(lines))
    fresh = {label.split("/")[1] for label in report.collected + report.replaced}
    if fresh:  # both paths end in the same folders, graded the same way
        print("next: dlcourse autograde" + (f" {fresh.pop()}" if len(fresh) == 1 else ""))
    return 0


def _cmd_release(args) -> int:
    _fast_imports()
    from . import project
    from .grading.exchange import release

    lesson = resolve_lesson(args.lesson)
    target = release(project.root(), _root(args), lesson, exchange=_exchange_dir(args), force=args.force)
    print(f"released {lesson} to {target}: students fetch it from the Assignment List "
          f"(or `nbgrader fetch_assignment {lesson} --course {target.parent.parent.name}`)")
    return 0


def _terminate(signum, frame):  # SIGTERM behaves like Ctrl-C: stop the workers, keep what is merged
    raise KeyboardInterrupt


def _cmd_autograde(args) -> int:
    _fast_imports()
    from . import project
    from .grading.autograde import autograde
    from .grading.jail import JailUnavailable, Limits

    lessons = [resolve_lesson(args.lesson)] if args.lesson else None
    for flag, value, least in (("--jobs", args.jobs, 1), ("--processes", args.processes, 8)):
        if value < least:
            raise DlcourseError(f"{flag} must be at least {least}, got {value}")
    root = _existing_root(args)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        limits = Limits(memory_mb=args.memory, processes=args.processes, disk_mb=args.disk)
        try:
            summary = autograde(project.root(), root, lessons, _students(args.students), jobs=args.jobs,
                                timeout=args.timeout, cell_timeout=args.cell_timeout, limits=limits,
                                isolation=args.isolation, force=args.force, retry_failed=args.retry_failed,
                                progress=not args.no_progress)
        except JailUnavailable as exc:  # the library names no flags; the CLI says which one opts out
            raise DlcourseError(f"{exc}; to grade trusted submissions without a jail, pass --isolation none") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    tag = "NOT isolated: " if args.isolation == "none" else ""
    print(f"{tag}graded {summary['graded']}, failed {summary['failed']}, skipped {summary['skipped']} "
          f"(already graded); gradebook: {root / 'gradebook.db'}")
    for key, reason in summary["failures"].items():
        print(f"{tag}  failed {key}: {reason}")
    return 0


def _cmd_feedback(args) -> int:
    _fast_imports()
    root = _existing_root(args)
    if args.lesson and args.lessons:
        raise DlcourseError("give the lessons once: a LESSON argument or --lessons")
    lessons = [resolve_lesson(args.lesson)] if args.lesson else _lessons(args.lessons)
    if args.release:
        from . import project
        from .grading.exchange import release_feedback

        outcome, where = release_feedback(project.root(), root, lessons, _students(args.students),
                                          exchange=_exchange_dir(args))
        print("\n".join(outcome.lines(where)))
        if outcome.released:
            print("students fetch it from the Assignment List (or `nbgrader fetch_feedback LESSON`)")
        return 0 if outcome.released or not outcome.skipped else 1
    if args.exchange_dir:
        raise DlcourseError("--exchange-dir is for --release")
    from .grading.feedback import generate_feedback

    written = generate_feedback(root, lessons, _students(args.students))
    print(f"wrote {len(written)} feedback page(s) under {root / 'feedback'}")
    return 0


def _cmd_grades(args) -> int:
    _fast_imports()
    from .grading.grades import grade_table, plot_distribution, summary_lines, write_csv

    if bool(args.lms) != bool(args.out):
        raise DlcourseError("--lms and --out go together: dlcourse grades --lms canvas|moodle --out FILE")
    rows = grade_table(_existing_root(args), _lessons(args.lessons))
    print("\n".join(summary_lines(rows)))
    if args.csv:
        write_csv(rows, Path(args.csv))
        print(f"wrote {args.csv}")
    if args.plot:
        plot_distribution(rows, Path(args.plot))
        print(f"wrote {args.plot}")
    if args.lms:
        from .grading.lms import export

        print("\n".join(export(_existing_root(args), args.lms, Path(args.out), _lessons(args.lessons)).lines()))
    return 0


def _cmd_roster(args) -> int:
    from .grading.roster import import_roster, read_roster

    lms, entries = read_roster(Path(args.source), args.lms, args.id_column)
    print("\n".join(import_roster(_root(args), lms, entries).lines(lms)))
    return 0


def _cmd_check(args) -> int:
    from .grading.student_check import check_notebook

    report = check_notebook(Path(args.notebook))
    print(report)
    return 0 if report.exercises and all(e.passed for e in report.exercises) else 1


def add_commands(commands) -> None:
    """Register the grading subcommands on the `dlcourse` parser."""
    from .grading.adapter import EXECUTE_TIMEOUT
    from .grading.autograde import DEFAULT_TIMEOUT, ISOLATIONS
    from .grading.collect import __doc__ as collect_doc
    from .grading.jail import Limits
    from .grading.roster import LMS

    defaults = Limits()

    def with_root(parser):
        parser.add_argument("--root", help="nbgrader course directory (default: DLCOURSE_GRADING_ROOT or "
                                           "autograder/work)")
        return parser

    def with_exchange(parser):
        parser.add_argument("--exchange-dir", help="the nbgrader exchange folder (default: Exchange.root of the "
                                                   "course's nbgrader config: DLCOURSE_EXCHANGE or <root>/exchange)")
        return parser

    release = with_exchange(with_root(commands.add_parser(
        "release", help="release a lesson's student version (course/LESSON) to the nbgrader exchange")))
    release.add_argument("lesson", help="lesson id, number or slug")
    release.add_argument("--force", action="store_true", help="release it again (replaces the released copy)")
    release.set_defaults(func=_cmd_release)

    collect = with_exchange(with_root(commands.add_parser(
        "collect", help="import submissions: a download (folder or zip; per-student folders, Canvas, Moodle) "
                        "or nbgrader's exchange",
        description=collect_doc, formatter_class=argparse.RawDescriptionHelpFormatter)))
    collect.add_argument("lesson_name", nargs="?", metavar="LESSON",
                         help="with --exchange: collect this lesson only (default: every lesson submitted)")
    collect.add_argument("--from", dest="source", help="folder or .zip with the submissions")
    collect.add_argument("--exchange", action="store_true",
                         help="collect from nbgrader's exchange instead: each student's latest submission")
    collect.add_argument("--lesson", help="the lesson of every notebook in the download (for renamed files)")
    collect.add_argument("--force", action="store_true", help="replace submissions already collected")
    collect.set_defaults(func=_cmd_collect)

    grade = with_root(commands.add_parser(
        "autograde", help="grade every collected submission: each kernel jailed, verdicts from trusted checks"))
    grade.add_argument("lesson", nargs="?", help="one lesson (default: every lesson with submissions)")
    grade.add_argument("--students", help="comma list of student ids (default: all)")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    grade.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                       help=f"wall-time limit per submission in seconds (default {DEFAULT_TIMEOUT})")
    grade.add_argument("--cell-timeout", type=float, default=EXECUTE_TIMEOUT,
                       help=f"per-cell limit; a slower cell fails and grading goes on (default {EXECUTE_TIMEOUT})")
    grade.add_argument("--memory", type=int, default=defaults.memory_mb,
                       help=f"memory per kernel in MB (cgroup, else address space), 0 for none "
                            f"(default {defaults.memory_mb})")
    grade.add_argument("--processes", type=int, default=defaults.processes,
                       help=f"processes and threads per kernel (default {defaults.processes})")
    grade.add_argument("--disk", type=int, default=defaults.disk_mb,
                       help=f"MB the kernel may write in all: working copy, HOME, TMPDIR (default {defaults.disk_mb})")
    grade.add_argument("--isolation", choices=ISOLATIONS, default="jail",
                       help="jail (default): bubblewrap, no network, no other files or processes; none: run "
                            "student code as this user (trusted submissions only; every line says NOT isolated)")
    grade.add_argument("--force", action="store_true", help="re-grade submissions already graded")
    grade.add_argument("--retry-failed", action="store_true", help="re-grade submissions that failed before")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.set_defaults(func=_cmd_autograde)

    feedback = with_exchange(with_root(commands.add_parser(
        "feedback", help="per-student HTML feedback (test, pass/fail, points, hint; never hidden-test source)")))
    feedback.add_argument("lesson", nargs="?", help="one lesson (or --lessons)")
    feedback.add_argument("--release", action="store_true",
                          help="also release the pages to nbgrader's exchange, for students to fetch")
    feedback.add_argument("--lessons", help="comma list (default: all graded)")
    feedback.add_argument("--students", help="comma list of student ids (default: all)")
    feedback.set_defaults(func=_cmd_feedback)

    grades = with_root(commands.add_parser("grades", help="grade table per student, lesson and exercise"))
    grades.add_argument("--lessons", help="comma list (default: all graded)")
    grades.add_argument("--csv", help="write the table (one row per student, lesson, exercise) as CSV")
    grades.add_argument("--plot", help="write a PNG of the score distribution per lesson and exercise")
    grades.add_argument("--lms", choices=LMS, help="with --out: write the file this LMS's gradebook imports")
    grades.add_argument("--out", help="with --lms: the CSV to write (one row per student, one column per lesson)")
    grades.set_defaults(func=_cmd_grades)

    roster = with_root(commands.add_parser(
        "roster", help="import students' names, emails and LMS ids from a Canvas or Moodle export"))
    roster.add_argument("--from", dest="source", required=True,
                        help="Canvas gradebook export or Moodle participants/grades export (CSV)")
    roster.add_argument("--lms", choices=LMS, help="which LMS wrote the file (default: read from its header)")
    roster.add_argument("--id-column", help="the column that holds each student's id in submitted/ and the "
                                            "gradebook (default: Canvas ID, Moodle ID number; on a JupyterHub, "
                                            "the one with the hub user name)")
    roster.set_defaults(func=_cmd_roster)

    check = commands.add_parser("check", help="a student's check of a saved notebook: each exercise's visible "
                                              "checks, points and first hint (no hidden tests)")
    check.add_argument("notebook", help="the .ipynb file (save it first)")
    check.set_defaults(func=_cmd_check)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the `dlcourse` command")
