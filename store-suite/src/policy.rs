use ecr_generated::types::{
    DeleteRepositoryPolicyRequest, GetRepositoryPolicyRequest, SetRepositoryPolicyRequest,
};
use ecr_impl::Ecr;

use crate::TestStore;
use crate::common::*;

const INVALID_POLICY: &str = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'";

/// Policies as people write them (AWS docs, Terraform modules, CDK output).
const REAL_POLICIES: [&str; 4] = [
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"CrossAccountPull","Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::111122223333:root"},
        "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}]}"#,
    r#"{"Version":"2008-10-17","Statement":[{"Sid":"LambdaECRImageRetrievalPolicy","Effect":"Allow",
        "Principal":{"Service":"lambda.amazonaws.com"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],
        "Condition":{"StringLike":{"aws:sourceArn":"arn:aws:lambda:us-east-1:123456789012:function:*"}}}]}"#,
    r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"ecr:*",
        "Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-a1b2c3d4e5"]}}}}"#,
    "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ {\n    \"Sid\" : \"deny all but release\",\n    \"Effect\" : \"Deny\",\n    \"NotPrincipal\" : {\n      \"AWS\" : [ \"arn:aws:iam::123456789012:role/release\" ]\n    },\n    \"Action\" : \"ecr:PutImage\"\n  } ]\n}",
];

fn set(name: &str, policy_text: &str) -> SetRepositoryPolicyRequest {
    SetRepositoryPolicyRequest {
        repository_name: name.parse().unwrap(),
        policy_text: policy_text.parse().unwrap(),
        registry_id: None,
        force: false,
    }
}

fn get(name: &str) -> GetRepositoryPolicyRequest {
    GetRepositoryPolicyRequest {
        repository_name: name.parse().unwrap(),
        registry_id: None,
    }
}

fn delete(name: &str) -> DeleteRepositoryPolicyRequest {
    DeleteRepositoryPolicyRequest {
        repository_name: name.parse().unwrap(),
        registry_id: None,
    }
}

async fn stored_policy(ecr: &Ecr, name: &str) -> serde_json::Value {
    let text = ecr
        .get_repository_policy(&ctx(), get(name))
        .await
        .unwrap()
        .policy_text
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

pub async fn real_world_policies_are_accepted_and_read_back(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    for policy in REAL_POLICIES {
        let response = ecr
            .set_repository_policy(&ctx(), set("app", policy))
            .await
            .unwrap();
        assert_eq!(response.registry_id.as_deref(), Some(ACCOUNT));
        assert_eq!(response.repository_name.as_deref(), Some("app"));
        assert_eq!(response.policy_text.as_deref(), Some(policy));

        let read = ecr.get_repository_policy(&ctx(), get("app")).await.unwrap();
        assert_eq!(read.registry_id.as_deref(), Some(ACCOUNT));
        assert_eq!(read.repository_name.as_deref(), Some("app"));
        let expected: serde_json::Value = serde_json::from_str(policy).unwrap();
        assert_eq!(stored_policy(&ecr, "app").await, expected);
    }
}

pub async fn garbage_is_refused_and_the_old_policy_stays(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    ecr.set_repository_policy(&ctx(), set("app", REAL_POLICIES[0]))
        .await
        .unwrap();
    let garbage = [
        "",
        "not json",
        "[]",
        "{}",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Principal":"*","Action":"ecr:*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"ecr:*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*"}]}"#,
    ];
    for text in garbage {
        let (kind, message) = failure(ecr.set_repository_policy(&ctx(), set("app", text)).await);
        assert_eq!(kind, "InvalidParameterException", "{text}");
        assert_eq!(message, INVALID_POLICY, "{text}");
    }
    let expected: serde_json::Value = serde_json::from_str(REAL_POLICIES[0]).unwrap();
    assert_eq!(stored_policy(&ecr, "app").await, expected);
}

pub async fn delete_returns_the_removed_policy_then_there_is_none(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    let policy_not_found = "Repository policy does not exist for the repository with name 'app' in the registry with id '123456789012'";

    let (kind, message) = failure(ecr.get_repository_policy(&ctx(), get("app")).await);
    assert_eq!(
        (kind, message.as_str()),
        ("RepositoryPolicyNotFoundException", policy_not_found)
    );
    let (kind, message) = failure(ecr.delete_repository_policy(&ctx(), delete("app")).await);
    assert_eq!(
        (kind, message.as_str()),
        ("RepositoryPolicyNotFoundException", policy_not_found)
    );

    ecr.set_repository_policy(&ctx(), set("app", REAL_POLICIES[1]))
        .await
        .unwrap();
    let deleted = ecr
        .delete_repository_policy(&ctx(), delete("app"))
        .await
        .unwrap();
    assert_eq!(deleted.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(deleted.repository_name.as_deref(), Some("app"));
    assert_eq!(deleted.policy_text.as_deref(), Some(REAL_POLICIES[1]));

    let (kind, message) = failure(ecr.get_repository_policy(&ctx(), get("app")).await);
    assert_eq!(
        (kind, message.as_str()),
        ("RepositoryPolicyNotFoundException", policy_not_found)
    );
    let (kind, _) = failure(ecr.delete_repository_policy(&ctx(), delete("app")).await);
    assert_eq!(kind, "RepositoryPolicyNotFoundException");
}

pub async fn unknown_repositories_and_foreign_registries(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let (kind, message) = failure(
        ecr.set_repository_policy(&ctx(), set("nope", REAL_POLICIES[0]))
            .await,
    );
    assert_eq!(
        (kind, message),
        ("RepositoryNotFoundException", not_found_message("nope"))
    );
    let (kind, message) = failure(ecr.get_repository_policy(&ctx(), get("nope")).await);
    assert_eq!(
        (kind, message),
        ("RepositoryNotFoundException", not_found_message("nope"))
    );
    let (kind, message) = failure(ecr.delete_repository_policy(&ctx(), delete("nope")).await);
    assert_eq!(
        (kind, message),
        ("RepositoryNotFoundException", not_found_message("nope"))
    );

    create(&ecr, "app").await;
    let foreign = Some(OTHER_ACCOUNT.parse().unwrap());
    let resource = "arn:aws:ecr:us-east-1:210987654321:repository/app";
    let request = SetRepositoryPolicyRequest {
        registry_id: foreign.clone(),
        ..set("app", REAL_POLICIES[0])
    };
    let (kind, message) = failure(ecr.set_repository_policy(&ctx(), request).await);
    assert_eq!(
        (kind, message),
        (
            "AccessDeniedException",
            access_denied_message("SetRepositoryPolicy", resource)
        )
    );
    let request = GetRepositoryPolicyRequest {
        registry_id: foreign.clone(),
        ..get("app")
    };
    let (kind, message) = failure(ecr.get_repository_policy(&ctx(), request).await);
    assert_eq!(
        (kind, message),
        (
            "AccessDeniedException",
            access_denied_message("GetRepositoryPolicy", resource)
        )
    );
    let request = DeleteRepositoryPolicyRequest {
        registry_id: foreign,
        ..delete("app")
    };
    let (kind, message) = failure(ecr.delete_repository_policy(&ctx(), request).await);
    assert_eq!(
        (kind, message),
        (
            "AccessDeniedException",
            access_denied_message("DeleteRepositoryPolicy", resource)
        )
    );
}
