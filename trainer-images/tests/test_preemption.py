"""Preemption: SIGTERM during fit → exit at the step end with 143 (GCE GPU/CPU VMs) or 42 (elsewhere)."""

from __future__ import annotations

import os
import signal
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import strato_trainer as st
import tensorflow as tf  # the stand-in
from strato_trainer.preemption import SigtermWatcher, on_gcp, preemption_callback

from .support import ReplicaTestCase


class FakeMetadataServer:
    """A GCE metadata server on loopback: answers instance/hostname when asked with Metadata-Flavor: Google."""

    def __init__(self, status: int = 200) -> None:
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer.requests.append((self.path, self.headers.get("Metadata-Flavor")))
                google = self.headers.get("Metadata-Flavor") == "Google"
                code = status if google else 403
                body = b"vm-1.c.my-project.internal"
                self.send_response(code)
                self.send_header("Metadata-Flavor", "Google")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class OnGcpTest(unittest.TestCase):
    def serve(self, status: int = 200) -> FakeMetadataServer:
        server = FakeMetadataServer(status)
        self.addCleanup(server.close)
        return server

    def test_a_metadata_server_that_answers_means_gce(self):
        server = self.serve()
        self.assertTrue(on_gcp({"GCE_METADATA_IP": server.address}))
        self.assertEqual(server.requests, [("/computeMetadata/v1/instance/hostname", "Google")])

    def test_an_error_status_or_no_server_means_elsewhere(self):
        self.assertFalse(on_gcp({"GCE_METADATA_IP": self.serve(status=404).address}))
        self.assertFalse(on_gcp({"GCE_METADATA_IP": "127.0.0.1:1"}, timeout=2))

    def test_the_probe_bypasses_http_proxies(self):
        server = self.serve()
        proxied = {"GCE_METADATA_IP": server.address, "http_proxy": "http://127.0.0.1:1"}
        previous = os.environ.get("http_proxy")
        os.environ["http_proxy"] = "http://127.0.0.1:1"
        try:
            self.assertTrue(on_gcp(proxied))
        finally:
            if previous is None:
                del os.environ["http_proxy"]
            else:
                os.environ["http_proxy"] = previous

    def test_exit_code_follows_tensorflow(self):
        def gce(_environ):
            return True

        def elsewhere(_environ):
            return False

        self.assertEqual(st.preemption_exit_code({}, device="GPU", probe=gce), 143)
        self.assertEqual(st.preemption_exit_code({}, device="CPU", probe=gce), 143)
        # TF completes a GCE TPU VM's TerminationConfig with the Borg default.
        self.assertEqual(st.preemption_exit_code({}, device="TPU", probe=gce), 42)
        self.assertEqual(st.preemption_exit_code({}, device="GPU", probe=elsewhere), 42)


class SigtermWatcherTest(unittest.TestCase):
    def test_sigterm_sets_the_flag_and_uninstall_restores_the_handler(self):
        before = signal.getsignal(signal.SIGTERM)
        with SigtermWatcher() as watcher:
            self.assertFalse(watcher.preempted)
            os.kill(os.getpid(), signal.SIGTERM)
            self.assertTrue(watcher.preempted)
            self.assertEqual(watcher.signum, signal.SIGTERM)
        self.assertIs(signal.getsignal(signal.SIGTERM), before)

    def test_off_the_main_thread_it_declines(self):
        result = []
        thread = threading.Thread(target=lambda: result.append(SigtermWatcher().install()))
        thread.start()
        thread.join()
        self.assertEqual(result, [False])


class PreemptionDuringFitTest(ReplicaTestCase):
    def fit(self, callbacks, epochs=3):
        model = tf.keras.Sequential([])
        model.fit(tf.data.Dataset.from_tensor_slices((tf.Tensor((8, 1)),)), epochs=epochs, callbacks=callbacks)

    def sigterm_at(self, at_epoch, at_batch):
        def hook(epoch, batch):
            if (epoch, batch) == (at_epoch, at_batch):
                os.kill(os.getpid(), signal.SIGTERM)

        tf.FIT_STEP_HOOKS.append(hook)

    def test_sigterm_exits_42_off_gce_keeping_the_last_backup(self):
        self.become("one-device", "worker-0")
        before = signal.getsignal(signal.SIGTERM)
        callbacks = st.callbacks(keras=tf.keras, tf=tf)  # GCE_METADATA_IP points at a closed port
        self.sigterm_at(1, 0)
        with self.assertLogs("strato_trainer", "WARNING") as logs, self.assertRaises(SystemExit) as exited:
            self.fit(callbacks)
        self.assertEqual(exited.exception.code, 42)
        self.assertIn("exiting with 42", logs.output[0])
        saves = [c.kwargs["epoch"] for c in tf.calls("BackupAndRestore.save")]
        self.assertEqual(saves, [0])  # epoch 1 was interrupted after its first step
        self.assertEqual(tf.calls("BackupAndRestore.delete"), [])  # on_train_end never ran
        self.assertIs(signal.getsignal(signal.SIGTERM), before)

    def test_on_gce_a_gpu_job_exits_143(self):
        server = FakeMetadataServer()
        self.addCleanup(server.close)
        self.become("mirrored", "worker-0", gpus=4, extra={"GCE_METADATA_IP": server.address})
        callbacks = st.callbacks(keras=tf.keras, tf=tf)
        self.sigterm_at(0, 1)
        with self.assertLogs("strato_trainer", "WARNING"), self.assertRaises(SystemExit) as exited:
            self.fit(callbacks)
        self.assertEqual(exited.exception.code, 143)

    def test_on_a_gce_tpu_vm_the_code_is_42(self):
        server = FakeMetadataServer()
        self.addCleanup(server.close)
        self.become("tpu-single-host", "tpu-host-0", tpus=4, extra={"GCE_METADATA_IP": server.address})
        callbacks = st.callbacks(keras=tf.keras, tf=tf)
        self.sigterm_at(0, 0)
        with self.assertLogs("strato_trainer", "WARNING"), self.assertRaises(SystemExit) as exited:
            self.fit(callbacks)
        self.assertEqual(exited.exception.code, 42)

    def test_without_sigterm_training_ends_normally_and_restores_the_handler(self):
        self.become("one-device", "worker-0")
        before = signal.getsignal(signal.SIGTERM)
        self.fit(st.callbacks(keras=tf.keras, tf=tf), epochs=2)
        self.assertEqual([c.kwargs["epoch"] for c in tf.calls("BackupAndRestore.save")], [0, 1])
        self.assertEqual(len(tf.calls("BackupAndRestore.delete")), 1)
        self.assertIs(signal.getsignal(signal.SIGTERM), before)

    def test_the_exit_code_may_be_computed_lazily(self):
        self.become("one-device", "worker-0")
        calls = []
        callback = preemption_callback(tf.keras, exit_code=lambda: calls.append(1) or 143, log=lambda _m: None)
        self.sigterm_at(0, 0)
        with self.assertRaises(SystemExit) as exited:
            self.fit([callback])
        self.assertEqual((exited.exception.code, calls), (143, [1]))


if __name__ == "__main__":
    unittest.main()
