//! Resident memory: idle (started, one call answered) and holding 10,000 repositories.

use std::path::Path;
use std::time::Duration;

use crate::ecr;
use crate::process::Server;

/// Lets the allocator and runtime settle after a call before reading RSS.
const SETTLE: Duration = Duration::from_millis(200);

#[derive(Debug, Default, Clone, Copy)]
pub struct Footprint {
    pub idle_kib: u64,
    pub loaded_kib: u64,
}

/// Measures a freshly started server: idle, then after creating `repositories`.
pub fn measure(server: &Server, repositories: usize) -> Result<Footprint, String> {
    let mut client = server.client()?;
    ecr::call(&mut client, "DescribeRepositories", "{}")?;
    std::thread::sleep(SETTLE);
    let idle_kib = server.rss_kib()?;
    ecr::seed(&mut client, 0..repositories)?;
    std::thread::sleep(SETTLE);
    Ok(Footprint {
        idle_kib,
        loaded_kib: server.rss_kib()?,
    })
}

pub fn berth(binary: &Path, logs: &Path, repositories: usize) -> Result<Footprint, String> {
    measure(
        &Server::berth(binary, &logs.join("berth-memory.log"))?,
        repositories,
    )
}

pub fn moto(binary: &Path, logs: &Path, repositories: usize) -> Result<Footprint, String> {
    measure(
        &Server::moto(binary, &logs.join("moto-memory.log"))?,
        repositories,
    )
}
