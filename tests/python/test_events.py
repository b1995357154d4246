"""Events as ECR sends them to EventBridge, end to end: what pushes (PutImage and `/v2`),
refused pushes, deletes (BatchDeleteImage and `/v2`), scans, replication and lifecycle expiry
emit, read back from `GET /_berth/events` as JSON and as server-sent events; and delivery with
`PutEvents` to a real EventBridge-compatible server (moto's, started here) where a rule on the
bus routes the event to an SQS queue the test reads. A delivery endpoint that is down never
slows or fails a push, and shows in `/_berth/health`."""

from __future__ import annotations

import calendar
import http.client
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import boto3
import pytest
from botocore.config import Config

from support import (ACCOUNT_A, ACCOUNT_B, DEFAULT_ACCOUNT, BerthProcess, Skopeo, admin, berth_binary, clean_aws_env,
                     login_password, make_client, registry_request)
from test_images import DOCKER_CONFIG, DOCKER_MANIFEST
from test_lifecycle import older_than, policy, run_lifecycle, set_clock
from test_replication import simple_image

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


def events(endpoint: str) -> list[dict]:
    status, body = admin(endpoint, "GET", "/_berth/events")
    assert status == 200
    return body["events"]


def of_type(endpoint: str, detail_type: str) -> list[dict]:
    return [event for event in events(endpoint) if event["detail-type"] == detail_type]


def image(ecr, name: str, seed: str) -> tuple[str, str]:
    """A one-layer image's blobs uploaded to `name` (any account); (manifest, digest)."""
    return simple_image(ecr, name, seed)


def epoch(iso: str) -> int:
    """Seconds since the epoch of an event's `time`."""
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def check_envelope(event: dict, account: str = DEFAULT_ACCOUNT, region: str = "us-east-1") -> None:
    assert set(event) == ENVELOPE, event
    assert event["version"] == "0" and event["source"] == "aws.ecr"
    assert UUID.match(event["id"]), event["id"]
    assert ISO_UTC.match(event["time"]), event["time"]
    assert event["account"] == account and event["region"] == region


def test_push_and_delete_are_image_actions_whichever_protocol(ecr, endpoint):
    ecr.create_repository(repositoryName="ev/app", imageTagMutability="IMMUTABLE")
    manifest, digest = image(ecr, "ev/app", "one")
    ecr.put_image(repositoryName="ev/app", imageManifest=manifest, imageTag="v1")
    [pushed] = of_type(endpoint, "ECR Image Action")
    check_envelope(pushed)
    assert pushed["resources"] == []
    assert pushed["detail"] == {
        "result": "SUCCESS", "repository-name": "ev/app", "image-digest": digest, "action-type": "PUSH",
        "image-tag": "v1", "manifest-media-type": DOCKER_MANIFEST, "artifact-media-type": DOCKER_CONFIG,
    }
    # The time is Berth's clock: a test that moves it sees events stamped in its future.
    assert abs(epoch(pushed["time"]) - time.time()) < 60

    # The same tag on other bytes, in an immutable repository: refused, a FAILURE event.
    other, other_digest = image(ecr, "ev/app", "two")
    with pytest.raises(ecr.exceptions.ImageTagAlreadyExistsException):
        ecr.put_image(repositoryName="ev/app", imageManifest=other, imageTag="v1")
    refused = of_type(endpoint, "ECR Image Action")[-1]
    assert refused["detail"] == {"result": "FAILURE", "repository-name": "ev/app", "image-digest": other_digest,
                                 "action-type": "PUSH", "image-tag": "v1"}

    # A `/v2` push (manifest PUT) is a push too.
    password = login_password(endpoint)
    status, _, _ = registry_request(endpoint, "PUT", "/v2/ev/app/manifests/v2", password,
                                    {"Content-Type": DOCKER_MANIFEST}, other.encode())
    assert status == 201
    v2_push = of_type(endpoint, "ECR Image Action")[-1]["detail"]
    assert (v2_push["action-type"], v2_push["image-tag"], v2_push["image-digest"]) == ("PUSH", "v2", other_digest)

    # BatchDeleteImage by tag: one DELETE naming the tag.
    ecr.batch_delete_image(repositoryName="ev/app", imageIds=[{"imageTag": "v1"}])
    deleted = of_type(endpoint, "ECR Image Action")[-1]
    check_envelope(deleted)
    assert deleted["detail"] == {"result": "SUCCESS", "repository-name": "ev/app", "image-digest": digest,
                                 "action-type": "DELETE", "image-tag": "v1"}
    # The `/v2` DELETE by digest: a DELETE for each tag the image had.
    status, _, _ = registry_request(endpoint, "DELETE", f"/v2/ev/app/manifests/{other_digest}", password)
    assert status == 202
    last = of_type(endpoint, "ECR Image Action")[-1]["detail"]
    assert (last["action-type"], last["image-digest"], last["image-tag"]) == ("DELETE", other_digest, "v2")
    # A delete that deletes nothing emits nothing.
    before = len(events(endpoint))
    ecr.batch_delete_image(repositoryName="ev/app", imageIds=[{"imageTag": "gone"}])
    assert len(events(endpoint)) == before


def test_a_scan_is_an_image_scan_event(ecr, endpoint):
    ecr.create_repository(repositoryName="ev/scan")
    manifest, digest = image(ecr, "ev/scan", "scan")
    ecr.put_image(repositoryName="ev/scan", imageManifest=manifest, imageTag="a")
    ecr.start_image_scan(repositoryName="ev/scan", imageId={"imageTag": "a"})
    [scan] = of_type(endpoint, "ECR Image Scan")
    check_envelope(scan)
    assert scan["resources"] == [f"arn:aws:ecr:us-east-1:{DEFAULT_ACCOUNT}:repository/ev/scan"]
    # Berth's scans end FAILED at once (no scanner), as DescribeImageScanFindings says.
    findings = ecr.describe_image_scan_findings(repositoryName="ev/scan", imageId={"imageTag": "a"})
    assert findings["imageScanStatus"]["status"] == "FAILED"
    assert scan["detail"] == {"scan-status": "FAILED", "repository-name": "ev/scan", "finding-severity-counts": {},
                              "image-digest": digest, "image-tags": ["a"]}
    # Scan on push emits one too.
    ecr.create_repository(repositoryName="ev/onpush", imageScanningConfiguration={"scanOnPush": True})
    manifest, digest = image(ecr, "ev/onpush", "onpush")
    ecr.put_image(repositoryName="ev/onpush", imageManifest=manifest)
    scans = of_type(endpoint, "ECR Image Scan")
    assert [(s["detail"]["repository-name"], s["detail"]["image-digest"], s["detail"]["image-tags"])
            for s in scans[1:]] == [("ev/onpush", digest, [])]


def test_replication_is_a_replication_action_in_each_destination(endpoint):
    a = make_client(endpoint, ACCOUNT_A, "us-east-1")
    a.put_replication_configuration(replicationConfiguration={"rules": [{"destinations": [
        {"region": "eu-west-1", "registryId": ACCOUNT_A}, {"region": "us-east-1", "registryId": ACCOUNT_B}]}]})
    a.create_repository(repositoryName="ev/rep")
    manifest, digest = image(a, "ev/rep", "rep")
    a.put_image(repositoryName="ev/rep", imageManifest=manifest, imageTag="t")
    copies = of_type(endpoint, "ECR Replication Action")
    assert len(copies) == 2
    eu = next(event for event in copies if event["region"] == "eu-west-1")
    check_envelope(eu, ACCOUNT_A, "eu-west-1")
    assert eu["resources"] == [f"arn:aws:ecr:eu-west-1:{ACCOUNT_A}:repository/ev/rep"]
    assert eu["detail"] == {"result": "SUCCESS", "repository-name": "ev/rep", "image-digest": digest,
                            "source-account": ACCOUNT_A, "action-type": "REPLICATE", "source-region": "us-east-1",
                            "image-tag": "t"}
    # B's registry policy does not let A in: the copy failed.
    b = next(event for event in copies if event["account"] == ACCOUNT_B)
    check_envelope(b, ACCOUNT_B, "us-east-1")
    assert b["detail"]["result"] == "FAILURE" and b["detail"]["source-account"] == ACCOUNT_A
    # The push itself came first.
    kinds = [event["detail-type"] for event in events(endpoint)]
    assert kinds.index("ECR Image Action") < kinds.index("ECR Replication Action")


def test_lifecycle_expiry_is_cloudtrails_policy_execution_event(ecr, endpoint):
    ecr.create_repository(repositoryName="ev/life")
    old, old_digest = image(ecr, "ev/life", "old")
    ecr.put_image(repositoryName="ev/life", imageManifest=old, imageTag="old")
    ecr.put_lifecycle_policy(repositoryName="ev/life", lifecyclePolicyText=policy(older_than(1, "any", 3)))
    set_clock(endpoint, 4 * 86_400)
    try:
        assert run_lifecycle(endpoint)["expired"] == 1
        [expiry] = of_type(endpoint, "AWS Service Event via CloudTrail")
    finally:
        set_clock(endpoint, 0)
    check_envelope(expiry)
    # Stamped by Berth's clock, four days ahead.
    assert abs(epoch(expiry["time"]) - time.time() - 4 * 86_400) < 60
    detail = expiry["detail"]
    assert (detail["eventName"], detail["eventType"], detail["eventSource"]) == (
        "PolicyExecutionEvent", "AwsServiceEvent", "ecr.amazonaws.com")
    assert detail["eventTime"] == expiry["time"] and detail["awsRegion"] == "us-east-1"
    assert detail["resources"] == [{"ARN": f"arn:aws:ecr:us-east-1:{DEFAULT_ACCOUNT}:repository/ev/life",
                                    "accountId": DEFAULT_ACCOUNT, "type": "AWS::ECR::Repository"}]
    [action] = detail["serviceEventDetails"]["lifecycleEventImageActions"]
    assert detail["serviceEventDetails"]["repositoryName"] == "ev/life"
    assert action["rulePriority"] == 1
    assert action["lifecycleEventImage"]["digest"] == old_digest
    assert action["lifecycleEventImage"]["tagStatus"] == "Tagged"
    assert action["lifecycleEventImage"]["tagList"] == ["old"]
    assert isinstance(action["lifecycleEventImage"]["pushedAt"], int)
    # The image is gone; its event still names it.
    assert ecr.list_images(repositoryName="ev/life")["imageIds"] == []
    # A run that expires nothing emits nothing.
    run_lifecycle(endpoint)
    assert len(of_type(endpoint, "AWS Service Event via CloudTrail")) == 1


def test_the_stream_sends_the_recent_events_then_live_ones(ecr, endpoint):
    ecr.create_repository(repositoryName="ev/live")
    first, first_digest = image(ecr, "ev/live", "first")
    ecr.put_image(repositoryName="ev/live", imageManifest=first, imageTag="first")
    url = urlparse(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    connection.request("GET", "/_berth/events", headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream"

    def next_event() -> dict:
        """The next `data:` frame, skipping comments (keep-alives) and blank lines."""
        while True:
            line = response.readline().decode()
            assert line, "the stream ended"
            if line.startswith("data: "):
                return json.loads(line[len("data: "):])
            assert line.startswith(":") or line == "\n", line

    try:
        recent = next_event()
        assert recent["detail"]["image-digest"] == first_digest
        second, second_digest = image(ecr, "ev/live", "second")
        ecr.put_image(repositoryName="ev/live", imageManifest=second, imageTag="second")
        live = next_event()
        check_envelope(live)
        assert (live["detail"]["image-digest"], live["detail"]["image-tag"]) == (second_digest, "second")
    finally:
        connection.close()
    # The JSON view has both, newest last.
    assert [e["detail"]["image-tag"] for e in of_type(endpoint, "ECR Image Action")] == ["first", "second"]


# ---- Delivery to an EventBridge-compatible server ----

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def moto_server(tmp_path):
    """moto's server (EventBridge, SQS) on a free loopback port, stopped by PID."""
    port = free_port()
    log = open(tmp_path / "moto.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=clean_aws_env())
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=2):
                return True
        except OSError:
            return process.poll() is not None
    try:
        wait_for(up, 30, "moto's server")
        assert process.poll() is None, (tmp_path / "moto.log").read_text()[-3000:]
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def aws(service: str, url: str):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name="us-east-1").client(
        service, endpoint_url=url, config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def berth_with(tmp_path):
    """A factory of Berth servers with extra environment, each stopped at the end."""
    started = []

    def start(env: dict[str, str]) -> BerthProcess:
        server = BerthProcess(berth_binary(), tmp_path / f"berth-{len(started)}.log", env)
        started.append(server)
        return server
    yield start
    for server in started:
        assert server.stop() == 0, server.log()


def health_events(endpoint: str) -> dict:
    status, body = admin(endpoint, "GET", "/_berth/health")
    assert status == 200
    return body["events"]


def test_events_reach_a_rule_on_the_bus_of_a_real_eventbridge(moto_server, berth_with):
    bridge, sqs = aws("events", moto_server), aws("sqs", moto_server)
    queue_url = sqs.create_queue(QueueName="ecr-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bridge.create_event_bus(Name="ecr-bus")
    bridge.put_rule(Name="ecr-pushes", EventBusName="ecr-bus",
                    EventPattern=json.dumps({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
                                             "detail": {"action-type": ["PUSH"]}}))
    bridge.put_targets(Rule="ecr-pushes", EventBusName="ecr-bus", Targets=[{"Id": "queue", "Arn": queue_arn}])

    server = berth_with({"BERTH_EVENTBRIDGE_ENDPOINT": moto_server, "BERTH_EVENTBRIDGE_BUS": "ecr-bus"})
    ecr = make_client(server.endpoint)
    assert health_events(server.endpoint) == {"delivered": 0, "dropped": 0, "failed": 0}
    ecr.create_repository(repositoryName="ev/bridge")
    manifest, digest = image(ecr, "ev/bridge", "bridge")
    ecr.put_image(repositoryName="ev/bridge", imageManifest=manifest, imageTag="latest")

    def received():
        return sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages")
    [message] = wait_for(received, 20, "the event in the rule's queue")
    event = json.loads(message["Body"])
    assert event["source"] == "aws.ecr" and event["detail-type"] == "ECR Image Action"
    assert event["region"] == "us-east-1" and event["resources"] == []
    assert event["detail"] == {"result": "SUCCESS", "repository-name": "ev/bridge", "image-digest": digest,
                               "action-type": "PUSH", "image-tag": "latest", "manifest-media-type": DOCKER_MANIFEST,
                               "artifact-media-type": DOCKER_CONFIG}
    # The event Berth shows is the one delivered: same detail, and the same time (PutEvents
    # sends it as epoch seconds, which moto passes on as they came).
    [shown] = events(server.endpoint)
    assert shown["detail"] == event["detail"]
    assert event["time"] in (epoch(shown["time"]), shown["time"])
    wait_for(lambda: health_events(server.endpoint)["delivered"] == 1, 10, "the delivered count")
    assert health_events(server.endpoint) == {"delivered": 1, "dropped": 0, "failed": 0}


def test_a_down_endpoint_never_slows_or_fails_a_push_and_is_counted(berth_with):
    # Nothing listens on this port.
    server = berth_with({"BERTH_EVENTBRIDGE_ENDPOINT": f"http://127.0.0.1:{free_port()}"})
    ecr = make_client(server.endpoint)
    ecr.create_repository(repositoryName="ev/down")
    manifest, _ = image(ecr, "ev/down", "down")
    started = time.monotonic()
    ecr.put_image(repositoryName="ev/down", imageManifest=manifest, imageTag="a")
    ecr.batch_delete_image(repositoryName="ev/down", imageIds=[{"imageTag": "a"}])
    assert time.monotonic() - started < 2
    assert [e["detail"]["action-type"] for e in events(server.endpoint)] == ["PUSH", "DELETE"]
    # Each is retried with backoff, then counted as failed.
    wait_for(lambda: health_events(server.endpoint)["failed"] == 2, 30, "both deliveries to fail")
    assert health_events(server.endpoint) == {"delivered": 0, "dropped": 0, "failed": 2}


def test_a_bad_endpoint_stops_startup_with_a_reason(tmp_path):
    binary = berth_binary()
    env = {k: v for k, v in clean_aws_env().items() if not k.startswith("BERTH_")}
    env["BERTH_EVENTBRIDGE_ENDPOINT"] = "https://events.example"
    done = subprocess.run([str(binary), "--host", "127.0.0.1", "--port", "0"], env=env, capture_output=True,
                          timeout=30)
    assert done.returncode != 0
    assert "http://HOST[:PORT]" in done.stderr.decode(), done.stderr.decode()


def test_a_pull_through_is_a_pull_through_cache_action(tmp_path, berth_with):
    from test_pull_through import UpstreamRegistry, random_image

    upstream = UpstreamRegistry(tmp_path / "upstream")
    try:
        down = f"127.0.0.1:{free_port()}"
        server = berth_with({"BERTH_UPSTREAMS": f"quay.io=http://{upstream.host},registry.k8s.io=http://{down}"})
        ecr = make_client(server.endpoint)
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="k8s", upstreamRegistryUrl="registry.k8s.io")
        written, pushed = random_image(tmp_path / "image", "events")
        upstream.push(written, "v1", "team/app", "v1")
        skopeo = Skopeo(server.endpoint, login_password(server.endpoint))
        skopeo.copy_out("quay/team/app", "v1", tmp_path / "out", "out")
    finally:
        upstream.stop()
    [pulled] = of_type(server.endpoint, "ECR Pull Through Cache Action")
    check_envelope(pulled)
    assert pulled["resources"] == [f"arn:aws:ecr:us-east-1:{DEFAULT_ACCOUNT}:repository/quay/team/app"]
    assert pulled["detail"] == {"rule-version": "1", "sync-status": "SUCCESS", "ecr-repository-prefix": "quay",
                                "repository-name": "quay/team/app", "upstream-registry-url": "quay.io",
                                "image-tag": "v1", "image-digest": pushed["digest"]}
    # The image stored from upstream was pushed into the cache repository first.
    kinds = [(e["detail-type"], e["detail"].get("action-type")) for e in events(server.endpoint)]
    assert kinds.index(("ECR Image Action", "PUSH")) < kinds.index(("ECR Pull Through Cache Action", None))

    # An upstream that is down: the pull fails, and so does the sync.
    status, _, _ = registry_request(server.endpoint, "GET", "/v2/k8s/pause/manifests/3.9",
                                    login_password(server.endpoint),
                                    {"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert status == 404
    failed = of_type(server.endpoint, "ECR Pull Through Cache Action")[-1]["detail"]
    assert {k: v for k, v in failed.items() if k != "failure-reason"} == {
        "rule-version": "1", "sync-status": "FAILED", "ecr-repository-prefix": "k8s",
        "repository-name": "k8s/pause", "upstream-registry-url": "registry.k8s.io", "image-tag": "3.9",
        "failure-code": "UPSTREAM_UNAVAILABLE"}
    assert failed["failure-reason"]


def test_an_open_stream_does_not_hold_up_a_stop(berth_with):
    server = berth_with({})
    url = urlparse(server.endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    connection.request("GET", "/_berth/events", headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    assert response.readline().startswith(b":")
    started = time.monotonic()
    assert server.stop() == 0, server.log()
    # Well within the 10 s graceful shutdown would wait for an open request.
    assert time.monotonic() - started < 5
    # The stream ended with the server.
    assert response.read() in (b"", b"\n")
    connection.close()
