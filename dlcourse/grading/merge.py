"""Writing verdicts into nbgrader's gradebook (this process alone writes it)."""

from __future__ import annotations

from pathlib import Path

from . import adapter


def _timestamp(folder: Path):
    """nbgrader's ``timestamp.txt`` of a submission, or None."""
    from nbgrader.utils import parse_utc

    stamp = Path(folder) / "timestamp.txt"
    if not stamp.is_file():
        return None
    try:
        return parse_utc(stamp.read_text(errors="replace").strip()[:64])
    except Exception:  # noqa: BLE001 - an unreadable stamp is no stamp
        return None


def record_grades(root: Path, lesson: str, student: str, scores: dict, folder: Path) -> tuple[float, float]:
    """Set each test cell's automatic score; written answers wait for a person (their manual score is kept)."""
    with adapter.open_gradebook(root) as gradebook:
        gradebook.update_or_create_student(student)
        timestamp = _timestamp(folder)
        submission = gradebook.update_or_create_submission(lesson, student,
                                                           **({"timestamp": timestamp} if timestamp else {}))
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.auto_score = float(scores[grade.name])
                    # As nbgrader's SaveAutoGrades: a manual score is kept, and flagged for review.
                    grade.needs_manual_grade = grade.manual_score is not None
                else:  # a written answer: a person grades it
                    grade.auto_score = None
                    grade.needs_manual_grade = grade.manual_score is None
        gradebook.db.commit()
        return float(submission.score), float(submission.max_score)


def record_failure(root: Path, lesson: str, student: str) -> float:
    """A submission that could not be graded stays in the gradebook with zero automatic points."""
    with adapter.open_gradebook(root) as gradebook:
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(lesson, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = 0.0, grade.manual_score is not None
        gradebook.db.commit()
        return float(submission.max_score)


def graded_pairs(root: Path) -> set:
    if not (Path(root) / "gradebook.db").is_file():
        return set()
    with adapter.open_gradebook(root) as gradebook:
        return {(s.assignment.name, s.student.id) for a in gradebook.assignments for s in a.submissions}
