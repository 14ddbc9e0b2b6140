"""`dlcourse grades`: the gradebook as one table (student × lesson × exercise), a CSV and a PNG.

The CSV has one row per student, lesson and exercise (a test cell, or a manually graded answer):
``student, lesson, exercise, score, max_score, status, note``. ``status`` is ``graded``, ``needs manual
grading`` or ``failed`` (with the reason in ``note``, the same text as in the student's feedback).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from .adapter import open_gradebook
from .status import graded_status
from ..errors import DlcourseError

COLUMNS = ["student", "lesson", "exercise", "score", "max_score", "status", "note"]


def grade_table(root: Path, lessons: list[str] | None = None) -> list[dict]:
    root = Path(root)
    status = graded_status(root)
    rows = []
    with open_gradebook(root) as gradebook:
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            if lessons and assignment.name not in lessons:
                continue
            order = {cell.name: index for notebook in assignment.notebooks
                     for index, cell in enumerate(notebook.grade_cells)}
            for submission in sorted(assignment.submissions, key=lambda s: s.student.id):
                record = status.get(f"{assignment.name}/{submission.student.id}", {})
                failed = record.get("status") == "failed"
                for notebook in submission.notebooks:
                    for grade in sorted(notebook.grades, key=lambda g: order.get(g.name, 0)):
                        state = ("failed" if failed else "needs manual grading" if grade.needs_manual_grade
                                 else "graded")
                        rows.append({"student": submission.student.id, "lesson": assignment.name,
                                     "exercise": grade.name, "score": float(grade.score),
                                     "max_score": float(grade.max_score), "status": state,
                                     "note": record.get("reason", "") if failed else "; ".join(record.get("notes", []))})
    if not rows:
        raise DlcourseError(f"the gradebook in {root} has no graded submissions"
                            + (f" for {', '.join(lessons)}" if lessons else ""))
    return rows


def write_csv(rows: list[dict], path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def lesson_totals(rows: list[dict]) -> dict:
    """{(student, lesson): (score, max_score, status)}"""
    totals = defaultdict(lambda: [0.0, 0.0, "graded"])
    for row in rows:
        entry = totals[(row["student"], row["lesson"])]
        entry[0] += row["score"]
        entry[1] += row["max_score"]
        if row["status"] != "graded":
            entry[2] = row["status"]
    return {key: tuple(value) for key, value in totals.items()}


def summary_lines(rows: list[dict]) -> list[str]:
    """A per-student table (lesson totals) and a per-exercise table (mean, share with full marks)."""
    totals = lesson_totals(rows)
    lessons = sorted({row["lesson"] for row in rows})
    students = sorted({row["student"] for row in rows})
    width = max(len("student"), *(len(s) for s in students))
    lines = [f"{'student':<{width}}  " + "  ".join(f"{lesson:>16}" for lesson in lessons)]
    for student in students:
        cells = []
        for lesson in lessons:
            score, maximum, state = totals.get((student, lesson), (None, None, ""))
            text = "—" if score is None else f"{score:g}/{maximum:g}" + (" FAILED" if state == "failed" else "")
            cells.append(f"{text:>16}")
        lines.append(f"{student:<{width}}  " + "  ".join(cells))
    lines.append("")
    lines.append(f"{'lesson':<20} {'exercise':<28} {'mean':>8} {'full marks':>11} {'failed runs':>12}")
    by_exercise = defaultdict(list)
    for row in rows:
        by_exercise[(row["lesson"], row["exercise"])].append(row)
    for (lesson, exercise), group in sorted(by_exercise.items()):
        maximum = group[0]["max_score"] or 1.0
        mean = sum(r["score"] for r in group) / len(group)
        full = sum(r["score"] >= maximum for r in group) / len(group)
        failed = sum(r["status"] == "failed" for r in group)
        lines.append(f"{lesson:<20} {exercise:<28} {mean:>5.2f}/{maximum:g} {full:>10.0%} {failed:>12}")
    return lines


def plot_distribution(rows: list[dict], path: Path) -> None:
    """Per lesson: a histogram of total scores, and each exercise's share of full, partial and zero marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    totals = lesson_totals(rows)
    lessons = sorted({row["lesson"] for row in rows})
    figure, axes = plt.subplots(len(lessons), 2, figsize=(12, 3.2 * len(lessons)), squeeze=False,
                                gridspec_kw={"width_ratios": [1, 1.4]})
    for (left, right), lesson in zip(axes, lessons):
        scores = [(s, m, st) for (student, les), (s, m, st) in totals.items() if les == lesson]
        maximum = max(m for _, m, _ in scores)
        graded = [s for s, _, st in scores if st != "failed"]
        failed = [s for s, _, st in scores if st == "failed"]
        bins = [x - 0.5 for x in range(int(maximum) + 2)] if maximum <= 40 else 20
        left.hist([graded, failed], bins=bins, stacked=True, color=["#4c72b0", "#c44e52"],
                  label=["graded", "failed to run"], rwidth=0.85)
        left.set(title=f"{lesson}: total score ({len(scores)} students)", xlabel=f"points (of {maximum:g})",
                 ylabel="students")
        left.yaxis.set_major_locator(MaxNLocator(integer=True))
        left.legend(fontsize=8)
        exercises = [r["exercise"] for r in rows if r["lesson"] == lesson]
        exercises = list(dict.fromkeys(exercises))
        shares = {"full marks": [], "partial": [], "zero": []}
        for exercise in exercises:
            group = [r for r in rows if r["lesson"] == lesson and r["exercise"] == exercise]
            count = len(group)
            full = sum(r["score"] >= r["max_score"] > 0 for r in group)
            zero = sum(r["score"] <= 0 for r in group)
            shares["full marks"].append(full / count)
            shares["zero"].append(zero / count)
            shares["partial"].append((count - full - zero) / count)
        start = [0.0] * len(exercises)
        for label, color in (("full marks", "#55a868"), ("partial", "#dd8452"), ("zero", "#c44e52")):
            right.barh(exercises, shares[label], left=start, color=color, label=label)
            start = [a + b for a, b in zip(start, shares[label])]
        right.set(title=f"{lesson}: share of students per exercise", xlim=(0, 1), xlabel="share of students")
        right.invert_yaxis()
        right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
