"""Real registry clients against Berth's `/v2` registry (issue 11, "Real clients, in CI"):
skopeo (OCI layouts written here, copied in and out byte for byte, inspected, deleted),
podman (build FROM scratch, push, rmi, pull) and docker with a private dockerd this session
starts and stops (`aws ecr get-login-password | docker login`, build, push, describe-images,
rmi, pull, ECR's registry errors), the referrers API, and pushes that land in the account and
region their login password names.

The tools are Debian's packages at fixed paths (skopeo, podman, docker.io; .ci/run installs
them). A missing tool, or a dockerd that cannot start here, fails the tests that need it and
says why: nothing is skipped. No image is pulled from anywhere but Berth: images are built
FROM scratch or written as OCI layouts by the test.

Expected values: shared/docs/ecr-behaviour-images.md (§8 DescribeImages, §12 referrers, §14
the `/v2` side: `name unknown` / `tag invalid` with ECR's texts, the Basic challenge) and the
OCI Distribution Specification v1.1 where ECR says nothing (the referrers index)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from support import (
    ACCOUNT_A,
    ACCOUNT_B,
    DEFAULT_ACCOUNT,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    PLAIN_KEY,
    TOOL_TIMEOUT,
    BerthProcess,
    DockerClient,
    OciLayout,
    Podman,
    Skopeo,
    berth_binary,
    error_of,
    login_password,
    make_client,
    not_found,
    registry_host,
    registry_request,
    sha256_digest,
)
from test_cli_v2 import CLI_V2, CliV2

DOCKER_CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
SBOM = "application/vnd.example.sbom.v1+json"
# What the docker CLI prints after a push: `<tag>: digest: sha256:… size: N` (N = manifest bytes).
PUSHED = re.compile(r"^(?P<tag>\S+): digest: (?P<digest>sha256:[0-9a-f]{64}) size: (?P<size>\d+)$", re.M)


def immutable_tag(tag: str, name: str) -> str:
    return (
        f"The image tag '{tag}' already exists in the '{name}' repository and cannot be "
        "overwritten because the tag is immutable."
    )


def declared_size(manifest: dict) -> int:
    """ECR's imageSizeInBytes of an image manifest (§8): config size + every layer's size."""
    return manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])


def manifest_bytes(ecr, name: str, digest: str) -> bytes:
    """The manifest BatchGetImage gives for `digest`, as bytes (the JSON API's view)."""
    out = ecr.batch_get_image(
        repositoryName=name,
        imageIds=[{"imageDigest": digest}],
        acceptedMediaTypes=[OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST],
    )
    assert out["failures"] == [], out["failures"]
    [image] = out["images"]
    return image["imageManifest"].encode()


def images_of(ecr, name: str) -> dict[str, dict]:
    """DescribeImages of a repository, by digest."""
    details = ecr.describe_images(repositoryName=name)["imageDetails"]
    return {d["imageDigest"]: d for d in details}


def assert_same_blobs(written: OciLayout, copied: OciLayout, expected: set[str]) -> None:
    """The layout skopeo wrote from Berth holds exactly the `expected` blobs, each byte for
    byte the one the test wrote."""
    blobs = {"sha256:" + p.name for p in (copied.root / "blobs" / "sha256").iterdir()}
    assert blobs == expected
    for digest in blobs:
        data = copied.blob_bytes(digest)
        assert sha256_digest(data) == digest
        assert data == written.blob_bytes(digest), digest


def layout_blobs(layout: OciLayout, descriptor: dict) -> set[str]:
    """The digests a manifest or index reaches: itself, its config and layers, its children."""
    manifest = json.loads(layout.blob_bytes(descriptor["digest"]))
    found = {descriptor["digest"]}
    for child in manifest.get("manifests", []):
        found |= layout_blobs(layout, child)
    if "config" in manifest:
        found.add(manifest["config"]["digest"])
    found |= {layer["digest"] for layer in manifest.get("layers", [])}
    return found


def cli_v2(endpoint: str, home: Path, key: str = PLAIN_KEY) -> CliV2:
    """The AWS CLI v2 as `key`, configured for us-east-1, with files under `home`."""
    home.mkdir(parents=True, exist_ok=True)
    return CliV2(endpoint, home, key, "us-east-1")


def docker_login_from_cli(docker: DockerClient, cli: CliV2, host: str, region: str | None = None) -> None:
    """`aws ecr get-login-password [--region R] | docker login -u AWS --password-stdin HOST`,
    a real pipe between the two processes."""
    region_args = ["--region", region] if region else []
    aws = subprocess.Popen(
        [str(CLI_V2), "ecr", "get-login-password", *region_args, "--endpoint-url", cli.endpoint],
        env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        login = subprocess.run(docker.args("login", "-u", "AWS", "--password-stdin", host), stdin=aws.stdout,
                               env=docker.env, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    finally:
        aws.stdout.close()
        aws_err = aws.stderr.read().decode(errors="replace")
        aws.stderr.close()
        aws.wait(TOOL_TIMEOUT)
    assert aws.returncode == 0, f"get-login-password failed: {aws_err}"
    assert login.returncode == 0, f"docker login failed: {login.stdout}{login.stderr}"
    assert "Login Succeeded" in login.stdout, login.stdout
    config = json.loads((Path(docker.env["DOCKER_CONFIG"]) / "config.json").read_text())
    assert host in config["auths"], config


def build_context(directory: Path, files: dict[str, str], name: str = "Dockerfile") -> Path:
    """A build context: the files, and a FROM scratch recipe that COPYs each one (one layer
    per file, so an image of two files has two layers)."""
    directory.mkdir(parents=True)
    lines = ["FROM scratch"]
    for path, text in files.items():
        (directory / path).write_text(text)
        lines.append(f"COPY {path} /{path}")
    (directory / name).write_text("\n".join(lines) + "\n")
    return directory


def pushed_digest(output: str, tag: str) -> tuple[str, int]:
    match = PUSHED.search(output)
    assert match and match["tag"] == tag, f"no `{tag}: digest: …` line in:\n{output}"
    return match["digest"], int(match["size"])


@pytest.fixture
def docker(dockerd, tmp_path) -> DockerClient:
    """The session's dockerd, with a client config (credentials) of this test's own."""
    return DockerClient(dockerd, tmp_path / "docker-config")


@pytest.fixture
def podman(tmp_path):
    client = Podman(tmp_path / "podman")
    yield client
    client.close()


@pytest.fixture
def host(endpoint) -> str:
    return registry_host(endpoint)


# --- docker ---------------------------------------------------------------------------------


def test_docker_login_build_push_describe_rmi_pull(endpoint, host, docker, ecr, tmp_path):
    name = "clients/docker-app"
    ecr.create_repository(repositoryName=name)
    cli = cli_v2(endpoint, tmp_path / "aws")
    docker_login_from_cli(docker, cli, host)

    image = f"{host}/{name}:v1"
    context = build_context(tmp_path / "ctx", {"hello.txt": "hello from docker\n", "second.txt": "layer two\n"})
    docker.ok("build", "-t", image, str(context))
    image_id = docker.ok("image", "inspect", "--format", "{{.Id}}", image).stdout.strip()
    try:
        digest, size = pushed_digest(docker.ok("push", image).stdout, "v1")

        # `aws ecr describe-images` (the CLI v2) sees the push: docker's digest, the tag, the
        # media types, and ECR's size of what the manifest declares.
        [detail] = cli.ok("describe-images", "--repository-name", name)["imageDetails"]
        assert detail["registryId"] == DEFAULT_ACCOUNT
        assert detail["repositoryName"] == name
        assert detail["imageDigest"] == digest
        assert detail["imageTags"] == ["v1"]
        assert detail["imageManifestMediaType"] == DOCKER_MANIFEST
        assert detail["artifactMediaType"] == DOCKER_CONFIG_MEDIA_TYPE
        stored = manifest_bytes(ecr, name, digest)
        # The manifest is kept as docker sent it: its digest and length are the ones docker printed.
        assert sha256_digest(stored) == digest and len(stored) == size
        manifest = json.loads(stored)
        assert len(manifest["layers"]) == 2, "one layer per COPY"
        assert manifest["config"]["digest"] == image_id
        assert detail["imageSizeInBytes"] == declared_size(manifest)

        docker.ok("rmi", image)
        assert "No such image" in docker.fails("image", "inspect", image)
        pulled = docker.ok("pull", image).stdout
        assert f"Digest: {digest}" in pulled, pulled
        # Same config (the image id), hence the same layers: docker checks each layer's
        # uncompressed digest against the config's diff_ids as it unpacks it.
        assert docker.ok("image", "inspect", "--format", "{{.Id}}", image).stdout.strip() == image_id
        repo_digests = json.loads(docker.ok("image", "inspect", "--format", "{{json .RepoDigests}}", image).stdout)
        assert f"{host}/{name}@{digest}" in repo_digests
        # And the files are the ones built (a container is created, never started).
        container = docker.ok("create", image, "/hello.txt").stdout.strip()
        try:
            docker.ok("cp", f"{container}:/hello.txt", str(tmp_path / "hello.out"))
            assert (tmp_path / "hello.out").read_text() == "hello from docker\n"
        finally:
            docker.ok("rm", container)
    finally:
        docker.remove(image)


def test_docker_push_of_an_existing_tag_into_an_immutable_repository(endpoint, host, docker, ecr, tmp_path):
    name = "clients/locked"
    ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
    docker.ok("login", "-u", "AWS", "--password-stdin", host, input=login_password(endpoint))
    first, second = f"{host}/{name}:v1", f"{host}/{name}:v1-second"
    docker.ok("build", "-t", first, str(build_context(tmp_path / "one", {"a.txt": "first\n"})))
    first_id = docker.ok("image", "inspect", "--format", "{{.Id}}", first).stdout.strip()
    docker.ok("build", "-t", second, str(build_context(tmp_path / "two", {"a.txt": "second\n"})))
    try:
        digest, _ = pushed_digest(docker.ok("push", first).stdout, "v1")
        # Another image under the same tag: ECR's TAG_INVALID, which docker prints as
        # `tag invalid: <ECR's ImageTagAlreadyExists text>`.
        docker.ok("tag", second, first)
        output = docker.fails("push", first)
        assert f"tag invalid: {immutable_tag('v1', name)}" in output, output
        # Nothing moved: one image, still the first, still tagged v1.
        assert {d: i.get("imageTags") for d, i in images_of(ecr, name).items()} == {digest: ["v1"]}
        # A new tag is fine in an IMMUTABLE repository (§9).
        other, _ = pushed_digest(docker.ok("push", second).stdout, "v1-second")
        assert {d: i.get("imageTags") for d, i in images_of(ecr, name).items()} == {
            digest: ["v1"],
            other: ["v1-second"],
        }
    finally:
        docker.remove(first, second, first_id)


def test_docker_push_into_a_missing_repository(endpoint, host, docker, ecr, tmp_path):
    name = "clients/never-created"
    docker.ok("login", "-u", "AWS", "--password-stdin", host, input=login_password(endpoint))
    image = f"{host}/{name}:v1"
    docker.ok("build", "-t", image, str(build_context(tmp_path / "ctx", {"a.txt": "orphan\n"})))
    try:
        output = docker.fails("push", image)
        assert f"name unknown: {not_found(name)}" in output, output
        # A push creates no repository (§14).
        assert ecr.describe_repositories()["repositories"] == []
    finally:
        docker.remove(image)


def test_docker_needs_a_password_berth_issued(endpoint, host, docker, ecr, tmp_path):
    name = "clients/guarded"
    ecr.create_repository(repositoryName=name)
    image = f"{host}/{name}:v1"
    docker.ok("build", "-t", image, str(build_context(tmp_path / "ctx", {"a.txt": "guarded\n"})))
    try:
        # Not logged in: the registry challenges and docker has nothing to answer with.
        output = docker.fails("push", image)
        assert "no basic auth credentials" in output, output
        # A password Berth did not issue (a real one with its first character changed) is
        # refused.
        real = login_password(endpoint)
        forged = ("B" if real[0] != "B" else "C") + real[1:]
        output = docker.fails("login", "-u", "AWS", "--password-stdin", host, input=forged)
        assert "401 Unauthorized" in output, output
        assert images_of(ecr, name) == {}
    finally:
        docker.remove(image)


def test_docker_pushes_to_the_uri_describe_repositories_prints(docker, tmp_path):
    """With `--registry-host localhost:{port}` an ECR script works unmodified: push to the
    repositoryUri the CLI prints, log in to the host of get-authorization-token's
    proxyEndpoint (README, "Pushing and pulling"). docker treats localhost as insecure by
    default, so the session's dockerd needs no setting for this second Berth."""
    server = BerthProcess(berth_binary(), tmp_path / "berth.log", {"BERTH_REGISTRY_HOST": "localhost:{port}"})
    try:
        cli = cli_v2(server.endpoint, tmp_path / "aws")
        cli.ok("create-repository", "--repository-name", "team/web")
        uri = cli.ok("describe-repositories", "--query", "repositories[0].repositoryUri")
        proxy = cli.ok("get-authorization-token", "--query", "authorizationData[0].proxyEndpoint")
        port = server.endpoint.rsplit(":", 1)[1]
        assert (uri, proxy) == (f"localhost:{port}/team/web", f"http://localhost:{port}")
        docker_login_from_cli(docker, cli, proxy.removeprefix("http://"))
        image = f"{uri}:1.0"
        docker.ok("build", "-t", image, str(build_context(tmp_path / "ctx", {"a.txt": "unmodified\n"})))
        try:
            digest, _ = pushed_digest(docker.ok("push", image).stdout, "1.0")
            [detail] = cli.ok("describe-images", "--repository-name", "team/web")["imageDetails"]
            assert (detail["imageDigest"], detail["imageTags"]) == (digest, ["1.0"])
            docker.ok("rmi", image)
            assert f"Digest: {digest}" in docker.ok("pull", image).stdout
        finally:
            docker.remove(image)
    finally:
        assert server.stop() == 0, server.log()


def test_docker_pulls_what_put_image_stored(endpoint, host, docker, ecr, tmp_path):
    """One state: an image uploaded through the JSON API (layer uploads, PutImage) is one
    docker pulls, files and all."""
    name = "clients/from-api"
    ecr.create_repository(repositoryName=name)
    layout = OciLayout(tmp_path / "layout")
    image = layout.image([{"etc/motd": b"stored by PutImage\n"}, {"usr/two": b"second layer\n"}])
    manifest_text = layout.blob_bytes(image["digest"]).decode()
    manifest = json.loads(manifest_text)
    for blob in [manifest["config"], *manifest["layers"]]:
        data = layout.blob_bytes(blob["digest"])
        upload = ecr.initiate_layer_upload(repositoryName=name)["uploadId"]
        ecr.upload_layer_part(repositoryName=name, uploadId=upload, partFirstByte=0,
                              partLastByte=len(data) - 1, layerPartBlob=data)
        ecr.complete_layer_upload(repositoryName=name, uploadId=upload, layerDigests=[blob["digest"]])
    put = ecr.put_image(repositoryName=name, imageManifest=manifest_text, imageManifestMediaType=OCI_MANIFEST,
                        imageTag="api")["image"]
    assert put["imageId"] == {"imageDigest": image["digest"], "imageTag": "api"}

    docker.ok("login", "-u", "AWS", "--password-stdin", host, input=login_password(endpoint))
    reference = f"{host}/{name}:api"
    try:
        assert f"Digest: {image['digest']}" in docker.ok("pull", reference).stdout
        assert docker.ok("image", "inspect", "--format", "{{.Id}}", reference).stdout.strip() == (
            manifest["config"]["digest"]
        )
        container = docker.ok("create", reference, "/etc/motd").stdout.strip()
        try:
            docker.ok("cp", f"{container}:/etc/motd", str(tmp_path / "motd"))
            assert (tmp_path / "motd").read_bytes() == b"stored by PutImage\n"
        finally:
            docker.ok("rm", container)
    finally:
        docker.remove(reference)


# --- podman ---------------------------------------------------------------------------------


def test_podman_build_push_rmi_pull(endpoint, host, podman, ecr, tmp_path):
    name = "clients/podman-app"
    ecr.create_repository(repositoryName=name)
    podman.ok("login", "--tls-verify=false", "-u", "AWS", "--password-stdin", host, input=login_password(endpoint))
    image = f"{host}/{name}:v1"
    context = build_context(tmp_path / "ctx", {"hello.txt": "hello from podman\n"}, name="Containerfile")
    podman.ok("build", "-t", image, str(context))
    image_id = podman.ok("image", "inspect", "--format", "{{.Id}}", image).stdout.strip()
    digest_file = tmp_path / "digest"
    podman.ok("push", "--tls-verify=false", "--digestfile", str(digest_file), image)
    digest = digest_file.read_text().strip()

    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert detail["imageDigest"] == digest
    assert detail["imageTags"] == ["v1"]
    stored = manifest_bytes(ecr, name, digest)
    assert sha256_digest(stored) == digest
    manifest = json.loads(stored)
    assert detail["imageManifestMediaType"] == manifest["mediaType"]
    assert detail["imageSizeInBytes"] == declared_size(manifest)
    assert manifest["config"]["digest"] == "sha256:" + image_id

    podman.ok("rmi", image)
    assert podman.fails("image", "exists", image) == ""
    podman.ok("pull", "--tls-verify=false", image)
    assert podman.ok("image", "inspect", "--format", "{{.Id}}", image).stdout.strip() == image_id
    assert podman.ok("image", "inspect", "--format", "{{.Digest}}", image).stdout.strip() == digest


# --- skopeo ---------------------------------------------------------------------------------


def test_skopeo_multi_layer_image_in_inspect_out_delete(endpoint, ecr, tmp_path):
    name = "clients/skopeo-app"
    ecr.create_repository(repositoryName=name)
    skopeo = Skopeo(endpoint, login_password(endpoint))
    written = OciLayout(tmp_path / "in")
    image = written.image(
        [{"etc/one": b"one\n" * 100}, {"usr/two": b"two\n" * 2000}, {"var/three": bytes(range(256)) * 64}],
        label="multi-layer",
    )
    written.tag(image, "v1")
    skopeo.copy_in(written, "v1", name, "v1")

    manifest = json.loads(written.blob_bytes(image["digest"]))
    # skopeo reads back the bytes it wrote, and the JSON API holds the same image.
    assert skopeo.inspect_raw(name, "v1") == written.blob_bytes(image["digest"])
    inspected = skopeo.inspect(name, "v1")
    assert inspected["Digest"] == image["digest"]
    assert inspected["Layers"] == [layer["digest"] for layer in manifest["layers"]]
    assert inspected["Labels"] == {"berth.test": "multi-layer"}
    detail = images_of(ecr, name)[image["digest"]]
    assert detail["imageTags"] == ["v1"]
    assert detail["imageManifestMediaType"] == OCI_MANIFEST
    assert detail["artifactMediaType"] == OCI_CONFIG
    assert detail["imageSizeInBytes"] == declared_size(manifest)
    assert manifest_bytes(ecr, name, image["digest"]) == written.blob_bytes(image["digest"])

    copied = OciLayout(tmp_path / "out")
    skopeo.copy_out(name, "v1", copied.root, "v1")
    assert copied.ref("v1")["digest"] == image["digest"]
    assert_same_blobs(written, copied, layout_blobs(written, image))

    skopeo.delete(name, "v1")
    output = subprocess.run(skopeo.inspect_args(name, image["digest"], "--raw"), capture_output=True, text=True,
                            timeout=TOOL_TIMEOUT).stderr
    assert "manifest unknown" in output, output
    assert images_of(ecr, name) == {}


def test_skopeo_index_with_two_platforms(endpoint, ecr, tmp_path):
    name = "clients/multi-arch"
    ecr.create_repository(repositoryName=name)
    skopeo = Skopeo(endpoint, login_password(endpoint))
    written = OciLayout(tmp_path / "in")
    amd64 = written.image([{"arch": b"amd64\n"}, {"common": b"shared\n"}], "amd64")
    arm64 = written.image([{"arch": b"arm64\n"}, {"common": b"shared\n"}], "arm64")
    index = written.index([amd64, arm64])
    written.tag(index, "multi")
    skopeo.copy_in(written, "multi", name, "multi", "--all")

    assert skopeo.inspect_raw(name, "multi") == written.blob_bytes(index["digest"])
    for platform in (amd64, arm64):
        arch = platform["platform"]["architecture"]
        chosen = skopeo.inspect(name, "multi", "--override-os", "linux", "--override-arch", arch)
        assert chosen["Architecture"] == arch
        child = json.loads(written.blob_bytes(platform["digest"]))
        assert chosen["Layers"] == [layer["digest"] for layer in child["layers"]]
        assert skopeo.inspect_raw(name, platform["digest"]) == written.blob_bytes(platform["digest"])

    # One state: the index is the tagged image, each platform's manifest an untagged one.
    details = images_of(ecr, name)
    assert set(details) == {index["digest"], amd64["digest"], arm64["digest"]}
    assert details[index["digest"]]["imageTags"] == ["multi"]
    assert details[index["digest"]]["imageManifestMediaType"] == OCI_INDEX
    for platform in (amd64, arm64):
        assert "imageTags" not in details[platform["digest"]]
        assert details[platform["digest"]]["imageManifestMediaType"] == OCI_MANIFEST
        child = json.loads(written.blob_bytes(platform["digest"]))
        assert details[platform["digest"]]["imageSizeInBytes"] == declared_size(child)

    copied = OciLayout(tmp_path / "out")
    skopeo.copy_out(name, "multi", copied.root, "multi", "--all")
    assert copied.ref("multi")["digest"] == index["digest"]
    assert_same_blobs(written, copied, layout_blobs(written, index))

    # A platform's manifest cannot go while the index names it (§14), and nothing goes.
    result = subprocess.run(
        [skopeo.binary, "delete", "--tls-verify=false", "--creds", skopeo.creds, skopeo.ref(name, arm64["digest"])],
        capture_output=True, text=True, timeout=TOOL_TIMEOUT,
    )
    assert result.returncode != 0, result.stdout
    assert "Requested image referenced by manifest list" in result.stderr, result.stderr
    assert set(images_of(ecr, name)) == {index["digest"], amd64["digest"], arm64["digest"]}
    # Once the index is gone, it can.
    skopeo.delete(name, "multi")
    skopeo.delete(name, arm64["digest"])
    assert set(images_of(ecr, name)) == {amd64["digest"]}


def test_artifact_with_subject_found_through_the_referrers_api(endpoint, ecr, tmp_path):
    name = "clients/attested"
    ecr.create_repository(repositoryName=name)
    password = login_password(endpoint)
    skopeo = Skopeo(endpoint, password)
    written = OciLayout(tmp_path / "in")
    image = written.image([{"app": b"the application\n"}])
    written.tag(image, "v1")
    artifact = written.artifact(SBOM, b'{"packages":["berth"]}', image)
    written.tag(artifact, "v1-sbom")
    skopeo.copy_in(written, "v1", name, "v1")
    skopeo.copy_in(written, "v1-sbom", name, "v1-sbom")
    assert skopeo.inspect_raw(name, "v1-sbom") == written.blob_bytes(artifact["digest"])
    stored = json.loads(written.blob_bytes(artifact["digest"]))

    # GET /v2/<name>/referrers/<digest> (OCI 1.1): an image index of the referrers'
    # descriptors, with their artifactType and annotations.
    path = f"/v2/{name}/referrers/{image['digest']}"
    status, headers, body = registry_request(endpoint, "GET", path, password)
    assert status == 200, body
    assert headers["Content-Type"].split(";")[0] == OCI_INDEX
    referrers = json.loads(body)
    assert referrers["schemaVersion"] == 2 and referrers["mediaType"] == OCI_INDEX
    assert referrers["manifests"] == [
        {
            "mediaType": OCI_MANIFEST,
            "digest": artifact["digest"],
            "size": artifact["size"],
            "artifactType": SBOM,
            "annotations": stored["annotations"],
        }
    ]
    # Filtered by artifactType: the filter is applied, and said to be.
    status, headers, body = registry_request(endpoint, "GET", f"{path}?artifactType={SBOM}", password)
    assert status == 200 and [m["digest"] for m in json.loads(body)["manifests"]] == [artifact["digest"]]
    assert headers.get("OCI-Filters-Applied") == "artifactType"
    status, headers, body = registry_request(endpoint, "GET", f"{path}?artifactType=application/x-other", password)
    assert status == 200 and json.loads(body)["manifests"] == []
    assert headers.get("OCI-Filters-Applied") == "artifactType"
    # A digest nothing refers to: an empty index, not an error.
    status, _, body = registry_request(endpoint, "GET", f"/v2/{name}/referrers/{artifact['digest']}", password)
    assert status == 200 and json.loads(body)["manifests"] == []

    # A second referrer through a raw manifest PUT (its blobs are in the repository): the
    # answer names the subject in OCI-Subject.
    second = dict(stored, annotations={"org.opencontainers.image.created": "2026-02-02T00:00:00Z"})
    second_bytes = json.dumps(second, separators=(",", ":")).encode()
    status, headers, body = registry_request(
        endpoint, "PUT", f"/v2/{name}/manifests/v1-sbom-2", password,
        headers={"Content-Type": OCI_MANIFEST}, body=second_bytes,
    )
    assert status == 201, body
    assert headers["Docker-Content-Digest"] == sha256_digest(second_bytes)
    assert headers["OCI-Subject"] == image["digest"]
    _, _, body = registry_request(endpoint, "GET", path, password)
    assert {m["digest"] for m in json.loads(body)["manifests"]} == {artifact["digest"], sha256_digest(second_bytes)}

    # The JSON API sees the same referrers (ListImageReferrers, DescribeImages).
    listed = ecr.list_image_referrers(repositoryName=name, subjectId={"imageDigest": image["digest"]})["referrers"]
    assert {(r["digest"], r["artifactType"]) for r in listed} == {
        (artifact["digest"], SBOM),
        (sha256_digest(second_bytes), SBOM),
    }
    detail = images_of(ecr, name)[artifact["digest"]]
    assert detail["subjectManifestDigest"] == image["digest"]
    assert detail["artifactMediaType"] == SBOM


def test_registry_challenges_without_credentials(endpoint):
    """What a client meets first (§14): 401 with ECR's Basic challenge, OCI-shaped body."""
    status, headers, body = registry_request(endpoint, "GET", "/v2/")
    assert status == 401
    assert headers["WWW-Authenticate"] == (
        f'Basic realm="https://{DEFAULT_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"'
    )
    assert headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert json.loads(body)["errors"][0]["code"] == "UNAUTHORIZED"
    status, headers, body = registry_request(endpoint, "GET", "/v2/", login_password(endpoint))
    assert status == 200 and json.loads(body) == {}


# --- accounts and regions -------------------------------------------------------------------


def test_docker_push_with_an_eu_west_1_password_lands_in_that_registry_only(endpoint, host, docker, tmp_path):
    name = "clients/regional"
    home_a = make_client(endpoint, ACCOUNT_A, "eu-west-1")
    home_a.create_repository(repositoryName=name)
    # The same name in the default registry and in account A's us-east-1: both must stay empty.
    default = make_client(endpoint)
    default.create_repository(repositoryName=name)
    a_us = make_client(endpoint, ACCOUNT_A, "us-east-1")
    a_us.create_repository(repositoryName=name)

    cli = cli_v2(endpoint, tmp_path / "aws", key=ACCOUNT_A)  # configured for us-east-1
    docker_login_from_cli(docker, cli, host, "eu-west-1")
    image = f"{host}/{name}:v1"
    docker.ok("build", "-t", image, str(build_context(tmp_path / "ctx", {"a.txt": "eu-west-1\n"})))
    try:
        digest, _ = pushed_digest(docker.ok("push", image).stdout, "v1")
    finally:
        docker.remove(image)

    [detail] = home_a.describe_images(repositoryName=name)["imageDetails"]
    assert (detail["registryId"], detail["imageDigest"], detail["imageTags"]) == (ACCOUNT_A, digest, ["v1"])
    assert default.describe_images(repositoryName=name)["imageDetails"] == []
    assert a_us.describe_images(repositoryName=name)["imageDetails"] == []


def test_skopeo_push_with_another_accounts_token_lands_in_that_account_only(endpoint, ecr, tmp_path):
    name = "clients/accounts"
    account_b = make_client(endpoint, ACCOUNT_B)
    account_b.create_repository(repositoryName=name)
    skopeo = Skopeo(endpoint, login_password(endpoint, ACCOUNT_B))
    written = OciLayout(tmp_path / "in")
    image = written.image([{"who": b"account b\n"}])
    written.tag(image, "v1")
    skopeo.copy_in(written, "v1", name, "v1")

    assert set(images_of(account_b, name)) == {image["digest"]}
    # The default registry has no such repository at all.
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_images(repositoryName=name)
    assert error_of(excinfo)[:2] == ("RepositoryNotFoundException", not_found(name))

    # A repository only the default account has is unknown to account B's password, in B's
    # words.
    ecr.create_repository(repositoryName="clients/default-only")
    result = subprocess.run(
        [skopeo.binary, "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", skopeo.creds,
         f"oci:{written.root}:v1", skopeo.ref("clients/default-only", "v1")],
        capture_output=True, text=True, timeout=TOOL_TIMEOUT,
    )
    assert result.returncode != 0
    assert f"name unknown: {not_found('clients/default-only', ACCOUNT_B)}" in result.stderr, result.stderr
    assert ecr.describe_images(repositoryName="clients/default-only")["imageDetails"] == []
