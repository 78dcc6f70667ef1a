//! Support for the index's property tests: each compares an answer of the index with a
//! brute-force scan over the same data, on inputs drawn by proptest strategies.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseResult, TestRng, TestRunner};

/// Runs `test` on `cases` inputs drawn from `strategy`. The generator starts from a fixed
/// seed, so every run checks the same inputs (as the hand-rolled loops these replace did);
/// a failing input is shrunk to a minimal one, which the panic message shows. A panic inside
/// `test` (an `assert!`) counts as a failure and is shrunk too.
pub(crate) fn check<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    if let Err(error) = TestRunner::new_with_rng(config, rng).run(&strategy, test) {
        panic!("{error}");
    }
}

/// Log-uniform in `[lo, hi)`: as many small values as large ones.
pub(crate) fn log_range(lo: f64, hi: f64) -> impl Strategy<Value = f64> + Clone {
    (lo.ln()..hi.ln()).prop_map(f64::exp)
}
