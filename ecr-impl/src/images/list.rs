//! ListImages (`ecr-behaviour-images.md` §7) and DescribeImages (§8): pages in image order
//! (`imagePushedAt`, then digest; ListImages then by tag), each page one read job costing
//! O(page) through [`ReadTx::images_after`]. A page token names the last entry of its page,
//! so the next page starts right after it whatever was pushed or deleted meanwhile.

use berth_runtime::Timestamp;
use berth_runtime::json::{self, Rendered};
use ecr_generated::errors::{
    DescribeImagesError, InvalidParameterException, RepositoryNotFoundException, ServerException,
};
use ecr_generated::types::{
    DescribeImagesRequest, DescribeImagesResponse, ImageDetail, ImageIdentifier, ImageScanStatus,
    ImageStatusFilter, ImageTag, ListImagesRequest, ListImagesResponse, RepositoryName, TagStatus,
};

use super::{check_image_id, find_image, find_repository, long, status_selected, status_view};
use crate::limits::{DEFAULT_DESCRIBE_IMAGES_PAGE_SIZE, DEFAULT_LIST_IMAGES_PAGE_SIZE};
use crate::rendered::{ImageVersion, RenderCache, page_json};
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, ImagePosition, ImageRow, MetaStore, ReadTx, RepoId};
use crate::store::{Scope, StoreError};
use crate::{messages, pagination};

/// Where a page ended: the last image listed and, for ListImages, the tag of its last entry
/// (none when that entry was the image untagged).
#[derive(Debug, Clone, PartialEq)]
struct Cursor {
    position: ImagePosition,
    tag: Option<ImageTag>,
}

impl Cursor {
    fn token(&self) -> String {
        let mut text = format!(
            "{}:{}",
            self.position.pushed_at.epoch_millis(),
            self.position.digest.hex()
        );
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        pagination::token_after(&text)
    }

    /// A cursor from a token one of these pages issued; `None` for any other text.
    fn parse(token: &str) -> Option<Cursor> {
        let text = pagination::decode_token(token)?;
        let mut parts = text.splitn(3, ':');
        let millis: i64 = parts.next()?.parse().ok()?;
        let digest = Sha256Digest::from_hex(parts.next()?).ok()?;
        let tag = match parts.next() {
            Some(tag) => Some(ImageTag::try_from(tag).ok()?),
            None => None,
        };
        Some(Cursor {
            position: ImagePosition {
                pushed_at: Timestamp::from_epoch_millis(millis),
                digest,
            },
            tag,
        })
    }
}

fn decode<E: From<InvalidParameterException>>(token: Option<&str>) -> Result<Option<Cursor>, E> {
    match token {
        None => Ok(None),
        Some(token) => Cursor::parse(token)
            .map(Some)
            .ok_or_else(|| InvalidParameterException::new(messages::invalid_next_token()).into()),
    }
}

/// The page size asked for (the model keeps it within 1–1000), or `default`.
fn page_size(max_results: Option<i32>, default: usize) -> usize {
    max_results
        .and_then(|max| usize::try_from(max).ok())
        .filter(|&max| max > 0)
        .unwrap_or(default)
}

/// Which images a page shows.
#[derive(Debug, Clone, Copy)]
struct Selection {
    tags: TagStatus,
    status: ImageStatusFilter,
}

impl Selection {
    fn new(tags: Option<TagStatus>, status: Option<ImageStatusFilter>) -> Selection {
        Selection {
            tags: tags.unwrap_or(TagStatus::Any),
            status: status.unwrap_or(ImageStatusFilter::Active),
        }
    }

    fn status_selects(&self, row: &ImageRow) -> bool {
        status_selected(self.status, row.status)
    }

    fn tags_select(&self, tags: &[ImageTag]) -> bool {
        match self.tags {
            TagStatus::Any => true,
            TagStatus::Tagged => !tags.is_empty(),
            TagStatus::Untagged => tags.is_empty(),
        }
    }
}

/// Calls `visit` on each image after `after`, in order, until it answers `false` or the
/// images end; fetches them `batch` at a time.
fn each_image_after<T: ReadTx + ?Sized>(
    tx: &mut T,
    repo: RepoId,
    mut after: Option<ImagePosition>,
    batch: usize,
    mut visit: impl FnMut(&mut T, ImageRow) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    loop {
        let rows = tx.images_after(repo, after.as_ref(), batch)?;
        let exhausted = rows.len() < batch;
        for row in rows {
            after = Some(row.position());
            if !visit(tx, row)? {
                return Ok(());
            }
        }
        if exhausted {
            return Ok(());
        }
    }
}

/// ListImages on the caller's registry `scope`.
/// The page is written as JSON straight from the entries (see [`ListPage::json`]).
pub async fn list_images<E>(
    meta: &dyn MetaStore,
    scope: &Scope,
    input: ListImagesRequest,
) -> Result<Rendered<ListImagesResponse>, E>
where
    E: From<StoreError> + From<RepositoryNotFoundException> + From<InvalidParameterException>,
    E: From<ServerException> + Send + 'static,
{
    let cursor = decode::<E>(input.next_token.as_deref())?;
    let limit = page_size(input.max_results, DEFAULT_LIST_IMAGES_PAGE_SIZE);
    let filter = input.filter.unwrap_or_default();
    let selection = Selection::new(filter.tag_status, filter.image_status);
    let scope = scope.clone();
    let name = input.repository_name;
    let page = meta::read(meta, move |tx| {
        let repo = find_repository::<_, E>(tx, &scope, &name)?.id;
        Ok::<_, E>(list_page(tx, repo, selection, cursor.as_ref(), limit)?)
    })
    .await?;
    page.json()
        .map(Rendered::Json)
        .map_err(|e| ServerException::new(messages::unwritable_output(&e.to_string())).into())
}

/// One ListImages entry: an image (its place in the order, hence its digest) and one of its
/// tags, or none for an untagged image.
struct ListEntry {
    position: ImagePosition,
    tag: Option<ImageTag>,
}

/// A ListImages page: its entries and the token of the next page.
struct ListPage {
    entries: Vec<ListEntry>,
    next_token: Option<String>,
}

impl ListPage {
    /// The page as JSON, written directly (no identifier values built, no serializer): byte
    /// for byte what serializing `ListImagesResponse` writes, `imageDigest` then
    /// `imageTag` (left out when absent) per entry (tests/rendered_pages.rs).
    fn json(&self) -> Result<Vec<u8>, serde_json::Error> {
        use std::io::Write;
        // An entry is about 100 bytes.
        let mut out = Vec::with_capacity(64 + self.entries.len() * 112);
        out.extend_from_slice(b"{\"imageIds\":[");
        for (index, entry) in self.entries.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            // A digest's text never needs escaping.
            write!(out, "{{\"imageDigest\":\"{}\"", entry.position.digest)
                .map_err(serde_json::Error::io)?;
            if let Some(tag) = &entry.tag {
                out.extend_from_slice(b",\"imageTag\":");
                out.extend_from_slice(&json::to_vec(tag.as_str())?);
            }
            out.push(b'}');
        }
        out.push(b']');
        if let Some(token) = &self.next_token {
            out.extend_from_slice(b",\"nextToken\":");
            out.extend_from_slice(&json::to_vec(token)?);
        }
        out.push(b'}');
        Ok(out)
    }
}

fn list_page(
    tx: &mut dyn ReadTx,
    repo: RepoId,
    selection: Selection,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<ListPage, StoreError> {
    // One more than a page, to know whether another follows.
    let wanted = limit + 1;
    let mut entries: Vec<ListEntry> = Vec::new();
    // The rest of the image a page ended in, if it is still there.
    if let Some(Cursor {
        position,
        tag: Some(after_tag),
    }) = cursor
        && let Some(row) = tx.image(repo, &position.digest)?
        && row.position() == *position
    {
        add_entries(
            tx,
            repo,
            selection,
            &row,
            Some(after_tag),
            wanted,
            &mut entries,
        )?;
    }
    let after = cursor.map(|cursor| cursor.position);
    if entries.len() < wanted {
        each_image_after(tx, repo, after, wanted, |tx, row| {
            add_entries(tx, repo, selection, &row, None, wanted, &mut entries)?;
            Ok(entries.len() < wanted)
        })?;
    }
    let next_token = if entries.len() > limit {
        entries.truncate(limit);
        entries.last().map(|entry| {
            Cursor {
                position: entry.position,
                tag: entry.tag.clone(),
            }
            .token()
        })
    } else {
        None
    };
    Ok(ListPage {
        entries,
        next_token,
    })
}

/// Adds the entries of image `row` (one per tag, after `after_tag` when resuming inside it;
/// one for the image when untagged) if the selection shows it, up to `wanted` entries.
fn add_entries(
    tx: &mut dyn ReadTx,
    repo: RepoId,
    selection: Selection,
    row: &ImageRow,
    after_tag: Option<&ImageTag>,
    wanted: usize,
    entries: &mut Vec<ListEntry>,
) -> Result<(), StoreError> {
    if !selection.status_selects(row) {
        return Ok(());
    }
    let mut tags = tx.tags_of(repo, &row.digest)?;
    if !selection.tags_select(&tags) {
        return Ok(());
    }
    if tags.is_empty() {
        if after_tag.is_none() {
            entries.push(ListEntry {
                position: row.position(),
                tag: None,
            });
        }
        return Ok(());
    }
    // Within an image, entries go by tag (byte order), so a token can name one.
    tags.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let after = |tag: &ImageTag| after_tag.is_none_or(|after| tag.as_str() > after.as_str());
    for tag in tags.into_iter().filter(|tag| after(tag)) {
        if entries.len() == wanted {
            break;
        }
        entries.push(ListEntry {
            position: row.position(),
            tag: Some(tag),
        });
    }
    Ok(())
}

/// DescribeImages on the caller's registry `scope`: the images `imageIds` names, or a page
/// (written from each image's detail kept ready as JSON in `rendered`).
pub(crate) async fn describe_images(
    meta: &dyn MetaStore,
    rendered: &RenderCache<(RepoId, Sha256Digest), ImageVersion>,
    scope: &Scope,
    input: DescribeImagesRequest,
) -> Result<Rendered<DescribeImagesResponse>, DescribeImagesError> {
    let scope_of_page = scope;
    let scope = scope.clone();
    let name = input.repository_name;
    let page_name = name.clone();
    let filter = input.filter.unwrap_or_default();
    let selection = Selection::new(filter.tag_status, filter.image_status);
    match input.image_ids {
        Some(image_ids) => {
            if input.max_results.is_some() {
                let message = messages::pagination_with_image_ids("maxResults");
                return Err(InvalidParameterException::new(message).into());
            }
            if input.next_token.is_some() {
                let message = messages::pagination_with_image_ids("nextToken");
                return Err(InvalidParameterException::new(message).into());
            }
            for id in &image_ids {
                check_image_id(id)?;
            }
            meta::read(meta, move |tx| {
                describe_named(tx, &scope, &name, &image_ids)
            })
            .await
            .map(Rendered::Value)
        }
        None => {
            let cursor = decode::<DescribeImagesError>(input.next_token.as_deref())?;
            // A ListImages token names a tag; a DescribeImages page never ends inside an image.
            if cursor.as_ref().is_some_and(|cursor| cursor.tag.is_some()) {
                return Err(InvalidParameterException::new(messages::invalid_next_token()).into());
            }
            let limit = page_size(input.max_results, DEFAULT_DESCRIBE_IMAGES_PAGE_SIZE);
            let (repo, page) = meta::read(meta, move |tx| {
                let repo = find_repository::<_, DescribeImagesError>(tx, &scope, &name)?.id;
                let after = cursor.as_ref().map(|cursor| cursor.position);
                Ok::<_, DescribeImagesError>((
                    repo,
                    describe_page(tx, repo, selection, after, limit)?,
                ))
            })
            .await?;
            render_page(rendered, scope_of_page, &page_name, repo, page)
        }
    }
}

/// The images `image_ids` name, each once, in request order, whatever their status; one
/// that names none fails the whole call.
fn describe_named(
    tx: &mut dyn ReadTx,
    scope: &Scope,
    name: &RepositoryName,
    image_ids: &[ImageIdentifier],
) -> Result<DescribeImagesResponse, DescribeImagesError> {
    let repo = find_repository::<_, DescribeImagesError>(tx, scope, name)?.id;
    let mut details: Vec<ImageDetail> = Vec::new();
    for id in image_ids {
        let row = find_image::<_, DescribeImagesError>(tx, scope, name, repo, id)?;
        let digest = row.digest.to_string();
        if details
            .iter()
            .any(|detail| detail.image_digest.as_deref() == Some(digest.as_str()))
        {
            continue;
        }
        let tags = tx.tags_of(repo, &row.digest)?;
        let scan = crate::scanning::scan_status_of(tx, repo, &row.digest)?;
        details.push(detail(scope, name, &row, tags, scan));
    }
    Ok(DescribeImagesResponse {
        image_details: Some(details),
        next_token: None,
    })
}

/// The images of a DescribeImages page with their tags, and the token of the next page.
struct DescribePage {
    images: Vec<ImageVersion>,
    next_token: Option<String>,
}

fn describe_page(
    tx: &mut dyn ReadTx,
    repo: RepoId,
    selection: Selection,
    after: Option<ImagePosition>,
    limit: usize,
) -> Result<DescribePage, StoreError> {
    let wanted = limit + 1;
    let mut images: Vec<ImageVersion> = Vec::new();
    let has_scans = crate::scanning::has_scans(tx, repo)?;
    each_image_after(tx, repo, after, wanted, |tx, row| {
        if selection.status_selects(&row) {
            let tags = tx.tags_of(repo, &row.digest)?;
            if selection.tags_select(&tags) {
                let scan = if has_scans {
                    crate::scanning::scan_status_of(tx, repo, &row.digest)?
                } else {
                    None
                };
                images.push(ImageVersion { row, tags, scan });
            }
        }
        Ok(images.len() < wanted)
    })?;
    let next_token = if images.len() > limit {
        images.truncate(limit);
        images.last().map(|image| {
            Cursor {
                position: image.row.position(),
                tag: None,
            }
            .token()
        })
    } else {
        None
    };
    Ok(DescribePage { images, next_token })
}

/// A DescribeImages page's JSON, from each image's detail kept ready (rendered with
/// [`detail`] when its row or tags changed).
fn render_page(
    rendered: &RenderCache<(RepoId, Sha256Digest), ImageVersion>,
    scope: &Scope,
    name: &RepositoryName,
    repo: RepoId,
    page: DescribePage,
) -> Result<Rendered<DescribeImagesResponse>, DescribeImagesError> {
    let items: Vec<_> = page
        .images
        .iter()
        .map(|image| ((repo, image.row.digest), image))
        .collect();
    rendered
        .get_or_render_all(&items, |index| {
            let image = &page.images[index];
            json::to_vec(&detail(
                scope,
                name,
                &image.row,
                image.tags.clone(),
                image.scan.clone(),
            ))
        })
        .and_then(|items| page_json("imageDetails", &items, page.next_token.as_deref()))
        .map(Rendered::Json)
        .map_err(|e| ServerException::new(messages::unwritable_output(&e.to_string())).into())
}

/// An image as DescribeImages shows it (§8): tags in the order they were added and omitted
/// when there are none; `imageScanStatus` once it was scanned (`ecr-behaviour-registry.md`
/// §4), and no findings summary (Berth's scans have no findings).
pub(crate) fn detail(
    scope: &Scope,
    name: &RepositoryName,
    row: &ImageRow,
    tags: Vec<ImageTag>,
    scan: Option<ImageScanStatus>,
) -> ImageDetail {
    ImageDetail {
        registry_id: Some(scope.account_id.clone()),
        repository_name: Some(name.clone()),
        image_digest: Some(row.digest.to_string()),
        image_tags: (!tags.is_empty()).then_some(tags),
        image_size_in_bytes: Some(long(row.size_in_bytes)),
        image_pushed_at: Some(row.pushed_at),
        image_scan_status: scan,
        image_scan_findings_summary: None,
        image_manifest_media_type: Some(row.media_type.to_string()),
        artifact_media_type: row.artifact_media_type.as_deref().map(str::to_owned),
        last_recorded_pull_time: row.last_pulled_at,
        subject_manifest_digest: row.subject.map(|subject| subject.to_string()),
        image_status: Some(status_view(row.status)),
        last_archived_at: row.last_archived_at,
        last_activated_at: row.last_activated_at,
    }
}
