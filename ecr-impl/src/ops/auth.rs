//! GetAuthorizationToken: a `docker login` password for the caller's registry in the
//! request's region, signed with the key this Berth holds (see `crate::auth`).

use std::future;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use berth_runtime::{RequestContext, Timestamp};
use ecr_generated::errors::GetAuthorizationTokenError;
use ecr_generated::types::{
    AuthorizationData, GetAuthorizationTokenRequest, GetAuthorizationTokenResponse,
};

use super::{Builder, State, caller_scope};
use crate::arn::RegistryHost;
use crate::auth::TokenKey;
use crate::store::Scope;

/// The user name that goes with every password, as with ECR.
pub const LOGIN_USER: &str = "AWS";

/// Registers this module's operation; its handler signs with the state's token key.
pub(crate) fn register(builder: Builder) -> Builder {
    builder.get_authorization_token(
        |state: &State, ctx: &RequestContext, input: GetAuthorizationTokenRequest| {
            // The one place the clock is read; everything below takes the time.
            let now = Timestamp::now();
            future::ready(get_authorization_token(
                &state.token_key,
                &state.registry_host,
                ctx,
                input,
                now,
            ))
        },
    )
}

/// One entry per `registryIds` id, in order, each with that registry's endpoint (the
/// deprecated parameter does not scope the token, so another account is no AccessDenied);
/// without it, one for the caller's registry. Every entry carries the same password, minted
/// for the caller's own registry in the request's region. Endpoints are on `host`.
pub(crate) fn get_authorization_token(
    key: &TokenKey,
    host: &RegistryHost,
    ctx: &RequestContext,
    input: GetAuthorizationTokenRequest,
    now: Timestamp,
) -> Result<GetAuthorizationTokenResponse, GetAuthorizationTokenError> {
    let caller = caller_scope(ctx)?;
    let minted = key.mint(&caller, now);
    let token = STANDARD.encode(format!("{LOGIN_USER}:{}", minted.password));
    let registries = match input.registry_ids {
        Some(ids) => ids
            .into_iter()
            .map(|account_id| Scope {
                account_id,
                region: caller.region.clone(),
            })
            .collect(),
        None => vec![caller],
    };
    let authorization_data = registries
        .iter()
        .map(|registry| AuthorizationData {
            authorization_token: Some(token.clone()),
            expires_at: Some(minted.expires_at),
            proxy_endpoint: Some(host.proxy_endpoint(registry)),
        })
        .collect();
    Ok(GetAuthorizationTokenResponse {
        authorization_data: Some(authorization_data),
    })
}

#[cfg(test)]
mod tests {
    use ecr_generated::types::RegistryId;

    use super::*;
    use crate::auth::LoginGrant;

    fn ctx(account: &str, region: &str) -> RequestContext {
        RequestContext {
            account_id: account.into(),
            region: region.into(),
            request_id: "r".into(),
            operation: "GetAuthorizationToken",
            endpoint: String::new(),
        }
    }

    fn ids(ids: &[&str]) -> Option<Vec<RegistryId>> {
        Some(
            ids.iter()
                .map(|id| RegistryId::try_from(*id).unwrap())
                .collect(),
        )
    }

    /// The password inside a token, checked to be `AWS:<password>` in standard base64.
    fn password_of(data: &AuthorizationData) -> String {
        let decoded = STANDARD
            .decode(data.authorization_token.as_deref().unwrap())
            .unwrap();
        let text = String::from_utf8(decoded).unwrap();
        text.strip_prefix("AWS:").unwrap().to_owned()
    }

    #[test]
    fn the_token_is_a_password_for_the_callers_registry_for_twelve_hours() {
        let key = TokenKey::generate().unwrap();
        let now = Timestamp::from_epoch_millis(1_448_832_653_241);
        let response = get_authorization_token(
            &key,
            &RegistryHost::aws(),
            &ctx("111122223333", "eu-central-1"),
            GetAuthorizationTokenRequest::default(),
            now,
        )
        .unwrap();
        let [data] = response.authorization_data.unwrap().try_into().unwrap();
        let expires_at = Timestamp::from_epoch_millis(1_448_875_853_241);
        assert_eq!(data.expires_at, Some(expires_at));
        assert_eq!(
            data.proxy_endpoint.as_deref(),
            Some("https://111122223333.dkr.ecr.eu-central-1.amazonaws.com")
        );
        let grant = key.verify(&password_of(&data), now).unwrap();
        assert_eq!(
            grant,
            LoginGrant {
                registry: Scope::of_caller(&ctx("111122223333", "eu-central-1")).unwrap(),
                expires_at,
            }
        );
    }

    #[test]
    fn registry_ids_give_one_entry_each_in_order_with_the_callers_password() {
        let key = TokenKey::generate().unwrap();
        let now = Timestamp::from_epoch_millis(1_700_000_000_000);
        let request = GetAuthorizationTokenRequest {
            registry_ids: ids(&["222222222222", "111122223333", "333333333333"]),
        };
        let response = get_authorization_token(
            &key,
            &RegistryHost::aws(),
            &ctx("111122223333", "us-west-2"),
            request,
            now,
        )
        .unwrap();
        let data = response.authorization_data.unwrap();
        let endpoints: Vec<_> = data
            .iter()
            .map(|data| data.proxy_endpoint.as_deref().unwrap())
            .collect();
        assert_eq!(
            endpoints,
            [
                "https://222222222222.dkr.ecr.us-west-2.amazonaws.com",
                "https://111122223333.dkr.ecr.us-west-2.amazonaws.com",
                "https://333333333333.dkr.ecr.us-west-2.amazonaws.com",
            ]
        );
        for data in &data {
            let grant = key.verify(&password_of(data), now).unwrap();
            assert_eq!(grant.registry.account_id.as_str(), "111122223333");
        }
    }

    #[test]
    fn on_berths_host_the_endpoint_is_plain_http_there() {
        let key = TokenKey::generate().unwrap();
        let now = Timestamp::from_epoch_millis(1_700_000_000_000);
        let local: RegistryHost = "localhost:4566".parse().unwrap();
        let response = get_authorization_token(
            &key,
            &local,
            &ctx("111122223333", "eu-west-1"),
            GetAuthorizationTokenRequest::default(),
            now,
        )
        .unwrap();
        let [data] = response.authorization_data.unwrap().try_into().unwrap();
        assert_eq!(
            data.proxy_endpoint.as_deref(),
            Some("http://localhost:4566")
        );
        // The host does not change whom the password is for.
        let grant = key.verify(&password_of(&data), now).unwrap();
        assert_eq!(grant.registry.account_id.as_str(), "111122223333");
        assert_eq!(grant.registry.region.as_str(), "eu-west-1");

        let per_registry: RegistryHost =
            "{account}.dkr.ecr.{region}.localhost:4566".parse().unwrap();
        let request = GetAuthorizationTokenRequest {
            registry_ids: ids(&["222222222222", "111122223333"]),
        };
        let response = get_authorization_token(
            &key,
            &per_registry,
            &ctx("111122223333", "eu-west-1"),
            request,
            now,
        )
        .unwrap();
        let endpoints: Vec<_> = response
            .authorization_data
            .unwrap()
            .into_iter()
            .map(|data| data.proxy_endpoint.unwrap())
            .collect();
        assert_eq!(
            endpoints,
            [
                "http://222222222222.dkr.ecr.eu-west-1.localhost:4566",
                "http://111122223333.dkr.ecr.eu-west-1.localhost:4566",
            ]
        );
    }
}
