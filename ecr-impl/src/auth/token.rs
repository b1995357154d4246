//! Login passwords: the caller's registry (account and region) and an expiry, signed with
//! HMAC-SHA256 under a key only Berth holds. Pure functions: the time is always a
//! parameter, never read here.
//!
//! A password is `<payload>.<signature>`, both base64url without padding, where the payload
//! is `berth-login-1:<account>:<region>:<expires_at epoch ms>` and the signature is the
//! HMAC of the payload's bytes. Only characters that are safe in HTTP Basic credentials
//! and in a shell (`A-Z a-z 0-9 - _ .`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use berth_runtime::Timestamp;
use ecr_generated::types::{Region, RegistryId};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::limits::AUTHORIZATION_TOKEN_LIFETIME;
use crate::store::Scope;

type HmacSha256 = Hmac<Sha256>;

/// Names the payload's format, so a future format is never mistaken for this one.
const PAYLOAD_VERSION: &str = "berth-login-1";
/// Between the payload's fields (no account, region or number contains it).
const FIELD_SEPARATOR: char = ':';
/// Between the payload and its signature (not in the base64url alphabet).
const SIGNATURE_SEPARATOR: char = '.';
/// Names the key's text form (what a key file holds), for the same reason.
const KEY_TEXT_PREFIX: &str = "berth-token-key-1:";

/// The secret that signs login passwords: 32 random bytes (HMAC-SHA256's block-safe size).
/// Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKey([u8; TokenKey::LEN]);

/// What a valid password grants: the registry it was issued for, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginGrant {
    pub registry: Scope,
    pub expires_at: Timestamp,
}

/// A freshly minted password and when it stops being accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintedPassword {
    pub password: String,
    pub expires_at: Timestamp,
}

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not shaped like a password Berth issues.
    Malformed,
    /// Shaped like one, but not signed with this key: altered, or issued by another key.
    BadSignature,
    /// Genuine, but past its expiry.
    Expired { expired_at: Timestamp },
}

/// Why a key's text form could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTextError(&'static str);

impl TokenKey {
    /// Bytes in a key.
    pub const LEN: usize = 32;

    /// A new key from the operating system's random source.
    pub fn generate() -> Result<TokenKey, getrandom::Error> {
        let mut bytes = [0; TokenKey::LEN];
        getrandom::fill(&mut bytes)?;
        Ok(TokenKey(bytes))
    }

    pub fn from_bytes(bytes: [u8; TokenKey::LEN]) -> TokenKey {
        TokenKey(bytes)
    }

    /// The key as one line of text (what a key file holds): a versioned prefix and the
    /// bytes in standard base64.
    pub fn to_text(&self) -> String {
        format!("{KEY_TEXT_PREFIX}{}\n", STANDARD.encode(self.0))
    }

    /// Reads back exactly what [`TokenKey::to_text`] writes; anything else is refused.
    pub fn from_text(text: &str) -> Result<TokenKey, KeyTextError> {
        let line = text.strip_suffix('\n').unwrap_or(text);
        let encoded = line
            .strip_prefix(KEY_TEXT_PREFIX)
            .ok_or(KeyTextError("it does not start with the key format's name"))?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| KeyTextError("the key is not valid base64"))?;
        let bytes = <[u8; TokenKey::LEN]>::try_from(bytes)
            .map_err(|_| KeyTextError("the key does not have 32 bytes"))?;
        Ok(TokenKey(bytes))
    }

    /// A password for `registry`, valid from `now` for `limits::AUTHORIZATION_TOKEN_LIFETIME` (12 hours).
    pub fn mint(&self, registry: &Scope, now: Timestamp) -> MintedPassword {
        let lifetime_ms = AUTHORIZATION_TOKEN_LIFETIME.as_millis() as i64;
        let expires_at = Timestamp::from_epoch_millis(now.epoch_millis() + lifetime_ms);
        let payload = format!(
            "{PAYLOAD_VERSION}{FIELD_SEPARATOR}{}{FIELD_SEPARATOR}{}{FIELD_SEPARATOR}{}",
            registry.account_id,
            registry.region,
            expires_at.epoch_millis()
        );
        let signature = self.signer(payload.as_bytes()).finalize().into_bytes();
        let password = format!(
            "{}{SIGNATURE_SEPARATOR}{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        );
        MintedPassword {
            password,
            expires_at,
        }
    }

    /// What `password` grants at `now`: refused if it is not one of this key's passwords,
    /// or if `now` has reached its expiry (a password is valid strictly before it).
    pub fn verify(&self, password: &str, now: Timestamp) -> Result<LoginGrant, TokenError> {
        let (payload, signature) = password
            .split_once(SIGNATURE_SEPARATOR)
            .ok_or(TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        // The signature first: nothing unauthenticated is interpreted.
        self.signer(&payload)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let grant = parse_payload(&payload).ok_or(TokenError::Malformed)?;
        if now >= grant.expires_at {
            return Err(TokenError::Expired {
                expired_at: grant.expires_at,
            });
        }
        Ok(grant)
    }

    fn signer(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(payload);
        mac
    }
}

/// The grant a signed payload states; `None` if it is not this version's format.
fn parse_payload(payload: &[u8]) -> Option<LoginGrant> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut fields = text.split(FIELD_SEPARATOR);
    let (version, account, region, expires_at) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if version != PAYLOAD_VERSION || fields.next().is_some() {
        return None;
    }
    Some(LoginGrant {
        registry: Scope {
            account_id: RegistryId::try_from(account).ok()?,
            region: Region::try_from(region).ok()?,
        },
        expires_at: Timestamp::from_epoch_millis(expires_at.parse().ok()?),
    })
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed => f.write_str("not a password Berth issues"),
            TokenError::BadSignature => {
                f.write_str("the password was altered or issued with another key")
            }
            TokenError::Expired { expired_at } => write!(
                f,
                "the password expired at {} (epoch seconds)",
                expired_at.epoch_seconds()
            ),
        }
    }
}

impl std::error::Error for TokenError {}

impl fmt::Display for KeyTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for KeyTextError {}

// ---- Other tokens Berth signs with the same key (layer download URLs) ----

impl TokenKey {
    /// The HMAC-SHA256 of `payload`. Every kind of token starts its payload with its own
    /// format name (as [`PAYLOAD_VERSION`] does), so no token passes for another kind.
    pub(crate) fn sign(&self, payload: &[u8]) -> Vec<u8> {
        self.signer(payload).finalize().into_bytes().to_vec()
    }

    /// Whether `signature` is this key's HMAC of `payload` (compared in constant time).
    pub(crate) fn signed(&self, payload: &[u8], signature: &[u8]) -> bool {
        self.signer(payload).verify_slice(signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The clock of these tests.
    fn now() -> Timestamp {
        Timestamp::from_epoch_millis(1_700_000_000_123)
    }

    fn key(byte: u8) -> TokenKey {
        TokenKey::from_bytes([byte; TokenKey::LEN])
    }

    fn registry(account: &str, region: &str) -> Scope {
        Scope {
            account_id: RegistryId::try_from(account).unwrap(),
            region: Region::try_from(region).unwrap(),
        }
    }

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_epoch_millis(millis)
    }

    /// `password` with its payload replaced by `payload`, the signature kept.
    fn with_payload(password: &str, payload: &str) -> String {
        let (_, signature) = password.split_once('.').unwrap();
        format!("{}.{signature}", URL_SAFE_NO_PAD.encode(payload))
    }

    fn payload_of(password: &str) -> String {
        let (payload, _) = password.split_once('.').unwrap();
        String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    }

    #[test]
    fn a_minted_password_verifies_to_its_registry_and_expiry() {
        let registry = registry("111122223333", "eu-west-3");
        let minted = key(1).mint(&registry, now());
        assert_eq!(
            minted.expires_at,
            at(now().epoch_millis() + 12 * 3600 * 1000)
        );
        let grant = key(1).verify(&minted.password, now()).unwrap();
        assert_eq!(
            grant,
            LoginGrant {
                registry,
                expires_at: minted.expires_at
            }
        );
        assert!(
            minted
                .password
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{}",
            minted.password
        );
    }

    #[test]
    fn changing_any_field_breaks_the_signature() {
        let minted = key(1).mint(&registry("111122223333", "us-east-1"), now());
        let payload = payload_of(&minted.password);
        let expires = minted.expires_at.epoch_millis().to_string();
        assert_eq!(
            payload,
            format!("berth-login-1:111122223333:us-east-1:{expires}")
        );
        let later = (minted.expires_at.epoch_millis() + 3_600_000).to_string();
        for tampered in [
            payload.replace("111122223333", "999999999999"),
            payload.replace("us-east-1", "us-west-2"),
            payload.replace(&expires, &later),
            payload.replace("berth-login-1", "berth-login-2"),
        ] {
            assert_ne!(tampered, payload);
            assert_eq!(
                key(1).verify(&with_payload(&minted.password, &tampered), now()),
                Err(TokenError::BadSignature),
                "{tampered}"
            );
        }
        // The signature itself: one bit flipped.
        let (encoded, signature) = minted.password.split_once('.').unwrap();
        let mut signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        signature[0] ^= 1;
        let flipped = format!("{encoded}.{}", URL_SAFE_NO_PAD.encode(&signature));
        assert_eq!(
            key(1).verify(&flipped, now()),
            Err(TokenError::BadSignature)
        );
        // A truncated signature (cut in bytes, so its text is still valid base64url).
        signature[0] ^= 1;
        signature.truncate(16);
        let truncated = format!("{encoded}.{}", URL_SAFE_NO_PAD.encode(&signature));
        assert_eq!(
            key(1).verify(&truncated, now()),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn another_key_does_not_accept_the_password() {
        let minted = key(1).mint(&registry("111122223333", "us-east-1"), now());
        assert_eq!(
            key(2).verify(&minted.password, now()),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn a_password_is_valid_until_the_millisecond_before_its_expiry() {
        let minted = key(1).mint(&registry("111122223333", "us-east-1"), now());
        let expiry = minted.expires_at.epoch_millis();
        assert!(key(1).verify(&minted.password, at(expiry - 1)).is_ok());
        assert_eq!(
            key(1).verify(&minted.password, at(expiry)),
            Err(TokenError::Expired {
                expired_at: minted.expires_at
            })
        );
        assert!(matches!(
            key(1).verify(&minted.password, at(expiry + 86_400_000)),
            Err(TokenError::Expired { .. })
        ));
    }

    #[test]
    fn garbage_is_malformed() {
        let minted = key(1).mint(&registry("111122223333", "us-east-1"), now());
        let (payload, signature) = minted.password.split_once('.').unwrap();
        for garbage in [
            String::new(),
            "AWS".to_owned(),
            "no separator at all".to_owned(),
            payload.to_owned(),
            format!("{payload}.{signature}.extra"),
            format!("{payload}=.{signature}"),
            format!("!!!.{signature}"),
            format!("{payload}.***"),
            "é.é".to_owned(),
        ] {
            assert_eq!(
                key(1).verify(&garbage, now()),
                Err(TokenError::Malformed),
                "{garbage}"
            );
        }
    }

    #[test]
    fn a_signed_payload_of_another_shape_is_malformed() {
        // Signed with the right key, so only the payload's shape can refuse it.
        let sign = |payload: &str| {
            let signature = key(1).signer(payload.as_bytes()).finalize().into_bytes();
            format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(payload),
                URL_SAFE_NO_PAD.encode(signature)
            )
        };
        let valid = "berth-login-1:111122223333:us-east-1:1700043200123";
        assert!(key(1).verify(&sign(valid), now()).is_ok());
        for payload in [
            "berth-login-2:111122223333:us-east-1:1700043200123",
            "berth-login-1:11112222333:us-east-1:1700043200123",
            "berth-login-1:111122223333:US-EAST-1:1700043200123",
            "berth-login-1:111122223333:us-east-1:soon",
            "berth-login-1:111122223333:us-east-1",
            "berth-login-1:111122223333:us-east-1:1700043200123:x",
        ] {
            assert_eq!(
                key(1).verify(&sign(payload), now()),
                Err(TokenError::Malformed),
                "{payload}"
            );
        }
    }

    #[test]
    fn a_key_survives_its_text_form_and_damaged_text_is_refused() {
        let original = TokenKey::generate().unwrap();
        let text = original.to_text();
        assert_eq!(TokenKey::from_text(&text), Ok(original.clone()));
        assert_eq!(TokenKey::from_text(text.trim_end()), Ok(original.clone()));
        let body = text.trim_end().strip_prefix(KEY_TEXT_PREFIX).unwrap();
        for damaged in [
            String::new(),
            body.to_owned(),
            format!("{KEY_TEXT_PREFIX}{}", &body[..body.len() - 4]),
            format!("{KEY_TEXT_PREFIX}{body}{body}"),
            format!("{KEY_TEXT_PREFIX}{}!", &body[..body.len() - 1]),
            format!("{text}\n"),
        ] {
            assert!(TokenKey::from_text(&damaged).is_err(), "{damaged:?}");
        }
        // Two generated keys differ, and the Debug form hides the bytes.
        assert_ne!(TokenKey::generate().unwrap(), original);
        assert_eq!(format!("{original:?}"), "TokenKey(..)");
    }
}
