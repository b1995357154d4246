//! The generated ECR validators at the bounds of real shapes, through the generated router,
//! with ECR's exact messages. The service here has no handler, so a request that passes
//! validation answers `NotImplementedException`.

use berth_runtime::RequestContext;
use berth_runtime::protocol::{Request, Response};
use std::sync::Mutex;

use ecr_generated::operations::{EcrService, Operation};
use ecr_generated::{CommonError, errors, types};
use serde_json::{Value, json};

/// A service without any handler: only the generated parsing and validation run.
fn implements_nothing() -> EcrService<()> {
    EcrService::builder(()).build_partial()
}

/// Sends `body` to `operation` of `service` through the generated router.
fn send<S: Send + Sync + 'static>(
    service: &EcrService<S>,
    operation: &str,
    body: Value,
) -> Response {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut ctx = RequestContext {
        account_id: "123456789012".to_owned(),
        region: "us-east-1".to_owned(),
        request_id: "test".to_owned(),
        operation: "",
        endpoint: String::new(),
    };
    let target = format!("AmazonEC2ContainerRegistry_V20150921.{operation}");
    let body = serde_json::to_vec(&body).expect("json");
    let request = Request {
        target: Some(&target),
        content_type: Some("application/x-amz-json-1.1"),
        body: &body,
    };
    runtime.block_on(service.handle(&mut ctx, request))
}

fn call(operation: &str, body: Value) -> (u16, Value) {
    let response = send(&implements_nothing(), operation, body);
    (
        response.status,
        serde_json::from_slice(&response.body).expect("every response is JSON"),
    )
}

/// Asserts the request passed validation (it reached the operation, which has no handler).
fn assert_valid(operation: &str, body: Value) {
    let (status, response) = call(operation, body.clone());
    assert_eq!(
        response["__type"], "NotImplementedException",
        "{body} → {status} {response}"
    );
}

/// Asserts the request failed validation with exactly this message.
fn assert_invalid(operation: &str, body: Value, message: &str) {
    let (status, response) = call(operation, body.clone());
    assert_eq!(status, 400, "{body} → {response}");
    assert_eq!(
        response["__type"], "InvalidParameterException",
        "{body} → {response}"
    );
    assert_eq!(response["message"], message, "{body}");
}

fn repository_name_message(constraint: &str) -> String {
    format!("Invalid parameter at 'repositoryName' failed to satisfy constraint: '{constraint}'")
}

const NAME_PATTERN_REASON: &str = r"must satisfy regular expression '[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*'";

#[test]
fn repository_names_follow_the_model_pattern() {
    for valid in ["a__b", "a--b", "ns/a", "ab", "a.b", "a-b_c/d0"] {
        assert_valid("CreateRepository", json!({ "repositoryName": valid }));
    }
    for invalid in ["a..b", "AB", "Ab", "a/", "/a", "a b", "ab_", "a___b"] {
        assert_invalid(
            "CreateRepository",
            json!({ "repositoryName": invalid }),
            &repository_name_message(NAME_PATTERN_REASON),
        );
    }
}

#[test]
fn repository_name_length_bounds() {
    // Too short is reported before the pattern: "A" breaks both.
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": "A" }),
        &repository_name_message("must have length greater than or equal to 2"),
    );
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": "a" }),
        &repository_name_message("must have length greater than or equal to 2"),
    );
    assert_valid(
        "CreateRepository",
        json!({ "repositoryName": "a".repeat(256) }),
    );
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": "a".repeat(257) }),
        &repository_name_message("must have length less than or equal to 256"),
    );
}

#[test]
fn repository_name_is_checked_on_every_operation_that_takes_one() {
    for operation in [
        "DeleteRepository",
        "GetRepositoryPolicy",
        "DeleteRepositoryPolicy",
    ] {
        assert_invalid(
            operation,
            json!({ "repositoryName": "AB" }),
            &repository_name_message(NAME_PATTERN_REASON),
        );
    }
}

#[test]
fn repository_names_in_lists_are_reported_at_repository_name() {
    // Real ECR names the member `repositoryName`, not the list item `repositoryNames.2.member`.
    for operation in [
        "DescribeRepositories",
        "BatchGetRepositoryScanningConfiguration",
    ] {
        assert_invalid(
            operation,
            json!({ "repositoryNames": ["ok", "AB"] }),
            &repository_name_message(NAME_PATTERN_REASON),
        );
        assert_invalid(
            operation,
            json!({ "repositoryNames": ["ok", "a"] }),
            &repository_name_message("must have length greater than or equal to 2"),
        );
    }
    // The list's own bounds stay at the list.
    assert_invalid(
        "DescribeRepositories",
        json!({ "repositoryNames": [] }),
        "Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length greater than or equal to 1'",
    );
}

#[test]
fn required_members_must_not_be_null() {
    let message = repository_name_message("Member must not be null");
    assert_invalid("CreateRepository", json!({}), &message);
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": null }),
        &message,
    );
    assert_invalid(
        "PutImageScanningConfiguration",
        json!({ "repositoryName": "ab" }),
        "Invalid parameter at 'imageScanningConfiguration' failed to satisfy constraint: 'Member must not be null'",
    );
}

#[test]
fn max_results_range() {
    let message = |reason: &str| {
        format!("Invalid parameter at 'maxResults' failed to satisfy constraint: '{reason}'")
    };
    assert_invalid(
        "DescribeRepositories",
        json!({ "maxResults": 0 }),
        &message("Member must have value greater than or equal to 1"),
    );
    assert_valid("DescribeRepositories", json!({ "maxResults": 1 }));
    assert_valid("DescribeRepositories", json!({ "maxResults": 1000 }));
    assert_invalid(
        "DescribeRepositories",
        json!({ "maxResults": 1001 }),
        &message("Member must have value less than or equal to 1000"),
    );
}

#[test]
fn exclusion_filter_count_and_nested_members() {
    let filters = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({ "filterType": "WILDCARD", "filter": format!("v{i}*") }))
            .collect()
    };
    let request = |filters: Value| json!({ "repositoryName": "ab", "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION", "imageTagMutabilityExclusionFilters": filters });
    assert_valid("CreateRepository", request(filters(5)));
    assert_invalid(
        "CreateRepository",
        request(filters(6)),
        "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Member must have length less than or equal to 5'",
    );
    assert_invalid(
        "CreateRepository",
        request(
            json!([{ "filterType": "WILDCARD", "filter": "ok" }, { "filterType": "WILDCARD", "filter": "a b" }]),
        ),
        "Invalid parameter at 'imageTagMutabilityExclusionFilters.2.member.filter' failed to satisfy constraint: 'Member must satisfy regular expression pattern: ^[0-9a-zA-Z._*-]{1,128}$'",
    );
    assert_invalid(
        "PutImageTagMutability",
        json!({ "repositoryName": "ab", "imageTagMutability": "MUTABLE", "imageTagMutabilityExclusionFilters": [{ "filterType": "REGEX", "filter": "x" }] }),
        "Invalid parameter at 'imageTagMutabilityExclusionFilters.1.member.filterType' failed to satisfy constraint: 'Member must satisfy enum value set: [WILDCARD]'",
    );
}

#[test]
fn registry_id_has_its_own_message() {
    let message = "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression [0-9]{12}'";
    assert_invalid(
        "DescribeRepositories",
        json!({ "registryId": "12345678901" }),
        message,
    );
    assert_invalid(
        "DescribeRepositories",
        json!({ "registryId": "1234567890123" }),
        message,
    );
    assert_valid(
        "DescribeRepositories",
        json!({ "registryId": "123456789012" }),
    );
}

#[test]
fn enums_list_their_values() {
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": "ab", "imageTagMutability": "mutable" }),
        "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'",
    );
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": "ab", "encryptionConfiguration": { "encryptionType": "DES" } }),
        "Invalid parameter at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: 'Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]'",
    );
}

#[test]
fn nested_required_members_in_lists() {
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": "ab", "tags": [{ "Key": "a", "Value": "b" }, { "Value": "c" }] }),
        "Invalid parameter at 'tags.2.member.Key' failed to satisfy constraint: 'Member must not be null'",
    );
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": "ab", "encryptionConfiguration": {} }),
        "Invalid parameter at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: 'Member must not be null'",
    );
}

#[test]
fn the_first_violation_in_model_order_is_reported() {
    assert_invalid(
        "CreateRepository",
        json!({ "repositoryName": "A", "registryId": "1", "imageTagMutability": "X" }),
        "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression [0-9]{12}'",
    );
}

#[test]
fn policy_text_length() {
    let policy = |n: usize| json!({ "repositoryName": "ab", "policyText": "x".repeat(n) });
    assert_valid("SetRepositoryPolicy", policy(10240));
    assert_invalid(
        "SetRepositoryPolicy",
        policy(10241),
        "Invalid parameter at 'policyText' failed to satisfy constraint: 'Member must have length less than or equal to 10240'",
    );
}

#[test]
fn wrong_json_types_are_serialization_errors_naming_the_member() {
    let (status, response) = call("CreateRepository", json!({ "repositoryName": 5 }));
    assert_eq!(
        (status, response["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    assert!(
        response["message"]
            .as_str()
            .unwrap()
            .contains("'repositoryName'"),
        "{response}"
    );
    let (status, response) = call("DescribeRepositories", json!({ "maxResults": "10" }));
    assert_eq!(
        (status, response["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    assert!(
        response["message"]
            .as_str()
            .unwrap()
            .contains("'maxResults'"),
        "{response}"
    );
}

#[test]
fn unknown_members_are_ignored() {
    assert_valid(
        "DeleteRepository",
        json!({ "repositoryName": "ab", "somethingNew": [1, 2] }),
    );
}

/// Keeps the validated input each handler receives, as JSON.
#[derive(Default)]
struct RecordsInputs {
    received: Mutex<Option<Value>>,
}

impl RecordsInputs {
    fn record<E: From<CommonError>>(&self, input: &impl serde::Serialize) -> Result<Never, E> {
        *self.received.lock().unwrap() = Some(serde_json::to_value(input).expect("serializes"));
        Err(CommonError::internal("recorded").into())
    }
}

/// No output is ever built: the recorder answers every call with an error.
enum Never {}

async fn delete_repository(
    recorder: &RecordsInputs,
    _ctx: &RequestContext,
    input: types::DeleteRepositoryRequest,
) -> Result<types::DeleteRepositoryResponse, errors::DeleteRepositoryError> {
    recorder.record(&input).map(|never| match never {})
}

async fn put_image_scanning_configuration(
    recorder: &RecordsInputs,
    _ctx: &RequestContext,
    input: types::PutImageScanningConfigurationRequest,
) -> Result<types::PutImageScanningConfigurationResponse, errors::PutImageScanningConfigurationError>
{
    recorder.record(&input).map(|never| match never {})
}

async fn set_repository_policy(
    recorder: &RecordsInputs,
    _ctx: &RequestContext,
    input: types::SetRepositoryPolicyRequest,
) -> Result<types::SetRepositoryPolicyResponse, errors::SetRepositoryPolicyError> {
    recorder.record(&input).map(|never| match never {})
}

/// The validated input `operation`'s handler received for `body`.
fn received_input(operation: &str, body: Value) -> Value {
    let service = EcrService::builder(RecordsInputs::default())
        .delete_repository(delete_repository)
        .put_image_scanning_configuration(put_image_scanning_configuration)
        .set_repository_policy(set_repository_policy)
        .build_partial();
    send(&service, operation, body);
    let received = service.state().received.lock().unwrap().take();
    received.unwrap_or_else(|| panic!("{operation} did not reach its handler"))
}

/// The `@default` the model itself states for `shape$member`, read from the JSON AST
/// directly rather than through the generator under test.
fn model_default(shape: &str, member: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../aws-models/ecr.json");
    let model: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the model")).expect("JSON");
    model["shapes"][format!("com.amazonaws.ecr#{shape}")]["members"][member]["traits"]
        ["smithy.api#default"]
        .clone()
}

#[test]
fn defaults_apply() {
    for (operation, body, pointer, shape, member) in [
        (
            "DeleteRepository",
            json!({ "repositoryName": "ab" }),
            "/force",
            "DeleteRepositoryRequest",
            "force",
        ),
        (
            "SetRepositoryPolicy",
            json!({ "repositoryName": "ab", "policyText": "{}" }),
            "/force",
            "SetRepositoryPolicyRequest",
            "force",
        ),
        (
            "PutImageScanningConfiguration",
            json!({ "repositoryName": "ab", "imageScanningConfiguration": {} }),
            "/imageScanningConfiguration/scanOnPush",
            "ImageScanningConfiguration",
            "scanOnPush",
        ),
    ] {
        let default = model_default(shape, member);
        assert!(
            default.is_boolean(),
            "{shape}${member} has a default: {default}"
        );
        assert_eq!(
            received_input(operation, body.clone()).pointer(pointer),
            Some(&default),
            "{operation} {body} without {member}"
        );
        // A value that is sent is the value received: the default fills only a gap.
        let mut explicit = body;
        let (parent, leaf) = pointer.rsplit_once('/').expect("a pointer");
        let not_default = Value::Bool(!default.as_bool().unwrap_or_default());
        let parent = if parent.is_empty() {
            &mut explicit
        } else {
            explicit.pointer_mut(parent).expect("parent sent")
        };
        parent[leaf] = not_default.clone();
        assert_eq!(
            received_input(operation, explicit).pointer(pointer),
            Some(&not_default)
        );
    }
}

#[test]
fn the_catalog_lists_every_operation_of_the_model() {
    let catalog = implements_nothing().catalog();
    assert_eq!(catalog.len(), Operation::ALL.len());
    assert!(catalog.iter().all(|op| !op.implemented));
    assert!(catalog.iter().any(|op| op.name == "CreateRepository"));
    let (status, response) = call(
        "PutImage",
        json!({ "repositoryName": "ab", "imageManifest": "{}" }),
    );
    assert_eq!(status, 400);
    assert!(response["message"].as_str().unwrap().contains("PutImage"));
}
