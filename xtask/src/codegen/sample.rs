//! Sample values that follow the spec, for the generated operation tests: the JSON a server would
//! send, and Rust expressions that build the same values for builder arguments.

use serde_json::{Map, Value, json};

use super::spec::deref;
use super::types::{Def, Registry, Ty, string_enum};

fn example_fits(example: &Value, schema: &Value) -> bool {
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => example.is_string() && schema.get("enum").is_none(),
        Some("integer") => example.is_i64() || example.is_u64(),
        Some("number") => example.is_f64(),
        Some("boolean") => example.is_boolean(),
        _ => false,
    }
}

/// A value for `schema`, with every property present (optional ones too) and no nulls.
pub fn sample(spec: &Value, schema: &Value, name: &str) -> Value {
    sample_in(spec, schema, name, &mut Vec::new())
}

/// `refs` holds the schemas being sampled, so that a recursive schema stops.
fn sample_in(spec: &Value, schema: &Value, name: &str, refs: &mut Vec<String>) -> Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if refs.iter().any(|r| r == reference) {
            return json!({});
        }
        refs.push(reference.to_owned());
        let value = sample_in(spec, deref(spec, schema), name, refs);
        refs.pop();
        return value;
    }
    if let Some(example) = schema.get("example")
        && example_fits(example, schema)
    {
        return example.clone();
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(o) = sample_in(spec, part, name, refs) {
                merged.extend(o);
            }
        }
        if let Some(own) = schema.get("properties").and_then(Value::as_object) {
            for (key, prop) in own {
                merged.insert(key.clone(), sample_in(spec, prop, key, refs));
            }
        }
        return Value::Object(merged);
    }
    if schema.get("properties").is_none()
        && let Some(first) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
            .and_then(|parts| parts.first())
    {
        return sample_in(spec, first, name, refs);
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && let Some(first) = values.first()
    {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => Value::String(format!("{name}-sample")),
        Some("integer") => json!(7),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => Value::Array(vec![sample_in(spec, &schema["items"], name, refs)]),
        _ => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                let mut out = Map::new();
                for (key, prop) in props {
                    out.insert(key.clone(), sample_in(spec, prop, key, refs));
                }
                Value::Object(out)
            } else if let Some(values @ Value::Object(v)) = schema.get("additionalProperties")
                && !v.is_empty()
            {
                json!({ "key": sample_in(spec, values, "value", refs) })
            } else {
                json!({ "key": "value" })
            }
        }
    }
}

/// Two values for an array query parameter (to tell repeated keys from comma-joined values).
pub fn query_array_sample(spec: &Value, schema: &Value, name: &str) -> Vec<Value> {
    let items = deref(spec, &schema["items"]);
    match string_enum(items) {
        Some(values) => values.into_iter().take(2).map(Value::String).collect(),
        None => vec![
            sample(spec, items, &format!("{name}1")),
            sample(spec, items, &format!("{name}2")),
        ],
    }
}

/// A raw string literal holding `text`.
pub fn raw_literal(text: &str) -> String {
    format!("r##\"{text}\"##")
}

/// A Rust expression producing a value of `ty` equal to `value` (as a builder argument).
pub fn expr(registry: &Registry<'_>, ty: &Ty, value: &Value) -> String {
    match ty {
        Ty::String => format!("{:?}", value.as_str().unwrap_or_default()),
        Ty::I64 | Ty::I32 => format!("{}", value.as_i64().unwrap_or(7)),
        Ty::F64 => {
            let v = value.as_f64().unwrap_or(1.5);
            if v.fract() == 0.0 {
                format!("{v:.1}")
            } else {
                format!("{v}")
            }
        }
        Ty::Bool => format!("{}", value.as_bool().unwrap_or(true)),
        Ty::Array(item) => {
            let items: Vec<String> = value
                .as_array()
                .map(|a| a.iter().map(|v| expr(registry, item, v)).collect())
                .unwrap_or_default();
            format!("vec![{}]", items.join(", "))
        }
        Ty::Named(name) if matches!(registry.get(name), Some(Def::Enum { .. })) => {
            format!(
                "models::{name}::from({:?})",
                value.as_str().unwrap_or_default()
            )
        }
        other => format!(
            "from_json::<{}>({})",
            other.rust("models::"),
            raw_literal(&value.to_string())
        ),
    }
}
