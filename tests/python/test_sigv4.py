"""`--verify-sigv4` against requests signed by boto3, and tampered copies of them.

A Berth of its own for this module, started with BERTH_VERIFY_SIGV4 and BERTH_CREDENTIALS
(two keys, two accounts). Tampering happens after botocore has signed: a `before-send`
hook edits the prepared request. Stale signatures come from botocore's clock moved back.
"""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request
from unittest import mock

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support import BerthProcess, berth_binary, error_of, repo_arn

KEY_A, SECRET_A, ACCOUNT_A = "AKIDPYTHONA", "secret/for+A", "333333333333"
KEY_B, SECRET_B, ACCOUNT_B = "AKIDPYTHONB", "secret-for-B", "444444444444"

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)
UNRECOGNIZED = "The security token included in the request is invalid."


@pytest.fixture(scope="module")
def verifying(tmp_path_factory):
    """A Berth that verifies signatures; its endpoint."""
    server = BerthProcess(
        berth_binary(),
        tmp_path_factory.mktemp("berth-sigv4") / "berth.log",
        extra_env={
            "BERTH_VERIFY_SIGV4": "true",
            "BERTH_CREDENTIALS": f"{KEY_A}:{SECRET_A}:{ACCOUNT_A},{KEY_B}:{SECRET_B}:{ACCOUNT_B}",
        },
    )
    yield server.endpoint
    assert server.stop() == 0, server.log()


def client(endpoint: str, key: str, secret: str, region: str = "us-east-1"):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
    config = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return session.client("ecr", endpoint_url=endpoint, config=config)


def refused(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call()
    code, message, _ = error_of(excinfo)
    return code, message


def test_signed_requests_act_as_the_key_account_in_the_scope_region(verifying):
    a = client(verifying, KEY_A, SECRET_A, "ap-south-1")
    repository = a.create_repository(repositoryName="py/signed")["repository"]
    assert repository["registryId"] == ACCOUNT_A
    assert repository["repositoryArn"] == repo_arn("ap-south-1", ACCOUNT_A, "py/signed")
    b = client(verifying, KEY_B, SECRET_B, "ap-south-1")
    assert b.describe_repositories()["repositories"] == []
    assert a.delete_repository(repositoryName="py/signed")["repository"]["registryId"] == ACCOUNT_A


def test_a_wrong_secret_and_an_unknown_key_are_refused(verifying):
    wrong = client(verifying, KEY_A, SECRET_B)
    assert refused(wrong.describe_repositories) == ("InvalidSignatureException", SIGNATURE_MISMATCH)
    stranger = client(verifying, "AKIDNOBODY", SECRET_A)
    assert refused(stranger.describe_repositories) == ("UnrecognizedClientException", UNRECOGNIZED)


def tampering(endpoint: str, change):
    """A client for key A whose requests are changed by `change(request)` after signing."""
    c = client(endpoint, KEY_A, SECRET_A)
    c.meta.events.register("before-send.ecr.*", lambda request, **_: change(request))
    return c


def change_body(request):
    request.body = b'{"repositoryName": "py-other"}'
    request.headers["Content-Length"] = str(len(request.body))


def change_target(request):
    request.headers["X-Amz-Target"] = "AmazonEC2ContainerRegistry_V20150921.DeleteRepository"


def claim_another_hash(request):
    request.headers["X-Amz-Content-SHA256"] = "0" * 64


@pytest.mark.parametrize("change", [change_body, change_target, claim_another_hash])
def test_requests_changed_after_signing_are_refused(verifying, change):
    c = tampering(verifying, change)
    assert refused(lambda: c.create_repository(repositoryName="py-tampered")) == (
        "InvalidSignatureException",
        SIGNATURE_MISMATCH,
    )
    honest = client(verifying, KEY_A, SECRET_A)
    assert honest.describe_repositories()["repositories"] == []


@pytest.mark.parametrize("minutes", [-20, 20])
def test_signatures_from_a_clock_off_by_more_than_fifteen_minutes_are_refused(verifying, minutes):
    skewed = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    c = client(verifying, KEY_A, SECRET_A)
    with mock.patch("botocore.auth.get_current_datetime", return_value=skewed.replace(tzinfo=None)):
        code, message = refused(c.describe_repositories)
    assert code == "InvalidSignatureException"
    assert message.startswith("Signature expired" if minutes < 0 else "Signature not yet current"), message


def test_unsigned_requests_miss_the_token_and_loopback_admin_is_open(verifying):
    request = urllib.request.Request(
        verifying + "/",
        method="POST",
        data=b"{}",
        headers={
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 400
    body = json.loads(excinfo.value.read())
    assert body["__type"] == "MissingAuthenticationTokenException"
    # This test connects over loopback: the admin endpoints answer without a signature.
    with urllib.request.urlopen(verifying + "/_berth/health", timeout=10) as response:
        assert response.status == 200

