//! The cryptographic half of SigV4: hashing, the string to sign, the derived signing key
//! and the constant-time comparison of signatures.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::authorization::ALGORITHM;

type HmacSha256 = Hmac<Sha256>;

/// Lowercase hex of SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256 of the canonical request>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The key for one day, region and service: HMAC chained from `"AWS4" + secret`.
pub fn signing_key(secret: &str, day: &str, region: &str, service: &str) -> Vec<u8> {
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [day, region, service, super::authorization::TERMINATOR] {
        key = hmac(&key, part.as_bytes());
    }
    key
}

/// Lowercase hex signature of `string_to_sign` with `key` (what a client sends).
pub fn signature(key: &[u8], string_to_sign: &str) -> String {
    hex(&hmac(key, string_to_sign.as_bytes()))
}

/// Whether `provided` (hex) is the signature of `string_to_sign`, compared in constant time
/// so the comparison does not reveal how much of a guess was right.
pub fn signature_matches(key: &[u8], string_to_sign: &str, provided: &str) -> bool {
    let Some(provided) = unhex(provided) else {
        return false;
    };
    let mut mac = new_mac(key);
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&provided).is_ok()
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts any key length")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Bytes of a hex string (either case), `None` if it is not one.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret of AWS's SigV4 examples and test suite.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn hashes_are_lowercase_hex() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // The test suite's post-x-www-form-urlencoded body.
        assert_eq!(
            sha256_hex(b"Param1=value1"),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        );
    }

    #[test]
    fn hex_round_trips_and_rejects_non_hex() {
        assert_eq!(unhex("00ff7A"), Some(vec![0, 255, 122]));
        assert_eq!(hex(&[0, 255, 122]), "00ff7a");
        for bad in ["0", "zz", "0g", "é1"] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
    }

    #[test]
    fn signatures_compare_only_when_equal() {
        let key = signing_key(SECRET, "20150830", "us-east-1", "service");
        let right = signature(&key, "text");
        assert!(signature_matches(&key, "text", &right));
        assert!(signature_matches(&key, "text", &right.to_uppercase()));
        assert!(!signature_matches(&key, "text2", &right));
        assert!(!signature_matches(&key, "text", &right[..62]));
        assert!(!signature_matches(&key, "text", ""));
        let other = signing_key("another secret", "20150830", "us-east-1", "service");
        assert!(!signature_matches(&other, "text", &right));
    }
}
