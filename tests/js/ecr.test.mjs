// The AWS SDK for JavaScript v3 (@aws-sdk/client-ecr) against the `berth` binary: repositories,
// the SDK's paginator, tags, policies, GetAuthorizationToken, and the SDK's modeled error
// classes with ECR's exact messages. Run with `node --test` (scripts/test does).
//
// Expected values come from shared/docs/ecr-behaviour.md (and -images for the token).

import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, test } from "node:test";

import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeRepositoriesCommand,
  ECRServiceException,
  GetAuthorizationTokenCommand,
  GetRepositoryPolicyCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateDescribeRepositories,
} from "@aws-sdk/client-ecr";

import {
  DEFAULT_ACCOUNT,
  REGION,
  alreadyExists,
  invalidParameter,
  makeClient,
  notFound,
  policyNotFound,
  repoArn,
  repoUri,
  reset,
  startBerth,
} from "./support.mjs";

const TWELVE_HOURS_MS = 12 * 3600 * 1000;
// Characters a Berth password is made of: safe in Basic credentials and in a shell.
const PASSWORD = /^[A-Za-z0-9._-]+$/;
const POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AllowPull",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    },
  ],
};

let berth;
let ecr;

before(async () => {
  berth = await startBerth();
  ecr = makeClient(berth.endpoint);
});

after(async () => {
  ecr?.destroy();
  if (berth) {
    const code = await berth.stop();
    // SIGTERM is a clean stop.
    assert.equal(code, 0, `berth exited with ${code} on SIGTERM: ${berth.stderr()}`);
  }
});

beforeEach(async () => {
  await reset(berth.endpoint);
});

afterEach(() => {
  assert.ok(berth.alive(), `berth died during the test: ${berth.stderr()}`);
});

/**
 * Sends `command`, expects it to be rejected with an instance of `errorClass` carrying
 * exactly `message`, as an AWS-shaped client error (400 with a request id).
 */
async function expectError(command, errorClass, message) {
  await assert.rejects(ecr.send(command), (error) => {
    assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${error.name}: ${error.message}`);
    assert.ok(error instanceof ECRServiceException, "a modeled ECR error");
    assert.equal(error.name, errorClass.name);
    assert.equal(error.message, message);
    assert.equal(error.$fault, "client");
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.ok(error.$metadata.requestId, "every error carries x-amzn-RequestId");
    return true;
  });
}

function assertDefaults(repo, name) {
  assert.equal(repo.registryId, DEFAULT_ACCOUNT);
  assert.equal(repo.repositoryName, name);
  assert.equal(repo.repositoryArn, repoArn(name));
  assert.equal(repo.repositoryUri, repoUri(name));
  assert.equal(repo.imageTagMutability, "MUTABLE");
  assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: false });
  assert.deepEqual(repo.encryptionConfiguration, { encryptionType: "AES256" });
  // The SDK parses the epoch-seconds timestamp into a Date.
  assert.ok(repo.createdAt instanceof Date, `createdAt is ${typeof repo.createdAt}`);
  assert.ok(Math.abs(repo.createdAt.getTime() - Date.now()) < 300_000, repo.createdAt.toISOString());
}

test("create, describe and delete a repository", async () => {
  const created = (await ecr.send(new CreateRepositoryCommand({ repositoryName: "js/app" }))).repository;
  assertDefaults(created, "js/app");

  const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["js/app"] }));
  assert.deepEqual(described.repositories, [created]);
  assert.equal(described.nextToken, undefined);

  const deleted = (await ecr.send(new DeleteRepositoryCommand({ repositoryName: "js/app" }))).repository;
  assert.deepEqual(deleted, created);
  const listed = await ecr.send(new DescribeRepositoriesCommand({}));
  assert.deepEqual(listed.repositories, []);
});

test("paginateDescribeRepositories visits 25 repositories in pages of 7, each once", async () => {
  const expected = Array.from({ length: 25 }, (_, i) => `fleet/svc-${String(i).padStart(2, "0")}`);
  // Created out of order: the listing's order is the server's (by name).
  for (const name of [...expected].reverse()) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  }

  const pageSizes = [];
  const names = [];
  for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: 7 }, {})) {
    pageSizes.push(page.repositories.length);
    names.push(...page.repositories.map((repo) => repo.repositoryName));
  }
  // The last page has no nextToken, so the paginator stops after it (no empty page).
  assert.deepEqual(pageSizes, [7, 7, 7, 4]);
  assert.equal(names.length, 25);
  assert.deepEqual(names, expected, "every repository exactly once, in name order");
});

test("tags: on create, TagResource, ListTagsForResource, UntagResource", async () => {
  const { repository } = await ecr.send(
    new CreateRepositoryCommand({ repositoryName: "tagged", tags: [{ Key: "env", Value: "dev" }] }),
  );
  const arn = repository.repositoryArn;
  const tagsOf = async () => {
    const { tags } = await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    return Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
  };
  assert.deepEqual(await tagsOf(), { env: "dev" });

  await ecr.send(
    new TagResourceCommand({ resourceArn: arn, tags: [{ Key: "team", Value: "infra" }, { Key: "env", Value: "prod" }] }),
  );
  assert.deepEqual(await tagsOf(), { env: "prod", team: "infra" });

  // Removing a key that is not there is no error.
  await ecr.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["env", "absent"] }));
  assert.deepEqual(await tagsOf(), { team: "infra" });

  await expectError(
    new ListTagsForResourceCommand({ resourceArn: "arn:aws:s3:::bucket" }),
    InvalidParameterException,
    invalidParameter("resourceArn", "Invalid ARN"),
  );
});

test("repository policy: set, get, delete", async () => {
  await ecr.send(new CreateRepositoryCommand({ repositoryName: "pol" }));
  await expectError(
    new GetRepositoryPolicyCommand({ repositoryName: "pol" }),
    RepositoryPolicyNotFoundException,
    policyNotFound("pol"),
  );

  const set = await ecr.send(
    new SetRepositoryPolicyCommand({ repositoryName: "pol", policyText: JSON.stringify(POLICY, null, 2) }),
  );
  assert.equal(set.registryId, DEFAULT_ACCOUNT);
  assert.equal(set.repositoryName, "pol");
  assert.deepEqual(JSON.parse(set.policyText), POLICY);

  const got = await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: "pol" }));
  assert.deepEqual(JSON.parse(got.policyText), POLICY);

  const deleted = await ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: "pol" }));
  assert.deepEqual(JSON.parse(deleted.policyText), POLICY);
  await expectError(
    new DeleteRepositoryPolicyCommand({ repositoryName: "pol" }),
    RepositoryPolicyNotFoundException,
    policyNotFound("pol"),
  );
  await expectError(
    new SetRepositoryPolicyCommand({ repositoryName: "pol", policyText: '{"Statement": "nope"}' }),
    InvalidParameterException,
    invalidParameter("PolicyText", "Invalid repository policy provided"),
  );
});

test("GetAuthorizationToken: base64 of AWS:<password>, expiring in 12 hours", async () => {
  const before = Date.now();
  const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
  const after = Date.now();
  assert.equal(authorizationData.length, 1);
  const [data] = authorizationData;
  assert.equal(data.proxyEndpoint, `https://${DEFAULT_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`);

  const token = data.authorizationToken;
  // Standard base64 (round-trips exactly), of `AWS:` then the password.
  const decoded = Buffer.from(token, "base64").toString("utf8");
  assert.equal(Buffer.from(decoded, "utf8").toString("base64"), token, "standard base64");
  const separator = decoded.indexOf(":");
  assert.equal(decoded.slice(0, separator), "AWS");
  assert.match(decoded.slice(separator + 1), PASSWORD);

  assert.ok(data.expiresAt instanceof Date);
  // The wire has milliseconds; allow for their rounding.
  const expiresAt = data.expiresAt.getTime();
  assert.ok(expiresAt >= before + TWELVE_HOURS_MS - 2 && expiresAt <= after + TWELVE_HOURS_MS + 2, data.expiresAt.toISOString());
});

test("errors are the SDK's modeled classes (instanceof) with ECR's exact messages", async () => {
  await expectError(
    new DescribeRepositoriesCommand({ repositoryNames: ["missing"] }),
    RepositoryNotFoundException,
    notFound("missing"),
  );
  await expectError(new DeleteRepositoryCommand({ repositoryName: "missing" }), RepositoryNotFoundException, notFound("missing"));

  await ecr.send(new CreateRepositoryCommand({ repositoryName: "team/web-app" }));
  await expectError(
    new CreateRepositoryCommand({ repositoryName: "team/web-app" }),
    RepositoryAlreadyExistsException,
    alreadyExists("team/web-app"),
  );

  // The JS SDK does not validate constraints itself: Berth's validation answers.
  await expectError(
    new CreateRepositoryCommand({ repositoryName: "A" }),
    InvalidParameterException,
    invalidParameter("repositoryName", "must have length greater than or equal to 2"),
  );
  await expectError(
    new DescribeRepositoriesCommand({ maxResults: 0 }),
    InvalidParameterException,
    invalidParameter("maxResults", "Member must have value greater than or equal to 1"),
  );
  await expectError(
    new DescribeRepositoriesCommand({ maxResults: 1001 }),
    InvalidParameterException,
    invalidParameter("maxResults", "Member must have value less than or equal to 1000"),
  );
  // None of the failed calls created anything.
  const listed = await ecr.send(new DescribeRepositoriesCommand({}));
  assert.deepEqual(
    listed.repositories.map((repo) => repo.repositoryName),
    ["team/web-app"],
  );
});
