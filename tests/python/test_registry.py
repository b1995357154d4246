"""Registry-level operations through boto3 and the AWS CLI v1 (ecr-behaviour-registry.md §2,
§3, §7): the registry policy and its scope setting, DescribeRegistry, the checks of
PutReplicationConfiguration, DescribeImageReplicationStatus's errors, and the account
settings. Every refusal is checked on the wire (code and exact text) and to change nothing.

Expected texts come from the spec; replication itself is tested in test_replication.py."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from support import ACCOUNT_A, DEFAULT_ACCOUNT, Cli, error_of, invalid_parameter, make_client, not_found

INVALID_POLICY = invalid_parameter("PolicyText", "Invalid registry policy provided")
NO_POLICY = f"Registry policy does not exist in the registry with id '{DEFAULT_ACCOUNT}'"
TO_SOURCE = invalid_parameter(
    "replicationConfiguration", "Replication destination cannot be the same as the source registry"
)
SETTING_NAMES = "Member must satisfy enum value set: [BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE, BLOB_MOUNTING]"


def registry_policy(*actions: str, **statement) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Replication",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
            "Action": list(actions),
            "Resource": f"arn:aws:ecr:us-east-1:{DEFAULT_ACCOUNT}:repository/*",
            **statement,
        }],
    })


REPLICATION_POLICY = registry_policy("ecr:CreateRepository", "ecr:ReplicateImage")


def refused(call, code: str, message: str, **kwargs) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    assert error_of(excinfo)[:2] == (code, message)


@pytest.fixture
def raw(endpoint):
    """boto3 without its own validation: Berth's checks answer."""
    return make_client(endpoint, validate=False)


@pytest.fixture
def cli(endpoint):
    return Cli(endpoint)


# --- registry policy (§2) ---


def test_registry_policy_put_get_delete(ecr, cli):
    refused(ecr.get_registry_policy, "RegistryPolicyNotFoundException", NO_POLICY)
    refused(ecr.delete_registry_policy, "RegistryPolicyNotFoundException", NO_POLICY)
    put = ecr.put_registry_policy(policyText=REPLICATION_POLICY)
    assert (put["registryId"], put["policyText"]) == (DEFAULT_ACCOUNT, REPLICATION_POLICY)
    got = ecr.get_registry_policy()
    assert (got["registryId"], got["policyText"]) == (DEFAULT_ACCOUNT, REPLICATION_POLICY)
    # V2 (the default scope) takes any ECR action; a Put replaces the policy.
    wider = registry_policy("ecr:BatchGetImage", "ecr:Describe*", "ecr:*")
    assert cli.ok("put-registry-policy", "--policy-text", wider)["policyText"] == wider
    assert cli.ok("get-registry-policy")["policyText"] == wider
    deleted = cli.ok("delete-registry-policy")
    assert (deleted["registryId"], deleted["policyText"]) == (DEFAULT_ACCOUNT, wider)
    cli.fails("get-registry-policy", code="RegistryPolicyNotFoundException",
              operation="GetRegistryPolicy", message=NO_POLICY)


@pytest.mark.parametrize("text", [
    "not json",
    "[]",
    "{}",
    '{"Statement": []}',
    registry_policy("s3:GetObject"),
    registry_policy("ecr:ReplicateImage", "iam:PassRole"),
    registry_policy("*"),
    registry_policy("ecr:ReplicateImage", Effect="Permit"),
])
def test_a_bad_registry_policy_is_refused_and_changes_nothing(ecr, raw, text):
    ecr.put_registry_policy(policyText=REPLICATION_POLICY)
    refused(raw.put_registry_policy, "InvalidParameterException", INVALID_POLICY, policyText=text)
    assert ecr.get_registry_policy()["policyText"] == REPLICATION_POLICY


def test_a_registry_policy_longer_than_10240_characters_is_a_model_error(raw, cli):
    long_policy = registry_policy("ecr:ReplicateImage", Sid="x" * 10240)
    message = invalid_parameter("policyText", "Member must have length less than or equal to 10240")
    refused(raw.put_registry_policy, "InvalidParameterException", message, policyText=long_policy)
    cli.fails("put-registry-policy", "--policy-text", long_policy, code="InvalidParameterException",
              operation="PutRegistryPolicy", message=message)
    refused(raw.get_registry_policy, "RegistryPolicyNotFoundException", NO_POLICY)


def test_v1_scope_allows_only_the_replication_and_pull_through_actions(ecr, raw, cli):
    got = ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")
    assert (got["name"], got["value"]) == ("REGISTRY_POLICY_SCOPE", "V2")
    cli.ok("put-account-setting", "--name", "REGISTRY_POLICY_SCOPE", "--value", "V1")
    v1_policy = registry_policy("ecr:ReplicateImage", "ecr:CreateRepository", "ecr:BatchImportUpstreamImage")
    assert ecr.put_registry_policy(policyText=v1_policy)["policyText"] == v1_policy
    for action in ("ecr:BatchGetImage", "ecr:*"):
        refused(raw.put_registry_policy, "InvalidParameterException", INVALID_POLICY,
                policyText=registry_policy("ecr:ReplicateImage", action))
    cli.fails("put-registry-policy", "--policy-text", registry_policy("ecr:PutImage"),
              code="InvalidParameterException", operation="PutRegistryPolicy", message=INVALID_POLICY)
    assert ecr.get_registry_policy()["policyText"] == v1_policy
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V2")
    wider = registry_policy("ecr:BatchGetImage")
    assert ecr.put_registry_policy(policyText=wider)["policyText"] == wider


def test_the_registry_policy_is_per_account_and_region(endpoint, ecr):
    ecr.put_registry_policy(policyText=REPLICATION_POLICY)
    for key, region in ((DEFAULT_ACCOUNT, "eu-west-1"), (ACCOUNT_A, "us-east-1")):
        other = make_client(endpoint, key, region)
        with pytest.raises(ClientError) as excinfo:
            other.get_registry_policy()
        code, message, _ = error_of(excinfo)
        assert code == "RegistryPolicyNotFoundException"
        assert message == f"Registry policy does not exist in the registry with id '{key}'"


# --- DescribeRegistry and PutReplicationConfiguration (§3) ---


def test_describe_registry_and_replication_configuration_round_trip(ecr, cli):
    assert ecr.describe_registry()["registryId"] == DEFAULT_ACCOUNT
    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": []}
    configuration = {"rules": [
        {"destinations": [{"region": "eu-west-1", "registryId": DEFAULT_ACCOUNT}]},
        {"destinations": [{"region": "us-east-1", "registryId": ACCOUNT_A},
                          {"region": "us-west-2", "registryId": ACCOUNT_A}],
         "repositoryFilters": [{"filter": "prod", "filterType": "PREFIX_MATCH"}]},
    ]}
    put = ecr.put_replication_configuration(replicationConfiguration=configuration)
    assert put["replicationConfiguration"] == configuration
    described = cli.ok("describe-registry")
    # As given: a rule without filters stays without them (not []).
    assert described == {"registryId": DEFAULT_ACCOUNT, "replicationConfiguration": configuration}
    cli.ok("put-replication-configuration", "--replication-configuration", '{"rules": []}')
    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": []}


def destinations(count: int) -> list[dict]:
    return [{"region": "eu-west-1", "registryId": f"{100000000000 + i}"} for i in range(count)]


@pytest.mark.parametrize("configuration,message", [
    ({"rules": [{"destinations": [{"region": "us-east-1", "registryId": DEFAULT_ACCOUNT}]}]}, TO_SOURCE),
    ({"rules": [{"destinations": destinations(1)},
                {"destinations": [{"region": "eu-west-1", "registryId": ACCOUNT_A},
                                  {"region": "us-east-1", "registryId": DEFAULT_ACCOUNT}]}]}, TO_SOURCE),
    ({"rules": [{"destinations": destinations(1)}] * 11},
     invalid_parameter("replicationConfiguration.rules", "Member must have length less than or equal to 10")),
    ({"rules": [{"destinations": destinations(101)}]},
     invalid_parameter("replicationConfiguration.rules.1.member.destinations",
                       "Member must have length less than or equal to 100")),
    ({"rules": [{"destinations": destinations(26)}]},
     invalid_parameter("replicationConfiguration",
                       "Replication configuration cannot have more than 25 unique destinations")),
    ({"rules": [{"destinations": destinations(1),
                 "repositoryFilters": [{"filter": f"p{i}", "filterType": "PREFIX_MATCH"} for i in range(101)]}]},
     invalid_parameter("replicationConfiguration.rules.1.member.repositoryFilters",
                       "Member must have length less than or equal to 100")),
    ({"rules": [{"destinations": destinations(1), "repositoryFilters": []}]},
     invalid_parameter("replicationConfiguration.rules.1.member.repositoryFilters",
                       "Member must have length greater than or equal to 1")),
    ({"rules": [{"destinations": destinations(1),
                 "repositoryFilters": [{"filter": "prod", "filterType": "WILDCARD"}]}]},
     invalid_parameter("replicationConfiguration.rules.1.member.repositoryFilters.1.member.filterType",
                       "Member must satisfy enum value set: [PREFIX_MATCH]")),
    ({"rules": [{"destinations": [{"region": "EU_WEST", "registryId": ACCOUNT_A}]}]},
     invalid_parameter("replicationConfiguration.rules.1.member.destinations.1.member.region",
                       "Member must satisfy regular expression pattern: ^[0-9a-z-]{2,25}$")),
])
def test_a_bad_replication_configuration_is_refused_and_changes_nothing(ecr, raw, configuration, message):
    kept = {"rules": [{"destinations": destinations(1)}]}
    ecr.put_replication_configuration(replicationConfiguration=kept)
    refused(raw.put_replication_configuration, "InvalidParameterException", message,
            replicationConfiguration=configuration)
    assert ecr.describe_registry()["replicationConfiguration"] == kept


def test_25_distinct_destinations_are_allowed_and_repeats_count_once(ecr):
    configuration = {"rules": [{"destinations": destinations(25)}, {"destinations": destinations(25)}]}
    assert ecr.put_replication_configuration(replicationConfiguration=configuration)["replicationConfiguration"] == configuration


def test_replication_to_the_source_through_the_cli(cli):
    configuration = json.dumps({"rules": [{"destinations": [{"region": "us-east-1", "registryId": DEFAULT_ACCOUNT}]}]})
    cli.fails("put-replication-configuration", "--replication-configuration", configuration,
              code="InvalidParameterException", operation="PutReplicationConfiguration", message=TO_SOURCE)
    assert cli.ok("describe-registry")["replicationConfiguration"] == {"rules": []}


# --- DescribeImageReplicationStatus errors (§0, §3) ---


def test_describe_image_replication_status_errors(ecr, raw, cli):
    refused(ecr.describe_image_replication_status, "RepositoryNotFoundException", not_found("nowhere"),
            repositoryName="nowhere", imageId={"imageTag": "v1"})
    ecr.create_repository(repositoryName="here")
    message = (
        "The image with imageId {imageDigest:'null', imageTag:'v1'} does not exist within the repository "
        f"with name 'here' in the registry with id '{DEFAULT_ACCOUNT}'"
    )
    refused(ecr.describe_image_replication_status, "ImageNotFoundException", message,
            repositoryName="here", imageId={"imageTag": "v1"})
    cli.fails("describe-image-replication-status", "--repository-name", "here", "--image-id", "imageTag=v1",
              code="ImageNotFoundException", operation="DescribeImageReplicationStatus", message=message)
    with pytest.raises(ClientError) as excinfo:
        raw.describe_image_replication_status(repositoryName="here", imageId={"imageTag": "v1"},
                                              registryId=ACCOUNT_A)
    assert error_of(excinfo)[0] == "AccessDeniedException"


# --- account settings (§7) ---


@pytest.mark.parametrize("name,default", [
    ("BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE"), ("REGISTRY_POLICY_SCOPE", "V2"), ("BLOB_MOUNTING", "DISABLED"),
])
def test_account_settings_defaults(ecr, cli, name, default):
    got = ecr.get_account_setting(name=name)
    assert (got["name"], got["value"]) == (name, default)
    assert cli.ok("get-account-setting", "--name", name) == {"name": name, "value": default}


def test_account_settings_put_get_per_account_and_region(endpoint, ecr, cli):
    put = cli.ok("put-account-setting", "--name", "BLOB_MOUNTING", "--value", "ENABLED")
    assert put == {"name": "BLOB_MOUNTING", "value": "ENABLED"}
    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "ENABLED"
    assert make_client(endpoint, region="eu-west-1").get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    assert make_client(endpoint, ACCOUNT_A).get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    ecr.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")
    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    assert ecr.put_account_setting(name="BASIC_SCAN_TYPE_VERSION", value="AWS_NATIVE")["value"] == "AWS_NATIVE"


@pytest.mark.parametrize("name,value,member,allowed", [
    ("SCAN_TYPE", "AWS_NATIVE", "name", SETTING_NAMES),
    ("blob_mounting", "ENABLED", "name", SETTING_NAMES),
    ("BASIC_SCAN_TYPE_VERSION", "CLAIR", "value", "Member must satisfy enum value set: [AWS_NATIVE]"),
    ("REGISTRY_POLICY_SCOPE", "V3", "value", "Member must satisfy enum value set: [V1, V2]"),
    ("BLOB_MOUNTING", "enabled", "value", "Member must satisfy enum value set: [ENABLED, DISABLED]"),
])
def test_unknown_setting_names_and_values(ecr, raw, cli, name, value, member, allowed):
    message = invalid_parameter(member, allowed)
    refused(raw.put_account_setting, "InvalidParameterException", message, name=name, value=value)
    cli.fails("put-account-setting", "--name", name, "--value", value, code="InvalidParameterException",
              operation="PutAccountSetting", message=message)
    if member == "name":
        refused(raw.get_account_setting, "InvalidParameterException", message, name=name)
    else:
        assert ecr.get_account_setting(name=name)["value"] != value


def test_a_setting_name_longer_than_64_is_a_model_error(raw):
    refused(raw.get_account_setting, "InvalidParameterException",
            invalid_parameter("name", "Member must have length less than or equal to 64"), name="X" * 65)
