//! The two registries under test: Berth (`berth --port 0`, skopeo logging in with a
//! password from GetAuthorizationToken, as `aws ecr get-login-password` gives it) and the
//! CNCF registry (Debian's `docker-registry`, filesystem storage in a temporary directory,
//! no authentication), each a child process stopped when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::ecr;
use crate::process::{self, Server};

/// Debian's package of the CNCF distribution registry.
pub const CNCF_REGISTRY: &str = "/usr/bin/docker-registry";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Berth,
    Cncf,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Berth => "Berth",
            Kind::Cncf => "CNCF registry",
        }
    }
}

/// A running registry.
pub struct Registry {
    pub kind: Kind,
    /// `127.0.0.1:PORT`, as skopeo names it in `docker://`.
    pub host: String,
    /// `AWS:<password>` for Berth; none for the CNCF registry.
    creds: Option<String>,
    process: Running,
}

enum Running {
    Berth(Server),
    Cncf { child: Child, root: PathBuf },
}

impl Registry {
    /// Berth with its default settings (`--registry-auth ecr`).
    pub fn berth(binary: &Path, log: &Path) -> Result<Registry, String> {
        let server = Server::berth(binary, log)?;
        let mut client = server.client()?;
        let response = ecr::call(&mut client, "GetAuthorizationToken", "{}")?;
        let json: serde_json::Value = serde_json::from_slice(&response.body)
            .map_err(|e| format!("GetAuthorizationToken: {e}"))?;
        let token = json["authorizationData"][0]["authorizationToken"]
            .as_str()
            .ok_or("GetAuthorizationToken answered no authorizationToken")?;
        // The token is base64 of `AWS:<password>`, which is what --creds takes.
        let creds = String::from_utf8(
            STANDARD
                .decode(token)
                .map_err(|e| format!("authorizationToken: {e}"))?,
        )
        .map_err(|e| format!("authorizationToken: {e}"))?;
        let host = server
            .endpoint
            .strip_prefix("http://")
            .ok_or("berth's endpoint is not http://")?
            .to_owned();
        Ok(Registry {
            kind: Kind::Berth,
            host,
            creds: Some(creds),
            process: Running::Berth(server),
        })
    }

    /// The CNCF registry on a free port with a config file written here, its storage in a
    /// fresh temporary directory; returns once `GET /v2/` answers 200.
    pub fn cncf(log: &Path, name: &str) -> Result<Registry, String> {
        if !Path::new(CNCF_REGISTRY).exists() {
            return Err(format!(
                "{CNCF_REGISTRY} is missing: apt-get install docker-registry"
            ));
        }
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            listener.local_addr().map_err(|e| e.to_string())?.port()
        };
        let root =
            std::env::temp_dir().join(format!("berth-bench-cncf-{name}-{}", std::process::id()));
        let storage = root.join("storage");
        std::fs::create_dir_all(&storage).map_err(|e| format!("{}: {e}", storage.display()))?;
        let config = root.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\n\
                 log:\n  level: warn\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: 127.0.0.1:{port}\n",
                storage.display()
            ),
        )
        .map_err(|e| format!("{}: {e}", config.display()))?;
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = Command::new(CNCF_REGISTRY)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("{CNCF_REGISTRY}: {e}"))?;
        let mut registry = Registry {
            kind: Kind::Cncf,
            host: format!("127.0.0.1:{port}"),
            creds: None,
            process: Running::Cncf { child, root },
        };
        registry.wait_until_answering()?;
        Ok(registry)
    }

    pub fn pid(&self) -> u32 {
        match &self.process {
            Running::Berth(server) => server.pid(),
            Running::Cncf { child, .. } => child.id(),
        }
    }

    pub fn rss_kib(&self) -> Result<u64, String> {
        process::rss_kib(self.pid())
    }

    /// Makes `repository` exist where a push needs it to: Berth, as ECR, refuses a push
    /// to a repository nobody created; the CNCF registry makes one on the first push.
    pub fn create_repository(&self, repository: &str) -> Result<(), String> {
        match &self.process {
            Running::Berth(server) => ecr::create(&mut server.client()?, repository),
            Running::Cncf { .. } => Ok(()),
        }
    }

    /// The credentials flag of skopeo for this registry (`--dest-creds` or
    /// `--src-creds`), if it needs one.
    pub fn creds_args(&self, flag: &str) -> Vec<String> {
        match &self.creds {
            Some(creds) => vec![flag.to_owned(), creds.clone()],
            None => Vec::new(),
        }
    }

    fn wait_until_answering(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let mut client = conformance::http::Client::new(&format!("http://{}", self.host))?;
        loop {
            if let Ok(response) = client.get("/v2/") {
                if response.status == 200 {
                    return Ok(());
                }
            }
            if let Running::Cncf { child, .. } = &mut self.process {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("{CNCF_REGISTRY} exited while starting: {status}"));
                }
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(format!(
                    "{} did not answer GET /v2/ within {READY_TIMEOUT:?}",
                    self.kind.name()
                ));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Running::Cncf { child, root } = &mut self.process {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(root);
        }
    }
}
