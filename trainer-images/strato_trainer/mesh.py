"""`mesh()`: the DTensor mesh from `STRATO_MESH` and the `DTENSOR_*` variables.

Every client (each TPU host, or each GPU worker) runs the program; DTensor's
`initialize_accelerator_system` reads `DTENSOR_CLIENT_ID`,
`DTENSOR_NUM_CLIENTS`, `DTENSOR_JOB_NAME` and `DTENSOR_JOBS` itself, and
`create_distributed_mesh` spreads the mesh evenly over all clients.
(https://www.tensorflow.org/guide/dtensor_overview,
https://www.tensorflow.org/api_docs/python/tf/experimental/dtensor/create_distributed_mesh)
"""

from __future__ import annotations

from typing import Any, Optional

from .env import TrainerEnv, read_env
from .errors import StratoTrainerError
from .keras_compat import import_tensorflow
from .strategy import gpu_count, log


def mesh_device_type(tf: Any, env: TrainerEnv) -> str:
    if env.strategy == "tpu":
        return "TPU"
    return "GPU" if gpu_count(tf) > 0 else "CPU"


def mesh(env: Optional[TrainerEnv] = None, tf: Any = None, device_type: Optional[str] = None) -> Any:
    """Initializes DTensor on this client and returns the job's (possibly multi-client) mesh."""
    env = env or read_env()
    if env.mesh is None:
        raise StratoTrainerError(
            "this job has no DTensor mesh (STRATO_MESH is not set)",
            hint="add `mesh: {batch: N}` to the job spec, or call strato_trainer.strategy()",
        )
    tf = tf or import_tensorflow()
    dtensor = tf.experimental.dtensor
    device_type = device_type or mesh_device_type(tf, env)
    dims = list(env.mesh)
    clients = env.dtensor.num_clients if env.dtensor else 1
    if device_type == "CPU":
        # No accelerator here: each client splits its CPU into its share of the mesh's devices.
        size = 1
        for _, length in dims:
            size *= length
        dtensor.initialize_accelerator_system(device_type, num_logical_cpu_devices=max(1, size // clients))
    else:
        dtensor.initialize_accelerator_system(device_type)
    log(f"mesh: {dict(dims)} over {clients} client(s) on {device_type}")
    return dtensor.create_distributed_mesh(mesh_dims=dims, device_type=device_type)
