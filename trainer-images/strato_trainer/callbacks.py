"""`callbacks()`: the Keras callbacks every Strato job wants, for this replica.

1. TensorBoard into `AIP_TENSORBOARD_LOG_DIR` (the chief; others to scratch):
   `strato logs`/metrics read these event files.
2. BackupAndRestore into `checkpoints/backup/`: a restarted job resumes there.
3. Per-epoch weights in `checkpoints/eval/ckpt-<epoch>` for a side-car
   evaluator (tf_keras, multi-worker strategies).
4. Preemption: on SIGTERM, exit at the next step end with 143 or 42.
"""

from __future__ import annotations

import os
from typing import Any, Callable, List, Mapping, Optional, Union

from . import keras_compat as compat
from .env import MULTI_WORKER_STRATEGIES, TrainerEnv, read_env
from .paths import backup_dir, eval_checkpoint_dir, tensorboard_dir
from .preemption import on_gcp, preemption_callback, preemption_exit_code
from .strategy import gpu_count

SaveFreq = Union[str, int]


def callbacks(
    env: Optional[TrainerEnv] = None,
    keras: Any = None,
    *,
    tf: Any = None,
    save_freq: SaveFreq = "epoch",
    update_freq: SaveFreq = "epoch",
    tensorboard: bool = True,
    backup: bool = True,
    eval_checkpoints: Optional[bool] = None,
    preemption: bool = True,
    probe: Callable[[Mapping[str, str]], bool] = on_gcp,
) -> List[Any]:
    """The preset for `model.fit(..., callbacks=callbacks())`.

    save_freq: BackupAndRestore's cadence, "epoch" or every N steps; a
      preemption loses at most this much work.
    eval_checkpoints: write `checkpoints/eval/` for a side-car evaluator;
      default on for multi-worker strategies under tf_keras.
    probe: how to tell a GCE VM (TensorFlow's metadata-server check).
    """
    env = env or read_env()
    if keras is None:
        tf = tf or compat.import_tensorflow()
        keras = tf.keras
    flavor = compat.keras_flavor(keras)
    compat.require_support(flavor, env)
    gce = _Once(lambda: probe(os.environ))

    out: List[Any] = []
    if tensorboard:
        # tf_keras: batch-level TensorBoard writing is not supported with ParameterServerStrategy.
        freq = "epoch" if env.strategy == "parameter-server" else update_freq
        out.append(compat.tensorboard(keras, tensorboard_dir(env), freq))
    if backup:
        save_before_preemption = _tf_saves_before_preemption(flavor, env, gce, tf)
        out.append(compat.backup_and_restore(keras, flavor, backup_dir(env), save_freq, save_before_preemption))
    if eval_checkpoints is None:
        eval_checkpoints = flavor == compat.TF_KERAS and env.strategy in MULTI_WORKER_STRATEGIES
    if eval_checkpoints:
        out.append(compat.eval_checkpoints(keras, flavor, eval_checkpoint_dir(env)))
    if preemption:
        device = "TPU" if env.strategy == "tpu" else "GPU"
        code = preemption_exit_code(device=device, probe=lambda _environ: gce())
        # Last, so an epoch's backup is written before the exit check at that epoch's end.
        out.append(preemption_callback(keras, exit_code=code))
    return out


class _Once:
    """The GCE probe can take seconds off GCE: ask at most once, and only if needed."""

    def __init__(self, compute: Callable[[], bool]) -> None:
        self._compute = compute
        self._value: Optional[bool] = None

    def __call__(self) -> bool:
        if self._value is None:
            self._value = self._compute()
        return self._value


def _tf_saves_before_preemption(flavor: str, env: TrainerEnv, gce: Callable[[], bool], tf: Any) -> bool:
    """TF's own on-demand checkpoint runs only for MultiWorkerMirroredStrategy on GCE GPU VMs.

    (tf_keras' `support_on_demand_checkpoint_callback`; PreemptionCheckpointHandler raises
    NotImplementedError on GCE CPU and TPU VMs.)
    """
    if flavor != compat.TF_KERAS or env.strategy != "multi-worker-mirrored" or not gce():
        return False
    tf = tf or compat.import_tensorflow()
    return gpu_count(tf) > 0
