"""Repository creation templates through boto3 (its own validation off where Berth's checks
must answer) and the AWS CLI v1, against the `berth` binary; and the repositories they shape:
created on a `/v2` push (raw registry requests here; docker in test_create_on_push.py), never
by CreateRepository.

Expected values come from shared/docs/ecr-behaviour-registry.md §6."""

from __future__ import annotations

import gzip
import json
import urllib.request

import pytest

from support import (
    ACCOUNT_A,
    ACCOUNT_B,
    DEFAULT_ACCOUNT,
    POLICY,
    Cli,
    error_of,
    invalid_parameter,
    login_password,
    not_found,
    registry_request,
    repo_arn,
    sha256_digest,
    tar_of,
)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "keep ten",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
            "action": {"type": "expire"},
        }
    ]
}
EXCLUSION = [{"filter": "latest*", "filterType": "WILDCARD"}]
# Members a template shows only when they were set.
OPTIONAL = ("description", "repositoryPolicy", "lifecyclePolicy", "customRoleArn",
            "imageTagMutabilityExclusionFilters")


def template_exists(prefix: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return (f"The repository creation template with prefix '{prefix}' already exists "
            f"in the registry with id '{registry}'")


def template_not_found(prefix: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return (f"The repository creation template with prefix '{prefix}' does not exist "
            f"in the registry with id '{registry}'")


def set_clock(endpoint: str, offset_seconds: int) -> None:
    body = json.dumps({"offsetSeconds": offset_seconds}).encode()
    request = urllib.request.Request(endpoint + "/_berth/clock", method="POST", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture
def raw(ecr_for):
    """boto3 with its own validation off: Berth's validation answers."""
    return ecr_for(validate=False)


@pytest.fixture
def clock(endpoint):
    """Moves Berth's clock for the test; puts it back after."""
    yield lambda seconds: set_clock(endpoint, seconds)
    set_clock(endpoint, 0)


# --- Create ---------------------------------------------------------------------------------


def test_create_gives_the_defaults_and_only_the_members_given(ecr):
    answer = ecr.create_repository_creation_template(prefix="prod", appliedFor=["CREATE_ON_PUSH"])
    assert answer["registryId"] == DEFAULT_ACCOUNT
    template = answer["repositoryCreationTemplate"]
    assert template["prefix"] == "prod"
    assert template["appliedFor"] == ["CREATE_ON_PUSH"]
    assert template["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert template["imageTagMutability"] == "MUTABLE"
    assert template["resourceTags"] == []
    assert template["createdAt"] == template["updatedAt"]
    for member in OPTIONAL:
        assert member not in template, member
    [described] = ecr.describe_repository_creation_templates()["repositoryCreationTemplates"]
    assert described == template


def test_create_echoes_every_member_given(ecr):
    policy = json.dumps(POLICY)
    template = ecr.create_repository_creation_template(
        prefix="team/app",
        description="the team's apps",
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": KMS_KEY},
        resourceTags=[{"Key": "team", "Value": "app"}, {"Key": "cost", "Value": "42"}],
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=EXCLUSION,
        repositoryPolicy=policy,
        lifecyclePolicy=json.dumps(LIFECYCLE),
        appliedFor=["REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH"],
        customRoleArn="arn:aws:iam::123456789012:role/ecr-templates",
    )["repositoryCreationTemplate"]
    assert template["description"] == "the team's apps"
    assert template["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": KMS_KEY}
    assert template["resourceTags"] == [{"Key": "team", "Value": "app"}, {"Key": "cost", "Value": "42"}]
    assert template["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert template["imageTagMutabilityExclusionFilters"] == EXCLUSION
    assert json.loads(template["repositoryPolicy"]) == POLICY
    assert json.loads(template["lifecyclePolicy"]) == LIFECYCLE
    assert template["appliedFor"] == ["REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH"]
    assert template["customRoleArn"] == "arn:aws:iam::123456789012:role/ecr-templates"


def test_a_prefix_is_taken_once_with_or_without_its_trailing_slash(ecr):
    ecr.create_repository_creation_template(prefix="prod", appliedFor=["REPLICATION"])
    for again in ("prod", "prod/"):
        with pytest.raises(ecr.exceptions.TemplateAlreadyExistsException) as excinfo:
            ecr.create_repository_creation_template(prefix=again, appliedFor=["REPLICATION"])
        assert error_of(excinfo)[:2] == ("TemplateAlreadyExistsException", template_exists(again))
    # `production` is another prefix.
    ecr.create_repository_creation_template(prefix="production", appliedFor=["REPLICATION"])
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION"])
    with pytest.raises(ecr.exceptions.TemplateAlreadyExistsException) as excinfo:
        ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"])
    assert error_of(excinfo)[1] == template_exists("ROOT")


@pytest.mark.parametrize(
    "members, code, message",
    [
        ({"repositoryPolicy": "not json"}, "InvalidParameterException",
         invalid_parameter("PolicyText", "Invalid repository policy provided")),
        ({"repositoryPolicy": json.dumps({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "ecr:*"}]})},
         "InvalidParameterException", invalid_parameter("PolicyText", "Invalid repository policy provided")),
        ({"imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"}, "InvalidParameterException",
         invalid_parameter("imageTagMutabilityExclusionFilters",
                           "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as "
                           "IMMUTABLE_WITH_EXCLUSION")),
        ({"imageTagMutability": "MUTABLE", "imageTagMutabilityExclusionFilters": EXCLUSION},
         "InvalidParameterException",
         invalid_parameter("imageTagMutabilityExclusionFilters",
                           "ImageTagMutabilityExclusionFilters can only be set when imageTagMutability is set as "
                           "IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not MUTABLE")),
        ({"encryptionConfiguration": {"encryptionType": "AES256", "kmsKey": KMS_KEY}}, "InvalidParameterException",
         invalid_parameter("encryptionConfiguration.kmsKey",
                           "kmsKey can only be specified when encryptionType is KMS or KMS_DSSE")),
        ({"resourceTags": [{"Key": "aws:reserved", "Value": "x"}]}, "InvalidParameterException", None),
        ({"resourceTags": [{"Key": "k" * 129, "Value": "x"}]}, "InvalidParameterException", None),
        ({"resourceTags": [{"Key": f"k{i}", "Value": "x"} for i in range(51)]}, "InvalidParameterException",
         invalid_parameter("resourceTags", "A repository can have at most 50 tags; this template would give it 51")),
        ({"appliedFor": []}, "InvalidParameterException",
         invalid_parameter("appliedFor", "Member must have length greater than or equal to 1")),
        ({"appliedFor": ["EVERYTHING"]}, "InvalidParameterException",
         invalid_parameter("appliedFor.1.member",
                           "Member must satisfy enum value set: [REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH]")),
        ({"prefix": "Prod"}, "InvalidParameterException", None),
        ({"description": "d" * 257}, "InvalidParameterException",
         invalid_parameter("description", "Member must have length less than or equal to 256")),
        ({"encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/mine"}},
         "InvalidParameterException", None),
        ({"lifecyclePolicy": "not json"}, "InvalidParameterException",
         invalid_parameter("LifecyclePolicyText",
                           "Lifecycle policy validation failure: Could not map policyString into LifecyclePolicy.")),
        ({"lifecyclePolicy": json.dumps({"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                              "countNumber": 1}, "action": {"type": "expire"}}]})},
         "InvalidParameterException",
         invalid_parameter("LifecyclePolicyText", "Lifecycle policy validation failure: "
                           "Rule for tagStatus=ANY must have the lowest priority per storage class.")),
    ],
)
def test_create_checks_the_embedded_settings_as_their_own_operations_do(raw, members, code, message):
    request = {"prefix": "checked", "appliedFor": ["CREATE_ON_PUSH"], **members}
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.create_repository_creation_template(**request)
    got_code, got_message, _ = error_of(excinfo)
    assert got_code == code
    if message is not None:
        assert got_message == message
    else:
        assert "resourceTags" in members or "prefix" in members or "encryptionConfiguration" in members
    if message is None and "resourceTags" in members:
        assert got_message.startswith("Invalid parameter at 'resourceTags.1.member.Key'"), got_message
    # Nothing was stored.
    assert raw.describe_repository_creation_templates()["repositoryCreationTemplates"] == []


def test_a_lifecycle_policy_is_kept_as_put_lifecycle_policy_keeps_it(ecr):
    """Re-serialised (compact, rules by priority), exactly as PutLifecyclePolicy echoes it."""
    two_rules = {"rules": [
        {"rulePriority": 9, "selection": {"countNumber": 3, "countType": "imageCountMoreThan", "tagStatus": "any"},
         "action": {"type": "expire"}},
        {"action": {"type": "expire"}, "rulePriority": 2, "description": "old untagged",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                       "countNumber": 14}},
    ]}
    pretty = json.dumps(two_rules, indent=4)
    template = ecr.create_repository_creation_template(
        prefix="lc", appliedFor=["CREATE_ON_PUSH"], lifecyclePolicy=pretty)["repositoryCreationTemplate"]
    ecr.create_repository(repositoryName="lc-reference")
    echoed = ecr.put_lifecycle_policy(repositoryName="lc-reference", lifecyclePolicyText=pretty)
    assert template["lifecyclePolicy"] == echoed["lifecyclePolicyText"]
    assert [r["rulePriority"] for r in json.loads(template["lifecyclePolicy"])["rules"]] == [2, 9]
    assert "\n" not in template["lifecyclePolicy"]


def test_empty_policies_mean_none(ecr):
    template = ecr.create_repository_creation_template(
        prefix="bare", appliedFor=["CREATE_ON_PUSH"], repositoryPolicy="", lifecyclePolicy="",
    )["repositoryCreationTemplate"]
    assert "repositoryPolicy" not in template and "lifecyclePolicy" not in template


# --- Update and Delete ----------------------------------------------------------------------


def test_update_changes_only_the_members_given_and_moves_updated_at(ecr, clock):
    created = ecr.create_repository_creation_template(
        prefix="svc", description="first", appliedFor=["REPLICATION"],
        resourceTags=[{"Key": "a", "Value": "1"}], repositoryPolicy=json.dumps(POLICY),
        imageTagMutability="MUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters=EXCLUSION,
    )["repositoryCreationTemplate"]
    clock(3600)
    answer = ecr.update_repository_creation_template(prefix="svc", description="second")
    assert answer["registryId"] == DEFAULT_ACCOUNT
    updated = answer["repositoryCreationTemplate"]
    assert updated["description"] == "second"
    assert (updated["updatedAt"] - created["updatedAt"]).total_seconds() >= 3600
    assert updated["createdAt"] == created["createdAt"]
    unchanged = {k: v for k, v in created.items() if k not in ("description", "updatedAt")}
    assert {k: v for k, v in updated.items() if k not in ("description", "updatedAt")} == unchanged

    # A mode without filters drops the filters; the other members stay.
    updated = ecr.update_repository_creation_template(
        prefix="svc", imageTagMutability="IMMUTABLE", appliedFor=["CREATE_ON_PUSH", "REPLICATION"],
    )["repositoryCreationTemplate"]
    assert updated["imageTagMutability"] == "IMMUTABLE"
    assert "imageTagMutabilityExclusionFilters" not in updated
    assert updated["appliedFor"] == ["CREATE_ON_PUSH", "REPLICATION"]
    assert updated["resourceTags"] == [{"Key": "a", "Value": "1"}]
    assert updated["description"] == "second"
    # An empty policy removes it.
    updated = ecr.update_repository_creation_template(prefix="svc", repositoryPolicy="")["repositoryCreationTemplate"]
    assert "repositoryPolicy" not in updated
    [described] = ecr.describe_repository_creation_templates(prefixes=["svc"])["repositoryCreationTemplates"]
    assert described == updated


def test_update_checks_what_it_would_leave(raw):
    raw.create_repository_creation_template(prefix="svc", appliedFor=["REPLICATION"])
    before = raw.describe_repository_creation_templates()["repositoryCreationTemplates"]
    for members, message in [
        ({"imageTagMutability": "MUTABLE_WITH_EXCLUSION"},
         invalid_parameter("imageTagMutabilityExclusionFilters",
                           "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as "
                           "MUTABLE_WITH_EXCLUSION")),
        ({"appliedFor": []}, invalid_parameter("appliedFor", "Member must have length greater than or equal to 1")),
        ({"repositoryPolicy": "{}"}, invalid_parameter("PolicyText", "Invalid repository policy provided")),
    ]:
        with pytest.raises(raw.exceptions.ClientError) as excinfo:
            raw.update_repository_creation_template(prefix="svc", **members)
        assert error_of(excinfo)[:2] == ("InvalidParameterException", message)
    assert raw.describe_repository_creation_templates()["repositoryCreationTemplates"] == before


def test_update_and_delete_of_an_unknown_prefix(ecr):
    with pytest.raises(ecr.exceptions.TemplateNotFoundException) as excinfo:
        ecr.update_repository_creation_template(prefix="nope", description="x")
    assert error_of(excinfo)[:2] == ("TemplateNotFoundException", template_not_found("nope"))
    with pytest.raises(ecr.exceptions.TemplateNotFoundException) as excinfo:
        ecr.delete_repository_creation_template(prefix="nope/")
    assert error_of(excinfo)[:2] == ("TemplateNotFoundException", template_not_found("nope/"))


def test_delete_answers_the_template_it_removed(ecr):
    created = ecr.create_repository_creation_template(
        prefix="gone", appliedFor=["PULL_THROUGH_CACHE"], description="bye",
    )["repositoryCreationTemplate"]
    answer = ecr.delete_repository_creation_template(prefix="gone/")
    assert answer["registryId"] == DEFAULT_ACCOUNT
    assert answer["repositoryCreationTemplate"] == created
    assert ecr.describe_repository_creation_templates()["repositoryCreationTemplates"] == []
    with pytest.raises(ecr.exceptions.TemplateNotFoundException):
        ecr.delete_repository_creation_template(prefix="gone")


# --- Describe -------------------------------------------------------------------------------


def test_describe_orders_by_prefix_and_pages(ecr, raw):
    prefixes = ["zeta", "alpha/one", "ROOT", "alpha", "mid/x/y", "beta"]
    for prefix in prefixes:
        ecr.create_repository_creation_template(prefix=prefix, appliedFor=["REPLICATION"])
    expected = sorted(prefixes)  # byte order: ROOT first
    everything = ecr.describe_repository_creation_templates()
    assert "nextToken" not in everything
    assert [t["prefix"] for t in everything["repositoryCreationTemplates"]] == expected

    seen, token = [], None
    while True:
        kwargs = {"maxResults": 4, **({"nextToken": token} if token else {})}
        page = ecr.describe_repository_creation_templates(**kwargs)
        seen.append([t["prefix"] for t in page["repositoryCreationTemplates"]])
        token = page.get("nextToken")
        if not token:
            break
    assert seen == [expected[:4], expected[4:]]

    paginator = ecr.get_paginator("describe_repository_creation_templates")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 1}))
    assert [t["prefix"] for p in pages for t in p["repositoryCreationTemplates"]] == expected

    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.describe_repository_creation_templates(nextToken="not-a-token")
    assert error_of(excinfo)[:2] == ("InvalidParameterException",
                                     invalid_parameter("nextToken", "Invalid NextToken"))
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.describe_repository_creation_templates(maxResults=1001)
    assert error_of(excinfo)[:2] == ("InvalidParameterException",
                                     invalid_parameter("maxResults", "Member must have value less than or equal to 1000"))


def test_describe_with_prefixes_answers_the_templates_there_are(ecr):
    for prefix in ("b", "a", "c/d"):
        ecr.create_repository_creation_template(prefix=prefix, appliedFor=["REPLICATION"])
    found = ecr.describe_repository_creation_templates(prefixes=["c/d/", "missing", "a", "a"])
    # By prefix, each once; a prefix without a template is left out.
    assert [t["prefix"] for t in found["repositoryCreationTemplates"]] == ["a", "c/d"]


def test_templates_are_per_account_and_region(ecr_for):
    home = ecr_for(ACCOUNT_A, "us-east-1")
    home.create_repository_creation_template(prefix="prod", appliedFor=["REPLICATION"])
    for other in (ecr_for(ACCOUNT_A, "eu-west-1"), ecr_for(ACCOUNT_B, "us-east-1")):
        assert other.describe_repository_creation_templates()["repositoryCreationTemplates"] == []
        with pytest.raises(other.exceptions.TemplateNotFoundException):
            other.delete_repository_creation_template(prefix="prod")
        other.create_repository_creation_template(prefix="prod", appliedFor=["CREATE_ON_PUSH"])
    answer = home.describe_repository_creation_templates()
    assert answer["registryId"] == ACCOUNT_A
    assert [t["appliedFor"] for t in answer["repositoryCreationTemplates"]] == [["REPLICATION"]]
    with pytest.raises(home.exceptions.TemplateAlreadyExistsException) as excinfo:
        home.create_repository_creation_template(prefix="prod", appliedFor=["REPLICATION"])
    assert error_of(excinfo)[1] == template_exists("prod", ACCOUNT_A)


# --- What templates apply to ----------------------------------------------------------------


def test_create_repository_ignores_templates(ecr):
    ecr.create_repository_creation_template(
        prefix="ROOT", appliedFor=["REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH"],
        imageTagMutability="IMMUTABLE", resourceTags=[{"Key": "from", "Value": "template"}],
        repositoryPolicy=json.dumps(POLICY),
    )
    repository = ecr.create_repository(repositoryName="made/by-hand")["repository"]
    assert repository["imageTagMutability"] == "MUTABLE"
    assert repository["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"] == []
    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.get_repository_policy(repositoryName="made/by-hand")


def push_raw(endpoint: str, password: str, name: str, tag: str) -> int:
    """Pushes a one-layer OCI image over `/v2` (monolithic blob uploads, then the manifest);
    the status of the first call that fails, or of the manifest PUT."""
    layer = gzip.compress(tar_of({"hello.txt": f"{name}:{tag}\n".encode()}), mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    for blob in (layer, config):
        status, _, body = registry_request(
            endpoint, "POST", f"/v2/{name}/blobs/uploads/?digest={sha256_digest(blob)}", password,
            {"Content-Type": "application/octet-stream"}, blob)
        if status != 201:
            return status
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256_digest(config), "size": len(config)},
        "layers": [{"mediaType": OCI_LAYER, "digest": sha256_digest(layer), "size": len(layer)}],
    }).encode()
    status, _, _ = registry_request(endpoint, "PUT", f"/v2/{name}/manifests/{tag}", password,
                                    {"Content-Type": OCI_MANIFEST}, manifest)
    return status


def test_a_push_to_a_missing_repository_applies_the_longest_matching_create_on_push_template(endpoint, ecr):
    password = login_password(endpoint)
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"],
                                            resourceTags=[{"Key": "from", "Value": "root"}])
    ecr.create_repository_creation_template(prefix="team", appliedFor=["CREATE_ON_PUSH"],
                                            imageTagMutability="IMMUTABLE",
                                            resourceTags=[{"Key": "from", "Value": "team"}])
    ecr.create_repository_creation_template(
        prefix="team/web/", appliedFor=["CREATE_ON_PUSH"], imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=EXCLUSION, encryptionConfiguration={"encryptionType": "KMS"},
        resourceTags=[{"Key": "from", "Value": "team/web"}], repositoryPolicy=json.dumps(POLICY),
        lifecyclePolicy=json.dumps(LIFECYCLE),
    )
    # Not applied for CREATE_ON_PUSH: passed over for the next shorter prefix.
    ecr.create_repository_creation_template(prefix="team/api", appliedFor=["REPLICATION"],
                                            resourceTags=[{"Key": "from", "Value": "team/api"}])
    expected = {
        "team/web/frontend": "team/web",
        "team/web/a/b": "team/web",
        "team/web": "team",        # a prefix covers `prefix/…`, not the name itself
        "team/webshop": "team",
        "team/api/svc": "team",
        "teams/x": "root",         # `team` is not `teams`
        "loose": "root",
    }
    for name in expected:
        assert push_raw(endpoint, password, name, "v1") == 201, name
    for name, source in expected.items():
        [repository] = ecr.describe_repositories(repositoryNames=[name])["repositories"]
        tags = ecr.list_tags_for_resource(resourceArn=repo_arn("us-east-1", DEFAULT_ACCOUNT, name))["tags"]
        assert tags == [{"Key": "from", "Value": source}], name
        assert repository["imageScanningConfiguration"] == {"scanOnPush": False}
        if source == "team/web":
            assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
            assert repository["imageTagMutabilityExclusionFilters"] == EXCLUSION
            encryption = repository["encryptionConfiguration"]
            # KMS without a key: ECR's AWS-managed key, as CreateRepository gives.
            assert encryption["encryptionType"] == "KMS"
            assert encryption["kmsKey"].startswith(f"arn:aws:kms:us-east-1:{DEFAULT_ACCOUNT}:key/")
            policy = ecr.get_repository_policy(repositoryName=name)["policyText"]
            assert json.loads(policy) == POLICY
            lifecycle = ecr.get_lifecycle_policy(repositoryName=name)
            assert json.loads(lifecycle["lifecyclePolicyText"]) == LIFECYCLE
            assert lifecycle["lastEvaluatedAt"].timestamp() == 0
        else:
            assert repository["imageTagMutability"] == ("IMMUTABLE" if source == "team" else "MUTABLE")
            assert repository["encryptionConfiguration"] == {"encryptionType": "AES256"}
            with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
                ecr.get_repository_policy(repositoryName=name)
            with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
                ecr.get_lifecycle_policy(repositoryName=name)
        assert [i["imageTags"] for i in ecr.describe_images(repositoryName=name)["imageDetails"]] == [["v1"]]


def test_a_push_without_a_create_on_push_template_meets_name_unknown(endpoint, ecr):
    password = login_password(endpoint)
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION", "PULL_THROUGH_CACHE"])
    status, _, body = registry_request(
        endpoint, "POST", "/v2/nobody/home/blobs/uploads/", password)
    assert status == 404
    error = json.loads(body)["errors"][0]
    assert (error["code"], error["message"]) == ("NAME_UNKNOWN", not_found("nobody/home"))
    assert ecr.describe_repositories()["repositories"] == []


def test_an_existing_repository_keeps_its_settings(endpoint, ecr):
    ecr.create_repository(repositoryName="team/kept")
    ecr.create_repository_creation_template(prefix="team", appliedFor=["CREATE_ON_PUSH"],
                                            imageTagMutability="IMMUTABLE")
    assert push_raw(endpoint, login_password(endpoint), "team/kept", "v1") == 201
    [repository] = ecr.describe_repositories(repositoryNames=["team/kept"])["repositories"]
    assert repository["imageTagMutability"] == "MUTABLE"


def test_a_manifest_put_alone_creates_the_repository(endpoint, ecr):
    """The manifest PUT is a push's first call when every blob is already there (an index)."""
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"])
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode()
    status, _, body = registry_request(endpoint, "PUT", "/v2/only/index/manifests/v1", login_password(endpoint),
                                       {"Content-Type": OCI_INDEX}, index)
    assert status == 201, body
    assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == ["only/index"]


def test_templates_apply_in_the_pushers_own_registry(endpoint, ecr_for):
    other = ecr_for(ACCOUNT_A, "eu-west-1")
    other.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"],
                                              imageTagMutability="IMMUTABLE")
    # The default account's registry has no template: its push fails.
    assert push_raw(endpoint, login_password(endpoint), "app", "v1") == 404
    assert push_raw(endpoint, login_password(endpoint, ACCOUNT_A, "eu-west-1"), "app", "v1") == 201
    [repository] = other.describe_repositories()["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["repositoryArn"] == repo_arn("eu-west-1", ACCOUNT_A, "app")
    assert ecr_for().describe_repositories()["repositories"] == []


# --- The AWS CLI v1 -------------------------------------------------------------------------


def test_cli_v1_create_describe_update_delete(endpoint):
    cli = Cli(endpoint, key=ACCOUNT_A)
    created = cli.ok("create-repository-creation-template", "--prefix", "cli/apps",
                     "--applied-for", "CREATE_ON_PUSH", "REPLICATION",
                     "--resource-tags", "Key=team,Value=cli", "--image-tag-mutability", "IMMUTABLE",
                     "--description", "from the cli")
    assert created["registryId"] == ACCOUNT_A
    template = created["repositoryCreationTemplate"]
    assert template["appliedFor"] == ["CREATE_ON_PUSH", "REPLICATION"]
    assert template["resourceTags"] == [{"Key": "team", "Value": "cli"}]
    listed = cli.ok("describe-repository-creation-templates", "--query", "repositoryCreationTemplates[].prefix")
    assert listed == ["cli/apps"]
    updated = cli.ok("update-repository-creation-template", "--prefix", "cli/apps", "--image-tag-mutability", "MUTABLE")
    assert updated["repositoryCreationTemplate"]["imageTagMutability"] == "MUTABLE"
    assert updated["repositoryCreationTemplate"]["description"] == "from the cli"
    cli.fails("create-repository-creation-template", "--prefix", "cli/apps", "--applied-for", "REPLICATION",
              code="TemplateAlreadyExistsException", operation="CreateRepositoryCreationTemplate",
              message=template_exists("cli/apps", ACCOUNT_A))
    deleted = cli.ok("delete-repository-creation-template", "--prefix", "cli/apps")
    assert deleted["repositoryCreationTemplate"]["prefix"] == "cli/apps"
    cli.fails("delete-repository-creation-template", "--prefix", "cli/apps",
              code="TemplateNotFoundException", operation="DeleteRepositoryCreationTemplate",
              message=template_not_found("cli/apps", ACCOUNT_A))


# --- Durable state --------------------------------------------------------------------------


def test_templates_survive_a_restart_with_a_data_dir(tmp_path):
    """With --data-dir, templates are in the database: after a restart they are listed in the
    same order and still shape the repositories a push creates."""
    from support import BerthProcess, berth_binary, make_client

    data = tmp_path / "data"
    env = {"BERTH_DATA_DIR": str(data)}
    first = BerthProcess(berth_binary(), tmp_path / "first.log", extra_env=env)
    try:
        ecr = make_client(first.endpoint)
        for prefix in ("zz", "ROOT", "team/web", "team"):
            ecr.create_repository_creation_template(prefix=prefix, appliedFor=["CREATE_ON_PUSH"],
                                                    resourceTags=[{"Key": "from", "Value": prefix}])
        ecr.update_repository_creation_template(prefix="team", imageTagMutability="IMMUTABLE")
        before = ecr.describe_repository_creation_templates()["repositoryCreationTemplates"]
    finally:
        assert first.stop() == 0, first.log()
    second = BerthProcess(berth_binary(), tmp_path / "second.log", extra_env=env)
    try:
        ecr = make_client(second.endpoint)
        assert ecr.describe_repository_creation_templates()["repositoryCreationTemplates"] == before
        assert [t["prefix"] for t in before] == ["ROOT", "team", "team/web", "zz"]
        assert push_raw(second.endpoint, login_password(second.endpoint), "team/api", "v1") == 201
        [repository] = ecr.describe_repositories()["repositories"]
        assert repository["imageTagMutability"] == "IMMUTABLE"
        arn = repository["repositoryArn"]
        assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "from", "Value": "team"}]
    finally:
        assert second.stop() == 0, second.log()
