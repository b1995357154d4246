//! The images operations (placeholder until they land).

use super::Builder;

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
}
