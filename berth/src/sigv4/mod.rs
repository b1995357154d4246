//! Optional AWS Signature Version 4 verification (`--verify-sigv4`): every API request must
//! be signed, in the `Authorization` header form, with a key Berth was given.
//!
//! - [`credentials`]: the keys (`BERTH_CREDENTIALS=AKID:SECRET:ACCOUNT,...`);
//! - `authorization`: reading the `Authorization` header;
//! - `canonical`: the canonical request (URI, query, headers, payload hash);
//! - `signing`: string to sign, signing-key derivation, HMAC-SHA256, hex;
//! - `time`: `X-Amz-Date` and the allowed clock skew;
//! - [`AuthError`]: the AWS-shaped refusals, each message in one place.
//!
//! Verification follows AWS's order: is there a signature, is it well formed, is the key
//! known, is the date fresh and the scope right, and only then does the signature match.

mod authorization;
mod canonical;
pub mod credentials;
mod errors;
mod signing;
mod time;

use std::time::SystemTime;

use axum::http::HeaderMap;

use self::authorization::Authorization;
pub use self::credentials::{Credential, Credentials};
pub use self::errors::AuthError;
pub use self::time::MAX_CLOCK_SKEW;
use ecr_generated::types::Region;
use ecr_impl::store::Scope;

/// The only service a Berth signature may be scoped to.
pub const SERVICE: &str = "ecr";

/// The parts of an HTTP request a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The query string as sent (without `?`), if any.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Headers a signature must cover, beyond any the client chooses: the host (AWS's rule),
/// the date (else a captured request could be replayed with a fresh date) and the target
/// (else the same signature would authorize any operation).
const REQUIRED_SIGNED_HEADERS: [&str; 3] = ["host", "x-amz-date", "x-amz-target"];

/// Checks `request`'s signature, scoped to ECR, at time `now`.
pub fn verify(
    credentials: &Credentials,
    request: &SignedRequest<'_>,
    now: SystemTime,
) -> Result<Scope, AuthError> {
    verify_for_service(credentials, request, now, SERVICE)
}

/// Checks `request`'s signature, scoped to `service` (`sts` for GetCallerIdentity), at time
/// `now`.
pub fn verify_for_service(
    credentials: &Credentials,
    request: &SignedRequest<'_>,
    now: SystemTime,
    service: &str,
) -> Result<Scope, AuthError> {
    let header = request
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or(AuthError::MissingToken)?;
    let header = header
        .to_str()
        .map_err(|_| AuthError::incomplete(errors::NOT_TEXT))?;
    let authorization = Authorization::parse(header)?;
    let credential = credentials
        .find(authorization.access_key_id)
        .ok_or(AuthError::UnrecognizedClient)?;

    let date_header = request
        .headers
        .get(time::DATE_HEADER)
        .ok_or_else(|| AuthError::incomplete(errors::NO_DATE))?;
    let date_text = date_header.to_str().unwrap_or_default();
    let signed_at = time::parse_amz_date(date_text)
        .ok_or_else(|| AuthError::incomplete(errors::bad_date(date_text)))?;
    let region = check_scope(&authorization, date_text, service)?;
    time::check_skew(signed_at, now)?;
    for required in REQUIRED_SIGNED_HEADERS {
        let present = required == "host" || request.headers.contains_key(required);
        if present && !authorization.signed_headers.contains(&required) {
            return Err(AuthError::invalid(errors::must_be_signed(required)));
        }
    }

    let payload_hash = signing::sha256_hex(request.body);
    if let Some(declared) = request.headers.get(canonical::CONTENT_SHA256_HEADER)
        && declared.as_bytes() != payload_hash.as_bytes()
    {
        return Err(AuthError::SignatureMismatch);
    }
    let canonical_request =
        canonical::request(request, &authorization.signed_headers, &payload_hash);
    let string_to_sign =
        signing::string_to_sign(date_text, &authorization.scope(), &canonical_request);
    let key = signing::signing_key(
        credential.secret(),
        authorization.date,
        authorization.region,
        authorization.service,
    );
    if !signing::signature_matches(&key, &string_to_sign, authorization.signature) {
        return Err(AuthError::SignatureMismatch);
    }
    // Who a verified request comes from: the key's account, in the credential scope's region.
    Ok(Scope {
        account_id: credential.account_id.registry_id().clone(),
        region: region.clone(),
    })
}

/// The credential scope must name the request's day, a region, `service` and
/// `aws4_request`; the region it names.
fn check_scope(
    authorization: &Authorization<'_>,
    date_text: &str,
    service: &str,
) -> Result<Region, AuthError> {
    let day = date_text.get(..8).unwrap_or_default();
    if authorization.date != day {
        return Err(AuthError::invalid(errors::scope_date_mismatch(
            authorization.date,
            day,
            date_text,
        )));
    }
    let region = Region::try_from(authorization.region)
        .map_err(|_| AuthError::invalid(errors::bad_scope_region(authorization.region)))?;
    if authorization.service != service {
        return Err(AuthError::invalid(errors::bad_scope_service(service)));
    }
    if authorization.terminator != authorization::TERMINATOR {
        return Err(AuthError::invalid(errors::bad_scope_terminator(
            authorization.terminator,
        )));
    }
    Ok(region)
}

/// The `Authorization` value a client sends for `request` to `service` in `region`, signed
/// with `access_key_id`/`secret` at `amz_date` (`YYYYMMDD'T'HHMMSS'Z'`), covering
/// `signed_headers` (lowercase, sorted; each present in the request's headers).
pub fn sign(
    access_key_id: &str,
    secret: &str,
    region: &str,
    service: &str,
    amz_date: &str,
    request: &SignedRequest<'_>,
    signed_headers: &[&str],
) -> String {
    let day = amz_date.get(..8).unwrap_or_default();
    let scope = format!("{day}/{region}/{service}/{}", authorization::TERMINATOR);
    let creq = canonical::request(request, signed_headers, &signing::sha256_hex(request.body));
    let sts = signing::string_to_sign(amz_date, &scope, &creq);
    let key = signing::signing_key(secret, day, region, service);
    format!(
        "{} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={}",
        authorization::ALGORITHM,
        signed_headers.join(";"),
        signing::signature(&key, &sts)
    )
}

/// `X-Amz-Date` text for seconds since the Unix epoch.
pub fn amz_date_of(seconds: i64) -> String {
    time::format_amz_date(seconds)
}

/// Signing as a client does, for tests of what verification lets through.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// The `Authorization` value for `request` signed with `credential` at `amz_date`
    /// (`YYYYMMDD'T'HHMMSS'Z'`) in `region`, covering `signed_headers` (sorted).
    pub fn authorization(
        credential: &Credential,
        region: &str,
        amz_date: &str,
        request: &SignedRequest<'_>,
        signed_headers: &[&str],
    ) -> String {
        let day = &amz_date[..8];
        let scope = format!("{day}/{region}/{SERVICE}/{}", authorization::TERMINATOR);
        let creq = canonical::request(request, signed_headers, &signing::sha256_hex(request.body));
        let sts = signing::string_to_sign(amz_date, &scope, &creq);
        let key = signing::signing_key(credential.secret(), day, region, SERVICE);
        format!(
            "{} Credential={}/{scope}, SignedHeaders={}, Signature={}",
            authorization::ALGORITHM,
            credential.access_key_id,
            signed_headers.join(";"),
            signing::signature(&key, &sts)
        )
    }

    /// `X-Amz-Date` for `time`.
    pub fn amz_date(time: SystemTime) -> String {
        let seconds = time
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        time::format_amz_date(seconds as i64)
    }
}

#[cfg(test)]
mod tests;
