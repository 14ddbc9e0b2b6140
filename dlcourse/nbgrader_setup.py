"""The nbgrader configuration of this course, defined once.

`autograder/nbgrader_config.py` applies it for the ``nbgrader`` command and
the JupyterLab extension; the `dlcourse` verbs apply it through the API.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

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
    return config


def make_config(repo: Path, root: Path | None = None, release: Path | None = None) -> Config:
    return apply(Config(), repo, root, release)


def make_api(config: Config):
    """nbgrader's Python API for a course configured by `make_config` (and any later changes to it)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(CourseDirectory(config=config), config=config)
