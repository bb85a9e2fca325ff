"""Tests of the trainer images: `cd trainer-images && python3 -m unittest discover`.

They run on the machine's python3 with the standard library only: a stand-in
`tensorflow` package (tests/fake_tf) goes first on sys.path.
"""

import os
import sys

FAKE_TF_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_tf")
if FAKE_TF_PATH not in sys.path:
    sys.path.insert(0, FAKE_TF_PATH)
