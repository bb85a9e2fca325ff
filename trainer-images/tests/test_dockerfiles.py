"""The Dockerfiles, read by a parser (no Docker engine here): pinned, unprivileged, small, documented.

Also checks that the images agree with what the rest of Strato assumes: the
templates' image tags and TPU runtimes, and the libtpu path the compiler
puts in TF_PLUGGABLE_DEVICE_LIBRARY_PATH.
"""

from __future__ import annotations

import re
import shlex
import unittest
from pathlib import Path

from . import dockerfile
from .support import TRAINER_IMAGES, replica

IMAGES = {"tensorflow-gpu": TRAINER_IMAGES / "tensorflow-gpu", "tensorflow-tpu": TRAINER_IMAGES / "tensorflow-tpu"}
ENTRYPOINT = ["python3", "/opt/strato/examples/mnist/train.py"]
# TensorFlow release → the libtpu built for it (https://cloud.google.com/tpu/docs/runtimes).
LIBTPU_FOR_TF = {"2.15.0": "1.9.0", "2.15.1": "1.9.0", "2.16.1": "1.10.1", "2.16.2": "1.10.1", "2.17.0": "1.11.0"}
EXACT_VERSION = re.compile(r"\d+\.\d+(\.\d+)?")
MAX_RUN_LAYERS = 2
TEMPLATES = TRAINER_IMAGES.parent / "templates"


def load(name: str) -> dockerfile.Dockerfile:
    return dockerfile.parse((IMAGES[name] / "Dockerfile").read_text())


def pip_requirements(image: dockerfile.Dockerfile):
    """Every requirement after `pip install` in every RUN, variables expanded."""
    for run in image.all("RUN"):
        for command in re.split(r"&&|;", run.value):
            words = shlex.split(image.expand(command))
            if "pip" in words and "install" in words:
                after = words[words.index("install") + 1:]
                yield command, [w for w in after if not w.startswith("-")], after


class ParserTest(unittest.TestCase):
    def test_continuations_comments_directives_and_exec_form(self):
        parsed = dockerfile.parse(
            "# syntax=docker/dockerfile:1.7\n"
            "FROM base:1.2.3\n"
            "ARG V=1\n"
            "# installs things\n"
            "RUN a \\\n"
            "  # a comment inside\n"
            "  && b ${V}\n"
            'ENTRYPOINT ["x", "y"]\n'
            "CMD echo hi\n"
        )
        self.assertEqual(parsed.directives, {"syntax": "docker/dockerfile:1.7"})
        self.assertEqual([i.keyword for i in parsed.instructions], ["FROM", "ARG", "RUN", "ENTRYPOINT", "CMD"])
        run = parsed.all("RUN")[0]
        self.assertEqual((run.value, run.line, run.comments), ("a && b ${V}", 5, ["installs things"]))
        self.assertEqual(parsed.expand(run.value), "a && b 1")
        self.assertEqual(parsed.last("ENTRYPOINT").exec_form(), ["x", "y"])
        self.assertIsNone(parsed.last("CMD").exec_form())


class EveryImageTest(unittest.TestCase):
    def test_base_image_is_pinned_to_an_exact_version(self):
        for name in IMAGES:
            with self.subTest(image=name):
                base = load(name).all("FROM")[0].arguments()[0]
                tag = base.partition(":")[2]
                self.assertTrue(tag and tag != "latest", f"{base} has no pinned tag")
                self.assertRegex(tag, EXACT_VERSION, f"{base}: tag should name an exact version")

    def test_every_python_package_is_pinned_and_pip_keeps_no_cache(self):
        for name in IMAGES:
            image = load(name)
            installs = list(pip_requirements(image))
            with self.subTest(image=name):
                self.assertTrue(installs, "the image installs its Python dependencies")
            for command, requirements, words in installs:
                with self.subTest(image=name, command=command.strip()[:60]):
                    self.assertIn("--no-cache-dir", words)
                    for requirement in requirements:
                        if requirement.startswith("https://"):
                            self.assertRegex(requirement, r"-\d+\.\d+\.\d+-", "a wheel URL names its version")
                        else:
                            self.assertRegex(requirement, r"^[A-Za-z0-9_.\-\[\]]+==\d[\w.]*$")

    def test_apt_installs_skip_recommends_and_clean_up_in_the_same_layer(self):
        for name in IMAGES:
            for run in load(name).all("RUN"):
                if "apt-get install" in run.value:
                    with self.subTest(image=name, line=run.line):
                        self.assertIn("--no-install-recommends", run.value)
                        self.assertIn("rm -rf /var/lib/apt/lists/*", run.value)

    def test_layers_are_few(self):
        for name in IMAGES:
            with self.subTest(image=name):
                self.assertLessEqual(len(load(name).all("RUN")), MAX_RUN_LAYERS)

    def test_the_trainer_runs_as_an_unprivileged_user(self):
        for name in IMAGES:
            image = load(name)
            with self.subTest(image=name):
                user = image.last("USER")
                self.assertIsNotNone(user, "USER is set")
                self.assertNotIn(user.value.split(":")[0], ("root", "0"))
                self.assertGreater(image.instructions.index(user), image.instructions.index(image.last("COPY")))
                created = " ".join(r.value for r in image.all("RUN"))
                self.assertIn("useradd", created)
                self.assertIn(user.value.split(":")[0], created.split())

    def test_entrypoint_is_exec_form_documented_and_copied_in(self):
        for name in IMAGES:
            image = load(name)
            with self.subTest(image=name):
                entrypoint = image.last("ENTRYPOINT")
                self.assertEqual(entrypoint.exec_form(), ENTRYPOINT)
                self.assertTrue(any("ENTRYPOINT" in c for c in entrypoint.comments), "a comment explains it")
                self.assertEqual(image.last("CMD").exec_form(), [], "job args go straight to the entrypoint")
                copied = {c.arguments()[-1]: c.arguments()[0] for c in image.all("COPY")}
                script = Path(ENTRYPOINT[1])
                destination = next(d for d in copied if str(script).startswith(d.rstrip("/") + "/"))
                source = TRAINER_IMAGES / copied[destination] / script.relative_to(destination)
                self.assertTrue(source.is_file(), f"{source} is what the entrypoint runs")
                self.assertIn("/opt/strato", image.env()["PYTHONPATH"].split(":"))
                self.assertTrue((TRAINER_IMAGES / copied["/opt/strato/strato_trainer"] / "__init__.py").is_file())

    def test_tf_keras_is_tf_keras(self):
        for name in IMAGES:
            image = load(name)
            with self.subTest(image=name):
                self.assertEqual(image.env()["TF_USE_LEGACY_KERAS"], "1")
                requirements = [r for _, reqs, _ in pip_requirements(image) for r in reqs]
                tf_version = image.variables()["TF_VERSION"]
                keras = next(r for r in requirements if r.startswith("tf-keras=="))
                # tf-keras X.Y.* goes with TensorFlow X.Y.*.
                self.assertEqual(keras.split("==")[1].split(".")[:2], tf_version.split(".")[:2])

    def test_label_version_is_the_tensorflow_version(self):
        for name in IMAGES:
            image = load(name)
            with self.subTest(image=name):
                labels = image.expand(" ".join(l.value for l in image.all("LABEL")))
                self.assertIn(f'org.opencontainers.image.version="{image.variables()["TF_VERSION"]}"', labels)

    def test_readme_has_build_and_push_commands_and_says_what_was_verified(self):
        for name in IMAGES:
            readme = (IMAGES[name] / "README.md").read_text()
            with self.subTest(image=name):
                self.assertIn(f"docker build -f {name}/Dockerfile", readme)
                self.assertIn("docker push", readme)
                self.assertIn("gcloud auth configure-docker", readme)
                self.assertIn(" ".join(ENTRYPOINT), readme)
                self.assertIn("Not verified", readme)


class GpuImageTest(unittest.TestCase):
    def test_base_image_tensorflow_matches_tf_version(self):
        image = load("tensorflow-gpu")
        base = image.all("FROM")[0].arguments()[0]
        self.assertEqual(base, f"tensorflow/tensorflow:{image.variables()['TF_VERSION']}-gpu")


class TpuImageTest(unittest.TestCase):
    def test_libtpu_matches_the_tensorflow_release(self):
        variables = load("tensorflow-tpu").variables()
        self.assertEqual(variables["LIBTPU_VERSION"], LIBTPU_FOR_TF[variables["TF_VERSION"]])

    def test_libtpu_lands_where_the_compiler_points_pjrt(self):
        image = load("tensorflow-tpu")
        (add,) = image.all("ADD")
        source, destination = image.expand(" ".join(add.arguments())).split()
        self.assertEqual(destination, replica("tpu-single-host", "tpu-host-0")["env"]["TF_PLUGGABLE_DEVICE_LIBRARY_PATH"])
        self.assertTrue(source.startswith("https://") and f"/{image.variables()['LIBTPU_VERSION']}/" in source)
        self.assertEqual(add.flags().get("chmod"), "644")

    def test_wheel_is_the_tpu_vm_build_for_the_base_python(self):
        image = load("tensorflow-tpu")
        base = image.all("FROM")[0].arguments()[0]
        python = re.search(r"python:(\d+)\.(\d+)", base)
        wheel = next(r for _, reqs, _ in pip_requirements(image) for r in reqs if r.endswith(".whl"))
        self.assertIn(f"cp{python.group(1)}{python.group(2)}", wheel)
        self.assertIn(f"tensorflow-{image.variables()['TF_VERSION']}-", wheel)


@unittest.skipUnless(TEMPLATES.is_dir(), "templates/ is not beside trainer-images/")
class TemplatesTest(unittest.TestCase):
    """Cloud templates point at these images and use their entrypoint (no command of their own).

    Local-provider templates (the quickstart, `tf-local-*`) run a command from the repository instead,
    and so does the quickstart on Vertex (`quickstart-vertex.yaml`), which runs the repository's
    reference trainer (no TensorFlow) on the fake cloud.
    """

    def templates(self):
        for path in sorted(TEMPLATES.glob("*.yaml")):
            text = path.read_text()
            local = re.search(r"^provider:\n  name: local$", text, re.M)
            reference_trainer = "trainer-images/reference/train.ts" in text
            if not local and not reference_trainer:
                yield path, text

    def test_templates_use_the_image_for_their_strategy_at_its_tensorflow_version(self):
        found = 0
        for path, text in self.templates():
            strategy = re.search(r"^strategy: (\S+)", text, re.M).group(1)
            image_name = "tensorflow-tpu" if strategy == "tpu" else "tensorflow-gpu"
            version = load(image_name).variables()["TF_VERSION"]
            with self.subTest(template=path.name):
                image = re.search(r"^\s+image: (\S+)", text, re.M).group(1)
                self.assertTrue(image.endswith(f"/{image_name}:{version}"), image)
                self.assertNotRegex(text, r"(?m)^\s+command:", "templates rely on the image's entrypoint")
                for runtime in re.findall(r"runtimeVersion: (\S+)", text):
                    self.assertTrue(runtime.startswith(f"tpu-vm-tf-{version}"), runtime)
                found += 1
        self.assertGreaterEqual(found, 5)


if __name__ == "__main__":
    unittest.main()
