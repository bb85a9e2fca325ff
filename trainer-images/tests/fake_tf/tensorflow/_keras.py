"""Two Keras stand-ins, tf_keras 2.16 and Keras 3, differing where the real ones differ.

`fit()` drives the callbacks the way Keras does (set_model, train begin,
epochs, batches, train end) so the preset's behaviour can be observed.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional

from . import _distribute
from ._core import Tensor, recorder, uint8

TF_KERAS_VERSION = "2.16.0"
KERAS_3_VERSION = "3.3.3"


class _Namespace:
    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)


def make(flavor: str, fit_steps: int = 2, step_hooks: Optional[List[Callable[[int, int], None]]] = None) -> Any:
    legacy = flavor == "tf_keras"
    if flavor not in ("tf_keras", "keras3"):
        raise ValueError(flavor)
    hooks = step_hooks if step_hooks is not None else []

    class Callback:
        def __init__(self) -> None:
            self.model: Any = None

        def set_model(self, model: Any) -> None:
            self.model = model

        def on_train_begin(self, logs: Any = None) -> None: ...
        def on_train_end(self, logs: Any = None) -> None: ...
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None: ...
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None: ...
        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None: ...
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None: ...
        def on_test_begin(self, logs: Any = None) -> None: ...
        def on_test_end(self, logs: Any = None) -> None: ...

    def implements_batch_hooks(callback: Any) -> bool:
        hooks = ("on_train_batch_begin", "on_train_batch_end")
        return any(getattr(type(callback), hook) is not getattr(Callback, hook) for hook in hooks)

    class TensorBoard(Callback):
        def __init__(self, log_dir: str = "logs", histogram_freq: int = 0, write_graph: bool = True,
                     write_images: bool = False, write_steps_per_second: bool = False, update_freq: Any = "epoch",
                     profile_batch: Any = 0, embeddings_freq: int = 0, embeddings_metadata: Any = None) -> None:
            super().__init__()
            self.log_dir = log_dir
            self.update_freq = update_freq
            self.profile_batch = profile_batch
            self._supports_tf_logs = True
            recorder.built("TensorBoard", self, log_dir=log_dir, update_freq=update_freq)

    if legacy:
        class BackupAndRestore(Callback):
            def __init__(self, backup_dir: str, save_freq: Any = "epoch", delete_checkpoint: bool = True,
                         save_before_preemption: bool = False) -> None:
                super().__init__()
                if not save_freq and not save_before_preemption:
                    raise ValueError("Either `save_freq` or `save_before_preemption` must be set.")
                self.backup_dir = backup_dir
                self.save_freq = save_freq
                self.delete_checkpoint = delete_checkpoint
                self.save_before_preemption = save_before_preemption
                self._supports_tf_logs = True
                recorder.built("BackupAndRestore", self, backup_dir=backup_dir, save_freq=save_freq,
                               delete_checkpoint=delete_checkpoint, save_before_preemption=save_before_preemption)

            def on_train_begin(self, logs: Any = None) -> None:
                strategy = self.model.distribute_strategy
                supported = (_distribute.MirroredStrategy, _distribute.MultiWorkerMirroredStrategy,
                             _distribute.TPUStrategy, _distribute.ParameterServerStrategy)
                if not isinstance(strategy, _distribute._DefaultStrategy) and not isinstance(strategy, supported):
                    raise NotImplementedError(f"{type(strategy)} is not supported yet. Currently BackupAndRestore "
                                              "callback only supports empty strategy, MirroredStrategy, "
                                              "MultiWorkerMirroredStrategy and TPUStrategy.")
                recorder.record("BackupAndRestore.restore", self.backup_dir)

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                if self.save_freq == "epoch":
                    recorder.record("BackupAndRestore.save", self.backup_dir, epoch=epoch)

            def on_train_end(self, logs: Any = None) -> None:
                if self.delete_checkpoint:
                    recorder.record("BackupAndRestore.delete", self.backup_dir)
    else:
        class BackupAndRestore(Callback):  # type: ignore[no-redef]
            def __init__(self, backup_dir: str, save_freq: Any = "epoch", delete_checkpoint: bool = True) -> None:
                super().__init__()
                if save_freq != "epoch" and not isinstance(save_freq, int):
                    raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}.")
                self.backup_dir = backup_dir
                self.save_freq = save_freq
                self.delete_checkpoint = delete_checkpoint
                recorder.built("BackupAndRestore", self, backup_dir=backup_dir, save_freq=save_freq,
                               delete_checkpoint=delete_checkpoint)

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                if self.save_freq == "epoch":
                    recorder.record("BackupAndRestore.save", self.backup_dir, epoch=epoch)

            def on_train_end(self, logs: Any = None) -> None:
                if self.delete_checkpoint:
                    recorder.record("BackupAndRestore.delete", self.backup_dir)

    class ModelCheckpoint(Callback):
        def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                     save_weights_only: bool = False, mode: str = "auto", save_freq: Any = "epoch",
                     **kwargs: Any) -> None:
            super().__init__()
            if not legacy:
                suffix = ".weights.h5" if save_weights_only else ".keras"
                if not filepath.endswith(suffix):
                    raise ValueError(f"The filepath provided must end in `{suffix}`. Received: filepath={filepath}")
            self.filepath = filepath
            self._supports_tf_logs = True
            recorder.built("ModelCheckpoint", self, filepath=filepath, save_weights_only=save_weights_only)

    class DatasetCreator:
        def __init__(self, dataset_fn: Callable[[Any], Any], input_options: Any = None) -> None:
            self.dataset_fn = dataset_fn
            recorder.built("DatasetCreator", self)

    class SidecarEvaluator:
        def __init__(self, model: Any, data: Any, checkpoint_dir: str, steps: Optional[int] = None,
                     max_evaluations: Optional[int] = None, callbacks: Optional[List[Any]] = None) -> None:
            self.model = model
            self.data = data
            self.checkpoint_dir = checkpoint_dir
            self.max_evaluations = max_evaluations
            self.callbacks = callbacks or []
            recorder.built("SidecarEvaluator", self, checkpoint_dir=checkpoint_dir, steps=steps,
                           max_evaluations=max_evaluations)

        def start(self) -> None:
            recorder.record("SidecarEvaluator.start", self)

    class Layer:
        def __init__(self, kind: str, *args: Any, name: Optional[str] = None, **kwargs: Any) -> None:
            self.kind = kind
            self.args = args
            self.kwargs = kwargs
            self.name = name

    def layer(kind: str) -> Callable[..., Layer]:
        return lambda *args, **kwargs: Layer(kind, *args, **kwargs)

    class Optimizer:
        def __init__(self, learning_rate: float = 0.001, mesh: Any = None, **kwargs: Any) -> None:
            self.learning_rate = learning_rate
            self.mesh = mesh
            recorder.built("Adam", self, learning_rate=learning_rate, mesh=mesh)

        def build(self, variables: Any) -> None:
            recorder.record("Adam.build", list(variables))

        def apply_gradients(self, grads_and_vars: Any) -> None:
            recorder.record("Adam.apply_gradients", list(grads_and_vars))

    class Model:
        def __init__(self, layers: Optional[List[Layer]] = None, name: Optional[str] = None) -> None:
            self.layers = list(layers or [])
            self.built = True
            self.optimizer: Any = None
            self.stop_training = False
            self.distribute_strategy = _distribute.STATE.current or _distribute._DefaultStrategy(1)
            self.layout_map = LayoutMap.current
            self.trainable_variables = [Tensor((), "float32") for _ in self.layers]
            recorder.built("Model", self, strategy=self.distribute_strategy)

        def __call__(self, x: Tensor, training: bool = False) -> Tensor:
            return Tensor((x.shape[0], 10))

        def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                    steps_per_execution: int = 1, **kwargs: Any) -> None:
            self.optimizer = optimizer
            recorder.record("Model.compile", optimizer=optimizer, loss=loss, metrics=metrics,
                            steps_per_execution=steps_per_execution)

        def fit(self, x: Any = None, y: Any = None, epochs: int = 1, verbose: Any = "auto",
                callbacks: Optional[List[Any]] = None, validation_data: Any = None,
                steps_per_epoch: Optional[int] = None, initial_epoch: int = 0, **kwargs: Any) -> None:
            if isinstance(x, DatasetCreator):
                if steps_per_epoch is None:
                    raise ValueError("When using a DatasetCreator, `steps_per_epoch` must be set.")
                workers = 1
                resolver = getattr(self.distribute_strategy, "cluster_resolver", None)
                if resolver is not None:
                    workers = max(1, resolver.cluster_spec().num_tasks("worker"))
                context = _distribute.InputContext(workers, 0, self.distribute_strategy.num_replicas_in_sync)
                x.dataset = x.dataset_fn(context)
            elif getattr(x, "size", 0) is None and steps_per_epoch is None:
                raise ValueError("an infinitely repeating dataset needs `steps_per_epoch`")
            recorder.record("Model.fit", x, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks)
            callbacks = list(callbacks or [])
            if legacy and isinstance(self.distribute_strategy, _distribute.ParameterServerStrategy):
                # tf_keras CallbackList._check_ps_strategy: batch hooks only for callbacks taking RemoteValues.
                unsupported = [c for c in callbacks if implements_batch_hooks(c) and not getattr(c, "_supports_tf_logs", False)]
                if unsupported:
                    raise ValueError(f"Batch-level `Callback`s are not supported with `ParameterServerStrategy`. "
                                     f"Found unsupported callbacks: {unsupported}")
            for callback in callbacks:
                callback.set_model(self)
            for callback in callbacks:
                callback.on_train_begin()
            for epoch in range(initial_epoch, epochs):
                for callback in callbacks:
                    callback.on_epoch_begin(epoch)
                for batch in range(steps_per_epoch or fit_steps):
                    for callback in callbacks:
                        callback.on_train_batch_begin(batch)
                    for hook in hooks:
                        hook(epoch, batch)
                    for callback in callbacks:
                        callback.on_train_batch_end(batch, {"loss": 0.5})
                for callback in callbacks:
                    callback.on_epoch_end(epoch, {"loss": 0.5})
            for callback in callbacks:
                callback.on_train_end()

        def evaluate(self, x: Any = None, steps: Optional[int] = None, callbacks: Any = None, **kwargs: Any) -> List[float]:
            recorder.record("Model.evaluate", x, steps=steps)
            return [0.5, 0.5]

        def save(self, filepath: str, overwrite: bool = True, options: Any = None, **kwargs: Any) -> None:
            if not legacy and not str(filepath).endswith(".keras"):
                raise ValueError("Keras 3 saves only .keras files; use model.export() for a SavedModel")
            recorder.record("Model.save", filepath, options=options)

        def get_weights(self) -> List[Any]:
            return []  # the stand-in trains nothing: no weights to compare

        def export(self, filepath: str, format: str = "tf_saved_model", **kwargs: Any) -> None:
            if legacy:
                raise AttributeError("'Model' object has no attribute 'export'")
            recorder.record("Model.export", filepath)

    class Sequential(Model):
        pass

    class SparseCategoricalCrossentropy:
        def __init__(self, from_logits: bool = False, **kwargs: Any) -> None:
            self.from_logits = from_logits

        def __call__(self, y_true: Any, y_pred: Any) -> Tensor:
            return Tensor(())

    class SparseCategoricalAccuracy:
        def __init__(self, name: str = "sparse_categorical_accuracy", **kwargs: Any) -> None:
            self.name = name

    class LayoutMap:
        current: Any = None

        def __init__(self, mesh: Any = None) -> None:
            self.mesh = mesh
            self.layouts: dict = {}
            recorder.built("LayoutMap", self, mesh=mesh)

        def __setitem__(self, key: str, layout: Any) -> None:
            re.compile(key)
            self.layouts[key] = layout

        @contextmanager
        def scope(self) -> Iterator["LayoutMap"]:
            previous, LayoutMap.current = LayoutMap.current, self
            try:
                yield self
            finally:
                LayoutMap.current = previous

    def load_mnist(path: str = "mnist.npz") -> Any:
        recorder.record("datasets.mnist.load_data", path)
        return ((Tensor((60000, 28, 28), uint8), Tensor((60000,), uint8)),
                (Tensor((10000, 28, 28), uint8), Tensor((10000,), uint8)))

    callbacks = _Namespace(Callback=Callback, TensorBoard=TensorBoard, BackupAndRestore=BackupAndRestore,
                           ModelCheckpoint=ModelCheckpoint)
    layers = _Namespace(Input=layer("Input"), Conv2D=layer("Conv2D"), MaxPooling2D=layer("MaxPooling2D"),
                        Flatten=layer("Flatten"), Dense=layer("Dense"))
    utils = _Namespace()
    if legacy:
        utils = _Namespace(SidecarEvaluator=SidecarEvaluator, experimental=_Namespace(DatasetCreator=DatasetCreator))
    keras = _Namespace(
        __version__=TF_KERAS_VERSION if legacy else KERAS_3_VERSION,
        callbacks=callbacks,
        layers=layers,
        utils=utils,
        Sequential=Sequential,
        Model=Model,
        optimizers=_Namespace(Adam=Optimizer),
        losses=_Namespace(SparseCategoricalCrossentropy=SparseCategoricalCrossentropy),
        metrics=_Namespace(SparseCategoricalAccuracy=SparseCategoricalAccuracy),
        datasets=_Namespace(mnist=_Namespace(load_data=load_mnist)),
    )
    if legacy:
        keras.dtensor = _Namespace(experimental=_Namespace(LayoutMap=LayoutMap))
    return keras
