#!/usr/bin/env bash
# The full profile of lessons 02, 04, 05 and 07 on a lent GPU machine (the `device` tool), under JAX.
#
#   benchmarks/gpu_full_run.sh prepare        here: download the wheels the GPU machine lacks into .whl/ and copy
#                                             the staged data into .gpu-data/ (both git-ignored, carried by `run`)
#   benchmarks/gpu_full_run.sh run [LESSONS]  there: install the wheels, run `dlcourse run --profile full`,
#                                             write report.json/md and the executed notebooks to $OUT
#   TINY=1 benchmarks/gpu_full_run.sh run     the rehearsal: the same commands with one epoch on a few hundred
#                                             images, on any machine (the CPU here), to catch breakage for free
#
# The device call (15 minutes of device time in all, 10 per command; a start costs 1-2 minutes):
#   run(command="benchmarks/gpu_full_run.sh run 02,04,05,07", carry=[".whl", ".gpu-data"], timeout_s=580)
# Lesson 06 needs ImageNet weights that cannot be staged here; only its from-scratch part could run, and it is
# left out of the timed run. The machine has JAX and PyTorch but no TensorFlow, Keras, papermill or ipykernel.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=(keras==3.15.1 namex optree papermill nbformat nbclient jupyter_client jupyter_core ipykernel ipython
        traitlets pyzmq tornado comm debugpy matplotlib-inline nest_asyncio decorator jedi parso prompt_toolkit
        wcwidth stack_data asttokens executing pure_eval pexpect ptyprocess fastjsonschema jsonschema
        jsonschema-specifications referencing rpds-py platformdirs tenacity entrypoints ansicolors ipython_pygments_lexers
        nest-asyncio2)

case "${1:-}" in
prepare)
    mkdir -p .whl .gpu-data
    for wheel in "${WHEELS[@]}"; do
        python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
            --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform any -d .whl "$wheel"
    done
    cp "${DLCOURSE_DATA_DIR:-../shared/data}"/mnist.npz "${DLCOURSE_DATA_DIR:-../shared/data}"/cifar10-jpeg.tar.gz .gpu-data/
    du -sh .whl .gpu-data
    ;;
run)
    lessons=${2:-02,04,05,07}
    OUT=${OUT:-runs/gpu-$(date +%Y%m%d-%H%M%S)}
    mkdir -p "$OUT"
    if [ -d .whl ] && ! python3 -c 'import keras, papermill, ipykernel' 2>/dev/null; then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
        export PYTHONPATH=/tmp/site
    fi
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 KERAS_BACKEND=${KERAS_BACKEND:-jax}
    [ -d .gpu-data ] && export DLCOURSE_DATA_DIR="$PWD/.gpu-data"
    export DLCOURSE_CACHE_DIR=${DLCOURSE_CACHE_DIR:-/tmp/dlcourse-cache}
    # JAX takes 75% of GPU memory up front by default; the runner runs one lesson at a time, so that is fine.
    python3 - <<'PY' 2>&1 | tee "$OUT/environment.txt"
import dlcourse, keras
print(dlcourse.describe_environment())
print("keras", keras.__version__, "backend", keras.backend.backend())
PY
    tiny=()
    if [ -n "${TINY:-}" ]; then
        for setting in EPOCHS=1 IRIS_EPOCHS=2 TRAIN_SIZE=256 TEST_SIZE=128 VALID_SIZE=64 VALIDATION_SIZE=64 \
                       LENET5_EPOCHS=1 LENET_EPOCHS=1 CNN_EPOCHS=1 CHALLENGE_EPOCHS=1 SEED_CNN_EPOCHS=1 COMPARISON_EPOCHS=1; do
            tiny+=(--set "$setting")
        done
    fi
    started=$(date +%s)
    status=0
    python3 -c 'import sys; from dlcourse.cli import main; sys.exit(main())' run --profile full --lessons "$lessons" \
        --backend "$KERAS_BACKEND" --output "$OUT/full" "${tiny[@]}" 2>&1 | tee "$OUT/run.log" || status=$?
    echo "whole run: $(( $(date +%s) - started )) s, exit $status" | tee -a "$OUT/run.log"
    exit "$status"
    ;;
*)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
