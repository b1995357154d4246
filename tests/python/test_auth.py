"""GetAuthorizationToken through boto3 and the AWS CLI v1 (`get-authorization-token`,
`get-login-password`) against the `berth` binary.

Expected values come from shared/docs/ecr-behaviour-images.md §11: the token is base64 of
`AWS:<password>`, it expires 12 hours after the call (epoch seconds with milliseconds), and
`proxyEndpoint` names the registry of each `registryIds` id (the caller's without it), in
the request's region. That the password is one Berth accepts is checked in Rust, with the
server's key (berth/tests/sdk.rs, berth/tests/durable.rs)."""

from __future__ import annotations

import base64
import re
import time

import pytest
from botocore.exceptions import ClientError

from support import ACCOUNT_A, ACCOUNT_B, DEFAULT_ACCOUNT, error_of
from test_cli import Cli

TWELVE_HOURS = 12 * 3600
# Characters a Berth password is made of: safe in Basic credentials and in a shell.
PASSWORD = re.compile(r"[A-Za-z0-9._-]+")


def proxy_endpoint(account: str, region: str) -> str:
    return f"https://{account}.dkr.ecr.{region}.amazonaws.com"


def password_of(token: str) -> str:
    """The password in a token: standard base64 of `AWS:<password>`."""
    user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
    assert user == "AWS", token
    assert PASSWORD.fullmatch(password), password
    return password


def assert_expires_in_twelve_hours(expires_at: float, before: float, after: float) -> None:
    # The wire has milliseconds; allow for their rounding.
    assert before + TWELVE_HOURS - 0.002 <= expires_at <= after + TWELVE_HOURS + 0.002, (
        expires_at,
        before,
        after,
    )


@pytest.mark.parametrize(
    "key, region, account",
    [("AKIAIOSFODNN7EXAMPLE", "us-east-1", DEFAULT_ACCOUNT), (ACCOUNT_A, "eu-west-1", ACCOUNT_A)],
)
def test_boto3_token_for_the_callers_registry(ecr_for, key, region, account):
    before = time.time()
    out = ecr_for(key, region).get_authorization_token()
    after = time.time()
    [data] = out["authorizationData"]
    assert set(data) == {"authorizationToken", "expiresAt", "proxyEndpoint"}
    assert data["proxyEndpoint"] == proxy_endpoint(account, region)
    password_of(data["authorizationToken"])
    # boto3 gives a timezone-aware datetime.
    assert data["expiresAt"].tzinfo is not None
    assert_expires_in_twelve_hours(data["expiresAt"].timestamp(), before, after)


def test_boto3_registry_ids_one_entry_each_in_order(ecr_for):
    ecr = ecr_for(ACCOUNT_A, "us-west-2")
    out = ecr.get_authorization_token(registryIds=[ACCOUNT_B, ACCOUNT_A, DEFAULT_ACCOUNT])
    data = out["authorizationData"]
    assert [d["proxyEndpoint"] for d in data] == [
        proxy_endpoint(account, "us-west-2") for account in (ACCOUNT_B, ACCOUNT_A, DEFAULT_ACCOUNT)
    ]
    # One login (the caller's), whichever registry an entry names.
    assert len({d["authorizationToken"] for d in data}) == 1
    assert len({d["expiresAt"] for d in data}) == 1


def test_boto3_registry_ids_follow_the_model(ecr_for):
    ecr = ecr_for(validate=False)
    for bad in ([], ["12345"], [DEFAULT_ACCOUNT] * 11):
        with pytest.raises(ClientError) as excinfo:
            ecr.get_authorization_token(registryIds=bad)
        code, message, _ = error_of(excinfo)
        assert code == "InvalidParameterException", (bad, message)
        assert "registryIds" in message, message


def test_cli_get_authorization_token(endpoint):
    cli = Cli(endpoint, ACCOUNT_A, "ap-northeast-1")
    before = time.time()
    out = cli.ok("get-authorization-token")
    after = time.time()
    [data] = out["authorizationData"]
    assert data["proxyEndpoint"] == proxy_endpoint(ACCOUNT_A, "ap-northeast-1")
    password_of(data["authorizationToken"])
    # The CLI v1 prints timestamps as received: epoch seconds.
    assert isinstance(data["expiresAt"], (int, float))
    assert_expires_in_twelve_hours(data["expiresAt"], before, after)
    endpoints = cli.ok(
        "get-authorization-token", "--registry-ids", ACCOUNT_B, ACCOUNT_A,
        "--query", "authorizationData[].proxyEndpoint",
    )
    assert endpoints == [proxy_endpoint(ACCOUNT_B, "ap-northeast-1"), proxy_endpoint(ACCOUNT_A, "ap-northeast-1")]


def test_cli_get_login_password_prints_the_password(endpoint, ecr_for):
    cli = Cli(endpoint, ACCOUNT_A, "eu-west-1")
    result = cli.run("get-login-password")
    assert result.returncode == 0, result.stderr
    # One line, the password alone (what `docker login --password-stdin` reads).
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1, repr(result.stdout)
    password = result.stdout.rstrip("\n")
    assert PASSWORD.fullmatch(password), password
    # The same kind of password boto3 finds in the token for the same caller and region
    # (they differ only by their expiry, a few milliseconds apart)...
    token = ecr_for(ACCOUNT_A, "eu-west-1").get_authorization_token()["authorizationData"][0]
    same_caller = password_of(token["authorizationToken"])
    assert len(password) == len(same_caller)
    # ...and not the one of another caller.
    other = ecr_for(ACCOUNT_B, "eu-west-1").get_authorization_token()["authorizationData"][0]
    assert password != password_of(other["authorizationToken"])
