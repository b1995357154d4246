//! Berth inside a Rust program or test: no binary, no Docker. Starts Berth in-process on a
//! free port, points aws-sdk-ecr at it, creates and lists a repository, and stops it.
//!
//! `cargo run -p berth --example in_process`

use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // In memory, on 127.0.0.1 and a port the system picks.
    let berth = berth::start(berth::Config::ephemeral()).await?;

    let config = aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        // Any credentials: Berth checks signatures only with --verify-sigv4.
        .credentials_provider(Credentials::new("test", "test", None, None, "example"))
        .endpoint_url(berth.endpoint())
        // Berth speaks plain HTTP; this client needs no TLS.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let ecr = aws_sdk_ecr::Client::from_conf(config);

    ecr.create_repository()
        .repository_name("team/web")
        .send()
        .await?;
    let listed = ecr.describe_repositories().send().await?;
    for repository in listed.repositories() {
        println!(
            "{} {}",
            repository.repository_name().unwrap_or_default(),
            repository.repository_uri().unwrap_or_default()
        );
    }

    // Stops gracefully and waits; dropping `berth` would stop it too, without waiting.
    berth.shutdown().await;
    Ok(())
}
