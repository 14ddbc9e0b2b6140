"""One exception type for problems a user can fix (bad input, missing data).

The CLI prints these as a single line instead of a traceback.
"""


class DlcourseError(RuntimeError):
    """A problem with the user's input or environment, with a message that says how to fix it."""
