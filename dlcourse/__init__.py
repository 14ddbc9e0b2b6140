"""dlcourse: helpers for the deep-learning-for-vision course.

Notebooks use: `configure` (profile + seeding), `record` (key results for
the run report), `describe_environment`, `attempt` (a demonstration that
needs an unfinished exercise says so and goes on), and the `data` and
`plotting` packages; `check_my_work` shows a student which visible checks pass.
"""

from .check import check_my_work
from .environment import describe as describe_environment
from .exercises import attempt
from .profile import configure, resolve_profile
from .record import record
from .seeding import set_seed

__version__ = "0.1.0"
__all__ = ["attempt", "check_my_work", "configure", "describe_environment", "record", "resolve_profile", "set_seed"]
