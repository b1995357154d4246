// The registry console (/_berth/ui/) in a real browser: Debian's chromium driven by
// playwright-core, against the `berth` binary. Images are pushed first through the AWS SDK
// for JavaScript v3 (layers uploaded, then PutImage): two single-platform images, an index
// of both, and a referrer (an SBOM-like artifact whose subject is the amd64 image). The
// test checks what the page shows, that viewing records no pull, and keeps a screenshot in
// the test logs (console.png).

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetLifecyclePolicyPreviewCommand,
  InitiateLayerUploadCommand,
  LifecyclePolicyPreviewNotFoundException,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  RepositoryNotFoundException,
  SetRepositoryPolicyCommand,
  UploadLayerPartCommand,
} from "@aws-sdk/client-ecr";
import { chromium } from "playwright-core";

import { DEFAULT_ACCOUNT, REGION, makeClient, repoUri, startBerth } from "./support.mjs";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const LOGS = process.env.BERTH_TEST_LOGS || join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "test-logs");

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_EMPTY = "application/vnd.oci.empty.v1+json";
const SBOM_TYPE = "application/vnd.example.sbom.v1+json";

const REPO = "team/web";
const OTHER_REPOS = ["team/api", "tools/base"];

const sha256 = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

function launch() {
  // Fail, never skip: the browser test needs Debian's chromium (.ci/run installs it).
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

/** Uploads `bytes` as a layer of `repositoryName` (initiate, one part, complete). */
async function upload(ecr, repositoryName, bytes) {
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
  await ecr.send(new UploadLayerPartCommand({
    repositoryName, uploadId, partFirstByte: 0, partLastByte: bytes.length - 1, layerPartBlob: bytes,
  }));
  const digest = sha256(bytes);
  await ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));
  return { digest, size: bytes.length };
}

/** Pushes an image manifest of `config` and `layers` (each uploaded), tagged `tag` if given. */
async function pushImage(ecr, repositoryName, { config, configType = OCI_CONFIG, layers, artifactType, subject, tag }) {
  const configBlob = await upload(ecr, repositoryName, Buffer.from(config));
  const layerBlobs = [];
  for (const layer of layers) layerBlobs.push(await upload(ecr, repositoryName, layer));
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(artifactType ? { artifactType } : {}),
    config: { mediaType: configType, ...configBlob },
    layers: layerBlobs.map((blob) => ({ mediaType: OCI_LAYER, ...blob })),
    ...(subject ? { subject } : {}),
  };
  const text = JSON.stringify(manifest);
  await ecr.send(new PutImageCommand({
    repositoryName, imageManifest: text, imageManifestMediaType: OCI_MANIFEST,
    ...(tag ? { imageTag: tag } : { imageDigest: sha256(text) }),
  }));
  return { digest: sha256(text), size: Buffer.byteLength(text), text, layers: layerBlobs, config: configBlob };
}

let berth;
let ecr;
const pushed = {};

before(async () => {
  berth = await startBerth();
  ecr = makeClient(berth.endpoint);
  for (const name of [REPO, ...OTHER_REPOS]) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  }
  const platformImage = (architecture, layerBytes) => pushImage(ecr, REPO, {
    config: JSON.stringify({ architecture, os: "linux", rootfs: { type: "layers", diff_ids: [] } }),
    layers: [Buffer.alloc(layerBytes, architecture.charCodeAt(0)), Buffer.from(`${architecture} second layer`)],
  });
  pushed.amd64 = await platformImage("amd64", 3000);
  pushed.arm64 = await platformImage("arm64", 1500);
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: pushed.amd64.digest, size: pushed.amd64.size, platform: { os: "linux", architecture: "amd64" } },
      { mediaType: OCI_MANIFEST, digest: pushed.arm64.digest, size: pushed.arm64.size, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
    ],
  });
  await ecr.send(new PutImageCommand({ repositoryName: REPO, imageManifest: index, imageManifestMediaType: OCI_INDEX, imageTag: "multi" }));
  pushed.index = { digest: sha256(index) };
  // A second tag on the index, and a plain tagged image for the tag search.
  await ecr.send(new PutImageCommand({ repositoryName: REPO, imageManifest: index, imageManifestMediaType: OCI_INDEX, imageTag: "1.0" }));
  pushed.release = await pushImage(ecr, REPO, {
    config: JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["/release"] } }),
    layers: [Buffer.from("release layer")],
    tag: "release-2",
  });
  pushed.sbom = await pushImage(ecr, REPO, {
    config: "{}",
    configType: OCI_EMPTY,
    artifactType: SBOM_TYPE,
    layers: [Buffer.from('{"sbom": true}')],
    subject: { mediaType: OCI_MANIFEST, digest: pushed.amd64.digest, size: pushed.amd64.size },
  });
  await ecr.send(new SetRepositoryPolicyCommand({
    repositoryName: REPO,
    policyText: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "ConsoleTestPull", Effect: "Allow", Principal: "*", Action: ["ecr:BatchGetImage"] }],
    }),
  }));
  await ecr.send(new PutLifecyclePolicyCommand({
    repositoryName: REPO,
    lifecyclePolicyText: JSON.stringify({
      rules: [{
        rulePriority: 1,
        description: "expire releases after a day",
        selection: { tagStatus: "tagged", tagPrefixList: ["release"], countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
        action: { type: "expire" },
      }],
    }),
  }));
  // The arm64 image is pulled once (BatchGetImage records the time); then Berth's clock moves
  // two days on, so any pull recorded while the page is viewed would show (and the release
  // image is old enough for the lifecycle rule).
  await ecr.send(new BatchGetImageCommand({ repositoryName: REPO, imageIds: [{ imageDigest: pushed.arm64.digest }] }));
  const clock = await fetch(`${berth.endpoint}/_berth/clock`, { method: "POST", body: JSON.stringify({ offsetSeconds: 2 * 86400 }) });
  assert.equal(clock.status, 200);
});

after(async () => {
  await berth?.stop();
});

/** lastRecordedPullTime of every image of REPO, by digest (as epoch ms, or null). */
async function pullTimes() {
  const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName: REPO }));
  return Object.fromEntries(imageDetails.map((image) => [image.imageDigest, image.lastRecordedPullTime?.getTime() ?? null]));
}

async function openConsole(browser, endpoint, hash = "") {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${endpoint}/_berth/ui/${hash}`);
  await page.waitForSelector("body[data-ready=true]");
  return { page, errors };
}

const texts = (page, selector) => page.locator(selector).allTextContents();

test("the console lists, searches and shows repositories and images, and viewing records no pull", async () => {
  const before = await pullTimes();
  assert.ok(before[pushed.arm64.digest] !== null, "the arm64 image was pulled before");
  assert.equal(before[pushed.amd64.digest], null);

  const browser = await launch();
  try {
    const { page, errors } = await openConsole(browser, berth.endpoint);

    // Accounts and regions: the default registry, with its three repositories.
    assert.match(await page.locator("#registry option:checked").textContent(), new RegExp(`${DEFAULT_ACCOUNT} · ${REGION} \\(3\\)`));
    assert.equal(await page.locator("#mode").textContent(), "read-only");
    assert.deepEqual((await texts(page, "#repositories a")).sort(), [REPO, ...OTHER_REPOS].sort());

    // Search by repository name.
    await page.fill("#repo-search", "team/");
    await page.waitForFunction(() => document.querySelectorAll("#repositories a").length === 2);
    assert.deepEqual((await texts(page, "#repositories a")).sort(), ["team/api", "team/web"]);
    await page.fill("#repo-search", "no-such-name");
    await page.locator("#repos-empty").waitFor();
    assert.equal(await page.locator("#repositories a").count(), 0);
    await page.fill("#repo-search", "");
    await page.waitForFunction(() => document.querySelectorAll("#repositories a").length === 3);

    // The repository: settings, policy, lifecycle policy and its preview, images.
    await page.click(`#repositories a[data-name="${REPO}"]`);
    await page.locator("#repository-name").waitFor();
    assert.equal(await page.locator("#repository-name").textContent(), REPO);
    assert.equal(await page.locator("#repository-uri").textContent(), repoUri(REPO));
    assert.equal(await page.locator("#tag-mutability").textContent(), "MUTABLE");
    assert.match(await page.locator("#repository-policy").textContent(), /ConsoleTestPull/);
    assert.match(await page.locator("#lifecycle-policy").textContent(), /expire releases after a day/);
    // The preview: the release image, pushed two days ago (by Berth's clock), would expire.
    assert.deepEqual(await texts(page, "#lifecycle-preview tbody tr td:first-child"), ["EXPIRE"]);
    assert.deepEqual(await texts(page, "#lifecycle-preview tbody tr td.digest"), [pushed.release.digest]);
    await page.locator(".image-row").first().waitFor();
    const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName: REPO }));
    assert.equal(await page.locator(".image-row").count(), imageDetails.length);
    assert.equal(imageDetails.length, 5);

    // Search by tag.
    await page.fill("#tag-search", "multi");
    await page.waitForFunction(() => document.querySelectorAll(".image-row").length === 1);
    assert.equal(await page.locator(".image-row").getAttribute("data-digest"), pushed.index.digest);
    await page.fill("#tag-search", "release");
    await page.waitForFunction((digest) => {
      const rows = document.querySelectorAll(".image-row");
      return rows.length === 1 && rows[0].dataset.digest === digest;
    }, pushed.release.digest);

    // The index: its tags, media type, platforms and pull lines.
    await page.fill("#tag-search", "multi");
    await page.waitForFunction(() => document.querySelectorAll(".image-row").length === 1);
    await page.click(`.image-row[data-digest="${pushed.index.digest}"] a`);
    await page.locator("#platforms").waitFor();
    assert.equal(await page.locator("#image-digest").textContent(), pushed.index.digest);
    assert.deepEqual((await page.locator("#image-tags").textContent()).split(", ").sort(), ["1.0", "multi"]);
    assert.equal(await page.locator("#image-media-type").textContent(), OCI_INDEX);
    assert.deepEqual(await texts(page, "#platforms td.platform"), ["linux/amd64", "linux/arm64/v8"]);
    const uri = repoUri(REPO);
    assert.deepEqual((await texts(page, "#pull-lines code.pull")).sort(), [
      `docker pull ${uri}:1.0`,
      `docker pull ${uri}:multi`,
      `docker pull ${uri}@${pushed.index.digest}`,
    ].sort());
    // Copy puts the line on the clipboard.
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: berth.endpoint });
    await page.locator(".pull-line", { hasText: `${uri}:multi` }).locator("button.copy").click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `docker pull ${uri}:multi`);

    // A platform's image: size, layers with sizes, config JSON, its referrer.
    await page.click(`#platforms a[href$="@${pushed.amd64.digest}"]`);
    await page.locator("#layers").waitFor();
    assert.equal(await page.locator("#image-digest").textContent(), pushed.amd64.digest);
    const amd64 = imageDetails.find((image) => image.imageDigest === pushed.amd64.digest);
    assert.match(await page.locator("#image-size").textContent(), new RegExp(`\\(${amd64.imageSizeInBytes} B\\)`));
    assert.deepEqual(await texts(page, "#layers td.layer-size"), ["2.9 KiB (3000 B)", `${Buffer.byteLength("amd64 second layer")} B`]);
    assert.deepEqual(await texts(page, "#layers td.digest"), pushed.amd64.layers.map((layer) => layer.digest));
    assert.deepEqual(JSON.parse(await page.locator("#config-json").textContent()).architecture, "amd64");
    assert.deepEqual(JSON.parse(await page.locator("#manifest-json").textContent()), JSON.parse(pushed.amd64.text));
    assert.deepEqual(await texts(page, "#referrers td.digest"), [pushed.sbom.digest]);
    assert.match(await page.locator("#referrers").textContent(), /application\/vnd\.example\.sbom\.v1\+json/);
    assert.equal(await page.locator("#image-last-pull").textContent(), "—");
    assert.deepEqual(await texts(page, "#pull-lines code.pull"), [`docker pull ${uri}@${pushed.amd64.digest}`]);

    // The pulled arm64 image shows its last pull; no delete without --console-writes.
    await page.goto(`${berth.endpoint}/_berth/ui/#/${DEFAULT_ACCOUNT}/${REGION}/${encodeURIComponent(REPO)}@${pushed.arm64.digest}`);
    await page.waitForFunction((digest) => document.getElementById("image-digest")?.textContent === digest, pushed.arm64.digest);
    assert.equal(
      await page.locator("#image-last-pull").textContent(),
      new Date(before[pushed.arm64.digest]).toISOString().replace(/\.\d{3}Z$/, "Z"),
    );
    assert.equal(await page.locator("#delete-image, #delete-repository").count(), 0);

    // Recent events: shown exactly when this Berth serves /_berth/events.
    const events = await fetch(`${berth.endpoint}/_berth/events`, { headers: { Accept: "application/json" } });
    await events.body?.cancel();
    await page.waitForTimeout(500);
    assert.equal(await page.locator("#events").isVisible(), events.ok);

    mkdirSync(LOGS, { recursive: true });
    await page.screenshot({ path: join(LOGS, "console.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }

  // Viewing changed nothing: no pull was recorded, no lifecycle preview was started.
  assert.deepEqual(await pullTimes(), before);
  await assert.rejects(
    ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: REPO })),
    LifecyclePolicyPreviewNotFoundException,
  );
});

test("read-only by default: the console's API refuses deletes and anything but reads", async () => {
  const call = (operation, body) => fetch(`${berth.endpoint}/_berth/ui/api`, {
    method: "POST",
    headers: {
      "X-Amz-Target": `AmazonEC2ContainerRegistry_V20150921.${operation}`,
      "X-Berth-Account": DEFAULT_ACCOUNT,
      "X-Berth-Region": REGION,
    },
    body: JSON.stringify(body),
  });
  const refused = await call("BatchDeleteImage", { repositoryName: REPO, imageIds: [{ imageTag: "multi" }] });
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), {
    __type: "AccessDeniedException",
    message: "The Berth console is read-only: start Berth with --console-writes (BERTH_CONSOLE_WRITES=true) to allow BatchDeleteImage.",
  });
  const pull = await call("BatchGetImage", { repositoryName: REPO, imageIds: [{ imageTag: "multi" }] });
  assert.equal(pull.status, 400);
  assert.equal((await pull.json()).message, "The Berth console does not call BatchGetImage.");
  const tags = (await ecr.send(new DescribeImagesCommand({ repositoryName: REPO, imageIds: [{ imageTag: "multi" }] }))).imageDetails;
  assert.equal(tags.length, 1);
});

test("with --console-writes, deletes happen only after the confirmation is accepted", async () => {
  const writable = await startBerth(["--console-writes"]);
  const browser = await launch();
  try {
    const client = makeClient(writable.endpoint);
    await client.send(new CreateRepositoryCommand({ repositoryName: "doomed/app" }));
    const image = await pushImage(client, "doomed/app", {
      config: JSON.stringify({ architecture: "amd64", os: "linux" }),
      layers: [Buffer.from("doomed layer")],
      tag: "v1",
    });
    const { page, errors } = await openConsole(
      browser, writable.endpoint, `#/${DEFAULT_ACCOUNT}/${REGION}/doomed%2Fapp@${image.digest}`,
    );
    assert.equal(await page.locator("#mode").textContent(), "deletes allowed");
    await page.locator("#delete-image").waitFor();

    // Dismissed: the image stays.
    const prompts = [];
    page.once("dialog", (dialog) => { prompts.push(dialog.message()); dialog.dismiss(); });
    await page.click("#delete-image");
    await page.waitForTimeout(300);
    let images = (await client.send(new DescribeImagesCommand({ repositoryName: "doomed/app" }))).imageDetails;
    assert.equal(images.length, 1);
    assert.match(prompts[0], /Delete image sha256:[0-9a-f]{64} and its tags from doomed\/app\?/);

    // Accepted: BatchDeleteImage ran.
    page.once("dialog", (dialog) => dialog.accept());
    await page.click("#delete-image");
    await page.locator("#images-empty").waitFor();
    images = (await client.send(new DescribeImagesCommand({ repositoryName: "doomed/app" }))).imageDetails;
    assert.equal(images.length, 0);

    // The repository, after its confirmation.
    page.once("dialog", (dialog) => dialog.accept());
    await page.click("#delete-repository");
    await page.waitForFunction(() => document.querySelectorAll("#repositories a").length === 0);
    await assert.rejects(
      client.send(new DescribeRepositoriesCommand({ repositoryNames: ["doomed/app"] })),
      RepositoryNotFoundException,
    );
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await writable.stop();
  }
});

test("with 10,000 repositories the page lists the first hundred and a search finds one", async () => {
  const big = await startBerth();
  const browser = await launch();
  try {
    const names = Array.from({ length: 10_000 }, (_, i) => `fleet/service-${String(i).padStart(5, "0")}`);
    const create = (repositoryName) => fetch(big.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.CreateRepository",
      },
      body: JSON.stringify({ repositoryName }),
    }).then(async (response) => assert.equal(response.status, 200, await response.text()));
    for (let start = 0; start < names.length; start += 50) {
      await Promise.all(names.slice(start, start + 50).map(create));
    }

    // Every ECR call the page makes, with its maxResults: pages, never everything.
    const calls = [];
    const { page, errors } = await (async () => {
      const opened = await browser.newPage();
      opened.on("request", (request) => {
        if (request.url().endsWith("/_berth/ui/api")) {
          calls.push({ target: request.headers()["x-amz-target"], body: JSON.parse(request.postData()) });
        }
      });
      const pageErrors = [];
      opened.on("pageerror", (error) => pageErrors.push(String(error)));
      const started = Date.now();
      await opened.goto(`${big.endpoint}/_berth/ui/`);
      await opened.waitForSelector("body[data-ready=true]");
      assert.ok(Date.now() - started < 10_000, `the page took ${Date.now() - started} ms`);
      return { page: opened, errors: pageErrors };
    })();
    assert.match(await page.locator("#registry option:checked").textContent(), /\(10000\)/);
    assert.equal(await page.locator("#repositories a").count(), 100);
    assert.deepEqual(await texts(page, "#repositories a"), names.slice(0, 100));
    assert.ok(await page.locator("#repos-more").isVisible());
    await page.click("#repos-more");
    await page.waitForFunction(() => document.querySelectorAll("#repositories a").length === 200);
    assert.deepEqual(calls.map((call) => call.body.maxResults), [100, 100]);

    await page.fill("#repo-search", "service-09876");
    await page.waitForFunction(() => {
      const links = document.querySelectorAll("#repositories a");
      return links.length === 1 && document.getElementById("repos-more").hidden;
    });
    assert.deepEqual(await texts(page, "#repositories a"), ["fleet/service-09876"]);
    const scans = calls.slice(2);
    assert.ok(scans.every((call) => call.body.maxResults === 1000), JSON.stringify(scans.map((call) => call.body)));
    assert.equal(scans.length, 10);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await big.stop();
  }
});
