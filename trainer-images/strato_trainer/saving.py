"""`save_model()`: the trained model as a SavedModel in `AIP_MODEL_DIR`, where Vertex AI looks for it."""

from __future__ import annotations

from typing import Any, Optional

from . import keras_compat as compat
from .env import TrainerEnv, read_env
from .paths import model_dir
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
    log(f"model saved to {path}")
    return path
