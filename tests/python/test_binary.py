"""The `berth` binary as users start it: flags and environment variables, the one stdout
line, the admin endpoints beside the API, and a clean stop on SIGTERM."""

from __future__ import annotations

import json

from support import ACCOUNT_A, ROOT, BerthProcess, admin, berth_binary, make_client, repo_arn

BATCH_1 = {
    "CreateRepository", "DeleteRepository", "DescribeRepositories", "PutImageTagMutability",
    "PutImageScanningConfiguration", "SetRepositoryPolicy", "GetRepositoryPolicy", "DeleteRepositoryPolicy",
    "TagResource", "UntagResource", "ListTagsForResource",
}


def model_operation_names() -> set[str]:
    """Every operation of the model, read from the model file itself."""
    model = json.loads((ROOT / "aws-models" / "ecr.json").read_text())
    return {shape_id.split("#")[1] for shape_id, shape in model["shapes"].items() if shape["type"] == "operation"}


def test_default_account_and_region_come_from_the_environment(tmp_path):
    env = {"BERTH_ACCOUNT_ID": "999999999999", "BERTH_REGION": "eu-north-1"}
    server = BerthProcess(berth_binary(), tmp_path / "berth.log", env)
    try:
        # A key that is not 12 digits: the configured default account.
        client = make_client(server.endpoint, key="AKIAIOSFODNN7EXAMPLE", region="ap-northeast-1")
        repo = client.create_repository(repositoryName="env-configured")["repository"]
        assert repo["registryId"] == "999999999999"
        # Signed requests use the region of their credential scope, not the default.
        assert repo["repositoryArn"] == repo_arn("ap-northeast-1", "999999999999", "env-configured")
        # A 12-digit key is that account, whatever the default.
        other = make_client(server.endpoint, key=ACCOUNT_A, region="ap-northeast-1")
        assert other.describe_repositories()["repositories"] == []
    finally:
        code = server.stop()
    assert code == 0, f"berth exits 0 on SIGTERM, got {code}; log:\n{server.log()}"
    assert len(server.stdout_lines) == 1, f"stdout is exactly one line: {server.stdout_lines}"


def test_admin_endpoints_beside_the_api(endpoint, ecr):
    status, health = admin(endpoint, "GET", "/_berth/health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["operations"]["total"] == len(model_operation_names())
    assert health["operations"]["implemented"] >= len(BATCH_1)

    status, body = admin(endpoint, "GET", "/_berth/ecr/operations")
    assert status == 200
    operations = {op["name"]: op["implemented"] for op in body["operations"]}
    assert set(operations) == model_operation_names()
    assert {name for name, implemented in operations.items() if implemented} >= BATCH_1

    ecr.create_repository(repositoryName="listed")
    make_client(endpoint, key=ACCOUNT_A, region="eu-west-1").create_repository(repositoryName="listed")
    status, body = admin(endpoint, "GET", "/_berth/ecr/repositories")
    assert status == 200
    arns = sorted(r["repositoryArn"] for r in body["repositories"])
    assert arns == [repo_arn("eu-west-1", ACCOUNT_A, "listed"), repo_arn("us-east-1", "123456789012", "listed")]

    status, _ = admin(endpoint, "POST", "/_berth/reset")
    assert status == 200
    assert admin(endpoint, "GET", "/_berth/ecr/repositories")[1]["repositories"] == []
    assert ecr.describe_repositories()["repositories"] == []
