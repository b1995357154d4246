//! Berth: Amazon ECR emulated locally. This crate is the HTTP server: the awsJson1.1 API
//! at `POST /` (generated from AWS's model, behaviour in `ecr-impl`) and the admin
//! endpoints under `/_berth/`.
//!
//! It is a library first so tests embed it in-process: [`start`] serves on a free port in
//! the background of the current tokio runtime, [`Running::endpoint`] is the URL to point
//! any AWS client at, and dropping the [`Running`] stops it (or [`Running::shutdown`] to
//! stop and wait). The example `examples/in_process.rs` is the same as a program.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
//!
//! let berth = berth::start(berth::Config::ephemeral()).await?;
//! let ecr = aws_sdk_ecr::Client::from_conf(
//!     aws_sdk_ecr::Config::builder()
//!         .behavior_version(BehaviorVersion::latest())
//!         .region(Region::new("us-east-1"))
//!         .credentials_provider(Credentials::new("test", "test", None, None, "doc"))
//!         .endpoint_url(berth.endpoint())
//!         .http_client(aws_smithy_http_client::Builder::new().build_http())
//!         .build(),
//! );
//! ecr.create_repository().repository_name("team/web").send().await?;
//! let listed = ecr.describe_repositories().send().await?;
//! assert_eq!(listed.repositories()[0].repository_name(), Some("team/web"));
//! drop(berth); // stops it
//! # Ok(())
//! # }
//! ```

mod access;
mod admin;
mod api;
mod app;
mod body;
mod caller;
pub mod cli;
pub mod config;
mod console;
pub mod errors;
mod eventbridge;
mod events;
mod head;
pub mod healthcheck;
mod idle;
mod layer_download;
// The OCI `/v2` registry.
mod oci;
mod reply;
mod serve;
pub mod signals;
pub mod sigv4;
mod sts;
pub mod token_key;
pub mod upstream;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use ecr_impl::Ecr;
use ecr_impl::auth::TokenKey;
use storage_fs::FsBlobStore;
use storage_sqlite::SqliteStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{AccountId, Config, Region, RegistryAuth, RegistryHostSetting};

/// A Berth server serving in the background. [`Running::shutdown`] stops it gracefully
/// and waits; dropping it starts the same graceful stop without waiting for it.
#[derive(Debug)]
pub struct Running {
    local_addr: SocketAddr,
    /// Sending, or dropping it, tells the server to stop.
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
    ecr: Arc<Ecr>,
    /// The periodic garbage collection, stopped with the server.
    _collector: Collector,
    /// The periodic lifecycle runs (none when the interval is 0), stopped with the server.
    _lifecycle: Option<Collector>,
}

/// How often unreferenced blobs and expired uploads are collected (also once at startup).
pub const GARBAGE_COLLECTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// The background task that collects garbage; aborted when dropped.
#[derive(Debug)]
struct Collector(JoinHandle<()>);

impl Collector {
    /// Collects now, then every [`GARBAGE_COLLECTION_INTERVAL`]. A failed collection is
    /// logged and tried again next time: nothing is lost by waiting.
    fn start(ecr: Arc<Ecr>) -> Collector {
        Collector(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(GARBAGE_COLLECTION_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match ecr.collect_garbage(ecr.clock().now()).await {
                    Ok(collected) => tracing::debug!(?collected, "garbage collected"),
                    Err(error) => tracing::warn!(%error, "garbage collection failed; will retry"),
                }
            }
        }))
    }
}

/// Runs every lifecycle policy every `seconds` (the first run one interval after start).
/// A failed run is logged; the next one evaluates everything again.
fn start_lifecycle(ecr: Arc<Ecr>, seconds: u64) -> Option<Collector> {
    let period = std::time::Duration::from_secs(seconds);
    (seconds > 0).then(|| {
        Collector(tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match ecr.run_lifecycle().await {
                    Ok(run) => tracing::debug!(?run, "lifecycle policies run"),
                    Err(error) => tracing::warn!(%error, "lifecycle run failed; will retry"),
                }
            }
        }))
    })
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Opens the state, binds `config.host:config.port`, then serves in a background task of
/// the current tokio runtime. Fails only if the state cannot be opened or the address
/// cannot be bound; the error says which, in a sentence fit for the user.
pub async fn start(config: Config) -> io::Result<Running> {
    config
        .check()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let ecr = open_state(&config)?;
    let listener = TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot listen on {}:{}: {e}", config.host, config.port),
            )
        })?;
    let local_addr = listener.local_addr()?;
    // Set only now: the host's port may be the one just bound.
    let ecr = match &config.registry_host {
        Some(setting) => {
            let host = setting
                .resolve(local_addr.port())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
            tracing::info!(registry_host = %host, "repository URIs name Berth's registry");
            ecr.with_registry_host(host)
        }
        None => ecr,
    };
    let ecr = Arc::new(ecr);
    let event_delivery = Arc::new(eventbridge::Counters::default());
    if let Some(endpoint) = &config.eventbridge_endpoint {
        let target = eventbridge::Target::new(endpoint, &config.eventbridge_bus)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        tracing::info!(%endpoint, bus = %config.eventbridge_bus, "events are delivered with PutEvents");
        eventbridge::start(&ecr, target, event_delivery.clone());
    }
    let state = app::AppState {
        ecr: ecr.clone(),
        account_id: config.account_id,
        region: config.region,
        max_body_bytes: config.max_body_bytes,
        max_header_bytes: config.max_header_bytes,
        request_body_timeout: config.timeouts.request_body,
        verifier: config
            .verify_sigv4
            .then(|| Arc::new(config.credentials.clone())),
        registry_auth: config.registry_auth,
        console_writes: config.console_writes,
        upstreams: Arc::new(upstream::Upstreams::new(config.upstreams.clone())),
        event_delivery,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let stopping = ecr.clone();
    let server = serve::serve(listener, app::router(state), config.timeouts, async move {
        // A send and a dropped sender both mean stop.
        let _ = stopped.await;
        // Event streams never end on their own: they end now, so shutdown need not wait.
        stopping.events().close();
    });
    let task = tokio::spawn(server);
    tracing::info!(%local_addr, verify_sigv4 = config.verify_sigv4, "berth is listening");
    let collector = Collector::start(ecr.clone());
    let lifecycle = start_lifecycle(ecr.clone(), config.lifecycle_interval_seconds);
    Ok(Running {
        local_addr,
        stop,
        task,
        ecr,
        _collector: collector,
        _lifecycle: lifecycle,
    })
}

/// The ECR state a server starts with. The one place that decides where state lives: in
/// the data directory when there is one (metadata in SQLite, blobs and uploads beside it,
/// and the key that signs login passwords: all durable), otherwise metadata in memory and
/// blobs in a temporary directory removed at exit (so memory does not grow with layer
/// sizes), with a new key.
fn open_state(config: &Config) -> io::Result<Ecr> {
    let Some(dir) = &config.data_dir else {
        let key = TokenKey::generate()
            .map_err(|e| io::Error::other(format!("cannot generate a token key: {e}")))?;
        let blobs = FsBlobStore::temporary()
            .map_err(|e| io::Error::other(format!("cannot create a blob directory: {e}")))?;
        return Ok(Ecr::new(
            Arc::new(ecr_impl::store::memory::MemoryMeta::new()),
            Arc::new(blobs),
            key,
        ));
    };
    // Read first: a damaged key file stops startup before the database is opened.
    let key = token_key::read(dir)?;
    let store = SqliteStore::open(dir).map_err(|e| {
        io::Error::other(format!(
            "cannot use the data directory {}: {e}",
            dir.display()
        ))
    })?;
    // Opened only now, while this process holds the directory's lock (the blob store's
    // startup sweep must not race another Berth).
    let blobs = FsBlobStore::open(dir).map_err(|e| {
        io::Error::other(format!(
            "cannot use the blobs in the data directory {}: {e}",
            dir.display()
        ))
    })?;
    let key = match key {
        Some(key) => key,
        None => token_key::create(dir)?,
    };
    tracing::info!(data_dir = %dir.display(), "state is kept in the data directory");
    Ok(Ecr::new(Arc::new(store), Arc::new(blobs), key))
}

impl Running {
    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The ECR this server serves, for what has no API, such as checking a login password
    /// (`Ecr::verify_login_password`).
    pub fn ecr(&self) -> &Ecr {
        &self.ecr
    }

    /// The URL clients use: `http://HOST:PORT`. An unspecified bind address (0.0.0.0, ::)
    /// is given as loopback, since the URL is for connecting, not binding.
    pub fn endpoint(&self) -> String {
        let mut addr = self.local_addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// Stops accepting connections, lets in-flight requests finish (for at most
    /// [`config::SHUTDOWN_GRACE`]), and returns once the server has stopped.
    pub async fn shutdown(self) {
        let Running { stop, mut task, .. } = self;
        // Err only if the server already stopped by itself.
        let _ = stop.send(());
        match tokio::time::timeout(config::SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(Ok(()))) => tracing::info!("berth stopped"),
            Ok(Ok(Err(e))) => tracing::error!(error = %e, "berth stopped with an error"),
            Ok(Err(e)) => tracing::error!(error = %e, "the server task failed"),
            Err(_) => {
                tracing::warn!(grace = ?config::SHUTDOWN_GRACE, "in-flight requests did not finish in time; dropping them");
                task.abort();
            }
        }
    }
}
