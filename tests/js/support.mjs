// What Berth's JavaScript tests share: the `berth` binary started on a free port, ECR clients
// pointed at it, and the expected messages (the same texts tests/python/support.py asserts,
// from shared/docs/ecr-behaviour.md).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { ECRClient } from "@aws-sdk/client-ecr";

export const DEFAULT_ACCOUNT = "123456789012";
// An access key id that is not 12 digits: the caller is the default account.
export const PLAIN_KEY = "AKIAIOSFODNN7EXAMPLE";
export const SECRET = "berth-test-secret";
export const REGION = "us-east-1";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const ENDPOINT_PREFIX = "BERTH_ENDPOINT=";

// No profile, endpoint or credential of the machine may reach the SDK: the clients get
// everything explicitly, and the config files it would still read are empty.
for (const name of Object.keys(process.env)) {
  if (name.startsWith("AWS_")) delete process.env[name];
}
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
process.env.AWS_EC2_METADATA_DISABLED = "true";

/** The binary: `BERTH_BIN` (scripts/test sets it), else the release build in the target dir. */
export function berthBinary() {
  const configured = process.env.BERTH_BIN;
  const path = configured || join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "release", "berth");
  if (!existsSync(path)) {
    throw new Error(`no berth binary at ${path}: build it (cargo build --release -p berth) or set BERTH_BIN`);
  }
  return path;
}

/**
 * Starts `berth --port 0` on loopback (with `extraArgs`) and resolves once it has printed
 * its endpoint. Every BERTH_* and AWS_* variable of the machine is dropped from its
 * environment (a developer's BERTH_VERIFY_SIGV4 would change what the tests see).
 */
export async function startBerth(extraArgs = []) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("BERTH_") && !name.startsWith("AWS_")),
  );
  const child = spawn(berthBinary(), ["--host", "127.0.0.1", "--port", "0", "--log", "warn", ...extraArgs], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // The server must not outlive a test process that exits without stopping it.
  const killOnExit = () => {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  process.on("exit", killOnExit);

  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((resolveExit) => child.on("exit", (code, signal) => resolveExit({ code, signal })));

  const firstLine = new Promise((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolveLine);
    exited.then(({ code, signal }) => reject(new Error(`berth exited (${code ?? signal}) before printing its endpoint: ${stderr}`)));
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`berth printed no endpoint within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
  });
  let line;
  try {
    line = await Promise.race([firstLine, timeout]);
  } catch (error) {
    killOnExit();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (!line.startsWith(ENDPOINT_PREFIX)) {
    killOnExit();
    throw new Error(`berth's first stdout line is ${JSON.stringify(line)}, not ${ENDPOINT_PREFIX}...`);
  }

  return {
    endpoint: line.slice(ENDPOINT_PREFIX.length),
    pid: child.pid,
    alive: () => child.exitCode === null && child.signalCode === null,
    stderr: () => stderr,
    /** SIGTERM by PID, SIGKILL if it does not stop in time; resolves to its exit code. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, "SIGTERM");
        const late = setTimeout(() => killOnExit(), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(late);
      }
      process.off("exit", killOnExit);
      return (await exited).code;
    },
  };
}

/** Empties every account and region of the server (each test starts from nothing). */
export async function reset(endpoint) {
  const response = await fetch(`${endpoint}/_berth/reset`, { method: "POST" });
  if (![200, 204].includes(response.status)) throw new Error(`reset answered ${response.status}`);
}

/** An ECR client for Berth: dummy credentials, us-east-1, one attempt (no retries). */
export function makeClient(endpoint) {
  return new ECRClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: PLAIN_KEY, secretAccessKey: SECRET },
    maxAttempts: 1,
  });
}

export const repoArn = (name, account = DEFAULT_ACCOUNT) => `arn:aws:ecr:${REGION}:${account}:repository/${name}`;
export const repoUri = (name, account = DEFAULT_ACCOUNT) => `${account}.dkr.ecr.${REGION}.amazonaws.com/${name}`;

export const notFound = (name, registry = DEFAULT_ACCOUNT) =>
  `The repository with name '${name}' does not exist in the registry with id '${registry}'`;
export const alreadyExists = (name, registry = DEFAULT_ACCOUNT) =>
  `The repository with name '${name}' already exists in the registry with id '${registry}'`;
export const policyNotFound = (name, registry = DEFAULT_ACCOUNT) =>
  `Repository policy does not exist for the repository with name '${name}' in the registry with id '${registry}'`;
export const invalidParameter = (member, reason) =>
  `Invalid parameter at '${member}' failed to satisfy constraint: '${reason}'`;
