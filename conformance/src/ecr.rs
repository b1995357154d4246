//! Amazon ECR's fixture: the caller's account and region (learned from the server), values
//! that name the repository the variants work on, a valid repository policy, and the calls
//! that create a repository (and its policy) before an operation that needs them.

use codegen::ir::Operation;
use serde_json::{Value, json};

use crate::check;
use crate::fixture::{Call, Fixture, strings_targeting};
use crate::http::Client;
use crate::model::Model;
use crate::run;

pub const SERVICE_ID: &str = "com.amazonaws.ecr#AmazonEC2ContainerRegistry_V20150921";

const NS: &str = "com.amazonaws.ecr#";
/// The repository the variants act on, unless a variant names its own.
const REPOSITORY: &str = "conformance/app";
/// A repository created only to read the caller's account and region from its ARN.
const PROBE_REPOSITORY: &str = "conformance-probe";
/// A resource policy of the kind ECR accepts.
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"*"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
/// A customer-managed key id, in the form KMS gives them.
const KMS_KEY_ID: &str = "0c7a3c7e-5b0c-4c65-9d5e-3f5cbb6a2b10";

/// Members that depend on each other: exclusion filters go with (and only with) the
/// `*_WITH_EXCLUSION` modes; a KMS key goes with a KMS encryption type.
const TAG_MUTABILITY: &str = "imageTagMutability";
const EXCLUSION_FILTERS: &str = "imageTagMutabilityExclusionFilters";
const MODE_WITH_EXCLUSION: &str = "IMMUTABLE_WITH_EXCLUSION";
const EXCLUSION_SUFFIX: &str = "_WITH_EXCLUSION";
const EXCLUSION_FILTER: &str = r#"{"filterType":"WILDCARD","filter":"release-*"}"#;
const ENCRYPTION_TYPE: &str = "encryptionType";
const KMS_KEY: &str = "kmsKey";
const KMS_ENCRYPTION: &str = "KMS";
const ENCRYPTION_WITHOUT_KEY: &str = "AES256";

const CREATE_REPOSITORY: &str = "CreateRepository";
const SET_REPOSITORY_POLICY: &str = "SetRepositoryPolicy";
/// Operations that act on a repository's policy, which must exist first.
const NEED_A_POLICY: &[&str] = &["GetRepositoryPolicy", "DeleteRepositoryPolicy"];

#[derive(Debug, Clone)]
pub struct EcrFixture {
    pub account_id: String,
    pub region: String,
}

impl EcrFixture {
    /// Creates a probe repository to learn the caller's account and region from its ARN,
    /// then resets the server.
    pub fn discover(model: &Model, client: &mut Client) -> Result<EcrFixture, String> {
        run::reset(client)?;
        let call = Call {
            operation: CREATE_REPOSITORY.to_owned(),
            input: json!({ "repositoryName": PROBE_REPOSITORY }),
        };
        let response = run::call(client, model, &call)?;
        run::reset(client)?;
        let body: Value = serde_json::from_slice(&response.body).unwrap_or_default();
        let arn = body["repository"]["repositoryArn"]
            .as_str()
            .unwrap_or_default();
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", _, "ecr", region, account_id, _] if response.status == 200 => Ok(EcrFixture {
                account_id: (*account_id).to_owned(),
                region: (*region).to_owned(),
            }),
            _ => Err(format!(
                "cannot learn the account and region: CreateRepository answered {} {}",
                response.status,
                response.text()
            )),
        }
    }

    pub fn repository_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:ecr:{}:{}:repository/{name}",
            self.region, self.account_id
        )
    }

    /// The repository an ARN of this account and region names.
    fn repository_in(&self, arn: &str) -> Option<String> {
        let prefix = self.repository_arn("");
        arn.strip_prefix(&prefix)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
    }
}

impl Fixture for EcrFixture {
    fn preferred(&self, shape_id: &str) -> Option<Value> {
        let short = shape_id.strip_prefix(NS)?;
        Some(match short {
            "RegistryId" => json!(self.account_id),
            "RepositoryName" => json!(REPOSITORY),
            "Arn" => json!(self.repository_arn(REPOSITORY)),
            "RepositoryPolicyText" => json!(POLICY),
            "KmsKey" => json!(format!(
                "arn:aws:kms:{}:{}:key/{KMS_KEY_ID}",
                self.region, self.account_id
            )),
            "TagKey" => json!("team"),
            "TagValue" => json!("conformance"),
            _ => return None,
        })
    }

    fn sized(&self, shape_id: &str, length: usize) -> Option<Value> {
        // JSON allows trailing whitespace: the policy stays valid at any length it fits.
        let padding = length.checked_sub(POLICY.chars().count())?;
        (shape_id.strip_prefix(NS)? == "RepositoryPolicyText")
            .then(|| json!(format!("{POLICY}{}", " ".repeat(padding))))
    }

    fn complete(&self, input: &mut Value) {
        match input {
            Value::Object(object) => {
                complete_tag_mutability(object);
                complete_encryption(object);
                object.values_mut().for_each(|value| self.complete(value));
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.complete(item)),
            _ => {}
        }
    }

    fn setup(&self, model: &Model, operation: &Operation, input: &Value) -> Vec<Call> {
        let Some(root) = operation.input.as_deref() else {
            return Vec::new();
        };
        if operation.name == CREATE_REPOSITORY {
            return Vec::new();
        }
        let mut names: Vec<String> =
            strings_targeting(model, root, input, &format!("{NS}RepositoryName"))
                .into_iter()
                // Only names the model allows can exist.
                .filter(|(member, name)| {
                    check::member_value(model, member, &json!(name)).is_clean()
                })
                .map(|(_, name)| name.to_owned())
                .collect();
        names.extend(
            strings_targeting(model, root, input, &format!("{NS}Arn"))
                .into_iter()
                .filter_map(|(_, arn)| self.repository_in(arn)),
        );
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|name| seen.insert(name.clone()));
        let mut calls: Vec<Call> = names
            .iter()
            .map(|name| Call {
                operation: CREATE_REPOSITORY.to_owned(),
                input: json!({ "repositoryName": name }),
            })
            .collect();
        if NEED_A_POLICY.contains(&operation.name.as_str()) {
            calls.extend(names.iter().map(|name| Call {
                operation: SET_REPOSITORY_POLICY.to_owned(),
                input: json!({ "repositoryName": name, "policyText": POLICY }),
            }));
        }
        calls
    }
}

/// Filters without an exclusion mode get one; an exclusion mode without filters gets one.
fn complete_tag_mutability(object: &mut serde_json::Map<String, Value>) {
    let mode = object.get(TAG_MUTABILITY).and_then(Value::as_str);
    let needs_filters = mode.is_some_and(|mode| mode.ends_with(EXCLUSION_SUFFIX));
    match (object.contains_key(EXCLUSION_FILTERS), needs_filters) {
        (true, false) => {
            object.insert(TAG_MUTABILITY.to_owned(), json!(MODE_WITH_EXCLUSION));
        }
        (false, true) => {
            let filter: Value = serde_json::from_str(EXCLUSION_FILTER).expect("valid JSON");
            object.insert(EXCLUSION_FILTERS.to_owned(), json!([filter]));
        }
        _ => {}
    }
}

/// A KMS key goes with KMS encryption.
fn complete_encryption(object: &mut serde_json::Map<String, Value>) {
    let without_key =
        object.get(ENCRYPTION_TYPE).and_then(Value::as_str) == Some(ENCRYPTION_WITHOUT_KEY);
    if without_key && object.contains_key(KMS_KEY) {
        object.insert(ENCRYPTION_TYPE.to_owned(), json!(KMS_ENCRYPTION));
    }
}
