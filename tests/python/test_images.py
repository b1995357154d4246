"""Images and layers through real clients against the `berth` binary: boto3 (its own
validation off where Berth's checks must answer) and the AWS CLI v1 (`put-image
--image-manifest`, `batch-get-image`, `batch-delete-image`, `list-images` and
`describe-images` with their paginators and `--query`).

Expected values come from shared/docs/ecr-behaviour-images.md; every digest is computed here
with hashlib from the bytes the test sent, never read back from Berth first."""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.request

import pytest

from support import DEFAULT_ACCOUNT, Cli, error_of, make_client, not_found

MIB = 1024 * 1024
PART_SIZE = 10 * MIB
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(ecr, repo: str, data: bytes, part_size: int = PART_SIZE) -> str:
    """Uploads `data` through the layer API in parts of `part_size`; its digest."""
    upload = ecr.initiate_layer_upload(repositoryName=repo)
    assert upload["partSize"] == PART_SIZE
    upload_id = upload["uploadId"]
    assert upload_id == upload_id.lower() and len(upload_id) == 36
    for first in range(0, len(data), part_size):
        part = data[first:first + part_size]
        answer = ecr.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=first,
            partLastByte=first + len(part) - 1, layerPartBlob=part,
        )
        assert answer["lastByteReceived"] == first + len(part) - 1
        assert answer["uploadId"] == upload_id
    digest = sha256(data)
    done = ecr.complete_layer_upload(repositoryName=repo, uploadId=upload_id, layerDigests=[digest])
    assert done["layerDigest"] == digest
    assert (done["repositoryName"], done["registryId"]) == (repo, DEFAULT_ACCOUNT)
    return digest


def docker_manifest(config: bytes, layers: list[bytes]) -> str:
    """A schema 2 manifest, spelled with indentation and a trailing newline so that a
    re-serialising server would change its digest."""
    document = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": sha256(config)},
        "layers": [{"mediaType": DOCKER_LAYER, "size": len(layer), "digest": sha256(layer)} for layer in layers],
    }
    return json.dumps(document, indent=3) + "\n"


def simple_image(ecr, repo: str, seed: str) -> tuple[str, str]:
    """Pushes a one-layer image whose content depends on `seed`; (manifest, digest)."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "seed": seed}).encode()
    layer = f"layer for {seed}".encode()
    push_blob(ecr, repo, config)
    push_blob(ecr, repo, layer)
    manifest = docker_manifest(config, [layer])
    return manifest, sha256(manifest.encode())


@pytest.fixture
def raw(endpoint):
    """boto3 with its own validation off, so Berth's checks answer."""
    return make_client(endpoint, validate=False)


def test_layers_up_and_an_image_back_byte_for_byte(ecr, endpoint):
    ecr.create_repository(repositoryName="e2e/app")
    rng = os.urandom
    layer = rng(2 * PART_SIZE + 3 * MIB)  # three parts: 10 MiB, 10 MiB, 3 MiB
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"}}).encode()
    layer_digest = push_blob(ecr, "e2e/app", layer)
    config_digest = push_blob(ecr, "e2e/app", config)
    assert layer_digest == sha256(layer)

    # Available before any manifest names them: size, no media type yet.
    checked = ecr.batch_check_layer_availability(
        repositoryName="e2e/app", layerDigests=[layer_digest, config_digest, sha256(b"absent"), "not-a-digest"])
    assert [entry["layerDigest"] for entry in checked["layers"]] == [layer_digest, config_digest]
    assert checked["layers"][0]["layerAvailability"] == "AVAILABLE"
    assert checked["layers"][0]["layerSize"] == len(layer)
    assert "mediaType" not in checked["layers"][0]
    assert [(f["layerDigest"], f["failureCode"]) for f in checked["failures"]] == [
        (sha256(b"absent"), "MissingLayerDigest"), ("not-a-digest", "InvalidLayerDigest")]

    manifest = docker_manifest(config, [layer])
    digest = sha256(manifest.encode())
    before = time.time()
    put = ecr.put_image(repositoryName="e2e/app", imageManifest=manifest, imageTag="v1")["image"]
    assert put["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    assert put["imageManifest"] == manifest
    assert put["registryId"] == DEFAULT_ACCOUNT and put["repositoryName"] == "e2e/app"
    assert put["imageManifestMediaType"] == DOCKER_MANIFEST

    got = ecr.batch_get_image(repositoryName="e2e/app", imageIds=[{"imageTag": "v1"}])
    assert got["failures"] == []
    [image] = got["images"]
    assert image["imageManifest"] == manifest
    assert image["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    assert image["imageManifestMediaType"] == DOCKER_MANIFEST

    [detail] = ecr.describe_images(repositoryName="e2e/app")["imageDetails"]
    assert detail["imageDigest"] == digest
    assert detail["imageTags"] == ["v1"]
    assert detail["imageSizeInBytes"] == len(config) + len(layer)
    assert detail["imageManifestMediaType"] == DOCKER_MANIFEST
    assert detail["artifactMediaType"] == DOCKER_CONFIG
    assert detail["registryId"] == DEFAULT_ACCOUNT and detail["repositoryName"] == "e2e/app"
    assert before - 1 <= detail["imagePushedAt"].timestamp() <= time.time() + 1
    assert detail["lastRecordedPullTime"].timestamp() >= detail["imagePushedAt"].timestamp() - 1

    # Now a manifest names them: their media types are reported.
    checked = ecr.batch_check_layer_availability(repositoryName="e2e/app", layerDigests=[layer_digest, config_digest])
    assert [entry.get("mediaType") for entry in checked["layers"]] == [DOCKER_LAYER, DOCKER_CONFIG]

    # The download URL serves the exact bytes to a plain GET, on the host the client used.
    url = ecr.get_download_url_for_layer(repositoryName="e2e/app", layerDigest=layer_digest)
    assert url["layerDigest"] == layer_digest
    assert url["downloadUrl"].startswith(endpoint + "/"), url["downloadUrl"]
    with urllib.request.urlopen(url["downloadUrl"], timeout=60) as response:
        assert response.status == 200
        assert response.read() == layer

    assert ecr.list_images(repositoryName="e2e/app")["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]


def test_layer_upload_rules(raw):
    raw.create_repository(repositoryName="parts")
    upload_id = raw.initiate_layer_upload(repositoryName="parts")["uploadId"]
    small = b"x" * 1000

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.upload_layer_part(repositoryName="parts", uploadId=upload_id, partFirstByte=5, partLastByte=1004,
                              layerPartBlob=small)
    assert error_of(excinfo)[0] == "InvalidLayerPartException"
    assert "lastValidByteReceived" not in excinfo.value.response, "absent before any part"

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.complete_layer_upload(repositoryName="parts", uploadId=upload_id, layerDigests=[sha256(b"")])
    assert error_of(excinfo)[0] == "EmptyUploadException"

    # A part whose byte range disagrees with its length is refused; the upload is untouched.
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.upload_layer_part(repositoryName="parts", uploadId=upload_id, partFirstByte=0, partLastByte=998,
                              layerPartBlob=small)
    assert error_of(excinfo)[0] == "InvalidLayerPartException"

    raw.upload_layer_part(repositoryName="parts", uploadId=upload_id, partFirstByte=0, partLastByte=999,
                          layerPartBlob=small)
    # A second small part: allowed now, refused at completion (every part but the last ≥ 5 MiB).
    raw.upload_layer_part(repositoryName="parts", uploadId=upload_id, partFirstByte=1000, partLastByte=1999,
                          layerPartBlob=small)
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.complete_layer_upload(repositoryName="parts", uploadId=upload_id, layerDigests=[sha256(small * 2)])
    assert error_of(excinfo)[0] == "LayerPartTooSmallException"

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.upload_layer_part(repositoryName="parts", uploadId="00000000-0000-0000-0000-000000000000",
                              partFirstByte=0, partLastByte=999, layerPartBlob=small)
    assert error_of(excinfo)[0] == "UploadNotFoundException"

    # A digest that does not match the bytes: InvalidLayer, and the upload is gone.
    single = raw.initiate_layer_upload(repositoryName="parts")["uploadId"]
    raw.upload_layer_part(repositoryName="parts", uploadId=single, partFirstByte=0, partLastByte=999,
                          layerPartBlob=small)
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.complete_layer_upload(repositoryName="parts", uploadId=single, layerDigests=[sha256(b"other")])
    assert error_of(excinfo)[0] == "InvalidLayerException"
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.complete_layer_upload(repositoryName="parts", uploadId=single, layerDigests=[sha256(small)])
    assert error_of(excinfo)[0] == "UploadNotFoundException"
    checked = raw.batch_check_layer_availability(repositoryName="parts", layerDigests=[sha256(small)])
    assert checked["layers"] == [] and checked["failures"][0]["failureCode"] == "MissingLayerDigest"

    # An upload of one repository is unknown to another.
    raw.create_repository(repositoryName="elsewhere")
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.upload_layer_part(repositoryName="elsewhere", uploadId=upload_id, partFirstByte=2000,
                              partLastByte=2999, layerPartBlob=small)
    assert error_of(excinfo)[0] == "UploadNotFoundException"

    # Bodies over 20 MiB are the model's length error, not a 413.
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.upload_layer_part(repositoryName="parts", uploadId=upload_id, partFirstByte=2000,
                              partLastByte=2000 + 20 * MIB, layerPartBlob=b"y" * (20 * MIB + 1))
    code, message, _ = error_of(excinfo)
    assert code == "InvalidParameterException"
    assert "layerPartBlob" in message


def test_put_image_refusals_store_nothing(ecr, raw):
    ecr.create_repository(repositoryName="refusals")
    config = b'{"os":"linux"}'
    push_blob(ecr, "refusals", config)
    missing = b"never uploaded"
    manifest = docker_manifest(config, [missing])

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="refusals", imageManifest=manifest, imageTag="v1")
    code, message, _ = error_of(excinfo)
    assert code == "LayersNotFoundException"
    assert message == (f"Layers with digests '[{sha256(missing)}]' required for pushing image into repository "
                       f"with name 'refusals' in the registry with id '{DEFAULT_ACCOUNT}' do not exist")

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="refusals", imageManifest="not json", imageTag="v1")
    assert error_of(excinfo)[:2] == (
        "InvalidParameterException",
        "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'")

    # An OCI manifest without a mediaType, and none given: the same text.
    no_type = json.dumps({"schemaVersion": 2, "config": {"mediaType": OCI_CONFIG, "size": len(config),
                                                          "digest": sha256(config)}, "layers": []})
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="refusals", imageManifest=no_type, imageTag="v1")
    assert error_of(excinfo)[1] == "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"
    # ... which succeeds once the media type is passed.
    passed = raw.put_image(repositoryName="refusals", imageManifest=no_type, imageManifestMediaType=OCI_MANIFEST,
                           imageTag="oci")["image"]
    assert passed["imageId"]["imageDigest"] == sha256(no_type.encode())

    good = docker_manifest(config, [])
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="refusals", imageManifest=good, imageDigest=sha256(b"other"), imageTag="v2")
    assert error_of(excinfo)[0] == "ImageDigestDoesNotMatchException"

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="refusals", imageManifest=good, imageTag="bad tag!")
    assert error_of(excinfo)[1] == (
        "Invalid parameter at 'imageTag' failed to satisfy constraint: "
        "'must satisfy regular expression '[a-zA-Z0-9-_.]+''")

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="nope", imageManifest=good, imageTag="v1")
    assert error_of(excinfo)[:2] == ("RepositoryNotFoundException", not_found("nope"))

    # Only the OCI image with its media type was stored.
    details = ecr.describe_images(repositoryName="refusals")["imageDetails"]
    assert [(d["imageDigest"], d.get("imageTags")) for d in details] == [(sha256(no_type.encode()), ["oci"])]


def test_tags_move_retag_and_already_exists(ecr, raw):
    ecr.create_repository(repositoryName="tags")
    first, first_digest = simple_image(ecr, "tags", "one")
    second, second_digest = simple_image(ecr, "tags", "two")
    ecr.put_image(repositoryName="tags", imageManifest=first, imageTag="latest")
    pushed_at = ecr.describe_images(repositoryName="tags")["imageDetails"][0]["imagePushedAt"]

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="tags", imageManifest=first, imageTag="latest")
    assert error_of(excinfo)[:2] == (
        "ImageAlreadyExistsException",
        f"Image with digest '{first_digest}' and tag 'latest' already exists in the repository with name 'tags' "
        f"in registry with id '{DEFAULT_ACCOUNT}'")

    time.sleep(0.01)
    ecr.put_image(repositoryName="tags", imageManifest=first, imageTag="v1")  # a re-tag
    ecr.put_image(repositoryName="tags", imageManifest=second, imageTag="latest")  # the tag moves
    details = {d["imageDigest"]: d for d in ecr.describe_images(repositoryName="tags")["imageDetails"]}
    assert details[first_digest]["imageTags"] == ["v1"]
    assert details[first_digest]["imagePushedAt"] == pushed_at
    assert details[second_digest]["imageTags"] == ["latest"]

    # Deleting by tag removes the tag; the image goes with its last tag.
    deleted = ecr.batch_delete_image(repositoryName="tags", imageIds=[{"imageTag": "v1"}, {"imageTag": "missing"}])
    assert deleted["imageIds"] == [{"imageDigest": first_digest, "imageTag": "v1"}]
    assert deleted["failures"] == [{"imageId": {"imageTag": "missing"}, "failureCode": "ImageNotFound",
                                    "failureReason": "Requested image not found"}]
    assert [d["imageDigest"] for d in ecr.describe_images(repositoryName="tags")["imageDetails"]] == [second_digest]


def test_immutable_tags_with_exclusions(ecr, raw):
    ecr.create_repository(
        repositoryName="frozen", imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev-*"}])
    first, _ = simple_image(ecr, "frozen", "one")
    second, second_digest = simple_image(ecr, "frozen", "two")
    ecr.put_image(repositoryName="frozen", imageManifest=first, imageTag="v1")
    ecr.put_image(repositoryName="frozen", imageManifest=first, imageTag="dev-1")
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="frozen", imageManifest=second, imageTag="v1")
    assert error_of(excinfo)[:2] == (
        "ImageTagAlreadyExistsException",
        "The image tag 'v1' already exists in the 'frozen' repository and cannot be overwritten because the tag "
        "is immutable.")
    ecr.put_image(repositoryName="frozen", imageManifest=second, imageTag="dev-1")  # excluded: it moves
    tagged = ecr.batch_get_image(repositoryName="frozen", imageIds=[{"imageTag": "dev-1"}])["images"]
    assert tagged[0]["imageId"]["imageDigest"] == second_digest


def test_indexes_protect_their_children_and_deletes_need_force(ecr, raw):
    ecr.create_repository(repositoryName="multi")
    amd, amd_digest = simple_image(ecr, "multi", "amd64")
    ecr.put_image(repositoryName="multi", imageManifest=amd)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": DOCKER_MANIFEST, "size": len(amd), "digest": amd_digest,
         "platform": {"architecture": "amd64", "os": "linux"}}]})
    index_digest = ecr.put_image(repositoryName="multi", imageManifest=index, imageTag="v1")["image"]["imageId"][
        "imageDigest"]
    assert index_digest == sha256(index.encode())

    refused = ecr.batch_delete_image(repositoryName="multi", imageIds=[{"imageDigest": amd_digest}])
    assert refused["imageIds"] == []
    assert refused["failures"] == [{
        "imageId": {"imageDigest": amd_digest}, "failureCode": "ImageReferencedByManifestList",
        "failureReason": f"Requested image referenced by manifest list: [{index_digest}]"}]

    dangling = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": DOCKER_MANIFEST, "size": 1, "digest": sha256(b"absent")}]})
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="multi", imageManifest=dangling)
    assert error_of(excinfo)[0] == "ReferencedImagesNotFoundException"

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.delete_repository(repositoryName="multi")
    assert error_of(excinfo)[:2] == (
        "RepositoryNotEmptyException",
        f"The repository with name 'multi' in registry with id '{DEFAULT_ACCOUNT}' cannot be deleted because it "
        "still contains images")
    ecr.delete_repository(repositoryName="multi", force=True)
    ecr.create_repository(repositoryName="multi")
    assert ecr.list_images(repositoryName="multi")["imageIds"] == []


def test_describe_images_by_id_and_its_errors(ecr, raw):
    ecr.create_repository(repositoryName="ids")
    manifest, digest = simple_image(ecr, "ids", "one")
    ecr.put_image(repositoryName="ids", imageManifest=manifest, imageTag="v1")
    [detail] = ecr.describe_images(repositoryName="ids", imageIds=[{"imageTag": "v1"}, {"imageDigest": digest}])[
        "imageDetails"]
    assert detail["imageDigest"] == digest

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.describe_images(repositoryName="ids", imageIds=[{"imageTag": "v2"}])
    assert error_of(excinfo)[:2] == (
        "ImageNotFoundException",
        "The image with imageId {imageDigest:'null', imageTag:'v2'} does not exist within the repository with name "
        f"'ids' in the registry with id '{DEFAULT_ACCOUNT}'")

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.describe_images(repositoryName="ids", imageIds=[{"imageTag": "v1"}], maxResults=5)
    assert error_of(excinfo)[0] == "InvalidParameterException"

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.list_images(repositoryName="ids", nextToken="not-a-berth-token")
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_batch_get_failures_in_request_order(ecr, raw):
    ecr.create_repository(repositoryName="get")
    manifest, digest = simple_image(ecr, "get", "one")
    ecr.put_image(repositoryName="get", imageManifest=manifest, imageTag="v1")
    other = sha256(b"other")
    got = raw.batch_get_image(repositoryName="get", imageIds=[
        {"imageDigest": digest, "imageTag": "v1"},
        {"imageDigest": other, "imageTag": "v1"},
        {"imageDigest": "sha256:zz"},
        {},
        {"imageTag": "nope"},
    ])
    assert [image["imageId"] for image in got["images"]] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert [(f["imageId"], f["failureCode"], f["failureReason"]) for f in got["failures"]] == [
        ({"imageDigest": other, "imageTag": "v1"}, "ImageTagDoesNotMatchDigest",
         "Invalid request parameters: given tag does not map to the given digest"),
        ({"imageDigest": "sha256:zz"}, "InvalidImageDigest",
         "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"),
        ({}, "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"),
        ({"imageTag": "nope"}, "ImageNotFound", "Requested image not found"),
    ]


def test_a_thousand_and_first_tag_is_refused(ecr, raw):
    ecr.create_repository(repositoryName="many")
    manifest, digest = simple_image(ecr, "many", "one")
    for n in range(1000):
        ecr.put_image(repositoryName="many", imageManifest=manifest, imageTag=f"t{n}")
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_image(repositoryName="many", imageManifest=manifest, imageTag="t1000")
    assert error_of(excinfo)[:2] == (
        "LimitExceededException",
        "Adding tag 't1000' to an image in the repository with name 'many' in registry with id "
        f"'{DEFAULT_ACCOUNT}' exceeds the maximum allowed number of tags per image which is '1000'")
    [detail] = ecr.describe_images(repositoryName="many")["imageDetails"]
    assert len(detail["imageTags"]) == 1000 and "t1000" not in detail["imageTags"]


# --- the AWS CLI v1 -----------------------------------------------------------------------

@pytest.fixture
def cli(endpoint) -> Cli:
    return Cli(endpoint)


def test_cli_put_get_list_describe_delete(cli, ecr, tmp_path):
    cli.ok("create-repository", "--repository-name", "cli/images")
    pushed = {}
    for n in range(7):
        manifest, digest = simple_image(ecr, "cli/images", f"image {n}")
        path = tmp_path / f"manifest-{n}.json"
        path.write_text(manifest)
        answer = cli.ok("put-image", "--repository-name", "cli/images", "--image-manifest", f"file://{path}",
                        "--image-tag", f"v{n}")
        assert answer["image"]["imageId"] == {"imageDigest": digest, "imageTag": f"v{n}"}
        assert answer["image"]["imageManifest"] == manifest
        pushed[f"v{n}"] = digest
    # One image with a second tag: list-images has one entry per tag.
    path = tmp_path / "manifest-0.json"
    cli.ok("put-image", "--repository-name", "cli/images", "--image-manifest", f"file://{path}", "--image-tag", "stable")

    # The CLI's paginator follows nextToken through pages of 3.
    listed = cli.ok("list-images", "--repository-name", "cli/images", "--page-size", "3")
    assert sorted((i["imageTag"], i["imageDigest"]) for i in listed["imageIds"]) == sorted(
        list(pushed.items()) + [("stable", pushed["v0"])])
    tags = cli.ok("list-images", "--repository-name", "cli/images", "--page-size", "2", "--filter",
                  "tagStatus=TAGGED", "--query", "imageIds[].imageTag")
    assert sorted(tags) == sorted(list(pushed) + ["stable"])

    sizes = cli.ok("describe-images", "--repository-name", "cli/images", "--page-size", "2", "--query",
                   "imageDetails[].[imageDigest, imageSizeInBytes]")
    assert len(sizes) == 7 and all(size > 0 for _, size in sizes)
    assert {digest for digest, _ in sizes} == set(pushed.values())
    by_tag = cli.ok("describe-images", "--repository-name", "cli/images", "--image-ids", "imageTag=v0",
                    "--query", "imageDetails[0].imageTags")
    assert by_tag == ["v0", "stable"]

    got = cli.ok("batch-get-image", "--repository-name", "cli/images", "--image-ids", "imageTag=v3",
                 "--query", "images[0].imageId.imageDigest")
    assert got == pushed["v3"]

    deleted = cli.ok("batch-delete-image", "--repository-name", "cli/images", "--image-ids",
                     f"imageDigest={pushed['v0']}")
    assert sorted(i["imageTag"] for i in deleted["imageIds"]) == ["stable", "v0"]
    assert deleted["failures"] == []
    cli.fails("delete-repository", "--repository-name", "cli/images", code="RepositoryNotEmptyException",
              operation="DeleteRepository")
    cli.ok("delete-repository", "--repository-name", "cli/images", "--force")
