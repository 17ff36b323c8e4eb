//! Sample values that follow the spec, for the generated operation tests: the JSON a server would
//! send, and Rust expressions that build the same values for builder arguments.

use serde_json::{Map, Value, json};

use super::ops::{Body, Op};
use super::pattern;
use super::spec::deref;
use super::types::{Def, Registry, Ty, string_enum};
use super::validate::{self, bounds, violations};

/// The values the generated test of one operation sends, in the order of the operation's
/// parameters and fields.
pub struct RequestSample {
    /// One per path parameter.
    pub path: Vec<String>,
    /// One per query parameter (an array parameter's items as a JSON array).
    pub query: Vec<Value>,
    pub body: BodySample,
}

pub enum BodySample {
    None,
    /// One per field of [`Body::Fields`].
    Fields(Vec<Value>),
    Whole(Value),
    /// One per text field of [`Body::Multipart`].
    Multipart(Vec<String>),
}

/// The values `op`'s generated test sends.
pub fn request(spec: &Value, op: &Op) -> RequestSample {
    // `{name}-1/2 x` tests the path encoding, where the parameter's schema allows it.
    let path = op
        .path_params
        .iter()
        .map(|p| plain_or_sample(spec, &p.schema, &p.json, format!("{}-1/2 x", p.json)))
        .collect();
    let query = op
        .query_params
        .iter()
        .map(|p| {
            if let Ty::Array(_) = p.ty {
                Value::Array(query_array_sample(spec, &p.schema, &p.json))
            } else {
                let value = sample(spec, &p.schema, &p.json);
                if p.ty == Ty::I64 && !value.is_i64() {
                    // A `number` read as a whole number (`limit`, `offset`): sample it so.
                    let mut whole = p.schema.clone();
                    whole["type"] = json!("integer");
                    sample(spec, &whole, &p.json)
                } else {
                    value
                }
            }
        })
        .collect();
    let body = match &op.body {
        Body::None => BodySample::None,
        Body::Fields { fields, .. } => BodySample::Fields(
            fields
                .iter()
                .map(|f| sample(spec, &f.schema, &f.json))
                .collect(),
        ),
        Body::Whole { schema, .. } => BodySample::Whole(sample(spec, schema, "body")),
        Body::Multipart { text_fields, .. } => BodySample::Multipart(
            text_fields
                .iter()
                .map(|f| plain_or_sample(spec, &f.schema, &f.json, format!("{}-text", f.json)))
                .collect(),
        ),
    };
    RequestSample { path, query, body }
}

/// `plain` when `schema` allows it, else a sample of `schema` (as text).
fn plain_or_sample(spec: &Value, schema: &Value, name: &str, plain: String) -> String {
    if violations(spec, schema, &json!(plain), name).is_empty() {
        return plain;
    }
    match sample(spec, schema, name) {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

/// Every constraint of the spec that a value of `sample` breaks, as `operation: place: what`.
pub fn request_violations(spec: &Value, op: &Op, sample: &RequestSample) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |schema: &Value, value: &Value, at: String| {
        for v in violations(spec, schema, value, &at) {
            out.push(format!("{}: {v}", op.id));
        }
    };
    for (p, value) in op.path_params.iter().zip(&sample.path) {
        check(&p.schema, &json!(value), format!("path.{}", p.json));
    }
    for (p, value) in op.query_params.iter().zip(&sample.query) {
        check(&p.schema, value, format!("query.{}", p.json));
    }
    match (&op.body, &sample.body) {
        (Body::Fields { fields, .. }, BodySample::Fields(values)) => {
            for (f, value) in fields.iter().zip(values) {
                check(&f.schema, value, format!("body.{}", f.json));
            }
        }
        (Body::Whole { schema, .. }, BodySample::Whole(value)) => {
            check(schema, value, "body".into());
        }
        (Body::Multipart { text_fields, .. }, BodySample::Multipart(values)) => {
            for (f, value) in text_fields.iter().zip(values) {
                check(&f.schema, &json!(value), format!("form.{}", f.json));
            }
        }
        _ => {}
    }
    out
}

/// Whether the spec's `example` can stand for a scalar schema: of its type, and within every
/// constraint of the schema (some examples of the spec are not).
fn example_fits(spec: &Value, example: &Value, schema: &Value) -> bool {
    let typed = match schema.get("type").and_then(Value::as_str) {
        Some("string") => example.is_string() && schema.get("enum").is_none(),
        Some("integer") => example.is_i64() || example.is_u64(),
        Some("number") => example.is_f64(),
        Some("boolean") => example.is_boolean(),
        _ => false,
    };
    typed && violations(spec, schema, example, "example").is_empty()
}

/// A string for `schema`: of its `format`, matching its `pattern`, within its lengths.
fn string_sample(schema: &Value, name: &str) -> String {
    let word: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect();
    let word = if word.is_empty() {
        "sample".into()
    } else {
        word
    };
    match schema.get("format").and_then(Value::as_str) {
        Some("email") => return format!("{word}@example.com"),
        Some("uri" | "url") => return format!("https://example.com/{word}"),
        Some("date-time") => return "2026-05-12T10:00:00Z".into(),
        Some("date") => return "2026-05-12".into(),
        _ => {}
    }
    let mut text = format!("{name}-sample");
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
        && !validate::matches(pattern, &text)
    {
        // A pattern the generator does not cover keeps the plain sample, which the check of
        // the generated requests then reports.
        return pattern::generate(pattern, name).unwrap_or(text);
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
        while (text.chars().count() as u64) < min {
            text.push('x');
        }
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        text = text.chars().take(max as usize).collect();
    }
    text
}

/// `default`, moved into the schema's `minimum`..`maximum` when it is outside (`step` inside
/// an exclusive bound).
fn number_sample(schema: &Value, default: f64, step: f64) -> f64 {
    let (min, max) = bounds(schema);
    let mut value = default;
    if let Some((min, exclusive)) = min
        && (value < min || (exclusive && value == min))
    {
        value = if exclusive { min + step } else { min };
    }
    if let Some((max, exclusive)) = max
        && (value > max || (exclusive && value == max))
    {
        value = if exclusive { max - step } else { max };
    }
    value
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
        && example_fits(spec, example, schema)
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
        Some("string") => Value::String(string_sample(schema, name)),
        Some("integer") => json!(number_sample(schema, 7.0, 1.0) as i64),
        Some("number") => json!(number_sample(schema, 1.5, 0.5)),
        Some("boolean") => json!(true),
        Some("array") => {
            // One item, or as many as `minItems` asks (named apart, so they differ).
            let count = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            let count = schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .map_or(count, |max| count.min(max));
            let items = deref(spec, &schema["items"]);
            let enum_values = items.get("enum").and_then(Value::as_array);
            Value::Array(
                (0..count as usize)
                    .map(|i| match enum_values {
                        Some(values) if count > 1 && !values.is_empty() => {
                            values[i % values.len()].clone()
                        }
                        _ if count > 1 => sample_in(spec, items, &format!("{name}{}", i + 1), refs),
                        _ => sample_in(spec, items, name, refs),
                    })
                    .collect(),
            )
        }
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
    let count = schema
        .get("maxItems")
        .and_then(Value::as_u64)
        .map_or(2, |max| max.min(2)) as usize;
    match string_enum(items) {
        Some(values) => values.into_iter().take(count).map(Value::String).collect(),
        None => (1..=count)
            .map(|i| sample(spec, items, &format!("{name}{i}")))
            .collect(),
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
