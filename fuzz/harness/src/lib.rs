//! What Berth's fuzz targets run, as plain functions that panic when an invariant breaks.
//!
//! - [`requests::run`]: the request entry point. A sequence of raw requests (target header
//!   and body bytes) through the generated router (`EcrService::handle`) against a fresh
//!   in-memory [`ecr_impl::Ecr`], then checks of the state they left.
//! - [`inputs::run`]: deserialize + validate of every operation's generated `wire` input,
//!   against a service that implements nothing (so nothing but parsing and validation runs).
//!
//! `fuzz/fuzz_targets/*` hand libFuzzer's inputs to these; `tests/regressions.rs` replays
//! every file under `fuzz/regressions/<target>/` (and the seed corpora) through them in
//! plain `cargo test`, so an input that once found a bug keeps being checked.

pub mod inputs;
pub mod requests;

mod check;

use std::future::Future;

use berth_runtime::RequestContext;

/// The callers fuzzed requests are made as, `(account, region)`: the first is the default;
/// the others share its account or its region, so isolation between them is tested.
pub const CALLERS: [(&str, &str); 3] = [
    ("123456789012", "us-east-1"),
    ("123456789012", "eu-west-1"),
    ("111122223333", "us-east-1"),
];

/// The request context of caller `index` (into [`CALLERS`]).
fn context(index: usize) -> RequestContext {
    let (account_id, region) = CALLERS[index];
    RequestContext {
        account_id: account_id.to_owned(),
        region: region.to_owned(),
        request_id: "fuzz".to_owned(),
        operation: "",
        endpoint: String::new(),
    }
}

/// Runs `future` to completion on this thread's runtime (built once: fuzzers call
/// millions of times).
fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime needs no resources that can be missing");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}
