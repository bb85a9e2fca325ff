"""The training cluster as TensorFlow sees it: `TF_CONFIG`, or Vertex AI's `CLUSTER_SPEC`.

Strato's compiler writes `TF_CONFIG` for multi-worker-mirrored and
parameter-server jobs (`{"cluster": {"chief", "worker", "ps"}, "task": {"type",
"index"}}`). On Vertex AI, Vertex sets `TF_CONFIG` itself with the same shape,
and also `CLUSTER_SPEC`, which names worker pools instead of task types.
(https://www.tensorflow.org/guide/distributed_training#TF_CONFIG,
https://cloud.google.com/vertex-ai/docs/training/distributed-training#cluster-variables)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

from .errors import StratoTrainerError

TASK_TYPES = ("chief", "worker", "ps", "evaluator")

# Vertex AI worker pool i runs this TensorFlow task type (pool 0 is the primary
# replica, then workers, parameter servers, evaluators).
# https://cloud.google.com/vertex-ai/docs/training/distributed-training#configure_a_distributed_training_job
VERTEX_POOL_TASK_TYPES = {
    "workerpool0": "chief",
    "workerpool1": "worker",
    "workerpool2": "ps",
    "workerpool3": "evaluator",
}


@dataclass(frozen=True)
class TfConfig:
    """One task's view of the cluster. `cluster` keeps TensorFlow's job names."""

    cluster: Dict[str, Tuple[str, ...]]
    task_type: str
    task_index: int
    # Where it came from: "TF_CONFIG" or "CLUSTER_SPEC" (Vertex AI).
    source: str = "TF_CONFIG"
    rpc_layer: str = "grpc"
    extra: Dict[str, object] = field(default_factory=dict)

    @property
    def is_chief(self) -> bool:
        """TensorFlow's rule: the chief, or worker 0 when the cluster has no chief."""
        if self.task_type == "chief":
            return True
        return self.task_type == "worker" and self.task_index == 0 and not self.cluster.get("chief")

    @property
    def training_tasks(self) -> int:
        """Tasks that run training steps together (the evaluator and ps do not)."""
        return len(self.cluster.get("chief", ())) + len(self.cluster.get("worker", ()))

    @property
    def ps_tasks(self) -> int:
        return len(self.cluster.get("ps", ()))

    def to_json(self) -> str:
        """`TF_CONFIG` text for TensorFlow's TFConfigClusterResolver."""
        return json.dumps(
            {
                "cluster": {name: list(addresses) for name, addresses in self.cluster.items()},
                "task": {"type": self.task_type, "index": self.task_index},
                "rpc_layer": self.rpc_layer,
            }
        )


def _load_object(text: str, name: str) -> Mapping[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise StratoTrainerError(
            f"{name} is not JSON: {error.msg} at position {error.pos}",
            hint=f"{name} must look like "
            '{"cluster": {"worker": ["host:2222"]}, "task": {"type": "worker", "index": 0}}',
        ) from error
    if not isinstance(value, dict):
        raise StratoTrainerError(f"{name} must be a JSON object, got {type(value).__name__}")
    return value


def _task(config: Mapping[str, object], name: str) -> Tuple[str, int]:
    task = config.get("task")
    if not isinstance(task, dict) or "type" not in task:
        raise StratoTrainerError(
            f"{name} has no task type", hint=f'add "task": {{"type": "worker", "index": 0}} to {name}'
        )
    index = task.get("index", 0)
    if not isinstance(index, int) or index < 0:
        raise StratoTrainerError(f"{name} task index must be a non-negative integer, got {index!r}")
    return str(task["type"]), index


def _addresses(cluster: Mapping[str, object], name: str) -> Dict[str, Tuple[str, ...]]:
    out: Dict[str, Tuple[str, ...]] = {}
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
            raise StratoTrainerError(f"{name} cluster.{job} must be a list of host:port strings")
        if addresses:
            out[str(job)] = tuple(addresses)
    return out


def parse_tf_config(text: str) -> TfConfig:
    """Parses `TF_CONFIG`, from Strato's compiler or from Vertex AI."""
    config = _load_object(text, "TF_CONFIG")
    cluster = config.get("cluster")
    if not isinstance(cluster, dict):
        raise StratoTrainerError("TF_CONFIG has no cluster object")
    task_type, task_index = _task(config, "TF_CONFIG")
    if task_type not in TASK_TYPES:
        raise StratoTrainerError(
            f"TF_CONFIG task type {task_type!r} is not one of {', '.join(TASK_TYPES)}"
        )
    extra = {k: v for k, v in config.items() if k not in ("cluster", "task", "rpc_layer")}
    return TfConfig(
        cluster=_addresses(cluster, "TF_CONFIG"),
        task_type=task_type,
        task_index=task_index,
        source="TF_CONFIG",
        rpc_layer=str(config.get("rpc_layer") or "grpc"),
        extra=extra,
    )


def parse_vertex_cluster_spec(text: str) -> TfConfig:
    """Translates Vertex AI's `CLUSTER_SPEC` (worker pools) into TensorFlow task types."""
    spec = _load_object(text, "CLUSTER_SPEC")
    pools = spec.get("cluster")
    if not isinstance(pools, dict):
        raise StratoTrainerError("CLUSTER_SPEC has no cluster object")
    pool, index = _task(spec, "CLUSTER_SPEC")
    if pool not in VERTEX_POOL_TASK_TYPES:
        raise StratoTrainerError(
            f"CLUSTER_SPEC task type {pool!r} is not a Vertex AI worker pool",
            hint="expected workerpool0 … workerpool3",
        )
    cluster: Dict[str, Tuple[str, ...]] = {}
    for name, addresses in _addresses(pools, "CLUSTER_SPEC").items():
        task_type = VERTEX_POOL_TASK_TYPES.get(name)
        # The evaluator is never part of the TensorFlow cluster; it only has its own task.
        if task_type and task_type != "evaluator":
            cluster[task_type] = addresses
    extra = {k: v for k, v in spec.items() if k not in ("cluster", "task")}
    return TfConfig(
        cluster=cluster,
        task_type=VERTEX_POOL_TASK_TYPES[pool],
        task_index=index,
        source="CLUSTER_SPEC",
        extra=extra,
    )


def find_tf_config(environ: Mapping[str, str]) -> Optional[TfConfig]:
    """`TF_CONFIG` when set (TensorFlow reads it), else Vertex AI's `CLUSTER_SPEC`, else None."""
    text = environ.get("TF_CONFIG", "").strip()
    if text:
        return parse_tf_config(text)
    text = environ.get("CLUSTER_SPEC", "").strip()
    if text:
        return parse_vertex_cluster_spec(text)
    return None
