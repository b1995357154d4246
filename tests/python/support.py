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


# --- Registry clients (test_registry_clients.py): skopeo, podman and docker against /v2 ---
# The tools come from Debian's packages (.ci/run installs them) and are called by their full
# path: the machine may have other builds of them on PATH. A missing tool fails the test that
# needs it, saying which package provides it; nothing here skips.

import base64
import gzip
import hashlib
import io
import shutil
import tarfile
import tempfile
import time
import urllib.error

SKOPEO = Path("/usr/bin/skopeo")
PODMAN = Path("/usr/bin/podman")
DOCKER = Path("/usr/bin/docker")
DOCKERD = Path("/usr/sbin/dockerd")
TOOL_PACKAGES = {SKOPEO: "skopeo", PODMAN: "podman", DOCKER: "docker.io", DOCKERD: "docker.io"}
# Generous: a push or pull here moves a few KiB, but two cores are shared with a build.
TOOL_TIMEOUT = 180
DOCKERD_START_TIMEOUT = 60
DOCKERD_STOP_TIMEOUT = 30

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
REF_NAME = "org.opencontainers.image.ref.name"


def require_tool(path: Path) -> str:
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} is not installed: install Debian's package "
            f"(`apt-get install -y {TOOL_PACKAGES.get(path, path.name)}`; .ci/run does)",
            pytrace=False,
        )
    return str(path)


def run_tool(args: list[str], *, env: dict[str, str] | None = None, input: str | None = None,
             timeout: float = TOOL_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], env=env, input=input, capture_output=True, text=True,
                          timeout=timeout)


def tool_ok(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = run_tool(args, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def tool_fails(args: list[str], **kwargs) -> str:
    """Runs a command that must fail; returns its stdout and stderr together."""
    result = run_tool(args, **kwargs)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"{' '.join(map(str, args))} succeeded, it must not:\n{output[-3000:]}"
    return output


def registry_host(endpoint: str) -> str:
    """`127.0.0.1:PORT`: the registry is the JSON API's port (issue 11)."""
    assert endpoint.startswith("http://"), endpoint
    return endpoint[len("http://"):]


def login_password(endpoint: str, key: str = PLAIN_KEY, region: str = "us-east-1") -> str:
    """The password of the caller's registry, as boto3's GetAuthorizationToken gives it."""
    token = make_client(endpoint, key, region).get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(token["authorizationToken"]).decode().partition(":")
    assert user == "AWS" and password, token
    return password


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_of(files: dict[str, bytes]) -> bytes:
    """A reproducible tar (fixed owners and times) holding `files`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


class OciLayout:
    """An OCI image layout written by the test (image-layout spec): blobs by digest, and
    `index.json` naming each top-level manifest with `org.opencontainers.image.ref.name`, the
    reference skopeo's `oci:DIR:REF` reads."""

    def __init__(self, root: Path):
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.refs: list[dict] = []

    def blob(self, data: bytes, media_type: str, **extra) -> dict:
        digest = sha256_digest(data)
        (self.root / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}

    def json_blob(self, value: dict, media_type: str, **extra) -> dict:
        return self.blob(json.dumps(value, separators=(",", ":")).encode(), media_type, **extra)

    def blob_bytes(self, digest: str) -> bytes:
        return (self.root / "blobs" / "sha256" / digest.split(":")[1]).read_bytes()

    def image(self, layers: list[dict[str, bytes]], arch: str = "amd64", label: str = "") -> dict:
        """An image manifest of gzip layers (one tar per dict of files) and its config;
        returns the manifest's descriptor (with its platform, for an index)."""
        tars = [tar_of(files) for files in layers]
        layer_descs = [self.blob(gzip.compress(t, mtime=0), OCI_LAYER_GZIP) for t in tars]
        config = self.json_blob(
            {
                "architecture": arch,
                "os": "linux",
                "config": {"Labels": {"berth.test": label}} if label else {},
                "rootfs": {"type": "layers", "diff_ids": [sha256_digest(t) for t in tars]},
            },
            OCI_CONFIG,
        )
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layer_descs}
        return self.json_blob(manifest, OCI_MANIFEST, platform={"architecture": arch, "os": "linux"})

    def index(self, manifests: list[dict]) -> dict:
        return self.json_blob({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}, OCI_INDEX)

    def artifact(self, artifact_type: str, payload: bytes, subject: dict) -> dict:
        """An OCI 1.1 artifact: an image manifest with `artifactType`, the empty config and
        a `subject`, which is what the referrers API lists."""
        empty = self.blob(b"{}", OCI_EMPTY)
        layer = self.blob(payload, artifact_type)
        subject = {k: subject[k] for k in ("mediaType", "digest", "size")}
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": empty,
            "layers": [layer],
            "subject": subject,
            "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
        }
        return self.json_blob(manifest, OCI_MANIFEST, artifactType=artifact_type)

    def tag(self, descriptor: dict, ref: str) -> None:
        plain = {k: v for k, v in descriptor.items() if k != "platform"}
        self.refs.append({**plain, "annotations": {REF_NAME: ref}})
        (self.root / "index.json").write_text(
            json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.refs})
        )

    def ref(self, ref: str) -> dict:
        """The descriptor index.json gives `ref` (in a layout skopeo wrote)."""
        index = json.loads((self.root / "index.json").read_text())
        found = [m for m in index["manifests"] if m.get("annotations", {}).get(REF_NAME) == ref]
        assert len(found) == 1, f"{ref!r} in {index}"
        return found[0]


class Skopeo:
    """skopeo against Berth's plain-HTTP registry with `AWS:<password>`. The layouts the
    tests write carry no signatures, hence the insecure policy (it only skips signature
    checks; the transport is plain HTTP either way)."""

    def __init__(self, endpoint: str, password: str):
        self.binary = require_tool(SKOPEO)
        self.host = registry_host(endpoint)
        self.creds = f"AWS:{password}"

    def ref(self, repository: str, reference: str) -> str:
        sep = "@" if reference.startswith("sha256:") else ":"
        return f"docker://{self.host}/{repository}{sep}{reference}"

    def copy_in(self, layout: OciLayout, ref: str, repository: str, tag: str, *extra: str):
        return tool_ok([self.binary, "--insecure-policy", "copy", *extra, "--dest-tls-verify=false",
                        "--dest-creds", self.creds, f"oci:{layout.root}:{ref}", self.ref(repository, tag)])

    def copy_out(self, repository: str, reference: str, layout_dir: Path, ref: str, *extra: str):
        return tool_ok([self.binary, "--insecure-policy", "copy", *extra, "--src-tls-verify=false",
                        "--src-creds", self.creds, self.ref(repository, reference), f"oci:{layout_dir}:{ref}"])

    def inspect_args(self, repository: str, reference: str, *extra: str) -> list[str]:
        return [self.binary, "inspect", *extra, "--tls-verify=false", "--creds", self.creds,
                self.ref(repository, reference)]

    def inspect_raw(self, repository: str, reference: str) -> bytes:
        # --raw prints the manifest as stored; text mode would do, but bytes are compared.
        result = subprocess.run(self.inspect_args(repository, reference, "--raw"), capture_output=True,
                                timeout=TOOL_TIMEOUT)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        return result.stdout

    def inspect(self, repository: str, reference: str, *extra: str) -> dict:
        return json.loads(tool_ok(self.inspect_args(repository, reference, *extra)).stdout)

    def delete(self, repository: str, reference: str):
        return tool_ok([self.binary, "delete", "--tls-verify=false", "--creds", self.creds,
                        self.ref(repository, reference)])


def registry_request(endpoint: str, method: str, path: str, password: str | None = None,
                     headers: dict[str, str] | None = None, body: bytes | None = None):
    """A raw `/v2` request: (status, headers, body), for what no client here shows (the
    referrers API, response headers). Basic `AWS:<password>` when a password is given."""
    request = urllib.request.Request(endpoint + path, method=method, data=body, headers=dict(headers or {}))
    if password is not None:
        basic = base64.b64encode(f"AWS:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {basic}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Dockerd:
    """A private Docker daemon (Debian's docker.io) for the test session: its own socket,
    data and exec roots and pidfile under `root`, vfs storage (no overlayfs, works in any
    sandbox), no iptables or bridge (it needs no network: images are built FROM scratch), and
    the registry on 127.0.0.1:PORT marked insecure (plain HTTP). Started once, stopped by PID."""

    def __init__(self, root: Path, registry: str):
        self.dockerd = require_tool(DOCKERD)
        self.docker = require_tool(DOCKER)
        self.root = root
        self.socket = root / "docker.sock"
        self.pidfile = root / "dockerd.pid"
        self.exec_root = root / "exec"
        self.log_path = root / "dockerd.log"
        self._log = open(self.log_path, "wb")
        args = [
            self.dockerd,
            "--host", f"unix://{self.socket}",
            "--data-root", str(root / "data"),
            "--exec-root", str(self.exec_root),
            "--pidfile", str(self.pidfile),
            "--storage-driver", "vfs",
            "--iptables=false",
            "--bridge=none",
            "--insecure-registry", registry,
        ]
        env = {k: v for k, v in clean_aws_env().items() if not k.startswith("DOCKER_")}
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                        env=env, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + DOCKERD_START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                self._fail(f"dockerd exited with {self.process.returncode} while starting")
            if self.socket.exists():
                probe = run_tool([self.docker, "version", "--format", "{{.Server.Version}}"],
                                 env=self.env(root / "probe-config"), timeout=30)
                if probe.returncode == 0:
                    self.version = probe.stdout.strip()
                    break
            if time.monotonic() > deadline:
                self._fail(f"dockerd did not answer on {self.socket} within {DOCKERD_START_TIMEOUT}s")
            time.sleep(0.2)

    def _fail(self, why: str):
        self.stop()
        # dockerd's own last words ("failed to start daemon: …", level=error/fatal) are
        # easily buried under containerd's info lines, so they come first.
        lines = self.log_path.read_text(errors="replace").splitlines()
        errors = [line for line in lines if not re.search(r"level=(info|debug|warning)", line)]
        pytest.fail(
            f"docker cannot run in this sandbox: {why}; dockerd's errors:\n" + "\n".join(errors[-20:])
            + f"\n… its log ends ({self.log_path}):\n" + "\n".join(lines[-15:]),
            pytrace=False,
        )

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def env(self, config_dir: Path) -> dict[str, str]:
        """The environment of a docker CLI call: this daemon, the given client config
        (credentials per test), and the classic builder (Debian's docker.io has no buildx;
        a FROM scratch build runs no container either way)."""
        env = {k: v for k, v in clean_aws_env().items() if not k.startswith("DOCKER_")}
        env.update(DOCKER_HOST=f"unix://{self.socket}", DOCKER_CONFIG=str(config_dir), DOCKER_BUILDKIT="0")
        return env

    def stop(self) -> int | None:
        """SIGTERM (dockerd then stops its own containerd), SIGKILL past the timeout; then the
        containerd it started, by the PID it wrote, in case dockerd could not stop it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(DOCKERD_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        containerd_pid = self.exec_root / "containerd" / "containerd.pid"
        if containerd_pid.is_file():
            try:
                os.kill(int(containerd_pid.read_text().strip()), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass
        # dockerd mounts its data root (and, with containers, more below it); a clean stop
        # unmounts them, a daemon that died does not. Deepest first, only under our root.
        for mountpoint in sorted(self._mounts(), key=len, reverse=True):
            subprocess.run(["umount", mountpoint], capture_output=True, timeout=30)
        self._log.close()
        return self.process.returncode

    def _mounts(self) -> list[str]:
        root = str(self.root) + "/"
        with open("/proc/self/mountinfo") as mountinfo:
            points = [line.split()[4] for line in mountinfo]
        return [p for p in points if p.startswith(root)]


class DockerClient:
    """The docker CLI of one test: the session's daemon, a client config of its own."""

    def __init__(self, daemon: Dockerd, config_dir: Path):
        self.daemon = daemon
        config_dir.mkdir(parents=True, exist_ok=True)
        self.env = daemon.env(config_dir)

    def args(self, *args: str) -> list[str]:
        return [self.daemon.docker, *args]

    def ok(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return tool_ok(self.args(*args), env=self.env, input=input)

    def fails(self, *args: str, input: str | None = None) -> str:
        return tool_fails(self.args(*args), env=self.env, input=input)

    def remove(self, *images: str) -> None:
        """Cleanup after a test (the daemon outlives it): removes what exists of `images`,
        names or ids, without hiding the test's own failure behind one of its own."""
        for image in images:
            run_tool(self.args("rmi", "--force", image), env=self.env)


class Podman:
    """Rootful podman with a storage root of its own (`--root`, `--runroot`, vfs), so tests
    share nothing with the machine or each other; credentials in its own auth file. The
    runroot is a short directory of its own under /tmp (podman refuses one longer than 50
    characters, which pytest's tmp paths are); `close` removes it."""

    def __init__(self, root: Path):
        self.binary = require_tool(PODMAN)
        self.root = root
        self.runroot = Path(tempfile.mkdtemp(prefix="berth-podman-", dir="/tmp"))
        self.authfile = root / "auth.json"
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        # podman refuses a REGISTRY_AUTH_FILE that does not exist, even before a login.
        self.authfile.write_text('{"auths":{}}')
        self.env = clean_aws_env()
        self.env["REGISTRY_AUTH_FILE"] = str(self.authfile)

    def close(self) -> None:
        shutil.rmtree(self.runroot, ignore_errors=True)

    def args(self, *args: str) -> list[str]:
        return [
            self.binary,
            "--root", str(self.root / "storage"),
            "--runroot", str(self.runroot),
            "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs",
            "--events-backend", "file",
            "--tmpdir", str(self.root / "tmp"),
            *args,
        ]

    def ok(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return tool_ok(self.args(*args), env=self.env, input=input)

    def fails(self, *args: str) -> str:
        return tool_fails(self.args(*args), env=self.env)

