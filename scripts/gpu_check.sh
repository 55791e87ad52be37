#!/usr/bin/env bash
# One short, prepared session on a lent GPU (the `device` tool's `run`); it starts work at once and
# writes every result to $OUT as soon as it exists, so a run cut short still returns what it did.
#
#   1. the training benchmark on the GPU (`ser bench train --device cuda`), every paper model;
#   2. with the time left, and only where the BAVED corpus and the audio packages travelled with
#      the tree: one paper-budget seed of the flagship BAVED `as_published` and `clean` arms
#      (records name the GPU in `device`).
#
# Prepare here (once per session; both folders are ignored by git):
#   echo /.whl/ >> .git/info/exclude; echo /.gpu-data/ >> .git/info/exclude
#   AUDIO=1 scripts/gpu_wheels.sh         # what the device image lacks (AUDIO=1: also for step 2)
#   mkdir -p .gpu-data && cp -r ../shared/data/baved ../shared/data/SHA256SUMS .gpu-data/   # optional, step 2
# Then: run(command="bash scripts/gpu_check.sh", carry=[".whl", ".gpu-data"], timeout_s=540)
# Locally, DEVICE=cpu MODELS=emotionnet bash scripts/gpu_check.sh checks the script without a GPU.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python3}
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
{ date -u; nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"; $PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'; } | tee "$OUT/device.txt"

model_args=()
for m in ${MODELS:-}; do model_args+=(--model "$m"); done
$PY -m ser.bench_train --device "$DEVICE" --threads "${THREADS:-8}" \
  "${model_args[@]}" --out "$OUT/train-bench-$DEVICE.json" 2>&1 | tee "$OUT/bench.log"

missing=$($PY -c 'import importlib.util as u; print(" ".join(m for m in ("librosa", "soundfile", "papermill", "ipykernel") if u.find_spec(m) is None))')
if [ -d .gpu-data/baved ] && [ -z "$missing" ]; then
  # notebooks and records outside $OUT (at most 8 files come back); one archive of the results at the end of each arm
  work=/tmp/gpu-arms; mkdir -p "$work"
  for arm in as_published clean; do
    SER_DATA="$PWD/.gpu-data" SER_CACHE=/tmp/ser-cache timeout "${ARM_TIMEOUT:-240}" $PY -m papermill \
      papers/parallel_cnn_lstm.ipynb "$work/baved-$arm.ipynb" -p arm "$arm" -p profile paper -p record True \
      -y "seeds: [0]" -p results_dir "$work/results" 2>&1 | tail -5 | tee -a "$OUT/arms.log"
    echo "$arm: exit ${PIPESTATUS[0]}" | tee -a "$OUT/arms.log"
    tar -czf "$OUT/arms.tar.gz" -C "$work" . 2>/dev/null
  done
else
  echo "BAVED arms skipped: ${missing:+packages missing: $missing; }$([ -d .gpu-data/baved ] || echo 'no .gpu-data/baved carried')" | tee "$OUT/arms.log"
fi
ls -la "$OUT"
