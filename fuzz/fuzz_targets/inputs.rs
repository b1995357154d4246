//! Deserialize + validate of every operation's generated wire input. Format and
//! invariants: harness `inputs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_harness::inputs::run(data);
});
