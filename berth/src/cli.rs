//! The `berth` command line: flags, each with an environment variable, mapped onto
//! [`Config`]. Defaults come from `config.rs`, so the binary and the library agree.

use std::path::PathBuf;

use clap::Parser;

use crate::config::{self, AccountId, Config, Region, RegistryAuth, RegistryHostSetting};
use crate::sigv4::Credentials;
use crate::upstream::UpstreamMapping;

/// The one line `berth` prints on stdout, once it accepts connections:
/// `BERTH_ENDPOINT=http://HOST:PORT`. Scripts read the port from it when started with 0.
pub const ENDPOINT_PREFIX: &str = "BERTH_ENDPOINT=";

pub const ENV_HOST: &str = "BERTH_HOST";
pub const ENV_PORT: &str = "BERTH_PORT";
pub const ENV_REGION: &str = "BERTH_REGION";
pub const ENV_ACCOUNT_ID: &str = "BERTH_ACCOUNT_ID";
pub const ENV_LOG: &str = "BERTH_LOG";
pub const ENV_DATA_DIR: &str = "BERTH_DATA_DIR";
pub const ENV_VERIFY_SIGV4: &str = "BERTH_VERIFY_SIGV4";
pub const ENV_CREDENTIALS: &str = "BERTH_CREDENTIALS";
pub const ENV_REGISTRY_AUTH: &str = "BERTH_REGISTRY_AUTH";
pub const ENV_REGISTRY_HOST: &str = "BERTH_REGISTRY_HOST";
pub const ENV_CONSOLE_WRITES: &str = "BERTH_CONSOLE_WRITES";
pub const ENV_LIFECYCLE_INTERVAL: &str = "BERTH_LIFECYCLE_INTERVAL";
pub const ENV_UPSTREAMS: &str = "BERTH_UPSTREAMS";
pub const ENV_EVENTBRIDGE_ENDPOINT: &str = "BERTH_EVENTBRIDGE_ENDPOINT";
pub const ENV_EVENTBRIDGE_BUS: &str = "BERTH_EVENTBRIDGE_BUS";

/// Amazon ECR emulated locally.
///
/// Serves the ECR API (awsJson1.1, as AWS SDKs, the AWS CLI and Terraform speak it) at
/// POST / and admin endpoints under /_berth/. Once it accepts connections it prints one
/// line, BERTH_ENDPOINT=http://HOST:PORT, on stdout; logs go to stderr. Stop it with
/// Ctrl-C or SIGTERM.
#[derive(Debug, Clone, Parser)]
#[command(name = "berth", version)]
pub struct Cli {
    /// Without a command, Berth serves.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Host name or IP address to listen on (0.0.0.0 to accept connections from other
    /// machines).
    #[arg(long, env = ENV_HOST, default_value = config::DEFAULT_HOST)]
    pub host: String,

    /// TCP port to listen on; 0 picks any free port (printed in the BERTH_ENDPOINT line).
    #[arg(long, env = ENV_PORT, default_value_t = config::DEFAULT_PORT)]
    pub port: u16,

    /// Region of requests that carry no SigV4 credential scope. Signed requests use the
    /// region of their credential scope, so one server serves every region.
    #[arg(long, env = ENV_REGION, default_value = config::DEFAULT_REGION)]
    pub region: Region,

    /// Account (12 digits) of requests whose access key id is not itself a 12-digit
    /// account id. Use a 12-digit access key id to act as that account.
    #[arg(long, env = ENV_ACCOUNT_ID, default_value = config::DEFAULT_ACCOUNT_ID)]
    pub account_id: AccountId,

    /// Log level (error, warn, info, debug, trace, off) or a tracing filter such as
    /// "berth=debug,info". Logs go to stderr.
    #[arg(long, env = ENV_LOG, default_value = config::DEFAULT_LOG, value_parser = log_filter)]
    pub log: String,

    /// Keep all state in an embedded database in DIR (created if missing), so it survives
    /// restarts and crashes: every change is on disk before it is answered. Without it,
    /// state lives in memory and is gone when Berth stops. One Berth per DIR.
    #[arg(long, env = ENV_DATA_DIR, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Require every API request to carry a valid AWS Signature Version 4 made with one of
    /// the --credentials keys; the key's account becomes the caller's account. Admin
    /// endpoints then answer only loopback clients and signed requests. Off by default:
    /// like other emulators, Berth accepts any credentials.
    #[arg(long, env = ENV_VERIFY_SIGV4, value_parser = clap::builder::BoolishValueParser::new())]
    pub verify_sigv4: bool,

    /// The keys accepted with --verify-sigv4, as ACCESS_KEY_ID:SECRET:ACCOUNT_ID, comma
    /// separated. Prefer the environment variable: arguments are visible to other users.
    #[arg(long, env = ENV_CREDENTIALS, value_name = "AKID:SECRET:ACCOUNT,...", hide_env_values = true, value_parser = CredentialsParser)]
    pub credentials: Option<Credentials>,

    /// Who may push and pull through the OCI registry at /v2/: "ecr", as ECR (docker login
    /// -u AWS with a password from aws ecr get-login-password, which names the account and
    /// region), or "none" (anyone, anonymously, into the default account and region).
    #[arg(long, env = ENV_REGISTRY_AUTH, value_name = "ecr|none", default_value_t = RegistryAuth::default())]
    pub registry_auth: RegistryAuth,

    /// Make repositoryUri HOST[:PORT]/NAME and GetAuthorizationToken's proxyEndpoint
    /// http://HOST[:PORT], so the URIs Berth answers push to Berth (e.g. localhost:4566;
    /// docker treats 127.0.0.0/8 as a plain-HTTP registry). The host may hold {account}
    /// and {region}, filled per registry ({account}.dkr.ecr.{region}.localhost:4566), and
    /// the port may be {port}, the port Berth listens on. Without it they keep AWS's
    /// forms, <account>.dkr.ecr.<region>.amazonaws.com.
    #[arg(long, env = ENV_REGISTRY_HOST, value_name = "HOST[:PORT]")]
    pub registry_host: Option<RegistryHostSetting>,

    /// Let the console at /_berth/ui/ delete images (BatchDeleteImage) and repositories
    /// (DeleteRepository), each after a confirmation. Off by default: the console only
    /// reads.
    #[arg(long, env = ENV_CONSOLE_WRITES, value_parser = clap::builder::BoolishValueParser::new())]
    pub console_writes: bool,
    /// Run every lifecycle policy every SECONDS (expiring and archiving images as the
    /// policies say); 0 turns the background runs off (POST /_berth/lifecycle/run still
    /// runs them on demand).
    #[arg(long, env = ENV_LIFECYCLE_INTERVAL, value_name = "SECONDS", default_value_t = config::DEFAULT_LIFECYCLE_INTERVAL_SECONDS)]
    pub lifecycle_interval: u64,
    /// Where a pull through cache rule's upstream is really reached: HOST is the rule's
    /// upstreamRegistryUrl (quay.io, registry-1.docker.io, ...), URL a plain-HTTP registry
    /// (http://[USER:PASSWORD@]HOST[:PORT]; the user and password are what Berth sends
    /// upstream). Repeatable; the variable takes HOST=URL pairs, comma separated. A rule
    /// whose upstream has no mapping cannot pull (NAME_UNKNOWN).
    #[arg(long = "upstream", env = ENV_UPSTREAMS, value_name = "HOST=URL", value_delimiter = ',', hide_env_values = true, value_parser = UpstreamParser)]
    pub upstreams: Vec<UpstreamMapping>,
    /// Also deliver every event (GET /_berth/events) with EventBridge's PutEvents to this
    /// EventBridge-compatible endpoint (http://HOST[:PORT]), SigV4-signed with
    /// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (else test/test). Never delays an ECR call.
    #[arg(long, env = ENV_EVENTBRIDGE_ENDPOINT, value_name = "URL")]
    pub eventbridge_endpoint: Option<String>,

    /// The event bus --eventbridge-endpoint delivers to.
    #[arg(long, env = ENV_EVENTBRIDGE_BUS, value_name = "NAME", default_value = crate::eventbridge::DEFAULT_BUS)]
    pub eventbridge_bus: String,
}

/// What `berth COMMAND` does instead of serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Exit 0 if the Berth of these --host/--port settings (or of --url) answers its health
    /// endpoint with status ok, 1 otherwise. For container HEALTHCHECKs: the image has no
    /// shell or curl, so set the port with BERTH_PORT, which both the server and this probe
    /// read.
    Healthcheck {
        /// The health endpoint to probe, instead of /_berth/health on the --host/--port
        /// address (a wildcard --host such as 0.0.0.0 is probed on loopback).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

impl Cli {
    /// The URL `berth healthcheck` probes: `--url`, else the health endpoint of these
    /// flags' listening address.
    pub fn health_url(&self) -> String {
        match &self.command {
            Some(Command::Healthcheck { url: Some(url) }) => url.clone(),
            _ => crate::healthcheck::local_health_url(&self.host, self.port),
        }
    }

    /// The server settings these flags ask for.
    pub fn config(&self) -> Config {
        Config {
            host: self.host.clone(),
            port: self.port,
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            data_dir: self.data_dir.clone(),
            verify_sigv4: self.verify_sigv4,
            credentials: self.credentials.clone().unwrap_or_default(),
            registry_auth: self.registry_auth,
            registry_host: self.registry_host.clone(),
            console_writes: self.console_writes,
            lifecycle_interval_seconds: self.lifecycle_interval,
            upstreams: self.upstreams.clone(),
            eventbridge_endpoint: self.eventbridge_endpoint.clone(),
            eventbridge_bus: self.eventbridge_bus.clone(),
            ..Config::default()
        }
    }
}

/// Parses `--credentials` with an error that never repeats the value: clap's usual
/// "invalid value '<value>'" would print the secrets it holds.
#[derive(Debug, Clone, Copy)]
struct CredentialsParser;

impl clap::builder::TypedValueParser for CredentialsParser {
    type Value = Credentials;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Credentials, clap::Error> {
        let invalid = |why: &dyn std::fmt::Display| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid --credentials ({ENV_CREDENTIALS}): {why}\n"),
            )
        };
        let text = value
            .to_str()
            .ok_or_else(|| invalid(&"the value is not UTF-8 text"))?;
        text.parse().map_err(|e| invalid(&e))
    }
}

/// Parses one `--upstream` mapping with an error that never repeats the value (its URL may
/// hold a password), as [`CredentialsParser`] does.
#[derive(Debug, Clone, Copy)]
struct UpstreamParser;

impl clap::builder::TypedValueParser for UpstreamParser {
    type Value = UpstreamMapping;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<UpstreamMapping, clap::Error> {
        let invalid = |why: &dyn std::fmt::Display| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid --upstream ({ENV_UPSTREAMS}): {why}\n"),
            )
        };
        let text = value
            .to_str()
            .ok_or_else(|| invalid(&"the value is not UTF-8 text"))?;
        text.parse().map_err(|e| invalid(&e))
    }
}

/// Checks a log filter at startup, so a typo is an error rather than silence.
fn log_filter(text: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(text)
        .map(|_| text.to_owned())
        .map_err(|e| format!("not a log level or filter: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Parses flags as the binary would (BERTH_* variables are not set for unit tests;
    /// the binary tests cover the environment).
    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("berth").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_become_the_config() {
        let cli = parse(&[
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--region",
            "eu-west-1",
            "--account-id",
            "111122223333",
            "--log",
            "debug",
            "--data-dir",
            "/var/lib/berth",
        ])
        .unwrap();
        let config = cli.config();
        assert_eq!(config.host, "0.0.0.0");
        assert_eq!(config.port, 0);
        assert_eq!(config.region.as_str(), "eu-west-1");
        assert_eq!(config.account_id.as_str(), "111122223333");
        assert_eq!(config.max_body_bytes, config::MAX_REQUEST_BODY_BYTES);
        assert_eq!(config.data_dir, Some(PathBuf::from("/var/lib/berth")));
        assert_eq!(cli.log, "debug");
    }

    #[test]
    fn registry_flags_become_the_config() {
        let defaults = parse(&[]).unwrap().config();
        assert_eq!(defaults.registry_auth, RegistryAuth::Ecr);
        assert_eq!(defaults.registry_host, None);
        let config = parse(&[
            "--registry-auth",
            "none",
            "--registry-host",
            "{account}.dkr.ecr.{region}.localhost:{port}",
        ])
        .unwrap()
        .config();
        assert_eq!(config.registry_auth, RegistryAuth::None);
        assert_eq!(
            config.registry_host.map(|host| host.to_string()).as_deref(),
            Some("{account}.dkr.ecr.{region}.localhost:{port}")
        );
    }

    #[test]
    fn signature_verification_takes_its_keys() {
        let cli = parse(&[
            "--verify-sigv4",
            "--credentials",
            "AKIDA:secretA:111111111111,AKIDB:secretB:222222222222",
        ])
        .unwrap();
        let config = cli.config();
        assert!(config.verify_sigv4);
        assert_eq!(config.credentials.len(), 2);
        assert_eq!(
            config
                .credentials
                .find("AKIDB")
                .unwrap()
                .account_id
                .as_str(),
            "222222222222"
        );
        let off = parse(&[]).unwrap().config();
        assert!(!off.verify_sigv4 && off.credentials.is_empty());
    }

    #[test]
    fn bad_credentials_are_refused_without_echoing_secrets() {
        let error = parse(&["--credentials", "AKIDA:topsecret:12"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--credentials"), "{error}");
        assert!(!error.contains("topsecret"), "{error}");
    }

    #[test]
    fn bad_values_are_clear_startup_errors() {
        let error = parse(&["--account-id", "1234"]).unwrap_err().to_string();
        assert!(
            error.contains("--account-id") && error.contains("12 digits"),
            "{error}"
        );
        let error = parse(&["--port", "70000"]).unwrap_err().to_string();
        assert!(error.contains("--port"), "{error}");
        let error = parse(&["--region", "Not A Region"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--region"), "{error}");
        let error = parse(&["--log", "berth=loud"]).unwrap_err().to_string();
        assert!(error.contains("--log"), "{error}");
        let error = parse(&["--registry-auth", "basic"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--registry-auth") && error.contains("ecr") && error.contains("none"),
            "{error}"
        );
        let error = parse(&["--registry-host", "https://localhost:4566"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--registry-host") && error.contains("scheme"),
            "{error}"
        );
    }

    #[test]
    fn upstream_mappings_repeat_and_split_on_commas() {
        assert!(parse(&[]).unwrap().config().upstreams.is_empty());
        let config = parse(&[
            "--upstream",
            "quay.io=http://127.0.0.1:5000",
            "--upstream",
            "ghcr.io=http://u:p@127.0.0.1:5001,cgr.dev=http://127.0.0.1:5002",
        ])
        .unwrap()
        .config();
        let hosts: Vec<_> = config
            .upstreams
            .iter()
            .map(|mapping| mapping.registry_url.as_str())
            .collect();
        assert_eq!(hosts, ["quay.io", "ghcr.io", "cgr.dev"]);
        let error = parse(&["--upstream", "ghcr.io=https://u:hidden@127.0.0.1"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("http://") && !error.contains("hidden"),
            "{error}"
        );
    }

    #[test]
    fn healthcheck_probes_the_serving_address_or_a_url() {
        let serving = parse(&[]).unwrap();
        assert!(serving.command.is_none());
        let probe = parse(&["--host", "0.0.0.0", "--port", "5000", "healthcheck"]).unwrap();
        assert!(matches!(
            probe.command,
            Some(Command::Healthcheck { url: None })
        ));
        assert_eq!(probe.health_url(), "http://127.0.0.1:5000/_berth/health");
        let probe = parse(&["healthcheck", "--url", "http://berth:4566/_berth/health"]).unwrap();
        assert_eq!(probe.health_url(), "http://berth:4566/_berth/health");
    }

    #[test]
    fn help_names_every_flag_and_its_environment_variable() {
        let help = Cli::command().render_long_help().to_string();
        for (flag, env) in [
            ("--host", ENV_HOST),
            ("--port", ENV_PORT),
            ("--region", ENV_REGION),
            ("--account-id", ENV_ACCOUNT_ID),
            ("--log", ENV_LOG),
            ("--data-dir", ENV_DATA_DIR),
            ("--verify-sigv4", ENV_VERIFY_SIGV4),
            ("--credentials", ENV_CREDENTIALS),
            ("--registry-auth", ENV_REGISTRY_AUTH),
            ("--registry-host", ENV_REGISTRY_HOST),
            ("--console-writes", ENV_CONSOLE_WRITES),
            ("--lifecycle-interval", ENV_LIFECYCLE_INTERVAL),
            ("--upstream", ENV_UPSTREAMS),
            ("--eventbridge-endpoint", ENV_EVENTBRIDGE_ENDPOINT),
            ("--eventbridge-bus", ENV_EVENTBRIDGE_BUS),
        ] {
            assert!(
                help.contains(flag) && help.contains(env),
                "{flag} / {env} missing from:\n{help}"
            );
        }
    }
}
