//! Who a registry request comes from, and so which registry (account and region) it uses.
//!
//! With [`RegistryAuth::Ecr`] (the default), as ECR: Basic credentials `AWS:<password>`
//! with a password GetAuthorizationToken issued (this Berth's key, unexpired) name the
//! registry; a `Host` of the form `<account>.dkr.ecr.<region>.<anything>` names one too and
//! must agree. Without credentials: 401 with ECR's Basic challenge for the registry the
//! Host names (the default one otherwise). With [`RegistryAuth::None`], anyone, into the
//! registry the Host names, or the default account and region.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, HOST};
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use berth_runtime::Timestamp;
use ecr_generated::types::{Region, RegistryId};
use ecr_impl::auth::TokenError;
use ecr_impl::store::Scope;

use super::error::{Code, NOT_AUTHORIZED, OciError, TOKEN_EXPIRED, TOKEN_INVALID};
use super::error::{DEFAULT_REGISTRY_INVALID, TOKEN_OTHER_REGISTRY};
use crate::app::AppState;
use crate::config::RegistryAuth;

/// The user name ECR's registry logins use (`docker login -u AWS`).
const LOGIN_USER: &str = "AWS";
/// What separates the account from the region in an ECR registry host name.
const ECR_HOST_INFIX: &str = ".dkr.ecr.";

/// The registry a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCaller(pub Scope);

impl FromRequestParts<AppState> for RegistryCaller {
    type Rejection = OciError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<RegistryCaller, OciError> {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| parts.uri.authority().map(|authority| authority.as_str()));
        let named = host.and_then(registry_of_host);
        let authorization = parts
            .headers
            .get(AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or_default());
        authorize(state, named, authorization, Timestamp::now()).map(RegistryCaller)
    }
}

/// The registry of a request whose Host names `named` (if it does) with `authorization`.
fn authorize(
    state: &AppState,
    named: Option<Scope>,
    authorization: Option<&str>,
    now: Timestamp,
) -> Result<Scope, OciError> {
    let default = || default_scope(state);
    if state.registry_auth == RegistryAuth::None {
        return named.map_or_else(default, Ok);
    }
    let challenged = |message: &str| -> Result<Scope, OciError> {
        let scope = named.clone().map_or_else(default, Ok)?;
        let mut error = OciError::new(Code::Unauthorized, message);
        error.challenge = Some(challenge(&scope));
        Err(error)
    };
    let Some(authorization) = authorization else {
        return challenged(NOT_AUTHORIZED);
    };
    let Some(password) = basic_password(authorization) else {
        return challenged(TOKEN_INVALID);
    };
    let grant = match state.ecr.verify_login_password(&password, now) {
        Ok(grant) => grant,
        Err(TokenError::Expired { .. }) => {
            return Err(OciError::new(Code::Denied, TOKEN_EXPIRED));
        }
        Err(TokenError::Malformed | TokenError::BadSignature) => {
            return challenged(TOKEN_INVALID);
        }
    };
    match named {
        Some(named) if named != grant.registry => {
            Err(OciError::new(Code::Denied, TOKEN_OTHER_REGISTRY))
        }
        _ => Ok(grant.registry),
    }
}

/// The password of `Basic base64(AWS:<password>)`; `None` for anything else.
fn basic_password(authorization: &str) -> Option<String> {
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    (user == LOGIN_USER).then(|| password.to_owned())
}

/// The registry a Host of the form `<account>.dkr.ecr.<region>.<anything>` names.
pub fn registry_of_host(host: &str) -> Option<Scope> {
    let (account, rest) = host.split_once(ECR_HOST_INFIX)?;
    let (region, _) = rest.split_once('.')?;
    Some(Scope {
        account_id: RegistryId::try_from(account).ok()?,
        region: Region::try_from(region).ok()?,
    })
}

/// The default account and region.
fn default_scope(state: &AppState) -> Result<Scope, OciError> {
    let invalid = |_| OciError::new(Code::Unknown, DEFAULT_REGISTRY_INVALID);
    Ok(Scope {
        account_id: RegistryId::try_from(state.account_id.as_str()).map_err(invalid)?,
        region: Region::try_from(state.region.as_str()).map_err(invalid)?,
    })
}

/// (real) ECR's challenge, for the registry `scope`.
fn challenge(scope: &Scope) -> String {
    format!(
        "Basic realm=\"https://{}.dkr.ecr.{}.amazonaws.com/\",service=\"ecr.amazonaws.com\"",
        scope.account_id, scope.region
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_hosts_name_their_registry() {
        let scope = registry_of_host("111122223333.dkr.ecr.eu-west-1.localhost:4566").unwrap();
        assert_eq!(scope.account_id.as_str(), "111122223333");
        assert_eq!(scope.region.as_str(), "eu-west-1");
        assert_eq!(registry_of_host("127.0.0.1:4566"), None);
        assert_eq!(registry_of_host("12.dkr.ecr.eu-west-1.x"), None);
        assert_eq!(registry_of_host("111122223333.dkr.ecr.eu-west-1"), None);
    }

    #[test]
    fn only_basic_aws_credentials_carry_a_password() {
        let encoded = STANDARD.encode("AWS:secret:with:colons");
        assert_eq!(
            basic_password(&format!("Basic {encoded}")).as_deref(),
            Some("secret:with:colons")
        );
        let other_user = STANDARD.encode("root:secret");
        assert_eq!(basic_password(&format!("Basic {other_user}")), None);
        assert_eq!(basic_password(&format!("Bearer {encoded}")), None);
        assert_eq!(basic_password("Basic !!!"), None);
    }

    #[test]
    fn the_challenge_is_ecrs() {
        let scope = registry_of_host("111122223333.dkr.ecr.us-west-2.x").unwrap();
        assert_eq!(
            challenge(&scope),
            "Basic realm=\"https://111122223333.dkr.ecr.us-west-2.amazonaws.com/\",service=\"ecr.amazonaws.com\""
        );
    }
}
