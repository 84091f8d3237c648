//! The integration tests: one binary, one module per area, all sharing [`harness`].
//! Exit codes are compared with `slo::exit`'s constants, never literals.

mod harness;

mod calendar;
mod check;
mod check_faults;
mod ci_examples;
mod completions;
mod convert;
mod dashboard;
mod grafana_types;
mod harness_selftest;
mod hostile_output;
mod hostile_source;
mod import_openslo;
mod import_sloth;
mod lint;
mod report;
mod report_faults;
mod report_split;
mod rules;
mod rules_source;
mod schema;
mod spec_fuzz;
mod stack;
mod terminal;
mod validate;
mod validate_online;
