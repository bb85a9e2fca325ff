"""Writes scalars with real TensorFlow's `tf.summary` (TF2) and `tf.compat.v1` (TF1 simple_value).

Run with the TensorFlow venv: `python write_tf_summaries.py LOGDIR`.
"""

import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

logdir = sys.argv[1]
writer = tf.summary.create_file_writer(os.path.join(logdir, "tf2"))
with writer.as_default():
    for step in range(50):
        tf.summary.scalar("loss", math.exp(-step / 10), step=step)
        tf.summary.scalar("accuracy", 1 - math.exp(-step / 7), step=step)
        tf.summary.scalar("learning_rate", 1e-3 * 0.9**step, step=step)
    # Not a scalar: readers of scalars must skip it.
    tf.summary.histogram("weights", tf.random.stateless_normal((100,), seed=(1, 2)), step=0)
writer.close()

with tf.compat.v1.Graph().as_default():
    value = tf.compat.v1.placeholder(tf.float32)
    summary = tf.compat.v1.summary.scalar("tf1_loss", value)
    with tf.compat.v1.Session() as session:
        legacy = tf.compat.v1.summary.FileWriter(os.path.join(logdir, "tf1"))
        for step in range(20):
            legacy.add_summary(session.run(summary, {value: 1.0 / (step + 1)}), step)
        legacy.close()
