use std::collections::BTreeSet;

use ecr_generated::types::{
    DeleteRepositoryRequest, DescribeRepositoriesRequest, DescribeRepositoriesResponse,
};
use ecr_impl::Ecr;

use crate::common::*;

fn by_names(names: &[&str]) -> DescribeRepositoriesRequest {
    DescribeRepositoriesRequest {
        repository_names: Some(names.iter().map(|name| name.to_string()).collect()),
        ..Default::default()
    }
}

fn page_request(
    max_results: Option<i32>,
    next_token: Option<String>,
) -> DescribeRepositoriesRequest {
    DescribeRepositoriesRequest {
        max_results,
        next_token,
        ..Default::default()
    }
}

fn names(response: &DescribeRepositoriesResponse) -> Vec<String> {
    let repositories = response
        .repositories
        .as_ref()
        .expect("repositories is always present");
    repositories
        .iter()
        .map(|r| r.repository_name.clone().unwrap_or_default())
        .collect()
}

/// Every page from the first, with `between` run after each page.
async fn all_pages(
    ecr: &Ecr,
    max_results: i32,
    mut between: impl AsyncFnMut(usize),
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let response = ecr
            .describe_repositories(&ctx(), page_request(Some(max_results), token))
            .await
            .unwrap();
        pages.push(names(&response));
        between(pages.len()).await;
        match response.next_token {
            Some(next) => token = Some(next),
            None => return pages,
        }
    }
}

async fn delete(ecr: &Ecr, name: &str) {
    let request = DeleteRepositoryRequest {
        repository_name: name.into(),
        ..Default::default()
    };
    ecr.delete_repository(&ctx(), request).await.unwrap();
}

#[tokio::test]
async fn by_name_answers_in_request_order() {
    let ecr = ecr();
    let created = create(&ecr, "b").await;
    create(&ecr, "a").await;
    create(&ecr, "c").await;
    let response = ecr
        .describe_repositories(&ctx(), by_names(&["c", "b", "a"]))
        .await
        .unwrap();
    assert_eq!(names(&response), ["c", "b", "a"]);
    assert_eq!(response.next_token, None);
    assert_eq!(
        response.repositories.unwrap()[1],
        created,
        "describe shows what create returned"
    );
}

#[tokio::test]
async fn by_name_fails_on_the_first_missing_repository() {
    let ecr = ecr();
    create(&ecr, "a").await;
    let (kind, message) = failure(
        ecr.describe_repositories(&ctx(), by_names(&["a", "missing1", "missing2"]))
            .await,
    );
    assert_eq!(kind, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("missing1"));
}

#[tokio::test]
async fn by_name_refuses_pagination_members() {
    let ecr = ecr();
    create(&ecr, "a").await;
    let request = DescribeRepositoriesRequest {
        max_results: Some(10),
        ..by_names(&["a"])
    };
    let (kind, message) = failure(ecr.describe_repositories(&ctx(), request).await);
    assert_eq!(kind, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'maxResults' failed to satisfy constraint: 'maxResults cannot be specified together with repositoryNames'"
    );
    let request = DescribeRepositoriesRequest {
        next_token: Some("x".into()),
        ..by_names(&["a"])
    };
    let (kind, message) = failure(ecr.describe_repositories(&ctx(), request).await);
    assert_eq!(kind, "InvalidParameterException");
    assert!(
        message.starts_with("Invalid parameter at 'nextToken'"),
        "{message}"
    );
}

#[tokio::test]
async fn an_empty_registry_has_one_empty_page() {
    let response = ecr()
        .describe_repositories(&ctx(), page_request(None, None))
        .await
        .unwrap();
    assert_eq!(response.repositories, Some(Vec::new()));
    assert_eq!(response.next_token, None);
}

#[tokio::test]
async fn pages_go_by_name_and_the_last_has_no_token() {
    let ecr = ecr();
    for name in ["g", "c", "a", "e", "b", "f", "d"] {
        create(&ecr, name).await;
    }
    let pages = all_pages(&ecr, 3, async |_| {}).await;
    assert_eq!(pages, [vec!["a", "b", "c"], vec!["d", "e", "f"], vec!["g"]]);

    // A page that ends exactly at the last repository is the last page.
    let pages = all_pages(&ecr, 7, async |_| {}).await;
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn the_default_page_holds_one_hundred() {
    let ecr = ecr();
    for i in 0..101 {
        create(&ecr, &format!("repo-{i:03}")).await;
    }
    let first = ecr
        .describe_repositories(&ctx(), page_request(None, None))
        .await
        .unwrap();
    assert_eq!(names(&first).len(), 100);
    let second = ecr
        .describe_repositories(&ctx(), page_request(None, first.next_token))
        .await
        .unwrap();
    assert_eq!(names(&second), ["repo-100"]);
    assert_eq!(second.next_token, None);
}

#[tokio::test]
async fn a_token_that_berth_did_not_issue_is_refused() {
    let ecr = ecr();
    create(&ecr, "a").await;
    for token in ["garbage", "1", "bmV4dA", "!!!"] {
        let (kind, message) = failure(
            ecr.describe_repositories(&ctx(), page_request(None, Some(token.into())))
                .await,
        );
        assert_eq!(kind, "InvalidParameterException");
        assert_eq!(
            message,
            "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'"
        );
    }
}

#[tokio::test]
async fn a_token_stays_valid_when_its_repository_is_deleted() {
    let ecr = ecr();
    for name in ["a", "b", "c", "d"] {
        create(&ecr, name).await;
    }
    let first = ecr
        .describe_repositories(&ctx(), page_request(Some(2), None))
        .await
        .unwrap();
    assert_eq!(names(&first), ["a", "b"]);
    delete(&ecr, "b").await;
    let second = ecr
        .describe_repositories(&ctx(), page_request(Some(2), first.next_token))
        .await
        .unwrap();
    assert_eq!(names(&second), ["c", "d"]);
    assert_eq!(second.next_token, None);
}

#[tokio::test]
async fn changes_between_pages_cause_no_duplicates_and_no_skips() {
    let ecr = ecr();
    let stable: Vec<String> = (0..30).map(|i| format!("stable-{i:02}")).collect();
    for name in &stable {
        create(&ecr, name).await;
    }
    for i in 0..10 {
        create(&ecr, &format!("doomed-{i:02}")).await;
    }
    // After each page: delete a repository (ahead of the cursor at first, behind it later)
    // and create one before and one after the cursor.
    let pages = all_pages(&ecr, 4, async |page| {
        if page <= 10 {
            delete(&ecr, &format!("doomed-{:02}", 10 - page)).await;
        }
        create(&ecr, &format!("aaa-new-{page:02}")).await;
        create(&ecr, &format!("zzz-new-{page:02}")).await;
    })
    .await;
    let seen: Vec<String> = pages.into_iter().flatten().collect();
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "no repository is listed twice: {seen:?}"
    );
    for name in &stable {
        assert!(
            unique.contains(name),
            "{name} existed throughout and was skipped"
        );
    }
    assert!(
        seen.windows(2).all(|pair| pair[0] < pair[1]),
        "one pass in name order: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_churn_causes_no_duplicates_and_no_skips() {
    let ecr = ecr();
    let stable: Vec<String> = (0..200).map(|i| format!("stable-{i:03}")).collect();
    for name in &stable {
        create(&ecr, name).await;
    }
    let churn = {
        let ecr = ecr.clone();
        tokio::spawn(async move {
            for round in 0..400 {
                // Names that sort between, before and after the stable ones.
                let name = format!("{}-churn-{round}", ["a", "stable-1", "zz"][round % 3]);
                create(&ecr, &name).await;
                tokio::task::yield_now().await;
                delete(&ecr, &name).await;
            }
        })
    };
    let mut passes = 0;
    while !churn.is_finished() || passes == 0 {
        let seen: Vec<String> = all_pages(&ecr, 7, async |_| tokio::task::yield_now().await)
            .await
            .concat();
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no repository is listed twice");
        assert!(
            stable.iter().all(|name| unique.contains(name)),
            "no stable repository is skipped"
        );
        passes += 1;
    }
    churn.await.unwrap();
}

#[tokio::test]
async fn unknown_and_foreign_registries() {
    let ecr = ecr();
    let request = DescribeRepositoriesRequest {
        registry_id: Some(ACCOUNT.into()),
        ..by_names(&["nope"])
    };
    let (kind, message) = failure(ecr.describe_repositories(&ctx(), request).await);
    assert_eq!(kind, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("nope"));

    let request = DescribeRepositoriesRequest {
        registry_id: Some(OTHER_ACCOUNT.into()),
        ..Default::default()
    };
    let (kind, message) = failure(ecr.describe_repositories(&ctx(), request).await);
    assert_eq!(kind, "AccessDeniedException");
    assert_eq!(
        message,
        access_denied_message(
            "DescribeRepositories",
            "arn:aws:ecr:us-east-1:210987654321:repository/*"
        )
    );
}
