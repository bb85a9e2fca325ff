"""The MNIST example runs unchanged as every replica of every compiled plan (against the stand-in TF)."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import unittest
from contextlib import redirect_stderr
from unittest import mock

import strato_trainer as st
import tensorflow as tf  # the stand-in

from .support import FAKE_TF_PATH, TRAINER_IMAGES, ReplicaTestCase, load_plan, running_replicas

EXAMPLE = TRAINER_IMAGES / "examples" / "mnist" / "train.py"
SYNTHETIC_EXAMPLES = 2048  # mnist_data.SYNTHETIC_TRAIN
BATCH = 64


def load_example():
    # As `python3 train.py` does: the example's folder first on the path, for its sibling modules.
    sys.path.insert(0, str(EXAMPLE.parent))
    spec = importlib.util.spec_from_file_location("mnist_train", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mnist = load_example()


def devices_for(plan, rep):
    """GPUs, or the TPU devices TPUStrategy sees (the whole slice, from host 0), from the plan."""
    resources = rep["resources"]
    if "tpu" in resources:
        return {"tpus": plan["replicasInSync"]}
    return {"gpus": resources.get("accelerator", {}).get("count", 0)}


class EveryReplicaTest(ReplicaTestCase):
    def run_replica(self, case, name, *args, **machine):
        plan = load_plan(case)
        rep = next(r for r in plan["replicas"] if r["name"] == name)
        self.become(case, name, **{**devices_for(plan, rep), **machine})
        return mnist.main(["--synthetic", "--epochs=2", *args])

    def test_every_replica_of_every_strategy_does_its_part(self):
        for case in ("one-device", "mirrored", "multi-worker-mirrored", "multi-worker-mirrored-local",
                     "parameter-server", "tpu-single-host", "tpu-pod", "tpu-pod-se"):
            plan = load_plan(case)
            for name, rep in running_replicas(case):
                with self.subTest(case=case, replica=name):
                    role = rep["role"]
                    if plan["strategy"] == "parameter-server" and role in ("ps", "worker"):
                        with self.assertRaises(SystemExit) as exited:
                            self.run_replica(case, name)
                        self.assertEqual(exited.exception.code, 0)
                        self.assertEqual(len(tf.built("Server")), 1)
                        self.assertEqual(tf.calls("Model.fit"), [])
                        continue
                    self.assertEqual(self.run_replica(case, name), 0)
                    if role == "evaluator":
                        (evaluator,) = tf.built("SidecarEvaluator")
                        self.assertEqual(evaluator.max_evaluations, 2)
                        self.assertEqual(len(tf.calls("SidecarEvaluator.start")), 1)
                        self.assertEqual(tf.calls("Model.fit"), [])
                        continue
                    self.assert_trained(plan, rep)

    def assert_trained(self, plan, rep):
        (fit,) = tf.calls("Model.fit")
        in_sync = 1 if plan["strategy"] == "parameter-server" else plan["replicasInSync"]
        self.assertEqual(fit.kwargs["epochs"], 2)
        self.assertEqual(fit.kwargs["steps_per_epoch"], max(1, SYNTHETIC_EXAMPLES // (BATCH * in_sync)))
        model = tf.built("Model")[0]
        self.assertEqual(
            [layer.kind for layer in model.layers],
            ["Input", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"],
        )
        strategies = [s for kind in ("MirroredStrategy", "MultiWorkerMirroredStrategy",
                                     "ParameterServerStrategy", "TPUStrategy") for s in tf.built(kind)]
        self.assertEqual(strategies, [model.distribute_strategy], "the model is built in the strategy's scope")
        self.assertIn("BackupAndRestore", [type(c).__name__ for c in fit.kwargs["callbacks"]])
        (save,) = tf.calls("Model.save")
        chief = st.read_env(rep["env"]).is_chief
        self.assertEqual(save.args[0] == os.environ["AIP_MODEL_DIR"], chief, "only the chief saves into the run dir")

    def test_parameter_server_workers_read_their_own_shard_through_a_dataset_creator(self):
        self.run_replica("parameter-server", "chief-0")
        (fit,) = tf.calls("Model.fit")
        creator = fit.args[0]
        self.assertEqual(type(creator).__name__, "DatasetCreator")
        ops = dict(creator.dataset.ops)
        self.assertEqual(ops["shard"], (2, 0))  # two workers, this pipeline's index
        self.assertEqual(ops["batch"], (BATCH, True))

    def test_multi_worker_shards_in_memory_data_by_element(self):
        self.run_replica("multi-worker-mirrored", "worker-1")
        dataset = tf.calls("Model.fit")[0].args[0]
        self.assertEqual(dataset.options.experimental_distribute.auto_shard_policy, "DATA")
        self.assertEqual(dict(dataset.ops)["batch"], (BATCH * 3, True))  # global batch: 3 replicas × 64

    def test_tpus_run_several_steps_per_execution(self):
        self.run_replica("tpu-pod", "tpu-host-0")
        (compile_call,) = tf.calls("Model.compile")
        steps = max(1, SYNTHETIC_EXAMPLES // (BATCH * 16))
        self.assertEqual(compile_call.kwargs["steps_per_execution"], min(50, steps))

    def test_keras_3_exports_the_model(self):
        self.assertEqual(self.run_replica("one-device", "worker-0", keras="keras3"), 0)
        self.assertEqual([c.args[0] for c in tf.calls("Model.export")], [os.environ["AIP_MODEL_DIR"]])


class MeshTest(ReplicaTestCase):
    def run_client(self, case, index, *args, keras="tf_keras"):
        name = ("tpu-host-" if case == "tpu-mesh" else "worker-") + str(index)
        machine = {"tpus": 4} if case == "tpu-mesh" else {"gpus": 4}
        self.become(case, name, keras=keras, **machine)
        return mnist.main(["--synthetic", *args])

    def test_every_tpu_host_is_a_client_of_the_batch_model_mesh(self):
        for index in range(4):
            with self.subTest(host=index):
                self.assertEqual(self.run_client("tpu-mesh", index, "--epochs=1"), 0)
                self.assertEqual([c.args for c in tf.calls("dtensor.initialize_accelerator_system")], [("TPU",)])
                (mesh,) = tf.built("Mesh")
                self.assertEqual(mesh.dims, [("batch", 4), ("model", 4)])
                self.assertEqual(mesh.client_id, index)
                (layout_map,) = tf.built("LayoutMap")
                self.assertEqual(layout_map.layouts["hidden.*kernel"].sharding_specs, ["unsharded", "model"])
                self.assertIs(tf.built("Model")[0].layout_map, layout_map)
                (optimizer,) = tf.built("Adam")
                self.assertIs(optimizer.mesh, mesh)
                self.assertEqual(len(tf.calls("Adam.build")), 1)
                packs = tf.calls("dtensor.pack")
                steps = SYNTHETIC_EXAMPLES // (BATCH * 4)
                self.assertEqual(len(packs), 2 * steps)  # images and labels, every step
                components, layout = packs[0].args
                # Each host holds one batch row of the mesh (4 devices along "model"): all get its 64 rows.
                self.assertEqual([c.shape for c in components], [(BATCH, 28, 28, 1)] * 4)
                self.assertEqual(layout.sharding_specs[0], "batch")
                self.assertEqual(len(tf.calls("summary.scalar")), 1 if index == 0 else 0)
                self.assertEqual([c.args[0] for c in tf.calls("Checkpoint.write")], [os.environ["AIP_MODEL_DIR"] + "weights"])

    def test_gpu_workers_split_their_rows_over_their_four_devices(self):
        self.assertEqual(self.run_client("multi-worker-mirrored-mesh", 1, "--epochs=1"), 0)
        self.assertEqual([c.args for c in tf.calls("dtensor.initialize_accelerator_system")], [("GPU",)])
        components, _ = tf.calls("dtensor.pack")[0].args
        # Global batch 8 × 64 over 2 clients: 256 local rows, 64 for each of the 4 local devices.
        self.assertEqual([c.shape for c in components], [(BATCH, 28, 28, 1)] * 4)
        self.assertEqual(tf.calls("summary.scalar"), [])  # client 1 is not the chief

    def test_a_restarted_client_resumes_after_the_last_saved_epoch(self):
        self.assertEqual(self.run_client("tpu-mesh", 0, "--epochs=1", "--steps-per-epoch=3"), 0)
        self.assertEqual(len(tf.calls("CheckpointManager.save")), 1)
        # Same checkpoint folder, as after a restart; the stand-in remembers the saves.
        tf.recorder.clear()
        self.assertEqual(mnist.main(["--synthetic", "--epochs=3", "--steps-per-epoch=3"]), 0)
        self.assertEqual(len(tf.calls("dtensor.pack")), 2 * 3 * 2)  # epochs 2 and 3 only
        self.assertEqual(len(tf.calls("CheckpointManager.save")), 2)

    def test_sigterm_mid_epoch_exits_42_without_saving(self):
        real_pack = mnist.pack_batch
        sent = []

        def pack_then_sigterm(*args, **kwargs):
            if not sent:
                sent.append(True)
                os.kill(os.getpid(), signal.SIGTERM)
            return real_pack(*args, **kwargs)

        with mock.patch.object(mnist, "pack_batch", pack_then_sigterm), self.assertLogs("strato_trainer", "WARNING"):
            with self.assertRaises(SystemExit) as exited:
                self.run_client("tpu-mesh", 2, "--epochs=2")
        self.assertEqual(exited.exception.code, 42)
        self.assertEqual(tf.calls("CheckpointManager.save"), [])


class AsAProcessTest(ReplicaTestCase):
    """The way the image runs it: `python3 train.py …`, with the replica's environment."""

    def run_process(self, code_or_script, *args, extra_env=None):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([FAKE_TF_PATH, str(TRAINER_IMAGES), str(EXAMPLE.parent)]), **(extra_env or {})}
        command = [sys.executable, *code_or_script, *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=self.tmp.name)

    def test_a_replica_trains_and_exits_0(self):
        self.become("one-device", "worker-0")
        done = self.run_process([str(EXAMPLE)], "--synthetic", "--epochs=1")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("strato_trainer: one-device: MirroredStrategy on /cpu:0", done.stderr)
        self.assertIn("model saved to", done.stderr)

    def test_sigterm_during_training_ends_the_process_with_42(self):
        self.become("mirrored", "worker-0")
        driver = (
            "import os, runpy, signal, sys; import tensorflow as tf\n"
            "tf.FIT_STEP_HOOKS.append(lambda e, b: os.kill(os.getpid(), signal.SIGTERM) if (e, b) == (0, 1) else None)\n"
            f"sys.argv = [{str(EXAMPLE)!r}, '--synthetic', '--epochs=3']\n"
            f"runpy.run_path({str(EXAMPLE)!r}, run_name='__main__')\n"
        )
        done = self.run_process(["-c", driver])
        self.assertEqual(done.returncode, 42, done.stderr)
        self.assertIn("exiting with 42", done.stderr)

    def test_describe_prints_what_the_replica_reads(self):
        self.become("parameter-server", "ps-1")
        done = self.run_process(["-m", "strato_trainer"])
        self.assertEqual(done.returncode, 0, done.stderr)
        described = json.loads(done.stdout)
        self.assertEqual((described["role"], described["replica_index"], described["is_chief"]), ("ps", 1, False))

    def test_describe_reports_a_bad_environment_with_exit_2(self):
        self.environ({"STRATO_STRATEGY": "multi-worker-mirrored"})
        done = self.run_process(["-m", "strato_trainer"])
        self.assertEqual(done.returncode, 2)
        self.assertIn("needs TF_CONFIG", done.stderr)


if __name__ == "__main__":
    unittest.main()
