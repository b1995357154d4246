//! The operation tests every state backend must pass, by topic, as plain async functions
//! that each take a fresh, empty [`TestStore`]. A backend's crate runs them all with one
//! line in a test binary:
//!
//! ```text
//! fn new_store() -> store_suite::TestStore {
//!     store_suite::TestStore::new(MyStore::new())
//! }
//! store_suite::store_suite!(new_store);
//! ```
//!
//! which defines one `#[tokio::test]` per suite test, named `topic::test` (the calling
//! crate needs tokio with the `macros` and `rt-multi-thread` features). ecr-impl runs the
//! suite in memory (`tests/operations.rs`), storage-sqlite in a data directory.
//!
//! To add a test: write it as `pub async fn name(store: TestStore)` in its topic's module
//! and add its name to the list in [`store_suite!`] (a unit test fails when one is missing).

pub mod common;
mod test_store;

pub mod backend;
pub mod concurrency;
pub mod create;
pub mod delete;
pub mod describe;
pub mod isolation;
pub mod policy;
pub mod settings;
pub mod tables;
pub mod tagging;
pub mod wire;

pub use test_store::TestStore;

/// Defines every suite test as a `#[tokio::test]` in the calling module, each on a store
/// made by `$new_store`, the name of a `fn() -> TestStore` in that module.
#[macro_export]
macro_rules! store_suite {
    ($new_store:ident) => {
        $crate::__suite_tests! { $new_store;
            backend {
                a_repository_with_images_is_deleted_only_with_force,
                a_failing_backend_is_a_server_error_not_a_client_one,
            }
            concurrency {
                #[multi_thread] sixteen_creates_of_one_name_make_one_repository,
                #[multi_thread] concurrent_tagging_never_exceeds_the_limit_or_loses_a_tag,
            }
            create {
                a_new_repository_has_aws_defaults_and_formats,
                requested_settings_are_kept,
                kms_without_a_key_uses_a_stable_aws_managed_key,
                aes256_with_a_kms_key_is_refused,
                exclusion_modes_need_filters_and_other_modes_take_none,
                a_taken_name_is_refused_with_the_registry_id,
                tags_given_on_create_are_applied,
                tags_on_create_are_all_or_nothing,
                another_accounts_registry_is_access_denied,
            }
            delete {
                deleting_returns_the_repository_and_it_is_gone,
                deleting_removes_policy_and_tags,
                another_accounts_registry_is_access_denied,
            }
            describe {
                by_name_answers_in_request_order,
                by_name_fails_on_the_first_missing_repository,
                by_name_refuses_pagination_members,
                an_empty_registry_has_one_empty_page,
                pages_go_by_name_and_the_last_has_no_token,
                the_default_page_holds_one_hundred,
                a_token_that_berth_did_not_issue_is_refused,
                a_token_stays_valid_when_its_repository_is_deleted,
                changes_between_pages_cause_no_duplicates_and_no_skips,
                #[multi_thread] concurrent_churn_causes_no_duplicates_and_no_skips,
                unknown_and_foreign_registries,
            }
            isolation {
                accounts_and_regions_are_separate_registries,
                the_admin_view_lists_every_registry_in_order_and_reset_clears_it,
            }
            policy {
                real_world_policies_are_accepted_and_read_back,
                garbage_is_refused_and_the_old_policy_stays,
                delete_returns_the_removed_policy_then_there_is_none,
                unknown_repositories_and_foreign_registries,
            }
            settings {
                tag_mutability_is_set_and_echoed,
                exclusion_filters_are_echoed_kept_and_cleared,
                exclusion_rules_are_enforced_and_refusals_change_nothing,
                scan_on_push_is_set_and_echoed,
                unknown_repositories_and_foreign_registries,
            }
            tables {
                images_tags_and_references_read_back_exactly,
                documents_belong_to_their_registry_repository_or_image,
                a_failed_job_keeps_none_of_its_writes,
                deleting_a_repository_takes_everything_in_it_and_ids_are_not_reused,
                image_pages_follow_push_time_then_digest_from_any_cursor,
                push_numbers_follow_the_order_of_pushes_not_of_times_or_digests,
                uploads_are_kept_replaced_and_listed_by_age,
                tags_page_in_byte_order_from_any_text,
            }
            tagging {
                tags_are_added_overwritten_and_removed,
                a_repository_holds_at_most_fifty_tags,
                key_and_value_limits,
                resource_arns_are_checked,
                an_arn_naming_what_no_repository_can_be_called_is_not_found,
                a_context_naming_no_valid_registry_is_a_server_fault,
            }
            wire {
                responses_carry_every_member_ecr_sends_and_no_nulls,
                errors_are_aws_shaped,
            }
        }
    };
}

/// One module of tests per topic; `#[multi_thread]` marks a test that needs several worker
/// threads (it races clients against each other).
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_tests {
    ($new_store:ident; $( $topic:ident { $( $(#[$runtime:ident])? $test:ident, )* } )*) => {
        $(
            mod $topic {
                $( $crate::__suite_test!($new_store, $topic, $test $(, $runtime)?); )*
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_test {
    ($new_store:ident, $topic:ident, $test:ident) => {
        #[tokio::test]
        async fn $test() {
            $crate::$topic::$test(super::$new_store()).await;
        }
    };
    ($new_store:ident, $topic:ident, $test:ident, multi_thread) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $test() {
            $crate::$topic::$test(super::$new_store()).await;
        }
    };
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// `(topic, test)` for every name in [`store_suite!`]'s list.
    fn listed() -> BTreeSet<(String, String)> {
        let source = include_str!("lib.rs");
        let start = source
            .find("__suite_tests! { $new_store;")
            .expect("the list");
        let end = start + source[start..].find("\n        }\n").expect("its end");
        let mut topic = String::new();
        let mut names = BTreeSet::new();
        for line in source[start..end].lines().skip(1).map(str::trim) {
            if let Some(name) = line.strip_suffix(" {") {
                topic = name.to_owned();
            } else if let Some(name) = line.strip_suffix(',') {
                let name = name.trim_start_matches("#[multi_thread] ");
                names.insert((topic.clone(), name.to_owned()));
            }
        }
        names
    }

    /// `(topic, test)` for every `pub async fn NAME(store: TestStore)` in `src/`.
    fn written() -> BTreeSet<(String, String)> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut names = BTreeSet::new();
        for entry in std::fs::read_dir(src).expect("src/") {
            let path = entry.expect("an entry").path();
            let topic = path.file_stem().expect("a file name").to_string_lossy();
            let source = std::fs::read_to_string(&path).expect("a source file");
            for line in source.lines() {
                if let Some(rest) = line.strip_prefix("pub async fn ") {
                    if let Some(name) = rest.strip_suffix("(store: TestStore) {") {
                        names.insert((topic.to_string(), name.to_owned()));
                    }
                }
            }
        }
        names
    }

    #[test]
    fn every_suite_test_is_listed_for_the_backends_to_run() {
        let listed = listed();
        let written = written();
        assert!(listed.len() > 40, "the list was not read: {listed:?}");
        let unlisted: Vec<_> = written.difference(&listed).collect();
        let missing: Vec<_> = listed.difference(&written).collect();
        assert!(
            unlisted.is_empty(),
            "written but not in store_suite!: {unlisted:?}"
        );
        assert!(
            missing.is_empty(),
            "in store_suite! but not written: {missing:?}"
        );
    }
}
