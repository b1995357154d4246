use std::collections::BTreeSet;

use ecr_generated::types::{
    DeleteRepositoryRequest, DescribeRepositoriesRequest, DescribeRepositoriesResponse,
};
use ecr_impl::Ecr;

use crate::TestStore;
use crate::common::*;

fn by_names(names: &[&str]) -> DescribeRepositoriesRequest {
    DescribeRepositoriesRequest {
        repository_names: Some(names.iter().map(|name| name.parse().unwrap()).collect()),
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
        .map(|r| {
            r.repository_name
                .clone()
                .map(String::from)
                .unwrap_or_default()
        })
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
        repository_name: name.parse().unwrap(),
        registry_id: None,
        force: false,
    };
    ecr.delete_repository(&ctx(), request).await.unwrap();
}

pub async fn by_name_answers_in_request_order(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let created = create(&ecr, "bb").await;
    create(&ecr, "aa").await;
    create(&ecr, "cc").await;
    let response = ecr
        .describe_repositories(&ctx(), by_names(&["cc", "bb", "aa"]))
        .await
        .unwrap();
    assert_eq!(names(&response), ["cc", "bb", "aa"]);
    assert_eq!(response.next_token, None);
    assert_eq!(
        response.repositories.unwrap()[1],
        created,
        "describe shows what create returned"
    );
}

pub async fn by_name_fails_on_the_first_missing_repository(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "aa").await;
    let (kind, message) = failure(
        ecr.describe_repositories(&ctx(), by_names(&["aa", "missing1", "missing2"]))
            .await,
    );
    assert_eq!(kind, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("missing1"));
}

pub async fn by_name_refuses_pagination_members(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "aa").await;
    let request = DescribeRepositoriesRequest {
        max_results: Some(10),
        ..by_names(&["aa"])
    };
    let (kind, message) = failure(ecr.describe_repositories(&ctx(), request).await);
    assert_eq!(kind, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'maxResults' failed to satisfy constraint: 'maxResults cannot be specified together with repositoryNames'"
    );
    let request = DescribeRepositoriesRequest {
        next_token: Some("x".into()),
        ..by_names(&["aa"])
    };
    let (kind, message) = failure(ecr.describe_repositories(&ctx(), request).await);
    assert_eq!(kind, "InvalidParameterException");
    assert!(
        message.starts_with("Invalid parameter at 'nextToken'"),
        "{message}"
    );
}

pub async fn an_empty_registry_has_one_empty_page(store: TestStore) {
    let response = Ecr::with_store(store)
        .describe_repositories(&ctx(), page_request(None, None))
        .await
        .unwrap();
    assert_eq!(response.repositories, Some(Vec::new()));
    assert_eq!(response.next_token, None);
}

pub async fn pages_go_by_name_and_the_last_has_no_token(store: TestStore) {
    let ecr = Ecr::with_store(store);
    for name in ["gg", "cc", "aa", "ee", "bb", "ff", "dd"] {
        create(&ecr, name).await;
    }
    let pages = all_pages(&ecr, 3, async |_| {}).await;
    assert_eq!(
        pages,
        [vec!["aa", "bb", "cc"], vec!["dd", "ee", "ff"], vec!["gg"]]
    );

    // A page that ends exactly at the last repository is the last page.
    let pages = all_pages(&ecr, 7, async |_| {}).await;
    assert_eq!(pages.len(), 1);
}

pub async fn the_default_page_holds_one_hundred(store: TestStore) {
    let ecr = Ecr::with_store(store);
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

pub async fn a_token_that_berth_did_not_issue_is_refused(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "aa").await;
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

pub async fn a_token_stays_valid_when_its_repository_is_deleted(store: TestStore) {
    let ecr = Ecr::with_store(store);
    for name in ["aa", "bb", "cc", "dd"] {
        create(&ecr, name).await;
    }
    let first = ecr
        .describe_repositories(&ctx(), page_request(Some(2), None))
        .await
        .unwrap();
    assert_eq!(names(&first), ["aa", "bb"]);
    delete(&ecr, "bb").await;
    let second = ecr
        .describe_repositories(&ctx(), page_request(Some(2), first.next_token))
        .await
        .unwrap();
    assert_eq!(names(&second), ["cc", "dd"]);
    assert_eq!(second.next_token, None);
}

pub async fn changes_between_pages_cause_no_duplicates_and_no_skips(store: TestStore) {
    let ecr = Ecr::with_store(store);
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

pub async fn concurrent_churn_causes_no_duplicates_and_no_skips(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let stable: Vec<String> = (0..200).map(|i| format!("stable-{i:03}")).collect();
    for name in &stable {
        create(&ecr, name).await;
    }
    let churn = {
        let ecr = ecr.clone();
        tokio::spawn(async move {
            for round in 0..400 {
                // Names that sort between, before and after the stable ones.
                let name = format!("{}-churn-{round}", ["aa", "stable-1", "zz"][round % 3]);
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

pub async fn unknown_and_foreign_registries(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let request = DescribeRepositoriesRequest {
        registry_id: Some(ACCOUNT.parse().unwrap()),
        ..by_names(&["nope"])
    };
    let (kind, message) = failure(ecr.describe_repositories(&ctx(), request).await);
    assert_eq!(kind, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("nope"));

    let request = DescribeRepositoriesRequest {
        registry_id: Some(OTHER_ACCOUNT.parse().unwrap()),
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
