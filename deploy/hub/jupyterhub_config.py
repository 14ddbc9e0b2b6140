"""JupyterHub for one class on one machine. Start it with `deploy/hub/start` (see README, "Running a class on one
machine"), or with `jupyterhub -f deploy/hub/jupyterhub_config.py` and the DLCOURSE_HUB_* variables that
`dlcourse/hub.py` documents. Everything is in `dlcourse.hub.Settings.configure`; add site settings below it.
"""

import sys
from pathlib import Path

try:  # the course installed in the hub's venv (pip install '.[hub]'), as the servers use it
    from dlcourse.hub import configure
except ImportError:  # else this checkout's
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from dlcourse.hub import configure

c = get_config()  # noqa: F821 - provided by traitlets when JupyterHub loads this file
configure(c)
