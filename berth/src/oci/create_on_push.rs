//! Create on push: the first calls of a push (`POST …/blobs/uploads/`, a manifest PUT) to a
//! missing repository create it when a creation template applied for `CREATE_ON_PUSH`
//! covers its name (`Ecr::create_on_push`); without one the call goes on to NAME_UNKNOWN.

use ecr_generated::types::RepositoryName;

use super::Ctx;
use super::error::OciError;

/// Makes sure repository `name` exists if a CREATE_ON_PUSH template says it should.
pub(crate) async fn create_if_templated(
    ctx: Ctx<'_>,
    name: &RepositoryName,
) -> Result<(), OciError> {
    ctx.state
        .ecr
        .create_on_push(ctx.scope, name)
        .await
        .map(drop)
        .map_err(|error| OciError::from_ecr(&error))
}
