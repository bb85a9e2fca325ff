"""tf.data stand-in: a Dataset that tracks element shapes, its transformations and its options."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Optional, Tuple

from ._core import Tensor, recorder


class AutoShardPolicy:
    AUTO = "AUTO"
    FILE = "FILE"
    DATA = "DATA"
    OFF = "OFF"


class _DistributeOptions:
    def __init__(self) -> None:
        self.auto_shard_policy = AutoShardPolicy.AUTO


class Options:
    def __init__(self) -> None:
        self.experimental_distribute = _DistributeOptions()


class Dataset:
    """Elements are tuples of Tensors; `ops` lists every transformation applied, in order."""

    def __init__(self, element: Tuple[Tensor, ...], size: Optional[int], ops: List[Tuple[str, Any]],
                 batch: Optional[int] = None, options: Optional[Options] = None) -> None:
        self.element = element
        self.size = size  # None: infinite (repeated)
        self.ops = ops
        self.batch_size = batch
        self.options = options

    @staticmethod
    def from_tensor_slices(tensors: Tuple[Any, ...]) -> "Dataset":
        sizes = {t.shape[0] for t in tensors}
        if len(sizes) != 1:
            raise ValueError(f"from_tensor_slices: tensors have different first dimensions {sizes}")
        element = tuple(Tensor(t.shape[1:], t.dtype) for t in tensors)
        dataset = Dataset(element, sizes.pop(), [("from_tensor_slices", None)])
        recorder.built("Dataset", dataset)
        return dataset

    def _then(self, op: str, arg: Any = None, **changes: Any) -> "Dataset":
        state = dict(element=self.element, size=self.size, batch=self.batch_size, options=self.options)
        state.update(changes)
        return Dataset(state["element"], state["size"], self.ops + [(op, arg)], state["batch"], state["options"])

    def map(self, fn: Callable[..., Any], num_parallel_calls: Any = None) -> "Dataset":
        # Run the function once on an element, as tracing would, so a broken map fails here.
        result = fn(*self.element)
        return self._then("map", fn, element=tuple(result))

    def shard(self, num_shards: int, index: int) -> "Dataset":
        if not 0 <= index < num_shards:
            raise ValueError(f"shard index {index} out of range for {num_shards} shards")
        size = None if self.size is None else self.size // num_shards
        return self._then("shard", (num_shards, index), size=size)

    def shuffle(self, buffer_size: int, seed: Any = None) -> "Dataset":
        return self._then("shuffle", buffer_size)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> "Dataset":
        if self.batch_size is not None:
            raise ValueError("dataset is batched twice")
        size = None if self.size is None else self.size // batch_size
        return self._then("batch", (batch_size, drop_remainder), size=size, batch=batch_size)

    def repeat(self, count: Any = None) -> "Dataset":
        return self._then("repeat", count, size=None)

    def prefetch(self, buffer_size: int) -> "Dataset":
        return self._then("prefetch", buffer_size)

    def take(self, count: int) -> "Dataset":
        size = count if self.size is None else min(count, self.size)
        return self._then("take", count, size=size)

    def with_options(self, options: Options) -> "Dataset":
        return self._then("with_options", options, options=options)

    def op_names(self) -> List[str]:
        return [name for name, _ in self.ops]

    def __iter__(self) -> Iterator[Tuple[Tensor, ...]]:
        count = 0
        while self.size is None or count < self.size:
            count += 1
            if self.batch_size is None:
                yield self.element
            else:
                yield tuple(Tensor((self.batch_size,) + t.shape, t.dtype) for t in self.element)


class _Namespace:
    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)


def module() -> _Namespace:
    return _Namespace(Dataset=Dataset, Options=Options, experimental=_Namespace(AutoShardPolicy=AutoShardPolicy))
