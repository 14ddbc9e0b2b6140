"""Run profiles: `smoke` (small data, seconds) and `full` (the published accuracy).

A notebook's profile is resolved in one place, `resolve_profile`:

1. ``NBGRADER_EXECUTION`` is set (nbgrader validate/autograde): always ``smoke``,
   so grading never trains a model for minutes, whatever the notebook says.
2. The notebook's ``PROFILE`` parameter, when it is not ``None`` (papermill sets it).
3. The ``DLCOURSE_PROFILE`` environment variable.
4. ``full``: what a student gets by default.

Each lesson lists its profile-dependent sizes once, in the call to `configure`.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

from .errors import DlcourseError

PROFILES = ("smoke", "full")


def resolve_profile(requested: str | None = None) -> str:
    if os.environ.get("NBGRADER_EXECUTION"):
        return "smoke"
    for candidate in (requested, os.environ.get("DLCOURSE_PROFILE")):
        if candidate:
            if candidate not in PROFILES:
                raise DlcourseError(f"unknown profile {candidate!r}; use one of {', '.join(PROFILES)}")
            return candidate
    return "full"


class RunConfig(SimpleNamespace):
    """The resolved settings of one run: ``cfg.profile``, ``cfg.seed`` and each sized value."""

    @property
    def is_smoke(self) -> bool:
        return self.profile == "smoke"


def configure(profile: str | None, seed: int, *, smoke: dict, full: dict,
              overrides: dict | None = None, quiet: bool = False) -> RunConfig:
    """Resolve the profile, seed everything, and return this run's settings.

    ``smoke`` and ``full`` must name the same keys. ``overrides`` holds
    parameters the user set explicitly (``None`` values are ignored).
    """
    from .seeding import set_seed

    if set(smoke) != set(full):
        raise DlcourseError(f"smoke and full settings differ in keys: {sorted(set(smoke) ^ set(full))}")
    name = resolve_profile(profile)
    values = dict(smoke if name == "smoke" else full)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in values:
            raise DlcourseError(f"unknown setting {key!r}; this lesson's settings are {sorted(values)}")
        values[key] = value
    set_seed(seed)
    cfg = RunConfig(profile=name, seed=seed, **values)
    if not quiet:
        sized = ", ".join(f"{k}={v}" for k, v in values.items())
        print(f"profile: {name} (seed {seed})" + (f" | {sized}" if sized else ""))
    return cfg
