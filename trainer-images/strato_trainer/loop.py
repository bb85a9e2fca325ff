"""`train()`: a custom training loop for what Keras 3's `fit` cannot do across machines.

With TensorFlow 2.16+ and Keras 3 (the default), `model.fit` under
MultiWorkerMirroredStrategy fails ("Attempt to convert a value (PerReplica…)
to a Tensor"), Keras 3's BackupAndRestore lets every worker write the same
files, and `fit` has no ParameterServerStrategy support. The loop TensorFlow's
own tutorials use works on every strategy: `strategy.run` + `GradientTape` +
the Keras 3 model and optimizer, input through
`distribute_datasets_from_function`. This module runs that loop with what
`callbacks()` gives `fit`:

- backups: a `tf.train.Checkpoint` (model, optimizer, global step) after every
  epoch into `checkpoints/backup/` (the chief; other workers into scratch, as
  saving is collective); every replica restores from the chief's folder, so a
  restarted job resumes at the step after the last backup;
- preemption: MultiWorkerMirroredStrategy uses TensorFlow's
  `PreemptionCheckpointHandler` (a SIGTERM on any worker makes all of them save
  at the same step, then exit 42, or 143 on a GCE VM); parameter-server
  training (which that handler refuses) saves on the chief and exits the same way;
- TensorBoard: `batch_loss` per global step, `epoch_loss` / `epoch_accuracy`
  under `train/` and `validation/` per epoch, as Keras' TensorBoard callback
  names them, written by the chief into `AIP_TENSORBOARD_LOG_DIR`.
(https://www.tensorflow.org/tutorials/distribute/multi_worker_with_ctl,
https://www.tensorflow.org/tutorials/distribute/parameter_server_training)
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from . import staging
from .env import TrainerEnv, read_env
from .keras_compat import import_tensorflow
from .paths import backup_dir, join_dir, scratch_dir, tensorboard_dir
from .preemption import SigtermWatcher, exit_for_preemption, preemption_exit_code
from .strategy import gpu_count, log

# Backups kept in checkpoints/backup/: the newest is enough, one more survives a torn write.
BACKUPS_KEPT = 2


@dataclass
class LoopConfig:
    """What `train()` needs besides the strategy: model, data and schedule."""

    build_model: Callable[[], Any]
    build_optimizer: Callable[[], Any]
    # (input_context) -> tf.data.Dataset of (images, labels) batches of the per-replica size, repeating.
    train_dataset: Callable[[Any], Any]
    epochs: int
    steps_per_epoch: int
    global_batch: int
    # A local dataset of (images, labels) batches, evaluated on the chief after each epoch.
    test_dataset: Optional[Any] = None
    # What the loop adds to the bare steps, each on by default (as in callbacks()); off only to measure them.
    tensorboard: bool = True
    backup: bool = True
    preemption: bool = True


@dataclass
class History:
    """Per epoch: the metrics the loop wrote to TensorBoard; `first_step` is where this process began."""

    epochs: List[Dict[str, float]] = field(default_factory=list)
    # Wall seconds of each epoch's training steps (no evaluation), for throughput.
    step_seconds: List[float] = field(default_factory=list)
    first_step: int = 0
    last_step: int = 0


class _Run:
    """State shared by the synchronous and the parameter-server loop."""

    def __init__(self, tf: Any, strategy: Any, env: TrainerEnv, config: LoopConfig) -> None:
        self.tf, self.strategy, self.env, self.config = tf, strategy, env, config
        with strategy.scope():
            self.model = config.build_model()
            self.optimizer = config.build_optimizer()
            # Slot variables now, so a restore has somewhere to go and PS places them on the ps tasks.
            self.optimizer.build(self.model.trainable_variables)
            self.step = tf.Variable(
                0, dtype=tf.int64, trainable=False, aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA
            )
        self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, step=self.step)
        self.backup_dir = backup_dir(env)
        # One event-file writer per TensorBoard run (train/, validation/), on the chief only.
        self.writers: Dict[str, Any] = {}
        self.history = History()

    def loss_and_correct(self, images: Any, labels: Any, training: bool) -> Any:
        tf = self.tf
        logits = self.model(images, training=training)
        per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int64), logits=logits)
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=-1), tf.cast(labels, tf.int64)), tf.float32))
        return per_example, correct

    def replica_step(self, images: Any, labels: Any) -> Any:
        tf = self.tf
        with tf.GradientTape() as tape:
            per_example, correct = self.loss_and_correct(images, labels, training=True)
            # Each replica's share of the global mean: the all-reduce sums the shares.
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=self.config.global_batch)
        gradients = tape.gradient(loss, self.model.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.model.trainable_variables))
        return loss, correct

    def distributed_step(self, iterator: Any) -> Any:
        images, labels = next(iterator)
        loss, correct = self.strategy.run(self.replica_step, args=(images, labels))
        reduce = self.tf.distribute.ReduceOp.SUM
        return self.strategy.reduce(reduce, loss, axis=None), self.strategy.reduce(reduce, correct, axis=None)

    def evaluate(self) -> Dict[str, float]:
        if self.config.test_dataset is None:
            return {}
        tf = self.tf
        total, loss_sum, correct_sum = 0, 0.0, 0.0
        for images, labels in self.config.test_dataset:
            per_example, correct = self.loss_and_correct(images, labels, training=False)
            loss_sum += float(tf.reduce_sum(per_example))
            correct_sum += float(correct)
            total += int(tf.shape(labels)[0])
        return {"val_loss": loss_sum / max(1, total), "val_accuracy": correct_sum / max(1, total)}

    def write(self, run: str, name: str, value: float, step: int) -> None:
        if not self.env.is_chief or not self.config.tensorboard:
            return
        if run not in self.writers:
            self.writers[run] = self.tf.summary.create_file_writer(join_dir(tensorboard_dir(self.env), run))
        with self.writers[run].as_default():
            self.tf.summary.scalar(name, value, step=step)

    def end_epoch(self, epoch: int, loss_sum: float, correct: float, examples: int) -> None:
        metrics = {"loss": loss_sum / max(1, examples // self.config.global_batch), "accuracy": correct / max(1, examples)}
        if self.env.is_chief:
            metrics.update(self.evaluate())
            self.write("train", "epoch_loss", metrics["loss"], epoch)
            self.write("train", "epoch_accuracy", metrics["accuracy"], epoch)
            if "val_loss" in metrics:
                self.write("validation", "epoch_loss", metrics["val_loss"], epoch)
                self.write("validation", "epoch_accuracy", metrics["val_accuracy"], epoch)
            self.flush()
        self.history.epochs.append(metrics)
        shown = "  ".join(f"{name} {value:.4f}" for name, value in metrics.items())
        print(f"epoch {epoch + 1}/{self.config.epochs}  {shown}", flush=True)

    def flush(self) -> None:
        for writer in self.writers.values():
            writer.flush()
        if self.env.is_chief:
            staging.upload()  # gs:// run dirs staged locally (see staging.py); a no-op otherwise

    def preemption_code(self) -> int:
        return preemption_exit_code(device="GPU" if gpu_count(self.tf) else "CPU")


def _backup_manager(run: _Run) -> Any:
    """The chief backs up into the run dir; the others save too (saving is collective) but into scratch."""
    tf = run.tf
    if run.env.is_chief:
        directory = run.backup_dir
    else:
        directory = scratch_dir(run.env, "backup")
        shutil.rmtree(directory, ignore_errors=True)
    return tf.train.CheckpointManager(run.checkpoint, directory, max_to_keep=BACKUPS_KEPT, checkpoint_name="epoch")


def _restore(run: _Run) -> int:
    """Every replica restores the chief's newest backup (epoch or preemption save); returns the global step."""
    latest = run.tf.train.latest_checkpoint(run.backup_dir)
    if latest:
        run.checkpoint.restore(latest)
        log(f"resumed from {latest} at step {int(run.step.numpy())}")
    return int(run.step.numpy())


def _train_synchronously(run: _Run) -> History:
    """One-device, mirrored and multi-worker-mirrored: every step is one all-reduce across all replicas."""
    tf, strategy, config = run.tf, run.strategy, run.config
    multi_worker = run.env.strategy == "multi-worker-mirrored"
    manager = _backup_manager(run) if config.backup else None
    handler = None
    if multi_worker and config.preemption:
        code = run.preemption_code()

        def exit_fn() -> None:
            run.flush()
            exit_for_preemption(code)

        # It restores the newest checkpoint in backup/ on every worker and, on a SIGTERM anywhere,
        # makes every worker save at the same step before exit_fn.
        handler = tf.distribute.experimental.PreemptionCheckpointHandler(
            strategy.cluster_resolver,
            run.checkpoint,
            run.backup_dir,
            termination_config=tf.distribute.experimental.TerminationConfig(exit_fn=exit_fn),
        )
    step = _restore(run)
    run.history.first_step = step
    dataset = strategy.distribute_datasets_from_function(config.train_dataset)
    iterator = iter(dataset)
    train_step = tf.function(run.distributed_step)

    def one_step() -> Any:
        # Step count and summary before the handler's preemption check: a save there includes this step.
        loss, correct = train_step(iterator)
        run.step.assign_add(1)
        run.write("train", "batch_loss", float(loss), int(run.step.numpy()))
        return loss, correct

    watcher = None if handler is not None or not config.preemption else SigtermWatcher().__enter__()
    try:
        for epoch in range(step // config.steps_per_epoch, config.epochs):
            loss_sum, correct_sum, examples = 0.0, 0.0, 0
            started = time.perf_counter()
            for _ in range(step % config.steps_per_epoch, config.steps_per_epoch):
                loss, correct = handler.run(one_step) if handler is not None else one_step()
                step += 1
                loss_sum, correct_sum, examples = loss_sum + float(loss), correct_sum + float(correct), examples + config.global_batch
                if watcher is not None and watcher.preempted:
                    if manager is not None:
                        manager.save(checkpoint_number=step)
                    run.flush()
                    exit_for_preemption(run.preemption_code())
            if manager is not None:
                manager.save(checkpoint_number=step)
            run.history.step_seconds.append(time.perf_counter() - started)
            run.end_epoch(epoch, loss_sum, correct_sum, examples)
    finally:
        if watcher is not None:
            watcher.__exit__()
    run.history.last_step = step
    return run.history


def _train_with_parameter_servers(run: _Run) -> History:
    """The chief dispatches steps to the workers through the ClusterCoordinator; variables live on the ps tasks."""
    tf, strategy, config = run.tf, run.strategy, run.config
    coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)  # the one strategy() made
    print(f"variables on {sorted(_devices_of(run.model.trainable_variables))}", flush=True)
    manager = tf.train.CheckpointManager(run.checkpoint, run.backup_dir, max_to_keep=BACKUPS_KEPT, checkpoint_name="epoch")
    step = _restore(run)
    run.history.first_step = step

    def per_worker_dataset() -> Any:
        return strategy.distribute_datasets_from_function(config.train_dataset)

    iterator = iter(coordinator.create_per_worker_dataset(per_worker_dataset))
    train_step = tf.function(run.distributed_step)
    with SigtermWatcher() as watcher:
        for epoch in range(step // config.steps_per_epoch, config.epochs):
            results = [coordinator.schedule(train_step, args=(iterator,)) for _ in range(step % config.steps_per_epoch, config.steps_per_epoch)]
            coordinator.join()
            loss_sum, correct_sum = 0.0, 0.0
            for result in results:
                loss, correct = result.fetch()
                step += 1
                loss_sum, correct_sum = loss_sum + float(loss), correct_sum + float(correct)
                run.write("train", "batch_loss", float(loss), step)
            run.step.assign(step)
            manager.save(checkpoint_number=step)
            run.end_epoch(epoch, loss_sum, correct_sum, len(results) * config.global_batch)
            if watcher.preempted:
                run.flush()
                exit_for_preemption(run.preemption_code())
    run.history.last_step = step
    return run.history


def _devices_of(variables: Any) -> set:
    """Where variables live; a sharded variable (PS with a partitioner) counts each shard."""
    devices = set()
    for variable in variables:
        value = getattr(variable, "value", variable)  # Keras 3 wraps the tf.Variable
        for shard in getattr(value, "variables", [value]):
            devices.add(shard.device)
    return devices


def train(strategy: Any, config: LoopConfig, env: Optional[TrainerEnv] = None, tf: Any = None) -> Any:
    """Trains `config.build_model()` under `strategy`; returns the trained model (its history on `.strato_history`)."""
    env = env or read_env()
    tf = tf or import_tensorflow()
    run = _Run(tf, strategy, env, config)
    if env.strategy == "parameter-server":
        history = _train_with_parameter_servers(run)
    else:
        history = _train_synchronously(run)
    run.flush()
    run.model.strato_history = history
    return run.model
