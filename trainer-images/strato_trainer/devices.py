"""Logical CPU devices: how a machine without GPUs still runs replicas in sync.

`mirrored` and DTensor meshes plan one replica per accelerator. On a machine
without GPUs (a laptop, a CI runner, the local provider) the helper splits the
CPU into as many logical devices as the plan has replicas, so the same program
trains the same number of replicas in sync, only slower.
(https://www.tensorflow.org/api_docs/python/tf/config/set_logical_device_configuration)
"""

from __future__ import annotations

from typing import Any, List

from .errors import StratoTrainerError


def split_cpu(tf: Any, count: int) -> List[str]:
    """Makes `count` logical CPU devices (before TensorFlow initialises its context) and names them."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is None or len(current) != count:
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
        except RuntimeError as error:
            raise StratoTrainerError(
                f"cannot split the CPU into {count} logical devices: TensorFlow is already initialised",
                hint="call strato_trainer.strategy() before any other TensorFlow operation",
            ) from error
    return [f"/cpu:{index}" for index in range(count)]
