"""Lifecycle policies through real clients against the `berth` binary (spec §1 of
shared/docs/ecr-behaviour-registry.md): boto3 (validation off where Berth's checks must
answer) and the AWS CLI v1 for Put/Get/Delete and previews, the boto3 waiter
`lifecycle_policy_preview_complete`, and real expiry: images pushed "15 days ago" by moving
Berth's clock, `POST /_berth/lifecycle/run`, then every image checked one by one, through
the API and through `/v2`.

Expected texts are written out here; digests are computed here from the bytes sent."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import urllib.error
import urllib.request

import pytest

from support import DEFAULT_ACCOUNT, Cli, error_of, invalid_parameter, login_password, make_client, not_found

DAY = 24 * 60 * 60
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
FAILURE = "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: "
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def post_json(endpoint: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(endpoint + path, method="POST", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def set_clock(endpoint: str, offset_seconds: int) -> None:
    assert post_json(endpoint, "/_berth/clock", {"offsetSeconds": offset_seconds})["offsetSeconds"] == offset_seconds


def run_lifecycle(endpoint: str) -> dict:
    return post_json(endpoint, "/_berth/lifecycle/run")


@pytest.fixture
def clock(endpoint):
    """Berth's clock at the system's time before and after the test."""
    set_clock(endpoint, 0)
    yield lambda offset: set_clock(endpoint, offset)
    set_clock(endpoint, 0)


@pytest.fixture
def raw(endpoint):
    return make_client(endpoint, validate=False)


@pytest.fixture
def cli(endpoint):
    return Cli(endpoint)


class Repo:
    """A repository with one config and one layer blob; images differ by an annotation."""

    def __init__(self, ecr, name: str):
        self.ecr, self.name = ecr, name
        ecr.create_repository(repositoryName=name)
        self.config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
        self.layer = b"one layer"
        for blob in (self.config, self.layer):
            upload = ecr.initiate_layer_upload(repositoryName=name)["uploadId"]
            ecr.upload_layer_part(repositoryName=name, uploadId=upload, partFirstByte=0,
                                  partLastByte=len(blob) - 1, layerPartBlob=blob)
            ecr.complete_layer_upload(repositoryName=name, uploadId=upload, layerDigests=[sha256(blob)])

    def manifest(self, seed: str) -> str:
        return json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "size": len(self.config), "digest": sha256(self.config)},
            "layers": [{"mediaType": OCI_LAYER, "size": len(self.layer), "digest": sha256(self.layer)}],
            "annotations": {"seed": seed},
        })

    def push(self, seed: str, *tags: str) -> str:
        """Pushes the image of `seed` with `tags` (none: untagged); its digest."""
        manifest = self.manifest(seed)
        if tags:
            for tag in tags:
                self.ecr.put_image(repositoryName=self.name, imageManifest=manifest, imageTag=tag)
        else:
            self.ecr.put_image(repositoryName=self.name, imageManifest=manifest)
        return sha256(manifest.encode())

    def images(self) -> dict[str, list[str]]:
        """digest → sorted tags, for every image in the repository."""
        found: dict[str, list[str]] = {}
        for page in self.ecr.get_paginator("describe_images").paginate(repositoryName=self.name, filter={"imageStatus": "ANY"}):
            for detail in page["imageDetails"]:
                found[detail["imageDigest"]] = sorted(detail.get("imageTags", []))
        return found


def policy(*rules: dict) -> str:
    return json.dumps({"rules": list(rules)}, indent=2)


def keep(priority: int, tag_status: str, n: int, **lists) -> dict:
    selection = {"tagStatus": tag_status, "countType": "imageCountMoreThan", "countNumber": n, **lists}
    return {"rulePriority": priority, "selection": selection, "action": {"type": "expire"}}


def older_than(priority: int, tag_status: str, days: int, **lists) -> dict:
    selection = {"tagStatus": tag_status, "countType": "sinceImagePushed", "countUnit": "days",
                 "countNumber": days, **lists}
    return {"rulePriority": priority, "description": f"older than {days} days",
            "selection": selection, "action": {"type": "expire"}}


def policy_not_found(name: str) -> str:
    return (f"Lifecycle policy does not exist for the repository with name '{name}' "
            f"in the registry with id '{DEFAULT_ACCOUNT}'")


def preview_not_found(name: str) -> str:
    return (f"Lifecycle policy preview does not exist for the repository with name '{name}' "
            f"in the registry with id '{DEFAULT_ACCOUNT}'")


# ---- Put / Get / Delete ----

def test_put_echoes_the_canonical_text_get_and_delete_answer_it(ecr):
    ecr.create_repository(repositoryName="app")
    given = policy(keep(20, "any", 5), older_than(3, "untagged", 14))
    put = ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=given)
    canonical = (
        '{"rules":[{"rulePriority":3,"description":"older than 14 days","selection":{"tagStatus":"untagged",'
        '"countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}},'
        '{"rulePriority":20,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},'
        '"action":{"type":"expire"}}]}'
    )
    assert (put["registryId"], put["repositoryName"], put["lifecyclePolicyText"]) == (DEFAULT_ACCOUNT, "app", canonical)
    got = ecr.get_lifecycle_policy(repositoryName="app", registryId=DEFAULT_ACCOUNT)
    assert (got["registryId"], got["repositoryName"], got["lifecyclePolicyText"]) == (DEFAULT_ACCOUNT, "app", canonical)
    assert got["lastEvaluatedAt"] == EPOCH
    deleted = ecr.delete_lifecycle_policy(repositoryName="app")
    assert (deleted["repositoryName"], deleted["lifecyclePolicyText"], deleted["lastEvaluatedAt"]) == ("app", canonical, EPOCH)
    for call in (ecr.get_lifecycle_policy, ecr.delete_lifecycle_policy):
        with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException) as excinfo:
            call(repositoryName="app")
        assert error_of(excinfo) == ("LifecyclePolicyNotFoundException", policy_not_found("app"), 400)


def test_the_policy_goes_with_its_repository_and_needs_one(ecr):
    text = policy(keep(1, "any", 1))
    for call in (lambda: ecr.put_lifecycle_policy(repositoryName="gone", lifecyclePolicyText=text),
                 lambda: ecr.get_lifecycle_policy(repositoryName="gone"),
                 lambda: ecr.delete_lifecycle_policy(repositoryName="gone"),
                 lambda: ecr.start_lifecycle_policy_preview(repositoryName="gone"),
                 lambda: ecr.get_lifecycle_policy_preview(repositoryName="gone")):
        with pytest.raises(ecr.exceptions.RepositoryNotFoundException) as excinfo:
            call()
        assert error_of(excinfo)[1] == not_found("gone")
    ecr.create_repository(repositoryName="gone")
    ecr.put_lifecycle_policy(repositoryName="gone", lifecyclePolicyText=text)
    ecr.start_lifecycle_policy_preview(repositoryName="gone")
    ecr.delete_repository(repositoryName="gone")
    ecr.create_repository(repositoryName="gone")
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName="gone")
    with pytest.raises(ecr.exceptions.LifecyclePolicyPreviewNotFoundException) as excinfo:
        ecr.get_lifecycle_policy_preview(repositoryName="gone")
    assert error_of(excinfo) == ("LifecyclePolicyPreviewNotFoundException", preview_not_found("gone"), 400)


def pad(text: str) -> str:
    """Spaces up to the model's minimum length (JSON ignores them)."""
    return text + " " * max(0, 100 - len(text))


BAD_POLICIES = [
    ("not json " * 12, FAILURE + "Could not map policyString into LifecyclePolicy.'"),
    (pad('{"rules": [], "extra": true}'),
     FAILURE + 'object instance has properties which are not allowed by the schema: (["extra"])\n'
     "array is too short: must have at least 1 elements but instance has 0 elements"),
    (pad('{"rules": null}'),
     FAILURE + 'instance type (null) does not match any allowed primitive type (allowed: ["array"])'),
    (policy({**keep(1, "any", 1), "rulePriority": "1"}),
     FAILURE + 'instance type (string) does not match any allowed primitive type (allowed: ["integer"])'),
    (policy(older_than(2, "untagged", 3), keep(2, "any", 1)), FAILURE + "Duplicate rulePriority 2.'"),
    (policy(keep(1, "tagged", 1)), FAILURE + "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.'"),
    (policy(keep(1, "untagged", 1), older_than(2, "untagged", 3)),
     FAILURE + "Only one rule can select Untagged images per storage class.'"),
    (policy(keep(1, "any", 1), keep(2, "tagged", 1, tagPrefixList=["v"])),
     FAILURE + "Rule for tagStatus=ANY must have the lowest priority per storage class.'"),
    (policy(keep(1, "tagged", 1, tagPatternList=["a*b*c*d*e*f"])),
     FAILURE + "Tag patterns may contain at most 4 wildcards.'"),
    # 101 rules with one priority repeated.
    (policy(*[keep(n, "tagged", 1, tagPrefixList=[f"p{n}"]) for n in range(1, 100)], keep(99, "any", 1)).replace("\n", "").replace("  ", ""),
     FAILURE + "Duplicate rulePriority 99.'"),
    ('{"rules": []}',
     invalid_parameter("lifecyclePolicyText", "Member must have length greater than or equal to 100")),
    ("{" + " " * 30720 + "}",
     invalid_parameter("lifecyclePolicyText", "Member must have length less than or equal to 30720")),
]


def test_bad_policies_are_refused_with_ecrs_texts_and_change_nothing(ecr, raw):
    ecr.create_repository(repositoryName="app")
    good = ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=policy(keep(1, "any", 3)))["lifecyclePolicyText"]
    ecr.start_lifecycle_policy_preview(repositoryName="app")
    for text, message in BAD_POLICIES:
        for call in (raw.put_lifecycle_policy, raw.start_lifecycle_policy_preview):
            with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
                call(repositoryName="app", lifecyclePolicyText=text)
            assert error_of(excinfo) == ("InvalidParameterException", message, 400), text[:200]
        assert ecr.get_lifecycle_policy(repositoryName="app")["lifecyclePolicyText"] == good
        # A rejected Start leaves the previous preview.
        assert ecr.get_lifecycle_policy_preview(repositoryName="app")["lifecyclePolicyText"] == good


def test_a_hundred_rules_that_fit_are_accepted(ecr):
    ecr.create_repository(repositoryName="app")
    rules = [keep(n, "tagged", n, tagPrefixList=[f"p{n}"]) for n in range(1, 100)] + [keep(100, "any", 100)]
    text = json.dumps({"rules": rules}, separators=(",", ":"))
    assert len(text) <= 30720
    put = ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=text)
    assert len(json.loads(put["lifecyclePolicyText"])["rules"]) == 100


def test_cli_put_get_delete_and_the_wire_text_of_a_refusal(ecr, cli):
    ecr.create_repository(repositoryName="cli/app")
    text = policy(older_than(1, "untagged", 14))
    put = cli.ok("put-lifecycle-policy", "--repository-name", "cli/app", "--lifecycle-policy-text", text)
    assert json.loads(put["lifecyclePolicyText"]) == json.loads(text)
    assert " " not in put["lifecyclePolicyText"].replace("older than 14 days", "")
    got = cli.ok("get-lifecycle-policy", "--repository-name", "cli/app")
    assert got["lastEvaluatedAt"] == 0.0 and got["lifecyclePolicyText"] == put["lifecyclePolicyText"]
    cli.fails("put-lifecycle-policy", "--repository-name", "cli/app", "--lifecycle-policy-text",
              policy(keep(1, "tagged", 1, tagPrefixList=["a"], tagPatternList=["a*"])),
              code="InvalidParameterException", operation="PutLifecyclePolicy",
              message=FAILURE + "tagPrefixList and tagPatternList cannot both be specified.'")
    cli.fails("put-lifecycle-policy", "--repository-name", "cli/app", "--lifecycle-policy-text", "x" * 120,
              code="InvalidParameterException", operation="PutLifecyclePolicy",
              message=FAILURE + "Could not map policyString into LifecyclePolicy.'")
    deleted = cli.ok("delete-lifecycle-policy", "--repository-name", "cli/app")
    assert deleted["lifecyclePolicyText"] == put["lifecyclePolicyText"]
    cli.fails("get-lifecycle-policy", "--repository-name", "cli/app", code="LifecyclePolicyNotFoundException",
              operation="GetLifecyclePolicy", message=policy_not_found("cli/app"))


# ---- Previews ----

def test_previews_list_what_the_policy_acts_on_and_page(ecr, raw, clock):
    repo = Repo(ecr, "web")
    clock(-20 * DAY)
    old = [repo.push(f"old-{n}", f"v{n}") for n in range(3)]       # tagged, 20 days old
    old_untagged = [repo.push(f"old-u{n}") for n in range(2)]      # untagged, 20 days old
    clock(0)
    new = [repo.push(f"new-{n}", f"v1{n}") for n in range(2)]
    new_untagged = repo.push("new-u")

    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException) as excinfo:
        ecr.start_lifecycle_policy_preview(repositoryName="web")
    assert error_of(excinfo)[1] == policy_not_found("web")
    with pytest.raises(ecr.exceptions.LifecyclePolicyPreviewNotFoundException):
        ecr.get_lifecycle_policy_preview(repositoryName="web")

    given = policy(older_than(1, "untagged", 14), keep(2, "tagged", 3, tagPatternList=["v*"]))
    started = ecr.start_lifecycle_policy_preview(repositoryName="web", lifecyclePolicyText=given)
    # Echoed as given, not re-serialised.
    assert (started["lifecyclePolicyText"], started["status"], started["registryId"]) == (given, "IN_PROGRESS", DEFAULT_ACCOUNT)
    ecr.get_waiter("lifecycle_policy_preview_complete").wait(repositoryName="web", WaiterConfig={"Delay": 1, "MaxAttempts": 3})

    preview = ecr.get_lifecycle_policy_preview(repositoryName="web")
    assert (preview["status"], preview["lifecyclePolicyText"]) == ("COMPLETE", given)
    results = preview["previewResults"]
    # Rule 1: the two old untagged images (oldest first); rule 2: the two oldest tagged.
    assert [(r["imageDigest"], r["appliedRulePriority"]) for r in results] == [
        (old_untagged[0], 1), (old_untagged[1], 1), (old[0], 2), (old[1], 2)]
    assert "imageTags" not in results[0] and results[2]["imageTags"] == ["v0"]
    assert all(r["action"] == {"type": "EXPIRE"} and r["storageClass"] == "STANDARD" for r in results)
    age = datetime.datetime.now(datetime.timezone.utc) - results[0]["imagePushedAt"]
    assert abs(age.total_seconds() - 20 * DAY) < 120, age
    assert preview["summary"] == {"expiringImageTotalCount": 4}
    assert "nextToken" not in preview

    # Pages of one, chained by nextToken.
    seen, token = [], None
    while True:
        page = ecr.get_lifecycle_policy_preview(repositoryName="web", maxResults=1, **({"nextToken": token} if token else {}))
        assert len(page["previewResults"]) == 1 and page["summary"]["expiringImageTotalCount"] == 4
        seen.append(page["previewResults"][0]["imageDigest"])
        token = page.get("nextToken")
        if not token:
            break
    assert seen == [r["imageDigest"] for r in results]
    paged = [r["imageDigest"] for p in ecr.get_paginator("get_lifecycle_policy_preview").paginate(
        repositoryName="web", PaginationConfig={"PageSize": 3}) for r in p["previewResults"]]
    assert paged == seen

    tagged = ecr.get_lifecycle_policy_preview(repositoryName="web", filter={"tagStatus": "TAGGED"})
    assert [r["imageDigest"] for r in tagged["previewResults"]] == [old[0], old[1]]
    untagged = ecr.get_lifecycle_policy_preview(repositoryName="web", filter={"tagStatus": "UNTAGGED"})
    assert [r["imageDigest"] for r in untagged["previewResults"]] == old_untagged
    named = ecr.get_lifecycle_policy_preview(repositoryName="web", imageIds=[
        {"imageTag": "v1"}, {"imageDigest": old_untagged[0]}, {"imageDigest": new_untagged}, {"imageTag": "v10"}])
    assert [r["imageDigest"] for r in named["previewResults"]] == [old_untagged[0], old[1]]

    for extra in ({"maxResults": 5}, {"nextToken": "abc"}):
        member = next(iter(extra))
        with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
            raw.get_lifecycle_policy_preview(repositoryName="web", imageIds=[{"imageTag": "v1"}], **extra)
        assert error_of(excinfo)[1] == invalid_parameter(member, f"{member} cannot be specified together with imageIds")
    with pytest.raises(raw.exceptions.InvalidParameterException):
        raw.get_lifecycle_policy_preview(repositoryName="web", nextToken="not-a-token")
    with pytest.raises(raw.exceptions.InvalidParameterException) as excinfo:
        raw.get_lifecycle_policy_preview(repositoryName="web", imageIds=[{"imageTag": "bad tag"}])
    assert error_of(excinfo)[1] == invalid_parameter("imageTag", "must satisfy regular expression '[a-zA-Z0-9-_.]+'")

    # A preview changes nothing: no policy stored, every image still there.
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName="web")
    assert set(repo.images()) == set(old + old_untagged + new + [new_untagged])

    # Without text, the stored policy is previewed; a new Start replaces the old preview.
    stored = ecr.put_lifecycle_policy(repositoryName="web", lifecyclePolicyText=policy(keep(1, "any", 7)))
    started = ecr.start_lifecycle_policy_preview(repositoryName="web")
    assert started["lifecyclePolicyText"] == stored["lifecyclePolicyText"]
    preview = ecr.get_lifecycle_policy_preview(repositoryName="web")
    assert [r["imageDigest"] for r in preview["previewResults"]] == [old[0]]
    assert ecr.get_lifecycle_policy(repositoryName="web")["lastEvaluatedAt"] == EPOCH


def test_an_empty_repository_previews_nothing_and_transitions_are_counted_apart(ecr, clock):
    repo = Repo(ecr, "empty")
    ecr.start_lifecycle_policy_preview(repositoryName="empty", lifecyclePolicyText=policy(keep(1, "any", 1)))
    preview = ecr.get_lifecycle_policy_preview(repositoryName="empty")
    assert (preview["previewResults"], preview["summary"]) == ([], {"expiringImageTotalCount": 0})

    clock(-40 * DAY)
    first = repo.push("a", "a")
    clock(0)
    repo.push("b", "b")
    archive = {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days",
                                               "countNumber": 30},
               "action": {"type": "transition", "targetStorageClass": "archive"}}
    ecr.start_lifecycle_policy_preview(repositoryName="empty", lifecyclePolicyText=policy(archive))
    preview = ecr.get_lifecycle_policy_preview(repositoryName="empty")
    assert [r["imageDigest"] for r in preview["previewResults"]] == [first]
    assert preview["previewResults"][0]["action"] == {"type": "TRANSITION", "targetStorageClass": "ARCHIVE"}
    assert preview["summary"] == {"expiringImageTotalCount": 0,
                                  "transitioningImageTotalCounts": [{"targetStorageClass": "ARCHIVE", "imageTotalCount": 1}]}


# ---- Real expiry ----

def manifest_status(endpoint: str, password: str, repository: str, reference: str) -> int:
    auth = base64.b64encode(f"AWS:{password}".encode()).decode()
    request = urllib.request.Request(f"{endpoint}/v2/{repository}/manifests/{reference}",
                                     headers={"Authorization": f"Basic {auth}", "Accept": OCI_MANIFEST})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_expiry_deletes_exactly_what_the_rules_say(ecr, endpoint, clock):
    web = Repo(ecr, "team/web")
    api = Repo(ecr, "team/api")     # a second repository, with its own policy
    bare = Repo(ecr, "team/bare")   # no policy: never touched

    clock(-15 * DAY)
    web_old_untagged = [web.push(f"wu{n}") for n in range(10)]
    web_old_prod = [web.push(f"wp{n}", f"prod-{n}") for n in range(8)]
    web_old_dev = [web.push(f"wd{n}", f"dev-{n}", f"feature-{n}") for n in range(6)]
    api_old = [api.push(f"a{n}", f"v{n}") for n in range(12)]
    bare_old = [bare.push(f"b{n}") for n in range(5)]
    clock(-1 * DAY)
    web_new_untagged = [web.push(f"nu{n}") for n in range(4)]
    web_new_prod = [web.push(f"np{n}", f"prod-1{n}") for n in range(3)]
    web_release = web.push("release", "release-1")
    clock(0)
    api_new = [api.push(f"an{n}", f"v1{n}") for n in range(3)]

    # team/web: untagged older than 14 days go; keep the 5 newest prod-*; dev-* older than 7
    # days go; of everything else (release-1), keep 10: it stays.
    ecr.put_lifecycle_policy(repositoryName="team/web", lifecyclePolicyText=policy(
        older_than(1, "untagged", 14),
        keep(2, "tagged", 5, tagPrefixList=["prod"]),
        older_than(3, "tagged", 7, tagPatternList=["dev-*"]),
        keep(10, "any", 10),
    ))
    # team/api: keep the 4 newest images of any kind.
    ecr.put_lifecycle_policy(repositoryName="team/api", lifecyclePolicyText=policy(keep(1, "any", 4)))
    # The preview, started before, shows what the run will do.
    ecr.start_lifecycle_policy_preview(repositoryName="team/web")
    previewed = {r["imageDigest"] for r in ecr.get_lifecycle_policy_preview(repositoryName="team/web")["previewResults"]}

    password = login_password(endpoint)
    assert manifest_status(endpoint, password, "team/web", web_old_untagged[0]) == 200
    assert manifest_status(endpoint, password, "team/web", "prod-0") == 200

    clock(DAY)  # one more day passes before the run
    run = run_lifecycle(endpoint)
    web_gone = web_old_untagged + web_old_prod[:6] + web_old_dev
    # prod: 11 images, the 5 newest kept: the 3 new ones and old prod-6, prod-7.
    api_gone = api_old[:11]
    assert run == {"evaluated": 2, "expired": len(web_gone) + len(api_gone), "transitioned": 0}
    assert previewed == set(web_gone)

    kept_web = web_old_prod[6:] + web_new_untagged + web_new_prod + [web_release]
    assert set(web.images()) == set(kept_web)
    assert set(api.images()) == set(api_old[11:] + api_new)
    assert set(bare.images()) == set(bare_old)
    for digest in web_gone:
        assert manifest_status(endpoint, password, "team/web", digest) == 404, digest
    for tag in ["prod-0", "prod-5", "dev-0", "feature-3"]:
        assert manifest_status(endpoint, password, "team/web", tag) == 404, tag
    for tag in ["prod-6", "prod-12", "release-1"]:
        assert manifest_status(endpoint, password, "team/web", tag) == 200, tag

    now = datetime.datetime.now(datetime.timezone.utc)
    for name in ("team/web", "team/api"):
        evaluated = ecr.get_lifecycle_policy(repositoryName=name)["lastEvaluatedAt"]
        assert abs((evaluated - now).total_seconds() - DAY) < 120, (name, evaluated)

    # A second run finds nothing more to do; the untagged images of yesterday go 14 days on.
    assert run_lifecycle(endpoint) == {"evaluated": 2, "expired": 0, "transitioned": 0}
    clock(15 * DAY)
    assert run_lifecycle(endpoint) == {"evaluated": 2, "expired": len(web_new_untagged), "transitioned": 0}
    assert set(web.images()) == set(web_old_prod[6:] + web_new_prod + [web_release])


def test_expiry_takes_referrers_and_spares_what_an_index_keeps(ecr, clock, endpoint):
    repo = Repo(ecr, "signed")
    clock(-30 * DAY)
    child = repo.push("child")  # untagged, listed by the index below
    signed = repo.push("signed")  # untagged, with a signature referring to it
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [{"mediaType": OCI_MANIFEST, "size": len(repo.manifest("child")),
                                       "digest": child, "platform": {"architecture": "amd64", "os": "linux"}}]})
    ecr.put_image(repositoryName="signed", imageManifest=index, imageTag="multi")
    clock(0)
    signature = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
        "config": {"mediaType": OCI_CONFIG, "size": len(repo.config), "digest": sha256(repo.config)},
        "layers": [{"mediaType": OCI_LAYER, "size": len(repo.layer), "digest": sha256(repo.layer)}],
        "subject": {"mediaType": OCI_MANIFEST, "size": len(repo.manifest("signed")), "digest": signed},
    })
    ecr.put_image(repositoryName="signed", imageManifest=signature, imageTag="sig")
    ecr.put_lifecycle_policy(repositoryName="signed", lifecyclePolicyText=policy(older_than(1, "untagged", 14)))
    run = run_lifecycle(endpoint)
    # The signed image goes with its (tagged, new) signature; the index's child stays.
    assert run == {"evaluated": 1, "expired": 2, "transitioned": 0}
    assert set(repo.images()) == {child, sha256(index.encode())}


def test_transition_archives_for_real(ecr, endpoint, clock):
    repo = Repo(ecr, "cold")
    clock(-40 * DAY)
    stale = repo.push("stale", "stale")
    clock(0)
    fresh = repo.push("fresh", "fresh")
    archive = {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days",
                                               "countNumber": 30},
               "action": {"type": "transition", "targetStorageClass": "archive"}}
    ecr.put_lifecycle_policy(repositoryName="cold", lifecyclePolicyText=policy(archive))
    assert run_lifecycle(endpoint) == {"evaluated": 1, "expired": 0, "transitioned": 1}
    statuses = {d["imageDigest"]: d["imageStatus"] for d in ecr.describe_images(repositoryName="cold", filter={"imageStatus": "ANY"})["imageDetails"]}
    assert statuses == {stale: "ARCHIVED", fresh: "ACTIVE"}
    # Archived images are only seen by archive rules: a second run changes nothing.
    assert run_lifecycle(endpoint) == {"evaluated": 1, "expired": 0, "transitioned": 0}


def test_a_restored_image_ranks_by_its_restore(ecr, endpoint, clock):
    repo = Repo(ecr, "restored")
    clock(-10 * DAY)
    old = repo.push("old", "old")
    clock(-5 * DAY)
    newer = repo.push("newer", "newer")
    ecr.update_image_storage_class(repositoryName="restored", imageId={"imageDigest": old}, targetStorageClass="ARCHIVE")
    clock(-2 * DAY)
    ecr.update_image_storage_class(repositoryName="restored", imageId={"imageDigest": old}, targetStorageClass="STANDARD")
    clock(0)
    [detail] = ecr.describe_images(repositoryName="restored", imageIds=[{"imageDigest": old}])["imageDetails"]
    assert detail["imageStatus"] == "ACTIVE" and "lastActivatedAt" in detail
    # Keep the newest one: pushed 10 days ago but restored 2 days ago, `old` is newer than `newer`.
    ecr.put_lifecycle_policy(repositoryName="restored", lifecyclePolicyText=policy(keep(1, "any", 1)))
    ecr.start_lifecycle_policy_preview(repositoryName="restored")
    preview = ecr.get_lifecycle_policy_preview(repositoryName="restored")["previewResults"]
    assert [r["imageDigest"] for r in preview] == [newer]
    assert run_lifecycle(endpoint) == {"evaluated": 1, "expired": 1, "transitioned": 0}
    assert set(repo.images()) == {old}


def server_with(tmp_path, env: dict[str, str]):
    from support import BerthProcess, berth_binary
    return BerthProcess(berth_binary(), tmp_path / f"berth-{len(list(tmp_path.iterdir()))}.log", env)


def test_policies_and_expiry_are_durable(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = {"BERTH_DATA_DIR": str(data), "BERTH_LIFECYCLE_INTERVAL": "0"}
    server = server_with(tmp_path, env)
    try:
        ecr = make_client(server.endpoint)
        repo = Repo(ecr, "durable")
        set_clock(server.endpoint, -20 * DAY)
        old = [repo.push(f"o{n}") for n in range(3)]
        set_clock(server.endpoint, 0)
        new = repo.push("n", "latest")
        canonical = ecr.put_lifecycle_policy(repositoryName="durable",
                                             lifecyclePolicyText=policy(older_than(1, "untagged", 14)))["lifecyclePolicyText"]
        ecr.start_lifecycle_policy_preview(repositoryName="durable")
        assert run_lifecycle(server.endpoint) == {"evaluated": 1, "expired": 3, "transitioned": 0}
        evaluated = ecr.get_lifecycle_policy(repositoryName="durable")["lastEvaluatedAt"]
        assert evaluated > EPOCH
    finally:
        assert server.stop() == 0
    server = server_with(tmp_path, env)
    try:
        ecr = make_client(server.endpoint)
        got = ecr.get_lifecycle_policy(repositoryName="durable")
        assert (got["lifecyclePolicyText"], got["lastEvaluatedAt"]) == (canonical, evaluated)
        preview = ecr.get_lifecycle_policy_preview(repositoryName="durable")
        assert [r["imageDigest"] for r in preview["previewResults"]] == old
        listed = {i["imageDigest"] for i in ecr.list_images(repositoryName="durable")["imageIds"]}
        assert listed == {new}
    finally:
        assert server.stop() == 0


def test_the_background_evaluator_runs_at_its_interval(tmp_path):
    import time
    server = server_with(tmp_path, {"BERTH_LIFECYCLE_INTERVAL": "1"})
    try:
        ecr = make_client(server.endpoint)
        repo = Repo(ecr, "auto")
        set_clock(server.endpoint, -20 * DAY)
        old = repo.push("old")
        set_clock(server.endpoint, 0)
        ecr.put_lifecycle_policy(repositoryName="auto", lifecyclePolicyText=policy(older_than(1, "untagged", 14)))
        # No time is faked here: the interval is real (1 s); wait for it, bounded.
        deadline = time.monotonic() + 20
        while ecr.get_lifecycle_policy(repositoryName="auto")["lastEvaluatedAt"] == EPOCH:
            assert time.monotonic() < deadline, "the background evaluator never ran"
            time.sleep(0.2)
        assert old not in repo.images()
    finally:
        assert server.stop() == 0


def test_another_accounts_registry_is_access_denied(ecr):
    from support import access_denied, repo_arn
    ecr.create_repository(repositoryName="app")
    text = policy(keep(1, "any", 1))
    calls = {
        "PutLifecyclePolicy": lambda: ecr.put_lifecycle_policy(registryId="999999999999", repositoryName="app", lifecyclePolicyText=text),
        "GetLifecyclePolicy": lambda: ecr.get_lifecycle_policy(registryId="999999999999", repositoryName="app"),
        "DeleteLifecyclePolicy": lambda: ecr.delete_lifecycle_policy(registryId="999999999999", repositoryName="app"),
        "StartLifecyclePolicyPreview": lambda: ecr.start_lifecycle_policy_preview(registryId="999999999999", repositoryName="app"),
        "GetLifecyclePolicyPreview": lambda: ecr.get_lifecycle_policy_preview(registryId="999999999999", repositoryName="app"),
    }
    for action, call in calls.items():
        with pytest.raises(ecr.exceptions.ClientError) as excinfo:
            call()
        code, message, _ = error_of(excinfo)
        assert (code, message) == ("AccessDeniedException", access_denied(
            DEFAULT_ACCOUNT, action, repo_arn("us-east-1", "999999999999", "app"))), action
    # Nothing was stored in the caller's own registry either.
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName="app")
