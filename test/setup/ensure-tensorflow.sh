#!/usr/bin/env bash
# Makes the project-local TensorFlow venv the real-TF tests run in
# (`.venv-tf/` at the repo root, gitignored): tensorflow-cpu 2.21 (brings
# Keras 3) and tensorboard 2.21 (its EventAccumulator is the reference reader
# for event files; tensorflow-cpu 2.21 no longer pulls it in). Created when
# missing, reused when present; prints what it did. Override the folder with
# STRATO_TF_VENV. `--retries 0` keeps pip from retrying for minutes an index
# it cannot reach (offline machines with a local wheel index).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${STRATO_TF_VENV:-$root/.venv-tf}"
python="${PYTHON:-python3}"
packages=(tensorflow-cpu==2.21.0 tensorboard==2.21.0)
check='import tensorflow, tensorboard, keras; assert tensorflow.__version__.startswith("2.21")'

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
  echo "ensure-tensorflow: reusing $venv (tensorflow-cpu 2.21, tensorboard 2.21)" >&2
  exit 0
fi
if ! command -v "$python" >/dev/null 2>&1; then
  echo "ensure-tensorflow: $python not found; install Python 3.9-3.12 to run the real-TensorFlow tests" >&2
  exit 0
fi
echo "ensure-tensorflow: creating $venv with ${packages[*]} (about 20 s from a local index)" >&2
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv" || { echo "ensure-tensorflow: '$python -m venv $venv' failed (Debian: apt-get install python3-venv)" >&2; exit 0; }
fi
if "$venv/bin/pip" install --quiet --disable-pip-version-check --retries 0 "${packages[@]}" >&2 \
  && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
  echo "ensure-tensorflow: installed ${packages[*]} into $venv" >&2
else
  echo "ensure-tensorflow: pip install ${packages[*]} into $venv failed; the real-TensorFlow tests will fail saying how to install it" >&2
fi
exit 0
