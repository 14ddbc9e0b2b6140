"""nbgrader's configuration for this course: `nbgrader ...` and `jupyter lab` started in this folder read it.

Everything is defined once, in `dlcourse/grading/adapter.py`: course id, the course directory (`autograder/work`,
git-ignored, or DLCOURSE_GRADING_ROOT), `solutions/` as the source and `course/` as the release folder, the
exchange, and an explicit `Execute.timeout`.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dlcourse.grading.adapter import apply  # noqa: E402

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file
apply(c, REPO)
