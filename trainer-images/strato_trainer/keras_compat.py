"""tf_keras (Keras 2, `TF_USE_LEGACY_KERAS=1`) and Keras 3 differ where the preset cares.

- BackupAndRestore: tf_keras takes `(backup_dir, save_freq, delete_checkpoint,
  save_before_preemption)` and coordinates workers (only the chief writes);
  Keras 3 takes `(backup_dir, save_freq, delete_checkpoint)` (3.4+ adds
  `double_checkpoint`), accepts only `"epoch"` or an int for `save_freq`, and
  every process writes the same files.
- ParameterServerStrategy and `SidecarEvaluator` exist only in tf_keras.
- tf_keras' BackupAndRestore refuses OneDeviceStrategy (NotImplementedError in
  `on_train_begin`), which is why `strategy()` builds a one-device
  MirroredStrategy for `one-device`.
(tf_keras/callbacks.py BackupAndRestore; keras/src/callbacks/backup_and_restore.py)
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from .env import TrainerEnv
from .errors import StratoTrainerError

TF_KERAS = "tf_keras"
KERAS_3 = "keras3"

LEGACY_KERAS_HINT = "set TF_USE_LEGACY_KERAS=1 and install tf-keras (the Strato images do both)"
# Keras 3 trains these strategies in the helper's custom loop instead of fit.
CUSTOM_LOOP_HINT = "train with strato_trainer.train() (a custom loop that works with Keras 3), or " + LEGACY_KERAS_HINT


def import_tensorflow() -> Any:
    """Imports TensorFlow on first use, so reading the environment stays fast and TF-free."""
    try:
        import tensorflow as tf  # noqa: PLC0415 (deliberately lazy)
    except ImportError as error:
        raise StratoTrainerError(
            f"TensorFlow is not installed in this Python ({sys.executable})",
            hint="install it: `pip install tensorflow-cpu==2.21.0` (or tensorflow for GPUs) into this Python, "
            "or use the Strato trainer images (trainer-images/); for local runs from the repository, "
            "`bash test/setup/ensure-tensorflow.sh` makes .venv-tf/: put its bin/ first on PATH",
        ) from error
    return tf


def keras_flavor(keras: Any) -> str:
    """`tf_keras` for Keras 2.x (what `tf.keras` is with TF_USE_LEGACY_KERAS=1), `keras3` for 3.x."""
    version = getattr(keras, "__version__", None)
    if version is None and callable(getattr(keras, "version", None)):
        version = keras.version()
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        raise StratoTrainerError(f"cannot tell the Keras version from {version!r}") from None
    return KERAS_3 if major >= 3 else TF_KERAS


def require_support(flavor: str, env: TrainerEnv) -> None:
    """Refuses, before training starts, what this Keras cannot do correctly."""
    if flavor != KERAS_3:
        return
    if env.strategy == "parameter-server":
        raise StratoTrainerError(
            "Keras 3 cannot train with ParameterServerStrategy (Model.fit has no coordinator support)",
            hint=CUSTOM_LOOP_HINT,
        )
    if env.strategy == "multi-worker-mirrored" and env.tf_config and env.tf_config.training_tasks > 1:
        raise StratoTrainerError(
            "Keras 3's BackupAndRestore lets every worker write the same backup files",
            hint=CUSTOM_LOOP_HINT + "; tf_keras writes from the chief only",
        )
    if env.is_evaluator:
        raise StratoTrainerError("Keras 3 has no SidecarEvaluator for the evaluator role", hint=LEGACY_KERAS_HINT)


def backup_and_restore(
    keras: Any, flavor: str, backup_dir: str, save_freq: Any, save_before_preemption: bool = False
) -> Any:
    if flavor == KERAS_3:
        if save_freq is False:
            raise StratoTrainerError("Keras 3 BackupAndRestore needs save_freq='epoch' or a number of batches")
        return keras.callbacks.BackupAndRestore(backup_dir=backup_dir, save_freq=save_freq, delete_checkpoint=True)
    return keras.callbacks.BackupAndRestore(
        backup_dir=backup_dir,
        save_freq=save_freq,
        delete_checkpoint=True,
        save_before_preemption=save_before_preemption,
    )


def tensorboard(keras: Any, log_dir: str, update_freq: Any) -> Any:
    # Profiling stays off: on gs:// it writes large traces nobody asked for.
    return keras.callbacks.TensorBoard(log_dir=log_dir, update_freq=update_freq, profile_batch=0)


def eval_checkpoints(keras: Any, flavor: str, directory: str) -> Any:
    """Weights after every epoch as `ckpt-<epoch>`: SidecarEvaluator stops after `ckpt-<max_evaluations>`."""
    if flavor == KERAS_3:
        raise StratoTrainerError("Keras 3 has no SidecarEvaluator to read evaluation checkpoints", hint=LEGACY_KERAS_HINT)
    return keras.callbacks.ModelCheckpoint(filepath=directory + "ckpt-{epoch}", save_weights_only=True)


def sidecar_evaluator(
    keras: Any,
    model: Any,
    data: Any,
    checkpoint_dir: str,
    log_dir: str,
    steps: Optional[int],
    max_evaluations: Optional[int],
) -> Any:
    return keras.utils.SidecarEvaluator(
        model=model,
        data=data,
        checkpoint_dir=checkpoint_dir,
        steps=steps,
        max_evaluations=max_evaluations,
        callbacks=[keras.callbacks.TensorBoard(log_dir=log_dir)],
    )

