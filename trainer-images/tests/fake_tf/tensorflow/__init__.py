"""A stand-in `tensorflow` for tests: records what was built, with which arguments.

No TensorFlow can be installed on the machines these tests run on, so the
tests put this package first on `sys.path`. It mirrors the signatures of the
real APIs that `strato_trainer` and the MNIST example call (TF 2.16, tf_keras
2.16, Keras 3), including the constraints the helper must respect — for
example tf_keras' BackupAndRestore refusing OneDeviceStrategy and Keras 3's
refusing `save_before_preemption`. Nothing here trains anything.

Tests call `reset(gpus=…, tpus=…, keras=…)` first, then read `recorder`.
"""

from __future__ import annotations

import os
import shutil
from typing import Any, Callable, List, Optional

from . import _data, _distribute, _dtensor, _keras
from ._core import Recorder, Tensor, float32, int32, int64, recorder, uint8

__version__ = "2.16.1"

__all__ = ["Recorder", "Tensor", "float32", "int32", "int64", "recorder", "uint8"]


class _Namespace:
    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)


class _PhysicalDevice:
    def __init__(self, name: str, device_type: str) -> None:
        self.name = name
        self.device_type = device_type


class _Devices:
    gpus = 0
    tpus = 0


def _list_physical_devices(device_type: Optional[str] = None) -> List[_PhysicalDevice]:
    kinds = {"GPU": _Devices.gpus, "TPU": _Devices.tpus, "CPU": 1}
    wanted = [device_type.upper()] if device_type else list(kinds)
    return [_PhysicalDevice(f"/physical_device:{k}:{i}", k) for k in wanted for i in range(kinds.get(k, 0))]


def _connect_to_cluster(cluster_spec_or_resolver: Any, **kwargs: Any) -> None:
    recorder.record("config.experimental_connect_to_cluster", cluster_spec_or_resolver, **kwargs)


def _initialize_tpu_system(cluster_resolver: Any = None) -> str:
    recorder.record("tpu.experimental.initialize_tpu_system", cluster_resolver)
    _distribute.STATE.initialized_tpus.append(cluster_resolver)
    return "topology"


_LOGICAL: dict = {}


def _get_logical_device_configuration(device: Any) -> Optional[List[Any]]:
    return _LOGICAL.get(device.name)


def _set_logical_device_configuration(device: Any, configurations: List[Any]) -> None:
    recorder.record("config.set_logical_device_configuration", device.name, len(configurations))
    _LOGICAL[device.name] = list(configurations)


config = _Namespace(
    list_physical_devices=_list_physical_devices,
    list_logical_devices=_list_physical_devices,
    experimental_connect_to_cluster=_connect_to_cluster,
    get_logical_device_configuration=_get_logical_device_configuration,
    set_logical_device_configuration=_set_logical_device_configuration,
    LogicalDeviceConfiguration=lambda **kwargs: _Namespace(**kwargs),
)
tpu = _Namespace(experimental=_Namespace(initialize_tpu_system=_initialize_tpu_system))

distribute = _distribute.module()
train = _Namespace(
    ClusterSpec=_distribute.ClusterSpec, Checkpoint=_distribute.Checkpoint, CheckpointManager=_distribute.CheckpointManager
)
data = _data.module()
experimental = _Namespace(dtensor=_dtensor.module())
# Run between fit() steps, for tests that deliver a signal mid-training: fn(epoch, batch).
FIT_STEP_HOOKS: List[Callable[[int, int], None]] = []
keras: Any = _keras.make("tf_keras", step_hooks=FIT_STEP_HOOKS)


def cast(x: Any, dtype: str) -> Tensor:
    return Tensor(x.shape, dtype)


def reshape(x: Any, shape: Any) -> Tensor:
    return Tensor(tuple(shape), x.dtype)


def split(x: Any, num: int, axis: int = 0) -> List[Tensor]:
    if x.shape[axis] % num:
        raise ValueError(f"cannot split dimension {x.shape[axis]} into {num} equal parts")
    shape = list(x.shape)
    shape[axis] //= num
    return [Tensor(tuple(shape), x.dtype) for _ in range(num)]


def reduce_mean(x: Any, axis: Any = None) -> Tensor:
    return Tensor((), float32)


def function(fn: Optional[Callable] = None, **_kwargs: Any) -> Any:
    return fn if fn is not None else (lambda f: f)


class GradientTape:
    def __enter__(self) -> "GradientTape":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def gradient(self, target: Any, sources: List[Any]) -> List[Tensor]:
        return [Tensor((), float32) for _ in sources]


def _uniform(shape: Any, minval: float = 0, maxval: Any = None, dtype: str = float32, seed: Any = None) -> Tensor:
    return Tensor(tuple(shape), dtype)


random = _Namespace(uniform=_uniform)


class _GFile:
    def __init__(self, name: str, mode: str = "r") -> None:
        self._file = open(name, mode)

    def __enter__(self) -> Any:
        return self._file

    def __exit__(self, *exc: Any) -> None:
        self._file.close()


def _rmtree(path: str) -> None:
    recorder.record("io.gfile.rmtree", path)
    if not path.startswith("gs://") and os.path.isdir(path):
        shutil.rmtree(path)


io = _Namespace(
    gfile=_Namespace(
        GFile=_GFile,
        exists=lambda path: path.startswith("gs://") or os.path.exists(path),
        makedirs=lambda path: None if path.startswith("gs://") else os.makedirs(path, exist_ok=True),
        rmtree=_rmtree,
    )
)


class SaveOptions:
    def __init__(self, experimental_io_device: Optional[str] = None, **kwargs: Any) -> None:
        self.experimental_io_device = experimental_io_device


saved_model = _Namespace(SaveOptions=SaveOptions)


class _SummaryWriter:
    def __init__(self, logdir: str) -> None:
        self.logdir = logdir

    def as_default(self) -> "_SummaryWriter":
        return self

    def __enter__(self) -> "_SummaryWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def flush(self) -> None:
        recorder.record("summary.flush", self.logdir)


def _create_file_writer(logdir: str, **kwargs: Any) -> _SummaryWriter:
    recorder.record("summary.create_file_writer", logdir)
    return _SummaryWriter(logdir)


def _scalar(name: str, data: Any, step: Any = None) -> bool:
    recorder.record("summary.scalar", name, data, step=step)
    return True


summary = _Namespace(create_file_writer=_create_file_writer, scalar=_scalar)


def reset(*, gpus: int = 0, tpus: int = 0, keras_flavor: str = "tf_keras", fit_steps: int = 2) -> None:
    """Forgets every recorded call and sets up the machine the next test pretends to run on."""
    global keras
    recorder.clear()
    _Devices.gpus = gpus
    _Devices.tpus = tpus
    _distribute.STATE.reset(gpus=gpus, tpus=tpus)
    _dtensor.STATE.device_type = None
    FIT_STEP_HOOKS.clear()
    keras = _keras.make(keras_flavor, fit_steps=fit_steps, step_hooks=FIT_STEP_HOOKS)


def built(kind: str) -> List[Any]:
    """Every object of this kind built since the last reset, e.g. built('MirroredStrategy')."""
    return [call.result for call in recorder.calls if call.name == kind]


def calls(name: str) -> List[Any]:
    return [call for call in recorder.calls if call.name == name]

