"""Where this replica writes: the run dir for the chief, private scratch for the rest.

The run dir holds `model/`, `checkpoints/` and `logs/` (Vertex AI's
`AIP_MODEL_DIR`, `AIP_CHECKPOINT_DIR`, `AIP_TENSORBOARD_LOG_DIR`). In
multi-worker training every worker must still call `model.save` (saving is a
collective operation), but only the chief's copy may land in the run dir; the
others write to a scratch folder and delete it.
(https://www.tensorflow.org/tutorials/distribute/multi_worker_with_keras#model_saving_and_loading)
"""

from __future__ import annotations

import os
import tempfile
from typing import Optional

from . import staging
from .env import TrainerEnv, read_env


def join_dir(base: str, *parts: str) -> str:
    """Joins folder names onto a path or URI (`gs://…` has no `os.path`), ending in `/`."""
    path = base.rstrip("/")
    for part in parts:
        path = f"{path}/{part.strip('/')}"
    return path + "/"


def scratch_dir(env: TrainerEnv, purpose: str) -> str:
    """A local folder only this replica writes to, e.g. `/tmp/strato-trainer/job/worker-1/model/`."""
    root = os.path.join(tempfile.gettempdir(), "strato-trainer", env.job_name, f"{env.role}-{env.replica_index}")
    return join_dir(root, purpose)


def model_dir(env: Optional[TrainerEnv] = None) -> str:
    """`AIP_MODEL_DIR` on the chief; a scratch folder on the other workers."""
    env = env or read_env()
    return staging.local_dir(env.model_dir) if env.is_chief else scratch_dir(env, "model")


def checkpoint_dir(env: Optional[TrainerEnv] = None) -> str:
    """`AIP_CHECKPOINT_DIR`: every replica restores from it after a restart."""
    env = env or read_env()
    return staging.local_dir(env.checkpoint_dir)


def backup_dir(env: Optional[TrainerEnv] = None) -> str:
    """BackupAndRestore's own folder: Keras deletes it when training ends, so nothing else may live there."""
    return join_dir(checkpoint_dir(env), "backup")


def eval_checkpoint_dir(env: Optional[TrainerEnv] = None) -> str:
    """Per-epoch weights (`ckpt-<epoch>`) that a side-car evaluator reads."""
    return join_dir(checkpoint_dir(env), "eval")


def tensorboard_dir(env: Optional[TrainerEnv] = None) -> str:
    """`AIP_TENSORBOARD_LOG_DIR` on the chief, `logs/evaluator/` on the evaluator, scratch elsewhere.

    Several writers in one folder would interleave their event files; the
    evaluator gets its own run so TensorBoard shows it beside training.
    """
    env = env or read_env()
    if env.is_evaluator:
        return join_dir(staging.local_dir(env.tensorboard_dir), "evaluator")
    return staging.local_dir(env.tensorboard_dir) if env.is_chief else scratch_dir(env, "logs")
