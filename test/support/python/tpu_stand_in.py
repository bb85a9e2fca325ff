"""STAND-IN for a TensorFlow program on a Cloud TPU VM host, for tests on the fake cloud.

There is no TPU and no TPU build of TensorFlow here, so the fake VMs' docker shim runs this
script in place of a TPU trainer image's entrypoint (the test maps the image to it). It checks
what TPUStrategy needs from the host and the environment Strato gave it, in the order a
trainer meets them, and exits 3 with one line naming the first thing that is wrong. On success
it writes what it saw to the model dir (as a trainer writes its model there) and prints one
line naming what it checked.

What it reads, as a program on a TPU VM does: the metadata server (`agent-worker-number`,
`worker-network-endpoints`, `accelerator-type`, `instance/name`, a token), the environment
(`TPU_NAME`, the runtime's variables, `STRATO_*`, `AIP_*`), its arguments, Cloud Storage.
Where TensorFlow's TPUClusterResolver would ask the Cloud TPU API for the node `TPU_NAME`, this
resolves `<TPU_NAME>-w-0`, the name the fake gives the node's worker 0 (the fake VMs' hosts
file), and checks that it is worker 0 of this slice.
"""

import json
import os
import socket
import sys
import urllib.parse
import urllib.request

# TensorFlow devices per unit of an accelerator type's number: v2/v3 count TensorCores, one
# device each; v4/v5p count TensorCores too but run two per chip as one device (megacore);
# v5e/v6e types count chips.
DEVICES_PER_UNIT = {"v2": 1.0, "v3": 1.0, "v4": 0.5, "v5p": 0.5, "v5litepod": 1.0, "v6e": 1.0}
RUN_DIR_VARIABLES = (
    ("AIP_MODEL_DIR", "model/"),
    ("AIP_CHECKPOINT_DIR", "checkpoints/"),
    ("AIP_TENSORBOARD_LOG_DIR", "logs/"),
)


class Wrong(Exception):
    pass


def metadata(path):
    host = os.environ.get("GCE_METADATA_HOST") or "metadata.google.internal"
    request = urllib.request.Request(f"http://{host}/computeMetadata/v1/{path}", headers={"Metadata-Flavor": "Google"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.read().decode()
    except OSError as error:
        raise Wrong(f"the metadata server does not answer {path}: {error}") from None


def env(name):
    value = os.environ.get(name, "")
    if not value:
        raise Wrong(f"{name} is not set")
    return value


def check_host():
    """This host's worker number and the slice's hosts, as the TPU VM's metadata server gives them."""
    worker_text = metadata("instance/attributes/agent-worker-number")
    if not worker_text.isdigit():
        raise Wrong(f"agent-worker-number is {worker_text!r}, not a number")
    worker = int(worker_text)
    # `<name>:<port>:<ip>` per worker, in worker order.
    hosts = [entry.split(":")[0] for entry in metadata("instance/attributes/worker-network-endpoints").split(",")]
    name = metadata("instance/name")
    if worker >= len(hosts) or hosts[worker] != name:
        raise Wrong(f"this host {name} is not worker {worker} of worker-network-endpoints {hosts}")
    if len(hosts) > 1 and worker != 0:
        raise Wrong(f"the program runs on worker {worker}: TensorFlow's single client of a pod belongs on worker 0")
    return worker, hosts


def check_strato_env(worker):
    strategy, role = env("STRATO_STRATEGY"), env("STRATO_ROLE")
    if (strategy, role) != ("tpu", "tpu-host"):
        raise Wrong(f"STRATO_STRATEGY/STRATO_ROLE are {strategy}/{role}, not tpu/tpu-host")
    if env("STRATO_REPLICA_INDEX") != str(worker):
        raise Wrong(f"STRATO_REPLICA_INDEX={os.environ['STRATO_REPLICA_INDEX']} on worker {worker}")
    env("STRATO_JOB_NAME")


def check_tpu_name(hosts):
    """TPUClusterResolver('local') on one host; on a pod, the node's name."""
    tpu_name = env("TPU_NAME")
    if len(hosts) == 1:
        if tpu_name != "local":
            raise Wrong(f"TPU_NAME={tpu_name} on a single-host slice: TPUClusterResolver needs 'local'")
        return tpu_name
    if tpu_name == "local":
        raise Wrong(f"TPU_NAME=local on a {len(hosts)}-host slice: it must name the slice")
    try:
        canonical = socket.gethostbyname_ex(f"{tpu_name}-w-0")[0]
    except OSError:
        raise Wrong(f"TPU_NAME={tpu_name} names no TPU node here ({tpu_name}-w-0 does not resolve)") from None
    if canonical != hosts[0]:
        raise Wrong(f"TPU_NAME={tpu_name} names another node: its worker 0 is {canonical}, this slice's is {hosts[0]}")
    return tpu_name


def check_runtime(hosts):
    """PJRT loads libtpu as a pluggable device; StreamExecutor's client on a pod must not load it."""
    pjrt_api = os.environ.get("NEXT_PLUGGABLE_DEVICE_USE_C_API", "")
    plugin = os.environ.get("TF_PLUGGABLE_DEVICE_LIBRARY_PATH", "")
    load_library = os.environ.get("TPU_LOAD_LIBRARY", "")
    if pjrt_api or plugin:
        if pjrt_api != "true" or not plugin.endswith("libtpu.so"):
            raise Wrong(
                f"half a PJRT set-up: NEXT_PLUGGABLE_DEVICE_USE_C_API={pjrt_api!r} "
                f"TF_PLUGGABLE_DEVICE_LIBRARY_PATH={plugin!r}"
            )
        if load_library == "0":
            raise Wrong("TPU_LOAD_LIBRARY=0 with a PJRT runtime: libtpu is its plugin and must load")
        return f"pjrt ({plugin})"
    if len(hosts) > 1 and load_library != "0":
        raise Wrong("a StreamExecutor pod client without TPU_LOAD_LIBRARY=0 would take the TPU the slice's servers hold")
    if len(hosts) == 1 and load_library == "0":
        raise Wrong("TPU_LOAD_LIBRARY=0 on a single host: nothing else serves its TPU")
    return f"stream-executor (TPU_LOAD_LIBRARY={load_library or 'unset'})"


def check_replicas_in_sync():
    accelerator = metadata("instance/attributes/accelerator-type")
    generation, _, size = accelerator.rpartition("-")
    if generation not in DEVICES_PER_UNIT or not size.isdigit():
        raise Wrong(f"accelerator-type {accelerator!r} is not one this stand-in knows")
    devices = int(int(size) * DEVICES_PER_UNIT[generation])
    given = env("STRATO_REPLICAS_IN_SYNC")
    if given != str(devices):
        raise Wrong(f"STRATO_REPLICAS_IN_SYNC={given}, but TPUStrategy on {accelerator} has {devices} replicas")
    return accelerator, devices


def check_args(argv):
    """The trainer's flags: `--epochs=N` (as the MNIST example takes it) must arrive whole."""
    epochs = [arg.split("=", 1)[1] for arg in argv if arg.startswith("--epochs=")]
    if len(epochs) != 1 or not epochs[0].isdigit() or int(epochs[0]) < 1:
        raise Wrong(f"arguments {argv}: expected one --epochs=N with N >= 1")
    return argv


def check_run_dirs():
    """AIP_* name one gs:// run dir's model/, checkpoints/ and logs/ (TensorFlow writes there, not on the VM)."""
    roots = set()
    for name, leaf in RUN_DIR_VARIABLES:
        value = env(name)
        if not value.startswith("gs://") or not value.endswith("/" + leaf):
            raise Wrong(f"{name}={value}: expected gs://…/{leaf}")
        roots.add(value[: -len(leaf)])
    if len(roots) != 1:
        raise Wrong(f"the AIP_* dirs are not in one run dir: {sorted(roots)}")
    return roots.pop()


def write_model_marker(run_dir, seen):
    """Writes `<model dir>tpu-stand-in.json` with the VM's token, as TensorFlow's GCS file system would."""
    bucket, _, prefix = os.environ["AIP_MODEL_DIR"][len("gs://"):].partition("/")
    api = (os.environ.get("STORAGE_EMULATOR_HOST") or "https://storage.googleapis.com").rstrip("/")
    token = json.loads(metadata("instance/service-accounts/default/token"))["access_token"]
    name = urllib.parse.quote(prefix + "tpu-stand-in.json", safe="")
    request = urllib.request.Request(
        f"{api}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}",
        data=json.dumps(seen).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30):
            pass
    except OSError as error:
        raise Wrong(f"cannot write to the model dir {os.environ['AIP_MODEL_DIR']}: {error}") from None


def main(argv):
    worker, hosts = check_host()
    check_strato_env(worker)
    tpu_name = check_tpu_name(hosts)
    runtime = check_runtime(hosts)
    accelerator, devices = check_replicas_in_sync()
    args = check_args(argv)
    run_dir = check_run_dirs()
    seen = {"worker": worker, "hosts": hosts, "tpuName": tpu_name, "runtime": runtime, "args": args, "runDir": run_dir}
    write_model_marker(run_dir, seen)
    print(
        f"tpu stand-in OK: worker {worker} of {len(hosts)} ({hosts[worker]}), TPU_NAME={tpu_name}, "
        f"runtime {runtime}, {devices} replicas on {accelerator}, args {' '.join(args)}, run dir {run_dir}",
        flush=True,
    )


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Wrong as wrong:
        print(f"tpu stand-in FAILED: {wrong}", flush=True)
        sys.exit(3)
