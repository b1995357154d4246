//! The real `berth` binary as a child process, started the same way by every test binary.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};

use berth::cli::ENDPOINT_PREFIX;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

use super::TIMEOUT;

pub const BERTH: &str = env!("CARGO_BIN_EXE_berth");

/// `berth ARGS` with no stdin, piped stdout and stderr, killed when dropped, and without any
/// `BERTH_*` variable of the test's own environment: a developer's exported
/// `BERTH_VERIFY_SIGV4` or `BERTH_PORT` must not change what a test sees. A test sets the
/// variables it means on the returned command. (tests/python's `BerthProcess` strips the
/// same.)
pub fn berth_command<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(BERTH);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, _) in std::env::vars_os() {
        if name.as_encoded_bytes().starts_with(b"BERTH_") {
            command.env_remove(name);
        }
    }
    command
}

/// A running `berth` child and the endpoint it announced.
#[derive(Debug)]
pub struct BerthProcess {
    pub child: Child,
    /// Its stdout after the announcement line.
    pub stdout: BufReader<ChildStdout>,
    pub addr: SocketAddr,
}

impl BerthProcess {
    /// Spawns `command` (from [`berth_command`]) and reads the `BERTH_ENDPOINT=http://…` line
    /// it must print first.
    pub async fn start(mut command: Command) -> BerthProcess {
        let mut child = command.spawn().expect("berth spawns");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        tokio::time::timeout(TIMEOUT, stdout.read_line(&mut line))
            .await
            .expect("announced in time")
            .expect("stdout is readable");
        let url = line
            .strip_suffix('\n')
            .and_then(|l| l.strip_prefix(ENDPOINT_PREFIX))
            .unwrap_or_else(|| panic!("first line: {line:?}"));
        let addr = url
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("not an http URL: {url}"));
        let addr = addr.parse().unwrap_or_else(|e| panic!("{addr}: {e}"));
        BerthProcess {
            child,
            stdout,
            addr,
        }
    }

    /// Sends the signal `name` (`TERM`, `INT`, …) to the process.
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} {pid}");
    }

    /// Waits for the exit; returns it with everything left on stdout and stderr.
    pub async fn finish(mut self) -> (ExitStatus, String, String) {
        let mut rest = String::new();
        let mut stderr = String::new();
        let mut child_stderr = self.child.stderr.take().expect("stderr is piped");
        let wait = async {
            let (out, err, status) = tokio::join!(
                self.stdout.read_to_string(&mut rest),
                child_stderr.read_to_string(&mut stderr),
                self.child.wait()
            );
            out.expect("stdout is readable");
            err.expect("stderr is readable");
            status.expect("berth is waited for")
        };
        let status = tokio::time::timeout(TIMEOUT, wait)
            .await
            .expect("berth exits in time");
        (status, rest, stderr)
    }

    /// SIGTERM, and a clean exit.
    pub async fn stop(self) {
        self.signal("TERM");
        let (status, _, stderr) = self.finish().await;
        assert!(status.success(), "{status}\n{stderr}");
    }

    /// SIGKILL: no chance to finish anything.
    pub async fn kill(mut self) -> ExitStatus {
        self.child.start_kill().expect("berth can be killed");
        tokio::time::timeout(TIMEOUT, self.child.wait())
            .await
            .expect("dies in time")
            .expect("berth is waited for")
    }
}
