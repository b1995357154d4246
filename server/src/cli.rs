//! The `berth` command line: flags, each with an environment variable, mapped onto
//! [`Config`]. Defaults come from `config.rs`, so the binary and the library agree.

use clap::Parser;

use crate::config::{self, AccountId, Config, Region};

/// The one line `berth` prints on stdout, once it accepts connections:
/// `BERTH_ENDPOINT=http://HOST:PORT`. Scripts read the port from it when started with 0.
pub const ENDPOINT_PREFIX: &str = "BERTH_ENDPOINT=";

pub const ENV_HOST: &str = "BERTH_HOST";
pub const ENV_PORT: &str = "BERTH_PORT";
pub const ENV_REGION: &str = "BERTH_REGION";
pub const ENV_ACCOUNT_ID: &str = "BERTH_ACCOUNT_ID";
pub const ENV_LOG: &str = "BERTH_LOG";

/// Amazon ECR emulated locally.
///
/// Serves the ECR API (awsJson1.1, as AWS SDKs, the AWS CLI and Terraform speak it) at
/// POST / and admin endpoints under /_berth/. Once it accepts connections it prints one
/// line, BERTH_ENDPOINT=http://HOST:PORT, on stdout; logs go to stderr. Stop it with
/// Ctrl-C or SIGTERM.
#[derive(Debug, Clone, Parser)]
#[command(name = "berth", version)]
pub struct Cli {
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
}

impl Cli {
    /// The server settings these flags ask for.
    pub fn config(&self) -> Config {
        Config {
            host: self.host.clone(),
            port: self.port,
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            ..Config::default()
        }
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
        ])
        .unwrap();
        let config = cli.config();
        assert_eq!(config.host, "0.0.0.0");
        assert_eq!(config.port, 0);
        assert_eq!(config.region.as_str(), "eu-west-1");
        assert_eq!(config.account_id.as_str(), "111122223333");
        assert_eq!(config.max_body_bytes, config::MAX_REQUEST_BODY_BYTES);
        assert_eq!(cli.log, "debug");
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
        ] {
            assert!(
                help.contains(flag) && help.contains(env),
                "{flag} / {env} missing from:\n{help}"
            );
        }
    }
}
