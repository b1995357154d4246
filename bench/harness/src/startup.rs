//! Cold start: from spawning the process to the first successful API call answered.
//! Beside it, the floor of spawning any process on this machine (`true`), and moto's start.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use conformance::http::Client;

use crate::ecr;
use crate::process::{self, Server};

#[derive(Debug, Default)]
pub struct ColdStart {
    pub berth: Vec<Duration>,
    /// Spawning `true` and waiting for it to exit.
    pub spawn_floor: Vec<Duration>,
    pub moto: Vec<Duration>,
}

/// The call that counts as the first successful request.
const FIRST_CALL: (&str, &str) = ("DescribeRepositories", "{}");

pub fn measure(
    berth: &Path,
    moto: Option<&Path>,
    runs: usize,
    logs: &Path,
) -> Result<ColdStart, String> {
    let mut result = ColdStart::default();
    for _ in 0..runs {
        result.spawn_floor.push(spawn_floor()?);
        result.berth.push(berth_once(berth)?);
        if let Some(moto) = moto {
            result.moto.push(moto_once(moto, logs)?);
        }
    }
    Ok(result)
}

fn spawn_floor() -> Result<Duration, String> {
    let started = Instant::now();
    Command::new("true")
        .status()
        .map_err(|e| format!("true: {e}"))?;
    Ok(started.elapsed())
}

/// Spawn, wait for the endpoint line (Berth's ready signal), call once.
fn berth_once(binary: &Path) -> Result<Duration, String> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(["--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let answered = process::read_endpoint(&mut child)
        .and_then(|endpoint| Client::new(&endpoint))
        .and_then(|mut client| ecr::call(&mut client, FIRST_CALL.0, FIRST_CALL.1));
    let elapsed = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    answered.map(|_| elapsed)
}

/// moto has no ready signal: its start ends when the first call succeeds (tried every
/// few milliseconds, as a client would).
fn moto_once(binary: &Path, logs: &Path) -> Result<Duration, String> {
    let started = Instant::now();
    let server = Server::moto(binary, &logs.join("moto-cold-start.log"))?;
    let mut client = server.client()?;
    ecr::call(&mut client, FIRST_CALL.0, FIRST_CALL.1)?;
    Ok(started.elapsed())
}
