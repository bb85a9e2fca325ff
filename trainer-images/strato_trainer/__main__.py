"""`python -m strato_trainer`: print what this replica reads from its environment, as JSON.

A first thing to run in a container that misbehaves: it needs no TensorFlow.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from .env import read_env
from .errors import StratoTrainerError
from .paths import model_dir, tensorboard_dir


def describe() -> dict:
    env = read_env()
    out = dataclasses.asdict(env)
    out["is_chief"] = env.is_chief
    out["writes_model_to"] = model_dir(env)
    out["writes_logs_to"] = tensorboard_dir(env)
    return out


def main() -> int:
    try:
        print(json.dumps(describe(), indent=2, default=list))
    except StratoTrainerError as error:
        print(f"strato_trainer: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
