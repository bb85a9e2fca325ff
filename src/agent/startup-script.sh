#!/usr/bin/env bash
# Strato's startup script: runs at every boot of every VM of a `gce` or
# `tpu-vm` job (the provider puts it in the `startup-script` metadata), and of
# every standing machine a stack deployed with `stratoJobs: true`. No SSH:
# everything comes from the metadata server and goes out to the job's bucket,
# as layout.ts beside this file names it. Needs only bash, curl, python3 (on
# every Google VM image, used to read JSON) and docker.
#
# A VM made for one attempt runs that attempt's work once. A standing VM
# (`strato-standing: TRUE`), or one that boots with no work, is an agent: it
# waits for work keys by long-polling the metadata server, runs each job and
# attempt it has not run (a `done` marker in its state folder), stops the
# program when the keys stop naming it (cancel), and waits again.
set -euo pipefail

MD="http://${GCE_METADATA_HOST:-metadata.google.internal}/computeMetadata/v1"
STATE_DIR="${STRATO_VM_STATE_DIR:-/var/lib/strato}"
# How often the replica's output goes to the bucket while it runs.
LOG_EVERY_SEC="${STRATO_LOG_EVERY_SEC:-3}"
# How long a cancelled program gets between SIGTERM and SIGKILL.
STOP_GRACE_SEC="${STRATO_STOP_GRACE_SEC:-10}"
# How long one metadata long-poll waits for a change (the server's timeout_sec).
WAIT_SEC="${STRATO_WAIT_SEC:-60}"

say() { echo "strato-startup: $*" >&2; }
md() { curl -sSf -H 'Metadata-Flavor: Google' "$MD/$1"; }
attr() { md "instance/attributes/$1"; }
# An attribute that may be absent (curl -f fails on the 404).
attr_or() { md "instance/attributes/$1" 2>/dev/null || printf '%s' "$2"; }
# The guest attribute the provider (and `gcloud … get-guest-attributes`) reads; never fatal.
set_state() {
  curl -sSf -X PUT -H 'Metadata-Flavor: Google' --data "$1" "$MD/instance/guest-attributes/strato/state" \
    || say "could not set guest attribute strato/state=$1"
}
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# run_work: the work the metadata names now ($job, attempt $attempt), run once: the whole of a VM
# made for one attempt, a subshell of the agent (below) on a standing VM. Its exits end the work.
run_work() {
control="$(attr strato-control)"
api="$(attr_or strato-storage-api https://storage.googleapis.com)"
host="$(md instance/name)"
worker="$(attr_or agent-worker-number '')" # set on TPU VM hosts only
control="${control%/}/"
bucket="${control#gs://}"
bucket="${bucket%%/*}"
prefix="${control#gs://"$bucket"/}"
work="$STATE_DIR/$job-$attempt"
mkdir -p "$work"
set_state booting

token=''
token_at=-9999
# A fresh token every ten minutes (metadata tokens live about an hour).
refresh_token() {
  if ((SECONDS - token_at > 600)); then
    token="$(md instance/service-accounts/default/token | json_field access_token)"
    token_at=$SECONDS
  fi
}
# upload FILE OBJECT CONTENT-TYPE: one media upload to the control folder (the object is replaced whole);
# OBJECT is URL-encoded already (names below).
upload() {
  refresh_token
  curl -sSf --retry 3 -o /dev/null -X POST -H "Authorization: Bearer $token" -H "Content-Type: $3" \
    --data-binary "@$1" "$api/upload/storage/v1/b/$bucket/o?uploadType=media&name=$2"
}
object_exists() {
  refresh_token
  curl -sSf -o /dev/null -H "Authorization: Bearer $token" "$api/storage/v1/b/$bucket/o/$1"
}

# Pick this machine's replica from the launch: by name on GCE, by worker number on a TPU host.
attr strato-launch >"$work/launch.json"
mode=gce
want="$(attr_or strato-replica '')"
if [ -n "$worker" ]; then mode=tpu want="$worker"; fi
# Writes the env file (docker --env-file: one VAR=value a line), the argv after `docker run`
# (NUL-separated) and the image; prints the replica's name, or nothing for a host that runs no program.
replica="$(
  python3 - "$work" "$mode" "$want" <<'PY'
import json, sys
work, mode, want = sys.argv[1:4]
launch = json.load(open(f"{work}/launch.json"))
key = (lambda r: r["name"] == want) if mode == "gce" else (lambda r: str(r.get("worker")) == want)
found = [r for r in launch["replicas"] if key(r)]
if mode == "gce" and not found:
    sys.exit(f"strato-startup: strato-replica {want!r} is not in strato-launch")
if not found:
    sys.exit(0)
if not found[0]["runsProgram"]:
    # A host that only serves the TPU runtime: its name still gets a log (what this script did there).
    open(f"{work}/idle-replica", "w").write(found[0]["name"])
    sys.exit(0)
replica = found[0]
with open(f"{work}/env", "w") as out:
    for name, value in replica["env"].items():
        if "\n" in value:
            sys.exit(f"strato-startup: env {name} holds a newline, which docker --env-file cannot carry")
        out.write(f"{name}={value}\n")
command = launch.get("command") or []
argv = ["--net=host", *launch.get("dockerFlags", []), "--env-file", f"{work}/env"]
argv += ["--entrypoint", command[0]] if command else []
argv += [launch["image"], *command[1:], *launch.get("args", [])]
open(f"{work}/argv", "w").write("".join(a + "\0" for a in argv))
open(f"{work}/image", "w").write(launch["image"])
print(replica["name"])
PY
)"

# The control objects' names, URL-encoded once for the JSON API's paths.
{
  read -r boot_object
  read -r log_object
  read -r exit_object
} < <(python3 -c 'import sys,urllib.parse; [print(urllib.parse.quote(n, safe="")) for n in sys.argv[1:]]' \
  "$prefix$host.boot.json" "$prefix$replica.log" "$prefix$replica.exit.json")

boot_json() {
  python3 -c 'import json,sys,datetime
record = {"host": sys.argv[1], "startedAt": datetime.datetime.now(datetime.timezone.utc).isoformat()}
if sys.argv[2]: record["replica"] = sys.argv[2]
if sys.argv[3]: record["worker"] = int(sys.argv[3])
print(json.dumps(record))' "$host" "$replica" "$worker"
}
boot_json >"$work/boot.json"
upload "$work/boot.json" "$boot_object" application/json
if [ -z "$replica" ]; then
  # Every host of a pod slice has a log in the bucket: on an idle one, what this script did there.
  idle="$(cat "$work/idle-replica" 2>/dev/null || true)"
  if [ -n "$idle" ]; then
    printf '%s\n' "strato-startup: $host (worker ${worker:-?}) booted for job $job attempt $attempt" \
      "strato-startup: no program runs on this host: it serves the TPU runtime; the program runs on worker 0" \
      >"$work/$idle.log"
    upload "$work/$idle.log" "$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
      "$prefix$idle.log")" text/plain || say "could not upload the log of $idle"
  fi
  say "no program runs on this host (worker ${worker:-?}): idle"
  set_state idle
  exit 0
fi

log="$work/$replica.log"
# exit_json CODE [rebooted]: the ExitRecord, with the last 20 lines of output for the job's error message.
exit_json() {
  python3 -c 'import json,sys,datetime
lines = open(sys.argv[3], errors="replace").read().splitlines()[-20:] if sys.argv[3] else []
record = {"replica": sys.argv[1], "exitCode": int(sys.argv[2]),
          "endedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(), "lastLines": lines}
if sys.argv[4]: record["rebooted"] = True
print(json.dumps(record))' "$replica" "$1" "$([ -f "$log" ] && echo "$log")" "${2:-}" >"$work/exit.json"
  upload "$work/exit.json" "$exit_object" application/json
}

# A VM that reboots runs this script again: the program of this job and attempt never starts twice.
# The replica's end is reported once (143, as a SIGTERM) so the job's restart policy decides.
if [ -e "$work/started" ]; then
  say "rebooted during job $job attempt $attempt: the program does not start again"
  object_exists "$exit_object" || exit_json 143 rebooted
  set_state rebooted
  exit 0
fi
touch "$work/started"

docker_pid=''
finished=''
# Whatever ends this script (an error, SIGTERM at stop or preemption), the container goes with it,
# and an exit.json tells the provider how the replica ended.
on_exit() {
  local status=$?
  if [ -n "$docker_pid" ]; then kill -KILL "$docker_pid" 2>/dev/null || true; fi
  if [ -z "$finished" ]; then
    finished=1
    upload "$log" "$log_object" text/plain || true
    exit_json "$status" || true
    set_state exited
  fi
}
trap on_exit EXIT
# A program that ignores the SIGTERM is killed STOP_GRACE_SEC later, by the loop below (a job started
# here would hold up bash's `wait` for the program).
stop_at=''
stop_program() {
  if [ -z "$docker_pid" ]; then exit 143; fi
  kill -TERM "$docker_pid" 2>/dev/null || true
  stop_at=$SECONDS
}
trap stop_program TERM INT HUP

image="$(cat "$work/image")"
set_state pulling
say "pulling $image" 2>>"$log"
docker pull "$image" >>"$log" 2>&1

mapfile -d '' argv <"$work/argv"
say "running replica $replica: docker run ${argv[*]}" 2>>"$log"
set_state running
docker run "${argv[@]}" >>"$log" 2>&1 &
docker_pid=$!
uploaded_at=$SECONDS
while kill -0 "$docker_pid" 2>/dev/null; do
  if [ -n "$stop_at" ] && ((SECONDS - stop_at >= STOP_GRACE_SEC)); then kill -KILL "$docker_pid" 2>/dev/null || true; fi
  if ((SECONDS - uploaded_at >= LOG_EVERY_SEC)); then
    upload "$log" "$log_object" text/plain || say "log upload failed; trying again"
    uploaded_at=$SECONDS
  fi
  # Short naps, so the end is reported at once; in the background, so a SIGTERM is handled at once too.
  sleep 0.2 &
  wait $! || true
done
status=0
wait "$docker_pid" || status=$?
# bash gives -1 for a program that ended while the TERM trap ran (a stop or preemption signals the whole
# process group at once): its real status is lost, but it was sent SIGTERM, which docker reports as 143.
if ((status < 0 || status > 255)); then if [ -n "$stop_at" ]; then status=143; else status=255; fi; fi
docker_pid=''
finished=1
upload "$log" "$log_object" text/plain
exit_json "$status"
set_state exited
say "replica $replica exited with $status"
}

# --- The agent: a standing VM waits for work, runs it in a subshell, and stops it on cancel. ---

# wait_metadata ETAG: every attribute as JSON once it differs from ETAG (at once for ETAG 0), or
# after WAIT_SEC; sets $snapshot and $etag (https://cloud.google.com/compute/docs/metadata/querying-metadata#waitforchange).
wait_metadata() {
  local headers
  headers="$(mktemp)"
  snapshot="$(curl -sSf -D "$headers" -H 'Metadata-Flavor: Google' \
    "$MD/instance/attributes/?recursive=true&wait_for_change=true&timeout_sec=$WAIT_SEC&last_etag=$1")" || {
    rm -f "$headers"
    return 1
  }
  etag="$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\([^[:space:]]*\).*/\1/p' "$headers")"
  rm -f "$headers"
}
# The job and attempt the work keys of $snapshot name ("job attempt"), or nothing when there is no work.
work_of() {
  python3 -c 'import json,sys
a = json.loads(sys.argv[1])
if a.get("strato-job") and a.get("strato-attempt") and a.get("strato-launch"): print(a["strato-job"], a["strato-attempt"])' "$snapshot"
}
# watch_work PID JOB ATTEMPT: while the work runs, stop it (SIGTERM: its program, then the exit record)
# once the metadata no longer names its job and attempt (cancelled, or the job released the VM).
watch_work() {
  local seen=0
  while kill -0 "$1" 2>/dev/null; do
    wait_metadata "$seen" || { sleep 1 && continue; }
    seen="$etag"
    if [ "$(work_of)" != "$2 $3" ]; then
      say "job $2 attempt $3 is no longer this VM's work: stopping it"
      kill -TERM "$1" 2>/dev/null || true
      return 0
    fi
  done
}
agent() {
  local etag=0 snapshot='' named
  say "standing VM: waiting for work"
  set_state idle
  while true; do
    wait_metadata "$etag" || { sleep 2 && continue; }
    # Nothing here may end the agent (set -e): an answer it cannot read is no work.
    named="$(work_of)" || named=''
    [ -n "$named" ] || continue
    job="${named% *}" attempt="${named#* }"
    [ ! -e "$STATE_DIR/$job-$attempt/done" ] || continue
    say "work: job $job attempt $attempt"
    (run_work) &
    local work_pid=$!
    watch_work "$work_pid" "$job" "$attempt" &
    local watch_pid=$!
    wait "$work_pid" || true
    kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
    if ! { mkdir -p "$STATE_DIR/$job-$attempt" && touch "$STATE_DIR/$job-$attempt/done"; }; then
      say "could not mark job $job attempt $attempt done"
    fi
    set_state idle
  done
}

standing="$(attr_or strato-standing '')"
if [ "${standing^^}" = TRUE ] || ! attr strato-job >/dev/null 2>&1; then agent; fi
job="$(attr strato-job)"
attempt="$(attr strato-attempt)"
run_work
