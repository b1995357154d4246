"""The AWS CLI v2 (Debian's `awscli` package, /usr/bin/aws, called by that path and never
looked up on PATH, where the venv's CLI v1 may be) against the `berth` binary: create,
describe with the CLI's paginator and --query, a service error's exit code and text, and
get-login-password. Credentials and region come from config files written for the test.

Install it with `apt-get install awscli` (Debian 12 ships 2.9.x). Without it every test
here fails, saying so: the suite never skips a client.

Expected values come from shared/docs/ecr-behaviour.md."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
from pathlib import Path

import pytest

from support import (
    ACCOUNT_B,
    CLI_TIMEOUT,
    SERVICE_ERROR,
    DEFAULT_ACCOUNT,
    PLAIN_KEY,
    SECRET,
    already_exists,
    clean_aws_env,
    invalid_parameter,
    make_client,
    not_found,
    repo_arn,
    repo_uri,
)
from test_auth import PASSWORD, password_of

CLI_V2 = Path("/usr/bin/aws")
# The CLI v2's exit code for an error the service returned (v1 uses 255 for everything).
SERVICE_ERROR_EXIT = 254


class CliV2:
    """Runs `/usr/bin/aws ecr ...` against Berth, with the default profile of config and
    credentials files of its own (no setting of the machine reaches it)."""

    def __init__(self, endpoint: str, home: Path, key: str = PLAIN_KEY, region: str = "us-east-1"):
        if not CLI_V2.is_file():
            pytest.fail(
                f"the AWS CLI v2 is not installed at {CLI_V2}: install Debian's package "
                "(`apt-get update && apt-get install -y awscli`; .ci/run does)",
                pytrace=False,
            )
        self.endpoint = endpoint
        config, credentials = home / "config", home / "credentials"
        config.write_text(f"[default]\nregion = {region}\noutput = json\n")
        credentials.write_text(f"[default]\naws_access_key_id = {key}\naws_secret_access_key = {SECRET}\n")
        self.env = clean_aws_env()
        self.env.update(
            AWS_CONFIG_FILE=str(config),
            AWS_SHARED_CREDENTIALS_FILE=str(credentials),
            # No pager (the CLI v2 pipes output through `less` by default), no retries.
            AWS_PAGER="",
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
            HOME=str(home),
        )

    def run(self, *args: str, debug: bool = False) -> subprocess.CompletedProcess:
        command = [str(CLI_V2), "ecr", *args, "--endpoint-url", self.endpoint]
        if debug:
            command.append("--debug")
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=CLI_TIMEOUT)

    def ok(self, *args: str):
        result = self.run(*args)
        assert result.returncode == 0, f"aws ecr {' '.join(args)} failed ({result.returncode}): {result.stderr}"
        return json.loads(result.stdout) if result.stdout.strip() else {}

    def fails(self, *args: str, code: str, operation: str, message: str) -> None:
        """Expects the CLI v2's service-error exit and its `An error occurred (Code) when
        calling the Op operation: message` line on stderr, and nothing on stdout."""
        result = self.run(*args)
        assert result.returncode == SERVICE_ERROR_EXIT, (
            f"expected exit {SERVICE_ERROR_EXIT}, got {result.returncode}: {result.stdout} {result.stderr}"
        )
        assert result.stdout == ""
        line = result.stderr.strip().splitlines()[-1]
        match = SERVICE_ERROR.fullmatch(line)
        assert match, f"not a service error line: {result.stderr!r}"
        assert (match["code"], match["operation"], match["message"]) == (code, operation, message), line


@pytest.fixture
def cli(endpoint, tmp_path) -> CliV2:
    return CliV2(endpoint, tmp_path)


def test_cli_is_version_2(cli):
    result = subprocess.run([str(CLI_V2), "--version"], env=cli.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("aws-cli/2."), result.stdout + result.stderr


def test_create_repository(cli):
    repo = cli.ok("create-repository", "--repository-name", "cli2/app")["repository"]
    assert repo["registryId"] == DEFAULT_ACCOUNT
    assert repo["repositoryName"] == "cli2/app"
    assert repo["repositoryArn"] == repo_arn("us-east-1", DEFAULT_ACCOUNT, "cli2/app")
    assert repo["repositoryUri"] == repo_uri("us-east-1", DEFAULT_ACCOUNT, "cli2/app")
    assert repo["imageTagMutability"] == "MUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": False}
    assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}
    # Unlike v1, the CLI v2 prints timestamps as ISO 8601 with the offset.
    created = dt.datetime.fromisoformat(repo["createdAt"])
    assert created.tzinfo is not None
    assert abs((dt.datetime.now(dt.timezone.utc) - created).total_seconds()) < 300

    configured = cli.ok(
        "create-repository", "--repository-name", "cli2/configured",
        "--image-tag-mutability", "IMMUTABLE",
        "--image-scanning-configuration", "scanOnPush=true",
        "--tags", "Key=env,Value=dev",
    )["repository"]
    assert configured["imageTagMutability"] == "IMMUTABLE"
    assert configured["imageScanningConfiguration"] == {"scanOnPush": True}


def test_describe_repositories_pages_with_page_size_and_query(endpoint, cli):
    # Created with boto3 (fast); listed with the CLI v2, whose paginator follows nextToken.
    setup = make_client(endpoint)
    expected = sorted(f"fleet/svc-{i:02}" for i in range(25))
    for name in reversed(expected):
        setup.create_repository(repositoryName=name)

    result = cli.run("describe-repositories", "--page-size", "7", "--query", "repositories[].repositoryName",
                     debug=True)
    assert result.returncode == 0, result.stderr[-3000:]
    # --query applies to the whole merged result: every name once, in the server's order.
    assert json.loads(result.stdout) == expected
    # The CLI really paged: one DescribeRepositories request per page of 7.
    requests = result.stderr.count("Making request for OperationModel(name=DescribeRepositories)")
    assert requests == math.ceil(len(expected) / 7), f"{requests} requests"

    # --max-items stops mid-page with the CLI's own token; --starting-token resumes there.
    head = cli.ok("describe-repositories", "--page-size", "7", "--max-items", "10")
    assert [r["repositoryName"] for r in head["repositories"]] == expected[:10]
    tail = cli.ok("describe-repositories", "--page-size", "7", "--starting-token", head["NextToken"],
                  "--query", "repositories[].repositoryName")
    assert tail == expected[10:]

    one = cli.ok("describe-repositories", "--repository-names", "fleet/svc-03",
                 "--query", "repositories[0].repositoryArn")
    assert one == repo_arn("us-east-1", DEFAULT_ACCOUNT, "fleet/svc-03")


def test_service_errors_exit_254_naming_the_exception_and_message(cli):
    cli.fails("describe-repositories", "--repository-names", "missing", code="RepositoryNotFoundException",
              operation="DescribeRepositories", message=not_found("missing"))
    cli.ok("create-repository", "--repository-name", "twice")
    cli.fails("create-repository", "--repository-name", "twice", code="RepositoryAlreadyExistsException",
              operation="CreateRepository", message=already_exists("twice"))
    cli.fails("list-tags-for-resource", "--resource-arn", "arn:aws:s3:::bucket", code="InvalidParameterException",
              operation="ListTagsForResource", message=invalid_parameter("resourceArn", "Invalid ARN"))


def test_get_login_password_prints_the_password(endpoint, cli):
    result = cli.run("get-login-password")
    assert result.returncode == 0, result.stderr
    # One line, the password alone (what `docker login --password-stdin` reads).
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1, repr(result.stdout)
    password = result.stdout.rstrip("\n")
    assert PASSWORD.fullmatch(password), password
    # The kind of password boto3 finds in the token for the same caller, and not another's.
    token = make_client(endpoint).get_authorization_token()["authorizationData"][0]["authorizationToken"]
    assert len(password) == len(password_of(token))
    other = make_client(endpoint, ACCOUNT_B).get_authorization_token()["authorizationData"][0]
    assert password != password_of(other["authorizationToken"])
