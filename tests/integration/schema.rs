//! `slo schema`: every valid example validates against it, and every invalid example whose
//! problem is one of shape (a wrong type, an unknown or a missing field) fails it.

use std::path::Path;

use slo::exit;

use crate::harness::SloRun;
use crate::validate::yaml_files;

/// The examples in `examples/invalid/` whose problem a JSON Schema can see.
const SHAPE_ERRORS: [&str; 6] = [
    "both-errors-and-good",
    "conflicting-sli",
    "empty",
    "missing-sli",
    "unknown-field",
    "wrong-type",
];

fn validator() -> jsonschema::Validator {
    let out = SloRun::new().args(["schema"]).run();
    out.status(exit::OK);
    let schema = out.json();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::draft202012::new(&schema).expect("a valid draft 2020-12 schema")
}

fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_valid_example_validates() {
    let validator = validator();
    let mut files = yaml_files("examples");
    files.push("slo.yaml".into());
    for file in files {
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&file))
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    }
}

#[test]
fn every_shape_error_fails_it() {
    let validator = validator();
    for name in SHAPE_ERRORS {
        let file = Path::new("examples/invalid").join(format!("{name}.yaml"));
        assert!(
            !validator.is_valid(&as_json(&file)),
            "{} passes the schema",
            file.display()
        );
    }
}
