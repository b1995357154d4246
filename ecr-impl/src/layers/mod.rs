//! Layers: upload sessions, availability and downloads (placeholder until the layer
//! operations land).

/// The upload sessions in progress.
#[derive(Debug, Default)]
pub struct Uploads {}
