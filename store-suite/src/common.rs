//! What every test needs: contexts, a fresh ECR, request builders, error inspection.

use std::fmt::Debug;

use berth_runtime::RequestContext;
use berth_runtime::error::ErrorResponse;
use ecr_generated::types::{CreateRepositoryRequest, Repository, Tag};
use ecr_impl::Ecr;

pub const ACCOUNT: &str = "123456789012";
pub const OTHER_ACCOUNT: &str = "210987654321";
pub const REGION: &str = "us-east-1";
pub const OTHER_REGION: &str = "eu-west-1";

pub fn context(account_id: &str, region: &str) -> RequestContext {
    RequestContext {
        account_id: account_id.into(),
        region: region.into(),
        request_id: "test-request".into(),
        operation: "",
        endpoint: String::new(),
    }
}

/// The default caller's registry.
pub fn scope() -> ecr_impl::store::Scope {
    ecr_impl::store::Scope {
        account_id: valid(ACCOUNT),
        region: valid(REGION),
    }
}

/// The default caller: ACCOUNT in REGION.
pub fn ctx() -> RequestContext {
    context(ACCOUNT, REGION)
}

/// A value of a validated model type, which the test means to be valid.
pub fn valid<T: std::str::FromStr<Err: Debug>>(text: &str) -> T {
    text.parse().expect("a valid value")
}

pub fn create_request(name: &str) -> CreateRepositoryRequest {
    CreateRepositoryRequest {
        registry_id: None,
        repository_name: valid(name),
        tags: None,
        image_tag_mutability: None,
        image_tag_mutability_exclusion_filters: None,
        image_scanning_configuration: None,
        encryption_configuration: None,
    }
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

pub fn arn(name: &str) -> String {
    format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}")
}

/// Creates `name` with defaults as `ctx`, which must succeed.
pub async fn create_in(ecr: &Ecr, ctx: &RequestContext, name: &str) -> Repository {
    let response = ecr
        .create_repository(ctx, create_request(name))
        .await
        .expect("create succeeds");
    response.repository.expect("create returns the repository")
}

pub async fn create(ecr: &Ecr, name: &str) -> Repository {
    create_in(ecr, &ctx(), name).await
}

/// The `__type` and message of a call that must fail.
pub fn failure<T: Debug, E: ErrorResponse>(result: Result<T, E>) -> (&'static str, String) {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => (
            error.type_name(),
            error.message().unwrap_or_default().to_owned(),
        ),
    }
}

pub fn not_found_message(name: &str) -> String {
    format!("The repository with name '{name}' does not exist in the registry with id '{ACCOUNT}'")
}

pub fn access_denied_message(action: &str, resource: &str) -> String {
    format!(
        "User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: ecr:{action} on resource: {resource} \
         because no resource-based policy allows the ecr:{action} action"
    )
}
