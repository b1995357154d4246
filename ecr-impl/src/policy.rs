//! Whether a repository policy text is a plausible IAM resource policy.
//!
//! Real ECR hands the text to IAM's policy grammar. Berth checks the same grammar
//! (elements, their JSON types, Effect values) and nothing that needs IAM itself (whether
//! principals exist, whether actions are ECR's): Terraform retries a rejected policy for two
//! minutes, so rejecting a policy ECR accepts is worse than accepting one it would refuse.

use serde_json::{Map, Value};

/// Why a policy text was refused (all reasons give the same message to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyProblem {
    NotJson,
    NotAnObject,
    UnknownElement,
    BadVersion,
    BadId,
    MissingStatement,
    BadStatement,
    BadSid,
    BadEffect,
    BadPrincipal,
    BadAction,
    BadResource,
    BadCondition,
}

/// The policy language versions IAM knows.
const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];
const POLICY_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const EFFECTS: [&str; 2] = ["Allow", "Deny"];

/// Checks `text`; `Ok` when real ECR could accept it.
pub fn check(text: &str) -> Result<(), PolicyProblem> {
    let document: Value = serde_json::from_str(text).map_err(|_| PolicyProblem::NotJson)?;
    let policy = document.as_object().ok_or(PolicyProblem::NotAnObject)?;
    only_known(policy, &POLICY_ELEMENTS)?;
    if let Some(version) = policy.get("Version") {
        if !version.as_str().is_some_and(|v| VERSIONS.contains(&v)) {
            return Err(PolicyProblem::BadVersion);
        }
    }
    if policy.get("Id").is_some_and(|id| !id.is_string()) {
        return Err(PolicyProblem::BadId);
    }
    match policy.get("Statement") {
        None => Err(PolicyProblem::MissingStatement),
        Some(Value::Object(statement)) => check_statement(statement),
        Some(Value::Array(statements)) if !statements.is_empty() => {
            statements.iter().try_for_each(|statement| {
                check_statement(statement.as_object().ok_or(PolicyProblem::BadStatement)?)
            })
        }
        Some(_) => Err(PolicyProblem::BadStatement),
    }
}

fn check_statement(statement: &Map<String, Value>) -> Result<(), PolicyProblem> {
    only_known(statement, &STATEMENT_ELEMENTS)?;
    if statement.get("Sid").is_some_and(|sid| !sid.is_string()) {
        return Err(PolicyProblem::BadSid);
    }
    if !statement
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|effect| EFFECTS.contains(&effect))
    {
        return Err(PolicyProblem::BadEffect);
    }
    // A resource policy must say whom it is about, and what they may (not) do.
    let principal = exactly_one(statement, "Principal", "NotPrincipal", true)
        .ok_or(PolicyProblem::BadPrincipal)?;
    if !principal.is_some_and(is_principal) {
        return Err(PolicyProblem::BadPrincipal);
    }
    let action =
        exactly_one(statement, "Action", "NotAction", true).ok_or(PolicyProblem::BadAction)?;
    if !action.is_some_and(is_string_or_strings) {
        return Err(PolicyProblem::BadAction);
    }
    // Resource is optional in a resource policy (it is the repository itself).
    let resource = exactly_one(statement, "Resource", "NotResource", false)
        .ok_or(PolicyProblem::BadResource)?;
    if resource.is_some_and(|resource| !is_string_or_strings(resource)) {
        return Err(PolicyProblem::BadResource);
    }
    if statement
        .get("Condition")
        .is_some_and(|condition| !is_condition(condition))
    {
        return Err(PolicyProblem::BadCondition);
    }
    Ok(())
}

fn only_known(object: &Map<String, Value>, known: &[&str]) -> Result<(), PolicyProblem> {
    match object.keys().all(|key| known.contains(&key.as_str())) {
        true => Ok(()),
        false => Err(PolicyProblem::UnknownElement),
    }
}

/// The value of `element` or of its `Not` form; `None` when both are present, or neither
/// although one is `required`.
fn exactly_one<'a>(
    statement: &'a Map<String, Value>,
    element: &str,
    negated: &str,
    required: bool,
) -> Option<Option<&'a Value>> {
    match (statement.get(element), statement.get(negated)) {
        (Some(_), Some(_)) => None,
        (None, None) if required => None,
        (value, None) | (None, value) => Some(value),
    }
}

/// `"*"`, or `{"AWS": ..., "Service": ...}` with a string or strings for each kind.
fn is_principal(principal: &Value) -> bool {
    match principal {
        Value::String(text) => text == "*",
        Value::Object(kinds) => !kinds.is_empty() && kinds.values().all(is_string_or_strings),
        _ => false,
    }
}

fn is_string_or_strings(value: &Value) -> bool {
    match value {
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => {
            !items.is_empty()
                && items
                    .iter()
                    .all(|item| item.as_str().is_some_and(|text| !text.is_empty()))
        }
        _ => false,
    }
}

/// `{"<operator>": {"<key>": <value or values>}}`; values are strings, numbers or booleans.
fn is_condition(condition: &Value) -> bool {
    let is_scalar =
        |value: &Value| matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_));
    let Some(operators) = condition.as_object() else {
        return false;
    };
    operators.values().all(|keys| {
        keys.as_object().is_some_and(|keys| {
            keys.values().all(|value| match value {
                Value::Array(items) => items.iter().all(is_scalar),
                scalar => is_scalar(scalar),
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(text: &str) {
        assert_eq!(check(text), Ok(()), "{text}");
    }

    fn refused(text: &str, problem: PolicyProblem) {
        assert_eq!(check(text), Err(problem), "{text}");
    }

    #[test]
    fn accepts_real_world_policies() {
        // Cross-account pull, as in AWS's ECR user guide.
        accepted(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowPull","Effect":"Allow",
               "Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:user/ci"]},
               "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}]}"#,
        );
        // Lambda service access with a Condition, as Terraform modules write it.
        accepted(
            r#"{"Version":"2008-10-17","Statement":[{"Sid":"LambdaECRImageRetrievalPolicy","Effect":"Allow",
               "Principal":{"Service":"lambda.amazonaws.com"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],
               "Condition":{"StringLike":{"aws:sourceArn":"arn:aws:lambda:us-east-1:123456789012:function:*"}}}]}"#,
        );
        // Principal "*" with an organization condition; Statement as a single object.
        accepted(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"ecr:*",
               "Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-abc123"]},"Bool":{"aws:SecureTransport":true}}}}"#,
        );
        // NotPrincipal, NotAction, Resource, Id and a Deny.
        accepted(
            r#"{"Version":"2012-10-17","Id":"deny-push","Statement":[
               {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/release"},"NotAction":"ecr:BatchGetImage",
                "Resource":"arn:aws:ecr:us-east-1:123456789012:repository/app"},
               {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:BatchGetImage"}]}"#,
        );
        // Whitespace and formatting as `aws ecr get-repository-policy` prints it.
        accepted(
            "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ {\n    \"Effect\" : \"Allow\",\n    \"Principal\" : \"*\",\n    \"Action\" : \"ecr:*\"\n  } ]\n}",
        );
    }

    #[test]
    fn refuses_garbage() {
        refused("", PolicyProblem::NotJson);
        refused("not json", PolicyProblem::NotJson);
        refused("{\"Statement\": [", PolicyProblem::NotJson);
        refused("[]", PolicyProblem::NotAnObject);
        refused("\"policy\"", PolicyProblem::NotAnObject);
        refused("{}", PolicyProblem::MissingStatement);
        refused(
            r#"{"Version":"2012-10-17"}"#,
            PolicyProblem::MissingStatement,
        );
        refused(r#"{"Statement":[]}"#, PolicyProblem::BadStatement);
        refused(r#"{"Statement":"Allow"}"#, PolicyProblem::BadStatement);
        refused(r#"{"Statement":[1]}"#, PolicyProblem::BadStatement);
        refused(
            r#"{"Version":"2020-01-01","Statement":[]}"#,
            PolicyProblem::BadVersion,
        );
        refused(r#"{"Id":5,"Statement":[]}"#, PolicyProblem::BadId);
        refused(r#"{"Statment":[]}"#, PolicyProblem::UnknownElement);
    }

    #[test]
    fn refuses_broken_statements() {
        let statement = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#);
        refused(
            &statement(r#"{"Principal":"*","Action":"ecr:*"}"#),
            PolicyProblem::BadEffect,
        );
        refused(
            &statement(r#"{"Effect":"allow","Principal":"*","Action":"ecr:*"}"#),
            PolicyProblem::BadEffect,
        );
        refused(
            &statement(r#"{"Effect":"Permit","Principal":"*","Action":"ecr:*"}"#),
            PolicyProblem::BadEffect,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Action":"ecr:*"}"#),
            PolicyProblem::BadPrincipal,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"someone","Action":"ecr:*"}"#),
            PolicyProblem::BadPrincipal,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":{},"Action":"ecr:*"}"#),
            PolicyProblem::BadPrincipal,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"ecr:*"}"#),
            PolicyProblem::BadPrincipal,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"ecr:*"}"#),
            PolicyProblem::BadPrincipal,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*"}"#),
            PolicyProblem::BadAction,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*","Action":[]}"#),
            PolicyProblem::BadAction,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*","Action":7}"#),
            PolicyProblem::BadAction,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*","Action":""}"#),
            PolicyProblem::BadAction,
        );
        refused(
            &statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*","NotAction":"ecr:*"}"#,
            ),
            PolicyProblem::BadAction,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":{}}"#),
            PolicyProblem::BadResource,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":"x"}"#),
            PolicyProblem::BadCondition,
        );
        refused(
            &statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":"x"}}"#,
            ),
            PolicyProblem::BadCondition,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*","Sid":1}"#),
            PolicyProblem::BadSid,
        );
        refused(
            &statement(r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*","Extra":1}"#),
            PolicyProblem::UnknownElement,
        );
    }
}
