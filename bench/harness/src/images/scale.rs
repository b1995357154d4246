//! ListImages and DescribeImages page latency as one repository grows: the first page and
//! a page from the middle (reached by its token), one client, calls one after another. One
//! server per size, all running at once, measured in alternating batches (as the
//! repositories' scale figure is), so noise falls on every size alike.

use std::path::Path;
use std::time::{Duration, Instant};

use conformance::http::Client;

use super::api;
use super::pages::IMAGES_REPOSITORY;
use crate::ecr;
use crate::process::Server;
use crate::scale::Latency;
use crate::stats;

/// The pages measured at each size, in this order.
pub const PAGES: [(&str, Position); 4] = [
    ("ListImages", Position::First),
    ("ListImages", Position::Middle),
    ("DescribeImages", Position::First),
    ("DescribeImages", Position::Middle),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    First,
    Middle,
}

impl Position {
    pub fn title(self) -> &'static str {
        match self {
            Position::First => "first page",
            Position::Middle => "middle page",
        }
    }
}

/// The latency of each of [`PAGES`] in a repository of `images`.
#[derive(Debug, Clone)]
pub struct Sized {
    pub images: usize,
    pub pages: Vec<Latency>,
}

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub warm_up: usize,
    pub batch: usize,
    pub samples: usize,
}

struct Registry {
    images: usize,
    client: Client,
    bodies: Vec<String>,
    samples: Vec<Vec<Duration>>,
    _server: Server,
}

pub fn measure(
    binary: &Path,
    logs: &Path,
    sizes: &[usize],
    plan: Plan,
) -> Result<Vec<Sized>, String> {
    let mut registries = Vec::new();
    for &size in sizes {
        eprintln!("images: scale: putting {size} images into one repository");
        let started = Instant::now();
        let server = Server::berth(binary, &logs.join(format!("berth-images-scale-{size}.log")))?;
        let mut client = server.client()?;
        api::seed_images(&mut client, IMAGES_REPOSITORY, size)?;
        eprintln!(
            "images: scale: {size} images put in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let mut bodies = Vec::new();
        for (operation, position) in PAGES {
            let token = match position {
                Position::First => None,
                Position::Middle => Some(api::token_after(
                    &mut client,
                    operation,
                    IMAGES_REPOSITORY,
                    size / 2,
                )?),
            };
            bodies.push(api::page_body(IMAGES_REPOSITORY, token.as_deref()));
        }
        registries.push(Registry {
            images: size,
            client,
            bodies,
            samples: vec![Vec::new(); PAGES.len()],
            _server: server,
        });
    }
    for registry in &mut registries {
        for ((operation, _), body) in PAGES.iter().zip(&registry.bodies) {
            for _ in 0..plan.warm_up {
                ecr::call(&mut registry.client, operation, body)?;
            }
        }
    }
    for _ in 0..plan.samples / plan.batch {
        for registry in &mut registries {
            for (index, (operation, _)) in PAGES.iter().enumerate() {
                for _ in 0..plan.batch {
                    let started = Instant::now();
                    ecr::call(&mut registry.client, operation, &registry.bodies[index])?;
                    registry.samples[index].push(started.elapsed());
                }
            }
        }
    }
    Ok(registries
        .iter()
        .map(|registry| Sized {
            images: registry.images,
            pages: registry
                .samples
                .iter()
                .map(|samples| Latency {
                    p50: stats::median(samples),
                    p99: stats::percentile(samples, 99.0),
                })
                .collect(),
        })
        .collect())
}
