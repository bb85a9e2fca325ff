"""The side-car evaluator: evaluates each `checkpoints/eval/ckpt-<epoch>` the chief writes."""

from __future__ import annotations

from typing import Any, Optional

from . import keras_compat as compat
from .env import TrainerEnv, read_env
from .paths import eval_checkpoint_dir, tensorboard_dir


def sidecar_evaluator(
    model: Any,
    data: Any,
    env: Optional[TrainerEnv] = None,
    keras: Any = None,
    steps: Optional[int] = None,
    max_evaluations: Optional[int] = None,
) -> Any:
    """tf_keras' SidecarEvaluator on the eval checkpoints, logging to `logs/evaluator/`.

    Pass the number of epochs as `max_evaluations` so it exits after the last
    one; call `.start()` on the result.
    """
    env = env or read_env()
    keras = keras or compat.import_tensorflow().keras
    compat.require_support(compat.keras_flavor(keras), env)
    return compat.sidecar_evaluator(
        keras, model, data, eval_checkpoint_dir(env), tensorboard_dir(env), steps, max_evaluations
    )
