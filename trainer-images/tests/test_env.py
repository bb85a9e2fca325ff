"""read_env(): every replica of every compiled plan reads back what the compiler meant."""

from __future__ import annotations

import json
import unittest

from strato_trainer import StratoTrainerError, parse_tf_config, parse_vertex_cluster_spec, read_env
from strato_trainer.paths import backup_dir, eval_checkpoint_dir, model_dir, tensorboard_dir

from .support import load_plan, plan_cases, replica, running_replicas


def env_of(case: str, name: str):
    return read_env(replica(case, name)["env"])


class EveryFixtureReplicaTest(unittest.TestCase):
    def test_fixtures_cover_every_strategy(self):
        strategies = {load_plan(case)["strategy"] for case in plan_cases()}
        self.assertEqual(
            strategies, {"one-device", "mirrored", "multi-worker-mirrored", "parameter-server", "tpu"}
        )

    def test_every_running_replica_reads_its_role_index_and_run_dirs(self):
        for case in plan_cases():
            plan = load_plan(case)
            chiefs = []
            for name, rep in running_replicas(case):
                with self.subTest(case=case, replica=name):
                    env = read_env(rep["env"])
                    self.assertEqual(env.strategy, plan["strategy"])
                    self.assertEqual(env.role, rep["role"])
                    self.assertEqual(env.replica_index, rep["index"])
                    self.assertEqual(env.job_name, plan["jobName"])
                    self.assertEqual(env.replicas_in_sync, plan["replicasInSync"])
                    self.assertEqual(env.model_dir, rep["env"]["AIP_MODEL_DIR"])
                    self.assertTrue(env.run_dirs_from_env)
                    self.assertEqual(env.mesh is not None, plan.get("mesh") is not None)
                    if env.is_chief:
                        chiefs.append(name)
            with self.subTest(case=case):
                self.assertEqual(len(chiefs), 1, f"{case}: exactly one replica writes the model, got {chiefs}")

    def test_run_dirs_keep_the_trailing_slash_and_local_plans_give_plain_paths(self):
        env = env_of("multi-worker-mirrored-local", "worker-0")
        self.assertEqual(env.checkpoint_dir, "/tmp/strato-fixtures/runs/fx-mwm-local/checkpoints/")
        self.assertEqual(backup_dir(env), "/tmp/strato-fixtures/runs/fx-mwm-local/checkpoints/backup/")
        cloud = env_of("one-device", "worker-0")
        self.assertEqual(eval_checkpoint_dir(cloud), "gs://my-bucket/runs/fx-one-device/checkpoints/eval/")


class ChiefTest(unittest.TestCase):
    def test_the_chief_leads_when_the_cluster_has_one(self):
        self.assertTrue(env_of("multi-worker-mirrored", "chief-0").is_chief)
        self.assertFalse(env_of("multi-worker-mirrored", "worker-0").is_chief)

    def test_worker_0_leads_without_a_chief(self):
        self.assertTrue(env_of("multi-worker-mirrored-local", "worker-0").is_chief)
        self.assertFalse(env_of("multi-worker-mirrored-local", "worker-1").is_chief)

    def test_the_evaluator_is_outside_the_cluster_and_never_chief(self):
        env = env_of("multi-worker-mirrored", "evaluator-0")
        self.assertTrue(env.is_evaluator)
        self.assertFalse(env.is_chief)
        self.assertNotIn("evaluator", env.tf_config.cluster)
        self.assertEqual(env.tf_config.task_type, "evaluator")

    def test_non_chiefs_write_model_and_logs_to_scratch_the_evaluator_to_its_own_run(self):
        worker = env_of("multi-worker-mirrored", "worker-1")
        self.assertNotIn("gs://", model_dir(worker))
        self.assertNotIn("gs://", tensorboard_dir(worker))
        self.assertIn("worker-1", model_dir(worker))
        chief = env_of("multi-worker-mirrored", "chief-0")
        self.assertEqual(model_dir(chief), "gs://my-bucket/runs/fx-mwm/model/")
        evaluator = env_of("multi-worker-mirrored", "evaluator-0")
        self.assertEqual(tensorboard_dir(evaluator), "gs://my-bucket/runs/fx-mwm/logs/evaluator/")

    def test_parameter_server_tasks_serve_and_only_the_chief_trains(self):
        self.assertTrue(env_of("parameter-server", "chief-0").is_chief)
        for name in ("worker-0", "worker-1", "ps-0", "ps-1"):
            env = env_of("parameter-server", name)
            self.assertTrue(env.serves_parameter_server_task, name)
            self.assertFalse(env.is_chief, name)
        self.assertFalse(env_of("parameter-server", "evaluator-0").serves_parameter_server_task)
        self.assertEqual(env_of("parameter-server", "chief-0").tf_config.ps_tasks, 2)


class TpuEnvTest(unittest.TestCase):
    def test_one_host_uses_local_with_pjrt(self):
        tpu = env_of("tpu-single-host", "tpu-host-0").tpu
        self.assertEqual(tpu.name, "local")
        self.assertFalse(tpu.multi_host)
        self.assertTrue(tpu.pjrt)

    def test_a_pod_names_the_slice_on_host_0_and_other_hosts_run_nothing(self):
        tpu = env_of("tpu-pod", "tpu-host-0").tpu
        self.assertEqual(tpu.name, "fx-tpu-v4-32")
        self.assertTrue(tpu.multi_host)
        others = [r for r in load_plan("tpu-pod")["replicas"] if r["index"] > 0]
        self.assertTrue(others and all(not r["runsProgram"] and r["env"] == {} for r in others))

    def test_a_streamexecutor_pod_does_not_load_libtpu(self):
        tpu = env_of("tpu-pod-se", "tpu-host-0").tpu
        self.assertFalse(tpu.pjrt)
        self.assertFalse(tpu.load_library)


class MeshEnvTest(unittest.TestCase):
    def test_mesh_order_and_clients_come_from_the_plan(self):
        for name, rep in running_replicas("tpu-mesh"):
            env = read_env(rep["env"])
            self.assertEqual(env.mesh, (("batch", 4), ("model", 4)))
            self.assertEqual(env.dtensor.client_id, rep["index"])
            self.assertEqual(env.dtensor.num_clients, 4)
            self.assertEqual(env.is_chief, rep["index"] == 0, name)

    def test_gpu_mesh_clients_are_the_workers(self):
        env = env_of("multi-worker-mirrored-mesh", "worker-1")
        self.assertEqual(env.mesh, (("batch", 8),))
        self.assertEqual(env.dtensor.jobs, tuple(json.loads(env.tf_config.to_json())["cluster"]["worker"]))


class VertexEnvTest(unittest.TestCase):
    """On Vertex AI, Vertex sets TF_CONFIG (same shape, plus keys of its own) and CLUSTER_SPEC."""

    CLUSTER_SPEC = {
        "cluster": {
            "workerpool0": ["cmle-training-workerpool0-1234-0:2222"],
            "workerpool1": ["cmle-training-workerpool1-1234-0:2222", "cmle-training-workerpool1-1234-1:2222"],
            "workerpool2": ["cmle-training-workerpool2-1234-0:2222"],
            "workerpool3": ["cmle-training-workerpool3-1234-0:2222"],
        },
        "environment": "cloud",
        "task": {"type": "workerpool1", "index": 1, "trial": ""},
        "job": {"worker_pool_specs": []},
    }

    def test_vertex_tf_config_with_extra_keys(self):
        config = parse_tf_config(
            json.dumps(
                {
                    "cluster": {"chief": ["a:2222"], "worker": ["b:2222"]},
                    "task": {"type": "worker", "index": 0, "trial": "1"},
                    "environment": "cloud",
                    "job": {},
                }
            )
        )
        self.assertEqual(config.extra["environment"], "cloud")
        self.assertFalse(config.is_chief)
        self.assertEqual(config.training_tasks, 2)

    def test_cluster_spec_alone_is_translated_to_task_types(self):
        env = read_env({"CLUSTER_SPEC": json.dumps(self.CLUSTER_SPEC)})
        self.assertEqual(env.strategy, "parameter-server")  # a ps pool implies it
        self.assertEqual(env.role, "worker")
        self.assertEqual(env.replica_index, 1)
        self.assertEqual(set(env.tf_config.cluster), {"chief", "worker", "ps"})
        self.assertEqual(env.tf_config.source, "CLUSTER_SPEC")

    def test_tf_config_wins_over_cluster_spec(self):
        tf_config = {"cluster": {"chief": ["x:1"], "worker": ["y:1"]}, "task": {"type": "chief", "index": 0}}
        env = read_env({"TF_CONFIG": json.dumps(tf_config), "CLUSTER_SPEC": json.dumps(self.CLUSTER_SPEC)})
        self.assertEqual(env.tf_config.source, "TF_CONFIG")
        self.assertEqual(env.strategy, "multi-worker-mirrored")
        self.assertTrue(env.is_chief)

    def test_pool_3_is_the_evaluator(self):
        spec = dict(self.CLUSTER_SPEC, task={"type": "workerpool3", "index": 0})
        config = parse_vertex_cluster_spec(json.dumps(spec))
        self.assertEqual(config.task_type, "evaluator")
        self.assertNotIn("evaluator", config.cluster)

    def test_a_single_replica_vertex_job_is_not_multi_worker(self):
        tf_config = {"cluster": {"chief": ["x:2222"]}, "task": {"type": "chief", "index": 0}}
        env = read_env({"TF_CONFIG": json.dumps(tf_config)})
        self.assertIsNone(env.strategy)
        self.assertTrue(env.is_chief)


class BadEnvironmentTest(unittest.TestCase):
    def assert_refused(self, environ, *fragments):
        with self.assertRaises(StratoTrainerError) as caught:
            read_env(environ)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))

    def test_unknown_strategy_lists_the_known_ones(self):
        self.assert_refused({"STRATO_STRATEGY": "horovod"}, "horovod", "multi-worker-mirrored")

    def test_multi_worker_without_tf_config(self):
        self.assert_refused({"STRATO_STRATEGY": "multi-worker-mirrored"}, "needs TF_CONFIG", "hint")

    def test_tf_config_that_is_not_json(self):
        self.assert_refused({"TF_CONFIG": "{cluster:"}, "TF_CONFIG is not JSON")

    def test_tf_config_without_task(self):
        self.assert_refused({"TF_CONFIG": '{"cluster": {"worker": ["a:1"]}}'}, "no task type")

    def test_dtensor_client_count_must_match_jobs(self):
        self.assert_refused(
            {"STRATO_MESH": '{"batch": 2}', "DTENSOR_JOBS": "a:1,b:1", "DTENSOR_NUM_CLIENTS": "3"},
            "DTENSOR_NUM_CLIENTS=3",
        )

    def test_mesh_sizes_must_be_positive_integers(self):
        self.assert_refused({"STRATO_MESH": '{"batch": 0}'}, "positive integer")

    def test_index_must_be_a_number(self):
        self.assert_refused({"STRATO_REPLICA_INDEX": "one"}, "STRATO_REPLICA_INDEX")

    def test_outside_strato_run_dirs_fall_back_to_a_local_folder(self):
        env = read_env({})
        self.assertFalse(env.run_dirs_from_env)
        self.assertTrue(env.model_dir.endswith("/local/model/"))
        self.assertTrue(env.is_chief)


if __name__ == "__main__":
    unittest.main()
