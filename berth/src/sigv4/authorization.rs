//! The SigV4 `Authorization` header:
//! `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
//! SignedHeaders=a;b;c, Signature=<64 hex>` (components in any order, `,` with optional
//! spaces between them).

use super::errors::{self, AuthError};

/// The one signing algorithm Berth verifies.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every SigV4 credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// A parsed header, borrowing from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    /// `YYYYMMDD` of the credential scope.
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
    /// Lowercase header names, in the order given (SigV4 signs them sorted).
    pub signed_headers: Vec<&'a str>,
    /// The hex signature as sent.
    pub signature: &'a str,
}

impl<'a> Authorization<'a> {
    pub fn parse(header: &'a str) -> Result<Authorization<'a>, AuthError> {
        let header = header.trim();
        let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
        if algorithm != ALGORITHM {
            return Err(AuthError::incomplete(errors::unsupported_algorithm(
                algorithm,
            )));
        }
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for component in rest.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let (name, value) = component.split_once('=').unwrap_or((component, ""));
            match name.trim() {
                "Credential" => credential = Some(value.trim()),
                "SignedHeaders" => signed_headers = Some(value.trim()),
                "Signature" => signature = Some(value.trim()),
                // Unknown components are ignored, as AWS does.
                _ => {}
            }
        }
        let missing: Vec<&str> = [
            ("Credential", credential.is_none()),
            ("Signature", signature.is_none()),
            ("SignedHeaders", signed_headers.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect();
        if !missing.is_empty() {
            return Err(AuthError::incomplete(errors::missing_components(&missing)));
        }
        let (credential, signed_headers, signature) = (
            credential.unwrap_or_default(),
            signed_headers.unwrap_or_default(),
            signature.unwrap_or_default(),
        );
        let scope: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, terminator] = scope[..] else {
            return Err(AuthError::incomplete(errors::malformed_credential(
                credential,
            )));
        };
        if access_key_id.is_empty() {
            return Err(AuthError::incomplete(errors::malformed_credential(
                credential,
            )));
        }
        Ok(Authorization {
            access_key_id,
            date,
            region,
            service,
            terminator,
            signed_headers: signed_headers.split(';').collect(),
            signature,
        })
    }

    /// `DATE/REGION/SERVICE/aws4_request`: what the string to sign names.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDK_STYLE: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecr/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    #[test]
    fn sdk_headers_are_read_whole() {
        let parsed = Authorization::parse(SDK_STYLE).unwrap();
        assert_eq!(parsed.access_key_id, "AKIDEXAMPLE");
        assert_eq!(parsed.scope(), "20150830/us-east-1/ecr/aws4_request");
        assert_eq!(
            parsed.signed_headers,
            ["content-type", "host", "x-amz-date"]
        );
        assert_eq!(parsed.signature.len(), 64);
    }

    #[test]
    fn components_may_come_in_any_order_without_spaces() {
        let header = "AWS4-HMAC-SHA256 Signature=ab,SignedHeaders=host,Credential=K/20240101/eu-west-1/ecr/aws4_request";
        let parsed = Authorization::parse(header).unwrap();
        assert_eq!(parsed.region, "eu-west-1");
        assert_eq!(parsed.signature, "ab");
    }

    #[test]
    fn malformed_headers_say_what_is_missing() {
        let incomplete = |header: &str| match Authorization::parse(header) {
            Err(AuthError::IncompleteSignature { message }) => message,
            other => panic!("{header}: {other:?}"),
        };
        assert!(incomplete("AWS 123:abc").contains("'AWS'"));
        assert!(incomplete("").contains("algorithm"));
        let message =
            incomplete("AWS4-HMAC-SHA256 Credential=K/20240101/eu-west-1/ecr/aws4_request");
        assert!(
            message.contains("'Signature'") && message.contains("'SignedHeaders'"),
            "{message}"
        );
        assert!(!message.contains("'Credential'"), "{message}");
        let message =
            incomplete("AWS4-HMAC-SHA256 Credential=K/20240101, SignedHeaders=host, Signature=00");
        assert!(message.contains("K/20240101"), "{message}");
        incomplete(
            "AWS4-HMAC-SHA256 Credential=/20240101/r/ecr/aws4_request, SignedHeaders=host, Signature=00",
        );
    }
}
