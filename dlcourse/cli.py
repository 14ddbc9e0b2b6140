"""The `dlcourse` command: data, run, and the instructor's grading verbs.

Every user error (bad argument, missing folder, unknown lesson) is one line
on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import DlcourseError


def _cmd_data_status(args) -> int:
    from .data.staging import format_status

    print(format_status())
    return 0


def _cmd_data_stage(args) -> int:
    from .data.staging import stage

    for line in stage(args.source, args.to):
        print(f"staged {line}")
    return 0


def _cmd_run(args) -> int:
    from . import lessons, project
    from .runner import failure_summary, run_course

    if args.source not in ("solutions", "course"):
        raise DlcourseError(f"--source must be solutions or course, got {args.source!r}")
    repo, chosen = project.root(), lessons.select(args.lessons)
    parameters = _parameters(args.set or [], repo, chosen, args.source)
    report = run_course(repo, chosen, profile=args.profile, source=args.source,
                        backend=args.backend, jobs=args.jobs, output=args.output, seed=args.seed,
                        timeout=args.timeout, parameters=parameters)
    print(f"report: {Path(report['output']) / 'report.md'}")
    summary = failure_summary(report)
    if summary:
        print(summary, file=sys.stderr)
        return 1
    return 0


def _parameters(assignments: list[str], repo, chosen, source) -> dict:
    """``--set NAME=VALUE`` pairs; VALUE is a Python literal (1, 0.5, "text", None) or else a plain string."""
    import ast

    from .runner import notebook_parameters

    declared = set()
    for lesson in chosen:
        if lesson.notebook(repo, source).is_file():
            declared |= notebook_parameters(lesson.notebook(repo, source))
    parameters = {}
    for assignment in assignments:
        name, equals, text = assignment.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise DlcourseError(f"--set {assignment!r}: write NAME=VALUE, e.g. --set EPOCHS=1")
        if name in ("PROFILE", "SEED"):
            raise DlcourseError(f"--set {name}: use --{name.lower()} instead")
        if name not in declared:
            raise DlcourseError(f"--set {name}: no chosen lesson has a parameter {name}; "
                                f"theirs: {', '.join(sorted(declared - {'PROFILE', 'SEED'}))}")
        try:
            parameters[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parameters[name] = text
    return parameters


def _cmd_generate(args) -> int:
    from . import lessons, project
    from .generate import differences, generate

    repo, chosen = project.root(), lessons.select(args.lessons)
    chosen = [lesson for lesson in chosen if lesson.notebook(repo).is_file()]
    if args.check:
        problems = differences(repo, chosen)
        if problems:
            print("\n".join(problems))
            print(f"course/ is stale for {len(problems)} file(s): run `dlcourse generate`", file=sys.stderr)
            return 1
        print(f"course/ is in sync with solutions/ ({len(chosen)} lessons)")
        return 0
    for path in generate(repo, chosen):
        print(f"wrote {path.relative_to(repo)}")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line plus usage, exit 2 (argparse's own convention)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlcourse", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="staged data folder (sets DLCOURSE_DATA_DIR)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = commands.add_parser("data", help="data sets and pretrained weights")
    data_commands = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    data_commands.add_parser("status", help="where each data set would load from").set_defaults(func=_cmd_data_status)
    stage = data_commands.add_parser("stage", help="verify and copy staged files into the data dir")
    stage.add_argument("--from", dest="source", required=True, help="folder with mnist.npz, cifar10-jpeg.tar.gz, ...")
    stage.add_argument("--to", help="target data dir (default: DLCOURSE_DATA_DIR or ~/.dlcourse/data)")
    stage.set_defaults(func=_cmd_data_stage)

    run = commands.add_parser("run", help="execute lesson notebooks with papermill and write a report")
    run.add_argument("--profile", choices=["smoke", "full"], default="smoke")
    run.add_argument("--lessons", help="comma list, e.g. 01,03 (default: all)")
    run.add_argument("--source", default="solutions", help="solutions (instructor) or course (student versions)")
    run.add_argument("--backend", choices=["tensorflow", "jax", "torch"], help="sets KERAS_BACKEND for the kernels")
    run.add_argument("--jobs", type=int, default=1, help="notebooks executed at once")
    run.add_argument("--output", type=Path, help="folder for executed notebooks and the report (default: runs/...)")
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--timeout", type=int, help="per-cell timeout in seconds")
    run.add_argument("--set", action="append", metavar="NAME=VALUE",
                     help="a parameters-cell value for every chosen lesson that declares NAME, e.g. --set EPOCHS=1 "
                          "(repeatable); the profile's targets are then not checked")
    run.set_defaults(func=_cmd_run)

    gen = commands.add_parser("generate", help="regenerate course/ from solutions/ with nbgrader")
    gen.add_argument("--check", action="store_true", help="only compare; exit 1 and list differences if stale")
    gen.add_argument("--lessons", help="comma list (default: all)")
    gen.set_defaults(func=_cmd_generate)

    from . import grading_cli

    grading_cli.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir:
        from .data.paths import set_data_dir

        set_data_dir(args.data_dir)
    try:
        return args.func(args)
    except DlcourseError as exc:
        print(f"dlcourse: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dlcourse: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
