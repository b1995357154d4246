//! DescribeRepositories page latency as the registry grows: the first page and a page from
//! the middle (reached by its token), one client, calls one after another. One server per
//! registry size, all running at once, measured in alternating batches: noise from other
//! work on the machine then falls on every size alike.

use std::path::Path;
use std::time::{Duration, Instant};

use conformance::http::Client;

use crate::ecr;
use crate::process::Server;
use crate::stats;

/// Calls per measured page, in batches alternating between the sizes (after a warm-up).
const SAMPLES: usize = 2000;
const BATCH: usize = 100;
const WARM_UP: usize = 200;

#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Pages {
    pub repositories: usize,
    pub first: Latency,
    pub middle: Latency,
}

/// One registry under measurement.
struct Registry {
    repositories: usize,
    client: Client,
    /// Request bodies of the first and the middle page.
    bodies: [String; 2],
    samples: [Vec<Duration>; 2],
    _server: Server,
}

/// Page latency at each size in `sizes`.
pub fn measure(binary: &Path, logs: &Path, sizes: &[usize]) -> Result<Vec<Pages>, String> {
    let mut registries = Vec::new();
    for &size in sizes {
        eprintln!("scale: creating {size} repositories");
        let server = Server::berth(binary, &logs.join(format!("berth-scale-{size}.log")))?;
        let mut client = server.client()?;
        ecr::seed(&mut client, 0..size)?;
        let token = ecr::token_after(&mut client, size / 2)?;
        registries.push(Registry {
            repositories: size,
            client,
            bodies: ["{}".to_owned(), format!(r#"{{"nextToken":"{token}"}}"#)],
            samples: [Vec::new(), Vec::new()],
            _server: server,
        });
    }
    for registry in &mut registries {
        for body in &registry.bodies {
            for _ in 0..WARM_UP {
                ecr::call(&mut registry.client, "DescribeRepositories", body)?;
            }
        }
    }
    for _ in 0..SAMPLES / BATCH {
        for registry in &mut registries {
            for (body, samples) in registry.bodies.iter().zip(&mut registry.samples) {
                for _ in 0..BATCH {
                    let started = Instant::now();
                    ecr::call(&mut registry.client, "DescribeRepositories", body)?;
                    samples.push(started.elapsed());
                }
            }
        }
    }
    Ok(registries
        .iter()
        .map(|registry| {
            let [first, middle] = registry.samples.each_ref().map(|samples| Latency {
                p50: stats::median(samples),
                p99: stats::percentile(samples, 99.0),
            });
            Pages {
                repositories: registry.repositories,
                first,
                middle,
            }
        })
        .collect())
}
