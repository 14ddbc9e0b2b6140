#!/usr/bin/env bash
# One entry point for the README's commands. Creates .venv on first use and keeps it in step with pyproject.toml.
#   ./course.sh setup     install the course and its dev tools into .venv (DLCOURSE_EXTRAS=dev,hub adds the hub's)
#   ./course.sh smoke     set up, then execute every lesson in the smoke profile and print where the report is
#   ./course.sh full      set up, then execute every lesson in the full profile (GPU recommended)
#   ./course.sh test      set up, then run the test suite
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

setup() {
    if [ ! -x .venv/bin/python ]; then
        "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
            || { echo "dlcourse needs Python 3.10 or newer; set PYTHON=/path/to/python3.X" >&2; exit 2; }
        "$PYTHON" -m venv .venv
    fi
    # Reinstall only when pyproject.toml (or the extras asked for, DLCOURSE_EXTRAS, default dev) changed.
    extras=${DLCOURSE_EXTRAS:-dev}
    stamp=.venv/.dlcourse-installed
    wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -e ".[$extras]"
        echo "$wanted" > "$stamp"
    fi
    # Kernels of this venv keep native libraries' stderr (TensorFlow's C++ log lines about oneDNN and CUDA,
    # printed before any log level applies) out of the notebooks: it goes to the terminal running Jupyter.
    mkdir -p .venv/etc/ipython
    config=.venv/etc/ipython/ipython_kernel_config.py
    [ -f "$config" ] || echo 'c.IPKernelApp.capture_fd_output = False  # written by course.sh setup' > "$config"
    # nbgrader shells out to alembic, which lives in .venv/bin.
    export PATH="$PWD/.venv/bin:$PATH"
}

command=${1:-}
shift || true
case "$command" in
    setup) setup ;;
    smoke) setup; exec dlcourse run --profile smoke --jobs 2 "$@" ;;
    full) setup; exec dlcourse run --profile full "$@" ;;
    test) setup; exec python -m pytest "$@" ;;
    *) sed -n '2,6p' "$0" >&2; exit 2 ;;
esac
