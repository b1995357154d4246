//! Registry-level state (ecr-behaviour-registry.md §2, §3, §7), per account and region as
//! registry documents: the account settings, the registry policy (and whether it allows a
//! cross-account action), the replication configuration and what a push replicates.

pub(crate) mod account_settings;
pub(crate) mod policy;
pub(crate) mod replication;

#[cfg(test)]
mod tests;
