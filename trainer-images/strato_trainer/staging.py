"""Staging gs:// run dirs through a local folder when TensorFlow cannot reach the bucket.

TensorFlow's GCS file system (xla/tsl/platform/cloud/gcs_file_system.cc) talks
to the fixed endpoint https://www.googleapis.com/storage/v1/: it honours
neither `STORAGE_EMULATOR_HOST` nor `CLOUD_STORAGE_EMULATOR_ENDPOINT`. Where
`STORAGE_EMULATOR_HOST` is set (Strato's fake Vertex AI sets it for every
replica, pointing at its fake Cloud Storage), a `gs://` run-dir folder is
written to a local folder instead, and `upload()` copies what changed to the
bucket through the Cloud Storage JSON API at that host (a `media` upload per
file). Without the variable nothing changes: TensorFlow writes gs:// itself.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import urllib.parse
import urllib.request
from typing import Dict, Mapping, Optional, Tuple

EMULATOR_VARIABLE = "STORAGE_EMULATOR_HOST"

# local folder -> gs:// folder, and (size, mtime) of each file as last uploaded
_STAGED: Dict[str, str] = {}
_UPLOADED: Dict[str, Tuple[int, float]] = {}
_ROOT: Optional[str] = None


def emulator_host(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    environ = os.environ if environ is None else environ
    host = environ.get(EMULATOR_VARIABLE)
    if not host:
        return None
    return host if "://" in host else f"http://{host}"


def local_dir(uri: str, environ: Optional[Mapping[str, str]] = None) -> str:
    """`uri` itself, or for gs:// with an emulator, the local folder that stands in for it (ending in `/`)."""
    if not uri.startswith("gs://") or emulator_host(environ) is None:
        return uri
    folder = os.path.join(_root(), uri[len("gs://") :].strip("/"))
    os.makedirs(folder, exist_ok=True)
    _STAGED[folder] = uri.rstrip("/")
    return folder + "/"


def _root() -> str:
    """This process's own staging folder, removed at exit: nothing stale is ever restored from it."""
    global _ROOT
    if _ROOT is None:
        _ROOT = tempfile.mkdtemp(prefix="strato-trainer-staged-")
        atexit.register(shutil.rmtree, _ROOT, True)
    return _ROOT


def upload(environ: Optional[Mapping[str, str]] = None) -> int:
    """Copies new or changed staged files to their gs:// folders; returns how many were sent."""
    host = emulator_host(environ)
    if host is None:
        return 0
    sent = 0
    for folder, uri in list(_STAGED.items()):
        bucket, _, prefix = uri[len("gs://") :].partition("/")
        for root, _, files in os.walk(folder):
            for name in files:
                path = os.path.join(root, name)
                stat = os.stat(path)
                if _UPLOADED.get(path) == (stat.st_size, stat.st_mtime):
                    continue
                relative = os.path.relpath(path, folder).replace(os.sep, "/")
                _upload_file(host, bucket, f"{prefix}/{relative}" if prefix else relative, path)
                _UPLOADED[path] = (stat.st_size, stat.st_mtime)
                sent += 1
    return sent


def _upload_file(host: str, bucket: str, name: str, path: str) -> None:
    query = urllib.parse.urlencode({"uploadType": "media", "name": name})
    url = f"{host}/upload/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o?{query}"
    with open(path, "rb") as file:
        body = file.read()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/octet-stream"}
    )
    # The emulator is on loopback: never through a proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=60) as response:
        response.read()
