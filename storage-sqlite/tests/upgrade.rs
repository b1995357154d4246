//! Databases written by every release of the schema open in today's Berth and read back
//! exactly. `fixtures/schema-vN.db` was made by `fixtures/make-fixture.py` with the release
//! that wrote schema version N, through its API; `fixtures/schema-vN.json` holds what that
//! release's API answered for every repository, and is the oracle here: the code under test
//! never produced it. A version 1 file goes through the upgrade to today's encoding; the
//! latest one pins today's encoding itself. An upgrade keeps every repository's id.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use berth_runtime::RequestContext;
use berth_runtime::error::ErrorResponse;
use ecr_generated::types::{
    DescribeRepositoriesRequest, EncryptionConfiguration, EncryptionType,
    GetRepositoryPolicyRequest, ImageTagMutability, ListTagsForResourceRequest, Repository, Tag,
};
use ecr_impl::Ecr;
use ecr_impl::store::meta;
use ecr_impl::store::{RepositoryRecord, Scope, TagMutability};
use rusqlite::{Connection, OpenFlags};
use serde::Deserialize;
use storage_sqlite::layout::DATABASE_FILE;
use storage_sqlite::{OpenError, SqliteStore, schema};
use support::{TempDir, refused};

/// What `make-fixture.py` recorded beside a database.
#[derive(Debug, Deserialize)]
struct Fixture {
    made_by: MadeBy,
    registries: Vec<Registry>,
    /// Read-only calls and what they answered (schema version 4 on: images and the
    /// registry-level settings, which live in documents).
    #[serde(default)]
    reads: Vec<Read>,
}

/// One read-only call the release answered, in one registry.
#[derive(Debug, Deserialize)]
struct Read {
    account: String,
    region: String,
    operation: String,
    input: serde_json::Value,
    answer: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct MadeBy {
    commit: String,
    schema_version: u32,
}

#[derive(Debug, Deserialize)]
struct Registry {
    account: String,
    region: String,
    repositories: Vec<Entry>,
}

/// One repository as the API shows it: DescribeRepositories, ListTagsForResource and
/// GetRepositoryPolicy (`None`: RepositoryPolicyNotFoundException).
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Entry {
    repository: Repository,
    tags: Vec<Tag>,
    #[serde(rename = "policyText")]
    policy_text: Option<String>,
}

fn fixture_path(version: u32, extension: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("schema-v{version}.{extension}"))
}

fn fixture(version: u32) -> Fixture {
    let text = fs::read_to_string(fixture_path(version, "json")).unwrap();
    let fixture: Fixture = serde_json::from_str(&text).unwrap();
    assert_eq!(fixture.made_by.schema_version, version);
    fixture
}

/// The schema version of a closed database file, read without changing it.
fn file_version(database: &Path) -> u32 {
    let conn = Connection::open_with_flags(
        format!("file:{}?immutable=1", database.display()),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    schema::version(&conn).unwrap()
}

/// A data directory holding a copy of the schema `version` fixture.
fn copy_of(version: u32) -> TempDir {
    let dir = TempDir::new(&format!("schema-v{version}"));
    fs::copy(fixture_path(version, "db"), dir.path().join(DATABASE_FILE)).unwrap();
    dir
}

fn context(registry: &Registry) -> RequestContext {
    RequestContext {
        account_id: registry.account.clone(),
        region: registry.region.clone(),
        request_id: "upgrade-test".into(),
        operation: "",
        endpoint: String::new(),
    }
}

/// Every repository of a registry as the API shows it, page by page.
async fn read_back(ecr: &Ecr, ctx: &RequestContext) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut token = None;
    loop {
        let request = DescribeRepositoriesRequest {
            max_results: Some(2),
            next_token: token,
            ..Default::default()
        };
        let page = ecr.describe_repositories(ctx, request).await.unwrap();
        for repository in page.repositories.unwrap_or_default() {
            let resource_arn = repository.repository_arn.clone().unwrap();
            let tags = ecr
                .list_tags_for_resource(ctx, ListTagsForResourceRequest { resource_arn })
                .await
                .unwrap()
                .tags
                .unwrap_or_default();
            let request = GetRepositoryPolicyRequest {
                repository_name: repository.repository_name.clone().unwrap(),
                registry_id: None,
            };
            let policy_text = match ecr.get_repository_policy(ctx, request).await {
                Ok(response) => response.policy_text.map(|text| text.to_string()),
                Err(error) => {
                    assert_eq!(error.type_name(), "RepositoryPolicyNotFoundException");
                    None
                }
            };
            entries.push(Entry {
                repository,
                tags,
                policy_text,
            });
        }
        token = page.next_token;
        if token.is_none() {
            return entries;
        }
    }
}

/// Compares one repository field by field, so a difference names its field.
#[track_caller]
fn assert_same(version: u32, actual: &Entry, expected: &Entry) {
    let (a, e) = (&actual.repository, &expected.repository);
    let name = format!(
        "schema-v{version}: {}",
        e.repository_name.as_deref().unwrap_or("?")
    );
    macro_rules! same {
        ($actual:expr, $expected:expr, $($field:ident => $wire:literal),+ $(,)?) => {
            $(assert_eq!($actual.$field, $expected.$field, "{name}: {}", $wire);)+
        };
    }
    same!(a, e,
        repository_name => "repositoryName",
        repository_arn => "repositoryArn",
        registry_id => "registryId",
        repository_uri => "repositoryUri",
        created_at => "createdAt",
        image_tag_mutability => "imageTagMutability",
        image_tag_mutability_exclusion_filters => "imageTagMutabilityExclusionFilters",
        image_scanning_configuration => "imageScanningConfiguration",
        encryption_configuration => "encryptionConfiguration",
    );
    same!(actual, expected, tags => "tags", policy_text => "policyText");
    // And nothing a field-by-field list could miss.
    assert_eq!(actual, expected, "{name}");
}

/// Every schema version this Berth knows has its fixture.
const FIXTURES: std::ops::RangeInclusive<u32> = 1..=5;

#[test]
fn every_schema_version_has_a_fixture() {
    assert_eq!(*FIXTURES.end(), schema::latest_version());
    for version in FIXTURES {
        assert!(
            fixture_path(version, "db").is_file(),
            "schema-v{version}.db"
        );
    }
}

#[test]
fn each_fixture_covers_every_stored_field() {
    for version in FIXTURES {
        covers_every_stored_field(version);
    }
}

fn covers_every_stored_field(version: u32) {
    let fixture = fixture(version);
    assert_eq!(fixture.made_by.commit.len(), 40);
    assert_eq!(file_version(&fixture_path(version, "db")), version);
    let entries: Vec<&Entry> = fixture
        .registries
        .iter()
        .flat_map(|registry| &registry.repositories)
        .collect();
    let accounts: std::collections::BTreeSet<_> =
        fixture.registries.iter().map(|r| &r.account).collect();
    let regions: std::collections::BTreeSet<_> =
        fixture.registries.iter().map(|r| &r.region).collect();
    assert!(accounts.len() >= 2 && regions.len() >= 2);
    let repositories = || entries.iter().map(|entry| &entry.repository);
    for mode in ImageTagMutability::VALUES {
        assert!(
            repositories().any(|r| r.image_tag_mutability == Some(mode)),
            "{mode}"
        );
    }
    let encryption = |r: &Repository| r.encryption_configuration.clone().unwrap();
    for kind in EncryptionType::VALUES {
        assert!(
            repositories().any(|r| encryption(r).encryption_type == kind),
            "{kind}"
        );
    }
    // Keys given by the client and keys Berth chose (an ARN with a generated key id).
    assert!(repositories().any(|r| {
        encryption(r)
            .kms_key
            .is_some_and(|k| !k.starts_with("arn:"))
    }));
    assert!(repositories().any(|r| encryption(r).kms_key.is_some_and(|k| k.starts_with("arn:"))));
    assert!(repositories().any(|r| r.image_tag_mutability_exclusion_filters.is_some()));
    for scan_on_push in [true, false] {
        assert!(repositories().any(|r| {
            r.image_scanning_configuration
                .as_ref()
                .unwrap()
                .scan_on_push
                == scan_on_push
        }));
    }
    assert!(entries.iter().any(|e| e.tags.len() > 2));
    assert!(
        entries
            .iter()
            .any(|e| e.tags.iter().any(|t| !t.value.is_ascii()))
    );
    assert!(entries.iter().any(|e| e.policy_text.is_some()));
    assert!(entries.iter().any(|e| e.policy_text.is_none()));
    // createdAt in milliseconds, as stored.
    assert!(repositories().all(|r| r.created_at.is_some()));
    // From version 4, documents: every read answered, and images among them.
    if version >= 4 {
        assert!(fixture.reads.len() >= 20, "schema-v{version}: reads");
        assert!(
            fixture.reads.iter().any(|read| read.answer["imageDetails"]
                .as_array()
                .is_some_and(|d| !d.is_empty())),
            "schema-v{version}: images"
        );
    }
}

#[tokio::test]
async fn each_fixture_opens_and_reads_back_exactly() {
    for version in FIXTURES {
        reads_back_exactly(version).await;
    }
}

async fn reads_back_exactly(version: u32) {
    let fixture = fixture(version);
    let dir = copy_of(version);
    let ecr = Ecr::with_store(SqliteStore::open(dir.path()).expect("the fixture opens"));
    let mut count = 0;
    for registry in &fixture.registries {
        let actual = read_back(&ecr, &context(registry)).await;
        let names = |entries: &[Entry]| -> Vec<Option<String>> {
            entries
                .iter()
                .map(|e| e.repository.repository_name.as_ref().map(|n| n.to_string()))
                .collect()
        };
        assert_eq!(
            names(&actual),
            names(&registry.repositories),
            "schema-v{version}: {}/{}",
            registry.account,
            registry.region
        );
        for (actual, expected) in actual.iter().zip(&registry.repositories) {
            assert_same(version, actual, expected);
        }
        count += actual.len();
    }
    // No registry the fixture does not list has gained repositories.
    assert_eq!(ecr.all_repositories().await.unwrap().len(), count);
    for read in &fixture.reads {
        let mut ctx = RequestContext {
            account_id: read.account.clone(),
            region: read.region.clone(),
            request_id: "upgrade-test".into(),
            operation: "",
            endpoint: String::new(),
        };
        let target = format!(
            "{}.{}",
            ecr_generated::operations::SERVICE.target_prefix,
            read.operation
        );
        let body = read.input.to_string();
        let request = berth_runtime::protocol::Request {
            target: Some(&target),
            content_type: Some(ecr_generated::operations::SERVICE.content_type),
            body: body.as_bytes(),
        };
        let response = ecr.handle(&mut ctx, request).await;
        let answer: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(
            (response.status, &answer),
            (200, &read.answer),
            "schema-v{version}: {} {} in {}/{}",
            read.operation,
            read.input,
            read.account,
            read.region
        );
    }
    drop(ecr);
    assert_eq!(
        file_version(&dir.path().join(DATABASE_FILE)),
        schema::latest_version()
    );
}

#[tokio::test]
async fn a_damaged_row_stops_the_upgrade_and_leaves_the_database_as_it_was() {
    let dir = copy_of(1);
    let database = dir.path().join(DATABASE_FILE);
    // The last row the migration rewrites, so the rows before it were already rewritten in
    // the transaction that must be undone.
    let conn = Connection::open(&database).unwrap();
    let (name, tags): (String, String) = conn
        .query_row(
            "SELECT name, tags FROM repositories ORDER BY id DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    conn.execute(
        "UPDATE repositories SET tags = '[{\"Key\":\"no value\"}]' WHERE name = ?1",
        [&name],
    )
    .unwrap();
    drop(conn);

    let error = refused(dir.path());
    assert!(matches!(error, OpenError::Damaged { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("upgrading it to schema version 2")
            && message.contains(&format!("the stored repository '{name}'"))
            && message.contains("missing field `Value`")
            && message.contains("left untouched"),
        "{message}"
    );
    assert_eq!(file_version(&database), 1);

    // Repaired, it upgrades: the refused attempt left nothing half done.
    let conn = Connection::open(&database).unwrap();
    conn.execute(
        "UPDATE repositories SET tags = ?1 WHERE name = ?2",
        [&tags, &name],
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(dir.path()).expect("the repaired database opens");
    drop(store);
    assert_eq!(file_version(&database), schema::latest_version());
}

/// Every repository's id and where it is, from a database file.
fn repository_ids(database: &Path) -> Vec<(i64, String, String, String)> {
    let conn = Connection::open_with_flags(
        format!("file:{}?immutable=1", database.display()),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    let mut statement = conn
        .prepare("SELECT id, account_id, region, name FROM repositories ORDER BY id")
        .unwrap();
    statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[tokio::test]
async fn an_upgrade_keeps_every_repository_id_and_gives_new_ones_above_them() {
    for version in FIXTURES {
        let dir = copy_of(version);
        let database = dir.path().join(DATABASE_FILE);
        let before = repository_ids(&database);
        let highest = before.iter().map(|row| row.0).max().unwrap();
        let store = SqliteStore::open(dir.path()).expect("the fixture opens");
        let scope = Scope {
            account_id: "111111111111".parse().unwrap(),
            region: "eu-west-1".parse().unwrap(),
        };
        let record = RepositoryRecord {
            name: "after-upgrade".parse().unwrap(),
            created_at: berth_runtime::Timestamp::from_epoch_millis(1),
            tag_mutability: TagMutability {
                mode: ImageTagMutability::Mutable,
                exclusion_filters: Vec::new(),
            },
            scan_on_push: false,
            encryption: EncryptionConfiguration {
                encryption_type: EncryptionType::Aes256,
                kms_key: None,
            },
            tags: Vec::new(),
            policy_text: None,
        };
        let new = meta::write(&store, move |tx| tx.insert_repository(&scope, &record))
            .await
            .unwrap();
        drop(store);
        assert!(
            new.0 > highest,
            "schema-v{version}: {new:?} after {highest}"
        );
        let after = repository_ids(&database);
        assert_eq!(after[..before.len()], before, "schema-v{version}");
        assert_eq!(after.len(), before.len() + 1, "schema-v{version}");
    }
}

/// Each repository's images as (digest, push time), in the order `order_by` gives.
fn images_in_order(database: &Path, order_by: &str) -> Vec<(i64, Vec<u8>, i64)> {
    let conn = Connection::open_with_flags(
        format!("file:{}?immutable=1", database.display()),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    let mut statement = conn
        .prepare(&format!(
            "SELECT repository_id, digest, pushed_at_ms FROM images ORDER BY repository_id, {order_by}"
        ))
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn an_upgrade_numbers_the_images_in_the_order_the_release_stored_them() {
    let dir = copy_of(4);
    let database = dir.path().join(DATABASE_FILE);
    // Version 4 kept no push order but the order rows were inserted in.
    let inserted = images_in_order(&database, "rowid");
    assert!(inserted.len() >= 3, "the fixture has images");
    drop(SqliteStore::open(dir.path()).expect("the fixture opens"));
    let numbered = images_in_order(&database, "push_sequence");
    assert_eq!(numbered, inserted);
    // The fixture pushed one image after another: push times never fall along that order.
    for pair in numbered.windows(2) {
        if pair[0].0 == pair[1].0 {
            assert!(pair[0].2 <= pair[1].2, "{pair:?}");
        }
    }
}
