"""boto3 against the `berth` binary: a scenario per operation, Berth's own validation (with
botocore's parameter validation off), two accounts and two regions side by side.

Expected values come from shared/docs/ecr-behaviour.md."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from support import (
    ACCOUNT_A,
    ACCOUNT_B,
    DEFAULT_ACCOUNT,
    NAME_PATTERN,
    POLICY,
    access_denied,
    already_exists,
    error_of,
    invalid_parameter,
    not_found,
    policy_not_found,
    repo_arn,
    repo_uri,
    tags_dict,
)


def expect_error(call, code: str, message: str | None = None, **params) -> str:
    """Calls, expects a ClientError with `code` (and exactly `message` if given), returns
    the message."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    got_code, got_message, _ = error_of(excinfo)
    assert got_code == code, f"{got_code}: {got_message}"
    if message is not None:
        assert got_message == message
    else:
        assert got_message, "an error explains itself"
    return got_message


def assert_defaults(repo: dict, name: str, region: str = "us-east-1", account: str = DEFAULT_ACCOUNT):
    assert repo["registryId"] == account
    assert repo["repositoryName"] == name
    assert repo["repositoryArn"] == repo_arn(region, account, name)
    assert repo["repositoryUri"] == repo_uri(region, account, name)
    assert repo["imageTagMutability"] == "MUTABLE"
    assert "imageTagMutabilityExclusionFilters" not in repo
    # @default members are always serialized, as real ECR does.
    assert repo["imageScanningConfiguration"] == {"scanOnPush": False}
    assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert isinstance(repo["createdAt"], dt.datetime)


def names_of(repos: list[dict]) -> list[str]:
    return [r["repositoryName"] for r in repos]


# ---------------------------------------------------------------------------------------
# One scenario per operation
# ---------------------------------------------------------------------------------------


def test_create_repository_defaults_and_errors(ecr):
    before = dt.datetime.now(dt.timezone.utc)
    response = ecr.create_repository(repositoryName="team/web-app")
    after = dt.datetime.now(dt.timezone.utc)
    repo = response["repository"]
    assert set(response) == {"repository", "ResponseMetadata"}
    assert_defaults(repo, "team/web-app")
    assert before - dt.timedelta(seconds=1) <= repo["createdAt"] <= after + dt.timedelta(seconds=1)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]

    expect_error(
        ecr.create_repository,
        "RepositoryAlreadyExistsException",
        already_exists("team/web-app"),
        repositoryName="team/web-app",
    )
    # The SDK's modeled exception class matches too.
    with pytest.raises(ecr.exceptions.RepositoryAlreadyExistsException):
        ecr.create_repository(repositoryName="team/web-app")


def test_create_repository_with_settings_tags_and_kms(ecr):
    repo = ecr.create_repository(
        repositoryName="configured",
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS"},
        tags=[{"Key": "env", "Value": "dev"}, {"Key": "owner", "Value": ""}],
    )["repository"]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"
    key = repo["encryptionConfiguration"]["kmsKey"]
    match = re.fullmatch(rf"arn:aws:kms:us-east-1:{DEFAULT_ACCOUNT}:key/(.+)", key)
    assert match, key
    uuid.UUID(match.group(1))
    described = ecr.describe_repositories(repositoryNames=["configured"])["repositories"][0]
    assert described == repo, "DescribeRepositories answers what CreateRepository did (managed key included)"
    tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
    assert tags_dict(tags) == {"env": "dev", "owner": ""}

    own_key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    repo = ecr.create_repository(
        repositoryName="own-key", encryptionConfiguration={"encryptionType": "KMS_DSSE", "kmsKey": own_key}
    )["repository"]
    assert repo["encryptionConfiguration"] == {"encryptionType": "KMS_DSSE", "kmsKey": own_key}

    expect_error(
        ecr.create_repository,
        "InvalidParameterException",
        repositoryName="aes-with-key",
        encryptionConfiguration={"encryptionType": "AES256", "kmsKey": own_key},
    )
    expect_error(ecr.describe_repositories, "RepositoryNotFoundException", not_found("aes-with-key"),
                 repositoryNames=["aes-with-key"])


def test_create_repository_tags_are_all_or_nothing(ecr):
    expect_error(
        ecr.create_repository,
        "InvalidTagParameterException",
        repositoryName="half-tagged",
        tags=[{"Key": "fine", "Value": "v"}, {"Key": "aws:reserved", "Value": "v"}],
    )
    expect_error(
        ecr.create_repository,
        "TooManyTagsException",
        repositoryName="half-tagged",
        tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)],
    )
    expect_error(ecr.describe_repositories, "RepositoryNotFoundException", not_found("half-tagged"),
                 repositoryNames=["half-tagged"])
    assert ecr.describe_repositories()["repositories"] == []


def test_describe_repositories(ecr):
    first = ecr.describe_repositories()
    assert first["repositories"] == []
    assert "nextToken" not in first

    for name in ["zulu", "alpha", "mike"]:
        ecr.create_repository(repositoryName=name)
    listed = ecr.describe_repositories()
    assert names_of(listed["repositories"]) == ["alpha", "mike", "zulu"], "stable order by name"
    assert "nextToken" not in listed
    for repo in listed["repositories"]:
        assert_defaults(repo, repo["repositoryName"])

    by_name = ecr.describe_repositories(repositoryNames=["zulu", "alpha"])
    assert names_of(by_name["repositories"]) == ["zulu", "alpha"], "request order"

    expect_error(
        ecr.describe_repositories,
        "RepositoryNotFoundException",
        not_found("ghost"),
        repositoryNames=["alpha", "ghost", "phantom"],
    )
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.describe_repositories(repositoryNames=["ghost"])

    page = ecr.describe_repositories(maxResults=2)
    assert names_of(page["repositories"]) == ["alpha", "mike"]
    rest = ecr.describe_repositories(maxResults=2, nextToken=page["nextToken"])
    assert names_of(rest["repositories"]) == ["zulu"]
    assert "nextToken" not in rest

    expect_error(ecr.describe_repositories, "InvalidParameterException", repositoryNames=["alpha"], maxResults=1)
    expect_error(
        ecr.describe_repositories, "InvalidParameterException", repositoryNames=["alpha"], nextToken=page["nextToken"]
    )
    expect_error(ecr.describe_repositories, "InvalidParameterException", nextToken="garbage-token")


def test_describe_repositories_paginator(ecr):
    expected = {f"paged/r{i:03}" for i in range(57)}
    for name in sorted(expected, reverse=True):
        ecr.create_repository(repositoryName=name)
    pages = list(ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 10}))
    assert [len(p["repositories"]) for p in pages] == [10, 10, 10, 10, 10, 7]
    names = [n for p in pages for n in names_of(p["repositories"])]
    assert names == sorted(expected)

    # botocore's own resumption: MaxItems stops mid-page, StartingToken resumes there.
    head = ecr.get_paginator("describe_repositories").paginate(
        PaginationConfig={"PageSize": 10, "MaxItems": 25}
    ).build_full_result()
    assert len(head["repositories"]) == 25
    tail = ecr.get_paginator("describe_repositories").paginate(
        PaginationConfig={"PageSize": 10, "StartingToken": head["NextToken"]}
    ).build_full_result()
    assert names_of(head["repositories"]) + names_of(tail["repositories"]) == sorted(expected)


def test_delete_repository(ecr):
    created = ecr.create_repository(repositoryName="doomed", tags=[{"Key": "a", "Value": "b"}])["repository"]
    ecr.set_repository_policy(repositoryName="doomed", policyText=json.dumps(POLICY))
    deleted = ecr.delete_repository(repositoryName="doomed")["repository"]
    assert deleted == created
    expect_error(ecr.delete_repository, "RepositoryNotFoundException", not_found("doomed"), repositoryName="doomed")
    expect_error(ecr.describe_repositories, "RepositoryNotFoundException", not_found("doomed"),
                 repositoryNames=["doomed"])

    # A new repository of the same name has neither the old policy nor the old tags.
    again = ecr.create_repository(repositoryName="doomed")["repository"]
    assert ecr.list_tags_for_resource(resourceArn=again["repositoryArn"])["tags"] == []
    expect_error(ecr.get_repository_policy, "RepositoryPolicyNotFoundException", policy_not_found("doomed"),
                 repositoryName="doomed")
    assert ecr.delete_repository(repositoryName="doomed", force=True)["repository"]["repositoryName"] == "doomed"


def test_put_image_tag_mutability(ecr):
    ecr.create_repository(repositoryName="mut")
    response = ecr.put_image_tag_mutability(repositoryName="mut", imageTagMutability="IMMUTABLE")
    response.pop("ResponseMetadata")
    assert response == {"registryId": DEFAULT_ACCOUNT, "repositoryName": "mut", "imageTagMutability": "IMMUTABLE"}
    assert ecr.describe_repositories(repositoryNames=["mut"])["repositories"][0]["imageTagMutability"] == "IMMUTABLE"

    filters = [{"filterType": "WILDCARD", "filter": "latest"}, {"filterType": "WILDCARD", "filter": "dev-*"}]
    response = ecr.put_image_tag_mutability(
        repositoryName="mut", imageTagMutability="IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters=filters
    )
    assert response["imageTagMutabilityExclusionFilters"] == filters
    repo = ecr.describe_repositories(repositoryNames=["mut"])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repo["imageTagMutabilityExclusionFilters"] == filters

    expect_error(
        ecr.put_image_tag_mutability,
        "InvalidParameterException",
        invalid_parameter(
            "imageTagMutabilityExclusionFilters",
            "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as MUTABLE_WITH_EXCLUSION",
        ),
        repositoryName="mut",
        imageTagMutability="MUTABLE_WITH_EXCLUSION",
    )
    expect_error(
        ecr.put_image_tag_mutability,
        "InvalidParameterException",
        repositoryName="mut",
        imageTagMutability="MUTABLE",
        imageTagMutabilityExclusionFilters=filters,
    )
    expect_error(
        ecr.put_image_tag_mutability,
        "RepositoryNotFoundException",
        not_found("ghost"),
        repositoryName="ghost",
        imageTagMutability="MUTABLE",
    )
    repo = ecr.describe_repositories(repositoryNames=["mut"])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION", "refused calls change nothing"


def test_put_image_scanning_configuration(ecr):
    ecr.create_repository(repositoryName="scan")
    response = ecr.put_image_scanning_configuration(
        repositoryName="scan", imageScanningConfiguration={"scanOnPush": True}
    )
    response.pop("ResponseMetadata")
    assert response == {
        "registryId": DEFAULT_ACCOUNT,
        "repositoryName": "scan",
        "imageScanningConfiguration": {"scanOnPush": True},
    }
    repo = ecr.describe_repositories(repositoryNames=["scan"])["repositories"][0]
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}

    # An empty configuration means scanOnPush false.
    response = ecr.put_image_scanning_configuration(repositoryName="scan", imageScanningConfiguration={})
    assert response["imageScanningConfiguration"] == {"scanOnPush": False}
    repo = ecr.describe_repositories(repositoryNames=["scan"])["repositories"][0]
    assert repo["imageScanningConfiguration"] == {"scanOnPush": False}

    expect_error(
        ecr.put_image_scanning_configuration,
        "RepositoryNotFoundException",
        not_found("ghost"),
        repositoryName="ghost",
        imageScanningConfiguration={"scanOnPush": True},
    )


def test_repository_policy_set_get_delete(ecr):
    ecr.create_repository(repositoryName="pol")
    expect_error(ecr.get_repository_policy, "RepositoryPolicyNotFoundException", policy_not_found("pol"),
                 repositoryName="pol")
    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.delete_repository_policy(repositoryName="pol")

    response = ecr.set_repository_policy(repositoryName="pol", policyText=json.dumps(POLICY))
    assert response["registryId"] == DEFAULT_ACCOUNT
    assert response["repositoryName"] == "pol"
    assert json.loads(response["policyText"]) == POLICY
    got = ecr.get_repository_policy(repositoryName="pol")
    assert (got["registryId"], got["repositoryName"]) == (DEFAULT_ACCOUNT, "pol")
    assert json.loads(got["policyText"]) == POLICY

    deleted = ecr.delete_repository_policy(repositoryName="pol")
    assert (deleted["registryId"], deleted["repositoryName"]) == (DEFAULT_ACCOUNT, "pol")
    assert json.loads(deleted["policyText"]) == POLICY
    expect_error(ecr.get_repository_policy, "RepositoryPolicyNotFoundException", policy_not_found("pol"),
                 repositoryName="pol")

    for call, extra in [
        (ecr.set_repository_policy, {"policyText": json.dumps(POLICY)}),
        (ecr.get_repository_policy, {}),
        (ecr.delete_repository_policy, {}),
    ]:
        expect_error(call, "RepositoryNotFoundException", not_found("ghost"), repositoryName="ghost", **extra)


@pytest.mark.parametrize(
    "policy",
    [
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]},
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "LambdaPull",
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    "Condition": {"StringLike": {"aws:sourceArn": "arn:aws:lambda:us-east-1:123456789012:function:*"}},
                }
            ],
        },
        {"Version": "2008-10-17", "Statement": {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "ecr:PutImage"}},
    ],
    ids=["principal-star", "condition-and-sid", "single-statement-object"],
)
def test_repository_policy_accepts_real_ecr_policies(ecr, policy):
    ecr.create_repository(repositoryName="accepting")
    ecr.set_repository_policy(repositoryName="accepting", policyText=json.dumps(policy))
    assert json.loads(ecr.get_repository_policy(repositoryName="accepting")["policyText"]) == policy


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        "{}",
        '{"Version": "2012-10-17"}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps", "Principal": "*", "Action": "ecr:*"}]}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*"}]}',
    ],
    ids=["not-json", "array", "empty-object", "no-statement", "bad-effect", "no-principal"],
)
def test_repository_policy_rejects_non_policies(ecr, text):
    ecr.create_repository(repositoryName="strict")
    expect_error(
        ecr.set_repository_policy,
        "InvalidParameterException",
        invalid_parameter("PolicyText", "Invalid repository policy provided"),
        repositoryName="strict",
        policyText=text,
    )
    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.get_repository_policy(repositoryName="strict")


def test_tag_untag_list(ecr):
    arn = ecr.create_repository(repositoryName="tagged")["repository"]["repositoryArn"]
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == []
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "infra"}])
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "env", "Value": "prod"}])
    assert tags_dict(ecr.list_tags_for_resource(resourceArn=arn)["tags"]) == {"env": "prod", "team": "infra"}
    ecr.untag_resource(resourceArn=arn, tagKeys=["team", "never-there"])
    assert tags_dict(ecr.list_tags_for_resource(resourceArn=arn)["tags"]) == {"env": "prod"}

    bad_tags = [
        {"Key": "k" * 129, "Value": "v"},
        {"Key": "key", "Value": "v" * 257},
        {"Key": "aws:owner", "Value": "v"},
    ]
    for bad in bad_tags:
        expect_error(ecr.tag_resource, "InvalidTagParameterException", resourceArn=arn,
                     tags=[{"Key": "fine", "Value": "x"}, bad])
    with pytest.raises(ecr.exceptions.InvalidTagParameterException):
        ecr.tag_resource(resourceArn=arn, tags=[bad_tags[0]])
    assert tags_dict(ecr.list_tags_for_resource(resourceArn=arn)["tags"]) == {"env": "prod"}

    ecr.tag_resource(resourceArn=arn, tags=[{"Key": f"k{i:02}", "Value": "v"} for i in range(49)])
    assert len(ecr.list_tags_for_resource(resourceArn=arn)["tags"]) == 50
    expect_error(ecr.tag_resource, "TooManyTagsException", resourceArn=arn, tags=[{"Key": "one-more", "Value": "v"}])
    with pytest.raises(ecr.exceptions.TooManyTagsException):
        ecr.tag_resource(resourceArn=arn, tags=[{"Key": "one-more", "Value": "v"}])
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "env", "Value": "staging"}])  # overwrite at 50: fine
    assert len(ecr.list_tags_for_resource(resourceArn=arn)["tags"]) == 50

    for call, extra in [
        (ecr.list_tags_for_resource, {}),
        (ecr.tag_resource, {"tags": [{"Key": "a", "Value": "b"}]}),
        (ecr.untag_resource, {"tagKeys": ["a"]}),
    ]:
        expect_error(call, "InvalidParameterException", invalid_parameter("resourceArn", "Invalid ARN"),
                     resourceArn="not-an-arn", **extra)
        expect_error(call, "RepositoryNotFoundException", not_found("ghost"),
                     resourceArn=repo_arn("us-east-1", DEFAULT_ACCOUNT, "ghost"), **extra)
        expect_error(call, "RepositoryNotFoundException", not_found("tagged"),
                     resourceArn=repo_arn("eu-central-1", DEFAULT_ACCOUNT, "tagged"), **extra)


# ---------------------------------------------------------------------------------------
# Berth's own validation: botocore's parameter validation off
# ---------------------------------------------------------------------------------------


@pytest.fixture
def raw(ecr_for):
    """boto3 without client-side parameter validation: Berth's validation answers."""
    return ecr_for(validate=False)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("A", "must have length greater than or equal to 2"),
        ("a", "must have length greater than or equal to 2"),
        ("a..b", f"must satisfy regular expression '{NAME_PATTERN}'"),
        ("a/", f"must satisfy regular expression '{NAME_PATTERN}'"),
        ("/a", f"must satisfy regular expression '{NAME_PATTERN}'"),
        ("Upper", f"must satisfy regular expression '{NAME_PATTERN}'"),
        ("a" * 257, "must have length less than or equal to 256"),
    ],
    ids=["A", "a", "a..b", "a-slash", "slash-a", "Upper", "257-chars"],
)
def test_invalid_repository_names(raw, name, reason):
    expect_error(raw.create_repository, "InvalidParameterException",
                 invalid_parameter("repositoryName", reason), repositoryName=name)
    expect_error(raw.delete_repository, "InvalidParameterException",
                 invalid_parameter("repositoryName", reason), repositoryName=name)
    # A name inside the list is reported at 'repositoryName' too, not at the list item.
    expect_error(raw.describe_repositories, "InvalidParameterException",
                 invalid_parameter("repositoryName", reason), repositoryNames=["ok", name])
    assert raw.describe_repositories()["repositories"] == []


def test_valid_unusual_repository_names(raw):
    for name in ["a__b", "a--b", "a---b", "a.b", "ns/sub/app", "x" * 256]:
        assert raw.create_repository(repositoryName=name)["repository"]["repositoryName"] == name


def test_max_results_range(raw):
    raw.create_repository(repositoryName="present")
    expect_error(raw.describe_repositories, "InvalidParameterException",
                 invalid_parameter("maxResults", "Member must have value greater than or equal to 1"), maxResults=0)
    expect_error(raw.describe_repositories, "InvalidParameterException",
                 invalid_parameter("maxResults", "Member must have value less than or equal to 1000"), maxResults=1001)
    assert names_of(raw.describe_repositories(maxResults=1000)["repositories"]) == ["present"]


def test_six_exclusion_filters(raw):
    filters = [{"filterType": "WILDCARD", "filter": f"f{i}*"} for i in range(6)]
    expected = invalid_parameter("imageTagMutabilityExclusionFilters", "Member must have length less than or equal to 5")
    expect_error(raw.create_repository, "InvalidParameterException", expected, repositoryName="six",
                 imageTagMutability="IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters=filters)
    raw.create_repository(repositoryName="five", imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                          imageTagMutabilityExclusionFilters=filters[:5])
    expect_error(raw.put_image_tag_mutability, "InvalidParameterException", expected, repositoryName="five",
                 imageTagMutability="IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters=filters)
    expect_error(
        raw.create_repository,
        "InvalidParameterException",
        invalid_parameter(
            "imageTagMutabilityExclusionFilters.1.member.filter",
            "Member must satisfy regular expression pattern: ^[0-9a-zA-Z._*-]{1,128}$",
        ),
        repositoryName="bad-filter",
        imageTagMutability="MUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "no spaces"}],
    )
    expect_error(
        raw.create_repository,
        "InvalidParameterException",
        invalid_parameter(
            "imageTagMutabilityExclusionFilters",
            "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION",
        ),
        repositoryName="no-filters",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
    )
    assert names_of(raw.describe_repositories()["repositories"]) == ["five"]


def test_registry_id_of_eleven_digits(raw):
    expected = invalid_parameter("registryId", "must satisfy regular expression [0-9]{12}")
    expect_error(raw.create_repository, "InvalidParameterException", expected,
                 registryId="12345678901", repositoryName="r1")
    expect_error(raw.describe_repositories, "InvalidParameterException", expected, registryId="12345678901")


def test_required_members_and_enums(raw):
    expect_error(raw.create_repository, "InvalidParameterException",
                 invalid_parameter("repositoryName", "Member must not be null"))
    raw.create_repository(repositoryName="present")
    expect_error(raw.put_image_tag_mutability, "InvalidParameterException",
                 invalid_parameter("imageTagMutability", "Member must not be null"), repositoryName="present")
    expect_error(
        raw.put_image_tag_mutability,
        "InvalidParameterException",
        invalid_parameter(
            "imageTagMutability",
            "Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]",
        ),
        repositoryName="present",
        imageTagMutability="SOMETIMES",
    )
    expect_error(raw.tag_resource, "InvalidParameterException",
                 invalid_parameter("tags.1.member.Value", "Member must not be null"),
                 resourceArn=repo_arn("us-east-1", DEFAULT_ACCOUNT, "present"), tags=[{"Key": "k"}])
    expect_error(raw.set_repository_policy, "InvalidParameterException",
                 invalid_parameter("policyText", "Member must have length less than or equal to 10240"),
                 repositoryName="present", policyText="x" * 10241)


def test_wrong_json_types_are_client_errors(raw):
    """A value of the wrong JSON type is a 400 SerializationException, never a 5xx."""
    expect_error(raw.describe_repositories, "SerializationException", maxResults="ten")
    expect_error(raw.create_repository, "SerializationException", repositoryName=["a", "list"])
    expect_error(raw.create_repository, "SerializationException", repositoryName="ok-name",
                 imageScanningConfiguration={"scanOnPush": "yes"})


# ---------------------------------------------------------------------------------------
# Two accounts and two regions side by side
# ---------------------------------------------------------------------------------------


def test_two_accounts_two_regions_side_by_side(ecr_for):
    callers = {
        (ACCOUNT_A, "us-east-1"): ecr_for(ACCOUNT_A, "us-east-1"),
        (ACCOUNT_B, "us-east-1"): ecr_for(ACCOUNT_B, "us-east-1"),
        (ACCOUNT_A, "eu-west-1"): ecr_for(ACCOUNT_A, "eu-west-1"),
        (ACCOUNT_B, "eu-west-1"): ecr_for(ACCOUNT_B, "eu-west-1"),
    }
    for (account, region), client in callers.items():
        repo = client.create_repository(repositoryName="app/api")["repository"]
        assert_defaults(repo, "app/api", region, account)
        client.create_repository(repositoryName=f"only-{account}-{region}")
        client.tag_resource(resourceArn=repo["repositoryArn"], tags=[{"Key": "home", "Value": f"{account}/{region}"}])

    for (account, region), client in callers.items():
        repos = client.describe_repositories()["repositories"]
        assert names_of(repos) == ["app/api", f"only-{account}-{region}"]
        for repo in repos:
            assert repo["registryId"] == account
            assert repo["repositoryArn"] == repo_arn(region, account, repo["repositoryName"])
            assert repo["repositoryUri"] == repo_uri(region, account, repo["repositoryName"])
        tags = client.list_tags_for_resource(resourceArn=repo_arn(region, account, "app/api"))["tags"]
        assert tags == [{"Key": "home", "Value": f"{account}/{region}"}]
        own = client.describe_repositories(registryId=account, repositoryNames=["app/api"])["repositories"]
        assert own[0]["registryId"] == account

    a_east = callers[(ACCOUNT_A, "us-east-1")]
    # Another account's registry: AccessDeniedException with AWS's message.
    expect_error(
        a_east.describe_repositories,
        "AccessDeniedException",
        access_denied(ACCOUNT_A, "DescribeRepositories", f"arn:aws:ecr:us-east-1:{ACCOUNT_B}:repository/*"),
        registryId=ACCOUNT_B,
    )
    expect_error(
        a_east.create_repository,
        "AccessDeniedException",
        access_denied(ACCOUNT_A, "CreateRepository", repo_arn("us-east-1", ACCOUNT_B, "intruder")),
        registryId=ACCOUNT_B,
        repositoryName="intruder",
    )
    expect_error(
        a_east.delete_repository,
        "AccessDeniedException",
        access_denied(ACCOUNT_A, "DeleteRepository", repo_arn("us-east-1", ACCOUNT_B, "app/api")),
        registryId=ACCOUNT_B,
        repositoryName="app/api",
    )
    expect_error(
        a_east.set_repository_policy,
        "AccessDeniedException",
        access_denied(ACCOUNT_A, "SetRepositoryPolicy", repo_arn("us-east-1", ACCOUNT_B, "app/api")),
        registryId=ACCOUNT_B,
        repositoryName="app/api",
        policyText=json.dumps(POLICY),
    )
    b_arn = repo_arn("us-east-1", ACCOUNT_B, "app/api")
    expect_error(a_east.tag_resource, "AccessDeniedException", access_denied(ACCOUNT_A, "TagResource", b_arn),
                 resourceArn=b_arn, tags=[{"Key": "x", "Value": "y"}])
    # Another region's ARN of one's own account: not found here.
    expect_error(a_east.list_tags_for_resource, "RepositoryNotFoundException", not_found("app/api", ACCOUNT_A),
                 resourceArn=repo_arn("ap-south-1", ACCOUNT_A, "app/api"))

    # Deleting in one registry leaves the other three.
    a_east.delete_repository(repositoryName="app/api")
    expect_error(a_east.describe_repositories, "RepositoryNotFoundException", not_found("app/api", ACCOUNT_A),
                 repositoryNames=["app/api"])
    for key, client in callers.items():
        if key != (ACCOUNT_A, "us-east-1"):
            assert len(client.describe_repositories(repositoryNames=["app/api"])["repositories"]) == 1


def test_default_account_for_non_numeric_keys(ecr_for):
    client = ecr_for("AKIAEXAMPLEKEY", "sa-east-1")
    repo = client.create_repository(repositoryName="default-acct")["repository"]
    assert_defaults(repo, "default-acct", "sa-east-1", DEFAULT_ACCOUNT)
    # 13 digits is not an account id either.
    other = ecr_for("1234567890123", "sa-east-1")
    assert names_of(other.describe_repositories()["repositories"]) == ["default-acct"]
