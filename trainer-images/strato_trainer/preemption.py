"""Preemption: leave at a clean step boundary with the exit code the orchestrator reads as "restart me".

Strato's orchestrator treats exit 143 or 42, or death by a signal, as
preemption and restarts the job from `checkpoints/`. The codes are
TensorFlow's own (tensorflow/python/distribute/failure_handling):
`PreemptionCheckpointHandler` completes its TerminationConfig by platform —
on a Google Compute Engine VM with GPUs or CPUs `gce_exit_fn` exits 143
(`_RESTARTABLE_EXIT_CODE`); everywhere else, TPU VMs included, the Borg
default `sys.exit(42)`. "On GCE" is TF's `on_gcp()`: the metadata server
answers `instance/hostname` with HTTP 200 within 5 seconds, at
`$GCE_METADATA_IP` or `metadata.google.internal`.

Spot VMs, Vertex AI and Strato's local provider all send SIGTERM before the
end. A SIGTERM that kills the process mid-way through writing a backup can
leave a torn checkpoint, so the watcher defers it to the end of the current
step, then exits with the code above.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import urllib.request
from typing import Any, Callable, Mapping, Optional, Union

LOGGER = logging.getLogger("strato_trainer")

GCE_PREEMPTION_EXIT_CODE = 143
DEFAULT_PREEMPTION_EXIT_CODE = 42

METADATA_HOST_VARIABLE = "GCE_METADATA_IP"
DEFAULT_METADATA_HOST = "metadata.google.internal"
# TF's on_gcp() waits 5 seconds for the metadata server ("in case the test environment has connectivity issue").
METADATA_TIMEOUT_SEC = 5.0


def on_gcp(environ: Optional[Mapping[str, str]] = None, timeout: float = METADATA_TIMEOUT_SEC) -> bool:
    """TensorFlow's test for "running on Google Compute Engine" (Vertex AI and TPU VMs included)."""
    environ = os.environ if environ is None else environ
    host = environ.get(METADATA_HOST_VARIABLE) or DEFAULT_METADATA_HOST
    request = urllib.request.Request(
        f"http://{host}/computeMetadata/v1/instance/hostname", headers={"Metadata-Flavor": "Google"}
    )
    # The metadata server is link-local: never route the probe through an HTTP proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def preemption_exit_code(
    environ: Optional[Mapping[str, str]] = None,
    device: str = "GPU",
    probe: Callable[[Mapping[str, str]], bool] = on_gcp,
) -> int:
    """143 on a GCE VM with GPUs or CPUs, 42 elsewhere (TPU VMs included), as TensorFlow picks."""
    environ = os.environ if environ is None else environ
    if device.upper() in ("GPU", "CPU") and probe(environ):
        return GCE_PREEMPTION_EXIT_CODE
    return DEFAULT_PREEMPTION_EXIT_CODE


class SigtermWatcher:
    """Turns SIGTERM into a flag the training loop checks between steps."""

    def __init__(self, signals: tuple = (signal.SIGTERM,)) -> None:
        self._signals = signals
        self._received = threading.Event()
        self._previous: dict = {}
        self.signum: Optional[int] = None

    def install(self) -> bool:
        """Starts watching; False where Python allows no handler (not the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        for sig in self._signals:
            if sig not in self._previous:
                self._previous[sig] = signal.signal(sig, self._handle)
        return True

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, signum: int, _frame: Any) -> None:
        self.signum = signum
        self._received.set()

    @property
    def preempted(self) -> bool:
        return self._received.is_set()

    def __enter__(self) -> "SigtermWatcher":
        self.install()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.uninstall()


def exit_for_preemption(code: int, log: Callable[[str], None] = LOGGER.warning) -> None:
    """Raises SystemExit(code) after saying why, so the log explains the restart."""
    log(f"preempted (SIGTERM): exiting with {code} so the job restarts from its checkpoints")
    sys.stdout.flush()
    sys.stderr.flush()
    raise SystemExit(code)


def preemption_callback(
    keras: Any,
    exit_code: Union[int, Callable[[], int]],
    watcher: Optional[SigtermWatcher] = None,
    log: Callable[[str], None] = LOGGER.warning,
) -> Any:
    """A Keras callback: watch SIGTERM during `fit`, exit with the contract code at the next step end.

    It saves nothing itself: the restart resumes from BackupAndRestore's last
    backup (every epoch, or every `save_freq` steps). Leaving through
    SystemExit skips `on_train_end`, so Keras does not delete that backup.
    """

    class PreemptionExit(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.watcher = watcher or SigtermWatcher()
            self.exit_code: Optional[int] = None
            # It never reads `logs`, so Keras may pass them as tensors (RemoteValues under
            # ParameterServerStrategy, where tf_keras refuses batch hooks that need numbers).
            self._supports_tf_logs = True

        def on_train_begin(self, logs: Any = None) -> None:
            # Resolved up front: the metadata probe may take seconds, the grace period is short.
            self.exit_code = exit_code() if callable(exit_code) else exit_code
            if not self.watcher.install():
                log("not on the main thread: SIGTERM keeps its default action")

        def _check(self) -> None:
            if self.watcher.preempted:
                self.watcher.uninstall()
                code = self.exit_code if self.exit_code is not None else DEFAULT_PREEMPTION_EXIT_CODE
                exit_for_preemption(code, log)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self._check()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._check()

        def on_train_end(self, logs: Any = None) -> None:
            self.watcher.uninstall()

    return PreemptionExit()
