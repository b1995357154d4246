"""STS GetCallerIdentity on Berth's endpoint (issue 12): boto3, the AWS CLI v1 and the AWS CLI
v2 (`/usr/bin/aws`) ask who they are and get the account ECR sees them as (the registry
ECR's answers name); any other action is an awsQuery `InvalidAction` error
with a body; with `--verify-sigv4` the request must be signed for service `sts`."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import sys
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support import (
    ACCOUNT_A,
    DEFAULT_ACCOUNT,
    PLAIN_KEY,
    SECRET,
    BerthProcess,
    berth_binary,
    clean_aws_env,
    make_client,
)

CLI_V2 = "/usr/bin/aws"
NAMESPACE = "{https://sts.amazonaws.com/doc/2011-06-15/}"
VERIFY_KEY, VERIFY_SECRET, VERIFY_ACCOUNT = "AKIDSTSTEST", "sts/secret+1", "555555555555"


def sts(endpoint: str, key: str = PLAIN_KEY, secret: str = SECRET, region: str = "us-east-1"):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
    config = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return session.client("sts", endpoint_url=endpoint, config=config)


def identity(account: str) -> dict:
    return {"Account": account, "UserId": account, "Arn": f"arn:aws:iam::{account}:root"}


def cli_env(key: str, region: str = "eu-west-1") -> dict[str, str]:
    env = clean_aws_env()
    env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION=region,
               AWS_MAX_ATTEMPTS="1", AWS_PAGER="")
    return env


def test_boto3_gets_the_account_ecr_sees(endpoint):
    for key, account in [(ACCOUNT_A, ACCOUNT_A), (PLAIN_KEY, DEFAULT_ACCOUNT)]:
        answer = sts(endpoint, key).get_caller_identity()
        assert {k: answer[k] for k in ("Account", "UserId", "Arn")} == identity(account)
        meta = answer["ResponseMetadata"]
        assert meta["HTTPStatusCode"] == 200
        assert meta["HTTPHeaders"]["content-type"] == "text/xml"
        assert meta["RequestId"]
        # The same account ECR answers for this caller.
        ecr = make_client(endpoint, key)
        assert ecr.create_repository(repositoryName=f"who/{account}")["repository"]["registryId"] == account


def test_the_answer_is_stss_xml(endpoint):
    """The raw body: STS's elements in STS's namespace, the request id also in the header."""
    request = urllib.request.Request(
        endpoint + "/", method="POST", data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                 "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCOUNT_A}/20260101/ap-south-1/sts/aws4_request, "
                                  "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/xml"
        request_id = response.headers["x-amzn-RequestId"]
        root = ET.fromstring(response.read())
    assert root.tag == f"{NAMESPACE}GetCallerIdentityResponse"
    result = root.find(f"{NAMESPACE}GetCallerIdentityResult")
    assert {child.tag[len(NAMESPACE):]: child.text for child in result} == identity(ACCOUNT_A)
    assert root.find(f"{NAMESPACE}ResponseMetadata/{NAMESPACE}RequestId").text == request_id


@pytest.mark.parametrize("body, message", [
    (b"Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=y",
     "Could not find operation AssumeRole for version 2011-06-15: Berth answers only the STS action "
     "GetCallerIdentity (version 2011-06-15)"),
    (b"Action=ListUsers&Version=2010-05-08",
     "Could not find operation ListUsers for version 2010-05-08: Berth answers only the STS action "
     "GetCallerIdentity (version 2011-06-15)"),
    (b"Version=2011-06-15",
     "The request names no Action: Berth answers awsQuery requests with Action=GetCallerIdentity only"),
])
def test_other_actions_get_an_awsquery_error_with_a_body(endpoint, body, message):
    request = urllib.request.Request(endpoint + "/", method="POST", data=body,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    error = excinfo.value
    assert error.code == 400
    assert error.headers["Content-Type"] == "text/xml"
    root = ET.fromstring(error.read())
    assert root.tag == f"{NAMESPACE}ErrorResponse"
    fields = {child.tag[len(NAMESPACE):]: child.text for child in root.find(f"{NAMESPACE}Error")}
    assert fields == {"Type": "Sender", "Code": "InvalidAction", "Message": message}
    assert root.find(f"{NAMESPACE}RequestId").text == error.headers["x-amzn-RequestId"]


def test_boto3_meets_invalid_action_for_another_sts_action(endpoint):
    with pytest.raises(ClientError) as excinfo:
        sts(endpoint).get_session_token()
    response = excinfo.value.response
    assert response["Error"]["Code"] == "InvalidAction"
    assert response["Error"]["Message"].startswith("Could not find operation GetSessionToken for version 2011-06-15")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # boto3's IAM client (another service, another version) gets the same shape.
    iam = boto3.session.Session(aws_access_key_id=PLAIN_KEY, aws_secret_access_key=SECRET,
                                region_name="us-east-1").client("iam", endpoint_url=endpoint)
    with pytest.raises(ClientError) as excinfo:
        iam.list_users()
    assert excinfo.value.response["Error"]["Code"] == "InvalidAction"


def test_aws_cli_v1_get_caller_identity(endpoint):
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--endpoint-url", endpoint, "--output", "json"],
        env=cli_env(ACCOUNT_A), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == identity(ACCOUNT_A)


def test_aws_cli_v2_get_caller_identity(endpoint):
    result = subprocess.run(
        [CLI_V2, "sts", "get-caller-identity", "--endpoint-url", endpoint, "--output", "json"],
        env=cli_env(ACCOUNT_A), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == identity(ACCOUNT_A)
    account = subprocess.run(
        [CLI_V2, "sts", "get-caller-identity", "--endpoint-url", endpoint, "--query", "Account", "--output", "text"],
        env=cli_env(PLAIN_KEY), capture_output=True, text=True, timeout=120)
    assert account.returncode == 0, account.stderr
    assert account.stdout.strip() == DEFAULT_ACCOUNT


@pytest.fixture(scope="module")
def verifying(tmp_path_factory):
    server = BerthProcess(
        berth_binary(), tmp_path_factory.mktemp("berth-sts") / "berth.log",
        extra_env={"BERTH_VERIFY_SIGV4": "true",
                   "BERTH_CREDENTIALS": f"{VERIFY_KEY}:{VERIFY_SECRET}:{VERIFY_ACCOUNT}"},
    )
    yield server.endpoint
    assert server.stop() == 0, server.log()


def test_with_verify_sigv4_the_signature_must_verify_for_sts(verifying):
    answer = sts(verifying, VERIFY_KEY, VERIFY_SECRET, "eu-central-1").get_caller_identity()
    assert {k: answer[k] for k in ("Account", "UserId", "Arn")} == identity(VERIFY_ACCOUNT)

    for key, secret, code in [(VERIFY_KEY, "wrong", "SignatureDoesNotMatch"),
                              ("AKIDNOBODY", VERIFY_SECRET, "InvalidClientTokenId")]:
        with pytest.raises(ClientError) as excinfo:
            sts(verifying, key, secret).get_caller_identity()
        response = excinfo.value.response
        assert response["Error"]["Code"] == code
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 403

    # Unsigned: refused with a body too.
    request = urllib.request.Request(verifying + "/", method="POST", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 403
    root = ET.fromstring(excinfo.value.read())
    assert root.find(f"{NAMESPACE}Error/{NAMESPACE}Code").text == "MissingAuthenticationToken"

    # A signature scoped to ECR does not pass for STS: the scope names the service.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = AWSRequest(method="POST", url=verifying + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials(VERIFY_KEY, VERIFY_SECRET), "ecr", "us-east-1").add_auth(signed)
    prepared = signed.prepare()
    request = urllib.request.Request(prepared.url, method="POST", data=prepared.body, headers=dict(prepared.headers))
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 403
    root = ET.fromstring(excinfo.value.read())
    assert root.find(f"{NAMESPACE}Error/{NAMESPACE}Code").text == "SignatureDoesNotMatch"
    assert root.find(f"{NAMESPACE}Error/{NAMESPACE}Message").text == (
        "Credential should be scoped to correct service: 'sts'.")


def test_with_verify_sigv4_the_aws_cli_v2_gets_its_key_account(verifying):
    env = cli_env(VERIFY_KEY)
    env["AWS_SECRET_ACCESS_KEY"] = VERIFY_SECRET
    result = subprocess.run([CLI_V2, "sts", "get-caller-identity", "--endpoint-url", verifying, "--output", "json"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == identity(VERIFY_ACCOUNT)
