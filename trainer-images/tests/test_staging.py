"""Staging gs:// folders through the emulator: a new process starts from what the bucket holds, uploads what changed."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List
from unittest import mock

from strato_trainer import staging
from strato_trainer.errors import StratoTrainerError


class FakeBucketServer:
    """The Cloud Storage JSON API calls staging makes: objects.list (in pages of 2), `alt=media`, media uploads."""

    PAGE = 2

    def __init__(self, bucket: str) -> None:
        self.objects: Dict[str, bytes] = {}
        self.uploads: List[str] = []
        self.pages = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                base = f"/storage/v1/b/{bucket}/o"
                if url.path == base:
                    outer.pages += 1
                    names = sorted(n for n in outer.objects if n.startswith(query.get("prefix", "")))
                    start = int(query.get("pageToken", "0"))
                    page = {"items": [{"name": n} for n in names[start : start + outer.PAGE]]}
                    if start + outer.PAGE < len(names):
                        page["nextPageToken"] = str(start + outer.PAGE)
                    self.reply(200, json.dumps(page).encode())
                elif url.path.startswith(f"{base}/") and query.get("alt") == "media":
                    name = urllib.parse.unquote(url.path[len(base) + 1 :])
                    self.reply(200, outer.objects[name]) if name in outer.objects else self.reply(404, b"{}")
                else:
                    self.reply(404, b'{"error": {"code": 404, "message": "Not Found"}}')

            def do_POST(self) -> None:  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path != f"/upload/storage/v1/b/{bucket}/o" or query.get("uploadType") != "media":
                    return self.reply(404, b"{}")
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.objects[query["name"]] = body
                outer.uploads.append(query["name"])
                self.reply(200, json.dumps({"name": query["name"]}).encode())

            def reply(self, code: int, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StagingTest(unittest.TestCase):
    def setUp(self) -> None:
        self.bucket = FakeBucketServer("runs-bucket")
        self.addCleanup(self.bucket.close)
        self.env = {staging.EMULATOR_VARIABLE: self.bucket.host}
        self.new_process()

    def new_process(self) -> None:
        """Staging as a freshly started trainer process has it: no folder staged, its own empty root."""
        root = tempfile.mkdtemp(prefix="strato-staging-test-")
        self.addCleanup(shutil.rmtree, root, True)
        for name, value in (("_ROOT", root), ("_STAGED", {}), ("_UPLOADED", {})):
            patcher = mock.patch.object(staging, name, value)
            patcher.start()
            self.addCleanup(patcher.stop)

    def read(self, folder: str, relative: str) -> bytes:
        with open(os.path.join(folder, relative), "rb") as file:
            return file.read()

    def test_a_new_process_starts_from_what_the_bucket_holds_under_the_folder(self) -> None:
        self.bucket.objects.update(
            {
                "job/checkpoints/backup/checkpoint": b'model_checkpoint_path: "epoch-20"\n',
                "job/checkpoints/backup/epoch-20.index": b"index",
                "job/checkpoints/backup/epoch-20.data-00000-of-00001": b"\x00\x01weights",
                "job/checkpoints/eval/": b"",  # a folder placeholder
                "job/checkpoints-old/backup/checkpoint": b"another folder",
                "job/logs/train/events.out.tfevents.1": b"events",
            }
        )
        folder = staging.local_dir("gs://runs-bucket/job/checkpoints/", self.env)

        self.assertTrue(folder.endswith("/"))
        found = sorted(
            os.path.relpath(os.path.join(root, name), folder) for root, _, names in os.walk(folder) for name in names
        )
        self.assertEqual(
            found, ["backup/checkpoint", "backup/epoch-20.data-00000-of-00001", "backup/epoch-20.index"]
        )
        self.assertEqual(self.read(folder, "backup/epoch-20.data-00000-of-00001"), b"\x00\x01weights")
        self.assertGreater(self.bucket.pages, 1, "the listing is read past its first page")

    def test_the_bucket_is_read_once_per_folder_and_process(self) -> None:
        self.bucket.objects["job/logs/train/events.out.tfevents.1"] = b"events"
        first = staging.local_dir("gs://runs-bucket/job/logs", self.env)
        pages = self.bucket.pages
        self.assertEqual(staging.local_dir("gs://runs-bucket/job/logs/", self.env), first)
        self.assertEqual(self.bucket.pages, pages)

    def test_downloaded_files_are_not_sent_back_and_what_changes_is(self) -> None:
        self.bucket.objects.update(
            {
                "job/checkpoints/backup/checkpoint": b'model_checkpoint_path: "epoch-20"\n',
                "job/checkpoints/backup/epoch-20.index": b"index 20",
            }
        )
        folder = staging.local_dir("gs://runs-bucket/job/checkpoints", self.env)
        self.assertEqual(staging.upload(self.env), 0)
        self.assertEqual(self.bucket.uploads, [])

        with open(os.path.join(folder, "backup", "epoch-40.index"), "wb") as file:
            file.write(b"index 40")
        with open(os.path.join(folder, "backup", "checkpoint"), "wb") as file:
            file.write(b'model_checkpoint_path: "epoch-40"\n')
        self.assertEqual(staging.upload(self.env), 2)
        # The index that names the new checkpoint goes after the checkpoint's own files.
        self.assertEqual(
            self.bucket.uploads, ["job/checkpoints/backup/epoch-40.index", "job/checkpoints/backup/checkpoint"]
        )
        self.assertEqual(self.bucket.objects["job/checkpoints/backup/epoch-20.index"], b"index 20")

    def test_a_restarted_process_sees_what_the_previous_one_uploaded(self) -> None:
        folder = staging.local_dir("gs://runs-bucket/job/checkpoints", self.env)
        os.makedirs(os.path.join(folder, "backup"))
        with open(os.path.join(folder, "backup", "epoch-7.index"), "wb") as file:
            file.write(b"saved before the preemption")
        staging.upload(self.env)

        self.new_process()
        again = staging.local_dir("gs://runs-bucket/job/checkpoints", self.env)
        self.assertNotEqual(again, folder)
        self.assertEqual(self.read(again, "backup/epoch-7.index"), b"saved before the preemption")

    def test_without_the_emulator_a_gs_folder_is_left_to_tensorflow(self) -> None:
        self.assertEqual(staging.local_dir("gs://runs-bucket/job/checkpoints/", {}), "gs://runs-bucket/job/checkpoints/")
        self.assertEqual(self.bucket.pages, 0)

    def test_a_bucket_the_emulator_does_not_have_is_named_with_the_fix(self) -> None:
        with self.assertRaises(StratoTrainerError) as raised:
            staging.local_dir("gs://no-such-bucket/job/checkpoints", self.env)
        self.assertIn("gs://no-such-bucket/job/checkpoints/", raised.exception.message)
        self.assertIn("bucket 'no-such-bucket' exists", raised.exception.hint or "")


if __name__ == "__main__":
    unittest.main()
