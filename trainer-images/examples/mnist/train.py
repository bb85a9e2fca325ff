"""MNIST, the classic Conv2D / MaxPooling / Dense model, unchanged under every Strato strategy.

The Strato images run this file as their entrypoint; arguments from the job
spec (`container.args`) are appended:

    python3 /opt/strato/examples/mnist/train.py --epochs=5

What differs per strategy is decided by `strato_trainer` from the
environment: the strategy itself, the input pipeline (parameter-server
training feeds workers through a DatasetCreator), who writes the model and
logs, and a DTensor training loop when the job declares a `mesh:`.

Data: `--data-dir` (or `$DATA_DIR`) holding Keras' `mnist.npz`; otherwise
Keras downloads MNIST; `--synthetic` makes random images (smoke tests).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
from typing import Any, Optional, Sequence, Tuple

import mnist_data
import strato_trainer as st
from strato_trainer.paths import join_dir

NUM_CLASSES = mnist_data.NUM_CLASSES
HIDDEN_UNITS = 128
# A TPU runs this many steps per host round trip; small models starve it otherwise.
# (https://www.tensorflow.org/guide/tpu#improving_performance_with_multiple_steps_inside_tffunction)
TPU_STEPS_PER_EXECUTION = 50


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="examples per replica and step")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: one pass over the data")
    parser.add_argument(
        "--save-freq", default="epoch", help='backups "epoch" or every N steps (bounds the work a preemption loses)'
    )
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR"), help="folder with mnist.npz")
    parser.add_argument("--synthetic", action="store_true", help="random images instead of MNIST")
    parser.add_argument(
        "--save",
        choices=("savedmodel", "weights"),
        default="savedmodel",
        help="what goes to AIP_MODEL_DIR: a SavedModel for serving, or only the weights (seconds faster)",
    )
    args = parser.parse_args(argv)
    if args.save_freq != "epoch":
        args.save_freq = int(args.save_freq)
    return args


def build_model(keras: Any, shape: Tuple[int, int, int]) -> Any:
    return keras.Sequential(
        [
            keras.layers.Input(shape=shape),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(HIDDEN_UNITS, activation="relu", name="hidden"),
            keras.layers.Dense(NUM_CLASSES, name="logits"),
        ]
    )


def compile_model(model: Any, keras: Any, args: argparse.Namespace, steps_per_execution: int = 1) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        steps_per_execution=steps_per_execution,
    )


Split = mnist_data.Split


def load_mnist(tf: Any, keras: Any, args: argparse.Namespace) -> Tuple[Split, Split]:
    """(train images, labels), (test images, labels); images are uint8, square, one channel."""
    if args.synthetic:
        return mnist_data.synthetic()
    if args.data_dir:
        return mnist_data.from_dir(tf, args.data_dir)
    return keras.datasets.mnist.load_data()


def examples(tf: Any, split: Split) -> Any:
    images, labels = split
    shape = mnist_data.image_shape(split)

    def normalize(image: Any, label: Any) -> Tuple[Any, Any]:
        return tf.cast(tf.reshape(image, shape), tf.float32) / 255.0, label

    return tf.data.Dataset.from_tensor_slices((images, labels)).map(normalize)


count = mnist_data.count


def train_input(tf: Any, keras: Any, env: st.TrainerEnv, split: Split, global_batch: int) -> Any:
    if env.strategy == "parameter-server":
        # Workers pull batches from their own pipeline; the coordinator only schedules steps.
        return keras.utils.experimental.DatasetCreator(per_replica_input(tf, split, global_batch))
    options = tf.data.Options()
    # In-memory data has no files to split between workers: shard by element.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = examples(tf, split).shuffle(10 * global_batch).batch(global_batch, drop_remainder=True)
    return dataset.repeat().prefetch(2).with_options(options)


def per_replica_input(tf: Any, split: Split, global_batch: int) -> Any:
    """A dataset function for `distribute_datasets_from_function`: this input pipeline's shard, per-replica batches."""

    def dataset_fn(context: Any) -> Any:
        batch = context.get_per_replica_batch_size(global_batch)
        dataset = examples(tf, split).shard(context.num_input_pipelines, context.input_pipeline_id)
        return dataset.shuffle(10 * batch).batch(batch, drop_remainder=True).repeat().prefetch(2)

    return dataset_fn


def evaluate_as_sidecar(tf: Any, keras: Any, env: st.TrainerEnv, args: argparse.Namespace) -> None:
    """The evaluator role: evaluate each epoch's checkpoint as the chief writes it, then stop."""
    _, test = load_mnist(tf, keras, args)
    model = build_model(keras, mnist_data.image_shape(test))
    compile_model(model, keras, args)
    data = examples(tf, test).batch(args.batch_size)
    st.sidecar_evaluator(model, data, env=env, keras=keras, max_evaluations=args.epochs).start()


def uses_custom_loop(keras: Any, env: st.TrainerEnv) -> bool:
    """Keras 3's fit cannot train across machines; the helper's loop can (see strato_trainer/loop.py)."""
    return st.keras_flavor(keras) == "keras3" and env.strategy in ("multi-worker-mirrored", "parameter-server")


def train_with_strategy(tf: Any, env: st.TrainerEnv, args: argparse.Namespace) -> None:
    strategy = st.strategy(env, tf)  # ps and worker tasks of parameter-server training serve here for good
    keras = tf.keras
    if env.is_evaluator:
        evaluate_as_sidecar(tf, keras, env, args)
        return
    global_batch = args.batch_size * strategy.num_replicas_in_sync
    train, test = load_mnist(tf, keras, args)
    shape = mnist_data.image_shape(train)
    steps = args.steps_per_epoch or max(1, count(train) // global_batch)
    if uses_custom_loop(keras, env):
        config = st.LoopConfig(
            build_model=lambda: build_model(keras, shape),
            build_optimizer=lambda: keras.optimizers.Adam(learning_rate=args.learning_rate),
            train_dataset=per_replica_input(tf, train, global_batch),
            epochs=args.epochs,
            steps_per_epoch=steps,
            global_batch=global_batch,
            test_dataset=examples(tf, test).batch(256),
        )
        model = st.train(strategy, config, env, tf=tf)
    else:
        callbacks = st.callbacks(env, keras, tf=tf, save_freq=args.save_freq)
        per_execution = min(TPU_STEPS_PER_EXECUTION, steps) if env.strategy == "tpu" else 1
        with strategy.scope():
            model = build_model(keras, shape)
            compile_model(model, keras, args, steps_per_execution=per_execution)
        model.fit(
            train_input(tf, keras, env, train, global_batch),
            epochs=args.epochs,
            steps_per_epoch=steps,
            # Single-machine strategies only: evaluation in fit is collective across workers.
            validation_data=examples(tf, test).batch(256) if env.strategy in ("one-device", "mirrored") else None,
            callbacks=callbacks,
            verbose=2,
        )
    print(f"weights checksum {weights_checksum(model)}", flush=True)
    if args.save == "weights":
        st.save_weights(model, env, tf=tf)
    else:
        st.save_model(model, env, tf=tf, keras=keras)


def weights_checksum(model: Any) -> str:
    """SHA-256 over every weight's bytes: replicas trained in sync print the same one."""
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(weight.tobytes())
    return digest.hexdigest()[:16]


def pack_batch(tf: Any, tensor: Any, layout: Any, batch_dim: str) -> Any:
    """This client's slice of a global batch → a DTensor sharded along `batch_dim`.

    Each local device gets the rows of its batch coordinate: the client's rows
    are split over the distinct batch coordinates its devices hold.
    """
    locations = layout.mesh.local_device_locations()
    batch_ids = sorted({location[batch_dim] for location in locations})
    shards = tf.split(tensor, len(batch_ids), axis=0)
    components = [shards[batch_ids.index(location[batch_dim])] for location in locations]
    return tf.experimental.dtensor.pack(components, layout)


def train_on_mesh(tf: Any, env: st.TrainerEnv, args: argparse.Namespace) -> None:
    """DTensor: batch-parallel over the first mesh dimension; the hidden layer split over the last.

    A custom loop, as tf_keras' own DTensor MNIST test trains (tf_keras/dtensor/integration_test_utils.py).
    """
    keras = tf.keras
    if st.keras_flavor(keras) != "tf_keras":
        # Keras 3 has no DTensor layouts for its layers: train DTensor variables directly.
        train_mesh_mlp(tf, env, args)
        return
    dtensor = tf.experimental.dtensor
    mesh = st.mesh(env, tf)
    assert env.mesh is not None
    dims = [name for name, _ in env.mesh]
    sizes = dict(env.mesh)
    batch_dim, model_dim = dims[0], (dims[-1] if len(dims) > 1 else None)
    clients = env.dtensor.num_clients if env.dtensor else 1
    client = env.dtensor.client_id if env.dtensor else 0

    layout_map = keras.dtensor.experimental.LayoutMap(mesh=mesh)
    if model_dim is not None and HIDDEN_UNITS % sizes[model_dim] == 0:
        layout_map["hidden.*kernel"] = dtensor.Layout([dtensor.UNSHARDED, model_dim], mesh)
        layout_map["hidden.*bias"] = dtensor.Layout([model_dim], mesh)
    train, _ = load_mnist(tf, keras, args)
    with layout_map.scope():
        model = build_model(keras, mnist_data.image_shape(train))
    # tf_keras optimizers take the mesh their slot variables live on; build before the first step.
    optimizer = keras.optimizers.Adam(learning_rate=args.learning_rate, mesh=mesh)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    local_ids = {location[batch_dim] for location in mesh.local_device_locations()}
    if len(local_ids) * clients != sizes[batch_dim]:
        raise st.StratoTrainerError(
            f"the {batch_dim!r} mesh dimension is not split evenly between the {clients} clients",
            hint="put the batch dimension first in `mesh:`",
        )
    global_batch = args.batch_size * sizes[batch_dim]
    local_batch = global_batch // clients
    steps = args.steps_per_epoch or max(1, count(train) // global_batch)
    dataset = examples(tf, train).shard(clients, client).shuffle(10 * local_batch)
    dataset = dataset.batch(local_batch, drop_remainder=True).repeat()
    image_layout = dtensor.Layout.batch_sharded(mesh, batch_dim, rank=4)
    label_layout = dtensor.Layout.batch_sharded(mesh, batch_dim, rank=1)

    @tf.function
    def train_step(images: Any, labels: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    # DTensor checkpoints are collective: every client saves to the same folder.
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(checkpoint, join_dir(env.checkpoint_dir, "dtensor"), max_to_keep=2)
    manager.restore_or_initialize()
    first_epoch = int(checkpoint.save_counter)  # one save per finished epoch
    writer = tf.summary.create_file_writer(st.tensorboard_dir(env)) if env.is_chief else None
    device = "TPU" if env.strategy == "tpu" else "GPU"
    exit_code = st.preemption_exit_code(device=device)
    batches = iter(dataset)
    with st.SigtermWatcher() as watcher:
        for epoch in range(first_epoch, args.epochs):
            for _ in range(steps):
                images, labels = next(batches)
                loss = train_step(
                    pack_batch(tf, images, image_layout, batch_dim), pack_batch(tf, labels, label_layout, batch_dim)
                )
                if watcher.preempted:
                    # One client cannot save alone; the job resumes from the last epoch's checkpoint.
                    st.exit_for_preemption(exit_code)
            manager.save()
            if writer is not None:
                with writer.as_default():
                    tf.summary.scalar("epoch_loss", float(dtensor.unpack(loss)[0]), step=epoch)
                writer.flush()
    checkpoint_for_serving = tf.train.Checkpoint(model=model)
    checkpoint_for_serving.write(join_dir(env.model_dir).rstrip("/") + "/weights")


def train_mesh_mlp(tf: Any, env: st.TrainerEnv, args: argparse.Namespace) -> None:
    """Keras 3: the MLP of DTensor variables in mnist_dtensor.py, batch-parallel over the mesh's first dimension."""
    import mnist_dtensor  # noqa: PLC0415 (DTensor jobs only)

    dtensor = tf.experimental.dtensor
    mesh = st.mesh(env, tf)
    assert env.mesh is not None
    dims = [name for name, _ in env.mesh]
    sizes = dict(env.mesh)
    batch_dim = dims[0]
    model_dim = dims[-1] if len(dims) > 1 and mnist_dtensor.HIDDEN_UNITS % sizes[dims[-1]] == 0 else None
    clients = env.dtensor.num_clients if env.dtensor else 1
    client = env.dtensor.client_id if env.dtensor else 0
    global_batch = args.batch_size * sizes[batch_dim]
    local_batch = global_batch // clients
    train, test = load_mnist(tf, tf.keras, args)
    shape = mnist_data.image_shape(train)
    steps = args.steps_per_epoch or max(1, count(train) // global_batch)
    print(
        f"mesh {dict(sizes)}: {len(mesh.local_devices())} local devices, global batch {global_batch} "
        f"= {args.batch_size} per device x {sizes[batch_dim]}",
        flush=True,
    )
    model = mnist_dtensor.MeshMlp(tf, mesh, shape[0] * shape[1], NUM_CLASSES, model_dim)
    image_layout = dtensor.Layout.batch_sharded(mesh, batch_dim, rank=4)
    label_layout = dtensor.Layout.batch_sharded(mesh, batch_dim, rank=1)

    def batches(split: Split, repeat: bool) -> Any:
        dataset = examples(tf, split).shard(clients, client)
        if repeat:
            dataset = dataset.shuffle(10 * local_batch).repeat()
        for images, labels in dataset.batch(local_batch, drop_remainder=True):
            yield pack_batch(tf, images, image_layout, batch_dim), pack_batch(tf, labels, label_layout, batch_dim)

    train_step = tf.function(lambda images, labels: model.step(images, labels, args.learning_rate))
    evaluate = tf.function(lambda images, labels: model.step_free(images, labels))

    # DTensor checkpoints are collective: every client saves to the same folder.
    epoch_counter = tf.Variable(0, dtype=tf.int64)
    checkpoint = tf.train.Checkpoint(epoch=epoch_counter, **model.variables())
    manager = tf.train.CheckpointManager(checkpoint, join_dir(env.checkpoint_dir, "dtensor"), max_to_keep=2)
    manager.restore_or_initialize()
    logs = st.tensorboard_dir(env)
    writers = (
        {run: tf.summary.create_file_writer(join_dir(logs, run)) for run in ("train", "validation")}
        if env.is_chief
        else {}
    )
    exit_code = st.preemption_exit_code(device="TPU" if env.strategy == "tpu" else "CPU")
    stream = batches(train, repeat=True)
    with st.SigtermWatcher() as watcher:
        for epoch in range(int(epoch_counter.numpy()), args.epochs):
            loss_sum, correct_sum = 0.0, 0.0
            for _ in range(steps):
                loss, correct = train_step(*next(stream))
                loss_sum += float(dtensor.unpack(loss)[0])
                correct_sum += float(dtensor.unpack(correct)[0])
                if watcher.preempted:
                    # One client cannot save alone; the job resumes from the last epoch's checkpoint.
                    st.exit_for_preemption(exit_code)
            total, test_correct = 0, 0.0
            for images, labels in batches(test, repeat=False):
                test_correct += float(dtensor.unpack(evaluate(images, labels))[0])
                total += global_batch
            metrics = {"loss": loss_sum / steps, "accuracy": correct_sum / (steps * global_batch)}
            metrics["val_accuracy"] = test_correct / max(1, total)
            epoch_counter.assign(epoch + 1)
            manager.save()
            if writers:
                # Keras' TensorBoard names: epoch_* under train/ and validation/.
                scalars = {
                    "train": {"epoch_loss": metrics["loss"], "epoch_accuracy": metrics["accuracy"]},
                    "validation": {"epoch_accuracy": metrics["val_accuracy"]},
                }
                for run, values in scalars.items():
                    with writers[run].as_default():
                        for name, value in values.items():
                            tf.summary.scalar(name, value, step=epoch)
                    writers[run].flush()
            shown = "  ".join(f"{name} {value:.4f}" for name, value in metrics.items())
            print(f"epoch {epoch + 1}/{args.epochs}  {shown}", flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        env = st.read_env()
        tf = st.import_tensorflow()
        if env.mesh is not None:
            train_on_mesh(tf, env, args)
        else:
            train_with_strategy(tf, env, args)
    except st.StratoTrainerError as error:
        print(f"strato_trainer: {error}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    # The helper logs its decisions (strategy, mesh, where the model goes) at INFO.
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    sys.exit(main())
