//! What a Berth server is started with, its defaults and limits: the one place they live.
//! The CLI (`cli.rs`) only maps flags onto [`Config`]; tests build a [`Config`] directly.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ecr_generated::types::{self, RegistryId};
use ecr_impl::{InvalidRegistryHost, RegistryHost};

pub use crate::sigv4::{Credential, Credentials};

/// Address the server listens on unless told otherwise: loopback, so nothing is exposed.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// Port unless told otherwise: the one AWS emulators conventionally use.
pub const DEFAULT_PORT: u16 = 4566;
/// Region of requests that carry no SigV4 credential scope.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Account of requests whose access key id is not a 12-digit account id.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// Log filter unless told otherwise.
pub const DEFAULT_LOG: &str = "info";

/// Largest request body accepted. The largest modeled input is UploadLayerPart's 20 MiB
/// layer part, which is ~26.7 MiB once base64-encoded in JSON; 32 MiB leaves room for the
/// envelope while keeping one request's memory bounded.
pub const MAX_REQUEST_BODY_BYTES: usize = 32 * 1024 * 1024;
/// How long a graceful shutdown waits for in-flight requests before dropping them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Largest request head (header names and values) answered normally; a larger one gets
/// an AWS-shaped 431. SDK requests carry well under 2 KiB; 16 KiB leaves ample room.
pub const MAX_REQUEST_HEADER_BYTES: usize = 16 * 1024;
/// Hard cap on the bytes of a request head held while parsing it (the request line and
/// headers as sent): past it the HTTP parser refuses the request (a bare 431) and closes
/// the connection, before the head is ever complete enough to answer in AWS's shape.
pub const MAX_REQUEST_HEAD_BUFFER_BYTES: usize = 4 * MAX_REQUEST_HEADER_BYTES;
// A head somewhat over Berth's limit must still reach Berth, to get the AWS-shaped 431.
const _: () = assert!(MAX_REQUEST_HEAD_BUFFER_BYTES >= 2 * MAX_REQUEST_HEADER_BYTES);
/// Most header fields in one request; more is refused by the HTTP parser like an
/// oversized head.
pub const MAX_REQUEST_HEADER_COUNT: usize = 100;
/// Longest a client may take to send a request head, counted from when the connection
/// starts waiting for it (a new connection, or an idle keep-alive one): bounds clients
/// that trickle headers. The connection is closed; there is no request yet to answer.
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a client may take to send a request body, in total (a body trickled byte by
/// byte would defeat an idle timeout): refused with an AWS-shaped 408. Generous for the
/// largest body (32 MiB) on any link a local emulator sees.
pub const REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest a connection may sit with no byte moving either way while Berth waits on the
/// client (to send a request, or to read a response): closes idle keep-alive connections
/// and clients that stop reading.
pub const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// How long slow or idle clients may hold a connection. Defaults are the constants above;
/// tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub request_head: Duration,
    pub request_body: Duration,
    pub idle_connection: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            request_head: REQUEST_HEAD_TIMEOUT,
            request_body: REQUEST_BODY_TIMEOUT,
            idle_connection: IDLE_CONNECTION_TIMEOUT,
        }
    }
}

/// Everything [`crate::start`] needs. Fields are public so tests can write
/// `Config { port: 0, ..Config::default() }`; new settings (such as a data directory)
/// are added here with a default, so existing callers keep compiling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Host name or IP address to bind.
    pub host: String,
    /// TCP port to bind; 0 picks any free port (see [`crate::Running::local_addr`]).
    pub port: u16,
    /// Region of requests without a SigV4 credential scope.
    pub region: Region,
    /// Account of requests whose access key id is not itself an account id.
    pub account_id: AccountId,
    /// Requests with a larger body are refused with 413.
    pub max_body_bytes: usize,
    /// Where state is kept durably (`storage-sqlite`); `None` keeps it in memory only.
    pub data_dir: Option<PathBuf>,
    /// Requests with a larger head are refused with 431.
    pub max_header_bytes: usize,
    pub timeouts: Timeouts,
    /// Require a valid SigV4 signature from one of `credentials` on every API request
    /// (and on admin requests that do not come from loopback).
    pub verify_sigv4: bool,
    /// The keys accepted when verifying; each makes its caller the key's account.
    pub credentials: Credentials,
    /// Who may use the OCI registry (`/v2/`).
    pub registry_auth: RegistryAuth,
    /// Where `repositoryUri` and `proxyEndpoint` point; `None` keeps AWS's hosts.
    pub registry_host: Option<RegistryHostSetting>,
    /// Whether the console (`/_berth/ui/`) may delete images and repositories.
    pub console_writes: bool,
    /// Seconds between two runs of every lifecycle policy; 0 runs them only when
    /// `POST /_berth/lifecycle/run` asks.
    pub lifecycle_interval_seconds: u64,
    /// Where the upstreams pull through cache rules name are reached (`--upstream`).
    pub upstreams: Vec<crate::upstream::UpstreamMapping>,
    /// Where events are also delivered with PutEvents (`http://HOST[:PORT]`), if anywhere.
    pub eventbridge_endpoint: Option<String>,
    /// The bus they are delivered to.
    pub eventbridge_bus: String,
}

/// [choice] How often lifecycle policies are evaluated unless set (ECR: within 24 hours).
pub const DEFAULT_LIFECYCLE_INTERVAL_SECONDS: u64 = 3600;

/// Who may use the OCI registry (`/v2/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegistryAuth {
    /// As ECR: Basic `AWS:<password>` with a password GetAuthorizationToken issued,
    /// unexpired; otherwise 401 with ECR's challenge.
    #[default]
    Ecr,
    /// Anyone, anonymously, into the default account and region.
    None,
}

impl RegistryAuth {
    const ECR: &str = "ecr";
    const NONE: &str = "none";
}

impl FromStr for RegistryAuth {
    type Err = InvalidSetting;

    fn from_str(text: &str) -> Result<RegistryAuth, InvalidSetting> {
        match text {
            RegistryAuth::ECR => Ok(RegistryAuth::Ecr),
            RegistryAuth::NONE => Ok(RegistryAuth::None),
            _ => Err(InvalidSetting(format!(
                "'{text}' is not a registry auth mode: use {} (logins from GetAuthorizationToken, as ECR) or {} (anyone, anonymously)",
                RegistryAuth::ECR,
                RegistryAuth::NONE
            ))),
        }
    }
}

impl fmt::Display for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RegistryAuth::Ecr => RegistryAuth::ECR,
            RegistryAuth::None => RegistryAuth::NONE,
        })
    }
}

/// What `--registry-host` may end with to stand for the port Berth listens on, known only
/// once it is bound (with `--port 0`, any free port).
pub const LISTENING_PORT_PLACEHOLDER: &str = "{port}";

/// Where `repositoryUri` and `proxyEndpoint` point (`--registry-host`): an
/// [`ecr_impl::RegistryHost`] (`HOST[:PORT]`, the host may hold `{account}` and `{region}`)
/// whose port may also be `{port}`, the port Berth listens on. Checked when parsed, so
/// [`RegistryHostSetting::resolve`] succeeds for any port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryHostSetting(String);

impl RegistryHostSetting {
    /// The host, with `{port}` filled with `listening_port`.
    pub fn resolve(&self, listening_port: u16) -> Result<RegistryHost, InvalidSetting> {
        let text = match self.0.strip_suffix(LISTENING_PORT_PLACEHOLDER) {
            Some(host) => format!("{host}{listening_port}"),
            None => self.0.clone(),
        };
        text.parse()
            .map_err(|e: InvalidRegistryHost| InvalidSetting(e.to_string()))
    }
}

impl FromStr for RegistryHostSetting {
    type Err = InvalidSetting;

    fn from_str(text: &str) -> Result<RegistryHostSetting, InvalidSetting> {
        let placeholders = text.matches(LISTENING_PORT_PLACEHOLDER).count();
        let as_port = format!(":{LISTENING_PORT_PLACEHOLDER}");
        if placeholders > 1 || (placeholders == 1 && !text.ends_with(&as_port)) {
            return Err(InvalidSetting(format!(
                "'{text}' has {LISTENING_PORT_PLACEHOLDER} elsewhere than as its port: write HOST{as_port}"
            )));
        }
        let setting = RegistryHostSetting(text.to_owned());
        // Checked with a stand-in port: the host's rules do not depend on which one.
        let stand_in = DEFAULT_PORT;
        setting.resolve(stand_in).map_err(|e| {
            let checked = text.replacen(LISTENING_PORT_PLACEHOLDER, &stand_in.to_string(), 1);
            InvalidSetting(e.0.replacen(&format!("'{checked}'"), &format!("'{text}'"), 1))
        })?;
        Ok(setting)
    }
}

impl fmt::Display for RegistryHostSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Default for Config {
    /// The binary's defaults: 127.0.0.1:4566, us-east-1, account 123456789012.
    fn default() -> Config {
        Config {
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
            region: known_valid(DEFAULT_REGION),
            account_id: known_valid(DEFAULT_ACCOUNT_ID),
            max_body_bytes: MAX_REQUEST_BODY_BYTES,
            data_dir: None,
            max_header_bytes: MAX_REQUEST_HEADER_BYTES,
            timeouts: Timeouts::default(),
            verify_sigv4: false,
            credentials: Credentials::default(),
            registry_auth: RegistryAuth::default(),
            registry_host: None,
            console_writes: false,
            lifecycle_interval_seconds: DEFAULT_LIFECYCLE_INTERVAL_SECONDS,
            upstreams: Vec::new(),
            eventbridge_endpoint: None,
            eventbridge_bus: crate::eventbridge::DEFAULT_BUS.to_owned(),
        }
    }
}

impl Config {
    /// Refuses settings that cannot work together, such as verifying signatures with no
    /// key to verify them against.
    pub fn check(&self) -> Result<(), InvalidSetting> {
        if self.verify_sigv4 && self.credentials.is_empty() {
            return Err(InvalidSetting::new(
                "verifying SigV4 signatures needs at least one key: set BERTH_CREDENTIALS=ACCESS_KEY_ID:SECRET:ACCOUNT_ID[,...]",
            ));
        }
        Ok(())
    }

    /// The defaults, but on 127.0.0.1 and any free port: what tests embed.
    pub fn ephemeral() -> Config {
        Config {
            host: DEFAULT_HOST.to_owned(),
            port: 0,
            ..Config::default()
        }
    }
}

/// A setting that is not well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSetting(String);

impl InvalidSetting {
    pub(crate) fn new(message: impl Into<String>) -> InvalidSetting {
        InvalidSetting(message.into())
    }
}

impl fmt::Display for InvalidSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidSetting {}

/// An AWS account id: what ECR's model accepts as a `RegistryId` (12 digits), checked by
/// that type's generated rule, the one Berth applies everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId(RegistryId);

impl AccountId {
    /// Whether `text` is an account id (what a 12-digit access key id is taken for).
    pub fn is_valid(text: &str) -> bool {
        RegistryId::check(text).is_ok()
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn registry_id(&self) -> &RegistryId {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = InvalidSetting;

    fn from_str(text: &str) -> Result<AccountId, InvalidSetting> {
        RegistryId::try_from(text).map(AccountId).map_err(|_| {
            InvalidSetting(format!(
                "'{text}' is not an AWS account id: it must be exactly 12 digits"
            ))
        })
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An AWS region name such as `us-east-1`, as ECR's model accepts it (its `Region` shape:
/// 2 to 25 lowercase ASCII letters, digits and `-`), so it is safe inside ARNs and URIs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region(types::Region);

impl Region {
    /// Whether `text` is shaped like a region name.
    pub fn is_valid(text: &str) -> bool {
        types::Region::check(text).is_ok()
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn region(&self) -> &types::Region {
        &self.0
    }
}

impl FromStr for Region {
    type Err = InvalidSetting;

    fn from_str(text: &str) -> Result<Region, InvalidSetting> {
        types::Region::try_from(text).map(Region).map_err(|_| {
            InvalidSetting(format!(
                "'{text}' is not a region name: use lowercase letters, digits and '-', like us-east-1"
            ))
        })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A default that the tests below show to be valid.
fn known_valid<T: FromStr<Err: fmt::Debug>>(text: &str) -> T {
    text.parse()
        .expect("the default account and region are valid (see the tests)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_exactly_twelve_digits() {
        assert_eq!(
            "123456789012".parse::<AccountId>().unwrap().as_str(),
            "123456789012"
        );
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            "AKIAIOSFODNN7EXA",
            "１２３４５６７８９０１２",
        ] {
            let error = bad.parse::<AccountId>().unwrap_err();
            assert!(error.to_string().contains("12 digits"), "{bad}: {error}");
        }
    }

    #[test]
    fn regions_are_lowercase_names() {
        for good in [
            "us-east-1",
            "eu-west-3",
            "ap-southeast-2",
            "us-gov-west-1",
            "cn-north-1",
        ] {
            assert_eq!(good.parse::<Region>().unwrap().as_str(), good);
        }
        for bad in [
            "",
            "US-EAST-1",
            "us east 1",
            "../etc",
            "us-east-1:x",
            "a",
            &"a".repeat(26),
        ] {
            assert!(bad.parse::<Region>().is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_are_valid_and_match_their_constants() {
        let config = Config::default();
        assert_eq!(config.port, DEFAULT_PORT);
        assert_eq!(DEFAULT_REGION.parse::<Region>().unwrap(), config.region);
        assert_eq!(
            DEFAULT_ACCOUNT_ID.parse::<AccountId>().unwrap(),
            config.account_id
        );
        assert_eq!(Config::ephemeral().port, 0);
        assert!(!config.verify_sigv4);
        assert_eq!(config.timeouts.request_head, REQUEST_HEAD_TIMEOUT);
        assert_eq!(config.max_header_bytes, MAX_REQUEST_HEADER_BYTES);
        assert!(config.check().is_ok());
    }

    #[test]
    fn verifying_signatures_needs_a_key() {
        let config = Config {
            verify_sigv4: true,
            ..Config::default()
        };
        let error = config.check().unwrap_err().to_string();
        assert!(error.contains("BERTH_CREDENTIALS"), "{error}");
        let config = Config {
            credentials: "AKID:secret:111122223333".parse().unwrap(),
            ..config
        };
        assert!(config.check().is_ok());
    }

    #[test]
    fn registry_auth_is_ecr_or_none() {
        assert_eq!(Config::default().registry_auth, RegistryAuth::Ecr);
        for mode in [RegistryAuth::Ecr, RegistryAuth::None] {
            assert_eq!(mode.to_string().parse::<RegistryAuth>(), Ok(mode));
        }
        assert_eq!("none".parse::<RegistryAuth>(), Ok(RegistryAuth::None));
        for bad in ["", "ECR", "off", "basic"] {
            let error = bad.parse::<RegistryAuth>().unwrap_err().to_string();
            assert!(
                error.contains("ecr") && error.contains("none"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn the_registry_host_may_end_with_the_listening_port() {
        assert_eq!(Config::default().registry_host, None);
        let scope = ecr_impl::store::Scope {
            account_id: "111122223333".parse().unwrap(),
            region: "eu-west-1".parse().unwrap(),
        };
        let fixed: RegistryHostSetting = "localhost:4566".parse().unwrap();
        assert_eq!(fixed.resolve(5000).unwrap().host(&scope), "localhost:4566");
        let listening: RegistryHostSetting = "localhost:{port}".parse().unwrap();
        assert_eq!(listening.to_string(), "localhost:{port}");
        assert_eq!(
            listening.resolve(41234).unwrap().host(&scope),
            "localhost:41234"
        );
        let template: RegistryHostSetting = "{account}.dkr.ecr.{region}.localhost:{port}"
            .parse()
            .unwrap();
        assert_eq!(
            template.resolve(5000).unwrap().proxy_endpoint(&scope),
            "http://111122223333.dkr.ecr.eu-west-1.localhost:5000"
        );
    }

    #[test]
    fn a_bad_registry_host_is_refused_as_given() {
        for (bad, why) in [
            ("{port}", "elsewhere than as its port"),
            ("{port}.test:1", "elsewhere than as its port"),
            ("localhost:{port}{port}", "elsewhere than as its port"),
            ("localhost:{port}:{port}", "elsewhere than as its port"),
            ("http://localhost:{port}", "scheme"),
            ("bad_host:{port}", "'_'"),
            ("berth", "Docker Hub"),
            ("localhost:99999", "port"),
        ] {
            let error = bad.parse::<RegistryHostSetting>().unwrap_err().to_string();
            assert!(error.contains(why), "{bad}: {error}");
            assert!(
                error.contains(&format!("'{bad}'")),
                "names the value given: {error}"
            );
        }
    }
}
