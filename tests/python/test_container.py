"""Berth's container image (issue 13, "A container image of Berth"): `scripts/build-image`
builds it (a static `berth` on `scratch`, ./Dockerfile) with the private dockerd of the
registry tests; it runs as an unprivileged user, turns healthy through its own HEALTHCHECK
(`berth healthcheck`), answers boto3 and skopeo, and keeps its state in the /data volume
across a new container.

The dockerd runs with `--bridge=none`, so containers use the host's network (`--network
host`) on a free port given with BERTH_PORT, the variable both the server and the
HEALTHCHECK read. Nothing is pulled: the image is built FROM scratch. A missing tool, or a
dockerd that cannot run containers here, fails these tests; nothing is skipped."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tarfile
import time
import uuid
from pathlib import Path

import pytest

from support import (
    DEFAULT_ACCOUNT,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    PLAIN_KEY,
    ROOT,
    SECRET,
    TOOL_TIMEOUT,
    DockerClient,
    OciLayout,
    Skopeo,
    login_password,
    make_client,
    run_tool,
)

BUILD_IMAGE = ROOT / "scripts" / "build-image"
# The first build compiles Berth (release, static); scripts/test builds the binary before
# the tests, so here cargo only confirms it is fresh.
BUILD_TIMEOUT = 3600
# The stripped static binary is all of it (about 12 MB); a base image or a stray file would show.
MAX_IMAGE_BYTES = 24 * 1024 * 1024
UNPRIVILEGED = "65532:65532"
# The Dockerfile probes every 5 s after a 10 s start period; healthy well within this.
HEALTHY_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def docker_env(dockerd, tmp_path_factory) -> DockerClient:
    return DockerClient(dockerd, tmp_path_factory.mktemp("container-docker-config"))


@pytest.fixture(scope="module")
def image(docker_env, record_testsuite_property) -> str:
    """The image, built once for this module by scripts/build-image against the private
    dockerd; removed afterwards."""
    tag = f"berth-container-test:{uuid.uuid4().hex[:12]}"
    built = subprocess.run([str(BUILD_IMAGE), tag], env={**os.environ, **docker_env.env}, capture_output=True,
                           text=True, timeout=BUILD_TIMEOUT)
    assert built.returncode == 0, f"scripts/build-image failed:\n{built.stdout[-3000:]}\n{built.stderr[-5000:]}"
    # Its one stdout line is the tag it built.
    assert built.stdout.strip() == tag, built.stdout
    size = int(docker_env.ok("image", "inspect", "--format", "{{.Size}}", tag).stdout)
    record_testsuite_property("berth_image_bytes", size)
    print(f"\nberth image {tag}: {size} bytes ({size / 1024 / 1024:.1f} MiB)")
    yield tag
    docker_env.remove(tag)


class Container:
    """One `docker run -d` of the image on the host network, stopped and removed by `close`."""

    def __init__(self, docker: DockerClient, image: str, volume: str, port: int, *extra: str):
        self.docker = docker
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.id = docker.ok("run", "--detach", "--network", "host", "--env", f"BERTH_PORT={port}",
                            "--volume", f"{volume}:/data", *extra, image).stdout.strip()

    def inspect(self) -> dict:
        return json.loads(self.docker.ok("container", "inspect", self.id).stdout)[0]

    def logs(self) -> str:
        result = run_tool(self.docker.args("logs", self.id), env=self.docker.env)
        return result.stdout + result.stderr

    def wait_healthy(self) -> dict:
        """Polls the HEALTHCHECK's status until `healthy`; fails on `unhealthy`, an exit, or
        the timeout, with the probe's log and the server's. Returns the final state."""
        deadline = time.monotonic() + HEALTHY_TIMEOUT
        seen = []
        while True:
            state = self.inspect()["State"]
            status = state.get("Health", {}).get("Status")
            if not seen or seen[-1] != status:
                seen.append(status)
            if status == "healthy":
                return state
            if status == "unhealthy" or not state["Running"] or time.monotonic() > deadline:
                pytest.fail(f"container not healthy (statuses {seen}, state {state}); logs:\n{self.logs()}")
            time.sleep(0.5)

    def stop(self) -> int:
        """`docker stop` (SIGTERM); the exit code."""
        self.docker.ok("stop", "--time", "20", self.id)
        return self.inspect()["State"]["ExitCode"]

    def close(self) -> None:
        run_tool(self.docker.args("rm", "--force", self.id), env=self.docker.env)


@pytest.fixture
def run_container(docker_env, image):
    """A factory: run_container(volume) → a running Container on a free port; every
    container and volume it made is removed after the test."""
    containers: list[Container] = []
    volumes: set[str] = set()

    def factory(volume: str, *extra: str) -> Container:
        volumes.add(volume)
        container = Container(docker_env, image, volume, free_port(), *extra)
        containers.append(container)
        return container

    yield factory
    for container in containers:
        container.close()
    for volume in volumes:
        run_tool(docker_env.args("volume", "rm", "--force", volume), env=docker_env.env)


def test_the_image_is_a_static_berth_on_scratch_and_nothing_else(docker_env, image, tmp_path):
    config = json.loads(docker_env.ok("image", "inspect", image).stdout)[0]["Config"]
    assert config["User"] == UNPRIVILEGED
    assert config["Entrypoint"] == ["/berth"]
    assert config["ExposedPorts"] == {"4566/tcp": {}}
    assert config["Volumes"] == {"/data": {}}
    assert {"BERTH_HOST=0.0.0.0", "BERTH_PORT=4566", "BERTH_DATA_DIR=/data"} <= set(config["Env"])
    assert config["Healthcheck"]["Test"] == ["CMD", "/berth", "healthcheck"]

    size = int(docker_env.ok("image", "inspect", "--format", "{{.Size}}", image).stdout)
    assert size < MAX_IMAGE_BYTES, f"{size} bytes"

    # Every file of every layer: the binary, and /data owned by the unprivileged user.
    archive = tmp_path / "image.tar"
    docker_env.ok("save", "--output", str(archive), image)
    files = {}
    with tarfile.open(archive) as saved:
        manifest = json.load(saved.extractfile("manifest.json"))
        [entry] = manifest
        for layer in entry["Layers"]:
            with tarfile.open(fileobj=saved.extractfile(layer)) as layer_tar:
                for member in layer_tar.getmembers():
                    files[member.name.rstrip("/")] = (member.type, member.uid, member.gid, member.mode & 0o7777)
    assert files.keys() == {"berth", "data"}, files
    kind, uid, gid, mode = files["berth"]
    assert kind == tarfile.REGTYPE and (uid, gid) == (0, 0) and mode & 0o111, files["berth"]
    kind, uid, gid, _ = files["data"]
    assert kind == tarfile.DIRTYPE and (uid, gid) == (65532, 65532), files["data"]


def test_the_container_turns_healthy_answers_clients_and_keeps_state_in_its_volume(
    docker_env, run_container, tmp_path
):
    volume = f"berth-data-{uuid.uuid4().hex[:12]}"
    first = run_container(volume)
    state = first.wait_healthy()

    # The HEALTHCHECK is `berth healthcheck`, which found the server on BERTH_PORT (not
    # 4566): its last probe passed and printed the health document.
    last_probe = state["Health"]["Log"][-1]
    assert last_probe["ExitCode"] == 0, last_probe
    assert json.loads(last_probe["Output"])["status"] == "ok"

    # Not root: the image's user, and the server process's real and effective ids.
    assert first.inspect()["Config"]["User"] == UNPRIVILEGED
    status = Path(f"/proc/{state['Pid']}/status").read_text()
    ids = {line.split(":")[0]: line.split()[1:] for line in status.splitlines() if line.startswith(("Uid", "Gid"))}
    assert ids == {"Uid": ["65532"] * 4, "Gid": ["65532"] * 4}, ids

    # boto3 and the AWS API: a repository.
    ecr = make_client(first.endpoint)
    name = "container/app"
    created = ecr.create_repository(repositoryName=name)["repository"]
    assert created["repositoryName"] == name

    # skopeo and the /v2 registry: an image pushed as ECR's clients do (AWS:<password>).
    layout = OciLayout(tmp_path / "layout")
    pushed = layout.image([{"hello.txt": b"hello from the container\n"}], label="container")
    layout.tag(pushed, "v1")
    skopeo = Skopeo(first.endpoint, login_password(first.endpoint))
    skopeo.copy_in(layout, "v1", name, "v1")
    assert skopeo.inspect_raw(name, "v1") == layout.blob_bytes(pushed["digest"])

    # boto3 puts the same manifest under a second tag (PutImage).
    [image] = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}],
                                  acceptedMediaTypes=[OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST])["images"]
    put = ecr.put_image(repositoryName=name, imageManifest=image["imageManifest"], imageTag="v2")["image"]
    assert put["imageId"] == {"imageDigest": pushed["digest"], "imageTag": "v2"}

    # SIGTERM (docker stop) is a clean stop, well before docker's SIGKILL.
    assert first.stop() == 0, first.logs()
    first.close()

    # A new container on the same volume (and another port) has all of it: the repository,
    # both tags, and the blobs (skopeo copies the image back out byte for byte).
    second = run_container(volume)
    second.wait_healthy()
    again = make_client(second.endpoint)
    [repository] = again.describe_repositories()["repositories"]
    assert repository["repositoryName"] == name
    assert repository["createdAt"] == created["createdAt"]
    [detail] = again.describe_images(repositoryName=name)["imageDetails"]
    assert detail["imageDigest"] == pushed["digest"]
    assert sorted(detail["imageTags"]) == ["v1", "v2"]
    copied = tmp_path / "copied"
    Skopeo(second.endpoint, login_password(second.endpoint)).copy_out(name, "v2", copied, "out")
    copied_layout = OciLayout(copied)
    out = copied_layout.ref("out")
    assert out["digest"] == pushed["digest"]
    manifest = json.loads(copied_layout.blob_bytes(out["digest"]))
    for blob in [manifest["config"], *manifest["layers"]]:
        assert copied_layout.blob_bytes(blob["digest"]) == layout.blob_bytes(blob["digest"])


def test_berth_healthcheck_exits_0_on_a_healthy_server_and_1_without_one(docker_env, image, run_container):
    running = run_container(f"berth-data-{uuid.uuid4().hex[:12]}")
    running.wait_healthy()
    # Inside the container, with its environment (BERTH_PORT): the health document.
    probe = docker_env.ok("exec", running.id, "/berth", "healthcheck")
    document = json.loads(probe.stdout)
    assert document["status"] == "ok" and document["operations"]["implemented"] > 0, document
    # --url names another endpoint: the same server, by a host name, which the static binary
    # resolves with no libraries in the image (as `--url http://berth:4566` would in compose).
    probe = docker_env.ok("exec", running.id, "/berth", "healthcheck", "--url",
                          f"http://localhost:{running.port}/_berth/health")
    assert json.loads(probe.stdout)["status"] == "ok"

    # Nothing listens on the port: exit 1 and why, on stderr.
    closed = free_port()
    result = run_tool(docker_env.args("run", "--rm", "--network", "host", "--env", f"BERTH_PORT={closed}", image,
                                      "healthcheck"), env=docker_env.env, timeout=TOOL_TIMEOUT)
    assert result.returncode == 1, result
    assert result.stderr.startswith(f"berth: http://127.0.0.1:{closed}/_berth/health: cannot connect"), result.stderr
    # With signatures required, admin endpoints answer loopback peers only: the probe is one.
    signed_only = run_container(f"berth-data-{uuid.uuid4().hex[:12]}", "--env", "BERTH_VERIFY_SIGV4=true",
                                "--env", f"BERTH_CREDENTIALS={PLAIN_KEY}:{SECRET}:{DEFAULT_ACCOUNT}")
    signed_only.wait_healthy()

    # Something answers, but it is not Berth's health: unhealthy too.
    result = run_tool(docker_env.args("exec", running.id, "/berth", "healthcheck", "--url",
                                      f"{running.endpoint}/_berth/no-such-endpoint"), env=docker_env.env)
    assert result.returncode == 1 and "answered" in result.stderr, result
