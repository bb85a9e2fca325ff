"""strato_trainer: the trainer side of Strato.

    import strato_trainer as st

    strategy = st.strategy()            # the tf.distribute strategy the plan asks for
    with strategy.scope():
        model = build_model()
    model.fit(data, callbacks=st.callbacks())   # TensorBoard, BackupAndRestore, preemption
    st.save_model(model)                # SavedModel in AIP_MODEL_DIR (chief only)

Reading the environment (`read_env`) needs no TensorFlow; everything that
builds TensorFlow objects imports it on first use.
"""

from .callbacks import callbacks
from .cluster import TfConfig, parse_tf_config, parse_vertex_cluster_spec
from .env import DTensorEnv, TpuEnv, TrainerEnv, read_env
from .errors import StratoTrainerError
from .evaluator import sidecar_evaluator
from .keras_compat import import_tensorflow, keras_flavor
from .loop import History, LoopConfig, train
from .mesh import mesh
from .paths import backup_dir, checkpoint_dir, eval_checkpoint_dir, model_dir, tensorboard_dir
from .preemption import (
    DEFAULT_PREEMPTION_EXIT_CODE,
    GCE_PREEMPTION_EXIT_CODE,
    SigtermWatcher,
    exit_for_preemption,
    on_gcp,
    preemption_exit_code,
)
from .saving import save_model, save_weights
from .strategy import strategy

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_PREEMPTION_EXIT_CODE",
    "GCE_PREEMPTION_EXIT_CODE",
    "DTensorEnv",
    "History",
    "LoopConfig",
    "SigtermWatcher",
    "StratoTrainerError",
    "TfConfig",
    "TpuEnv",
    "TrainerEnv",
    "backup_dir",
    "callbacks",
    "checkpoint_dir",
    "eval_checkpoint_dir",
    "exit_for_preemption",
    "import_tensorflow",
    "keras_flavor",
    "mesh",
    "model_dir",
    "on_gcp",
    "parse_tf_config",
    "parse_vertex_cluster_spec",
    "preemption_exit_code",
    "read_env",
    "save_model",
    "save_weights",
    "sidecar_evaluator",
    "strategy",
    "tensorboard_dir",
    "train",
]
