"""`--registry-host` (BERTH_REGISTRY_HOST) through the AWS CLI v2: the repositoryUri that
`describe-repositories --query` prints, and get-authorization-token's proxyEndpoint, name
Berth's registry, so `docker push $(aws ecr describe-repositories --query
'repositories[0].repositoryUri' --output text)` goes to Berth unmodified. Each test starts a
`berth` of its own with the setting (the session's server keeps AWS's forms)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from support import BerthProcess, berth_binary
from test_cli_v2 import CliV2


@pytest.fixture
def berth_with(tmp_path):
    """A factory: a berth started with `BERTH_REGISTRY_HOST=host`, stopped after the test."""
    started: list[BerthProcess] = []

    def start(host: str) -> BerthProcess:
        server = BerthProcess(
            berth_binary(), tmp_path / f"berth-{len(started)}.log", {"BERTH_REGISTRY_HOST": host}
        )
        started.append(server)
        return server

    yield start
    for server in started:
        assert server.stop() == 0, server.log()


def text(cli: CliV2, *args: str) -> str:
    result = cli.run(*args, "--output", "text")
    assert result.returncode == 0, f"aws ecr {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def test_the_uri_the_cli_prints_is_berths_registry(berth_with, tmp_path):
    server = berth_with("localhost:{port}")
    port = urlsplit(server.endpoint).port
    cli = CliV2(server.endpoint, tmp_path)
    created = cli.ok("create-repository", "--repository-name", "team/web")
    assert created["repository"]["repositoryUri"] == f"localhost:{port}/team/web"
    uri = text(cli, "describe-repositories", "--query", "repositories[0].repositoryUri")
    assert uri == f"localhost:{port}/team/web"
    endpoint = text(cli, "get-authorization-token", "--query", "authorizationData[0].proxyEndpoint")
    assert endpoint == f"http://localhost:{port}"
    deleted = cli.ok("delete-repository", "--repository-name", "team/web")
    assert deleted["repository"]["repositoryUri"] == f"localhost:{port}/team/web"


def test_the_host_can_name_each_account_and_region(berth_with, tmp_path):
    server = berth_with("{account}.dkr.ecr.{region}.localhost:4566")
    cli = CliV2(server.endpoint, tmp_path, key="111122223333", region="eu-west-1")
    cli.ok("create-repository", "--repository-name", "app")
    uri = text(cli, "describe-repositories", "--query", "repositories[0].repositoryUri")
    assert uri == "111122223333.dkr.ecr.eu-west-1.localhost:4566/app"
    endpoint = text(cli, "get-authorization-token", "--query", "authorizationData[0].proxyEndpoint")
    assert endpoint == "http://111122223333.dkr.ecr.eu-west-1.localhost:4566"


def test_without_it_uris_keep_aws_forms(endpoint, tmp_path):
    cli = CliV2(endpoint, tmp_path)
    cli.ok("create-repository", "--repository-name", "app")
    uri = text(cli, "describe-repositories", "--query", "repositories[0].repositoryUri")
    assert uri == "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"
    endpoint = text(cli, "get-authorization-token", "--query", "authorizationData[0].proxyEndpoint")
    assert endpoint == "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
