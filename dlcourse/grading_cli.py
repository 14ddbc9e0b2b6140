"""The instructor's grading verbs: collect, autograde, feedback, grades (see autograder/README.md)."""

from __future__ import annotations


def add_commands(commands) -> None:
    """Register the grading subcommands on the `dlcourse` parser."""
