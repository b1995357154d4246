//! The pull through cache on `/v2` (`ecr-behaviour-registry.md` §5): before a manifest GET
//! or HEAD of a repository under a rule's prefix is answered, an image the repository
//! lacks (or a tag last asked upstream more than 24 hours ago) is fetched from the rule's
//! upstream: the manifest first (nothing is written if the upstream cannot give it), then
//! the cache repository is created (a PULL_THROUGH_CACHE creation template's settings),
//! each blob streamed into it, and the image stored through the one push path
//! (`Ecr::push_image`); for an index, every child manifest with its blobs first [choice].
//! The pull is then answered as any other. A pull the upstream could not serve answers
//! what the repository has (a cached image is still served while the upstream is down),
//! else `NAME_UNKNOWN`/`MANIFEST_UNKNOWN` with the upstream's reason.

use ecr_generated::errors::PutImageError;
use ecr_generated::types::{ImageManifest, ImageTag, RepositoryName};
use ecr_impl::events;
use ecr_impl::images::manifest;
use ecr_impl::layers::{self, LayerError, Part};
use ecr_impl::pull_through::{PullReference, PullThroughSource};
use ecr_impl::store::blobs::Sha256Digest;

use super::Ctx;
use crate::upstream::{UpstreamError, UpstreamSession};

/// Why a pull through did not store the image, for the pull's error message.
pub(crate) struct PullThroughFailure {
    pub upstream_registry_url: String,
    pub reason: String,
}

impl PullThroughFailure {
    pub(crate) fn message(&self, reference: &str) -> String {
        ecr_impl::pull_through::pull_through_upstream_failed(
            &self.upstream_registry_url,
            reference,
            &self.reason,
        )
    }
}

/// Fetches `reference` of `name` from its rule's upstream when it is due; `Ok` when there
/// is no rule, nothing is due, or the image is now stored.
pub(crate) async fn refresh(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    reference: &str,
) -> Result<(), PullThroughFailure> {
    let ecr = &ctx.state.ecr;
    let pull = match parse_reference(reference) {
        Some(pull) => pull,
        // Not a tag or digest: the normal path answers its error.
        None => return Ok(()),
    };
    let source = match ecr.pull_through_source(ctx.scope, name).await {
        Ok(Some(source)) => source,
        Ok(None) => return Ok(()),
        Err(error) => {
            tracing::warn!(%error, "pull through: rules unreadable");
            return Ok(());
        }
    };
    let failure = |reason: String| PullThroughFailure {
        upstream_registry_url: source.upstream_registry_url.clone(),
        reason,
    };
    let due = || async {
        (ecr.pull_through_due(ctx.scope, name, &pull).await).map_err(|e| failure(e.to_string()))
    };
    // What is cached is served without waiting for another pull's upstream.
    if !due().await? {
        return Ok(());
    }
    // Pulls of one repository fetch in turn; the one before may have stored this image.
    let _turn = (ctx.state.upstreams)
        .one_pull_at_a_time(format!(
            "{}/{}/{name}",
            ctx.scope.account_id.as_str(),
            ctx.scope.region.as_str()
        ))
        .await;
    if !due().await? {
        return Ok(());
    }
    let Some(mut session) = ctx
        .state
        .upstreams
        .session(&source.upstream_registry_url, &source.upstream_repository)
    else {
        return Err(failure(format!(
            "Berth has no --upstream mapping for {}",
            source.upstream_registry_url
        )));
    };
    let outcome = fetch(ctx, name, &source, &mut session, reference).await;
    announce(ctx, name, &source, &pull, &outcome);
    let outcome = outcome.map(|_| ());
    match (&outcome, &pull) {
        (Ok(()), PullReference::Tag(tag)) => {
            if let Err(error) = ecr.pull_through_checked(ctx.scope, name, tag).await {
                tracing::warn!(%error, "pull through: tag check not recorded");
            }
        }
        (Err(reason), _) => {
            tracing::info!(repository = %name, reference, %reason, "pull through failed");
        }
        _ => {}
    }
    outcome.map_err(|error| failure(error.0))
}

/// The `ECR Pull Through Cache Action` event of a pull through that fetched (or failed to
/// fetch) `pull` of `name`: the digest of the image stored, else the one asked for.
fn announce(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    source: &PullThroughSource,
    pull: &PullReference,
    outcome: &Result<Sha256Digest, UpstreamError>,
) {
    let (tag, asked) = match pull {
        PullReference::Tag(tag) => (Some(tag.as_str()), None),
        PullReference::Digest(digest) => (None, Some(*digest)),
    };
    let digest = outcome.as_ref().ok().copied().or(asked);
    let failure = outcome
        .as_ref()
        .err()
        .map(|error| (events::PULL_THROUGH_FAILURE_CODE, error.0.as_str()));
    let rule = events::PullThrough {
        ecr_repository_prefix: &source.ecr_repository_prefix,
        upstream_registry_url: &source.upstream_registry_url,
        failure,
    };
    let ecr = &ctx.state.ecr;
    ecr.events().emit(events::pull_through_cache_action(
        ctx.scope,
        name,
        tag,
        digest.as_ref(),
        rule,
        ecr.clock().now(),
    ));
}

fn parse_reference(reference: &str) -> Option<PullReference> {
    match reference.strip_prefix(Sha256Digest::PREFIX) {
        Some(hex) => Sha256Digest::from_hex(hex).ok().map(PullReference::Digest),
        None if reference.contains(':') => None,
        None => ImageTag::try_from(reference).ok().map(PullReference::Tag),
    }
}

/// The manifest, then the repository, the blobs and the image; a repository this pull
/// created goes again if no image was stored.
async fn fetch(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    source: &PullThroughSource,
    session: &mut UpstreamSession,
    reference: &str,
) -> Result<Sha256Digest, UpstreamError> {
    let ecr = &ctx.state.ecr;
    let top = read_manifest(session, reference).await?;
    let digest = Sha256Digest::of(top.text.as_bytes());
    let created = ecr
        .create_pull_through_repository(ctx.scope, name)
        .await
        .map_err(|error| UpstreamError(format!("the cache repository was not created: {error}")))?;
    tracing::debug!(repository = %name, upstream = %source.upstream_registry_url, created, "pull through");
    let stored = store_all(ctx, name, session, reference, top).await;
    if stored.is_err()
        && created
        && let Err(error) = ecr.abandon_pull_through_repository(ctx.scope, name).await
    {
        tracing::warn!(%error, "pull through: a failed pull's repository stayed");
    }
    stored.map(|()| digest)
}

/// A manifest the upstream served, read as PutImage will read it.
struct Fetched {
    text: String,
    media_type: Option<String>,
    manifest: manifest::Manifest,
}

async fn read_manifest(
    session: &mut UpstreamSession,
    reference: &str,
) -> Result<Fetched, UpstreamError> {
    let served = session
        .manifest(reference, super::manifests::MAX_MANIFEST_BYTES)
        .await?;
    let text = String::from_utf8(served.bytes)
        .map_err(|_| UpstreamError("the upstream's manifest is not UTF-8".to_owned()))?;
    let image_manifest = ImageManifest::try_from(text.clone())
        .map_err(|_| UpstreamError("the upstream's manifest is too large".to_owned()))?;
    let read =
        manifest::read(&image_manifest, served.media_type.as_deref(), None).map_err(|error| {
            UpstreamError(format!(
                "the upstream's manifest cannot be stored: {}",
                error.as_response().message().unwrap_or_default()
            ))
        })?;
    // A digest reference must name exactly these bytes.
    if reference.contains(':') && read.digest() != reference {
        return Err(UpstreamError(format!(
            "the upstream served {} for {reference}",
            read.digest()
        )));
    }
    Ok(Fetched {
        text,
        media_type: served.media_type,
        manifest: read,
    })
}

/// For an index, each child (its blobs, then it, by digest); then `top`'s blobs and `top`
/// under `reference`.
async fn store_all(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    session: &mut UpstreamSession,
    reference: &str,
    top: Fetched,
) -> Result<(), UpstreamError> {
    let children: Vec<String> = top
        .manifest
        .required_images()
        .iter()
        .map(|descriptor| descriptor.digest.clone())
        .collect();
    for child in children {
        let digest = Sha256Digest::from_hex(child.trim_start_matches(Sha256Digest::PREFIX))
            .map_err(|_| UpstreamError(format!("the upstream's index names {child}")))?;
        let due = ctx
            .state
            .ecr
            .pull_through_due(ctx.scope, name, &PullReference::Digest(digest))
            .await
            .map_err(|error| UpstreamError(error.to_string()))?;
        if due {
            let fetched = read_manifest(session, &child).await?;
            store_one(ctx, name, session, &child, fetched).await?;
        }
    }
    store_one(ctx, name, session, reference, top).await
}

async fn store_one(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    session: &mut UpstreamSession,
    reference: &str,
    fetched: Fetched,
) -> Result<(), UpstreamError> {
    for descriptor in fetched.manifest.required_layers() {
        store_blob(ctx, name, session, &descriptor.digest).await?;
    }
    let input =
        super::manifests::put_image_input(name, reference, fetched.text, fetched.media_type)
            .map_err(|_| UpstreamError("the upstream's image cannot be stored".to_owned()))?;
    match ctx.state.ecr.push_image(ctx.scope, input).await {
        // Already there under this reference: another pull stored it first.
        Ok(_) | Err(PutImageError::ImageAlreadyExistsException(_)) => Ok(()),
        Err(error) => Err(UpstreamError(format!(
            "the upstream's image was not stored: {}",
            error.as_response().message().unwrap_or_default()
        ))),
    }
}

/// Streams blob `digest` from the upstream into repository `name`, unless it has it.
async fn store_blob(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    session: &mut UpstreamSession,
    digest: &str,
) -> Result<(), UpstreamError> {
    let stores = ctx.state.ecr.layer_stores();
    let parsed = Sha256Digest::from_hex(digest.trim_start_matches(Sha256Digest::PREFIX))
        .map_err(|_| UpstreamError(format!("the upstream's manifest names blob {digest}")))?;
    let layer_failure =
        |error: LayerError| UpstreamError(format!("blob {digest} was not stored: {error:?}"));
    if layers::stat(stores.meta, ctx.scope, name, parsed)
        .await
        .map_err(layer_failure)?
        .is_some()
    {
        return Ok(());
    }
    let body = session.blob(digest).await?;
    let now = ctx.state.ecr.clock().now();
    let upload = layers::initiate(stores, ctx.scope, name, now)
        .await
        .map_err(layer_failure)?;
    let whole = Part {
        first_byte: None,
        last_byte: None,
    };
    let stream = crate::upstream::IdleTimeout::new(body.into_data_stream());
    if let Err(error) = layers::append(stores, ctx.scope, name, upload, whole, stream).await {
        let _ = layers::cancel(stores, ctx.scope, name, upload).await;
        return Err(layer_failure(error));
    }
    match layers::complete(stores, ctx.scope, name, upload, &[digest], now).await {
        // Another pull linked it meanwhile.
        Ok(_) | Err(LayerError::LayerAlreadyExists(_)) => Ok(()),
        Err(error) => Err(layer_failure(error)),
    }
}
