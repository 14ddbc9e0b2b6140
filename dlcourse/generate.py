"""`dlcourse generate [--check]`: student versions in ``course/`` from ``solutions/``, via nbgrader, and
``course/nbgrader_config.py``, the configuration students' Validate and Assignment List read."""

from __future__ import annotations

import difflib
import json
import shutil
import tempfile
from pathlib import Path

from .errors import DlcourseError
from .lessons import Lesson
from .grading.adapter import STUDENT_CONFIG, make_api, make_config, student_config


def _api(repo: Path, root: Path, release: Path):
    return make_api(make_config(repo, root=root, release=release))


def generate_into(repo: Path, lessons: list[Lesson], release: Path) -> None:
    """Run nbgrader's generate_assignment for each lesson into ``release/<lesson>/``."""
    with tempfile.TemporaryDirectory(prefix="dlcourse-generate-") as work:
        api = _api(repo, Path(work), release)
        for lesson in lessons:
            if not lesson.notebook(repo).is_file():
                raise DlcourseError(f"{lesson.notebook(repo)}: no such notebook")
            result = api.generate_assignment(lesson.lesson_id, force=True, create=True)
            if not result["success"]:
                raise DlcourseError(f"nbgrader could not generate {lesson.lesson_id}:\n{result['error'] or result['log']}")


def _canonical(path: Path) -> list[str]:
    return json.dumps(json.loads(path.read_text()), indent=1, sort_keys=True).splitlines()


def differences(repo: Path, lessons: list[Lesson], student_config_too: bool = True) -> list[str]:
    """Unified diffs between ``course/`` and freshly generated student versions (empty when in sync), and of
    ``course/nbgrader_config.py`` unless ``student_config_too`` is false."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="dlcourse-release-") as release:
        release = Path(release)
        generate_into(repo, lessons, release)
        for lesson in lessons:
            fresh_dir, committed_dir = release / lesson.lesson_id, repo / "course" / lesson.lesson_id
            names = sorted({p.relative_to(fresh_dir) for p in fresh_dir.rglob("*") if p.is_file()}
                           | {p.relative_to(committed_dir) for p in committed_dir.rglob("*") if p.is_file()})
            for name in names:
                fresh, committed = fresh_dir / name, committed_dir / name
                label = f"course/{lesson.lesson_id}/{name}"
                if not committed.is_file():
                    problems.append(f"{label}: missing (nbgrader generates it)")
                elif not fresh.is_file():
                    problems.append(f"{label}: not generated from solutions/ (stale file)")
                elif fresh.suffix == ".ipynb":
                    diff = list(difflib.unified_diff(_canonical(committed), _canonical(fresh),
                                                     f"{label} (committed)", f"{label} (generated)", lineterm="", n=1))
                    if diff:
                        problems.append("\n".join(diff[:40]))
                elif fresh.read_bytes() != committed.read_bytes():
                    problems.append(f"{label}: differs")
    config = repo / "course" / STUDENT_CONFIG
    if not student_config_too:
        pass
    elif not config.is_file():
        problems.append(f"course/{STUDENT_CONFIG}: missing (dlcourse generate writes it)")
    elif config.read_text() != student_config():
        problems.append("\n".join(difflib.unified_diff(config.read_text().splitlines(), student_config().splitlines(),
                                                       f"course/{STUDENT_CONFIG} (committed)",
                                                       f"course/{STUDENT_CONFIG} (generated)", lineterm="", n=1)))
    return problems


def write_student_config(repo: Path) -> Path:
    """``course/nbgrader_config.py``: the course's cell timeout and a quiet Assignment List for students."""
    target = Path(repo) / "course" / STUDENT_CONFIG
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(student_config())
    return target


def generate(repo: Path, lessons: list[Lesson]) -> list[Path]:
    """Regenerate ``course/<lesson>/`` for each lesson; returns the student notebooks written."""
    with tempfile.TemporaryDirectory(prefix="dlcourse-release-") as release:
        release = Path(release)
        generate_into(repo, lessons, release)
        written = []
        for lesson in lessons:
            target = repo / "course" / lesson.lesson_id
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(release / lesson.lesson_id, target)
            written.append(target / f"{lesson.lesson_id}.ipynb")
    written.append(write_student_config(repo))
    return written
