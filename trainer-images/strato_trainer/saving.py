"""`save_model()`: the trained model as a SavedModel in `AIP_MODEL_DIR`, where Vertex AI looks for it."""

from __future__ import annotations

from typing import Any, Optional

from . import keras_compat as compat
from . import staging
from .env import TrainerEnv, read_env
from .paths import model_dir, scratch_dir
from .strategy import log


def save_model(model: Any, env: Optional[TrainerEnv] = None, tf: Any = None, keras: Any = None) -> str:
    """Saves on every training replica (saving is collective), keeps only the chief's copy.

    Returns where the chief's model went (`AIP_MODEL_DIR`).
    """
    env = env or read_env()
    tf = tf or compat.import_tensorflow()
    keras = keras or tf.keras
    path = model_dir(env)
    if compat.keras_flavor(keras) == compat.KERAS_3:
        # Keras 3's save() writes .keras files; export() writes the SavedModel serving needs.
        model.export(path)
    elif env.strategy == "tpu":
        # TPU hosts cannot write the client's local files; route file I/O through this host.
        model.save(path, options=tf.saved_model.SaveOptions(experimental_io_device="/job:localhost"))
    else:
        model.save(path)
    if not env.is_chief:
        tf.io.gfile.rmtree(path)
        return env.model_dir
    staging.upload()
    log(f"model saved to {path}")
    return path


def save_weights(model: Any, env: Optional[TrainerEnv] = None, tf: Any = None) -> str:
    """Only the weights, as `model.weights.h5` in `AIP_MODEL_DIR` (chief) or scratch (then deleted).

    Seconds faster than a SavedModel, which traces the serving function; enough to resume or compare.
    """
    env = env or read_env()
    tf = tf or compat.import_tensorflow()
    path = model_dir(env)
    tf.io.gfile.makedirs(path)
    local = path if "://" not in path else None
    target = (local or _scratch_for(env)) + "model.weights.h5"
    model.save_weights(target)
    if local is None:
        # h5py writes local files only: copy to gs:// (or another scheme) through TensorFlow's file systems.
        tf.io.gfile.copy(target, path + "model.weights.h5", overwrite=True)
    if not env.is_chief:
        tf.io.gfile.rmtree(path)
        return env.model_dir
    staging.upload()
    log(f"weights saved to {path}model.weights.h5")
    return path + "model.weights.h5"


def _scratch_for(env: TrainerEnv) -> str:
    import os  # noqa: PLC0415

    directory = scratch_dir(env, "weights")
    os.makedirs(directory, exist_ok=True)
    return directory
