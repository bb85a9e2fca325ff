"""callbacks(): the Keras preset per strategy, role and Keras flavor (tf_keras vs Keras 3)."""

from __future__ import annotations

import unittest

import strato_trainer as st
import tensorflow as tf  # the stand-in

from .support import ReplicaTestCase

def NOT_ON_GCE(_environ):  # noqa: N802 (a constant-like probe)
    return False


def ON_GCE(_environ):  # noqa: N802
    return True


def kinds(callbacks):
    return [type(c).__name__ for c in callbacks]


class TfKerasPresetTest(ReplicaTestCase):
    def test_single_replica_gets_tensorboard_backup_and_preemption(self):
        env = self.become("one-device", "worker-0", gpus=1)
        callbacks = st.callbacks(keras=tf.keras, tf=tf, probe=NOT_ON_GCE)
        self.assertEqual(kinds(callbacks), ["TensorBoard", "BackupAndRestore", "PreemptionExit"])
        board, backup, _ = callbacks
        self.assertEqual(board.log_dir, env["AIP_TENSORBOARD_LOG_DIR"])
        self.assertEqual(board.profile_batch, 0)
        self.assertEqual(backup.backup_dir, env["AIP_CHECKPOINT_DIR"] + "backup/")
        self.assertEqual((backup.save_freq, backup.delete_checkpoint), ("epoch", True))
        self.assertFalse(backup.save_before_preemption)

    def test_save_freq_and_update_freq_pass_through(self):
        self.become("mirrored", "worker-0", gpus=4)
        board, backup, _ = st.callbacks(keras=tf.keras, tf=tf, save_freq=500, update_freq=100, probe=NOT_ON_GCE)
        self.assertEqual((backup.save_freq, board.update_freq), (500, 100))

    def test_multi_worker_chief_also_writes_eval_checkpoints(self):
        env = self.become("multi-worker-mirrored", "chief-0", gpus=1)
        callbacks = st.callbacks(keras=tf.keras, tf=tf, probe=NOT_ON_GCE)
        self.assertEqual(
            kinds(callbacks), ["TensorBoard", "BackupAndRestore", "ModelCheckpoint", "PreemptionExit"]
        )
        self.assertEqual(callbacks[2].filepath, env["AIP_CHECKPOINT_DIR"] + "eval/ckpt-{epoch}")

    def test_other_workers_log_to_scratch_but_share_the_backup(self):
        env = self.become("multi-worker-mirrored", "worker-1", gpus=1)
        board, backup = st.callbacks(keras=tf.keras, tf=tf, probe=NOT_ON_GCE)[:2]
        self.assertNotEqual(board.log_dir, env["AIP_TENSORBOARD_LOG_DIR"])
        self.assertIn("worker-1", board.log_dir)
        # tf_keras reads the backup on every worker and writes it from the chief only.
        self.assertEqual(backup.backup_dir, env["AIP_CHECKPOINT_DIR"] + "backup/")

    def test_tf_saves_before_preemption_only_for_multi_worker_on_gce_gpus(self):
        cases = [("multi-worker-mirrored", "chief-0", 1, ON_GCE, True),
                 ("multi-worker-mirrored", "chief-0", 0, ON_GCE, False),  # TF: NotImplementedError on GCE CPU
                 ("multi-worker-mirrored", "chief-0", 1, NOT_ON_GCE, False),
                 ("mirrored", "worker-0", 4, ON_GCE, False)]
        for case, name, gpus, probe, expected in cases:
            with self.subTest(case=case, gpus=gpus, gce=probe is ON_GCE):
                self.become(case, name, gpus=gpus)
                backup = st.callbacks(keras=tf.keras, tf=tf, probe=probe)[1]
                self.assertIs(backup.save_before_preemption, expected)

    def test_the_gce_probe_runs_at_most_once_and_only_when_needed(self):
        asked = []

        def probe(_environ):
            asked.append(True)
            return True

        self.become("one-device", "worker-0")
        st.callbacks(keras=tf.keras, tf=tf, preemption=False, probe=probe)
        self.assertEqual(asked, [])  # no preemption exit, and TF's own save needs multi-worker
        st.callbacks(keras=tf.keras, tf=tf, probe=probe)
        self.assertEqual(len(asked), 1)
        self.become("multi-worker-mirrored", "chief-0", gpus=1)
        asked.clear()
        st.callbacks(keras=tf.keras, tf=tf, probe=probe)
        self.assertEqual(len(asked), 1)  # shared by save_before_preemption and the exit code

    def test_parameter_server_tensorboard_writes_per_epoch(self):
        self.become("parameter-server", "chief-0")
        board = st.callbacks(keras=tf.keras, tf=tf, update_freq=10, probe=NOT_ON_GCE)[0]
        self.assertEqual(board.update_freq, "epoch")

    def test_pieces_can_be_turned_off(self):
        self.become("multi-worker-mirrored", "chief-0")
        callbacks = st.callbacks(
            keras=tf.keras, tf=tf, tensorboard=False, eval_checkpoints=False, preemption=False, probe=NOT_ON_GCE
        )
        self.assertEqual(kinds(callbacks), ["BackupAndRestore"])


class Keras3PresetTest(ReplicaTestCase):
    def test_backup_and_restore_gets_only_keras_3_arguments(self):
        env = self.become("one-device", "worker-0", keras="keras3")
        callbacks = st.callbacks(keras=tf.keras, tf=tf, save_freq=200, probe=ON_GCE)
        self.assertEqual(kinds(callbacks), ["TensorBoard", "BackupAndRestore", "PreemptionExit"])
        (call,) = tf.calls("BackupAndRestore")
        self.assertEqual(
            call.kwargs, {"backup_dir": env["AIP_CHECKPOINT_DIR"] + "backup/", "save_freq": 200, "delete_checkpoint": True}
        )

    def test_what_keras_3_cannot_do_is_refused_with_a_hint(self):
        for case, name in (("parameter-server", "chief-0"), ("multi-worker-mirrored", "chief-0"),
                           ("multi-worker-mirrored-local", "worker-2")):
            with self.subTest(case=case, replica=name):
                self.become(case, name, keras="keras3")
                with self.assertRaises(st.StratoTrainerError) as caught:
                    st.callbacks(keras=tf.keras, tf=tf, probe=NOT_ON_GCE)
                self.assertIn("TF_USE_LEGACY_KERAS=1", str(caught.exception))

    def test_eval_checkpoints_need_tf_keras(self):
        self.become("tpu-single-host", "tpu-host-0", keras="keras3")
        with self.assertRaises(st.StratoTrainerError):
            st.callbacks(keras=tf.keras, tf=tf, eval_checkpoints=True, probe=NOT_ON_GCE)

    def test_the_evaluator_needs_tf_keras(self):
        self.become("multi-worker-mirrored", "evaluator-0", keras="keras3")
        with self.assertRaises(st.StratoTrainerError):
            st.sidecar_evaluator(model=None, data=None, keras=tf.keras)

    def test_keras_flavor_reads_the_version(self):
        self.assertEqual(st.keras_flavor(tf.keras), "tf_keras")
        tf.reset(keras_flavor="keras3")
        self.assertEqual(st.keras_flavor(tf.keras), "keras3")


class SidecarEvaluatorTest(ReplicaTestCase):
    def test_reads_eval_checkpoints_and_logs_to_its_own_run(self):
        env = self.become("parameter-server", "evaluator-0")
        evaluator = st.sidecar_evaluator(model="m", data="d", keras=tf.keras, max_evaluations=5)
        self.assertEqual(evaluator.checkpoint_dir, env["AIP_CHECKPOINT_DIR"] + "eval/")
        self.assertEqual(evaluator.max_evaluations, 5)
        (board,) = evaluator.callbacks
        self.assertEqual(board.log_dir, env["AIP_TENSORBOARD_LOG_DIR"] + "evaluator/")


class SaveModelTest(ReplicaTestCase):
    def model(self):
        return tf.keras.Sequential([])

    def test_chief_saves_a_savedmodel_into_aip_model_dir(self):
        env = self.become("one-device", "worker-0")
        path = st.save_model(self.model(), tf=tf)
        self.assertEqual(path, env["AIP_MODEL_DIR"])
        (call,) = tf.calls("Model.save")
        self.assertEqual(call.args, (env["AIP_MODEL_DIR"],))
        self.assertEqual(tf.calls("io.gfile.rmtree"), [])

    def test_other_workers_save_to_scratch_and_delete_it(self):
        env = self.become("multi-worker-mirrored", "worker-0")
        st.save_model(self.model(), tf=tf)
        (save,) = tf.calls("Model.save")
        self.assertNotEqual(save.args[0], env["AIP_MODEL_DIR"])
        self.assertEqual([c.args[0] for c in tf.calls("io.gfile.rmtree")], [save.args[0]])

    def test_tpu_routes_io_through_the_host(self):
        self.become("tpu-pod", "tpu-host-0")
        st.save_model(self.model(), tf=tf)
        (save,) = tf.calls("Model.save")
        self.assertEqual(save.kwargs["options"].experimental_io_device, "/job:localhost")

    def test_keras_3_exports_a_savedmodel(self):
        env = self.become("mirrored", "worker-0", keras="keras3")
        st.save_model(self.model(), tf=tf)
        self.assertEqual([c.args[0] for c in tf.calls("Model.export")], [env["AIP_MODEL_DIR"]])


if __name__ == "__main__":
    unittest.main()
