//! `slo schema`: the JSON Schema (draft 2020-12) of `slo.yaml`, made from the same [`Field`]
//! tables the loader reads with, so editors check the keys and kinds the loader checks.

use serde_json::{Map, Value, json};

use super::format::slo_v1;
use super::reader::{Field, Shape};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of `slo.yaml` version 1.
pub fn slo_v1() -> Value {
    let mut schema = Map::new();
    schema.insert("$schema".into(), DRAFT.into());
    schema.insert("title".into(), "slo.yaml".into());
    schema.insert(
        "description".into(),
        "SLOs as code, read by `slo` (validate, report, check, generate-rules, generate-dashboard)"
            .into(),
    );
    if let Value::Object(document) = of(&slo_v1::DOCUMENT) {
        schema.extend(document);
    }
    Value::Object(schema)
}

/// The schema of a value of `shape`.
fn of(shape: &Shape) -> Value {
    match *shape {
        Shape::Any => json!({}),
        Shape::Exactly(value) => json!({"const": value}),
        Shape::String => json!({"type": "string"}),
        Shape::Number => json!({"type": "number"}),
        Shape::Boolean => json!({"type": "boolean"}),
        Shape::Scalar => json!({"type": ["string", "number", "boolean"]}),
        Shape::Fields { fields, one_of } => object(fields, one_of),
        Shape::Map(values) => json!({"type": "object", "additionalProperties": of(values)}),
        Shape::List { of: items, .. } => json!({"type": "array", "items": of(items)}),
    }
}

fn object(fields: &[Field], one_of: &[&str]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_string(), of(&f.shape)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    let mut object = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        object["required"] = json!(required);
    }
    if !one_of.is_empty() {
        let alternatives: Vec<Value> = one_of
            .iter()
            .map(|name| json!({"required": [name]}))
            .collect();
        object["oneOf"] = Value::Array(alternatives);
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_the_draft_and_every_top_level_field() {
        let schema = slo_v1();
        assert_eq!(schema["$schema"], DRAFT);
        assert_eq!(schema["required"], json!(["version", "service", "slos"]));
        assert_eq!(schema["properties"]["version"], json!({"const": 1}));
        let sli = &schema["properties"]["slos"]["items"]["properties"]["sli"];
        assert_eq!(sli["oneOf"][2], json!({"required": ["raw"]}));
    }
}
