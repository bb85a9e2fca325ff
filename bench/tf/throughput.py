"""One replica of the TF benchmark: trains the MNIST example's model and prints examples/s as JSON.

    python throughput.py MODE --epochs=N --steps-per-epoch=S --batch-size=B

MODE: `fit` (Keras 3 fit, what one-device and mirrored use) or `loop` (the
helper's custom loop, what multi-worker-mirrored uses); with `--bare`, the same
training without the helper's extras (TensorBoard, backups, preemption watch).
The strategy and cluster come from the environment, as in a Strato replica.
Epoch 1 (tracing, warm-up) is left out of the rate.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import mnist_data  # noqa: E402
import strato_trainer as st  # noqa: E402
import train as example  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("fit", "loop"))
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--steps-per-epoch", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=64)
    options = parser.parse_args()
    env = st.read_env()
    tf = st.import_tensorflow()
    keras = tf.keras
    args = example.parse_args([f"--batch-size={options.batch_size}", "--synthetic"])
    strategy = st.strategy(env, tf)
    global_batch = options.batch_size * strategy.num_replicas_in_sync
    train, _ = mnist_data.synthetic()
    shape = mnist_data.image_shape(train)
    if options.mode == "loop":
        config = st.LoopConfig(
            build_model=lambda: example.build_model(keras, shape),
            build_optimizer=lambda: keras.optimizers.Adam(learning_rate=1e-3),
            train_dataset=example.per_replica_input(tf, train, global_batch),
            epochs=options.epochs,
            steps_per_epoch=options.steps_per_epoch,
            global_batch=global_batch,
            tensorboard=not options.bare,
            backup=not options.bare,
            preemption=not options.bare,
        )
        seconds = st.train(strategy, config, env, tf=tf).strato_history.step_seconds
    else:
        seconds = []

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                seconds.append(time.perf_counter() - self.started)

        callbacks = [] if options.bare else st.callbacks(env, keras, tf=tf)
        with strategy.scope():
            model = example.build_model(keras, shape)
            example.compile_model(model, keras, args)
        model.fit(
            example.train_input(tf, keras, env, train, global_batch),
            epochs=options.epochs,
            steps_per_epoch=options.steps_per_epoch,
            # Last, so a backup written at the epoch's end counts in its time.
            callbacks=[*callbacks, Timer()],
            verbose=0,
        )
    steady = seconds[1:]
    rate = global_batch * options.steps_per_epoch * len(steady) / sum(steady)
    print(json.dumps({"examples_per_sec": rate, "epochs": len(steady)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
