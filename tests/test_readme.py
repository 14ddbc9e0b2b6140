"""The README's assignment table is the one the notebooks define, and its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from dlcourse.assignments import table

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_assignment_table_matches_the_notebooks():
    match = re.search(r"<!-- assignments:start -->\n(.*?)\n<!-- assignments:end -->", README, re.S)
    assert match, "README.md has no assignment table between <!-- assignments:start/end --> markers"
    assert match.group(1).strip() == table(REPO), (
        "README's assignment table is stale; regenerate it with `python -m dlcourse.assignments`")


def test_ci_calls_the_readme_test_command():
    command = "./course.sh test"
    assert f"```bash\n{command}\n```" in README
    assert command in (REPO / ".ci" / "run").read_text()
