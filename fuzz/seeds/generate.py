#!/usr/bin/env python3
"""Writes the fuzz seed corpora (fuzz/seeds/requests, fuzz/seeds/inputs) and the libFuzzer
dictionary (fuzz/ecr.dict) from the ECR model: valid requests for the fuzzer to mutate, and
the words it would take long to guess (operation and member names, enum values).

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
                      {"imageDigest": "sha256:" + "a" * 64}],
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
                        "uploadId": "0f0e0d0c-0b0a-0908-0706-050403020100",
                        "partFirstByte": 0, "partLastByte": 3, "layerPartBlob": "AAECAw=="},
    "CreatePullThroughCacheRule": {"ecrRepositoryPrefix": "ecr-public",
                                   "upstreamRegistryUrl": "public.ecr.aws"},
    "PutImage": {"repositoryName": "app", "imageManifest": "{}", "imageTag": "v1"},
    "GetAuthorizationToken": {},
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
    dictionary = [f'"{PREFIX}."'] + [json.dumps(w) for w in words()]
    dictionary += [json.dumps(s) for s in ['{"', '":', '"}', '[{"', "null", "true", "1e999",
                                            "\\u0000", "\\ud800", ARN]]
    (ROOT / "fuzz/ecr.dict").write_text("\n".join(dictionary) + "\n")
    print(f"{len(INPUTS)} input seeds, {len(REQUESTS)} request seeds, {len(dictionary)} words")


if __name__ == "__main__":
    main()
