"""Create on push with docker (the session's private dockerd, see test_registry_clients.py):
`docker push` of a `FROM scratch` image into a repository that does not exist creates it when
a CREATE_ON_PUSH creation template covers its name, with exactly the template's settings;
without such a template the push fails with `name unknown` as before. Needs root and Debian's
docker.io; a missing tool fails, never skips."""

from __future__ import annotations

import json

import pytest

from support import DEFAULT_ACCOUNT, POLICY, login_password, not_found, repo_arn
from test_registry_clients import build_context, docker, host, pushed_digest  # noqa: F401 (fixtures)

LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "expire untagged after a day",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                          "countUnit": "days", "countNumber": 1},
            "action": {"type": "expire"},
        }
    ]
}
TAGS = [{"Key": "team", "Value": "web"}, {"Key": "created-by", "Value": "push"}]


def test_docker_push_creates_the_repository_a_create_on_push_template_describes(endpoint, host, docker, ecr,
                                                                               tmp_path):
    ecr.create_repository_creation_template(
        prefix="pushed", appliedFor=["CREATE_ON_PUSH"], imageTagMutability="IMMUTABLE",
        resourceTags=TAGS, repositoryPolicy=json.dumps(POLICY), lifecyclePolicy=json.dumps(LIFECYCLE),
    )
    name = "pushed/web"
    docker.ok("login", "-u", "AWS", "--password-stdin", host, input=login_password(endpoint))
    image = f"{host}/{name}:v1"
    docker.ok("build", "-t", image, str(build_context(tmp_path / "ctx", {"a.txt": "created on push\n"})))
    try:
        digest, _ = pushed_digest(docker.ok("push", image).stdout, "v1")
        [repository] = ecr.describe_repositories()["repositories"]
        assert repository["repositoryName"] == name
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert "imageTagMutabilityExclusionFilters" not in repository
        assert repository["encryptionConfiguration"] == {"encryptionType": "AES256"}
        assert repository["imageScanningConfiguration"] == {"scanOnPush": False}
        arn = repo_arn("us-east-1", DEFAULT_ACCOUNT, name)
        assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == TAGS
        assert json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"]) == POLICY
        lifecycle = ecr.get_lifecycle_policy(repositoryName=name)
        assert json.loads(lifecycle["lifecyclePolicyText"]) == LIFECYCLE
        [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
        assert (detail["imageDigest"], detail["imageTags"]) == (digest, ["v1"])
        # The template's IMMUTABLE holds for the next push of the same tag.
        docker.ok("build", "-t", image, str(build_context(tmp_path / "two", {"a.txt": "another\n"})))
        assert "tag invalid" in docker.fails("push", image)
    finally:
        docker.remove(image)


def test_docker_push_without_a_create_on_push_template_is_name_unknown(endpoint, host, docker, ecr, tmp_path):
    # A template for the other actions only, and one for another namespace.
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION", "PULL_THROUGH_CACHE"])
    ecr.create_repository_creation_template(prefix="elsewhere", appliedFor=["CREATE_ON_PUSH"])
    name = "untemplated/app"
    docker.ok("login", "-u", "AWS", "--password-stdin", host, input=login_password(endpoint))
    image = f"{host}/{name}:v1"
    docker.ok("build", "-t", image, str(build_context(tmp_path / "ctx", {"a.txt": "nowhere\n"})))
    try:
        output = docker.fails("push", image)
        assert f"name unknown: {not_found(name)}" in output, output
        assert ecr.describe_repositories()["repositories"] == []
    finally:
        docker.remove(image)
