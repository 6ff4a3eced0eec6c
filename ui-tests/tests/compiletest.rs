//! Runs the trybuild cases. Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p goscope-ui-tests` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/**/*.rs");
    t.pass("tests/pass/**/*.rs");
}
