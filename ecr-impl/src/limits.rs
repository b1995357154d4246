//! Every limit ECR enforces that the Smithy model does not state, in one place.

/// Tags a repository may carry after any call (TagResource, CreateRepository).
pub const MAX_TAGS_PER_REPOSITORY: usize = 50;

/// Tag keys are 1 to this many characters.
pub const MAX_TAG_KEY_CHARS: usize = 128;

/// Tag values are 0 to this many characters.
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// Tag keys with this prefix (in any letter case) are reserved for AWS.
pub const RESERVED_TAG_KEY_PREFIX: &str = "aws:";

/// Repositories per DescribeRepositories page when the caller gives no `maxResults`.
pub const DEFAULT_DESCRIBE_REPOSITORIES_PAGE_SIZE: usize = 100;

/// How long a GetAuthorizationToken password is accepted after it is issued (ECR: 12 hours).
pub const AUTHORIZATION_TOKEN_LIFETIME: std::time::Duration =
    std::time::Duration::from_secs(12 * 60 * 60);

// ---- image operations ----

/// Tags one image may carry (ECR: 1000; the 1001st is LimitExceeded).
pub const MAX_TAGS_PER_IMAGE: usize = 1000;

/// ListImages entries per page when the caller gives no `maxResults`.
pub const DEFAULT_LIST_IMAGES_PAGE_SIZE: usize = 100;

/// DescribeImages details per page when the caller gives no `maxResults`.
pub const DEFAULT_DESCRIBE_IMAGES_PAGE_SIZE: usize = 100;

/// ListImageReferrers referrers per page when the caller gives no `maxResults`.
pub const DEFAULT_LIST_IMAGE_REFERRERS_PAGE_SIZE: usize = 20;

// ---- Layer uploads and downloads (ecr-impl/src/layers) ----

/// [real] The `partSize` InitiateLayerUpload answers (AWS CLI example): 10 MiB.
pub const LAYER_PART_SIZE: u64 = 10 * 1024 * 1024;

/// [model] Every part of a layer upload but the last must be at least this long (5 MiB),
/// else CompleteLayerUpload fails with LayerPartTooSmall.
pub const MIN_LAYER_PART_SIZE: u64 = 5 * 1024 * 1024;

/// [choice] How long an upload may stay incomplete: older uploads are dropped, rows and
/// staged bytes, by `Ecr::expire_uploads` (7 days, counted from InitiateLayerUpload).
pub const UPLOAD_LIFETIME: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 60 * 60);

/// [choice] How long a GetDownloadUrlForLayer URL stays valid (1 hour).
pub const LAYER_DOWNLOAD_URL_LIFETIME: std::time::Duration =
    std::time::Duration::from_secs(60 * 60);

/// [choice] How long a blob no repository links survives garbage collection: a blob published
/// by a layer upload that has not linked it yet must survive (1 hour).
pub const UNLINKED_BLOB_GRACE: std::time::Duration = std::time::Duration::from_secs(60 * 60);

// --- Rendered pages (issue 10, performance) ---

/// How many rendered repository and image views are kept ready for pages (each some
/// hundreds of bytes); past it the kept views are dropped and rendered again as pages ask.
/// Not an ECR limit: memory against CPU.
pub const MAX_RENDERED_ENTRIES: usize = 20_000;

// ==== Lifecycle policies and previews ====

/// [real] At most this many `*` in one `tagPatternList` entry.
pub const MAX_LIFECYCLE_PATTERN_WILDCARDS: usize = 4;

/// [real] `sinceImageTransitioned` needs at least this many days (archived images stay 90).
pub const MIN_LIFECYCLE_ARCHIVE_DAYS: i64 = 90;

// [choice] No rule count limit besides the model's 30,720-character text: AWS documents
// none (its quotas name only the length), so a 100-rule policy that fits is accepted.

/// [choice] GetLifecyclePolicyPreview results per page when the caller gives no `maxResults`.
pub const DEFAULT_LIFECYCLE_PREVIEW_PAGE_SIZE: usize = 100;

// ==== Registry policy, replication, account settings ====

/// [real quota] Distinct destinations one replication configuration may name (the model
/// allows 100 per rule).
pub const MAX_REPLICATION_DESTINATIONS: usize = 25;

// ==== Repository creation templates ====

/// [model] DescribeRepositoryCreationTemplates templates per page when the caller gives no
/// `maxResults`.
pub const DEFAULT_DESCRIBE_CREATION_TEMPLATES_PAGE_SIZE: usize = 100;

// ==== Scanning, signing, pull-time exclusions ====

/// [real] How often one image may be scanned: a second scan (StartImageScan or scan on push)
/// within this time of the last one is LimitExceeded (24 hours).
pub const SCAN_QUOTA_PERIOD: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// [model] How many pull-time update exclusions a registry may hold.
pub const MAX_PULL_TIME_UPDATE_EXCLUSIONS: usize = 100;

/// [model] ListPullTimeUpdateExclusions' page without `maxResults` (the batch-1 default).
pub const DEFAULT_LIST_PULL_TIME_UPDATE_EXCLUSIONS_PAGE_SIZE: usize = 100;

// ==== Pull-through cache ====

/// [real quota] The most pull through cache rules a registry may have.
pub const MAX_PULL_THROUGH_CACHE_RULES: usize = 50;

/// [model doc] DescribePullThroughCacheRules' page when `maxResults` is absent.
pub const DEFAULT_DESCRIBE_PULL_THROUGH_CACHE_RULES_PAGE_SIZE: usize = 100;

/// [real: docs] How long a tag pulled through a rule is served from the cache before the
/// upstream is asked again (24 hours).
pub const PULL_THROUGH_TAG_RECHECK: std::time::Duration =
    std::time::Duration::from_secs(24 * 60 * 60);

// ==== Events ====

/// [choice] How many recent events `GET /_berth/events` shows (older ones are forgotten).
pub const EVENTS_RECENT: usize = 1000;

/// [choice] How many events a live subscriber (`GET /_berth/events` as a stream) may fall
/// behind before it misses some.
pub const EVENTS_LIVE_BACKLOG: usize = 1024;
