#!/usr/bin/env bash
# One short, prepared session on a lent GPU (the `device` tool's `run`); it starts work at once and
# writes every result to $OUT as soon as it exists, so a run cut short still returns what it did.
#
#   1. the training benchmark on the GPU (`ser bench train --device cuda`), every paper model;
#   2. with the time left, and only where a job's corpus and the audio packages travelled with the
#      tree: the queue of paper-budget runs in JOBS (ArabEmoNet's arms, then the wavelet model on
#      RAVDESS), one job per fold, each with its own time limit (ARM_TIMEOUT, default 420 s), PARALLEL of
#      them at once (default 1); records name the GPU in `device`. A 15-minute lease finishes a fold or two: the folds accumulate over leases.
#
# Prepare here (once per session; both folders are ignored by git):
#   echo /.whl/ >> .git/info/exclude; echo /.gpu-data/ >> .git/info/exclude
#   AUDIO=1 scripts/gpu_wheels.sh         # what the device image lacks (AUDIO=1: also for step 2)
#   mkdir -p .gpu-data && cp -r ../shared/data/{eyase,SHA256SUMS} .gpu-data/   # optional, step 2: the
#   corpora of the jobs to run (a carry holds 64 MiB: EYASE 20, BAVED 50, RAVDESS 52 MiB; jobs without theirs skip)
#   the owed runs, so that a lease runs what has not landed yet (else the default queue below, from fold 0):
#   ser reproduce --owed --per-fold --paper arabemonet --gpu-jobs .gpu-data/JOBS
#   then keep the book's executed pages and results here (140 MiB; the tree that travels holds 64 MiB with
#   the carried folders):
#   git sparse-checkout set --no-cone '/*' '!/book/replications/' '!/papers/results/'
# Then, in one step, the commit file (the commit and a digest of the code, checked there) and the call:
#   bash scripts/gpu_check.sh commit; run(command="PARALLEL=2 ARM_TIMEOUT=570 bash scripts/gpu_check.sh", carry=[".whl", ".gpu-data"], timeout_s=600)
# and afterwards: git sparse-checkout disable; tar -xzf <files_at>/arms.tar.gz -C /tmp/gpuN;
# ser land /tmp/gpuN/results --pages /tmp/gpuN (records, then each completed notebook as a declared page).
# Measured on 2026-12-04 (H200, PARALLEL=2):
# an EYASE ArabEmoNet fold of either arm took 66-89 s of training, 103-150 s with the notebook around it, and
# the GPU was near 100 % busy with two, so a third at once would gain little; eight folds ended inside 600 s.
# Locally, DEVICE=cpu MODELS=emotionnet bash scripts/gpu_check.sh checks the script without a GPU.
# Exit status: 0; 1 when the benchmark failed, 2 when a job of step 2 failed (every step runs either way).
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check}
DEVICE=${DEVICE:-cuda}
GPU_DATA=${GPU_DATA:-.gpu-data}  # the corpora carried (DRY=1: print the jobs instead of running them)
code_hash() {  # the code a run executes (library, notebooks, declarations, scripts), as one digest
  find core ser scripts papers -type f \( -name '*.py' -o -name '*.ipynb' -o -name '*.yaml' -o -name '*.sh' \) \
    -not -path 'papers/results/*' -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16
}
if [ "${1:-}" = "commit" ]; then  # here, in the same step as the `run` call: bash scripts/gpu_check.sh commit
  mkdir -p "$GPU_DATA"
  { git rev-parse HEAD | tr -d '\n'; [ -z "$(git status --porcelain --untracked-files=no)" ] || printf -- -dirty
    printf ' %s\n' "$(code_hash)"; } > "$GPU_DATA/COMMIT"
  cat "$GPU_DATA/COMMIT"; exit 0
fi
mkdir -p "$OUT"
# The commit the tree was sent from (the .git that travels with the copy can be older than the tree), kept only
# where the code here is the code that commit file describes: else the records say "-unverified".
if [ -f "$GPU_DATA/COMMIT" ]; then
  read -r sent_commit sent_hash < "$GPU_DATA/COMMIT"
  if [ "$(code_hash)" = "$sent_hash" ]; then
    export SER_GIT_COMMIT=$sent_commit
  else
    export SER_GIT_COMMIT=${sent_commit%-dirty}-unverified
    echo "the code differs from $GPU_DATA/COMMIT's: records name $SER_GIT_COMMIT" | tee "$OUT/commit.log"
  fi
fi
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python3}
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
{ date -u; nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"; $PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'; } | tee "$OUT/device.txt"

model_args=()
for m in ${MODELS:-}; do model_args+=(--model "$m"); done
fail=0  # the exit status the header states
$PY -m ser.bench_train --device "$DEVICE" --threads "${THREADS:-8}" \
  "${model_args[@]}" --out "$OUT/train-bench-$DEVICE.json" 2>&1 | tee "$OUT/bench.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "the benchmark failed: $OUT/bench.log" | tee -a "$OUT/bench.log"; fail=1; }

missing=$($PY -c 'import importlib.util as u; print(" ".join(m for m in ("librosa", "soundfile", "papermill", "ipykernel") if u.find_spec(m) is None))')
# The paper-budget runs a CPU cannot afford, in order of value (JOBS overrides: "notebook:corpus:name:papermill
# args;..."; `ser reproduce --owed` lists what is owed, and the BAVED seeds run on the CPU): ArabEmoNet as the
# authors' code ran it and clean, on EYASE then BAVED (10 s inputs, kernel 10, 16 GFLOP per item forward: about
# 80 CPU-hours per arm and corpus at 100 epochs here, minutes per fold on a GPU), its speaker folds, then the
# wavelet model on RAVDESS (8-s images of 1,440 clips).
# One job per fold, so that every fold finished inside the lease comes back as its own record (a run cut
# short leaves nothing: the next lease is a fresh machine), `as_published` and `clean` on the same fold next
# to each other (two folds of both arms already measure the leak on matched test parts).
fold_jobs() {  # notebook corpus target "papermill args" fold...: one job per fold
  local nb=$1 corpus=$2 name=$3 args=$4; shift 4
  for f in "$@"; do printf '%s:%s:%s-fold%s:%s -y "{folds: [%s]}";' "$nb" "$corpus" "$name" "$f" "$args" "$f"; done
}
jobs_file=""
if [ -z "${JOBS:-}" ] && [ -f "$GPU_DATA/JOBS" ]; then  # ser reproduce --owed --gpu-jobs: used even when empty
  JOBS=$(cat "$GPU_DATA/JOBS"); jobs_file=1
  [ -n "$(echo "$JOBS" | tr -d '[:space:]')" ] || echo "nothing owed: $GPU_DATA/JOBS is empty" | tee -a "$OUT/arms.log"
fi
if [ -z "${JOBS:-}" ] && [ -z "$jobs_file" ]; then
  JOBS=""
  for c in eyase baved; do
    for f in 0 1 2 3 4; do
      JOBS+=$(fold_jobs arabemonet $c $c-as_published "-p arm as_published -p corpus $c -p protocol kfold -p studies False" $f)
      JOBS+=$(fold_jobs arabemonet $c $c-clean "-p arm clean -p corpus $c -p protocol kfold -p studies False" $f)
    done
  done
  for c in eyase baved; do
    JOBS+=$(fold_jobs arabemonet $c $c-speaker "-p arm speaker -p corpus $c -p studies False" 0 1 2 3 4)
  done
  for f in 0 1 2; do
    JOBS+=$(fold_jobs wavelet_cnn_lstm ravdess ravdess-sd-as_published "-p arm as_published -p protocol sd -p studies False -p corpus ravdess" $f)
    JOBS+=$(fold_jobs wavelet_cnn_lstm ravdess ravdess-sd-clean "-p arm clean -p protocol sd -p studies False -p corpus ravdess" $f)
  done
fi
if [ -n "$missing" ]; then
  echo "paper-budget runs skipped: packages missing: $missing" | tee "$OUT/arms.log"
else
  # notebooks and records outside $OUT (at most 8 files come back); one archive of the results after each job.
  # PARALLEL jobs share the GPU at once (default 1): that gains where one job leaves the GPU idle between its
  # small kernels, and loses where it does not, since jobs that share it all finish late and a lease cut short
  # then returns fewer of them.
  work=/tmp/gpu-arms; rm -rf "$work/rc"; mkdir -p "$work/rc"  # exit statuses of this call's jobs only
  par=${PARALLEL:-1}
  export OMP_NUM_THREADS=$(( $(nproc) / par > 0 ? $(nproc) / par : 1 ))
  run_job() {  # nb name papermill-args...: one fold; its exit status in $work/rc, the archive renewed
    local nb=$1 name=$2; shift 2
    local t0=$SECONDS
    echo "$name: started $(date -u +%H:%M:%S)" | tee -a "$OUT/arms.log"
    SER_DATA="$(cd "$GPU_DATA" && pwd)" SER_CACHE=/tmp/ser-cache timeout "${ARM_TIMEOUT:-420}" $PY -m papermill \
      "papers/$nb.ipynb" "$work/$name.ipynb" -p profile paper -p record True -p results_dir "$work/results/$nb" \
      "$@" > "$work/$name.log" 2>&1
    local rc=$?
    tail -5 "$work/$name.log" >> "$OUT/arms.log"
    echo "$name: exit $rc after $((SECONDS - t0)) s" | tee -a "$OUT/arms.log"
    echo "$rc" > "$work/rc/$name"
    archive
  }
  archive() {  # one job at a time (flock): a snapshot never replaces a newer one; tar's 1 ("a file changed as
    # it was read", another job still writing) still gives a usable archive
    ( ! command -v flock >/dev/null || flock 9; tar -czf "/tmp/arms-$BASHPID.tar.gz" -C "$work" . 2>/dev/null; [ $? -le 1 ] \
      && mv -f "/tmp/arms-$BASHPID.tar.gz" "$OUT/arms.tar.gz" ) 9> /tmp/gpu-arms.lock
  }
  IFS=';' read -ra jobs <<< "$JOBS"
  running=0
  for job in "${jobs[@]}"; do
    IFS=':' read -r nb corpus name args <<< "$(echo "$job" | sed 's/^ *//')"
    [ -n "$name" ] || continue  # an empty job (";;" in a JOBS given by hand)
    if [ ! -d "$GPU_DATA/$corpus" ]; then echo "$name skipped: no $GPU_DATA/$corpus carried" | tee -a "$OUT/arms.log"; continue; fi
    eval "extra=($args)"
    if [ -n "${DRY:-}" ]; then echo "would run $nb $name: ${extra[*]}" | tee -a "$OUT/arms.log"; continue; fi
    if [ "$running" -ge "$par" ]; then wait -n; running=$((running - 1)); fi
    run_job "$nb" "$name" "${extra[@]}" &
    running=$((running + 1))
  done
  wait
  [ -n "${DRY:-}" ] || archive  # the last state, every job ended
  for f in "$work"/rc/*; do
    [ -e "$f" ] || continue
    [ "$(cat "$f")" -eq 0 ] || [ "$fail" -ne 0 ] || fail=2
  done
fi
ls -la "$OUT"
exit $fail
