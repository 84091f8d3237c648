//! The generated dashboards against Grafana's own published types: each (the demo spec and
//! every example, in both label styles) is written as a TypeScript module typed as
//! `@grafana/schema`'s `Dashboard`, and `tsc --noEmit --strict` must accept them all.
//!
//! The packages are pinned in `tests/grafana-types/package-lock.json` and installed with
//! `npm ci` by this test (Node and npm must be on the machine).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::dashboard::{STYLES, example_specs, generate};
use crate::harness::{TempDir, run};

fn packages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/grafana-types")
}

/// String fields whose TypeScript type is a string enum, which refuses plain strings: the
/// object key holding the field, the field, and the enum.
const ENUM_FIELDS: [(&str, &str, &str); 2] = [
    ("color", "mode", "FieldColorModeId"),
    ("thresholds", "mode", "ThresholdsMode"),
];

/// The enum member for a value: `palette-classic` is `PaletteClassic`.
fn member(value: &str) -> String {
    value
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}

/// `value` as a TypeScript expression; `parent` is the key of the object it is a field of.
fn typescript(value: &Value, parent: &str, out: &mut String) {
    match value {
        Value::Object(fields) => {
            out.push('{');
            for (i, (key, field)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write!(out, "{}:", Value::from(key.as_str())).unwrap();
                let as_enum = ENUM_FIELDS
                    .iter()
                    .find(|(p, k, _)| *p == parent && k == key)
                    .zip(field.as_str());
                match as_enum {
                    Some(((_, _, enumeration), text)) => {
                        write!(out, "{enumeration}.{}", member(text)).unwrap()
                    }
                    None => typescript(field, key, out),
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                typescript(item, parent, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn module(dashboard: &Value) -> String {
    let enums: Vec<&str> = ENUM_FIELDS.iter().map(|(_, _, e)| *e).collect();
    let mut text = format!(
        "import {{ Dashboard, {} }} from \"@grafana/schema\";\n\nexport const dashboard: Dashboard = ",
        enums.join(", ")
    );
    typescript(dashboard, "", &mut text);
    text.push_str(";\n");
    text
}

#[test]
fn member_names_follow_the_enums() {
    assert_eq!(member("palette-classic"), "PaletteClassic");
    assert_eq!(member("continuous-BlPu"), "ContinuousBlPu");
    assert_eq!(member("absolute"), "Absolute");
}

#[test]
fn every_generated_dashboard_type_checks_as_grafanas_dashboard() {
    let mut npm = Command::new("npm");
    npm.current_dir(packages())
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]);
    run(npm).assert_success("npm ci in tests/grafana-types");

    let dir = TempDir::new("grafana-types");
    let mut files = Vec::new();
    for spec in example_specs() {
        for (style, style_name) in STYLES {
            let stem = spec.file_stem().unwrap().to_string_lossy();
            let file = format!("{stem}.{style_name}.ts");
            std::fs::write(dir.join(&file), module(&generate(&spec, style))).unwrap();
            files.push(file);
        }
    }
    // The modules live in a scratch directory; `paths` points the import at the packages.
    let tsconfig = serde_json::json!({
        "compilerOptions": {
            "strict": true,
            "noEmit": true,
            "target": "es2020",
            "module": "commonjs",
            "moduleResolution": "node",
            "paths": {"@grafana/schema": [packages().join("node_modules/@grafana/schema")]},
        },
        "files": files,
    });
    std::fs::write(dir.join("tsconfig.json"), tsconfig.to_string()).unwrap();

    let mut tsc = Command::new("node");
    tsc.arg(packages().join("node_modules/typescript/bin/tsc"))
        .args(["--project", "tsconfig.json", "--noEmit", "--strict"])
        .current_dir(dir.path());
    run(tsc).assert_success("tsc on the generated dashboards");
}
