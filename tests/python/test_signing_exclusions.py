"""Signing configuration (§8) and pull-time update exclusions (§9) of
shared/docs/ecr-behaviour-registry.md through boto3 (its validation off where Berth's checks
must answer) and the AWS CLI v1 against the `berth` binary. Expected texts are written out
here."""

from __future__ import annotations

import json

import pytest

from support import (
    ACCOUNT_A,
    DEFAULT_ACCOUNT,
    Cli,
    error_of,
    invalid_parameter,
    make_client,
    not_found,
)
from test_images import simple_image

PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/prod"
OTHER_PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/all"


def no_configuration(registry: str = DEFAULT_ACCOUNT) -> str:
    return f"Signing configuration does not exist in the registry with id '{registry}'"


def failed(profile: str) -> dict:
    return {"signingProfileArn": profile, "status": "FAILED", "failureCode": "SIGNING_UNAVAILABLE",
            "failureReason": "Berth does not sign images."}


def role(name: str, account: str = DEFAULT_ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def exists(arn: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return f"The pull time update exclusion for principal '{arn}' already exists in the registry with id '{registry}'"


def missing(arn: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return f"The pull time update exclusion for principal '{arn}' does not exist in the registry with id '{registry}'"


@pytest.fixture
def raw(endpoint):
    return make_client(endpoint, validate=False)


def pushed(ecr, repo: str, seed: str, tag: str = "v1") -> str:
    manifest, digest = simple_image(ecr, repo, seed)
    ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag)
    return digest


def rule(profile: str, *filters: str) -> dict:
    out = {"signingProfileArn": profile}
    if filters:
        out["repositoryFilters"] = [{"filter": f, "filterType": "WILDCARD_MATCH"} for f in filters]
    return out


# --- Signing configuration ---------------------------------------------------------------------

def test_no_configuration_until_one_is_put(ecr, raw):
    for call in (raw.get_signing_configuration, raw.delete_signing_configuration):
        with pytest.raises(raw.exceptions.SigningConfigurationNotFoundException) as excinfo:
            call()
        assert error_of(excinfo)[:2] == ("SigningConfigurationNotFoundException", no_configuration())


def test_put_get_delete_answer_the_configuration_as_given(ecr, raw):
    configuration = {"rules": [rule(OTHER_PROFILE), rule(PROFILE, "*prod*", "myapp/*")]}
    put = ecr.put_signing_configuration(signingConfiguration=configuration)
    assert put["signingConfiguration"] == configuration
    # A rule without filters stays without them: no `repositoryFilters: []`.
    assert "repositoryFilters" not in put["signingConfiguration"]["rules"][0]
    got = ecr.get_signing_configuration()
    assert (got["registryId"], got["signingConfiguration"]) == (DEFAULT_ACCOUNT, configuration)
    replaced = {"rules": []}
    assert ecr.put_signing_configuration(signingConfiguration=replaced)["signingConfiguration"] == replaced
    deleted = ecr.delete_signing_configuration()
    assert (deleted["registryId"], deleted["signingConfiguration"]) == (DEFAULT_ACCOUNT, replaced)
    with pytest.raises(raw.exceptions.SigningConfigurationNotFoundException):
        raw.get_signing_configuration()


@pytest.mark.parametrize("configuration, member, reason", [
    ({}, "signingConfiguration.rules", "Member must not be null"),
    ({"rules": [rule(PROFILE)] * 11}, "signingConfiguration.rules", "Member must have length less than or equal to 10"),
    ({"rules": [{"signingProfileArn": PROFILE, "repositoryFilters": []}]},
     "signingConfiguration.rules.1.member.repositoryFilters", "Member must have length greater than or equal to 1"),
    ({"rules": [{"signingProfileArn": PROFILE, "repositoryFilters": [{"filter": "a", "filterType": "WILDCARD"}]}]},
     "signingConfiguration.rules.1.member.repositoryFilters.1.member.filterType",
     "Member must satisfy enum value set: [WILDCARD_MATCH]"),
    ({"rules": [{"repositoryFilters": [{"filter": "a", "filterType": "WILDCARD_MATCH"}]}]},
     "signingConfiguration.rules.1.member.signingProfileArn", "Member must not be null"),
])
def test_bad_configurations_are_refused_and_change_nothing(ecr, raw, configuration, member, reason):
    kept = {"rules": [rule(PROFILE)]}
    ecr.put_signing_configuration(signingConfiguration=kept)
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.put_signing_configuration(signingConfiguration=configuration)
    assert error_of(excinfo)[1] == invalid_parameter(member, reason)
    assert ecr.get_signing_configuration()["signingConfiguration"] == kept


def test_a_profile_arn_must_be_a_signer_profile(ecr, raw):
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.put_signing_configuration(signingConfiguration={"rules": [rule("arn:aws:iam::123456789012:role/x")]})
    message = error_of(excinfo)[1]
    assert message.startswith("Invalid parameter at 'signingConfiguration.rules.1.member.signingProfileArn' "
                              "failed to satisfy constraint: 'Member must satisfy regular expression pattern: "), message
    with pytest.raises(raw.exceptions.SigningConfigurationNotFoundException):
        raw.get_signing_configuration()


def test_configurations_are_per_account_and_region(ecr_for):
    ecr_for().put_signing_configuration(signingConfiguration={"rules": [rule(PROFILE)]})
    for other in (ecr_for(region="eu-west-1", validate=False), ecr_for(key=ACCOUNT_A, validate=False)):
        with pytest.raises(other.exceptions.SigningConfigurationNotFoundException):
            other.get_signing_configuration()
    other = ecr_for(key=ACCOUNT_A, validate=False)
    with pytest.raises(other.exceptions.SigningConfigurationNotFoundException) as excinfo:
        other.delete_signing_configuration()
    assert error_of(excinfo)[1] == no_configuration(ACCOUNT_A)


# --- DescribeImageSigningStatus ----------------------------------------------------------------

def test_a_push_records_one_failed_status_per_matching_rule(ecr):
    for name in ("team/production", "team/dev"):
        ecr.create_repository(repositoryName=name)
    before = pushed(ecr, "team/dev", "before")
    ecr.put_signing_configuration(signingConfiguration={
        "rules": [rule(OTHER_PROFILE), rule(PROFILE, "*prod*")]})
    prod = pushed(ecr, "team/production", "one")
    dev = pushed(ecr, "team/dev", "two", tag="v2")

    answer = ecr.describe_image_signing_status(repositoryName="team/production", imageId={"imageTag": "v1"})
    del answer["ResponseMetadata"]
    assert answer == {"repositoryName": "team/production", "imageId": {"imageDigest": prod, "imageTag": "v1"},
                      "registryId": DEFAULT_ACCOUNT, "signingStatuses": [failed(OTHER_PROFILE), failed(PROFILE)]}
    answer = ecr.describe_image_signing_status(repositoryName="team/dev", imageId={"imageDigest": dev})
    assert answer["imageId"] == {"imageDigest": dev}
    assert answer["signingStatuses"] == [failed(OTHER_PROFILE)]
    # Pushed before any rule: nothing to report.
    answer = ecr.describe_image_signing_status(repositoryName="team/dev", imageId={"imageDigest": before})
    assert answer["signingStatuses"] == []


def test_signing_status_errors(ecr, raw):
    ecr.create_repository(repositoryName="app")
    pushed(ecr, "app", "one")
    with pytest.raises(raw.exceptions.RepositoryNotFoundException) as excinfo:
        raw.describe_image_signing_status(repositoryName="nope", imageId={"imageTag": "v1"})
    assert error_of(excinfo)[1] == not_found("nope")
    with pytest.raises(raw.exceptions.ImageNotFoundException) as excinfo:
        raw.describe_image_signing_status(repositoryName="app", imageId={"imageTag": "v9"})
    assert error_of(excinfo)[1] == (
        "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within the repository "
        f"with name 'app' in the registry with id '{DEFAULT_ACCOUNT}'")
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.describe_image_signing_status(repositoryName="app", imageId={"imageTag": "bad tag"})
    assert error_of(excinfo)[1] == (
        "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression "
        "'[a-zA-Z0-9-_.]+''")
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.describe_image_signing_status(repositoryName="app")
    assert error_of(excinfo)[1] == invalid_parameter("imageId", "Member must not be null")


def test_cli_signing_commands(endpoint, ecr):
    cli = Cli(endpoint)
    cli.fails("get-signing-configuration", code="SigningConfigurationNotFoundException",
              operation="GetSigningConfiguration", message=no_configuration())
    configuration = {"rules": [rule(PROFILE, "app")]}
    assert cli.ok("put-signing-configuration", "--signing-configuration", json.dumps(configuration)) == {
        "signingConfiguration": configuration}
    assert cli.ok("get-signing-configuration") == {"registryId": DEFAULT_ACCOUNT,
                                                   "signingConfiguration": configuration}
    ecr.create_repository(repositoryName="app")
    digest = pushed(ecr, "app", "one")
    status = cli.ok("describe-image-signing-status", "--repository-name", "app", "--image-id", "imageTag=v1")
    assert status == {"repositoryName": "app", "imageId": {"imageDigest": digest, "imageTag": "v1"},
                      "registryId": DEFAULT_ACCOUNT, "signingStatuses": [failed(PROFILE)]}
    assert cli.ok("delete-signing-configuration") == {"registryId": DEFAULT_ACCOUNT,
                                                      "signingConfiguration": configuration}
    cli.fails("delete-signing-configuration", code="SigningConfigurationNotFoundException",
              operation="DeleteSigningConfiguration", message=no_configuration())


# --- Pull-time update exclusions ---------------------------------------------------------------

def test_register_list_deregister(ecr, raw):
    assert ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == []
    arns = [role("ci"), f"arn:aws:iam::{DEFAULT_ACCOUNT}:user/path/to/alice", role("batch")]
    for arn in arns:
        answer = ecr.register_pull_time_update_exclusion(principalArn=arn)
        assert answer["principalArn"] == arn
        assert answer["createdAt"].timestamp() > 0
    listed = ecr.list_pull_time_update_exclusions()
    assert listed["pullTimeUpdateExclusions"] == sorted(arns)
    assert "nextToken" not in listed

    with pytest.raises(raw.exceptions.ExclusionAlreadyExistsException) as excinfo:
        raw.register_pull_time_update_exclusion(principalArn=role("ci"))
    assert error_of(excinfo)[:2] == ("ExclusionAlreadyExistsException", exists(role("ci")))

    assert ecr.deregister_pull_time_update_exclusion(principalArn=role("ci"))["principalArn"] == role("ci")
    with pytest.raises(raw.exceptions.ExclusionNotFoundException) as excinfo:
        raw.deregister_pull_time_update_exclusion(principalArn=role("ci"))
    assert error_of(excinfo)[:2] == ("ExclusionNotFoundException", missing(role("ci")))
    assert ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == sorted(arns[1:])


@pytest.mark.parametrize("arn", [
    f"arn:aws:iam::{DEFAULT_ACCOUNT}:root",
    "arn:aws:iam::12345:role/short-account",
    f"arn:aws:sts::{DEFAULT_ACCOUNT}:assumed-role/x/y",
    "not an arn",
])
def test_only_role_and_user_arns_can_be_excluded(raw, arn):
    for call in (raw.register_pull_time_update_exclusion, raw.deregister_pull_time_update_exclusion):
        with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
            call(principalArn=arn)
        message = error_of(excinfo)[1]
        assert message.startswith("Invalid parameter at 'principalArn' failed to satisfy constraint: "
                                  "'Member must satisfy regular expression pattern: "), message
    assert raw.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == []


def test_at_most_100_exclusions(ecr, raw):
    for index in range(100):
        ecr.register_pull_time_update_exclusion(principalArn=role(f"r{index:03}"))
    with pytest.raises(raw.exceptions.LimitExceededException) as excinfo:
        raw.register_pull_time_update_exclusion(principalArn=role("one-too-many"))
    assert error_of(excinfo)[:2] == ("LimitExceededException",
                                     "The maximum number of pull time update exclusions (100) has been reached "
                                     f"for the registry with id '{DEFAULT_ACCOUNT}'")
    # An existing one is still "already exists", and freeing a place lets another in.
    with pytest.raises(raw.exceptions.ExclusionAlreadyExistsException):
        raw.register_pull_time_update_exclusion(principalArn=role("r000"))
    ecr.deregister_pull_time_update_exclusion(principalArn=role("r000"))
    ecr.register_pull_time_update_exclusion(principalArn=role("one-too-many"))

    # Pages in ARN order, by hand and with the CLI's own pagination.
    seen, token = [], None
    while True:
        page = ecr.list_pull_time_update_exclusions(maxResults=30, **({"nextToken": token} if token else {}))
        assert len(page["pullTimeUpdateExclusions"]) <= 30
        seen += page["pullTimeUpdateExclusions"]
        token = page.get("nextToken")
        if not token:
            break
    expected = sorted([role(f"r{index:03}") for index in range(1, 100)] + [role("one-too-many")])
    assert seen == expected
    assert len(ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"]) == 100


@pytest.mark.parametrize("arguments, member, reason", [
    ({"maxResults": 0}, "maxResults", "Member must have value greater than or equal to 1"),
    ({"maxResults": 1001}, "maxResults", "Member must have value less than or equal to 1000"),
    ({"nextToken": "not-ours"}, "nextToken", "Invalid NextToken"),
])
def test_list_checks_its_pagination(raw, arguments, member, reason):
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.list_pull_time_update_exclusions(**arguments)
    assert error_of(excinfo)[1] == invalid_parameter(member, reason)


def test_exclusions_are_per_account_and_region(ecr_for):
    ecr_for().register_pull_time_update_exclusion(principalArn=role("ci"))
    for other in (ecr_for(region="eu-west-1", validate=False), ecr_for(key=ACCOUNT_A, validate=False)):
        assert other.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == []
        with pytest.raises(other.exceptions.ExclusionNotFoundException):
            other.deregister_pull_time_update_exclusion(principalArn=role("ci"))
        other.register_pull_time_update_exclusion(principalArn=role("ci"))


def test_every_caller_is_a_root_principal_so_pulls_still_record_their_time(ecr):
    """Berth knows a caller by account only (its root principal), which no exclusion can
    name: an exclusion of every role and user changes no pull."""
    ecr.create_repository(repositoryName="app")
    pushed(ecr, "app", "one")
    ecr.register_pull_time_update_exclusion(principalArn=role("ci"))
    [detail] = ecr.describe_images(repositoryName="app")["imageDetails"]
    assert "lastRecordedPullTime" not in detail
    ecr.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
    [detail] = ecr.describe_images(repositoryName="app")["imageDetails"]
    assert "lastRecordedPullTime" in detail


def test_cli_exclusion_commands(endpoint):
    cli = Cli(endpoint)
    for name in ("b", "a", "c"):
        answer = cli.ok("register-pull-time-update-exclusion", "--principal-arn", role(name))
        assert answer["principalArn"] == role(name) and answer["createdAt"] > 0
    cli.fails("register-pull-time-update-exclusion", "--principal-arn", role("a"),
              code="ExclusionAlreadyExistsException", operation="RegisterPullTimeUpdateExclusion",
              message=exists(role("a")))
    page = cli.ok("list-pull-time-update-exclusions", "--max-results", "2")
    assert page["pullTimeUpdateExclusions"] == [role("a"), role("b")]
    rest = cli.ok("list-pull-time-update-exclusions", "--next-token", page["nextToken"])
    assert rest == {"pullTimeUpdateExclusions": [role("c")]}
    assert cli.ok("deregister-pull-time-update-exclusion", "--principal-arn", role("b")) == {
        "principalArn": role("b")}
    cli.fails("deregister-pull-time-update-exclusion", "--principal-arn", role("b"),
              code="ExclusionNotFoundException", operation="DeregisterPullTimeUpdateExclusion",
              message=missing(role("b")))
