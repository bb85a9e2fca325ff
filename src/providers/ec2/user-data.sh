#!/usr/bin/env bash
# Strato's EC2 user data: runs at the first boot of every instance of an `ec2` job (cloud-init runs
# user data once; a reboot does not run it again, so a rebooted replica simply leaves no exit record
# and reads as a preemption). No SSH: everything comes from the instance metadata service (IMDSv2)
# and goes out to the job's S3 bucket, with the objects src/agent/layout.ts names.
#
# In:  instance tags (IMDS meta-data/tags/instance, on in the launch): strato-job, strato-attempt,
#      strato-replica, and strato-peer-<replica> = each replica's private DNS name (tagged by the
#      provider once every instance of the attempt exists: this script waits for them);
#      the last line of this user data: `# strato-launch: <base64 JSON {control, launch, hosts}>`.
# Out: <control>/<instance id>.boot.json, <replica>.log (every few seconds), <replica>.exit.json.
# Needs bash, curl, python3, the aws CLI (all on the Deep Learning AMI) and docker.
set -euo pipefail

IMDS="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
IMDS="${IMDS%/}"
STATE_DIR="${STRATO_VM_STATE_DIR:-/var/lib/strato}"
# How often the replica's output goes to the bucket while it runs.
LOG_EVERY_SEC="${STRATO_LOG_EVERY_SEC:-3}"
# How long to wait for the peers' tags before giving up (the provider tags right after the launch).
PEERS_WAIT_SEC="${STRATO_PEERS_WAIT_SEC:-600}"

say() { echo "strato-user-data: $*" >&2; }

# IMDSv2: a session token first (PUT), then every read carries it. One token for the whole script
# (6 h, the maximum): every read happens in its first minutes, most in $(…) subshells that could not
# hand a renewed token back.
token="$(curl -sSf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' "$IMDS/latest/api/token")"
imds() { curl -sSf -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/$1"; }
tag() { imds "meta-data/tags/instance/$1"; }

job="$(tag strato-job)"
attempt="$(tag strato-attempt)"
replica="$(tag strato-replica)"
instance="$(imds meta-data/instance-id)"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$(imds meta-data/placement/region)}"
work="$STATE_DIR/$job-$attempt"
mkdir -p "$work"
imds user-data | sed -n 's/^# strato-launch: //p' | tail -n 1 | base64 -d >"$work/launch.json"
control="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control"].rstrip("/") + "/")' "$work/launch.json")"

# upload FILE NAME CONTENT-TYPE: one object of the control folder, replaced whole.
upload() { aws s3 cp --only-show-errors --content-type "$3" "$1" "$control$2"; }

# The peers' names, once the provider has tagged them: attempt n's hosts are known only after launch.
deadline=$((SECONDS + PEERS_WAIT_SEC))
while :; do
  imds meta-data/tags/instance >"$work/tag-keys" || : >"$work/tag-keys"
  missing="$(python3 - "$work/launch.json" "$work/tag-keys" <<'PY'
import json, sys
hosts = json.load(open(sys.argv[1]))["hosts"]
keys = set(open(sys.argv[2]).read().split())
print(" ".join(r for r in hosts if f"strato-peer-{r}" not in keys))
PY
)"
  [ -z "$missing" ] && break
  if ((SECONDS > deadline)); then
    say "no peer tags for: $missing after ${PEERS_WAIT_SEC}s"
    exit 1
  fi
  sleep 1
done
: >"$work/peers"
for peer in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["hosts"]))' "$work/launch.json"); do
  printf '%s %s\n' "$peer" "$(tag "strato-peer-$peer")" >>"$work/peers"
done

# Writes the env file (docker --env-file: one VAR=value a line, each placeholder host replaced by its
# peer's name) and the argv after `docker run` (NUL-separated), and the image.
python3 - "$work" "$replica" <<'PY'
import json, sys
work, want = sys.argv[1:3]
doc = json.load(open(f"{work}/launch.json"))
launch = doc["launch"]
peers = dict(line.split() for line in open(f"{work}/peers") if line.strip())
found = [r for r in launch["replicas"] if r["name"] == want]
if not found:
    sys.exit(f"strato-user-data: strato-replica {want!r} is not in the launch")
with open(f"{work}/env", "w") as out:
    for name, value in found[0]["env"].items():
        # `host:` with its colon, so worker-1's placeholder never matches inside worker-10's.
        for replica, placeholder in doc["hosts"].items():
            value = value.replace(f"{placeholder}:", f"{peers[replica]}:")
        if "\n" in value:
            sys.exit(f"strato-user-data: env {name} holds a newline, which docker --env-file cannot carry")
        out.write(f"{name}={value}\n")
command = launch.get("command") or []
argv = ["--network", "host", *launch.get("dockerFlags", []), "--env-file", f"{work}/env"]
argv += ["--entrypoint", command[0]] if command else []
argv += [launch["image"], *command[1:], *launch.get("args", [])]
open(f"{work}/argv", "w").write("".join(a + "\0" for a in argv))
open(f"{work}/image", "w").write(launch["image"])
PY

python3 -c 'import json,sys,datetime
print(json.dumps({"host": sys.argv[1], "replica": sys.argv[2],
  "startedAt": datetime.datetime.now(datetime.timezone.utc).isoformat()}))' "$instance" "$replica" >"$work/boot.json"
upload "$work/boot.json" "$instance.boot.json" application/json

log="$work/$replica.log"
: >>"$log"
# exit_json CODE: the ExitRecord, with the last 20 lines of output for the job's error message.
exit_json() {
  python3 -c 'import json,sys,datetime
lines = open(sys.argv[3], errors="replace").read().splitlines()[-20:]
print(json.dumps({"replica": sys.argv[1], "exitCode": int(sys.argv[2]),
  "endedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(), "lastLines": lines}))' \
    "$replica" "$1" "$log" >"$work/exit.json"
  upload "$work/exit.json" "$replica.exit.json" application/json
}

docker_pid=''
finished=''
# Whatever ends this script (an error, SIGTERM at shutdown), the container goes with it and an
# exit.json says how. An instance terminated under it (a spot interruption) may leave none: the
# provider reads a terminated instance without an exit record as a preemption.
on_exit() {
  local status=$?
  if [ -n "$docker_pid" ]; then kill -KILL "$docker_pid" 2>/dev/null || true; fi
  if [ -z "$finished" ]; then
    finished=1
    upload "$log" "$replica.log" text/plain || true
    exit_json "$status" || true
  fi
}
trap on_exit EXIT
stopped=''
trap 'stopped=1; if [ -n "$docker_pid" ]; then kill -TERM "$docker_pid" 2>/dev/null || true; else exit 143; fi' TERM INT HUP

# The replica's log holds the program's output only; this script's own lines go to the console
# (cloud-init's output log on the instance). A failed pull is the exception: its words are the end.
image="$(cat "$work/image")"
say "pulling $image"
if ! docker pull "$image" >"$work/pull.log" 2>&1; then
  cat "$work/pull.log" >>"$log"
  exit 125
fi

mapfile -d '' argv <"$work/argv"
say "running replica $replica: docker run ${argv[*]}"
docker run "${argv[@]}" >>"$log" 2>&1 &
docker_pid=$!
uploaded_at=$SECONDS
while kill -0 "$docker_pid" 2>/dev/null; do
  if ((SECONDS - uploaded_at >= LOG_EVERY_SEC)); then
    upload "$log" "$replica.log" text/plain || say "log upload failed; trying again"
    uploaded_at=$SECONDS
  fi
  # Short naps, so the end is reported at once; in the background, so a SIGTERM is handled at once too.
  sleep 0.2 &
  wait $! || true
done
status=0
wait "$docker_pid" || status=$?
# bash gives -1 for a program that ended while the TERM trap ran (a shutdown signals the whole process
# group at once): its real status is lost, but it was sent SIGTERM, which docker reports as 143.
if ((status < 0 || status > 255)); then if [ -n "$stopped" ]; then status=143; else status=255; fi; fi
docker_pid=''
finished=1
upload "$log" "$replica.log" text/plain
exit_json "$status"
say "replica $replica exited with $status"
