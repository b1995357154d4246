use ecr_generated::types::{
    ListTagsForResourceRequest, Tag, TagResourceRequest, UntagResourceRequest,
};
use ecr_impl::Ecr;

use crate::TestStore;
use crate::common::*;

fn tagging(resource_arn: &str, tags: Vec<Tag>) -> TagResourceRequest {
    TagResourceRequest {
        resource_arn: resource_arn.into(),
        tags,
    }
}

fn untagging(resource_arn: &str, keys: &[&str]) -> UntagResourceRequest {
    UntagResourceRequest {
        resource_arn: resource_arn.into(),
        tag_keys: keys.iter().map(|k| k.to_string()).collect(),
    }
}

async fn tags_of(ecr: &Ecr, name: &str) -> Vec<Tag> {
    let request = ListTagsForResourceRequest {
        resource_arn: arn(name),
    };
    ecr.list_tags_for_resource(&ctx(), request)
        .await
        .unwrap()
        .tags
        .expect("tags is always present")
}

fn numbered(count: usize, prefix: &str) -> Vec<Tag> {
    (0..count)
        .map(|i| tag(&format!("{prefix}{i}"), "v"))
        .collect()
}

pub async fn tags_are_added_overwritten_and_removed(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "team/app").await;
    assert_eq!(tags_of(&ecr, "team/app").await, Vec::<Tag>::new());

    ecr.tag_resource(
        &ctx(),
        tagging(
            &arn("team/app"),
            vec![tag("team", "core"), tag("env", "dev")],
        ),
    )
    .await
    .unwrap();
    ecr.tag_resource(
        &ctx(),
        tagging(&arn("team/app"), vec![tag("env", "prod"), tag("empty", "")]),
    )
    .await
    .unwrap();
    assert_eq!(
        tags_of(&ecr, "team/app").await,
        vec![tag("team", "core"), tag("env", "prod"), tag("empty", "")]
    );

    ecr.untag_resource(&ctx(), untagging(&arn("team/app"), &["team", "not-there"]))
        .await
        .unwrap();
    assert_eq!(
        tags_of(&ecr, "team/app").await,
        vec![tag("env", "prod"), tag("empty", "")]
    );
}

pub async fn a_repository_holds_at_most_fifty_tags(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    ecr.tag_resource(&ctx(), tagging(&arn("app"), numbered(49, "k")))
        .await
        .unwrap();
    // Overwriting does not count: 49 + 1 overwrite + 1 new = 50.
    ecr.tag_resource(
        &ctx(),
        tagging(&arn("app"), vec![tag("k0", "new"), tag("fiftieth", "v")]),
    )
    .await
    .unwrap();
    assert_eq!(tags_of(&ecr, "app").await.len(), 50);

    let (kind, message) = failure(
        ecr.tag_resource(
            &ctx(),
            tagging(&arn("app"), vec![tag("k1", "x"), tag("one-more", "v")]),
        )
        .await,
    );
    assert_eq!(kind, "TooManyTagsException");
    assert_eq!(
        message,
        "A repository can have at most 50 tags; this request would leave it with 51"
    );
    let tags = tags_of(&ecr, "app").await;
    assert_eq!(tags.len(), 50);
    assert!(
        tags.contains(&tag("k1", "v")),
        "a refused request changes nothing, not even overwrites"
    );

    // Removing makes room again.
    ecr.untag_resource(&ctx(), untagging(&arn("app"), &["k2"]))
        .await
        .unwrap();
    ecr.tag_resource(&ctx(), tagging(&arn("app"), vec![tag("one-more", "v")]))
        .await
        .unwrap();
}

pub async fn key_and_value_limits(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    let key_128 = "k".repeat(128);
    let value_256 = "v".repeat(256);
    ecr.tag_resource(
        &ctx(),
        tagging(&arn("app"), vec![tag(&key_128, &value_256)]),
    )
    .await
    .unwrap();
    assert_eq!(tags_of(&ecr, "app").await, vec![tag(&key_128, &value_256)]);

    let refused = [
        (
            tag(&"k".repeat(129), "v"),
            "Invalid parameter at 'tags.2.member.Key' failed to satisfy constraint: 'Tag keys must be between 1 and 128 characters long'",
        ),
        (
            tag("", "v"),
            "Invalid parameter at 'tags.2.member.Key' failed to satisfy constraint: 'Tag keys must be between 1 and 128 characters long'",
        ),
        (
            tag("k", &"v".repeat(257)),
            "Invalid parameter at 'tags.2.member.Value' failed to satisfy constraint: 'Tag values must be at most 256 characters long'",
        ),
        (
            tag("aws:created-by", "v"),
            "Invalid parameter at 'tags.2.member.Key' failed to satisfy constraint: 'Tag keys must not start with 'aws:', which is reserved for AWS'",
        ),
        (
            tag("AWS:x", "v"),
            "Invalid parameter at 'tags.2.member.Key' failed to satisfy constraint: 'Tag keys must not start with 'aws:', which is reserved for AWS'",
        ),
    ];
    for (bad, expected) in refused {
        let request = tagging(&arn("app"), vec![tag("fine", "1"), bad]);
        let (kind, message) = failure(ecr.tag_resource(&ctx(), request).await);
        assert_eq!(kind, "InvalidTagParameterException");
        assert_eq!(message, expected);
    }
    assert_eq!(
        tags_of(&ecr, "app").await,
        vec![tag(&key_128, &value_256)],
        "refused requests change nothing"
    );

    let (kind, message) = failure(
        ecr.untag_resource(&ctx(), untagging(&arn("app"), &["fine", "aws:x"]))
            .await,
    );
    assert_eq!(kind, "InvalidTagParameterException");
    assert!(
        message.starts_with("Invalid parameter at 'tagKeys.2.member'"),
        "{message}"
    );
}

pub async fn resource_arns_are_checked(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    for bad in [
        "invalid",
        "arn:aws:ecr:us-east-1:123456789012:app",
        "arn:aws:s3:::bucket",
        "",
    ] {
        let (kind, message) = failure(
            ecr.list_tags_for_resource(
                &ctx(),
                ListTagsForResourceRequest {
                    resource_arn: bad.into(),
                },
            )
            .await,
        );
        assert_eq!(kind, "InvalidParameterException", "{bad}");
        assert_eq!(
            message,
            "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'"
        );
        let (kind, _) = failure(
            ecr.tag_resource(&ctx(), tagging(bad, vec![tag("a", "b")]))
                .await,
        );
        assert_eq!(kind, "InvalidParameterException");
        let (kind, _) = failure(ecr.untag_resource(&ctx(), untagging(bad, &["a"])).await);
        assert_eq!(kind, "InvalidParameterException");
    }

    let foreign = "arn:aws:ecr:us-east-1:210987654321:repository/app";
    let (kind, message) = failure(
        ecr.tag_resource(&ctx(), tagging(foreign, vec![tag("a", "b")]))
            .await,
    );
    assert_eq!(
        (kind, message),
        (
            "AccessDeniedException",
            access_denied_message("TagResource", foreign)
        )
    );
    let (kind, message) = failure(ecr.untag_resource(&ctx(), untagging(foreign, &["a"])).await);
    assert_eq!(
        (kind, message),
        (
            "AccessDeniedException",
            access_denied_message("UntagResource", foreign)
        )
    );
    let (kind, message) = failure(
        ecr.list_tags_for_resource(
            &ctx(),
            ListTagsForResourceRequest {
                resource_arn: foreign.into(),
            },
        )
        .await,
    );
    assert_eq!(
        (kind, message),
        (
            "AccessDeniedException",
            access_denied_message("ListTagsForResource", foreign)
        )
    );

    // The same repository name in another region is another repository.
    let elsewhere = "arn:aws:ecr:eu-west-1:123456789012:repository/app";
    let (kind, message) = failure(
        ecr.tag_resource(&ctx(), tagging(elsewhere, vec![tag("a", "b")]))
            .await,
    );
    assert_eq!(
        (kind, message),
        ("RepositoryNotFoundException", not_found_message("app"))
    );

    let (kind, message) = failure(
        ecr.list_tags_for_resource(
            &ctx(),
            ListTagsForResourceRequest {
                resource_arn: arn("nope"),
            },
        )
        .await,
    );
    assert_eq!(
        (kind, message),
        ("RepositoryNotFoundException", not_found_message("nope"))
    );
    let (kind, message) = failure(
        ecr.untag_resource(&ctx(), untagging(&arn("nope"), &["a"]))
            .await,
    );
    assert_eq!(
        (kind, message),
        ("RepositoryNotFoundException", not_found_message("nope"))
    );
    assert_eq!(tags_of(&ecr, "app").await, Vec::<Tag>::new());
}

pub async fn an_arn_naming_what_no_repository_can_be_called_is_not_found(store: TestStore) {
    let ecr = Ecr::with_store(store);
    // Well-formed, in the caller's registry, but the name breaks the naming rules.
    for name in ["App", "a", "team//app"] {
        let (kind, message) = failure(
            ecr.list_tags_for_resource(
                &ctx(),
                ListTagsForResourceRequest {
                    resource_arn: arn(name),
                },
            )
            .await,
        );
        assert_eq!(
            (kind, message),
            ("RepositoryNotFoundException", not_found_message(name)),
            "{name}"
        );
    }
    // The account is checked first: another account's ARN is refused whatever its name.
    let foreign = "arn:aws:ecr:us-east-1:210987654321:repository/App";
    let (kind, _) = failure(
        ecr.tag_resource(&ctx(), tagging(foreign, vec![tag("k", "v")]))
            .await,
    );
    assert_eq!(kind, "AccessDeniedException");
}

pub async fn a_context_naming_no_valid_registry_is_a_server_fault(store: TestStore) {
    let ecr = Ecr::with_store(store);
    for (account_id, region) in [("not-an-account", REGION), (ACCOUNT, "Not A Region")] {
        let (kind, _) = failure(
            ecr.list_tags_for_resource(
                &context(account_id, region),
                ListTagsForResourceRequest {
                    resource_arn: arn("app"),
                },
            )
            .await,
        );
        assert_eq!(kind, "InternalFailure", "{account_id} {region}");
        let (kind, _) = failure(
            ecr.create_repository(&context(account_id, region), create_request("app"))
                .await,
        );
        assert_eq!(kind, "InternalFailure", "{account_id} {region}");
    }
}
