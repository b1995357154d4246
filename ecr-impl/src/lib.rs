//! The behaviour of Berth's ECR operations (SKELETON: being filled in).

use ecr_generated::operations::{EcrApi, Operation};

/// Berth's ECR: every account's and region's repositories, behind one state interface.
#[derive(Debug, Default)]
pub struct Ecr {}

impl Ecr {
    /// An ECR whose state lives in memory.
    pub fn in_memory() -> Ecr {
        Ecr {}
    }

    /// Drops all state (every account and region).
    pub fn reset(&self) {}
}

impl EcrApi for Ecr {
    const IMPLEMENTED: &'static [Operation] = &[];
}
