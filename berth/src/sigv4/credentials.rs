//! The keys Berth accepts when verifying signatures, from
//! `BERTH_CREDENTIALS=AKID:SECRET:ACCOUNT[,AKID:SECRET:ACCOUNT...]`.

use std::fmt;
use std::str::FromStr;

use crate::config::{AccountId, InvalidSetting};

/// One key: its id, its secret and the account whose caller it makes.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    secret: String,
    pub account_id: AccountId,
}

impl Credential {
    pub fn new(access_key_id: &str, secret: &str, account_id: AccountId) -> Credential {
        Credential {
            access_key_id: access_key_id.to_owned(),
            secret: secret.to_owned(),
            account_id,
        }
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// Secrets never reach logs or `--help`: Debug shows the key id and account only.
impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl FromStr for Credential {
    type Err = InvalidSetting;

    /// `AKID:SECRET:ACCOUNT`. The key id has no `:` and the account is 12 digits, so the
    /// secret is everything between the first and the last `:`.
    fn from_str(text: &str) -> Result<Credential, InvalidSetting> {
        let text = text.trim();
        let shape = || {
            InvalidSetting::new(format!(
                "'{}' is not a credential: write ACCESS_KEY_ID:SECRET:ACCOUNT_ID",
                redact(text)
            ))
        };
        let (access_key_id, rest) = text.split_once(':').ok_or_else(shape)?;
        let (secret, account) = rest.rsplit_once(':').ok_or_else(shape)?;
        if access_key_id.is_empty() || secret.is_empty() {
            return Err(shape());
        }
        let account_id = account.parse::<AccountId>()?;
        Ok(Credential::new(access_key_id, secret, account_id))
    }
}

/// A credential as text, its secret hidden: for error messages.
fn redact(text: &str) -> String {
    match (text.split_once(':'), text.rsplit_once(':')) {
        (Some((akid, _)), Some((_, account))) if text.matches(':').count() >= 2 => {
            format!("{akid}:<secret>:{account}")
        }
        _ => "<hidden>".to_owned(),
    }
}

/// Every key Berth accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials(Vec<Credential>);

impl Credentials {
    pub fn new(credentials: Vec<Credential>) -> Credentials {
        Credentials(credentials)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The credential of `access_key_id`.
    pub fn find(&self, access_key_id: &str) -> Option<&Credential> {
        self.0.iter().find(|c| c.access_key_id == access_key_id)
    }
}

impl FromStr for Credentials {
    type Err = InvalidSetting;

    /// A comma-separated list of `AKID:SECRET:ACCOUNT`; a key id given twice is an error.
    fn from_str(text: &str) -> Result<Credentials, InvalidSetting> {
        let mut credentials: Vec<Credential> = Vec::new();
        for item in text.split(',').filter(|item| !item.trim().is_empty()) {
            let credential: Credential = item.parse()?;
            if credentials
                .iter()
                .any(|c| c.access_key_id == credential.access_key_id)
            {
                return Err(InvalidSetting::new(format!(
                    "the access key id '{}' is given twice",
                    credential.access_key_id
                )));
            }
            credentials.push(credential);
        }
        Ok(Credentials(credentials))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_of_keys_parse() {
        let credentials: Credentials = "AKIDA:secretA:111111111111, AKIDB:se:cr/et+B:222222222222"
            .parse()
            .unwrap();
        assert_eq!(credentials.len(), 2);
        let b = credentials.find("AKIDB").unwrap();
        assert_eq!(b.secret(), "se:cr/et+B");
        assert_eq!(b.account_id.as_str(), "222222222222");
        assert!(credentials.find("AKIDC").is_none());
        assert!("".parse::<Credentials>().unwrap().is_empty());
    }

    #[test]
    fn malformed_keys_are_refused_without_showing_the_secret() {
        for bad in [
            "AKID",
            "AKID:secret",
            ":secret:111111111111",
            "AKID::111111111111",
            "AKID:topsecret:1234",
            "AKID:topsecret:111111111111,AKID:other:222222222222",
        ] {
            let error = bad.parse::<Credentials>().unwrap_err().to_string();
            assert!(!error.contains("topsecret"), "{bad}: {error}");
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let credentials: Credentials = "AKIDA:topsecret:111111111111".parse().unwrap();
        let shown = format!("{credentials:?}");
        assert!(
            shown.contains("AKIDA") && !shown.contains("topsecret"),
            "{shown}"
        );
    }
}
