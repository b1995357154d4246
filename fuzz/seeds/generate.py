#!/usr/bin/env python3
"""Writes the fuzz seed corpora (fuzz/seeds/requests, fuzz/seeds/inputs), the hostile edge
inputs replayed beside the found regressions (fuzz/regressions/<target>/edge-*) and the
libFuzzer dictionary (fuzz/ecr.dict) from the ECR model: valid requests for the fuzzer to
mutate, and the words it would take long to guess (operation and member names, enum values).

Run from the repository root after a model bump: python3 fuzz/seeds/generate.py
The replay test (fuzz/harness/tests/regressions.rs) checks every seed is still valid.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL = json.loads((ROOT / "aws-models/ecr.json").read_text())
SEEDS = ROOT / "fuzz/seeds"
PREFIX = "AmazonEC2ContainerRegistry_V20150921"

service = next(s for s in MODEL["shapes"].values() if s["type"] == "service")
# Operation::ALL is sorted by name: the inputs target picks an operation by index into it.
OPERATIONS = sorted(o["target"].split("#")[1] for o in service["operations"])

ARN = "arn:aws:ecr:us-east-1:123456789012:repository/app"
DIGEST = "sha256:" + "a" * 64
UPLOAD_ID = "0f0e0d0c-0b0a-0908-0706-050403020100"
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": "*",
                   "Action": ["ecr:BatchGetImage"]}],
})
LIFECYCLE = json.dumps({"rules": [{"rulePriority": 1, "selection": {
    "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
    "action": {"type": "expire"}}]})

# Valid bodies for the deserialize+validate target, across the shapes of the model.
INPUTS = {
    "CreateRepository": {
        "repositoryName": "team/app", "registryId": "123456789012",
        "tags": [{"Key": "env", "Value": "prod"}, {"Key": "k", "Value": ""}],
        "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest*"}],
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfiguration": {"encryptionType": "KMS",
                                    "kmsKey": "arn:aws:kms:us-east-1:123456789012:key/k"},
    },
    "DescribeRepositories": {"maxResults": 1000, "nextToken": "x"},
    "TagResource": {"resourceArn": ARN, "tags": [{"Key": "a", "Value": "b"}]},
    "UntagResource": {"resourceArn": ARN, "tagKeys": ["a"]},
    "SetRepositoryPolicy": {"repositoryName": "app", "policyText": POLICY, "force": True},
    "PutLifecyclePolicy": {"repositoryName": "app", "lifecyclePolicyText": LIFECYCLE},
    "BatchGetImage": {"repositoryName": "app", "imageIds": [{"imageTag": "latest"},
                      {"imageDigest": DIGEST}],
                      "acceptedMediaTypes": ["application/vnd.oci.image.manifest.v1+json"]},
    "DescribeImages": {"repositoryName": "app", "filter": {"tagStatus": "TAGGED"},
                       "maxResults": 10},
    "PutReplicationConfiguration": {"replicationConfiguration": {"rules": [{
        "destinations": [{"region": "us-west-2", "registryId": "123456789012"}],
        "repositoryFilters": [{"filter": "prod", "filterType": "PREFIX_MATCH"}]}]}},
    "PutRegistryScanningConfiguration": {"scanType": "ENHANCED", "rules": [{
        "scanFrequency": "SCAN_ON_PUSH",
        "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]},
    "UploadLayerPart": {"repositoryName": "app",
                        "uploadId": UPLOAD_ID,
                        "partFirstByte": 0, "partLastByte": 3, "layerPartBlob": "AAECAw=="},
    "CreatePullThroughCacheRule": {"ecrRepositoryPrefix": "ecr-public",
                                   "upstreamRegistryUrl": "public.ecr.aws"},
    "PutImage": {"repositoryName": "app", "imageManifest": "{}", "imageTag": "v1"},
    "GetAuthorizationToken": {},
    # The other operations, one valid body each, so every input shape starts the fuzzer.
    "DeleteRepository": {"repositoryName": "app", "force": True},
    "GetRepositoryPolicy": {"repositoryName": "app"},
    "DeleteRepositoryPolicy": {"repositoryName": "team/app", "registryId": "123456789012"},
    "ListTagsForResource": {"resourceArn": ARN},
    "PutImageTagMutability": {"repositoryName": "app", "imageTagMutability": "IMMUTABLE"},
    "PutImageScanningConfiguration": {"repositoryName": "app",
                                      "imageScanningConfiguration": {"scanOnPush": False}},
    "BatchCheckLayerAvailability": {"repositoryName": "app", "layerDigests": [DIGEST]},
    "BatchDeleteImage": {"repositoryName": "app", "imageIds": [{"imageTag": "v1"}]},
    "BatchGetRepositoryScanningConfiguration": {"repositoryNames": ["app", "team/app"]},
    "CompleteLayerUpload": {"repositoryName": "app", "uploadId": UPLOAD_ID,
                            "layerDigests": [DIGEST]},
    "CreateRepositoryCreationTemplate": {"prefix": "team", "appliedFor": ["CREATE_ON_PUSH"],
                                         "imageTagMutability": "MUTABLE"},
    "DescribeImageScanFindings": {"repositoryName": "app", "imageId": {"imageDigest": DIGEST},
                                  "maxResults": 5},
    "DescribeRegistry": {},
    "GetDownloadUrlForLayer": {"repositoryName": "app", "layerDigest": DIGEST},
    "GetLifecyclePolicyPreview": {"repositoryName": "app", "filter": {"tagStatus": "ANY"}},
    "InitiateLayerUpload": {"repositoryName": "app"},
    "ListImages": {"repositoryName": "app", "filter": {"tagStatus": "UNTAGGED"}},
    "PutAccountSetting": {"name": "BASIC_SCAN_TYPE_VERSION", "value": "CLAIR"},
    "RegisterPullTimeUpdateExclusion": {"principalArn": "arn:aws:iam::123456789012:role/ci"},
    "StartImageScan": {"repositoryName": "app", "imageId": {"imageTag": "v1"}},
    "UpdateImageStorageClass": {"repositoryName": "app", "imageId": {"imageTag": "v1"},
                                "targetStorageClass": "ARCHIVE"},
}

# Request sequences for the entry-point target, one file each.
def request(op, body):
    return f"{op}\n{json.dumps(body)}".encode()

REQUESTS = {
    "tags": [
        request("CreateRepository", {"repositoryName": "app", "tags": [{"Key": "a", "Value": "1"}]}),
        request("TagResource", {"resourceArn": ARN, "tags": [{"Key": "b", "Value": "2"}]}),
        request("ListTagsForResource", {"resourceArn": ARN}),
        request("UntagResource", {"resourceArn": ARN, "tagKeys": ["a", "zz"]}),
        request("DeleteRepository", {"repositoryName": "app"}),
    ],
    "policy": [
        request("CreateRepository", {"repositoryName": "app"}),
        request("SetRepositoryPolicy", {"repositoryName": "app", "policyText": POLICY}),
        request("GetRepositoryPolicy", {"repositoryName": "app"}),
        request("DeleteRepositoryPolicy", {"repositoryName": "app"}),
        request("GetRepositoryPolicy", {"repositoryName": "app"}),
    ],
    "settings": [
        request("CreateRepository", {"repositoryName": "team/app", "encryptionConfiguration":
                                     {"encryptionType": "KMS"}}),
        request("PutImageTagMutability", {"repositoryName": "team/app",
            "imageTagMutability": "MUTABLE_WITH_EXCLUSION",
            "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "v*"}]}),
        request("PutImageScanningConfiguration", {"repositoryName": "team/app",
            "imageScanningConfiguration": {"scanOnPush": True}}),
        request("DescribeRepositories", {"repositoryNames": ["team/app"]}),
    ],
    "pages": [
        request("CreateRepository", {"repositoryName": "a1"}),
        request("CreateRepository", {"repositoryName": "b1"}),
        request("DescribeRepositories", {"maxResults": 1}),
        request("DeleteRepository", {"repositoryName": "a1", "force": True}),
    ],
    "callers": [
        b"@1 " + request("CreateRepository", {"repositoryName": "app"}),
        b"@2 " + request("CreateRepository", {"repositoryName": "app"}),
        request("CreateRepository", {"repositoryName": "app"}),
        b"@2 " + request("TagResource", {"resourceArn": ARN, "tags": [{"Key": "a", "Value": "b"}]}),
        b"@1 " + request("TagResource", {"resourceArn": ARN, "tags": [{"Key": "a", "Value": "b"}]}),
        b"@2 " + request("DeleteRepository", {"repositoryName": "app", "registryId": "123456789012"}),
        b"@1 " + request("SetRepositoryPolicy", {"repositoryName": "app", "policyText": POLICY}),
        request("DescribeRepositories", {}),
    ],
    "mutability": [
        request("CreateRepository", {"repositoryName": "app", "imageTagMutability": "IMMUTABLE"}),
        request("PutImageTagMutability", {"repositoryName": "app", "imageTagMutability": "MUTABLE"}),
        request("PutImageTagMutability", {"repositoryName": "app",
            "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"}),
        request("DescribeRepositories", {"repositoryNames": ["app"]}),
    ],
    "recreate": [
        request("CreateRepository", {"repositoryName": "a/b/c"}),
        request("DeleteRepository", {"repositoryName": "a/b/c"}),
        request("CreateRepository", {"repositoryName": "a/b/c", "tags": [{"Key": "k", "Value": "v"}]}),
        request("ListTagsForResource",
                {"resourceArn": "arn:aws:ecr:us-east-1:123456789012:repository/a/b/c"}),
    ],
    "many-tags": [
        request("CreateRepository", {"repositoryName": "app", "tags": [
            {"Key": f"k{i}", "Value": str(i)} for i in range(50)]}),
        request("TagResource", {"resourceArn": ARN, "tags": [{"Key": "one-more", "Value": "x"}]}),
        request("TagResource", {"resourceArn": ARN, "tags": [{"Key": "k0", "Value": "new"}]}),
        request("ListTagsForResource", {"resourceArn": ARN}),
    ],
    "unicode": [
        request("CreateRepository", {"repositoryName": "app", "tags": [
            {"Key": "\u00e9t\u00e9", "Value": "\u2603 \U0001f600"}]}),
        request("TagResource", {"resourceArn": ARN, "tags": [{"Key": "a" * 128, "Value": "b" * 256}]}),
        request("UntagResource", {"resourceArn": ARN, "tagKeys": ["\u00e9t\u00e9"]}),
        request("ListTagsForResource", {"resourceArn": ARN}),
    ],
    "scanning": [
        request("CreateRepository", {"repositoryName": "app",
                                     "imageScanningConfiguration": {"scanOnPush": True}}),
        request("PutImageScanningConfiguration", {"repositoryName": "app",
                                                  "imageScanningConfiguration": {}}),
        request("DescribeRepositories", {"repositoryNames": ["app"], "registryId": "123456789012"}),
    ],
    "errors": [
        request("CreateRepository", {"repositoryName": "ok", "registryId": "999999999999"}),
        request("CreateRepository", {"repositoryName": "ok"}),
        request("PutImage", {"repositoryName": "ok", "imageManifest": "{}"}),
        b"Nope\n{}",
        b"\n{}",
        request("TagResource", {"resourceArn": "arn:aws:ecr:us-east-1:123456789012:repository/nope",
                                "tags": [{"Key": "aws:x", "Value": "v"}]}),
    ],
}


# Hostile inputs, kept in fuzz/regressions/<target>/edge-<what> and replayed by cargo test
# (beside the inputs that once made a target fail): one per kind of trouble the targets guard
# against. Not valid on purpose; the replay checks every invariant still holds for them.
def nested(depth):
    return "[" * depth + "]" * depth

REGRESSION_REQUESTS = {
    "deep-nesting": b"CreateRepository\n{\"repositoryName\":\"ab\",\"tags\":" + nested(5000).encode() + b"}",
    "invalid-utf8": b"CreateRepository\n{\"repositoryName\":\"a\xff\xfeb\"}",
    "lone-surrogate": request("CreateRepository", {"repositoryName": "ab"}).replace(b"ab", b"a\\ud800b"),
    "huge-numbers": b"\0".join([
        b"DescribeRepositories\n{\"maxResults\":1e999}",
        b"DescribeRepositories\n{\"maxResults\":18446744073709551616}",
        b"DescribeRepositories\n{\"maxResults\":-1}",
        b"DescribeRepositories\n{\"maxResults\":1.5}",
    ]),
    "null-and-wrong-types": b"\0".join([
        b"CreateRepository\n{\"repositoryName\":null}",
        b"CreateRepository\n{\"repositoryName\":[\"ab\"]}",
        b"CreateRepository\n{\"repositoryName\":\"ab\",\"tags\":{\"Key\":\"k\"}}",
        b"CreateRepository\nnull",
        b"CreateRepository\n[]",
    ]),
    "duplicate-keys": b"CreateRepository\n{\"repositoryName\":\"ab\",\"repositoryName\":\"cd\"}\0"
                      b"DescribeRepositories\n{}",
    "targets": b"\0".join([
        b"\n{}", b"AmazonEC2ContainerRegistry_V20150921.\n{}", b"Other_V1.CreateRepository\n{}",
        b"AmazonEC2ContainerRegistry_V20150921.CreateRepository\n{\"repositoryName\":\"ab\"}",
        b"createrepository\n{}", b"CreateRepository ",
    ]),
    "only-separators": b"\0" * 20,
    "name-lengths": b"\0".join([
        request("CreateRepository", {"repositoryName": "a" * 256}),
        request("CreateRepository", {"repositoryName": "a" * 257}),
        request("CreateRepository", {"repositoryName": "a"}),
        request("DescribeRepositories", {"repositoryNames": ["a" * 256, "Bad"]}),
    ]),
    "atomic-tags": b"\0".join([
        request("CreateRepository", {"repositoryName": "app", "tags": [
            {"Key": "fine", "Value": "1"}, {"Key": "aws:reserved", "Value": "2"}]}),
        request("CreateRepository", {"repositoryName": "app", "tags": [
            {"Key": f"k{i}", "Value": ""} for i in range(51)]}),
        request("DescribeRepositories", {"repositoryNames": ["app"]}),
    ]),
    "other-callers": b"\0".join([
        request("CreateRepository", {"repositoryName": "app"}),
        b"@9 " + request("DeleteRepository", {"repositoryName": "app", "registryId": "123456789012"}),
        b"@1 " + request("SetRepositoryPolicy", {"repositoryName": "app", "registryId": "123456789012",
                                                 "policyText": POLICY}),
        request("DescribeRepositories", {}),
    ]),
    "bad-policies": b"\0".join([
        request("CreateRepository", {"repositoryName": "app"}),
        request("SetRepositoryPolicy", {"repositoryName": "app", "policyText": "not json"}),
        request("SetRepositoryPolicy", {"repositoryName": "app", "policyText": "{}"}),
        request("SetRepositoryPolicy", {"repositoryName": "app", "policyText": "x" * 10241}),
        request("GetRepositoryPolicy", {"repositoryName": "app"}),
    ]),
}

def selector(op):
    return bytes([OPERATIONS.index(op)])

REGRESSION_INPUTS = {
    "empty": b"",
    "selector-only": selector("CreateRepository"),
    "selector-wraps": bytes([255]) + b"{}",
    "null-body": selector("CreateRepository") + b"null",
    "array-body": selector("DescribeRepositories") + b"[]",
    "deep-nesting": selector("PutImage") + b"{\"repositoryName\":\"ab\",\"imageManifest\":" + nested(5000).encode() + b"}",
    "invalid-utf8": selector("CreateRepository") + b"{\"repositoryName\":\"\xc3\x28\"}",
    "lone-surrogate": selector("TagResource") + json.dumps({"resourceArn": ARN, "tags": [
        {"Key": "k", "Value": "v"}]}).encode().replace(b"\"v\"", b"\"\\udc00\""),
    "huge-number": selector("DescribeRepositories") + b"{\"maxResults\":1e999}",
    "big-integer": selector("UploadLayerPart") + json.dumps({"repositoryName": "app", "uploadId": UPLOAD_ID,
        "partFirstByte": 0, "partLastByte": 0, "layerPartBlob": ""}).encode().replace(
        b"\"partLastByte\": 0", b"\"partLastByte\": 99999999999999999999"),
    "float-for-integer": selector("DescribeRepositories") + b"{\"maxResults\":1.0}",
    "blob-not-base64": selector("UploadLayerPart") + json.dumps({"repositoryName": "app",
        "uploadId": UPLOAD_ID, "partFirstByte": 0, "partLastByte": 1, "layerPartBlob": "!!=="}).encode(),
    "enum-case": selector("PutImageTagMutability") + json.dumps({"repositoryName": "app",
        "imageTagMutability": "mutable"}).encode(),
    "duplicate-keys": selector("CreateRepository") + b"{\"repositoryName\":\"Bad\",\"repositoryName\":\"ok\"}",
    "nested-violations": selector("PutReplicationConfiguration") + json.dumps({"replicationConfiguration": {
        "rules": [{"destinations": [{"region": "", "registryId": "1"}],
                   "repositoryFilters": [{"filter": "", "filterType": "NOPE"}]}] * 11}}).encode(),
    "list-of-names": selector("DescribeRepositories") + json.dumps({"repositoryNames": ["ok", "A", "a" * 257]}).encode(),
    "null-in-list": selector("UntagResource") + json.dumps({"resourceArn": ARN, "tagKeys": [None, "a"]}).encode(),
    "unknown-members": selector("GetAuthorizationToken") + b"{\"unknown\":{\"deep\":[1,2,3]},\"registryIds\":null}",
    "timestamps": selector("DescribeImages") + json.dumps({"repositoryName": "app",
        "filter": {"tagStatus": "ANY", "imageStatus": "ACTIVE"}, "imageIds": [{"imageTag": "x" * 301}]}).encode(),
}

def words():
    """Operation and member names, enum values: what the fuzzer should splice in."""
    found = set(OPERATIONS)
    for shape in MODEL["shapes"].values():
        found.update(shape.get("members", {}).keys())
        if shape["type"] == "enum":
            found.update(m["traits"]["smithy.api#enumValue"] for m in shape["members"].values()
                         if "smithy.api#enumValue" in m.get("traits", {}))
    return sorted(found)


def main():
    for d in ("requests", "inputs"):
        (SEEDS / d).mkdir(parents=True, exist_ok=True)
        for old in (SEEDS / d).iterdir():
            old.unlink()
    for op, body in INPUTS.items():
        data = bytes([OPERATIONS.index(op)]) + json.dumps(body).encode()
        (SEEDS / "inputs" / op).write_bytes(data)
    for name, requests in REQUESTS.items():
        (SEEDS / "requests" / name).write_bytes(b"\0".join(requests))
    regressions = ROOT / "fuzz/regressions"
    for target, cases in (("requests", REGRESSION_REQUESTS), ("inputs", REGRESSION_INPUTS)):
        # Only the hostile inputs written here are replaced; found regressions stay.
        for old in (regressions / target).glob("edge-*"):
            old.unlink()
        for name, data in cases.items():
            (regressions / target / f"edge-{name}").write_bytes(data)
    dictionary = [f'"{PREFIX}."'] + [json.dumps(w) for w in words()]
    dictionary += [json.dumps(s) for s in ['{"', '":', '"}', '[{"', "null", "true", "1e999",
                                            "\\u0000", "\\ud800", ARN]]
    (ROOT / "fuzz/ecr.dict").write_text("\n".join(dictionary) + "\n")
    print(f"{len(INPUTS)} input seeds, {len(REQUESTS)} request seeds, "
          f"{len(REGRESSION_INPUTS)} + {len(REGRESSION_REQUESTS)} edge inputs, {len(dictionary)} words")


if __name__ == "__main__":
    main()
