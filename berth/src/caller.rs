//! Who is calling and where, from the SigV4 `Authorization` header (behaviour doc §2).
//!
//! By default Berth does not verify signatures (emulators accept any credentials); it only
//! reads the credential: `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
//! ...`. With `--verify-sigv4` the caller comes from the verified key instead (`access`).
//! The region is the credential scope's region; the account is the access key id when it
//! is exactly 12 digits, so clients pick an account by choosing their access key id.
//! Anything missing or malformed falls back to the configured defaults [choice].

use ecr_generated::types::{Region, RegistryId};
use ecr_impl::store::Scope;

use crate::config;

/// The caller's registry for a request with this `Authorization` header value (if any).
pub fn identify(
    authorization: Option<&str>,
    default_account: &config::AccountId,
    default_region: &config::Region,
) -> Scope {
    let credential = authorization.and_then(Credential::parse);
    let account_id = credential
        .as_ref()
        .and_then(|c| RegistryId::try_from(c.access_key_id).ok())
        .unwrap_or_else(|| default_account.registry_id().clone());
    let region = credential
        .as_ref()
        .and_then(|c| c.region)
        .and_then(|region| Region::try_from(region).ok())
        .unwrap_or_else(|| default_region.region().clone());
    Scope { account_id, region }
}

/// The parts of a SigV4 `Credential=` that Berth uses.
#[derive(Debug, PartialEq, Eq)]
struct Credential<'a> {
    access_key_id: &'a str,
    region: Option<&'a str>,
}

impl<'a> Credential<'a> {
    /// The algorithm name that introduces a SigV4 Authorization header.
    const ALGORITHM: &'static str = "AWS4-HMAC-SHA256";
    const KEY: &'static str = "Credential=";

    fn parse(header: &'a str) -> Option<Credential<'a>> {
        let rest = header.trim_start().strip_prefix(Credential::ALGORITHM)?;
        // Components are separated by `,` and optional spaces, in any order.
        let value = rest
            .split(',')
            .map(str::trim)
            .find_map(|component| component.strip_prefix(Credential::KEY))?;
        // The scope is `AKID/DATE/REGION/SERVICE/aws4_request`.
        let mut scope = value.split('/');
        let access_key_id = scope.next().filter(|akid| !akid.is_empty())?;
        let region = scope.nth(1).filter(|region| !region.is_empty());
        Some(Credential {
            access_key_id,
            region,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> (config::AccountId, config::Region) {
        (
            "123456789012".parse().unwrap(),
            "us-east-1".parse().unwrap(),
        )
    }

    fn caller(header: Option<&str>) -> (String, String) {
        let (account, region) = defaults();
        let scope = identify(header, &account, &region);
        (scope.account_id.into_inner(), scope.region.into_inner())
    }

    fn signed(akid: &str, region: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={akid}/20240101/{region}/ecr/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123abcd"
        )
    }

    #[test]
    fn no_header_means_the_defaults() {
        assert_eq!(caller(None), ("123456789012".into(), "us-east-1".into()));
    }

    #[test]
    fn twelve_digit_access_keys_are_accounts_and_the_scope_is_the_region() {
        assert_eq!(
            caller(Some(&signed("111122223333", "eu-west-1"))),
            ("111122223333".into(), "eu-west-1".into())
        );
    }

    #[test]
    fn other_access_keys_use_the_default_account_but_keep_their_region() {
        assert_eq!(
            caller(Some(&signed("AKIAIOSFODNN7EXAMPLE", "ap-south-1"))),
            ("123456789012".into(), "ap-south-1".into())
        );
        assert_eq!(
            caller(Some(&signed("1111222233334", "ap-south-1"))).0,
            "123456789012"
        );
        assert_eq!(
            caller(Some(&signed("11112222333", "ap-south-1"))).0,
            "123456789012"
        );
    }

    #[test]
    fn components_may_come_in_any_order_without_spaces() {
        let header = "AWS4-HMAC-SHA256 SignedHeaders=host,Signature=ff,Credential=444455556666/20240101/sa-east-1/ecr/aws4_request";
        assert_eq!(
            caller(Some(header)),
            ("444455556666".into(), "sa-east-1".into())
        );
    }

    #[test]
    fn malformed_headers_fall_back_to_the_defaults() {
        let defaults = ("123456789012".to_owned(), "us-east-1".to_owned());
        for header in [
            "",
            "Bearer token",
            "AWS 111122223333:signature",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=/20240101/eu-west-1/ecr/aws4_request",
        ] {
            assert_eq!(caller(Some(header)), defaults, "{header:?}");
        }
    }

    #[test]
    fn a_malformed_region_falls_back_to_the_default_region() {
        for region in ["", "x", "EU-WEST-1", "../../x", "eu west", "arn:aws"] {
            let header = signed("111122223333", region);
            assert_eq!(
                caller(Some(&header)),
                ("111122223333".into(), "us-east-1".into()),
                "{region:?}"
            );
        }
        let short = "AWS4-HMAC-SHA256 Credential=111122223333/20240101";
        assert_eq!(
            caller(Some(short)),
            ("111122223333".into(), "us-east-1".into())
        );
    }
}
