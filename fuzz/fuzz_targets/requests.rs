//! The request entry point: sequences of raw requests (target header + body) through the
//! generated router against an in-memory ECR. Format and invariants: harness `requests`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_harness::requests::run(data);
});
