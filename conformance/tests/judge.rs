//! The judge and the output checker catch what a broken server would send: answers are
//! built by hand here, one fault each, so every rule of the runner is shown to fail.

use conformance::check::{self, Violation};
use conformance::generate::Expect;
use conformance::http::Response;
use conformance::model::Model;
use conformance::run::{Verdict, judge};
use serde_json::{Value, json};

fn ecr() -> Model {
    Model::load(&conformance::ecr_config().expect("the ECR config"), None)
        .expect("the ECR model loads")
        .0
}

fn answer(status: u16, body: Value) -> Response {
    Response {
        status,
        headers: vec![
            (
                "content-type".to_owned(),
                "application/x-amz-json-1.1".to_owned(),
            ),
            ("x-amzn-requestid".to_owned(), "9d1a2b3c".to_owned()),
        ],
        body: serde_json::to_vec(&body).unwrap(),
    }
}

fn repository() -> Value {
    json!({
        "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/team/app",
        "registryId": "123456789012",
        "repositoryName": "team/app",
        "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app",
        "createdAt": 1700000000.123,
        "imageTagMutability": "MUTABLE",
        "imageScanningConfiguration": { "scanOnPush": false },
        "encryptionConfiguration": { "encryptionType": "AES256" }
    })
}

fn missing_name() -> Expect {
    Expect::Rejected(vec![Violation {
        path: "repositoryName".to_owned(),
        reason: "Member must not be null".to_owned(),
    }])
}

fn failure(verdict: Verdict) -> String {
    match verdict {
        Verdict::Failed(reason) => reason,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_conforming_success_passes() {
    let model = ecr();
    let create = model.operation("CreateRepository").unwrap();
    let response = answer(200, json!({ "repository": repository() }));
    assert_eq!(
        judge(&model, create, &Expect::Success, &response),
        Verdict::Succeeded
    );
}

#[test]
fn outputs_that_stray_from_their_shape_fail() {
    let model = ecr();
    let create = model.operation("CreateRepository").unwrap();
    let broken = [
        ("repositoryName", json!(null), "null"),
        ("createdAt", json!("yesterday"), "expected a timestamp"),
        ("imageTagMutability", json!("SOMETIMES"), "enum value set"),
        ("registryId", json!("1234"), "regular expression"),
        (
            "repositoryName",
            json!("A"),
            "length greater than or equal to 2",
        ),
        ("surprise", json!(1), "member `surprise` is not in"),
    ];
    for (member, value, expected) in broken {
        let mut repository = repository();
        repository[member] = value;
        let response = answer(200, json!({ "repository": repository }));
        let reason = failure(judge(&model, create, &Expect::Success, &response));
        assert!(reason.contains(expected), "{member}: {reason}");
        assert!(reason.contains("repository"), "{member}: {reason}");
    }
}

#[test]
fn required_output_members_must_be_present() {
    let model = ecr();
    // A Tag needs both its Key and its Value.
    let problems = check::output(
        &model,
        "com.amazonaws.ecr#ListTagsForResourceResponse",
        &json!({ "tags": [{ "Key": "team" }] }),
    );
    assert_eq!(problems, ["tags[0].Value: Member must not be null"]);
}

#[test]
fn negatives_need_a_declared_error_with_the_exact_message() {
    let model = ecr();
    let create = model.operation("CreateRepository").unwrap();
    let exact = "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'";
    let right = answer(
        400,
        json!({ "__type": "InvalidParameterException", "message": exact }),
    );
    assert_eq!(
        judge(&model, create, &missing_name(), &right),
        Verdict::Rejected
    );

    let accepted = answer(200, json!({ "repository": repository() }));
    assert!(failure(judge(&model, create, &missing_name(), &accepted)).contains("expected 400"));

    let undeclared = answer(
        400,
        json!({ "__type": "ValidationException", "message": exact }),
    );
    assert!(failure(judge(&model, create, &missing_name(), &undeclared)).contains("not an error"));

    let vague = answer(
        400,
        json!({ "__type": "InvalidParameterException", "message": "bad input" }),
    );
    assert!(
        failure(judge(&model, create, &missing_name(), &vague)).contains("expected the message")
    );

    let other_member = answer(
        400,
        json!({ "__type": "InvalidParameterException",
                "message": exact.replace("repositoryName", "registryId") }),
    );
    assert!(
        failure(judge(&model, create, &missing_name(), &other_member))
            .contains("expected the message")
    );

    let server_fault = answer(
        500,
        json!({ "__type": "ServerException", "message": "boom" }),
    );
    assert!(
        failure(judge(&model, create, &missing_name(), &server_fault)).contains("expected 400")
    );
}

#[test]
fn semantic_errors_must_be_declared_and_must_not_claim_a_model_constraint() {
    let model = ecr();
    let describe = model.operation("DescribeRepositories").unwrap();
    let expect = Expect::SuccessOrSemanticError;
    let not_found = answer(
        400,
        json!({ "__type": "RepositoryNotFoundException",
                "message": "The repository with name 'a' does not exist in the registry with id '123456789012'" }),
    );
    assert_eq!(
        judge(&model, describe, &expect, &not_found),
        Verdict::SemanticError("RepositoryNotFoundException".to_owned())
    );
    let semantic = answer(
        400,
        json!({ "__type": "InvalidParameterException",
                "message": "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'" }),
    );
    assert!(judge(&model, describe, &expect, &semantic).passed());

    let false_violation = answer(
        400,
        json!({ "__type": "InvalidParameterException",
                "message": "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'" }),
    );
    assert!(
        failure(judge(&model, describe, &expect, &false_violation))
            .contains("valid input was refused")
    );

    let undeclared = answer(
        400,
        json!({ "__type": "RepositoryPolicyNotFoundException", "message": "x" }),
    );
    assert!(failure(judge(&model, describe, &expect, &undeclared)).contains("not an error"));

    let no_type = answer(400, json!({ "message": "x" }));
    assert!(failure(judge(&model, describe, &expect, &no_type)).contains("__type"));

    let server_fault = answer(500, json!({ "__type": "ServerException", "message": "x" }));
    assert!(failure(judge(&model, describe, &expect, &server_fault)).contains("expected 200"));
}

#[test]
fn every_answer_needs_the_protocol_headers_and_a_json_body() {
    let model = ecr();
    let create = model.operation("CreateRepository").unwrap();
    let good = answer(200, json!({ "repository": repository() }));

    let mut no_id = good.clone();
    no_id.headers.retain(|(name, _)| name != "x-amzn-requestid");
    assert!(failure(judge(&model, create, &Expect::Success, &no_id)).contains("x-amzn-requestid"));

    let mut plain_json = good.clone();
    plain_json.headers[0].1 = "application/json".to_owned();
    assert!(failure(judge(&model, create, &Expect::Success, &plain_json)).contains("Content-Type"));

    let mut not_json = good;
    not_json.body = b"<html>".to_vec();
    assert!(failure(judge(&model, create, &Expect::Success, &not_json)).contains("not JSON"));
}
