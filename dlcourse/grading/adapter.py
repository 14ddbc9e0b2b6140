"""Everything this course asks of nbgrader, in one place: configuration, API, gradebook and cell kinds.

`autograder/nbgrader_config.py` applies the configuration for the ``nbgrader`` command and the JupyterLab
extension; the `dlcourse` verbs apply it through the API. Cell kinds are nbgrader's own predicates
(`nbgrader.utils`), named for what this course means by them.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

from ..errors import DlcourseError

COURSE_ID = "dlcourse"
# nbgrader's default (30 s) interrupts a slow cell silently; later tests then fail for the wrong reason.
EXECUTE_TIMEOUT = 300


def grading_root(repo: Path) -> Path:
    """nbgrader's working directory (submitted/, autograded/, feedback/, gradebook.db); git-ignored."""
    configured = os.environ.get("DLCOURSE_GRADING_ROOT")
    return Path(configured).expanduser().resolve() if configured else repo / "autograder" / "work"


def apply(config: Config, repo: Path, root: Path | None = None, release: Path | None = None) -> Config:
    """Fill ``config`` for the course in ``repo``; ``root``/``release`` override the working and release dirs."""
    repo = Path(repo).resolve()
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.root = str(root or grading_root(repo))
    # Absolute paths: nbgrader joins them onto root, and os.path.join keeps an absolute second part.
    config.CourseDirectory.source_directory = str(repo / "solutions")
    config.CourseDirectory.release_directory = str(release or repo / "course")
    config.Exchange.root = os.environ.get("DLCOURSE_EXCHANGE", str(Path(config.CourseDirectory.root) / "exchange"))
    try:  # nbgrader refuses to work with an exchange folder that does not exist
        Path(config.Exchange.root).mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    config.Execute.timeout = EXECUTE_TIMEOUT
    config.Execute.interrupt_on_timeout = True
    # Student versions never carry outputs; hidden tests are stripped by ClearHiddenTests.
    config.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    config.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    # The trusted checks (solutions/<lesson>/checks.py) are never released to students.
    config.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "checks.py"]
    # nbgrader's own feedback (`nbgrader generate_feedback`, the formgrader's buttons) renders the same safe page
    # as `dlcourse feedback`, never the autograded notebook with its test cells.
    config.GenerateFeedback.exporter_class = "dlcourse.grading.feedback.SafeFeedbackExporter"
    config.GenerateFeedback.preprocessors = []
    return config


def make_config(repo: Path, root: Path | None = None, release: Path | None = None) -> Config:
    return apply(Config(), repo, root, release)


def make_api(config: Config):
    """nbgrader's Python API for a course configured by `make_config` (and any later changes to it)."""
    import shutil
    import sys

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    if not shutil.which("alembic"):  # nbgrader shells out to alembic, which sits beside this Python in a venv
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

    return NbGraderAPI(CourseDirectory(config=config), config=config)


# ------------------------------------------------------------------------------------------ the gradebook

def db_url(root: Path) -> str:
    return f"sqlite:///{Path(root) / 'gradebook.db'}"


def open_gradebook(root: Path):
    from nbgrader.api import Gradebook

    return Gradebook(db_url(root), COURSE_ID)


def register_assignment(repo: Path, root: Path, lesson: str, release: Path) -> None:
    """nbgrader generate_assignment for ``lesson`` into the gradebook in ``root``, the student version to ``release``."""
    if not (Path(repo) / "solutions" / lesson / f"{lesson}.ipynb").is_file():
        raise DlcourseError(f"solutions/{lesson}/{lesson}.ipynb does not exist, so {lesson} cannot be graded")
    Path(root).mkdir(parents=True, exist_ok=True)
    result = make_api(make_config(repo, root=root, release=release)).generate_assignment(lesson, force=True,
                                                                                        create=True)
    if not result["success"]:
        import re

        text = f"{result.get('log') or ''}\n{result.get('error') or ''}"
        # nbgrader ends with "Please see the above traceback"; the exception line above it is the reason.
        reasons = re.findall(r"^\s*\w+(?:Error|Exception): (.+)$", text, flags=re.M)
        reasons = [r for r in reasons if "above traceback" not in r]
        detail = reasons[-1].strip() if reasons else (text.strip().splitlines() or ["no log"])[-1]
        if "because there are submissions associated with it" in detail:
            detail += (": its graded cells changed after it was graded; grade it in a new course directory, or "
                       "remove its submissions from this gradebook")
        raise DlcourseError(f"nbgrader could not register {lesson} in {root}: {detail}")


# ------------------------------------------------------------------------------------------ cell kinds

def is_test(cell) -> bool:
    """An autograded test cell: it carries points and no answer."""
    from nbgrader import utils

    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def is_answer(cell) -> bool:
    """A cell the student writes in (code or a written answer)."""
    from nbgrader import utils

    return utils.is_solution(cell)


def is_manual(cell) -> bool:
    """A written answer (or task) graded by a person."""
    from nbgrader import utils

    return utils.is_grade(cell) and (utils.is_solution(cell) or utils.is_task(cell))


def graded_cells(notebook) -> dict:
    """{grade_id: cell} for every cell nbgrader tracks (answers, tests, read-only cells), in order."""
    from nbgrader import utils

    found = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str) and (
                utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)):
            found.setdefault(meta["grade_id"], cell)
    return found
