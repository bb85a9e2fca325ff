"""Everything a replica learns from its environment, read once into plain data.

Strato's compiler (`src/strategies/` in the TypeScript package) sets, on every
replica that runs the program: `STRATO_JOB_NAME`, `STRATO_STRATEGY`,
`STRATO_ROLE`, `STRATO_REPLICA_INDEX`, `STRATO_REPLICAS_IN_SYNC`, the run-dir
variables `AIP_MODEL_DIR`, `AIP_CHECKPOINT_DIR`, `AIP_TENSORBOARD_LOG_DIR`, and
per strategy `TF_CONFIG`, the TPU variables and the DTensor variables. Reading
needs no TensorFlow, so a mistake shows before TensorFlow takes seconds to load.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

from .cluster import TfConfig, find_tf_config
from .errors import StratoTrainerError

STRATEGIES = ("one-device", "mirrored", "multi-worker-mirrored", "parameter-server", "tpu")
ROLES = ("chief", "worker", "ps", "evaluator", "tpu-host")
MULTI_WORKER_STRATEGIES = ("multi-worker-mirrored", "parameter-server")


@dataclass(frozen=True)
class TpuEnv:
    """`TPU_NAME=local` on one host; the slice's name on host 0 of a multi-host slice."""

    name: str
    # A `-pjrt` runtime: TensorFlow loads libtpu as a pluggable device.
    pjrt: bool
    # `TPU_LOAD_LIBRARY=0`: the client talks to the slice's TPU servers instead of loading libtpu.
    load_library: bool

    @property
    def multi_host(self) -> bool:
        return self.name != "local"


@dataclass(frozen=True)
class DTensorEnv:
    """DTensor's multi-client variables, which `dtensor.initialize_accelerator_system` reads."""

    jobs: Tuple[str, ...]
    client_id: int
    num_clients: int
    job_name: str


@dataclass(frozen=True)
class TrainerEnv:
    job_name: str
    # None when nothing says (plain `python train.py`): `strategy()` then picks by device count.
    strategy: Optional[str]
    role: str
    replica_index: int
    replicas_in_sync: Optional[int]
    model_dir: str
    checkpoint_dir: str
    tensorboard_dir: str
    # True when the run dirs came from the environment, False for the local fallback.
    run_dirs_from_env: bool
    tf_config: Optional[TfConfig]
    tpu: Optional[TpuEnv]
    # DTensor mesh dimensions in order, e.g. (("batch", 4), ("model", 4)).
    mesh: Optional[Tuple[Tuple[str, int], ...]]
    dtensor: Optional[DTensorEnv]

    @property
    def is_chief(self) -> bool:
        """The replica that writes the model, logs and checkpoints for everyone."""
        if self.role == "evaluator":
            return False
        if self.dtensor is not None:
            return self.dtensor.client_id == 0
        if self.tf_config is not None and self.strategy in MULTI_WORKER_STRATEGIES:
            return self.tf_config.is_chief
        return self.replica_index == 0 and self.role in ("chief", "worker", "tpu-host")

    @property
    def is_evaluator(self) -> bool:
        return self.role == "evaluator"

    @property
    def serves_parameter_server_task(self) -> bool:
        """ps and worker tasks of parameter-server training only run a TensorFlow server."""
        return self.strategy == "parameter-server" and self.role in ("ps", "worker")


def _int(environ: Mapping[str, str], name: str, default: Optional[int]) -> Optional[int]:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise StratoTrainerError(f"{name} must be an integer, got {text!r}") from None
    if value < 0:
        raise StratoTrainerError(f"{name} must not be negative, got {value}")
    return value


def _strategy(environ: Mapping[str, str], tf_config: Optional[TfConfig]) -> Optional[str]:
    named = environ.get("STRATO_STRATEGY", "").strip()
    if named:
        if named not in STRATEGIES:
            raise StratoTrainerError(
                f"STRATO_STRATEGY={named!r} is not a strategy Strato knows",
                hint=f"use one of {', '.join(STRATEGIES)}",
            )
        return named
    # Not under Strato (e.g. a Vertex AI job submitted by hand): infer what the cluster implies.
    if environ.get("TPU_NAME"):
        return "tpu"
    if tf_config is not None and tf_config.ps_tasks > 0:
        return "parameter-server"
    if tf_config is not None and tf_config.training_tasks > 1:
        return "multi-worker-mirrored"
    return None


def _role(environ: Mapping[str, str], strategy: Optional[str], tf_config: Optional[TfConfig]) -> str:
    named = environ.get("STRATO_ROLE", "").strip()
    if named:
        if named not in ROLES:
            raise StratoTrainerError(
                f"STRATO_ROLE={named!r} is not a role", hint=f"use one of {', '.join(ROLES)}"
            )
        return named
    if strategy == "tpu":
        return "tpu-host"
    if tf_config is not None:
        return tf_config.task_type
    return "worker"


def _mesh(environ: Mapping[str, str]) -> Optional[Tuple[Tuple[str, int], ...]]:
    text = environ.get("STRATO_MESH", "").strip()
    if not text:
        return None
    try:
        # Keep the dimension order: DTensor meshes are ordered.
        pairs = json.loads(text, object_pairs_hook=list)
    except json.JSONDecodeError as error:
        raise StratoTrainerError(f"STRATO_MESH is not JSON: {error.msg}") from error
    if not isinstance(pairs, list) or not pairs:
        raise StratoTrainerError(
            "STRATO_MESH must be a non-empty JSON object of dimension sizes", hint='e.g. {"batch": 4, "model": 2}'
        )
    mesh = []
    for name, size in pairs:
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise StratoTrainerError(f"STRATO_MESH dimension {name!r} must be a positive integer, got {size!r}")
        mesh.append((str(name), size))
    return tuple(mesh)


def _dtensor(environ: Mapping[str, str]) -> Optional[DTensorEnv]:
    jobs_text = environ.get("DTENSOR_JOBS", "").strip()
    if not jobs_text:
        return None
    jobs = tuple(job for job in jobs_text.split(",") if job)
    num_clients = _int(environ, "DTENSOR_NUM_CLIENTS", len(jobs))
    client_id = _int(environ, "DTENSOR_CLIENT_ID", 0)
    assert num_clients is not None and client_id is not None
    if num_clients != len(jobs):
        raise StratoTrainerError(
            f"DTENSOR_NUM_CLIENTS={num_clients} but DTENSOR_JOBS lists {len(jobs)} clients",
            hint="every client must appear once in DTENSOR_JOBS",
        )
    if client_id >= num_clients:
        raise StratoTrainerError(f"DTENSOR_CLIENT_ID={client_id} is not below DTENSOR_NUM_CLIENTS={num_clients}")
    return DTensorEnv(
        jobs=jobs,
        client_id=client_id,
        num_clients=num_clients,
        job_name=environ.get("DTENSOR_JOB_NAME", "worker"),
    )


def _tpu(environ: Mapping[str, str], strategy: Optional[str]) -> Optional[TpuEnv]:
    if strategy != "tpu":
        return None
    return TpuEnv(
        # One host is the common case; the compiler always sets it, a hand-made job may not.
        name=environ.get("TPU_NAME", "").strip() or "local",
        pjrt=environ.get("NEXT_PLUGGABLE_DEVICE_USE_C_API", "").lower() == "true"
        and bool(environ.get("TF_PLUGGABLE_DEVICE_LIBRARY_PATH")),
        load_library=environ.get("TPU_LOAD_LIBRARY", "") != "0",
    )


def _dir(value: str) -> str:
    """Run-dir variables name folders; keep the trailing `/` Vertex AI gives them."""
    return value if value.endswith("/") else value + "/"


def read_env(environ: Optional[Mapping[str, str]] = None) -> TrainerEnv:
    """Reads and checks the environment Strato (or Vertex AI) set for this replica."""
    environ = os.environ if environ is None else environ
    tf_config = find_tf_config(environ)
    strategy = _strategy(environ, tf_config)
    if strategy in MULTI_WORKER_STRATEGIES and tf_config is None:
        raise StratoTrainerError(
            f"strategy {strategy} needs TF_CONFIG (or Vertex AI's CLUSTER_SPEC), and neither is set",
            hint="run the job through Strato, or set TF_CONFIG as `strato explain` prints it",
        )
    job_name = environ.get("STRATO_JOB_NAME", "").strip() or "local"
    role = _role(environ, strategy, tf_config)
    index_default = tf_config.task_index if tf_config is not None else 0
    replica_index = _int(environ, "STRATO_REPLICA_INDEX", index_default)
    assert replica_index is not None

    names = ("AIP_MODEL_DIR", "AIP_CHECKPOINT_DIR", "AIP_TENSORBOARD_LOG_DIR")
    given = [environ.get(name, "").strip() for name in names]
    if all(given):
        model_dir, checkpoint_dir, tensorboard_dir = (_dir(v) for v in given)
        from_env = True
    else:
        # Outside Strato and Vertex AI: a run dir of our own, so the example runs anywhere.
        root = os.path.join(tempfile.gettempdir(), "strato-trainer", job_name)
        model_dir, checkpoint_dir, tensorboard_dir = (
            _dir(os.path.join(root, leaf)) for leaf in ("model", "checkpoints", "logs")
        )
        from_env = False

    mesh = _mesh(environ)
    dtensor = _dtensor(environ)
    if dtensor is not None and mesh is None:
        raise StratoTrainerError(
            "DTENSOR_JOBS is set but STRATO_MESH is not", hint="declare `mesh:` in the job spec"
        )
    return TrainerEnv(
        job_name=job_name,
        strategy=strategy,
        role=role,
        replica_index=replica_index,
        replicas_in_sync=_int(environ, "STRATO_REPLICAS_IN_SYNC", None),
        model_dir=model_dir,
        checkpoint_dir=checkpoint_dir,
        tensorboard_dir=tensorboard_dir,
        run_dirs_from_env=from_env,
        tf_config=tf_config,
        tpu=_tpu(environ, strategy),
        mesh=mesh,
        dtensor=dtensor,
    )
