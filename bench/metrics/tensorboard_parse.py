"""TensorBoard's own reader over one event file, as bench/metrics/parse.ts measures Strato's.

    python tensorboard_parse.py FILE

Loads the file with EventAccumulator keeping every scalar (size_guidance 0 =
no sampling, the same work as Strato's reader, which keeps every event):
a cold pass, then a second pass from a fresh accumulator. Prints one JSON
line: events, cold and steady milliseconds, peak RSS in MB.
"""

import json
import resource
import sys
import time

from tensorboard.backend.event_processing import event_accumulator


def parse(path):
    accumulator = event_accumulator.EventAccumulator(
        path, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    # Keras 3 and Strato's writer store scalars as tensors; TF1-style files as scalars.
    return sum(len(accumulator.Tensors(t)) for t in tags["tensors"]) + sum(
        len(accumulator.Scalars(t)) for t in tags["scalars"]
    )


def main():
    path = sys.argv[1]
    started = time.perf_counter()
    parse(path)
    cold_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    events = parse(path)
    ms = (time.perf_counter() - started) * 1000
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"events": events, "coldMs": cold_ms, "ms": ms, "peakRssMb": peak_rss_mb}))


if __name__ == "__main__":
    main()
