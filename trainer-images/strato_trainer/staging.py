"""Staging gs:// run dirs through a local folder when TensorFlow cannot reach the bucket.

TensorFlow's GCS file system (xla/tsl/platform/cloud/gcs_file_system.cc) talks
to the fixed endpoint https://www.googleapis.com/storage/v1/: it honours
neither `STORAGE_EMULATOR_HOST` nor `CLOUD_STORAGE_EMULATOR_ENDPOINT`. Where
`STORAGE_EMULATOR_HOST` is set (Strato's fake cloud sets it for every fake
Vertex AI replica and every fake VM's programs, pointing at its fake Cloud
Storage), a `gs://` run-dir folder is written to a local folder instead, and
`upload()` copies what changed to the bucket through the Cloud Storage JSON
API at that host (a `media` upload per file). Without the variable nothing
changes: TensorFlow writes gs:// itself.

The local folder starts as a copy of the gs:// folder: the first time a
process stages a folder, `download()` copies what the bucket already holds
under it (objects.list, then `alt=media` per object), as TensorFlow writing
gs:// itself would see it. So a restarted job's replicas (new processes, on
new machines) restore the backups in `checkpoints/`; a downloaded file is not
sent back unless it changes.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Iterator, Mapping, Optional, Tuple

from .errors import StratoTrainerError

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
    if folder not in _STAGED:
        os.makedirs(folder, exist_ok=True)
        _STAGED[folder] = uri.rstrip("/")
        download(folder, environ)
    return folder + "/"


def _root() -> str:
    """This process's own staging folder, removed at exit: nothing stale is ever restored from it."""
    global _ROOT
    if _ROOT is None:
        _ROOT = tempfile.mkdtemp(prefix="strato-trainer-staged-")
        atexit.register(shutil.rmtree, _ROOT, True)
    return _ROOT


def download(folder: str, environ: Optional[Mapping[str, str]] = None) -> int:
    """Copies every object under the gs:// folder staged at `folder` into it; returns how many."""
    host = emulator_host(environ)
    uri = _STAGED.get(folder)
    if host is None or uri is None:
        return 0
    bucket, _, prefix = uri[len("gs://") :].partition("/")
    under = f"{prefix}/" if prefix else ""
    received = 0
    try:
        for name in _list_objects(host, bucket, under):
            relative = name[len(under) :]
            if not relative or relative.endswith("/"):
                continue  # a folder placeholder, not a file
            path = os.path.join(folder, *relative.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            _download_file(host, bucket, name, path)
            stat = os.stat(path)
            _UPLOADED[path] = (stat.st_size, stat.st_mtime)
            received += 1
    except OSError as error:
        if isinstance(error, urllib.error.HTTPError):
            error.close()  # its response's socket
        raise StratoTrainerError(
            f"could not copy {uri}/ from the Cloud Storage emulator at {host} into {folder}: {error}",
            f"check that {EMULATOR_VARIABLE} names a running emulator and that bucket {bucket!r} exists there",
        ) from error
    return received


def upload(environ: Optional[Mapping[str, str]] = None) -> int:
    """Copies new or changed staged files to their gs:// folders; returns how many were sent.

    A `checkpoint` index (tf.train.CheckpointManager's) goes after the files of
    its folder: a reader that lists the bucket mid-upload never sees it name a
    checkpoint whose files are not there yet.
    """
    host = emulator_host(environ)
    if host is None:
        return 0
    sent = 0
    for folder, uri in list(_STAGED.items()):
        bucket, _, prefix = uri[len("gs://") :].partition("/")
        changed = []
        for root, _, files in os.walk(folder):
            for name in files:
                path = os.path.join(root, name)
                stat = os.stat(path)
                if _UPLOADED.get(path) != (stat.st_size, stat.st_mtime):
                    changed.append((name == "checkpoint", path, (stat.st_size, stat.st_mtime)))
        for _, path, seen in sorted(changed):
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            _upload_file(host, bucket, f"{prefix}/{relative}" if prefix else relative, path)
            _UPLOADED[path] = seen
            sent += 1
    return sent


def _opener() -> urllib.request.OpenerDirector:
    # The emulator is on loopback: never through a proxy.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _objects_url(host: str, bucket: str) -> str:
    return f"{host}/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o"


def _list_objects(host: str, bucket: str, prefix: str) -> Iterator[str]:
    """Names of the objects under `prefix`, page by page (objects.list, `nextPageToken`)."""
    token = None
    while True:
        query = {"prefix": prefix, "fields": "items(name),nextPageToken"}
        if token:
            query["pageToken"] = token
        with _opener().open(f"{_objects_url(host, bucket)}?{urllib.parse.urlencode(query)}", timeout=60) as response:
            page = json.load(response)
        for item in page.get("items", []):
            yield item["name"]
        token = page.get("nextPageToken")
        if not token:
            return


def _download_file(host: str, bucket: str, name: str, path: str) -> None:
    url = f"{_objects_url(host, bucket)}/{urllib.parse.quote(name, safe='')}?alt=media"
    with _opener().open(url, timeout=60) as response, open(path, "wb") as file:
        shutil.copyfileobj(response, file)


def _upload_file(host: str, bucket: str, name: str, path: str) -> None:
    query = urllib.parse.urlencode({"uploadType": "media", "name": name})
    url = f"{host}/upload/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o?{query}"
    with open(path, "rb") as file:
        body = file.read()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/octet-stream"}
    )
    with _opener().open(request, timeout=60) as response:
        response.read()
