"""strategy(): what gets built for each replica of each compiled plan."""

from __future__ import annotations

import json
import os
import unittest

import strato_trainer as st
import tensorflow as tf  # the stand-in

from .support import ReplicaTestCase, replica, running_replicas


class OneMachineStrategiesTest(ReplicaTestCase):
    def test_one_device_is_a_mirrored_strategy_on_gpu_0(self):
        self.become("one-device", "worker-0", gpus=1)
        strategy = st.strategy()
        self.assertEqual(tf.built("MirroredStrategy"), [strategy])
        self.assertEqual(strategy.devices, ["/gpu:0"])
        self.assertEqual(strategy.num_replicas_in_sync, 1)
        # tf_keras' BackupAndRestore raises NotImplementedError for OneDeviceStrategy.
        self.assertEqual(tf.built("OneDeviceStrategy"), [])

    def test_one_device_without_a_gpu_uses_the_cpu(self):
        self.become("one-device", "worker-0", gpus=0)
        self.assertEqual(st.strategy().devices, ["/cpu:0"])

    def test_mirrored_spans_every_local_gpu(self):
        self.become("mirrored", "worker-0", gpus=4)
        strategy = st.strategy()
        self.assertIsNone(strategy.devices)
        self.assertEqual(strategy.num_replicas_in_sync, 4)
        self.assertEqual(replica("mirrored", "worker-0")["env"]["STRATO_REPLICAS_IN_SYNC"], "4")

    def test_without_strato_variables_the_gpu_count_decides(self):
        tf.reset(gpus=2)
        self.assertIsNone(st.strategy(tf=tf).devices)
        tf.reset(gpus=0)
        self.assertEqual(st.strategy(tf=tf).devices, ["/cpu:0"])


class MultiWorkerMirroredTest(ReplicaTestCase):
    def test_every_training_replica_builds_the_strategy_from_its_tf_config(self):
        for case in ("multi-worker-mirrored", "multi-worker-mirrored-local"):
            for name, rep in running_replicas(case):
                if rep["role"] == "evaluator":
                    continue
                with self.subTest(case=case, replica=name):
                    self.become(case, name, gpus=1)
                    strategy = st.strategy()
                    self.assertEqual(tf.built("MultiWorkerMirroredStrategy"), [strategy])
                    resolver = strategy.cluster_resolver
                    self.assertEqual((resolver.task_type, resolver.task_id), (rep["role"], rep["index"]))
                    cluster = json.loads(rep["env"]["TF_CONFIG"])["cluster"]
                    self.assertEqual(resolver.cluster_spec().as_dict(), cluster)
                    self.assertEqual(strategy.num_replicas_in_sync, int(rep["env"]["STRATO_REPLICAS_IN_SYNC"]))

    def test_the_evaluator_builds_no_multi_worker_strategy(self):
        self.become("multi-worker-mirrored", "evaluator-0")
        st.strategy()
        self.assertEqual(tf.built("MultiWorkerMirroredStrategy"), [])
        self.assertEqual(len(tf.calls("get_strategy")), 1)

    def test_on_vertex_with_only_cluster_spec_the_cluster_is_spelled_out(self):
        spec = {
            "cluster": {"workerpool0": ["c:2222"], "workerpool1": ["w0:2222", "w1:2222"]},
            "environment": "cloud",
            "task": {"type": "workerpool1", "index": 1},
        }
        self.environ({"CLUSTER_SPEC": json.dumps(spec)})
        strategy = st.strategy()
        resolver = strategy.cluster_resolver
        self.assertEqual(tf.built("SimpleClusterResolver"), [resolver])
        self.assertEqual(resolver.cluster_spec().as_dict(), {"chief": ["c:2222"], "worker": ["w0:2222", "w1:2222"]})
        self.assertEqual((resolver.task_type, resolver.task_id, resolver.rpc_layer), ("worker", 1, "grpc"))


class ParameterServerTest(ReplicaTestCase):
    def test_the_chief_builds_the_strategy_and_the_coordinator(self):
        self.become("parameter-server", "chief-0")
        strategy = st.strategy()
        self.assertEqual(tf.built("ParameterServerStrategy"), [strategy])
        (partitioner,) = tf.built("MinSizePartitioner")
        self.assertEqual((partitioner.min_shard_bytes, partitioner.max_shards), (256 * 1024, 2))
        self.assertIs(strategy.variable_partitioner, partitioner)
        (coordinator,) = tf.built("ClusterCoordinator")
        self.assertIs(coordinator.strategy, strategy)
        self.assertEqual(os.environ["GRPC_FAIL_FAST"], "use_caller")
        self.assertEqual(tf.built("Server"), [])

    def test_ps_and_worker_tasks_serve_until_the_job_ends(self):
        for name in ("worker-0", "worker-1", "ps-0", "ps-1"):
            with self.subTest(replica=name):
                self.become("parameter-server", name)
                rep = replica("parameter-server", name)
                with self.assertRaises(SystemExit) as exited:
                    st.strategy()
                self.assertEqual(exited.exception.code, 0)
                (server,) = tf.built("Server")
                self.assertEqual((server.job_name, server.task_index), (rep["role"], rep["index"]))
                self.assertEqual((server.protocol, server.started), ("grpc", True))
                self.assertEqual(server.cluster.as_dict(), json.loads(rep["env"]["TF_CONFIG"])["cluster"])
                self.assertEqual([c.args[0] for c in tf.calls("Server.join")], [server])
                self.assertEqual(tf.built("ParameterServerStrategy"), [])
                self.assertEqual(os.environ["GRPC_FAIL_FAST"], "use_caller")

    def test_the_evaluator_only_gets_the_default_strategy(self):
        self.become("parameter-server", "evaluator-0")
        st.strategy()
        self.assertEqual(tf.built("Server") + tf.built("ParameterServerStrategy"), [])


class TpuTest(ReplicaTestCase):
    def assert_tpu_strategy(self, expected_name: str):
        strategy = st.strategy()
        (resolver,) = tf.built("TPUClusterResolver")
        self.assertEqual(resolver.tpu, expected_name)
        self.assertEqual(tf.built("TPUStrategy"), [strategy])
        self.assertIs(strategy.cluster_resolver, resolver)
        names = tf.recorder.names()
        # Connect, then initialise the TPU system, then build the strategy: TF's required order.
        self.assertLess(names.index("config.experimental_connect_to_cluster"),
                        names.index("tpu.experimental.initialize_tpu_system"))
        self.assertLess(names.index("tpu.experimental.initialize_tpu_system"), names.index("TPUStrategy"))

    def test_one_host_resolves_local(self):
        self.become("tpu-single-host", "tpu-host-0", tpus=4)
        self.assert_tpu_strategy("local")

    def test_a_pod_resolves_the_slice_by_name_on_host_0(self):
        self.become("tpu-pod", "tpu-host-0", tpus=16)
        self.assert_tpu_strategy("fx-tpu-v4-32")

    def test_the_streamexecutor_pod_too(self):
        self.become("tpu-pod-se", "tpu-host-0", tpus=16)
        self.assert_tpu_strategy("fx-tpu-v4-32-se")


class MeshJobsTest(ReplicaTestCase):
    def test_a_mesh_job_is_told_to_call_mesh(self):
        for case in ("tpu-mesh", "multi-worker-mirrored-mesh"):
            with self.subTest(case=case):
                self.become(case, "tpu-host-0" if case == "tpu-mesh" else "worker-0")
                with self.assertRaises(st.StratoTrainerError) as caught:
                    st.strategy()
                self.assertIn("mesh()", str(caught.exception))

    def test_mesh_initializes_dtensor_on_the_plan_device_and_keeps_dimension_order(self):
        self.become("tpu-mesh", "tpu-host-3", tpus=4)
        mesh = st.mesh()
        self.assertEqual([c.args for c in tf.calls("dtensor.initialize_accelerator_system")], [("TPU",)])
        self.assertEqual((mesh.dims, mesh.client_id, mesh.num_clients), ([("batch", 4), ("model", 4)], 3, 4))
        self.become("multi-worker-mirrored-mesh", "worker-0", gpus=4)
        self.assertEqual(st.mesh().device_type, "GPU")

    def test_mesh_without_a_mesh_points_at_strategy(self):
        self.become("mirrored", "worker-0")
        with self.assertRaises(st.StratoTrainerError) as caught:
            st.mesh()
        self.assertIn("strategy()", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
