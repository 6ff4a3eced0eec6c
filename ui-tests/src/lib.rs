//! goscope's compile-fail and compile-pass cases: see `tests/compiletest.rs`, which runs
//! `tests/ui/**/*.rs` (each must fail with the `.stderr` beside it) and `tests/pass/**/*.rs`
//! (each must compile and run).
