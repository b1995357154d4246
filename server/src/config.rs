//! What a Berth server is started with, its defaults and limits: the one place they live.
//! The CLI (`cli.rs`) only maps flags onto [`Config`]; tests build a [`Config`] directly.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

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
}

impl Default for Config {
    /// The binary's defaults: 127.0.0.1:4566, us-east-1, account 123456789012.
    fn default() -> Config {
        Config {
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
            region: Region(DEFAULT_REGION.to_owned()),
            account_id: AccountId(DEFAULT_ACCOUNT_ID.to_owned()),
            max_body_bytes: MAX_REQUEST_BODY_BYTES,
        }
    }
}

impl Config {
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

impl fmt::Display for InvalidSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidSetting {}

/// An AWS account id: exactly 12 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// Whether `text` is an account id (what a 12-digit access key id is taken for).
    pub fn is_valid(text: &str) -> bool {
        text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = InvalidSetting;

    fn from_str(text: &str) -> Result<AccountId, InvalidSetting> {
        if AccountId::is_valid(text) {
            Ok(AccountId(text.to_owned()))
        } else {
            Err(InvalidSetting(format!(
                "'{text}' is not an AWS account id: it must be exactly 12 digits"
            )))
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An AWS region name such as `us-east-1`. Regions end up inside ARNs and URIs, so only
/// their character set is accepted: lowercase ASCII letters, digits and `-`, at most
/// [`Region::MAX_LEN`] characters, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region(String);

impl Region {
    /// Longer than any real region name, short enough to keep ARNs sane.
    pub const MAX_LEN: usize = 32;

    /// Whether `text` is shaped like a region name.
    pub fn is_valid(text: &str) -> bool {
        text.len() <= Region::MAX_LEN
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Region {
    type Err = InvalidSetting;

    fn from_str(text: &str) -> Result<Region, InvalidSetting> {
        if Region::is_valid(text) {
            Ok(Region(text.to_owned()))
        } else {
            Err(InvalidSetting(format!(
                "'{text}' is not a region name: use lowercase letters, digits and '-', like us-east-1"
            )))
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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
            "1us",
            &"a".repeat(33),
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
    }
}
