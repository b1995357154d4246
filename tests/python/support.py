"""What Berth's Python tests share: accounts, clients, expected formats and messages (from
shared/docs/ecr-behaviour.md)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

DEFAULT_ACCOUNT = "123456789012"
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
# An access key id that is not 12 digits: the caller is the default account.
PLAIN_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "berth-test-secret"


def clean_aws_env() -> dict[str, str]:
    """The environment without any AWS_* setting of the machine, so no profile, endpoint
    or credential from outside leaks into a test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def make_client(endpoint: str, key: str = PLAIN_KEY, region: str = "us-east-1", validate: bool = True):
    """A boto3 ECR client against Berth: dummy credentials, no retries. With
    `validate=False` botocore sends what it is given, so Berth's own validation answers."""
    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=SECRET, region_name=region
    )
    config = Config(
        parameter_validation=validate,
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=30,
    )
    return session.client("ecr", endpoint_url=endpoint, config=config)


def repo_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/{name}"


def repo_uri(region: str, account: str, name: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{name}"


def not_found(name: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return f"The repository with name '{name}' does not exist in the registry with id '{registry}'"


def already_exists(name: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return f"The repository with name '{name}' already exists in the registry with id '{registry}'"


def policy_not_found(name: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return (
        f"Repository policy does not exist for the repository with name '{name}' "
        f"in the registry with id '{registry}'"
    )


def invalid_parameter(member: str, reason: str) -> str:
    return f"Invalid parameter at '{member}' failed to satisfy constraint: '{reason}'"


def access_denied(caller: str, action: str, resource: str) -> str:
    return (
        f"User: arn:aws:iam::{caller}:root is not authorized to perform: ecr:{action} "
        f"on resource: {resource} because no resource-based policy allows the ecr:{action} action"
    )


# The repository-name pattern as ECR words it (model pattern without ^/$, `\/` as `/`).
NAME_PATTERN = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowPull",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        }
    ],
}


def error_of(excinfo) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError, checked to be AWS-shaped:
    a 400 with a request id."""
    response = excinfo.value.response
    meta = response["ResponseMetadata"]
    code = response["Error"]["Code"]
    message = response["Error"].get("Message", "")
    status = meta["HTTPStatusCode"]
    assert status == 400, f"a client mistake is a 400, got {status}: {code}: {message}"
    assert meta.get("RequestId"), f"every error carries x-amzn-RequestId: {response}"
    return code, message, status


def tags_dict(tags: list[dict]) -> dict[str, str]:
    out = {t["Key"]: t["Value"] for t in tags}
    assert len(out) == len(tags), f"duplicate keys in {tags}"
    return out


ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30
STOP_TIMEOUT = 15


def berth_binary() -> Path:
    configured = os.environ.get("BERTH_BIN")
    if configured:
        path = Path(configured)
        if not path.is_file():
            pytest.fail(f"BERTH_BIN={configured} is not a file", pytrace=False)
        return path
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("release", "debug"):
        path = target / profile / "berth"
        if path.is_file():
            return path
    pytest.fail(
        "no berth binary: build it (cargo build --release) or set BERTH_BIN", pytrace=False
    )


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it if the test process dies without cleaning up
    (Linux), so no server outlives its tests."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class BerthProcess:
    """The `berth` binary, started on an ephemeral loopback port."""

    def __init__(self, binary: Path, log_path: Path, extra_env: dict[str, str] | None = None):
        # Every BERTH_* of the machine is dropped (a developer's BERTH_VERIFY_SIGV4 or
        # BERTH_ACCOUNT_ID would change what the tests see); only `extra_env` sets them.
        # berth/tests/support/process.rs strips the same for the Rust tests.
        env = {k: v for k, v in clean_aws_env().items() if not k.startswith("BERTH_")}
        env.update(extra_env or {})
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [str(binary), "--host", "127.0.0.1", "--port", "0", "--log", "warn"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            preexec_fn=_die_with_parent,
        )
        self.stdout_lines: list[str] = []
        self._first_line = threading.Event()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        if not self._first_line.wait(START_TIMEOUT):
            self.stop()
            raise RuntimeError(f"berth printed no endpoint within {START_TIMEOUT}s; log:\n{self.log()}")
        first = self.stdout_lines[0] if self.stdout_lines else ""
        prefix = "BERTH_ENDPOINT="
        if not first.startswith(prefix):
            self.stop()
            raise RuntimeError(f"berth's first stdout line is {first!r}, not {prefix}...; log:\n{self.log()}")
        self.endpoint = first[len(prefix):]
        if not self.endpoint.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"unexpected endpoint {self.endpoint!r}")

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.stdout_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            self._first_line.set()
        self._first_line.set()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> int:
        """SIGTERM, then SIGKILL if it does not stop in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        self._log.close()
        return self.process.returncode


def admin(endpoint: str, method: str, path: str) -> tuple[int, object]:
    request = urllib.request.Request(endpoint + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        return response.status, (json.loads(body) if body.strip() else None)


CLI_TIMEOUT = 120
# How the CLI v1 reports a service error (with retries configured it adds the retry count).
SERVICE_ERROR = re.compile(
    r"An error occurred \((?P<code>\w+)\) when calling the (?P<operation>\w+) operation"
    r"(?: \(reached max retries: \d+\))?: (?P<message>.*)"
)


class Cli:
    """Runs `aws ecr ...` as a given caller against Berth."""

    def __init__(self, endpoint: str, key: str = PLAIN_KEY, region: str = "us-east-1"):
        self.endpoint = endpoint
        self.env = clean_aws_env()
        self.env.update(
            AWS_ACCESS_KEY_ID=key,
            AWS_SECRET_ACCESS_KEY=SECRET,
            AWS_DEFAULT_REGION=region,
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
        )

    def run(self, *args: str, debug: bool = False) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "awscli", "ecr", *args, "--endpoint-url", self.endpoint, "--output", "json"]
        if debug:
            command.append("--debug")
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=CLI_TIMEOUT)

    def ok(self, *args: str) -> dict:
        result = self.run(*args)
        assert result.returncode == 0, f"aws ecr {' '.join(args)} failed ({result.returncode}): {result.stderr}"
        return json.loads(result.stdout) if result.stdout.strip() else {}

    def fails(self, *args: str, code: str, operation: str, message: str | None = None) -> str:
        """Expects the CLI v1's service-error exit (255) and its `An error occurred (Code)
        when calling the Op operation: message` line. Returns the message."""
        result = self.run(*args)
        assert result.returncode == 255, f"expected a service error, got {result.returncode}: {result.stdout} {result.stderr}"
        line = result.stderr.strip().splitlines()[-1]
        match = SERVICE_ERROR.fullmatch(line)
        assert match, f"not a service error line: {result.stderr!r}"
        assert (match["code"], match["operation"]) == (code, operation), line
        got = match["message"]
        if message is not None:
            assert got == message
        else:
            assert got, "an error explains itself"
        return got
