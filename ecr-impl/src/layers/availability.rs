//! What a repository holds: its layers by digest (BatchCheckLayerAvailability; a `/v2`
//! blob HEAD).

use ecr_generated::types::RepositoryName;

use super::LayerError;
use crate::store::Scope;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, LayerRow, MetaStore};

/// Layer `digest` of repository `name`, if it has it.
pub async fn stat(
    meta: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    digest: Sha256Digest,
) -> Result<Option<LayerRow>, LayerError> {
    let mut found = stat_all(meta, scope, name, vec![digest]).await?;
    Ok(found.pop().flatten())
}

/// The layers `digests` of repository `name`, position by position, read together.
pub async fn stat_all(
    meta: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    digests: Vec<Sha256Digest>,
) -> Result<Vec<Option<LayerRow>>, LayerError> {
    let (scope, name) = (scope.clone(), name.clone());
    meta::read(meta, move |tx| {
        let repository = tx
            .repository(&scope, &name)?
            .ok_or(LayerError::RepositoryNotFound)?;
        digests
            .iter()
            .map(|digest| Ok(tx.layer(repository.id, digest)?))
            .collect()
    })
    .await
}
