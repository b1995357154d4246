"""The AWS CLI v1 (`python -m awscli`, installed from PyPI) against the `berth` binary:
a scenario per operation, pagination through the CLI's own paginator, and a Terraform-like
lifecycle. Dummy credentials come from the environment, the endpoint from --endpoint-url.

Expected values come from shared/docs/ecr-behaviour.md."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time

import pytest

from support import (
    Cli,
    ACCOUNT_A,
    ACCOUNT_B,
    DEFAULT_ACCOUNT,
    PLAIN_KEY,
    POLICY,
    SECRET,
    access_denied,
    already_exists,
    clean_aws_env,
    invalid_parameter,
    make_client,
    not_found,
    policy_not_found,
    repo_arn,
    repo_uri,
)

@pytest.fixture
def cli(endpoint) -> Cli:
    return Cli(endpoint)


def assert_defaults(repo: dict, name: str, region: str = "us-east-1", account: str = DEFAULT_ACCOUNT):
    assert repo["registryId"] == account
    assert repo["repositoryName"] == name
    assert repo["repositoryArn"] == repo_arn(region, account, name)
    assert repo["repositoryUri"] == repo_uri(region, account, name)
    assert repo["imageTagMutability"] == "MUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": False}
    assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}
    # The CLI v1 prints timestamps as received: epoch seconds.
    assert isinstance(repo["createdAt"], (int, float))
    assert abs(repo["createdAt"] - time.time()) < 300


def test_cli_is_version_1(cli):
    result = subprocess.run([sys.executable, "-m", "awscli", "--version"], env=cli.env, capture_output=True, text=True)
    assert result.returncode == 0
    assert (result.stdout + result.stderr).startswith("aws-cli/1."), result.stdout + result.stderr


def test_create_repository(cli):
    repo = cli.ok("create-repository", "--repository-name", "cli/app")["repository"]
    assert_defaults(repo, "cli/app")
    cli.fails("create-repository", "--repository-name", "cli/app", code="RepositoryAlreadyExistsException",
              operation="CreateRepository", message=already_exists("cli/app"))
    repo = cli.ok(
        "create-repository", "--repository-name", "cli/configured",
        "--image-tag-mutability", "IMMUTABLE",
        "--image-scanning-configuration", "scanOnPush=true",
        "--encryption-configuration", "encryptionType=KMS",
        "--tags", "Key=env,Value=dev", "Key=team,Value=infra",
    )["repository"]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert repo["encryptionConfiguration"]["kmsKey"].startswith(f"arn:aws:kms:us-east-1:{DEFAULT_ACCOUNT}:key/")


def test_describe_repositories(cli):
    for name in ["b-repo", "a-repo"]:
        cli.ok("create-repository", "--repository-name", name)
    out = cli.ok("describe-repositories")
    assert [r["repositoryName"] for r in out["repositories"]] == ["a-repo", "b-repo"]
    out = cli.ok("describe-repositories", "--repository-names", "b-repo", "a-repo")
    assert [r["repositoryName"] for r in out["repositories"]] == ["b-repo", "a-repo"]
    cli.fails("describe-repositories", "--repository-names", "a-repo", "missing",
              code="RepositoryNotFoundException", operation="DescribeRepositories", message=not_found("missing"))


def test_delete_repository(cli):
    created = cli.ok("create-repository", "--repository-name", "gone")["repository"]
    deleted = cli.ok("delete-repository", "--repository-name", "gone")["repository"]
    assert deleted == created
    cli.fails("delete-repository", "--repository-name", "gone", code="RepositoryNotFoundException",
              operation="DeleteRepository", message=not_found("gone"))
    cli.ok("create-repository", "--repository-name", "gone")
    assert cli.ok("delete-repository", "--repository-name", "gone", "--force")["repository"]["repositoryName"] == "gone"


def test_put_image_tag_mutability(cli):
    cli.ok("create-repository", "--repository-name", "mut")
    out = cli.ok("put-image-tag-mutability", "--repository-name", "mut", "--image-tag-mutability", "IMMUTABLE")
    assert out == {"registryId": DEFAULT_ACCOUNT, "repositoryName": "mut", "imageTagMutability": "IMMUTABLE"}
    out = cli.ok(
        "put-image-tag-mutability", "--repository-name", "mut",
        "--image-tag-mutability", "MUTABLE_WITH_EXCLUSION",
        "--image-tag-mutability-exclusion-filters", "filterType=WILDCARD,filter=release-*",
    )
    assert out["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "release-*"}]
    repo = cli.ok("describe-repositories", "--repository-names", "mut")["repositories"][0]
    assert repo["imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    cli.fails(
        "put-image-tag-mutability", "--repository-name", "mut", "--image-tag-mutability", "IMMUTABLE_WITH_EXCLUSION",
        code="InvalidParameterException", operation="PutImageTagMutability",
        message=invalid_parameter(
            "imageTagMutabilityExclusionFilters",
            "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION",
        ),
    )
    cli.fails("put-image-tag-mutability", "--repository-name", "ghost", "--image-tag-mutability", "MUTABLE",
              code="RepositoryNotFoundException", operation="PutImageTagMutability", message=not_found("ghost"))


def test_put_image_scanning_configuration(cli):
    cli.ok("create-repository", "--repository-name", "scan")
    out = cli.ok("put-image-scanning-configuration", "--repository-name", "scan",
                 "--image-scanning-configuration", "scanOnPush=true")
    assert out == {"registryId": DEFAULT_ACCOUNT, "repositoryName": "scan",
                   "imageScanningConfiguration": {"scanOnPush": True}}
    repo = cli.ok("describe-repositories", "--repository-names", "scan")["repositories"][0]
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    cli.fails("put-image-scanning-configuration", "--repository-name", "ghost",
              "--image-scanning-configuration", "scanOnPush=true",
              code="RepositoryNotFoundException", operation="PutImageScanningConfiguration", message=not_found("ghost"))


def test_repository_policy_commands(cli, tmp_path):
    cli.ok("create-repository", "--repository-name", "pol")
    cli.fails("get-repository-policy", "--repository-name", "pol", code="RepositoryPolicyNotFoundException",
              operation="GetRepositoryPolicy", message=policy_not_found("pol"))
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(POLICY, indent=2))
    out = cli.ok("set-repository-policy", "--repository-name", "pol", "--policy-text", f"file://{policy_file}")
    assert (out["registryId"], out["repositoryName"]) == (DEFAULT_ACCOUNT, "pol")
    assert json.loads(out["policyText"]) == POLICY
    out = cli.ok("get-repository-policy", "--repository-name", "pol")
    assert json.loads(out["policyText"]) == POLICY
    out = cli.ok("delete-repository-policy", "--repository-name", "pol")
    assert json.loads(out["policyText"]) == POLICY
    cli.fails("delete-repository-policy", "--repository-name", "pol", code="RepositoryPolicyNotFoundException",
              operation="DeleteRepositoryPolicy", message=policy_not_found("pol"))
    cli.fails("set-repository-policy", "--repository-name", "pol", "--policy-text", '{"Statement": "nope"}',
              code="InvalidParameterException", operation="SetRepositoryPolicy",
              message=invalid_parameter("PolicyText", "Invalid repository policy provided"))


def test_tag_commands(cli):
    arn = cli.ok("create-repository", "--repository-name", "tags")["repository"]["repositoryArn"]
    assert cli.ok("tag-resource", "--resource-arn", arn, "--tags", "Key=a,Value=1", "Key=b,Value=2") == {}
    out = cli.ok("list-tags-for-resource", "--resource-arn", arn)
    assert sorted(out["tags"], key=lambda t: t["Key"]) == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert cli.ok("untag-resource", "--resource-arn", arn, "--tag-keys", "a", "zzz") == {}
    assert cli.ok("list-tags-for-resource", "--resource-arn", arn)["tags"] == [{"Key": "b", "Value": "2"}]
    cli.fails("tag-resource", "--resource-arn", arn, "--tags", "Key=aws:x,Value=1",
              code="InvalidTagParameterException", operation="TagResource")
    cli.fails("list-tags-for-resource", "--resource-arn", "arn:aws:s3:::bucket", code="InvalidParameterException",
              operation="ListTagsForResource", message=invalid_parameter("resourceArn", "Invalid ARN"))
    other = repo_arn("us-east-1", ACCOUNT_B, "tags")
    cli.fails("untag-resource", "--resource-arn", other, "--tag-keys", "b", code="AccessDeniedException",
              operation="UntagResource", message=access_denied(DEFAULT_ACCOUNT, "UntagResource", other))


def test_accounts_and_regions_through_the_cli(endpoint):
    a_east, a_west, b_east = Cli(endpoint, ACCOUNT_A), Cli(endpoint, ACCOUNT_A, "eu-west-1"), Cli(endpoint, ACCOUNT_B)
    for cli, account, region in [(a_east, ACCOUNT_A, "us-east-1"), (a_west, ACCOUNT_A, "eu-west-1"),
                                 (b_east, ACCOUNT_B, "us-east-1")]:
        assert_defaults(cli.ok("create-repository", "--repository-name", "same")["repository"], "same", region, account)
    assert len(a_east.ok("describe-repositories")["repositories"]) == 1
    # --region on the command line wins over the environment.
    out = a_east.ok("describe-repositories", "--region", "eu-west-1")
    assert out["repositories"][0]["repositoryArn"] == repo_arn("eu-west-1", ACCOUNT_A, "same")
    a_east.fails("describe-repositories", "--registry-id", ACCOUNT_B, code="AccessDeniedException",
                 operation="DescribeRepositories",
                 message=access_denied(ACCOUNT_A, "DescribeRepositories", f"arn:aws:ecr:us-east-1:{ACCOUNT_B}:repository/*"))


def test_pagination_over_250_repositories_with_the_cli_paginator(endpoint, cli):
    # Created with boto3 (fast); listed with the CLI, whose paginator follows nextToken.
    setup = make_client(endpoint)
    expected = {f"fleet/svc-{i:03}" for i in range(250)}
    for name in expected:
        setup.create_repository(repositoryName=name)

    result = cli.run("describe-repositories", "--page-size", "7", debug=True)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    names = [r["repositoryName"] for r in out["repositories"]]
    assert len(names) == 250
    assert set(names) == expected, "exactly the 250 repositories, each once"
    assert names == sorted(names)
    assert "nextToken" not in out and "NextToken" not in out
    # The CLI really paged: one DescribeRepositories request per page of 7.
    requests = result.stderr.count("Making request for OperationModel(name=DescribeRepositories)")
    assert requests == math.ceil(250 / 7), f"{requests} requests"

    # The CLI's own resumable token: --max-items stops mid-page, --starting-token resumes.
    head = cli.ok("describe-repositories", "--page-size", "7", "--max-items", "100")
    assert len(head["repositories"]) == 100
    token = head["NextToken"]
    tail = cli.ok("describe-repositories", "--page-size", "7", "--starting-token", token)
    assert "NextToken" not in tail
    together = [r["repositoryName"] for r in head["repositories"] + tail["repositories"]]
    assert together == sorted(expected)


def test_terraform_like_lifecycle(cli):
    """What `terraform apply` then `terraform destroy` of an aws_ecr_repository with a
    policy and tags does, step by step."""
    name = "tf/service"
    created = cli.ok(
        "create-repository", "--repository-name", name,
        "--image-tag-mutability", "MUTABLE",
        "--image-scanning-configuration", "scanOnPush=false",
        "--encryption-configuration", "encryptionType=AES256",
        "--tags", "Key=Name,Value=service", "Key=ManagedBy,Value=terraform",
    )["repository"]
    assert_defaults(created, name)
    arn = created["repositoryArn"]

    # Read back by name, as the provider does after create and on every refresh.
    described = cli.ok("describe-repositories", "--repository-names", name)["repositories"]
    assert described == [created]
    tags = cli.ok("list-tags-for-resource", "--resource-arn", arn)["tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Name": "service", "ManagedBy": "terraform"}

    # aws_ecr_repository_policy: set, then read back.
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": "*",
                       "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}],
    }
    cli.ok("set-repository-policy", "--repository-name", name, "--policy-text", json.dumps(policy))
    got = cli.ok("get-repository-policy", "--repository-name", name)
    assert (got["registryId"], got["repositoryName"]) == (DEFAULT_ACCOUNT, name)
    assert json.loads(got["policyText"]) == policy

    # Tag change in a later apply: add one, remove one.
    cli.ok("tag-resource", "--resource-arn", arn, "--tags", "Key=Env,Value=prod")
    cli.ok("untag-resource", "--resource-arn", arn, "--tag-keys", "Name")
    tags = cli.ok("list-tags-for-resource", "--resource-arn", arn)["tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"ManagedBy": "terraform", "Env": "prod"}

    # Destroy: policy, then repository; the provider confirms with RepositoryNotFoundException.
    cli.ok("delete-repository-policy", "--repository-name", name)
    deleted = cli.ok("delete-repository", "--repository-name", name)["repository"]
    assert deleted["repositoryArn"] == arn
    cli.fails("describe-repositories", "--repository-names", name, code="RepositoryNotFoundException",
              operation="DescribeRepositories", message=not_found(name))
    cli.fails("get-repository-policy", "--repository-name", name, code="RepositoryNotFoundException",
              operation="GetRepositoryPolicy", message=not_found(name))
    cli.fails("list-tags-for-resource", "--resource-arn", arn, code="RepositoryNotFoundException",
              operation="ListTagsForResource", message=not_found(name))
