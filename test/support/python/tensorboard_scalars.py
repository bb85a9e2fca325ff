"""Every scalar in a log folder as TensorBoard itself reads it: one JSON line per value.

Used by the real-TensorFlow tests as the reference reader. Walks `LOGDIR` for
runs (folders holding event files, named by their path relative to LOGDIR, as
TensorBoard names them) and loads each with TensorBoard's own
EventAccumulator: TF1 `simple_value` scalars through `Scalars()`, TF2 / Keras
scalars (rank-0 tensors with the `scalars` plugin) through `Tensors()`.
"""

import json
import os
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util


def runs(logdir):
    for folder, _, files in os.walk(logdir):
        if any(".tfevents." in name for name in files):
            yield os.path.relpath(folder, logdir).replace(os.sep, "/"), folder


def main(logdir):
    for run, folder in sorted(runs(logdir)):
        # 0 = keep every value (the defaults sample down to a reservoir of 10,000 scalars).
        accumulator = event_accumulator.EventAccumulator(
            folder, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0}
        )
        accumulator.Reload()
        tags = accumulator.Tags()
        for tag in tags["scalars"]:
            for event in accumulator.Scalars(tag):
                print(json.dumps({"run": run, "tag": tag, "step": event.step, "value": event.value}))
        for tag in tags["tensors"]:
            plugin = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
            if plugin != "scalars":
                continue
            for event in accumulator.Tensors(tag):
                value = float(tensor_util.make_ndarray(event.tensor_proto))
                print(json.dumps({"run": run, "tag": tag, "step": event.step, "value": value}))


if __name__ == "__main__":
    main(sys.argv[1])
