"""MNIST-shaped data for the example: Keras' `mnist.npz`, IDX files (Fashion-MNIST), or synthetic.

- `--data-dir` with `mnist.npz` (Keras' download format), or with the four
  gzipped IDX files of MNIST / Fashion-MNIST (`train-images-idx3-ubyte.gz`, …;
  e.g. Strato's bundled `templates/quickstart-data/fashion-mnist-mini`, 14 × 14);
- `--synthetic`: ten random prototype images plus noise, so a model can learn
  them (random labels could not be learned, and a test could not tell a
  training run from a broken one);
- otherwise Keras downloads MNIST.
"""

from __future__ import annotations

import gzip
import struct
from typing import Any, Tuple

NUM_CLASSES = 10
SYNTHETIC_SIDE = 28
SYNTHETIC_TRAIN = 2048
SYNTHETIC_TEST = 512
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

Split = Tuple[Any, Any]


def synthetic(seed: int = 7) -> Tuple[Split, Split]:
    """Class prototypes + uniform noise, as uint8 images; the same on every replica (fixed seed)."""
    import numpy as np  # noqa: PLC0415 (TensorFlow brings numpy; imported late so a missing TF is reported first)

    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 255, (NUM_CLASSES, SYNTHETIC_SIDE, SYNTHETIC_SIDE))

    def split(n: int) -> Split:
        labels = rng.integers(0, NUM_CLASSES, n)
        noise = rng.uniform(0, 255, (n, SYNTHETIC_SIDE, SYNTHETIC_SIDE))
        return (0.5 * prototypes[labels] + 0.5 * noise).astype(np.uint8), labels.astype(np.int64)

    return split(SYNTHETIC_TRAIN), split(SYNTHETIC_TEST)


def _read_idx(data: bytes) -> Any:
    """The IDX format: zero, zero, a type byte (0x08 = uint8), the rank, then big-endian int32 sizes."""
    import numpy as np  # noqa: PLC0415

    _, _, kind, rank = struct.unpack(">BBBB", data[:4])
    if kind != 0x08:
        raise ValueError(f"IDX type 0x{kind:02x} is not uint8")
    shape = struct.unpack(f">{rank}I", data[4 : 4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def from_dir(tf: Any, data_dir: str) -> Tuple[Split, Split]:
    """`mnist.npz` or the IDX files from a folder or URI (read through tf.io.gfile, so gs:// works)."""
    import numpy as np  # noqa: PLC0415

    base = data_dir.rstrip("/")

    def read(name: str) -> bytes:
        with tf.io.gfile.GFile(f"{base}/{name}", "rb") as file:
            return file.read()

    if tf.io.gfile.exists(f"{base}/mnist.npz"):
        import io  # noqa: PLC0415

        with np.load(io.BytesIO(read("mnist.npz"))) as npz:
            return (npz["x_train"], npz["y_train"]), (npz["x_test"], npz["y_test"])

    def split(which: str) -> Split:
        images, labels = (_read_idx(gzip.decompress(read(name))) for name in IDX_FILES[which])
        return images, labels.astype(np.int64)

    return split("train"), split("test")


def count(split: Split) -> int:
    return int(split[1].shape[0])


def image_shape(split: Split) -> Tuple[int, int, int]:
    """(height, width, 1): 28 × 28 for MNIST, 14 × 14 for the bundled Fashion-MNIST subset."""
    height, width = split[0].shape[1:3]
    return int(height), int(width), 1
