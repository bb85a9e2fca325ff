"""`strategy()`: the tf.distribute strategy the plan asks for, built from the environment.

| STRATO_STRATEGY        | role              | what this builds                                               |
| ---------------------- | ----------------- | -------------------------------------------------------------- |
| one-device             | worker            | MirroredStrategy over one device (GPU 0, else CPU)              |
| mirrored               | worker            | MirroredStrategy over every local GPU                           |
| multi-worker-mirrored  | chief, worker     | MultiWorkerMirroredStrategy from TF_CONFIG / CLUSTER_SPEC       |
| parameter-server       | chief             | ParameterServerStrategy + its ClusterCoordinator               |
| parameter-server       | ps, worker        | tf.distribute.Server(...).join(): never returns                 |
| any                    | evaluator         | the default strategy: the evaluator only reads checkpoints      |
| tpu                    | tpu-host          | TPUStrategy on TPUClusterResolver(TPU_NAME): 'local' or the slice |

With a DTensor mesh (`STRATO_MESH`) call `mesh()` instead.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Dict, Optional

from .devices import split_cpu
from .env import TrainerEnv, read_env
from .errors import StratoTrainerError
from .keras_compat import import_tensorflow

# The parameter-server tutorial shards variables bigger than 256 KiB across the ps tasks.
# (https://www.tensorflow.org/tutorials/distribute/parameter_server_training)
PS_MIN_SHARD_BYTES = 256 << 10


LOGGER = logging.getLogger("strato_trainer")


def log(message: str) -> None:
    """What the helper decided, for the job's log (shown once the program configures logging at INFO)."""
    LOGGER.info(message)


def gpu_count(tf: Any) -> int:
    return len(tf.config.list_physical_devices("GPU"))


def cluster_resolver(tf: Any, env: TrainerEnv) -> Any:
    """TFConfigClusterResolver when TF_CONFIG is set; on Vertex AI with only CLUSTER_SPEC, the same cluster spelled out."""
    config = env.tf_config
    if config is None:
        raise StratoTrainerError(f"strategy {env.strategy} needs TF_CONFIG")
    resolvers = tf.distribute.cluster_resolver
    if config.source == "TF_CONFIG":
        return resolvers.TFConfigClusterResolver()
    cluster = {job: list(addresses) for job, addresses in config.cluster.items()}
    return resolvers.SimpleClusterResolver(
        tf.train.ClusterSpec(cluster),
        task_type=config.task_type,
        task_id=config.task_index,
        rpc_layer=config.rpc_layer,
    )


def _one_device(tf: Any, env: TrainerEnv) -> Any:
    # Not OneDeviceStrategy: tf_keras' BackupAndRestore raises NotImplementedError for it,
    # and a MirroredStrategy over one device trains the same way.
    device = "/gpu:0" if gpu_count(tf) > 0 else "/cpu:0"
    log(f"one-device: MirroredStrategy on {device}")
    return tf.distribute.MirroredStrategy(devices=[device])


def _mirrored(tf: Any, env: TrainerEnv) -> Any:
    gpus = gpu_count(tf)
    if gpus == 0 and (env.replicas_in_sync or 1) > 1:
        # No GPU here (local runs, CI): as many logical CPU devices as the plan has replicas.
        devices = split_cpu(tf, env.replicas_in_sync or 1)
        log(f"mirrored: no GPU, MirroredStrategy over {len(devices)} logical CPU devices")
        return tf.distribute.MirroredStrategy(devices=devices)
    if env.replicas_in_sync and gpus and gpus != env.replicas_in_sync:
        LOGGER.warning(f"the plan expects {env.replicas_in_sync} GPUs in sync, this machine has {gpus}")
    log(f"mirrored: MirroredStrategy over {gpus or 'no'} GPUs")
    return tf.distribute.MirroredStrategy()


def rejected_cluster(env: TrainerEnv, error: Exception) -> StratoTrainerError:
    """TensorFlow's refusal of the cluster, said in the words of the variable it came from."""
    variable = env.tf_config.source if env.tf_config else "TF_CONFIG"
    return StratoTrainerError(
        f"TensorFlow rejected {variable}: {error} ({variable}={env.tf_config.to_json() if env.tf_config else ''})",
        hint=f"{variable} is set by Strato for each replica; do not set it by hand "
        "(`strato explain` shows the value each replica gets)",
    )


def _multi_worker_mirrored(tf: Any, env: TrainerEnv) -> Any:
    resolver = cluster_resolver(tf, env)
    assert env.tf_config is not None
    log(
        f"multi-worker-mirrored: {env.tf_config.task_type} {env.tf_config.task_index} "
        f"of {env.tf_config.training_tasks} training tasks"
    )
    try:
        return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    except (ValueError, KeyError, tf.errors.InvalidArgumentError) as error:
        raise rejected_cluster(env, error) from error


def serve_parameter_server_task(tf: Any, env: TrainerEnv) -> None:
    """Runs this ps or worker task's TensorFlow server until the job ends; never returns."""
    resolver = cluster_resolver(tf, env)
    # Tutorial advice: fail RPCs fast so a lost peer surfaces as an error the coordinator handles.
    os.environ.setdefault("GRPC_FAIL_FAST", "use_caller")
    log(f"parameter-server: serving {resolver.task_type} {resolver.task_id}")
    server = tf.distribute.Server(
        resolver.cluster_spec(),
        job_name=resolver.task_type,
        task_index=resolver.task_id,
        protocol=resolver.rpc_layer or "grpc",
        start=True,
    )
    server.join()
    # join() only returns if the server was stopped; nothing is left to do here.
    raise SystemExit(0)


def _parameter_server(tf: Any, env: TrainerEnv) -> Any:
    if env.serves_parameter_server_task:
        serve_parameter_server_task(tf, env)
    resolver = cluster_resolver(tf, env)
    assert env.tf_config is not None
    os.environ.setdefault("GRPC_FAIL_FAST", "use_caller")
    partitioner = tf.distribute.experimental.partitioners.MinSizePartitioner(
        min_shard_bytes=PS_MIN_SHARD_BYTES, max_shards=max(1, env.tf_config.ps_tasks)
    )
    try:
        strategy = tf.distribute.ParameterServerStrategy(resolver, variable_partitioner=partitioner)
    except (ValueError, KeyError, tf.errors.InvalidArgumentError) as error:
        raise rejected_cluster(env, error) from error
    # The coordinator dispatches steps to the workers; Keras' fit reuses this one (one per strategy).
    tf.distribute.coordinator.ClusterCoordinator(strategy)
    log(f"parameter-server: coordinator for {len(env.tf_config.cluster.get('worker', ()))} workers")
    return strategy


def _tpu(tf: Any, env: TrainerEnv) -> Any:
    assert env.tpu is not None
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=env.tpu.name)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    where = f"slice {env.tpu.name}" if env.tpu.multi_host else "this host"
    log(f"tpu: TPUStrategy on {where} ({'PJRT' if env.tpu.pjrt else 'StreamExecutor'} runtime)")
    return tf.distribute.TPUStrategy(resolver)


BUILDERS: Dict[str, Callable[[Any, TrainerEnv], Any]] = {
    "one-device": _one_device,
    "mirrored": _mirrored,
    "multi-worker-mirrored": _multi_worker_mirrored,
    "parameter-server": _parameter_server,
    "tpu": _tpu,
}


def resolved_strategy_name(tf: Any, env: TrainerEnv) -> str:
    """The plan's strategy, or for a bare `python train.py`: mirrored with several GPUs, one-device otherwise."""
    if env.strategy:
        return env.strategy
    return "mirrored" if gpu_count(tf) > 1 else "one-device"


def strategy(env: Optional[TrainerEnv] = None, tf: Any = None) -> Any:
    """Builds the tf.distribute strategy for this replica.

    On the ps and worker tasks of parameter-server training it does not
    return: the task serves its TensorFlow server until the job ends.
    """
    env = env or read_env()
    if env.mesh is not None:
        raise StratoTrainerError(
            "this job declares a DTensor mesh (STRATO_MESH), which replaces a tf.distribute strategy",
            hint="call strato_trainer.mesh() to get the mesh",
        )
    tf = tf or import_tensorflow()
    if env.is_evaluator:
        log("evaluator: default strategy (it evaluates checkpoints, it does not train)")
        return tf.distribute.get_strategy()
    return BUILDERS[resolved_strategy_name(tf, env)](tf, env)
