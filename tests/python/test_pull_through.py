"""Pull through cache (shared/docs/ecr-behaviour-registry.md §5): the five rule operations
through boto3 and the AWS CLI v1, and the data plane end to end: real upstream registries
(Debian's docker-registry, one open, one behind htpasswd credentials) started here and
filled with skopeo from OCI layouts the test writes; pulls through Berth with skopeo, byte
for byte; an upstream that refuses the password, one that is down, one that stops after
caching, and the 24-hour tag recheck moved with Berth's clock (/_berth/clock).

The tools are Debian's packages at fixed paths (docker-registry, skopeo; .ci/run installs
them). A missing tool fails the tests that need it, saying so: nothing is skipped."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import bcrypt
import pytest
from botocore.exceptions import ClientError

from support import (
    ACCOUNT_A,
    DEFAULT_ACCOUNT,
    BerthProcess,
    Cli,
    DockerClient,
    OciLayout,
    Skopeo,
    berth_binary,
    error_of,
    login_password,
    make_client,
    registry_host,
    registry_request,
    require_tool,
    tool_ok,
)

DOCKER_REGISTRY = Path("/usr/bin/docker-registry")
CREDENTIAL_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/upstream-creds"
OTHER_CREDENTIAL_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/rotated"
ROLE_ARN = "arn:aws:iam::123456789012:role/pull-through"

# §5's table: URL → upstreamRegistry, and whether a secret is required.
UPSTREAMS = [
    ("public.ecr.aws", "ecr-public", False),
    ("registry.k8s.io", "k8s", False),
    ("quay.io", "quay", False),
    ("registry-1.docker.io", "docker-hub", True),
    ("ghcr.io", "github-container-registry", True),
    ("registry.gitlab.com", "gitlab-container-registry", True),
    ("myregistry.azurecr.io", "azure-container-registry", True),
    ("cgr.dev", "chainguard", True),
    (f"{DEFAULT_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com", "ecr", False),
]


def invalid_url(url: str) -> str:
    return f"The upstream registry URL {url} is invalid. Specify a valid upstream registry URL and try again"


REQUIRES_AUTH = ("The specified upstream registry requires authentication. "
                 "Specify a valid Secrets Manager ARN and try again.")


def already_exists(prefix: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return f"A pull through cache rule with the prefix '{prefix}' already exists in the registry with id '{registry}'"


def rule_not_found(prefix: str, registry: str = DEFAULT_ACCOUNT) -> str:
    return f"The pull through cache rule with the prefix '{prefix}' does not exist in the registry with id '{registry}'"


def limit_exceeded(registry: str = DEFAULT_ACCOUNT) -> str:
    return f"The maximum number of pull through cache rules (50) has been reached for the registry with id '{registry}'"


def fails(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    code, message, _ = error_of(excinfo)
    return code, message


@pytest.fixture
def raw(endpoint):
    """boto3 without client-side validation: Berth's own checks answer."""
    return make_client(endpoint, validate=False)


def set_clock(endpoint: str, offset_seconds: int) -> None:
    request = urllib.request.Request(
        endpoint + "/_berth/clock", method="POST",
        data=json.dumps({"offsetSeconds": offset_seconds}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 204)


# --- The rules API ----------------------------------------------------------------------------


def test_create_answers_the_rule_with_its_defaults(ecr):
    created = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    assert created["ecrRepositoryPrefix"] == "quay"
    assert created["upstreamRegistryUrl"] == "quay.io"
    assert created["registryId"] == DEFAULT_ACCOUNT
    assert created["upstreamRegistry"] == "quay"
    assert created["upstreamRepositoryPrefix"] == "ROOT"
    assert "credentialArn" not in created and "customRoleArn" not in created
    [rule] = ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert rule["createdAt"] == created["createdAt"] == rule["updatedAt"]
    assert rule["upstreamRegistry"] == "quay" and rule["upstreamRepositoryPrefix"] == "ROOT"


@pytest.mark.parametrize("url,upstream,secret", UPSTREAMS)
def test_every_supported_upstream_is_inferred_from_its_url(ecr, url, upstream, secret):
    extra = {"credentialArn": CREDENTIAL_ARN} if secret else {}
    created = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="cache", upstreamRegistryUrl=url, **extra)
    assert created["upstreamRegistry"] == upstream
    assert created.get("credentialArn") == extra.get("credentialArn")
    # Given explicitly, the same upstream is accepted too.
    again = ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="cache2", upstreamRegistryUrl=url, upstreamRegistry=upstream, **extra
    )
    assert again["upstreamRegistry"] == upstream


@pytest.mark.parametrize("url", ["docker.io", "https://quay.io", "quay.io/", "example.com", "127.0.0.1:5000"])
def test_an_unsupported_url_is_refused(raw, url):
    code, message = fails(raw.create_pull_through_cache_rule, ecrRepositoryPrefix="cache", upstreamRegistryUrl=url)
    assert (code, message) == ("UnsupportedUpstreamRegistryException", invalid_url(url))
    assert raw.describe_pull_through_cache_rules()["pullThroughCacheRules"] == []


@pytest.mark.parametrize("url", [url for url, _, secret in UPSTREAMS if secret])
def test_an_upstream_needing_a_secret_needs_a_credential_arn(raw, url):
    code, message = fails(raw.create_pull_through_cache_rule, ecrRepositoryPrefix="cache", upstreamRegistryUrl=url)
    assert (code, message) == ("UnsupportedUpstreamRegistryException", REQUIRES_AUTH)


def test_an_upstream_registry_that_disagrees_with_the_url_is_refused(raw):
    code, message = fails(raw.create_pull_through_cache_rule, ecrRepositoryPrefix="cache",
                          upstreamRegistryUrl="quay.io", upstreamRegistry="k8s")
    assert code == "InvalidParameterException"
    assert message == ("Invalid parameter at 'upstreamRegistry' failed to satisfy constraint: "
                       "'The upstream registry k8s does not match the upstream registry URL quay.io'")


def test_a_cross_account_ecr_upstream_needs_a_custom_role(raw):
    url = f"{ACCOUNT_A}.dkr.ecr.us-west-2.amazonaws.com"
    code, message = fails(raw.create_pull_through_cache_rule, ecrRepositoryPrefix="cache", upstreamRegistryUrl=url)
    assert code == "InvalidParameterException" and "customRoleArn" in message
    created = raw.create_pull_through_cache_rule(ecrRepositoryPrefix="cache", upstreamRegistryUrl=url,
                                                 customRoleArn=ROLE_ARN, upstreamRepositoryPrefix="team")
    assert created["customRoleArn"] == ROLE_ARN
    assert created["upstreamRepositoryPrefix"] == "team"


@pytest.mark.parametrize("member,value", [
    ("credentialArn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/creds-abcdefgh"),
    ("ecrRepositoryPrefix", "a"),
    ("ecrRepositoryPrefix", "Upper"),
    ("ecrRepositoryPrefix", "x" * 31),
])
def test_model_constraints_are_checked(raw, member, value):
    args = {"ecrRepositoryPrefix": "cache", "upstreamRegistryUrl": "quay.io", member: value}
    code, message = fails(raw.create_pull_through_cache_rule, **args)
    assert code == "InvalidParameterException"
    assert f"Invalid parameter at '{member}' failed to satisfy constraint" in message


def test_a_trailing_slash_is_implied_and_prefixes_may_have_slashes(raw):
    raw.create_pull_through_cache_rule(ecrRepositoryPrefix="abc", upstreamRegistryUrl="quay.io")
    code, message = fails(raw.create_pull_through_cache_rule, ecrRepositoryPrefix="abc/",
                          upstreamRegistryUrl="registry.k8s.io")
    assert (code, message) == ("PullThroughCacheRuleAlreadyExistsException", already_exists("abc/"))
    raw.create_pull_through_cache_rule(ecrRepositoryPrefix="team/cache-a1b2c3", upstreamRegistryUrl="quay.io")
    # abc/ names the rule abc too.
    [rule] = raw.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["abc/"])["pullThroughCacheRules"]
    assert rule["ecrRepositoryPrefix"] == "abc" and rule["upstreamRegistryUrl"] == "quay.io"


def test_fifty_rules_per_registry_and_region(ecr_for):
    ecr = ecr_for()
    for i in range(50):
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=f"cache{i:02}", upstreamRegistryUrl="quay.io")
    code, message = fails(ecr.create_pull_through_cache_rule, ecrRepositoryPrefix="one-more",
                          upstreamRegistryUrl="quay.io")
    assert (code, message) == ("LimitExceededException", limit_exceeded())
    # Another region and another account have their own 50.
    ecr_for(region="eu-west-1").create_pull_through_cache_rule(ecrRepositoryPrefix="one-more",
                                                                upstreamRegistryUrl="quay.io")
    ecr_for(key=ACCOUNT_A).create_pull_through_cache_rule(ecrRepositoryPrefix="one-more",
                                                          upstreamRegistryUrl="quay.io")
    # Deleting one makes room again.
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="cache07")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="one-more", upstreamRegistryUrl="quay.io")


def test_rules_are_per_account_and_region(ecr_for):
    ecr_for().create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    assert ecr_for(region="eu-west-1").describe_pull_through_cache_rules()["pullThroughCacheRules"] == []
    other = ecr_for(key=ACCOUNT_A)
    assert other.describe_pull_through_cache_rules()["pullThroughCacheRules"] == []
    code, message = fails(other.delete_pull_through_cache_rule, ecrRepositoryPrefix="quay")
    assert (code, message) == ("PullThroughCacheRuleNotFoundException", rule_not_found("quay", ACCOUNT_A))


def test_another_accounts_registry_is_access_denied(raw):
    code, _ = fails(raw.describe_pull_through_cache_rules, registryId=ACCOUNT_A)
    assert code == "AccessDeniedException"


def test_describe_lists_by_prefix_and_pages(ecr, raw):
    for prefix in ["c", "a", "b", "d", "e"]:
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=f"{prefix}{prefix}", upstreamRegistryUrl="quay.io")
    everything = ecr.describe_pull_through_cache_rules()
    assert [r["ecrRepositoryPrefix"] for r in everything["pullThroughCacheRules"]] == ["aa", "bb", "cc", "dd", "ee"]
    assert "nextToken" not in everything
    first = ecr.describe_pull_through_cache_rules(maxResults=2)
    assert [r["ecrRepositoryPrefix"] for r in first["pullThroughCacheRules"]] == ["aa", "bb"]
    second = ecr.describe_pull_through_cache_rules(maxResults=2, nextToken=first["nextToken"])
    assert [r["ecrRepositoryPrefix"] for r in second["pullThroughCacheRules"]] == ["cc", "dd"]
    third = ecr.describe_pull_through_cache_rules(maxResults=2, nextToken=second["nextToken"])
    assert [r["ecrRepositoryPrefix"] for r in third["pullThroughCacheRules"]] == ["ee"]
    assert "nextToken" not in third
    named = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["dd", "aa"])
    assert [r["ecrRepositoryPrefix"] for r in named["pullThroughCacheRules"]] == ["dd", "aa"]
    code, message = fails(ecr.describe_pull_through_cache_rules, ecrRepositoryPrefixes=["aa", "zz"])
    assert (code, message) == ("PullThroughCacheRuleNotFoundException", rule_not_found("zz"))
    code, _ = fails(raw.describe_pull_through_cache_rules, nextToken="not-a-token")
    assert code == "InvalidParameterException"
    code, _ = fails(raw.describe_pull_through_cache_rules, maxResults=1001)
    assert code == "InvalidParameterException"
    code, _ = fails(raw.describe_pull_through_cache_rules, ecrRepositoryPrefixes=[])
    assert code == "InvalidParameterException"


def test_update_changes_credentials_and_stamps_updated_at(ecr, raw, endpoint):
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="hub", upstreamRegistryUrl="registry-1.docker.io",
                                       credentialArn=CREDENTIAL_ARN)
    set_clock(endpoint, 3600)
    try:
        updated = ecr.update_pull_through_cache_rule(ecrRepositoryPrefix="hub", credentialArn=OTHER_CREDENTIAL_ARN)
    finally:
        set_clock(endpoint, 0)
    assert updated["ecrRepositoryPrefix"] == "hub" and updated["registryId"] == DEFAULT_ACCOUNT
    assert updated["credentialArn"] == OTHER_CREDENTIAL_ARN
    assert updated["upstreamRepositoryPrefix"] == "ROOT"
    [rule] = ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert rule["credentialArn"] == OTHER_CREDENTIAL_ARN
    assert rule["updatedAt"] == updated["updatedAt"]
    assert rule["updatedAt"] - rule["createdAt"] >= timedelta(seconds=3599)
    code, message = fails(raw.update_pull_through_cache_rule, ecrRepositoryPrefix="hub")
    assert code == "InvalidParameterException"
    assert message == ("Invalid parameter at 'credentialArn' failed to satisfy constraint: "
                       "'At least one of credentialArn or customRoleArn must be specified'")
    code, message = fails(raw.update_pull_through_cache_rule, ecrRepositoryPrefix="nope",
                          credentialArn=CREDENTIAL_ARN)
    assert (code, message) == ("PullThroughCacheRuleNotFoundException", rule_not_found("nope"))


def test_delete_answers_the_removed_rule(ecr):
    created = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ghcr", upstreamRegistryUrl="ghcr.io",
                                                 credentialArn=CREDENTIAL_ARN)
    deleted = ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="ghcr")
    assert deleted["ecrRepositoryPrefix"] == "ghcr" and deleted["upstreamRegistryUrl"] == "ghcr.io"
    assert deleted["createdAt"] == created["createdAt"] and deleted["credentialArn"] == CREDENTIAL_ARN
    assert deleted["registryId"] == DEFAULT_ACCOUNT and deleted["upstreamRepositoryPrefix"] == "ROOT"
    code, message = fails(ecr.delete_pull_through_cache_rule, ecrRepositoryPrefix="ghcr")
    assert (code, message) == ("PullThroughCacheRuleNotFoundException", rule_not_found("ghcr"))


def test_validate_answers_without_contacting_the_upstream(ecr):
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="hub", upstreamRegistryUrl="registry-1.docker.io",
                                       credentialArn=CREDENTIAL_ARN)
    quay = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="quay")
    assert quay["isValid"] is True and "failure" not in quay
    assert quay["upstreamRegistryUrl"] == "quay.io" and quay["registryId"] == DEFAULT_ACCOUNT
    hub = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="hub/")
    assert hub["isValid"] is True and hub["credentialArn"] == CREDENTIAL_ARN
    code, message = fails(ecr.validate_pull_through_cache_rule, ecrRepositoryPrefix="k8s")
    assert (code, message) == ("PullThroughCacheRuleNotFoundException", rule_not_found("k8s"))


def test_the_cli_v1_drives_the_rules(endpoint):
    cli = Cli(endpoint)
    created = cli.ok("create-pull-through-cache-rule", "--ecr-repository-prefix", "ecr-public",
                     "--upstream-registry-url", "public.ecr.aws")
    assert created["upstreamRegistry"] == "ecr-public"
    described = cli.ok("describe-pull-through-cache-rules")
    assert [r["ecrRepositoryPrefix"] for r in described["pullThroughCacheRules"]] == ["ecr-public"]
    cli.fails("create-pull-through-cache-rule", "--ecr-repository-prefix", "ecr-public",
              "--upstream-registry-url", "public.ecr.aws",
              code="PullThroughCacheRuleAlreadyExistsException", operation="CreatePullThroughCacheRule",
              message=already_exists("ecr-public"))
    cli.fails("create-pull-through-cache-rule", "--ecr-repository-prefix", "x1",
              "--upstream-registry-url", "example.com",
              code="UnsupportedUpstreamRegistryException", operation="CreatePullThroughCacheRule",
              message=invalid_url("example.com"))
    validated = cli.ok("validate-pull-through-cache-rule", "--ecr-repository-prefix", "ecr-public")
    assert validated["isValid"] is True
    cli.ok("delete-pull-through-cache-rule", "--ecr-repository-prefix", "ecr-public")
    cli.fails("update-pull-through-cache-rule", "--ecr-repository-prefix", "ecr-public",
              "--credential-arn", CREDENTIAL_ARN,
              code="PullThroughCacheRuleNotFoundException", operation="UpdatePullThroughCacheRule",
              message=rule_not_found("ecr-public"))


# --- The data plane: real upstream registries ---------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UpstreamRegistry:
    """Debian's docker-registry on 127.0.0.1:<free port>, filesystem storage in `root`,
    optionally behind htpasswd (bcrypt) Basic auth; stopped by its PID."""

    def __init__(self, root: Path, user: str | None = None, password: str | None = None):
        binary = require_tool(DOCKER_REGISTRY)
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.creds = f"{user}:{password}" if user else None
        config = [
            "version: 0.1",
            "log:", "  level: warn",
            "storage:", "  filesystem:", f"    rootdirectory: {root / 'data'}",
            "  delete:", "    enabled: true",
            "http:", f"  addr: {self.host}",
        ]
        if user:
            htpasswd = root / "htpasswd"
            htpasswd.write_text(f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}\n")
            config += ["auth:", "  htpasswd:", "    realm: upstream", f"    path: {htpasswd}"]
        (root / "config.yml").write_text("\n".join(config) + "\n")
        self._log = open(root / "registry.log", "wb")
        self.process = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert self.process.poll() is None, (root / "registry.log").read_text()
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"docker-registry did not listen: {(root / 'registry.log').read_text()}")

    def push(self, layout: OciLayout, ref: str, repository: str, tag: str, *extra: str) -> None:
        creds = ["--dest-creds", self.creds] if self.creds else []
        tool_ok([require_tool(Path("/usr/bin/skopeo")), "--insecure-policy", "copy", *extra,
                 "--dest-tls-verify=false", *creds, f"oci:{layout.root}:{ref}",
                 f"docker://{self.host}/{repository}:{tag}"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


UPSTREAM_USER, UPSTREAM_PASSWORD = "puller", "pull-secret-1"
ECR_UPSTREAM = f"{DEFAULT_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com"


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory):
    root = tmp_path_factory.mktemp("upstreams")
    open_registry = UpstreamRegistry(root / "open")
    locked = UpstreamRegistry(root / "locked", UPSTREAM_USER, UPSTREAM_PASSWORD)
    yield {"open": open_registry, "locked": locked, "down": f"127.0.0.1:{free_port()}"}
    open_registry.stop()
    locked.stop()


@pytest.fixture(scope="module")
def berth(upstreams, tmp_path_factory):
    """A Berth whose upstream mappings point at the registries above: quay.io at the open
    one, ghcr.io at the locked one with the right password, registry.gitlab.com at it with a
    wrong one, registry.k8s.io at a port nothing listens on, an ECR upstream at the open one."""
    locked = upstreams["locked"].host
    mappings = ",".join([
        f"quay.io=http://{upstreams['open'].host}",
        f"ghcr.io=http://{UPSTREAM_USER}:{UPSTREAM_PASSWORD}@{locked}",
        f"registry.gitlab.com=http://{UPSTREAM_USER}:wrong-password@{locked}",
        f"registry.k8s.io=http://{upstreams['down']}",
        f"{ECR_UPSTREAM}=http://{upstreams['open'].host}",
    ])
    server = BerthProcess(berth_binary(), tmp_path_factory.mktemp("berth-pt") / "berth.log",
                          {"BERTH_UPSTREAMS": mappings})
    yield server
    assert server.stop() == 0, server.log()


@pytest.fixture
def pt(berth):
    """A fresh state of the pull-through Berth, its clients, and its clock reset after."""
    urllib.request.urlopen(urllib.request.Request(berth.endpoint + "/_berth/reset", method="POST", data=b""),
                           timeout=10)
    ecr = make_client(berth.endpoint)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ghcr", upstreamRegistryUrl="ghcr.io",
                                       credentialArn=CREDENTIAL_ARN)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="gitlab", upstreamRegistryUrl="registry.gitlab.com",
                                       credentialArn=CREDENTIAL_ARN)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="k8s", upstreamRegistryUrl="registry.k8s.io")
    yield ecr, Skopeo(berth.endpoint, login_password(berth.endpoint)), berth.endpoint
    set_clock(berth.endpoint, 0)
    assert berth.process.poll() is None, berth.log()


def random_image(root: Path, label: str, layers: int = 3) -> tuple[OciLayout, dict]:
    layout = OciLayout(root)
    image = layout.image([{f"file{i}.bin": os.urandom(20_000 + i)} for i in range(layers)], label=label)
    layout.tag(image, "v1")
    return layout, image


def manifest_of(layout: OciLayout, descriptor: dict) -> dict:
    return json.loads(layout.blob_bytes(descriptor["digest"]))


def assert_pulled_exactly(skopeo: Skopeo, repository: str, reference: str, written: OciLayout,
                          image: dict, out: Path) -> None:
    skopeo.copy_out(repository, reference, out, "out")
    copied = OciLayout(out)
    assert copied.ref("out")["digest"] == image["digest"]
    manifest = manifest_of(written, image)
    for blob in [manifest["config"], *manifest["layers"], image]:
        assert copied.blob_bytes(blob["digest"]) == written.blob_bytes(blob["digest"]), blob["digest"]


def v2_error(endpoint: str, password: str, repository: str, reference: str) -> tuple[int, str, str]:
    status, _, body = registry_request(endpoint, "GET", f"/v2/{repository}/manifests/{reference}", password,
                                       {"Accept": "application/vnd.oci.image.manifest.v1+json"})
    [error] = json.loads(body)["errors"]
    return status, error["code"], error["message"]


def repositories(ecr) -> list[str]:
    return [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]


def test_a_pull_creates_the_repository_and_caches_the_image(pt, upstreams, tmp_path):
    ecr, skopeo, endpoint = pt
    written, image = random_image(tmp_path / "image", "open")
    upstreams["open"].push(written, "v1", "team/app", "v1")
    assert_pulled_exactly(skopeo, "quay/team/app", "v1", written, image, tmp_path / "out")
    [repository] = ecr.describe_repositories(repositoryNames=["quay/team/app"])["repositories"]
    assert repository["imageTagMutability"] == "MUTABLE"
    assert repository["encryptionConfiguration"] == {"encryptionType": "AES256"}
    [described] = ecr.describe_images(repositoryName="quay/team/app")["imageDetails"]
    assert described["imageDigest"] == image["digest"] and described["imageTags"] == ["v1"]
    manifest = manifest_of(written, image)
    layer_digests = [layer["digest"] for layer in manifest["layers"]]
    available = ecr.batch_check_layer_availability(repositoryName="quay/team/app", layerDigests=layer_digests)
    assert {layer["layerAvailability"] for layer in available["layers"]} == {"AVAILABLE"}
    # By digest too, from the cache.
    assert_pulled_exactly(skopeo, "quay/team/app", image["digest"], written, image, tmp_path / "again")


def test_an_index_is_cached_with_its_children(pt, upstreams, tmp_path):
    ecr, skopeo, _ = pt
    layout = OciLayout(tmp_path / "multi")
    amd64 = layout.image([{"a": os.urandom(5000)}], arch="amd64")
    arm64 = layout.image([{"b": os.urandom(5000)}], arch="arm64")
    index = layout.index([amd64, arm64])
    layout.tag(index, "multi")
    upstreams["open"].push(layout, "multi", "multi/app", "multi", "--all")
    out = tmp_path / "out"
    skopeo.copy_out("quay/multi/app", "multi", out, "multi", "--all")
    assert OciLayout(out).ref("multi")["digest"] == index["digest"]
    digests = {d["imageDigest"] for d in ecr.describe_images(repositoryName="quay/multi/app")["imageDetails"]}
    assert digests == {index["digest"], amd64["digest"], arm64["digest"]}


def test_a_credentialed_upstream_is_pulled_with_the_mappings_password(pt, upstreams, tmp_path):
    ecr, skopeo, endpoint = pt
    written, image = random_image(tmp_path / "image", "locked")
    upstreams["locked"].push(written, "v1", "org/private", "v1")
    assert_pulled_exactly(skopeo, "ghcr/org/private", "v1", written, image, tmp_path / "out")
    assert "ghcr/org/private" in repositories(ecr)


def test_a_wrong_password_is_name_unknown_and_creates_nothing(pt, upstreams, tmp_path):
    ecr, skopeo, endpoint = pt
    written, _ = random_image(tmp_path / "image", "wrong")
    upstreams["locked"].push(written, "v1", "org/secret", "v1")
    status, code, message = v2_error(endpoint, login_password(endpoint), "gitlab/org/secret", "v1")
    assert (status, code) == (404, "NAME_UNKNOWN")
    assert "registry.gitlab.com" in message and "refused the credentials" in message, message
    output = subprocess.run(skopeo.inspect_args("gitlab/org/secret", "v1"), capture_output=True, text=True)
    assert output.returncode != 0 and "name unknown" in output.stderr.lower(), output.stderr
    assert repositories(ecr) == []


def test_an_upstream_that_is_down_is_name_unknown(pt, tmp_path):
    ecr, _, endpoint = pt
    status, code, message = v2_error(endpoint, login_password(endpoint), "k8s/pause", "3.9")
    assert (status, code) == (404, "NAME_UNKNOWN")
    assert "registry.k8s.io" in message and "unreachable" in message, message
    assert repositories(ecr) == []


def test_a_missing_upstream_image_in_an_existing_repository_is_manifest_unknown(pt, upstreams, tmp_path):
    ecr, skopeo, endpoint = pt
    written, image = random_image(tmp_path / "image", "present")
    upstreams["open"].push(written, "v1", "team/present", "v1")
    skopeo.copy_out("quay/team/present", "v1", tmp_path / "out", "out")
    status, code, message = v2_error(endpoint, login_password(endpoint), "quay/team/present", "no-such-tag")
    assert (status, code) == (404, "MANIFEST_UNKNOWN")
    assert "does not have it" in message, message
    assert len(ecr.describe_images(repositoryName="quay/team/present")["imageDetails"]) == 1


def test_a_no_rule_repository_is_not_pulled_through(pt, upstreams, tmp_path):
    _, _, endpoint = pt
    written, _ = random_image(tmp_path / "image", "norule")
    upstreams["open"].push(written, "v1", "plain/app", "v1")
    status, code, _ = v2_error(endpoint, login_password(endpoint), "plain/app", "v1")
    assert (status, code) == (404, "NAME_UNKNOWN")


def test_tags_are_asked_again_after_24_hours(pt, upstreams, tmp_path):
    ecr, skopeo, endpoint = pt
    first, first_image = random_image(tmp_path / "first", "first")
    second, second_image = random_image(tmp_path / "second", "second")
    upstreams["open"].push(first, "v1", "team/moving", "latest")
    assert_pulled_exactly(skopeo, "quay/team/moving", "latest", first, first_image, tmp_path / "o1")
    upstreams["open"].push(second, "v1", "team/moving", "latest")
    # Within 24 hours the cached tag is served as it was.
    set_clock(endpoint, 23 * 3600)
    assert_pulled_exactly(skopeo, "quay/team/moving", "latest", first, first_image, tmp_path / "o2")
    # Past them the upstream is asked, and the tag follows it.
    set_clock(endpoint, 25 * 3600)
    assert_pulled_exactly(skopeo, "quay/team/moving", "latest", second, second_image, tmp_path / "o3")
    tags = {d["imageDigest"]: d.get("imageTags", []) for d in
            ecr.describe_images(repositoryName="quay/team/moving")["imageDetails"]}
    assert tags == {first_image["digest"]: [], second_image["digest"]: ["latest"]}


def test_a_cached_image_is_served_after_the_upstream_stops_and_berth_restarts(berth, tmp_path):
    """Its own upstream (stopped here), mapped as quay.io in a durable Berth of its own
    (--data-dir), restarted once the upstream is gone: the rule, the cached image and its
    tag's check time are kept."""
    upstream = UpstreamRegistry(tmp_path / "short-lived")
    env = {"BERTH_UPSTREAMS": f"quay.io=http://{upstream.host}", "BERTH_DATA_DIR": str(tmp_path / "data")}
    server = BerthProcess(berth_binary(), tmp_path / "berth.log", env)
    try:
        ecr = make_client(server.endpoint)
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
        skopeo = Skopeo(server.endpoint, login_password(server.endpoint))
        written, image = random_image(tmp_path / "image", "cached")
        upstream.push(written, "v1", "team/cached", "v1")
        assert_pulled_exactly(skopeo, "quay/team/cached", "v1", written, image, tmp_path / "o1")
        upstream.stop()
        assert server.stop() == 0, server.log()
        server = BerthProcess(berth_binary(), tmp_path / "berth2.log", env)
        ecr = make_client(server.endpoint)
        assert [r["ecrRepositoryPrefix"] for r in
                ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]] == ["quay"]
        skopeo = Skopeo(server.endpoint, login_password(server.endpoint))
        assert_pulled_exactly(skopeo, "quay/team/cached", "v1", written, image, tmp_path / "o2")
        # Due for a recheck, with the upstream gone: the cache answers.
        set_clock(server.endpoint, 48 * 3600)
        assert_pulled_exactly(skopeo, "quay/team/cached", "v1", written, image, tmp_path / "o3")
        # What was never cached is NAME_UNKNOWN for a missing repository.
        status, code, _ = v2_error(server.endpoint, login_password(server.endpoint), "quay/team/never", "v1")
        assert (status, code) == (404, "NAME_UNKNOWN")
    finally:
        upstream.stop()
        assert server.stop() == 0, server.log()


def test_concurrent_first_pulls_all_succeed_from_one_upstream_fetch(pt, upstreams, tmp_path):
    ecr, skopeo, endpoint = pt
    written, image = random_image(tmp_path / "image", "race", layers=4)
    upstreams["open"].push(written, "v1", "team/race", "v1")
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(
            lambda i: assert_pulled_exactly(skopeo, "quay/team/race", "v1", written, image, tmp_path / f"o{i}"),
            range(4),
        ))
    assert outcomes == [None] * 4
    [described] = ecr.describe_images(repositoryName="quay/team/race")["imageDetails"]
    assert described["imageDigest"] == image["digest"]
    # Pulls of one repository take turns: the first fetched, the others found it stored.
    with urllib.request.urlopen(endpoint + "/_berth/events", timeout=10) as response:
        recent = json.load(response)["events"]
    fetches = [e for e in recent if e["detail-type"] == "ECR Pull Through Cache Action"]
    assert len(fetches) == 1, fetches


def test_deleting_the_rule_keeps_the_cached_repository(pt, upstreams, tmp_path):
    ecr, skopeo, _ = pt
    written, image = random_image(tmp_path / "image", "kept")
    upstreams["open"].push(written, "v1", "team/kept", "v1")
    skopeo.copy_out("quay/team/kept", "v1", tmp_path / "o1", "out")
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="quay")
    assert "quay/team/kept" in repositories(ecr)
    assert_pulled_exactly(skopeo, "quay/team/kept", "v1", written, image, tmp_path / "o2")


def test_the_repository_gets_a_pull_through_cache_templates_settings(pt, upstreams, tmp_path):
    ecr, skopeo, _ = pt
    ecr.create_repository_creation_template(
        prefix="quay/team", appliedFor=["PULL_THROUGH_CACHE"], imageTagMutability="IMMUTABLE",
        resourceTags=[{"Key": "source", "Value": "pull-through"}],
    )
    # A template for another action does not apply.
    ecr.create_repository_creation_template(prefix="quay", appliedFor=["CREATE_ON_PUSH"],
                                            imageTagMutability="MUTABLE")
    written, image = random_image(tmp_path / "image", "templated")
    upstreams["open"].push(written, "v1", "team/templated", "v1")
    assert_pulled_exactly(skopeo, "quay/team/templated", "v1", written, image, tmp_path / "out")
    [repository] = ecr.describe_repositories(repositoryNames=["quay/team/templated"])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    tags = ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]
    assert tags == [{"Key": "source", "Value": "pull-through"}]


def test_docker_pulls_through_the_cache(pt, upstreams, dockerd, tmp_path):
    """`docker pull <berth>/quay/<repo>:<tag>` with the session's private dockerd (loopback
    registries are plain HTTP to docker): the files of the upstream's image."""
    ecr, _, endpoint = pt
    docker = DockerClient(dockerd, tmp_path / "docker-config")
    layout = OciLayout(tmp_path / "layout")
    image = layout.image([{"etc/motd": b"pulled through Berth\n"}, {"usr/two": os.urandom(4096)}])
    layout.tag(image, "v1")
    upstreams["open"].push(layout, "v1", "team/docker", "v1")
    host = registry_host(endpoint)
    docker.ok("login", "-u", "AWS", "--password-stdin", host, input=login_password(endpoint))
    reference = f"{host}/quay/team/docker:v1"
    try:
        assert f"Digest: {image['digest']}" in docker.ok("pull", reference).stdout
        container = docker.ok("create", reference, "/etc/motd").stdout.strip()
        try:
            docker.ok("cp", f"{container}:/etc/motd", str(tmp_path / "motd"))
            assert (tmp_path / "motd").read_bytes() == b"pulled through Berth\n"
        finally:
            docker.ok("rm", container)
    finally:
        docker.remove(reference)
    [described] = ecr.describe_images(repositoryName="quay/team/docker")["imageDetails"]
    assert described["imageDigest"] == image["digest"]


def test_a_root_rule_covers_names_no_other_rule_does(pt, upstreams, tmp_path):
    ecr, skopeo, _ = pt
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ROOT", upstreamRegistryUrl=ECR_UPSTREAM)
    written, image = random_image(tmp_path / "image", "root")
    upstreams["open"].push(written, "v1", "mirrored/app", "v1")
    assert_pulled_exactly(skopeo, "mirrored/app", "v1", written, image, tmp_path / "out")
    assert "mirrored/app" in repositories(ecr)
