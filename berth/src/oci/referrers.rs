//! `GET /v2/<name>/referrers/<digest>?artifactType=`: the images whose `subject` is the
//! digest, as an OCI image index of descriptors (ListImageReferrers, every page). A subject
//! the repository lacks has no referrers: an empty index, as the specification asks.

use axum::response::Response;
use ecr_generated::errors::ListImageReferrersError;
use ecr_generated::types::{
    ArtifactType, ListImageReferrersFilter, ListImageReferrersRequest, RepositoryName,
    SubjectIdentifier,
};
use ecr_impl::images::referrers::list_referrers;
use serde::Serialize;
use serde_json::Value;

use super::blobs::digest;
use super::error::{Code, OciError};
use super::{Ctx, OCI_FILTERS_APPLIED, Query, json_ok, set};

/// The media type of the answer (an OCI image index).
const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

#[derive(Serialize)]
struct Index {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType")]
    media_type: &'static str,
    manifests: Vec<Value>,
}

pub async fn list(
    ctx: Ctx<'_>,
    name: RepositoryName,
    digest_text: &str,
    query: &Query,
) -> Result<Response, OciError> {
    let subject = digest(digest_text)?;
    let artifact_type = match query.get("artifactType").filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => Some(ArtifactType::try_from(text).map_err(|invalid| {
            let reason = invalid.reasons().first().copied().unwrap_or_default();
            OciError::new(
                Code::Unsupported,
                ecr_generated::wire::violation_message("artifactType", reason),
            )
        })?),
    };
    let meta = ctx.state.ecr.layer_stores().meta;
    let mut manifests = Vec::new();
    let mut next_token = None;
    loop {
        let input = ListImageReferrersRequest {
            registry_id: None,
            repository_name: name.clone(),
            subject_id: SubjectIdentifier {
                image_digest: subject.to_string(),
            },
            filter: Some(ListImageReferrersFilter {
                artifact_types: artifact_type.clone().map(|kind| vec![kind]),
                artifact_status: None,
            }),
            next_token: next_token.take(),
            max_results: None,
        };
        let page = list_referrers::<ListImageReferrersError>(meta, ctx.scope, input)
            .await
            .map_err(|error| OciError::from_ecr(error.as_response()))?;
        for referrer in page.referrers.unwrap_or_default() {
            let mut descriptor = serde_json::json!({
                "mediaType": referrer.media_type,
                "digest": referrer.digest,
                "size": referrer.size,
            });
            if let Some(kind) = referrer.artifact_type {
                descriptor["artifactType"] = Value::from(kind.into_inner());
            }
            if let Some(annotations) = referrer.annotations {
                descriptor["annotations"] = serde_json::to_value(annotations).unwrap_or_default();
            }
            manifests.push(descriptor);
        }
        match page.next_token {
            Some(token) => next_token = Some(token),
            None => break,
        }
    }
    let body = serde_json::to_vec(&Index {
        schema_version: 2,
        media_type: INDEX_MEDIA_TYPE,
        manifests,
    })
    .unwrap_or_default();
    let mut response = json_ok(body, INDEX_MEDIA_TYPE);
    if artifact_type.is_some() {
        set(&mut response, OCI_FILTERS_APPLIED, "artifactType");
    }
    Ok(response)
}
