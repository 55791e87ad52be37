#!/usr/bin/env bash
# Download, here, the wheels scripts/gpu_check.sh needs on the GPU machine (Python 3.12 there, no
# network): the benchmark's schema checker and, for the BAVED arms, the audio and notebook packages.
set -euo pipefail
mkdir -p .whl
PLAT=(--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${PLAT[@]}" -d .whl \
  -c requirements.lock jsonschema jsonschema-specifications referencing rpds-py \
  ${AUDIO:+librosa soundfile soxr audioread pooch decorator lazy-loader papermill nbclient nbformat nbconvert \
  jupyter-client jupyter-core ipykernel fastjsonschema tenacity entrypoints ansicolors traitlets pyzmq tornado \
  ipython comm debugpy matplotlib-inline nest-asyncio cffi pycparser platformdirs jedi parso pexpect ptyprocess \
  prompt-toolkit wcwidth stack-data executing asttokens pure-eval ipython-pygments-lexers}
ls .whl
