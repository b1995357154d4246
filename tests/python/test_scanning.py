"""Scanning (shared/docs/ecr-behaviour-registry.md §4) through boto3 (its validation off where
Berth's checks must answer), the AWS CLI v1 and skopeo against the `berth` binary.

Berth has no scanner: every scan ends FAILED with the text real basic scanning gives an image
it cannot analyse, never COMPLETE and never findings. Time is moved with POST /_berth/clock
for the 24-hour quota. Expected texts are written out here."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from botocore.exceptions import WaiterError

from support import (
    ACCOUNT_A,
    ACCOUNT_B,
    DEFAULT_ACCOUNT,
    NAME_PATTERN,
    Cli,
    OciLayout,
    Skopeo,
    access_denied,
    error_of,
    invalid_parameter,
    login_password,
    make_client,
    not_found,
    repo_arn,
)
from test_images import docker_manifest, sha256

UNSUPPORTED = "UnsupportedImageError: The operating system and/or package manager are not supported."
QUOTA = "The scan quota per image has been exceeded. Wait and try again."
FAILED = {"status": "FAILED", "description": UNSUPPORTED}
DAY = 24 * 60 * 60


def scan_not_found(name: str, digest: str | None, tag: str | None, registry: str = DEFAULT_ACCOUNT) -> str:
    return (
        f"Image scan does not exist for the image with '{{imageDigest:'{digest or 'null'}', "
        f"imageTag:'{tag or 'null'}'}}' in the repository with name '{name}' in the registry with id '{registry}'"
    )


def image_not_found(name: str, digest: str | None, tag: str | None, registry: str = DEFAULT_ACCOUNT) -> str:
    return (
        f"The image with imageId {{imageDigest:'{digest or 'null'}', imageTag:'{tag or 'null'}'}} does not exist "
        f"within the repository with name '{name}' in the registry with id '{registry}'"
    )


def set_clock(endpoint: str, offset_seconds: int) -> None:
    body = json.dumps({"offsetSeconds": offset_seconds}).encode()
    request = urllib.request.Request(endpoint + "/_berth/clock", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 204)


@pytest.fixture
def clock(endpoint):
    """Moves Berth's time; puts it back after the test."""
    yield lambda offset: set_clock(endpoint, offset)
    set_clock(endpoint, 0)


@pytest.fixture
def raw(endpoint):
    return make_client(endpoint, validate=False)


def upload(ecr, repo: str, data: bytes) -> None:
    upload_id = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(repositoryName=repo, uploadId=upload_id, partFirstByte=0,
                          partLastByte=len(data) - 1, layerPartBlob=data)
    ecr.complete_layer_upload(repositoryName=repo, uploadId=upload_id, layerDigests=[sha256(data)])


def simple_image_manifest(seed: str) -> tuple[str, str]:
    """(manifest, digest) of a one-layer image whose content depends on `seed`."""
    config, layer = image_blobs(seed)
    manifest = docker_manifest(config, [layer])
    return manifest, sha256(manifest.encode())


def image_blobs(seed: str) -> tuple[bytes, bytes]:
    return json.dumps({"architecture": "amd64", "os": "linux", "seed": seed}).encode(), f"layer {seed}".encode()


def pushed(ecr, repo: str, seed: str, tag: str = "v1") -> str:
    """Pushes an image (its layers, then PutImage) as whichever caller `ecr` is; its digest."""
    for blob in image_blobs(seed):
        upload(ecr, repo, blob)
    manifest, digest = simple_image_manifest(seed)
    ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag)
    return digest


def on_push_rule(*filters: str, frequency: str = "SCAN_ON_PUSH") -> dict:
    return {"scanFrequency": frequency,
            "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters]}


def registry_configuration(ecr) -> dict:
    answer = ecr.get_registry_scanning_configuration()
    assert answer["registryId"] == DEFAULT_ACCOUNT
    return answer["scanningConfiguration"]


# --- Registry scanning configuration --------------------------------------------------------

def test_a_fresh_registry_scans_basic_without_rules(ecr):
    assert registry_configuration(ecr) == {"scanType": "BASIC", "rules": []}


def test_put_replaces_and_get_answers_as_given(ecr):
    rules = [on_push_rule("prod-*", "team/*")]
    put = ecr.put_registry_scanning_configuration(scanType="BASIC", rules=rules)
    assert put["registryScanningConfiguration"] == {"scanType": "BASIC", "rules": rules}
    assert registry_configuration(ecr) == {"scanType": "BASIC", "rules": rules}

    enhanced = [on_push_rule("*"), on_push_rule("prod*", frequency="CONTINUOUS_SCAN")]
    put = ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=enhanced)
    assert put["registryScanningConfiguration"] == {"scanType": "ENHANCED", "rules": enhanced}
    assert registry_configuration(ecr) == {"scanType": "ENHANCED", "rules": enhanced}

    # Nothing given: BASIC (the model's default) and no rules.
    put = ecr.put_registry_scanning_configuration()
    assert put["registryScanningConfiguration"] == {"scanType": "BASIC", "rules": []}
    assert registry_configuration(ecr) == {"scanType": "BASIC", "rules": []}


@pytest.mark.parametrize("arguments, member, reason", [
    ({"scanType": "BASIC", "rules": [on_push_rule("*", frequency="CONTINUOUS_SCAN")]},
     "rules.1.member.scanFrequency", "Member must satisfy enum value set: [SCAN_ON_PUSH]"),
    ({"rules": [on_push_rule("a"), on_push_rule("b", frequency="MANUAL")]},
     "rules.2.member.scanFrequency", "Member must satisfy enum value set: [SCAN_ON_PUSH]"),
    ({"scanType": "ENHANCED", "rules": [on_push_rule("*", frequency="MANUAL")]},
     "rules.1.member.scanFrequency", "Member must satisfy enum value set: [SCAN_ON_PUSH, CONTINUOUS_SCAN]"),
    ({"scanType": "DEEP"}, "scanType", "Member must satisfy enum value set: [BASIC, ENHANCED]"),
    ({"rules": [on_push_rule("a"), on_push_rule("b"), on_push_rule("c")]},
     "rules", "Member must have length less than or equal to 2"),
    ({"rules": [{"scanFrequency": "SCAN_ON_PUSH"}]},
     "rules.1.member.repositoryFilters", "Member must not be null"),
    ({"rules": [{"scanFrequency": "SCAN_ON_PUSH",
                 "repositoryFilters": [{"filter": "*", "filterType": "PREFIX"}]}]},
     "rules.1.member.repositoryFilters.1.member.filterType", "Member must satisfy enum value set: [WILDCARD]"),
])
def test_bad_configurations_are_refused_and_change_nothing(ecr, raw, arguments, member, reason):
    kept = [on_push_rule("kept")]
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=kept)
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.put_registry_scanning_configuration(**arguments)
    code, message, _ = error_of(excinfo)
    assert code == "InvalidParameterException"
    assert message == invalid_parameter(member, reason)
    assert registry_configuration(ecr) == {"scanType": "BASIC", "rules": kept}


def test_a_filter_must_fit_the_model_pattern(ecr, raw):
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.put_registry_scanning_configuration(rules=[on_push_rule("Upper/Case")])
    code, message, _ = error_of(excinfo)
    assert message.startswith(
        "Invalid parameter at 'rules.1.member.repositoryFilters.1.member.filter' failed to satisfy constraint: "
        "'Member must satisfy regular expression pattern: "), message
    assert registry_configuration(ecr) == {"scanType": "BASIC", "rules": []}


def test_configurations_are_per_account_and_region(ecr_for):
    here = ecr_for()
    here.put_registry_scanning_configuration(scanType="ENHANCED", rules=[on_push_rule("*")])
    for other in (ecr_for(region="eu-west-1"), ecr_for(key=ACCOUNT_A)):
        answer = other.get_registry_scanning_configuration()
        assert answer["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}
    assert ecr_for(key=ACCOUNT_A).get_registry_scanning_configuration()["registryId"] == ACCOUNT_A


# --- BatchGetRepositoryScanningConfiguration --------------------------------------------------

def test_each_repository_gets_the_rule_that_matches_it(ecr):
    for name in ("team/prod-api", "team/dev", "solo"):
        ecr.create_repository(repositoryName=name)
    ecr.put_image_scanning_configuration(repositoryName="solo", imageScanningConfiguration={"scanOnPush": True})
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
        on_push_rule("other", "team/*"),
        on_push_rule("*prod*", frequency="CONTINUOUS_SCAN"),
    ])
    answer = ecr.batch_get_repository_scanning_configuration(
        repositoryNames=["team/prod-api", "team/dev", "solo", "missing", "team/dev"])
    assert answer["scanningConfigurations"] == [
        {"repositoryArn": repo_arn("us-east-1", DEFAULT_ACCOUNT, "team/prod-api"), "repositoryName": "team/prod-api",
         "scanOnPush": False, "scanFrequency": "CONTINUOUS_SCAN",
         "appliedScanFilters": [{"filter": "*prod*", "filterType": "WILDCARD"}]},
        {"repositoryArn": repo_arn("us-east-1", DEFAULT_ACCOUNT, "team/dev"), "repositoryName": "team/dev",
         "scanOnPush": False, "scanFrequency": "SCAN_ON_PUSH",
         "appliedScanFilters": [{"filter": "team/*", "filterType": "WILDCARD"}]},
        # The repository's own flag, and no registry rule: manual.
        {"repositoryArn": repo_arn("us-east-1", DEFAULT_ACCOUNT, "solo"), "repositoryName": "solo",
         "scanOnPush": True, "scanFrequency": "MANUAL", "appliedScanFilters": []},
    ]
    assert answer["failures"] == [
        {"repositoryName": "missing", "failureCode": "REPOSITORY_NOT_FOUND", "failureReason": "REPOSITORY_NOT_FOUND"}]


@pytest.mark.parametrize("names, member, reason", [
    ([], "repositoryNames", "Member must have length greater than or equal to 1"),
    ([f"r{i}" for i in range(26)], "repositoryNames", "Member must have length less than or equal to 25"),
])
def test_batch_get_checks_the_list(raw, names, member, reason):
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.batch_get_repository_scanning_configuration(repositoryNames=names)
    assert error_of(excinfo)[1] == invalid_parameter(member, reason)


def test_batch_get_checks_each_name(raw):
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.batch_get_repository_scanning_configuration(repositoryNames=["ok", "Bad"])
    assert error_of(excinfo)[1] == invalid_parameter("repositoryName", f"must satisfy regular expression '{NAME_PATTERN}'")


# --- StartImageScan and DescribeImageScanFindings ----------------------------------------------

def test_a_scan_starts_in_progress_and_ends_failed_without_findings(ecr):
    ecr.create_repository(repositoryName="app")
    digest = pushed(ecr, "app", "one", tag="v1")
    started = ecr.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    del started["ResponseMetadata"]
    assert started == {"registryId": DEFAULT_ACCOUNT, "repositoryName": "app",
                       "imageId": {"imageDigest": digest, "imageTag": "v1"},
                       "imageScanStatus": {"status": "IN_PROGRESS"}}
    for image_id, answered in [({"imageTag": "v1"}, {"imageDigest": digest, "imageTag": "v1"}),
                               ({"imageDigest": digest}, {"imageDigest": digest})]:
        findings = ecr.describe_image_scan_findings(repositoryName="app", imageId=image_id)
        del findings["ResponseMetadata"]
        assert findings == {"registryId": DEFAULT_ACCOUNT, "repositoryName": "app", "imageId": answered,
                            "imageScanStatus": FAILED}


def test_the_waiter_fails_fast_on_the_failed_scan(ecr):
    ecr.create_repository(repositoryName="app")
    pushed(ecr, "app", "one")
    ecr.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    began = time.monotonic()
    with pytest.raises(WaiterError) as excinfo:
        ecr.get_waiter("image_scan_complete").wait(repositoryName="app", imageId={"imageTag": "v1"},
                                                   WaiterConfig={"Delay": 5, "MaxAttempts": 3})
    assert "terminal failure state" in str(excinfo.value), excinfo.value
    assert excinfo.value.last_response["imageScanStatus"] == FAILED
    assert time.monotonic() - began < 4, "no retry: FAILED is terminal"


def test_one_scan_per_image_per_24_hours(ecr, raw, clock):
    ecr.create_repository(repositoryName="app")
    digest = pushed(ecr, "app", "one")
    ecr.start_image_scan(repositoryName="app", imageId={"imageDigest": digest})
    for image_id in ({"imageDigest": digest}, {"imageTag": "v1"}):
        with pytest.raises(raw.exceptions.LimitExceededException) as excinfo:
            raw.start_image_scan(repositoryName="app", imageId=image_id)
        assert error_of(excinfo)[:2] == ("LimitExceededException", QUOTA)
    clock(DAY - 60)
    with pytest.raises(raw.exceptions.LimitExceededException):
        raw.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    clock(DAY + 1)
    answer = ecr.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    assert answer["imageScanStatus"] == {"status": "IN_PROGRESS"}
    # Another image has its own quota.
    other = pushed(ecr, "app", "two", tag="v2")
    ecr.start_image_scan(repositoryName="app", imageId={"imageDigest": other})


def test_scan_errors_name_what_is_missing(ecr, raw):
    ecr.create_repository(repositoryName="app")
    digest = pushed(ecr, "app", "one")
    absent = "sha256:" + "0" * 64
    with pytest.raises(raw.exceptions.RepositoryNotFoundException) as excinfo:
        raw.start_image_scan(repositoryName="nope", imageId={"imageTag": "v1"})
    assert error_of(excinfo)[1] == not_found("nope")
    with pytest.raises(raw.exceptions.ImageNotFoundException) as excinfo:
        raw.start_image_scan(repositoryName="app", imageId={"imageTag": "v2"})
    assert error_of(excinfo)[1] == image_not_found("app", None, "v2")
    with pytest.raises(raw.exceptions.ImageNotFoundException) as excinfo:
        raw.describe_image_scan_findings(repositoryName="app", imageId={"imageDigest": absent})
    assert error_of(excinfo)[1] == image_not_found("app", absent, None)
    with pytest.raises(raw.exceptions.ScanNotFoundException) as excinfo:
        raw.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    assert error_of(excinfo)[:2] == ("ScanNotFoundException", scan_not_found("app", None, "v1"))
    with pytest.raises(raw.exceptions.ScanNotFoundException) as excinfo:
        raw.describe_image_scan_findings(repositoryName="app", imageId={"imageDigest": digest, "imageTag": "v1"})
    assert error_of(excinfo)[1] == scan_not_found("app", digest, "v1")
    with pytest.raises(raw.exceptions.RepositoryNotFoundException):
        raw.describe_image_scan_findings(repositoryName="nope", imageId={"imageTag": "v1"})
    # Another account's registry is AccessDenied, as for every repository operation.
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.start_image_scan(registryId=ACCOUNT_B, repositoryName="app", imageId={"imageTag": "v1"})
    assert error_of(excinfo)[:2] == ("AccessDeniedException", access_denied(
        DEFAULT_ACCOUNT, "StartImageScan", repo_arn("us-east-1", ACCOUNT_B, "app")))
    # Nothing of that started a scan.
    with pytest.raises(raw.exceptions.ScanNotFoundException):
        raw.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})


@pytest.mark.parametrize("image_id, member, pattern", [
    ({"imageTag": "bad tag"}, "imageTag", "[a-zA-Z0-9-_.]+"),
    ({"imageDigest": "sha256:xyz"}, "imageDigest", "[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+"),
])
def test_image_ids_follow_ecrs_patterns(ecr, raw, image_id, member, pattern):
    ecr.create_repository(repositoryName="app")
    for call in (raw.start_image_scan, raw.describe_image_scan_findings):
        with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
            call(repositoryName="app", imageId=image_id)
        assert error_of(excinfo)[1] == f"Invalid parameter at '{member}' failed to satisfy constraint: " \
                                       f"'must satisfy regular expression '{pattern}''"


@pytest.mark.parametrize("arguments, member, reason", [
    ({"maxResults": 0}, "maxResults", "Member must have value greater than or equal to 1"),
    ({"maxResults": 1001}, "maxResults", "Member must have value less than or equal to 1000"),
    ({"nextToken": "not-ours"}, "nextToken", "Invalid NextToken"),
])
def test_findings_pagination_is_checked(ecr, raw, arguments, member, reason):
    ecr.create_repository(repositoryName="app")
    pushed(ecr, "app", "one")
    ecr.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"}, **arguments)
    assert error_of(excinfo)[1] == invalid_parameter(member, reason)


def test_findings_come_in_one_page_without_a_token(ecr):
    ecr.create_repository(repositoryName="app")
    pushed(ecr, "app", "one")
    ecr.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    answer = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"}, maxResults=1)
    assert "nextToken" not in answer and "imageScanFindings" not in answer
    pages = list(ecr.get_paginator("describe_image_scan_findings").paginate(
        repositoryName="app", imageId={"imageTag": "v1"}, PaginationConfig={"PageSize": 1}))
    assert [page["imageScanStatus"] for page in pages] == [FAILED]


def test_enhanced_scanning_disables_start_image_scan(ecr, raw):
    ecr.create_repository(repositoryName="app")
    pushed(ecr, "app", "one")
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[on_push_rule("nothing-matches")])
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    assert error_of(excinfo)[:2] == ("ValidationException", "This feature is disabled")
    ecr.put_registry_scanning_configuration(scanType="BASIC")
    ecr.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})


def test_an_archived_image_is_not_scanned(ecr, raw):
    ecr.create_repository(repositoryName="app")
    digest = pushed(ecr, "app", "one")
    ecr.update_image_storage_class(repositoryName="app", imageId={"imageDigest": digest},
                                   targetStorageClass="ARCHIVE")
    with pytest.raises(raw.exceptions.ImageArchivedException) as excinfo:
        raw.start_image_scan(repositoryName="app", imageId={"imageDigest": digest})
    assert error_of(excinfo)[1] == (
        f"The image with imageId {{imageDigest:'{digest}', imageTag:'null'}} is archived and cannot be scanned "
        f"in the repository with name 'app' in the registry with id '{DEFAULT_ACCOUNT}'")
    with pytest.raises(raw.exceptions.ScanNotFoundException):
        raw.describe_image_scan_findings(repositoryName="app", imageId={"imageDigest": digest})


def test_scans_are_per_account_and_region(ecr_for):
    here = ecr_for()
    here.create_repository(repositoryName="app")
    pushed(here, "app", "one")
    here.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    for other in (ecr_for(region="eu-west-1", validate=False), ecr_for(key=ACCOUNT_A, validate=False)):
        other.create_repository(repositoryName="app")
        pushed(other, "app", "one")
        with pytest.raises(other.exceptions.ScanNotFoundException):
            other.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
        other.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})


def test_a_deleted_and_pushed_again_image_has_no_scan(ecr, raw):
    ecr.create_repository(repositoryName="app")
    digest = pushed(ecr, "app", "one")
    ecr.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    ecr.batch_delete_image(repositoryName="app", imageIds=[{"imageDigest": digest}])
    # The layers stay: the same manifest goes in again by itself.
    manifest, same = simple_image_manifest("one")
    assert same == digest
    ecr.put_image(repositoryName="app", imageManifest=manifest, imageTag="v1")
    with pytest.raises(raw.exceptions.ScanNotFoundException):
        raw.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    ecr.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})


# --- Scan on push -----------------------------------------------------------------------------

def test_the_repository_flag_scans_on_push_and_counts_against_the_quota(ecr, raw):
    ecr.create_repository(repositoryName="flagged", imageScanningConfiguration={"scanOnPush": True})
    ecr.create_repository(repositoryName="plain")
    pushed(ecr, "flagged", "one")
    pushed(ecr, "plain", "one")
    findings = ecr.describe_image_scan_findings(repositoryName="flagged", imageId={"imageTag": "v1"})
    assert findings["imageScanStatus"] == FAILED
    with pytest.raises(raw.exceptions.LimitExceededException) as excinfo:
        raw.start_image_scan(repositoryName="flagged", imageId={"imageTag": "v1"})
    assert error_of(excinfo)[1] == QUOTA
    with pytest.raises(raw.exceptions.ScanNotFoundException):
        raw.describe_image_scan_findings(repositoryName="plain", imageId={"imageTag": "v1"})


def test_a_registry_rule_scans_the_repositories_its_filter_matches(ecr, raw):
    for name in ("prod/api", "dev/api"):
        ecr.create_repository(repositoryName=name)
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[on_push_rule("prod/*")])
    pushed(ecr, "prod/api", "one")
    pushed(ecr, "dev/api", "one")
    assert ecr.describe_image_scan_findings(
        repositoryName="prod/api", imageId={"imageTag": "v1"})["imageScanStatus"] == FAILED
    with pytest.raises(raw.exceptions.ScanNotFoundException):
        raw.describe_image_scan_findings(repositoryName="dev/api", imageId={"imageTag": "v1"})


def test_under_enhanced_a_continuous_rule_scans_new_images_too(ecr, raw):
    ecr.create_repository(repositoryName="app")
    ecr.put_registry_scanning_configuration(scanType="ENHANCED",
                                            rules=[on_push_rule("app", frequency="CONTINUOUS_SCAN")])
    pushed(ecr, "app", "one")
    findings = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    assert findings["imageScanStatus"] == FAILED


def test_a_v2_push_with_skopeo_is_scanned_on_push(endpoint, ecr, tmp_path):
    name = "clients/scanned"
    ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    skopeo = Skopeo(endpoint, login_password(endpoint))
    layout = OciLayout(tmp_path / "in")
    image = layout.image([{"etc/hello": b"hello\n"}], label="scan-on-push")
    layout.tag(image, "v1")
    skopeo.copy_in(layout, "v1", name, "v1")
    findings = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageTag": "v1"})
    assert findings["imageId"] == {"imageDigest": image["digest"], "imageTag": "v1"}
    assert findings["imageScanStatus"] == FAILED
    assert "imageScanFindings" not in findings


# --- The AWS CLI v1 ---------------------------------------------------------------------------

def test_cli_scanning_commands(endpoint, ecr):
    cli = Cli(endpoint)
    ecr.create_repository(repositoryName="app")
    digest = pushed(ecr, "app", "one")
    assert cli.ok("get-registry-scanning-configuration") == {
        "registryId": DEFAULT_ACCOUNT, "scanningConfiguration": {"scanType": "BASIC", "rules": []}}
    rules = [on_push_rule("app*")]
    put = cli.ok("put-registry-scanning-configuration", "--scan-type", "BASIC", "--rules", json.dumps(rules))
    assert put == {"registryScanningConfiguration": {"scanType": "BASIC", "rules": rules}}
    cli.fails("put-registry-scanning-configuration", "--scan-type", "BASIC",
              "--rules", json.dumps([on_push_rule("*", frequency="CONTINUOUS_SCAN")]),
              code="InvalidParameterException", operation="PutRegistryScanningConfiguration",
              message=invalid_parameter("rules.1.member.scanFrequency",
                                        "Member must satisfy enum value set: [SCAN_ON_PUSH]"))
    batch = cli.ok("batch-get-repository-scanning-configuration", "--repository-names", "app", "gone")
    assert [c["scanFrequency"] for c in batch["scanningConfigurations"]] == ["SCAN_ON_PUSH"]
    assert [f["repositoryName"] for f in batch["failures"]] == ["gone"]

    cli.fails("describe-image-scan-findings", "--repository-name", "app", "--image-id", "imageTag=v1",
              code="ScanNotFoundException", operation="DescribeImageScanFindings",
              message=scan_not_found("app", None, "v1"))
    started = cli.ok("start-image-scan", "--repository-name", "app", "--image-id", "imageTag=v1")
    assert started["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    assert started["imageScanStatus"] == {"status": "IN_PROGRESS"}
    cli.fails("start-image-scan", "--repository-name", "app", "--image-id", f"imageDigest={digest}",
              code="LimitExceededException", operation="StartImageScan", message=QUOTA)
    findings = cli.ok("describe-image-scan-findings", "--repository-name", "app", "--image-id", "imageTag=v1",
                      "--no-paginate")
    assert findings["imageScanStatus"] == FAILED and "imageScanFindings" not in findings
    # The CLI's paginator over findings: one page (the CLI itself adds empty finding lists
    # when it merges pages).
    paged = cli.ok("describe-image-scan-findings", "--repository-name", "app", "--image-id", "imageTag=v1",
                   "--page-size", "1")
    assert paged["imageScanStatus"] == FAILED and "nextToken" not in paged
    assert not any((paged.get("imageScanFindings") or {}).values()), paged

    waited = cli.run("wait", "image-scan-complete", "--repository-name", "app", "--image-id", "imageTag=v1")
    assert waited.returncode == 255, waited
    assert "Waiter ImageScanComplete failed: Waiter encountered a terminal failure state" in waited.stderr, \
        waited.stderr


# --- DescribeImages shows the scan --------------------------------------------------------------

def test_describe_images_shows_the_scan_once_there_is_one(ecr):
    ecr.create_repository(repositoryName="app")
    scanned = pushed(ecr, "app", "one", tag="v1")
    plain = pushed(ecr, "app", "two", tag="v2")

    def details() -> dict[str, dict]:
        page = ecr.describe_images(repositoryName="app")["imageDetails"]
        return {detail["imageDigest"]: detail for detail in page}

    # A page rendered before the scan (and kept ready as JSON) must not hide it afterwards.
    before = details()
    assert all("imageScanStatus" not in detail for detail in before.values())
    ecr.start_image_scan(repositoryName="app", imageId={"imageDigest": scanned})
    after = details()
    assert after[scanned]["imageScanStatus"] == FAILED
    assert "imageScanFindingsSummary" not in after[scanned]
    assert "imageScanStatus" not in after[plain]
    [named] = ecr.describe_images(repositoryName="app", imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert named["imageScanStatus"] == FAILED
    [named] = ecr.describe_images(repositoryName="app", imageIds=[{"imageTag": "v2"}])["imageDetails"]
    assert "imageScanStatus" not in named


def test_describe_images_shows_a_scan_on_push(ecr):
    ecr.create_repository(repositoryName="app", imageScanningConfiguration={"scanOnPush": True})
    digest = pushed(ecr, "app", "one")
    [detail] = ecr.describe_images(repositoryName="app")["imageDetails"]
    assert (detail["imageDigest"], detail["imageScanStatus"]) == (digest, FAILED)
