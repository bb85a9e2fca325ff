"""tf.distribute and tf.train stand-ins: strategies, resolvers, servers, checkpoints."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

from ._core import Tensor, int64, recorder


class _State:
    def __init__(self) -> None:
        self.reset()

    def reset(self, gpus: int = 0, tpus: int = 0) -> None:
        self.gpus = gpus
        self.tpus = tpus
        self.current: Optional["Strategy"] = None
        self.initialized_tpus: List[Any] = []
        # Checkpoint saves per directory: survive a simulated restart within one test.
        self.saves: Dict[str, int] = {}


STATE = _State()


class ClusterSpec:
    def __init__(self, cluster: Dict[str, List[str]]) -> None:
        self._cluster = {job: list(tasks) for job, tasks in cluster.items()}

    def as_dict(self) -> Dict[str, List[str]]:
        return {job: list(tasks) for job, tasks in self._cluster.items()}

    @property
    def jobs(self) -> List[str]:
        return list(self._cluster)

    def num_tasks(self, job: str) -> int:
        return len(self._cluster.get(job, []))


class TFConfigClusterResolver:
    """Reads TF_CONFIG from the process environment, as TensorFlow does."""

    def __init__(self, task_type: Optional[str] = None, task_id: Optional[int] = None, rpc_layer: Any = None) -> None:
        config = json.loads(os.environ.get("TF_CONFIG", "{}"))
        task = config.get("task", {})
        self.task_type = task_type or task.get("type")
        self.task_id = task_id if task_id is not None else task.get("index")
        self.rpc_layer = rpc_layer or config.get("rpc_layer")
        self._cluster = ClusterSpec(config.get("cluster", {}))
        recorder.built("TFConfigClusterResolver", self)

    def cluster_spec(self) -> ClusterSpec:
        return self._cluster


class SimpleClusterResolver:
    def __init__(
        self,
        cluster_spec: ClusterSpec,
        master: str = "",
        task_type: Optional[str] = None,
        task_id: Optional[int] = None,
        environment: str = "",
        num_accelerators: Any = None,
        rpc_layer: Optional[str] = None,
    ) -> None:
        self._cluster = cluster_spec
        self.task_type = task_type
        self.task_id = task_id
        self.rpc_layer = rpc_layer
        recorder.built("SimpleClusterResolver", self)

    def cluster_spec(self) -> ClusterSpec:
        return self._cluster


class TPUClusterResolver:
    def __init__(self, tpu: Any = None, zone: Any = None, project: Any = None, job_name: str = "worker", **kwargs: Any):
        if not tpu:
            raise ValueError("Please provide a TPU Name to connect to.")
        self.tpu = tpu
        recorder.built("TPUClusterResolver", self, tpu=tpu)


class Strategy:
    def __init__(self, num_replicas_in_sync: int, cluster_resolver: Any = None) -> None:
        self.num_replicas_in_sync = num_replicas_in_sync
        self.cluster_resolver = cluster_resolver

    @contextmanager
    def scope(self) -> Iterator["Strategy"]:
        previous, STATE.current = STATE.current, self
        try:
            yield self
        finally:
            STATE.current = previous


class OneDeviceStrategy(Strategy):
    def __init__(self, device: str) -> None:
        super().__init__(1)
        self.device = device
        recorder.built("OneDeviceStrategy", self, device)


class MirroredStrategy(Strategy):
    def __init__(self, devices: Optional[List[str]] = None, cross_device_ops: Any = None) -> None:
        super().__init__(len(devices) if devices else max(1, STATE.gpus))
        self.devices = devices
        recorder.built("MirroredStrategy", self, devices=devices)


class MultiWorkerMirroredStrategy(Strategy):
    def __init__(self, cluster_resolver: Any = None, communication_options: Any = None) -> None:
        resolver = cluster_resolver or TFConfigClusterResolver()
        spec = resolver.cluster_spec()
        workers = spec.num_tasks("chief") + spec.num_tasks("worker")
        super().__init__(max(1, workers) * max(1, STATE.gpus), resolver)
        recorder.built("MultiWorkerMirroredStrategy", self, cluster_resolver=cluster_resolver)


class ParameterServerStrategy(Strategy):
    def __init__(self, cluster_resolver: Any, variable_partitioner: Any = None) -> None:
        spec = cluster_resolver.cluster_spec()
        if not spec.num_tasks("ps") or not spec.num_tasks("worker"):
            raise ValueError("ParameterServerStrategy needs at least one ps and one worker in the cluster")
        super().__init__(1, cluster_resolver)
        self.variable_partitioner = variable_partitioner
        recorder.built("ParameterServerStrategy", self, cluster_resolver, variable_partitioner=variable_partitioner)


class TPUStrategy(Strategy):
    def __init__(self, tpu_cluster_resolver: Any = None, experimental_device_assignment: Any = None, **kwargs: Any):
        if tpu_cluster_resolver not in STATE.initialized_tpus:
            raise RuntimeError("TPUStrategy built before tf.tpu.experimental.initialize_tpu_system(resolver)")
        super().__init__(max(1, STATE.tpus) or 8, tpu_cluster_resolver)
        recorder.built("TPUStrategy", self, tpu_cluster_resolver)


class _DefaultStrategy(Strategy):
    pass


def get_strategy() -> Strategy:
    strategy = STATE.current or _DefaultStrategy(1)
    recorder.record("get_strategy").result = strategy
    return strategy


class Server:
    def __init__(
        self,
        server_or_cluster_def: Any,
        job_name: Optional[str] = None,
        task_index: Optional[int] = None,
        protocol: Optional[str] = None,
        config: Any = None,
        start: bool = True,
    ) -> None:
        self.cluster = server_or_cluster_def
        self.job_name = job_name
        self.task_index = task_index
        self.protocol = protocol
        self.started = start
        recorder.built("Server", self, server_or_cluster_def, job_name=job_name, task_index=task_index,
                       protocol=protocol, start=start)

    def join(self) -> None:
        # The real join() blocks until the server stops; here it returns at once.
        recorder.record("Server.join", self)


class MinSizePartitioner:
    def __init__(self, min_shard_bytes: int = 256 << 10, max_shards: int = 1, bytes_per_string: int = 16) -> None:
        self.min_shard_bytes = min_shard_bytes
        self.max_shards = max_shards
        recorder.built("MinSizePartitioner", self, min_shard_bytes=min_shard_bytes, max_shards=max_shards)


class ClusterCoordinator:
    def __init__(self, strategy: Any) -> None:
        if not isinstance(strategy, ParameterServerStrategy):
            raise ValueError("ClusterCoordinator only works with ParameterServerStrategy")
        self.strategy = strategy
        recorder.built("ClusterCoordinator", self, strategy)


class InputContext:
    def __init__(self, num_input_pipelines: int = 1, input_pipeline_id: int = 0, num_replicas_in_sync: int = 1):
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size: int) -> int:
        if global_batch_size % self.num_replicas_in_sync:
            raise ValueError("global batch size is not divisible by the replicas in sync")
        return global_batch_size // self.num_replicas_in_sync


class Checkpoint:
    def __init__(self, root: Any = None, **kwargs: Any) -> None:
        self.objects = kwargs
        self.save_counter = Tensor((), int64)
        self._saves = 0
        recorder.built("Checkpoint", self, **kwargs)

    def write(self, file_prefix: str, options: Any = None) -> str:
        recorder.record("Checkpoint.write", file_prefix)
        return file_prefix


class CheckpointManager:
    def __init__(self, checkpoint: Checkpoint, directory: str, max_to_keep: Optional[int],
                 checkpoint_name: str = "ckpt", **kwargs: Any) -> None:
        self.checkpoint = checkpoint
        self.directory = directory
        recorder.built("CheckpointManager", self, directory=directory, max_to_keep=max_to_keep)

    def restore_or_initialize(self) -> Optional[str]:
        saves = STATE.saves.get(self.directory, 0)
        self.checkpoint.save_counter = _Counter(saves)
        recorder.record("CheckpointManager.restore_or_initialize", self.directory, saves=saves)
        return f"{self.directory}ckpt-{saves}" if saves else None

    def save(self, checkpoint_number: Any = None) -> str:
        STATE.saves[self.directory] = STATE.saves.get(self.directory, 0) + 1
        recorder.record("CheckpointManager.save", self.directory)
        return f"{self.directory}ckpt-{STATE.saves[self.directory]}"


class _Counter:
    def __init__(self, value: int) -> None:
        self.value = value

    def __int__(self) -> int:
        return self.value


class _Namespace:
    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)


def module() -> _Namespace:
    return _Namespace(
        OneDeviceStrategy=OneDeviceStrategy,
        MirroredStrategy=MirroredStrategy,
        MultiWorkerMirroredStrategy=MultiWorkerMirroredStrategy,
        ParameterServerStrategy=ParameterServerStrategy,
        TPUStrategy=TPUStrategy,
        Strategy=Strategy,
        Server=Server,
        InputContext=InputContext,
        get_strategy=get_strategy,
        cluster_resolver=_Namespace(
            TFConfigClusterResolver=TFConfigClusterResolver,
            SimpleClusterResolver=SimpleClusterResolver,
            TPUClusterResolver=TPUClusterResolver,
        ),
        coordinator=_Namespace(ClusterCoordinator=ClusterCoordinator),
        experimental=_Namespace(
            partitioners=_Namespace(MinSizePartitioner=MinSizePartitioner),
            ParameterServerStrategy=ParameterServerStrategy,
            TPUStrategy=TPUStrategy,
        ),
    )
