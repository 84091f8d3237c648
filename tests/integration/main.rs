//! The integration tests: one binary, one module per area, all sharing [`harness`].
//! Exit codes are compared with `slo::exit`'s constants, never literals.

mod harness;

mod check;
mod check_faults;
mod ci_examples;
mod dashboard;
mod harness_selftest;
mod hostile_source;
mod report;
mod report_faults;
mod rules;
mod rules_source;
mod spec_fuzz;
mod stack;
mod validate;
