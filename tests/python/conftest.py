"""Fixtures for Berth's end-to-end tests with real AWS clients (boto3, the AWS CLI v1).

Nothing is built here: the `berth` binary comes from `BERTH_BIN` (scripts/test sets it), else
`target/release/berth`, else `target/debug/berth`. One server per test session, started on
127.0.0.1 with `--port 0`; its endpoint is read from the `BERTH_ENDPOINT=` line it prints.
Every test starts from empty state (`POST /_berth/reset`), and the server is stopped with
SIGTERM at the end of the session.
"""

from __future__ import annotations

import pytest

from support import PLAIN_KEY, BerthProcess, admin, berth_binary, make_client


@pytest.fixture(scope="session")
def berth_server(tmp_path_factory):
    server = BerthProcess(berth_binary(), tmp_path_factory.mktemp("berth") / "berth.log")
    yield server
    code = server.stop()
    # SIGTERM is a clean stop: exit code 0.
    assert code == 0, f"berth exited with {code} on SIGTERM; log:\n{server.log()}"


@pytest.fixture(scope="session")
def endpoint(berth_server) -> str:
    return berth_server.endpoint


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """Every test that talks to Berth starts with no repositories anywhere."""
    if "endpoint" not in request.fixturenames:
        yield
        return
    berth_server = request.getfixturevalue("berth_server")
    if berth_server.process.poll() is not None:
        pytest.fail(f"berth is not running (exit {berth_server.process.returncode}); log:\n{berth_server.log()}")
    status, _ = admin(berth_server.endpoint, "POST", "/_berth/reset")
    assert status in (200, 204), f"reset answered {status}"
    yield
    # A test must not crash the server.
    assert berth_server.process.poll() is None, f"berth died during the test; log:\n{berth_server.log()}"


@pytest.fixture
def ecr(endpoint):
    """boto3, default account (key not 12 digits), us-east-1."""
    return make_client(endpoint)


@pytest.fixture
def ecr_for(endpoint):
    """A factory: ecr_for(key, region, validate=True)."""

    def factory(key: str = PLAIN_KEY, region: str = "us-east-1", validate: bool = True):
        return make_client(endpoint, key, region, validate)

    return factory


# --- Registry clients (test_registry_clients.py) ---

from support import Dockerd, registry_host  # noqa: E402 (this block's own import)


@pytest.fixture(scope="session")
def dockerd(berth_server, tmp_path_factory):
    """One private dockerd for the session (starting one takes seconds), with Berth's
    registry port marked insecure; stopped by its PID at the end. If it cannot start here,
    every docker test fails with the reason and dockerd's log."""
    daemon = Dockerd(tmp_path_factory.mktemp("dockerd"), registry_host(berth_server.endpoint))
    yield daemon
    daemon.stop()
