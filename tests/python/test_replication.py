"""Replication end to end (ecr-behaviour-registry.md §3) through real clients: account A in
us-east-1 replicates to itself in eu-west-1 and to account B in us-east-1; skopeo pushes into A's
`/v2` registry and pulls the copies back byte for byte from B's and from A-eu-west-1's; the JSON
API's PutImage replicates too; DescribeImageReplicationStatus reports each destination, FAILED
ACCESS_DENIED where B's registry policy does not allow A.

Accounts and regions are the caller's: a 12-digit access key is the account, the client's region
the region (ecr-behaviour.md §2). Expected digests are computed here from the bytes written."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from support import ACCOUNT_A, ACCOUNT_B, OCI_INDEX, OciLayout, Skopeo, error_of, login_password, make_client, not_found
from test_images import docker_manifest, sha256
from test_registry_clients import assert_same_blobs, layout_blobs

EU = "eu-west-1"
US = "us-east-1"
# B's consent to A's copies (AWS's documented cross-account replication policy).
B_ALLOWS_A = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "ReplicationAccessCrossAccount",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
        "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
        "Resource": f"arn:aws:ecr:{US}:{ACCOUNT_B}:repository/*",
    }],
})
DESTINATIONS = [{"region": EU, "registryId": ACCOUNT_A}, {"region": US, "registryId": ACCOUNT_B}]


def push_blob(client, name: str, data: bytes) -> None:
    """One layer through the JSON API's upload in a single part (any account)."""
    upload_id = client.initiate_layer_upload(repositoryName=name)["uploadId"]
    client.upload_layer_part(repositoryName=name, uploadId=upload_id, partFirstByte=0,
                             partLastByte=len(data) - 1, layerPartBlob=data)
    client.complete_layer_upload(repositoryName=name, uploadId=upload_id, layerDigests=[sha256(data)])


def simple_image(client, name: str, seed: str) -> tuple[str, str]:
    """Uploads a one-layer image's blobs whose content depends on `seed`; (manifest, digest)."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "seed": seed}).encode()
    layer = f"layer for {seed}".encode()
    push_blob(client, name, config)
    push_blob(client, name, layer)
    manifest = docker_manifest(config, [layer])
    return manifest, sha256(manifest.encode())


def complete(region: str, account: str) -> dict:
    return {"region": region, "registryId": account, "status": "COMPLETE"}


def access_denied(region: str, account: str) -> dict:
    return {"region": region, "registryId": account, "status": "FAILED", "failureCode": "ACCESS_DENIED"}


@pytest.fixture
def clients(endpoint):
    """(A in us-east-1, A in eu-west-1, B in us-east-1), boto3."""
    return (make_client(endpoint, ACCOUNT_A, US), make_client(endpoint, ACCOUNT_A, EU),
            make_client(endpoint, ACCOUNT_B, US))


def configure(a, filters: list[str] | None = None) -> None:
    rule: dict = {"destinations": DESTINATIONS}
    if filters is not None:
        rule["repositoryFilters"] = [{"filter": f, "filterType": "PREFIX_MATCH"} for f in filters]
    a.put_replication_configuration(replicationConfiguration={"rules": [rule]})


def statuses(client, name: str, image_id: dict) -> list[dict]:
    return client.describe_image_replication_status(repositoryName=name, imageId=image_id)["replicationStatuses"]


def tags_by_digest(client, name: str) -> dict[str, list[str]]:
    details = client.describe_images(repositoryName=name)["imageDetails"]
    return {d["imageDigest"]: sorted(d.get("imageTags", [])) for d in details}


def test_a_skopeo_push_is_pulled_byte_exact_from_both_destinations(endpoint, clients, tmp_path):
    a, a_eu, b = clients
    b.put_registry_policy(policyText=B_ALLOWS_A)
    configure(a, ["app"])
    name = "app/web"
    a.create_repository(repositoryName=name)

    written = OciLayout(tmp_path / "in")
    amd64 = written.image([{"bin/app": b"amd64 build\n" * 50}, {"etc/common": b"shared\n"}], "amd64")
    arm64 = written.image([{"bin/app": b"arm64 build\n" * 50}, {"etc/common": b"shared\n"}], "arm64")
    index = written.index([amd64, arm64])
    written.tag(index, "v1")
    Skopeo(endpoint, login_password(endpoint, ACCOUNT_A, US)).copy_in(written, "v1", name, "v1", "--all")

    expected = {index["digest"]: ["v1"], amd64["digest"]: [], arm64["digest"]: []}
    assert tags_by_digest(a, name) == expected
    for region, account, client in ((EU, ACCOUNT_A, a_eu), (US, ACCOUNT_B, b)):
        # The destination repository was created (defaults) and holds the same images.
        [repository] = client.describe_repositories(repositoryNames=[name])["repositories"]
        assert repository["repositoryArn"] == f"arn:aws:ecr:{region}:{account}:repository/{name}"
        assert repository["imageTagMutability"] == "MUTABLE"
        assert tags_by_digest(client, name) == expected
        skopeo = Skopeo(endpoint, login_password(endpoint, account, region))
        assert skopeo.inspect_raw(name, "v1") == written.blob_bytes(index["digest"])
        copied = OciLayout(tmp_path / f"out-{account}-{region}")
        skopeo.copy_out(name, "v1", copied.root, "v1", "--all")
        assert copied.ref("v1")["digest"] == index["digest"]
        assert_same_blobs(written, copied, layout_blobs(written, index))

    want = [complete(EU, ACCOUNT_A), complete(US, ACCOUNT_B)]
    assert statuses(a, name, {"imageTag": "v1"}) == want
    by_digest = a.describe_image_replication_status(repositoryName=name, imageId={"imageDigest": index["digest"]})
    assert by_digest["imageId"] == {"imageDigest": index["digest"]}
    assert by_digest["replicationStatuses"] == want
    # The copies are not replicated onward, and report nothing themselves.
    assert statuses(b, name, {"imageTag": "v1"}) == []


def test_put_image_replicates_and_a_filter_limits_what(endpoint, clients):
    a, a_eu, b = clients
    b.put_registry_policy(policyText=B_ALLOWS_A)
    configure(a, ["team/"])
    for name in ("team/api", "other"):
        a.create_repository(repositoryName=name)
        manifest, digest = simple_image(a, name, name)
        a.put_image(repositoryName=name, imageManifest=manifest, imageTag="1.0")
        got = statuses(a, name, {"imageDigest": digest})
        if name == "other":
            assert got == []
            for client in (a_eu, b):
                with pytest.raises(ClientError) as excinfo:
                    client.describe_images(repositoryName=name)
                assert error_of(excinfo)[:2] == ("RepositoryNotFoundException", not_found(name, ACCOUNT_A if client is a_eu else ACCOUNT_B))
            continue
        assert got == [complete(EU, ACCOUNT_A), complete(US, ACCOUNT_B)]
        for client in (a_eu, b):
            assert tags_by_digest(client, name) == {digest: ["1.0"]}
            [image] = client.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "1.0"}])["images"]
            assert image["imageManifest"] == manifest
        # A second tag on the same image is replicated too.
        a.put_image(repositoryName=name, imageManifest=manifest, imageTag="latest")
        for client in (a_eu, b):
            assert tags_by_digest(client, name) == {digest: ["1.0", "latest"]}


def test_without_the_destination_policy_the_copy_fails_access_denied(endpoint, clients):
    a, a_eu, b = clients
    configure(a)
    name = "svc"
    a.create_repository(repositoryName=name)
    manifest, digest = simple_image(a, name, "denied")
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
    assert statuses(a, name, {"imageTag": "v1"}) == [complete(EU, ACCOUNT_A), access_denied(US, ACCOUNT_B)]
    with pytest.raises(ClientError) as excinfo:
        b.describe_images(repositoryName=name)
    assert error_of(excinfo)[:2] == ("RepositoryNotFoundException", not_found(name, ACCOUNT_B))
    assert tags_by_digest(a_eu, name) == {digest: ["v1"]}

    # ReplicateImage alone does not let A create B's repository...
    replicate_only = json.loads(B_ALLOWS_A)
    replicate_only["Statement"][0]["Action"] = "ecr:ReplicateImage"
    b.put_registry_policy(policyText=json.dumps(replicate_only))
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="v2")
    assert statuses(a, name, {"imageTag": "v2"})[1] == access_denied(US, ACCOUNT_B)
    # ...but is enough into a repository B already has.
    b.create_repository(repositoryName=name)
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="v3")
    assert statuses(a, name, {"imageTag": "v3"}) == [complete(EU, ACCOUNT_A), complete(US, ACCOUNT_B)]
    assert tags_by_digest(b, name) == {digest: ["v3"]}

    # A Deny for A wins over the Allow.
    denied = json.loads(B_ALLOWS_A)
    denied["Statement"].append({"Effect": "Deny", "Principal": {"AWS": ACCOUNT_A}, "Action": "ecr:*"})
    b.put_registry_policy(policyText=json.dumps(denied))
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="v4")
    assert statuses(a, name, {"imageTag": "v4"})[1] == access_denied(US, ACCOUNT_B)
    assert tags_by_digest(b, name) == {digest: ["v3"]}


def test_an_immutable_tag_in_the_destination_fails_that_copy_only(endpoint, clients):
    a, a_eu, b = clients
    b.put_registry_policy(policyText=B_ALLOWS_A)
    configure(a)
    name = "pinned"
    a.create_repository(repositoryName=name)
    b.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
    first, first_digest = simple_image(b, name, "b's own")
    b.put_image(repositoryName=name, imageManifest=first, imageTag="v1")
    manifest, digest = simple_image(a, name, "a's")
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
    assert statuses(a, name, {"imageTag": "v1"}) == [
        complete(EU, ACCOUNT_A),
        {"region": US, "registryId": ACCOUNT_B, "status": "FAILED", "failureCode": "REPLICATION_FAILED"},
    ]
    # Nothing of the refused copy stayed in B (not even the image without its tag).
    assert tags_by_digest(b, name) == {first_digest: ["v1"]}


def test_replication_is_not_retroactive_and_rules_empty_stops_it(endpoint, clients):
    a, a_eu, _ = clients
    name = "late"
    a.create_repository(repositoryName=name)
    manifest, digest = simple_image(a, name, "before")
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="before")
    a.put_replication_configuration(replicationConfiguration={"rules": [{"destinations": DESTINATIONS[:1]}]})
    assert statuses(a, name, {"imageTag": "before"}) == []
    with pytest.raises(ClientError):
        a_eu.describe_images(repositoryName=name)
    a.put_replication_configuration(replicationConfiguration={"rules": []})
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="after")
    assert statuses(a, name, {"imageTag": "after"}) == []
    assert a.describe_registry()["replicationConfiguration"] == {"rules": []}


def test_a_replication_template_of_the_destination_shapes_the_new_repository(endpoint, clients):
    a, a_eu, b = clients
    b.put_registry_policy(policyText=B_ALLOWS_A)
    configure(a)
    # In A-eu-west-1 a REPLICATION template for `team/`; in B one that applies only to pushes.
    a_eu.create_repository_creation_template(
        prefix="team", appliedFor=["REPLICATION"], imageTagMutability="IMMUTABLE",
        resourceTags=[{"Key": "origin", "Value": "replication"}],
    )
    b.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"],
                                          imageTagMutability="IMMUTABLE")
    name = "team/api"
    a.create_repository(repositoryName=name)
    manifest, digest = simple_image(a, name, "templated")
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
    assert statuses(a, name, {"imageTag": "v1"}) == [complete(EU, ACCOUNT_A), complete(US, ACCOUNT_B)]

    [templated] = a_eu.describe_repositories(repositoryNames=[name])["repositories"]
    assert templated["imageTagMutability"] == "IMMUTABLE"
    tags = a_eu.list_tags_for_resource(resourceArn=templated["repositoryArn"])["tags"]
    assert tags == [{"Key": "origin", "Value": "replication"}]
    [plain] = b.describe_repositories(repositoryNames=[name])["repositories"]
    assert plain["imageTagMutability"] == "MUTABLE"
    assert b.list_tags_for_resource(resourceArn=plain["repositoryArn"])["tags"] == []
    # An existing repository is never reshaped by a template.
    a.put_image(repositoryName=name, imageManifest=manifest, imageTag="v2")
    assert tags_by_digest(a_eu, name) == {digest: ["v1", "v2"]}


def test_settings_policy_configuration_and_statuses_survive_a_kill(tmp_path):
    """With --data-dir everything here is durable: killed (SIGKILL) and restarted, Berth still
    has the settings, the registry policy, the configuration, the copies and the statuses."""
    from support import BerthProcess, berth_binary

    env = {"BERTH_DATA_DIR": str(tmp_path / "data")}
    first = BerthProcess(berth_binary(), tmp_path / "first.log", env)
    try:
        a, b = make_client(first.endpoint, ACCOUNT_A, US), make_client(first.endpoint, ACCOUNT_B, US)
        a.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
        b.put_registry_policy(policyText=B_ALLOWS_A)
        configure(a)
        a.create_repository(repositoryName="kept")
        manifest, digest = simple_image(a, "kept", "durable")
        a.put_image(repositoryName="kept", imageManifest=manifest, imageTag="v1")
    finally:
        first.process.kill()
        first.process.wait()
        first.stop()
    second = BerthProcess(berth_binary(), tmp_path / "second.log", env)
    try:
        a, a_eu, b = (make_client(second.endpoint, ACCOUNT_A, US), make_client(second.endpoint, ACCOUNT_A, EU),
                      make_client(second.endpoint, ACCOUNT_B, US))
        assert a.get_account_setting(name="BLOB_MOUNTING")["value"] == "ENABLED"
        assert b.get_registry_policy()["policyText"] == B_ALLOWS_A
        assert a.describe_registry()["replicationConfiguration"] == {"rules": [{"destinations": DESTINATIONS}]}
        assert statuses(a, "kept", {"imageTag": "v1"}) == [complete(EU, ACCOUNT_A), complete(US, ACCOUNT_B)]
        for client in (a_eu, b):
            assert tags_by_digest(client, "kept") == {digest: ["v1"]}
    finally:
        assert second.stop() == 0
