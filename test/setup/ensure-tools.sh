#!/usr/bin/env bash
# Makes sure the programs some tests drive as independent clients of the
# fakes are here (test/support/tools.ts lists them with their test files):
#   chromium, rclone, shellcheck  installed from Debian with apt-get when missing;
#   gcloud            the Google Cloud CLI, which Debian does not package:
#                     install it yourself (see below);
#   TensorFlow        tensorflow-cpu and tensorboard in .venv-tf/ (ensure-tensorflow.sh);
#   moto_server       AWS's fake, installed with pip ("moto[server]") when missing;
#   cfn-lint          the CloudFormation linter, installed with pip when missing.
# Runs before `npm test`. A tool that is missing and cannot be installed
# makes this script fail with how to install it — unless you opt out of its
# tests with STRATO_TESTS_WITHOUT_<TOOL>=1: then this script says so loudly
# and vitest.config.ts leaves those tests out. Nothing is skipped silently.
set -uo pipefail

declare -A OPT_OUT=([chromium]=STRATO_TESTS_WITHOUT_CHROMIUM [rclone]=STRATO_TESTS_WITHOUT_RCLONE [gcloud]=STRATO_TESTS_WITHOUT_GCLOUD [shellcheck]=STRATO_TESTS_WITHOUT_SHELLCHECK)
declare -A HOW=(
  [chromium]="apt-get install chromium (as root)"
  [rclone]="apt-get install rclone (as root), or https://rclone.org/install/"
  [shellcheck]="apt-get install shellcheck (as root), or https://www.shellcheck.net"
  [gcloud]="install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install (Debian/Ubuntu: the google-cloud-cli package from packages.cloud.google.com)"
)

opted_out() { [ "${!OPT_OUT[$1]:-}" = "1" ]; }
have() { command -v "$1" >/dev/null 2>&1; }

# Install what Debian packages, where apt-get is usable.
apt_missing=()
for tool in chromium rclone shellcheck; do
  have "$tool" || opted_out "$tool" || apt_missing+=("$tool")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && have apt-get; then
    echo "ensure-tools: installing ${apt_missing[*]} from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null \
      || echo "ensure-tools: apt-get install ${apt_missing[*]} failed" >&2
  else
    echo "ensure-tools: cannot install ${apt_missing[*]} here (needs root and apt-get)" >&2
  fi
fi

status=0
# moto (the AWS tests' fake) and cfn-lint (the template lint): Python packages, from pip's index.
python3 -c 'import moto.server, flask' 2>/dev/null || {
  echo "ensure-tools: installing moto[server] with pip" >&2
  python3 -m pip install -q "moto[server]" || { echo "ensure-tools: pip install 'moto[server]' failed; the AWS tests need it" >&2; status=1; }
}
command -v cfn-lint >/dev/null 2>&1 || {
  echo "ensure-tools: installing cfn-lint with pip" >&2
  python3 -m pip install -q cfn-lint || { echo "ensure-tools: pip install cfn-lint failed; the template lint test needs it" >&2; status=1; }
}
# The real-TensorFlow tests' venv (.venv-tf/), from the pip index pip is configured with.
bash "$(dirname "${BASH_SOURCE[0]}")/ensure-tensorflow.sh" || status=1

for tool in chromium rclone shellcheck gcloud; do
  if opted_out "$tool"; then
    cat >&2 <<NOTICE
################################################################################
# ensure-tools: ${OPT_OUT[$tool]}=1 — the tests that drive $tool are LEFT OUT
# of this run (test/support/tools.ts lists them). This run proves less.
################################################################################
NOTICE
  elif ! have "$tool"; then
    echo "ensure-tools: $tool is missing and some tests drive it. To fix: ${HOW[$tool]}." >&2
    echo "              To run without those tests, set ${OPT_OUT[$tool]}=1." >&2
    status=1
  fi
done
exit $status
