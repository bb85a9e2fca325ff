#!/usr/bin/env bash
# Installs the Debian tools some tests drive as independent peers: Chromium
# (the metrics HTML report is checked in a real browser) and rclone (a second
# client for the fake Cloud Storage). Runs before `npm test`; a no-op when
# they are present, and only a notice where apt-get is not usable (the tests
# that need a missing tool then say so and skip).
set -uo pipefail
bash "$(dirname "${BASH_SOURCE[0]}")/ensure-tensorflow.sh"  # the real-TensorFlow tests' venv (.venv-tf/)
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rclone >/dev/null 2>&1 || missing+=(rclone)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: ${missing[*]} missing and cannot be installed here (needs root and apt-get); their tests will skip" >&2
  exit 0
fi
echo "ensure-tools: installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || echo "ensure-tools: apt-get install ${missing[*]} failed; their tests will skip" >&2
exit 0
