"""`attempt`: how a lesson's demonstration uses an exercise's result before the exercise is done.

A demonstration cell that needs a student's function calls it through `attempt`, so Run All shows the
story up to each unfinished exercise instead of stopping at the first `NotImplementedError`.
"""

from __future__ import annotations


def attempt(function, *args, **kwargs):
    """Call an exercise function; while it is unfinished or failing, say so in one line and return None."""
    try:
        return function(*args, **kwargs)
    except Exception as error:  # a demonstration must not stop the notebook
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        print(f"({function.__name__} is not working yet ({reason}). Finish its exercise, then run this cell again.)")
        return None
