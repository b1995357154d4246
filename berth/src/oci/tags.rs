//! `GET /v2/<name>/tags/list?n=&last=`: the repository's tags in byte order, `n` at a time
//! after `last`, with `Link: <…>; rel="next"` while more follow. `n` is ListImages'
//! `maxResults` (the generated check and ECR's text: over 1,000 is 405 UNSUPPORTED).

use axum::http::header::LINK;
use axum::response::Response;
use berth_runtime::validation::{Path, Violations};
use ecr_generated::types::RepositoryName;
use ecr_impl::images::registry::tag_page;
use serde::Serialize;

use super::error::{self, Code, OciError};
use super::{Ctx, Query, json_ok, set};

#[derive(Serialize)]
struct TagList<'a> {
    name: &'a str,
    tags: &'a [String],
}

pub async fn list(ctx: Ctx<'_>, name: RepositoryName, query: &Query) -> Result<Response, OciError> {
    let n = match query.get("n") {
        None => None,
        Some(text) => Some(page_size(&name, text)?),
    };
    let last = query.get("last").filter(|last| !last.is_empty());
    let meta = ctx.state.ecr.layer_stores().meta;
    let page = tag_page(meta, ctx.scope, &name, last, n)
        .await
        .map_err(|error| OciError::from_ecr(error.as_response()))?;
    let body = serde_json::to_vec(&TagList {
        name: name.as_str(),
        tags: &page.tags,
    })
    .unwrap_or_default();
    let mut response = json_ok(body, "application/json");
    if let (true, Some(n), Some(last)) = (page.more, n, page.tags.last()) {
        let link = format!("</v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\"");
        set(&mut response, LINK, &link);
    }
    Ok(response)
}

/// `n`, checked as ListImages checks `maxResults`.
fn page_size(name: &RepositoryName, text: &str) -> Result<usize, OciError> {
    let n: u64 = text
        .parse()
        .map_err(|_| OciError::new(Code::Unsupported, error::N_NOT_A_NUMBER))?;
    let wire = ecr_generated::wire::ListImagesRequest {
        repository_name: Some(name.to_string()),
        max_results: Some(i32::try_from(n).unwrap_or(i32::MAX)),
        ..Default::default()
    };
    let mut violations = Violations::default();
    let input = wire.validate(&Path::Root, &mut violations);
    match (
        input.and_then(|input| input.max_results),
        violations.first(),
    ) {
        (Some(max), None) => Ok(usize::try_from(max).unwrap_or_default()),
        (_, violation) => Err(OciError::new(
            Code::Unsupported,
            violation.map_or_else(String::new, |violation| {
                ecr_generated::wire::violation_message(&violation.path, violation.reason)
            }),
        )),
    }
}
