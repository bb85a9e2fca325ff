"""Shared test helpers: plan fixtures from the TypeScript compiler, a clean environment, the fake TF."""

from __future__ import annotations

import json
import os
import tempfile
import unittest
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from unittest import mock

import tensorflow as tf  # the stand-in, see tests/__init__.py

from . import FAKE_TF_PATH  # noqa: F401 (re-exported for subprocess tests)

TRAINER_IMAGES = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plans"
REGENERATE = "npx tsx test/support/generate-plan-fixtures.ts"

# Variables a replica's environment consists of; anything else (PATH, HOME, …) is kept.
ENV_PREFIXES = ("STRATO_", "AIP_", "DTENSOR_", "TPU_", "TF_", "NEXT_PLUGGABLE_", "GCE_METADATA", "GRPC_FAIL_FAST")
ENV_NAMES = ("CLUSTER_SPEC", "DATA_DIR")
# Nothing listens on port 1: TensorFlow's GCE probe fails fast instead of resolving metadata.google.internal.
NOT_GCE = {"GCE_METADATA_IP": "127.0.0.1:1"}


def load_plan(case: str) -> Dict[str, Any]:
    path = FIXTURES / f"{case}.json"
    if not path.exists():
        raise AssertionError(f"missing plan fixture {path}: run `{REGENERATE}` in the repository root")
    return json.loads(path.read_text())["plan"]


def plan_cases() -> List[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def replica(case: str, name: str) -> Dict[str, Any]:
    for candidate in load_plan(case)["replicas"]:
        if candidate["name"] == name:
            return candidate
    raise AssertionError(f"plan fixture {case} has no replica {name}")


def running_replicas(case: str) -> Iterator[Tuple[str, Dict[str, Any]]]:
    for candidate in load_plan(case)["replicas"]:
        if candidate["runsProgram"]:
            yield candidate["name"], candidate


def clean_environ(extra: Dict[str, str]) -> Dict[str, str]:
    kept = {
        k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES) and k not in ENV_NAMES
    }
    return {**kept, **NOT_GCE, **extra}


class ReplicaTestCase(unittest.TestCase):
    """Each test runs as one replica of a plan fixture, against a freshly reset stand-in TensorFlow."""

    def setUp(self) -> None:
        tf.reset()
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.environ(mock_env={})

    def environ(self, mock_env: Dict[str, str]) -> None:
        patcher = mock.patch.dict(os.environ, clean_environ(mock_env), clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)

    def become(self, case: str, name: str, *, gpus: int = 0, tpus: int = 0, keras: str = "tf_keras",
               local_run_dir: bool = True, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """Sets this process's environment to the replica's, exactly as the compiler wrote it.

        local_run_dir swaps gs:// run dirs for a temporary folder, so nothing pretends to write to a bucket.
        """
        env = dict(replica(case, name)["env"])
        if local_run_dir:
            for key in ("AIP_MODEL_DIR", "AIP_CHECKPOINT_DIR", "AIP_TENSORBOARD_LOG_DIR"):
                leaf = env[key].rstrip("/").rsplit("/", 1)[-1]
                env[key] = os.path.join(self.tmp.name, leaf) + "/"
        env.update(extra or {})
        tf.reset(gpus=gpus, tpus=tpus, keras_flavor=keras)
        self.environ(env)
        return env
