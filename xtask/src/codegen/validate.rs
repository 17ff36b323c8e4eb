//! Checks a value against the constraints of its schema: type, `enum`, `pattern`, `format` (email,
//! uri/url, date-time, date, int32), `minLength`/`maxLength`, `minimum`/`maximum` (and their
//! exclusive forms), `minItems`/`maxItems`/`uniqueItems`, and the same inside arrays and objects.
//!
//! The generator runs it over every value a generated operation test sends, so a recorded request
//! is always one the spec allows (see [`super::sample::request`]).

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use super::spec::deref;

/// What is wrong with `value` as an instance of `schema`, one line per violation, each starting
/// with `at` (a JSON path such as `body.lifetime` or `query.limit`).
pub fn violations(spec: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    check(spec, schema, value, at, &mut out);
    out
}

fn check(spec: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = deref(spec, schema);
    if value.is_null() {
        if schema.get("nullable").and_then(Value::as_bool) != Some(true) && !schema_is_empty(schema)
        {
            out.push(format!("{at}: null, but the schema is not nullable"));
        }
        return;
    }
    for part in list(schema, "allOf") {
        check(spec, part, value, at, out);
    }
    for key in ["oneOf", "anyOf"] {
        let parts = list(schema, key);
        if !parts.is_empty()
            && parts
                .iter()
                .all(|part| !violations(spec, part, value, at).is_empty())
        {
            out.push(format!("{at}: {value} matches none of the {key} branches"));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        out.push(format!("{at}: {value} is not one of the enum {values:?}"));
    }
    let ty = schema.get("type").and_then(Value::as_str);
    let type_ok = match ty {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    };
    if !type_ok {
        out.push(format!(
            "{at}: {value} is not of type {}",
            ty.unwrap_or("?")
        ));
        return;
    }
    match value {
        Value::String(text) => check_string(schema, text, at, out),
        Value::Number(_) => check_number(schema, value, at, out),
        Value::Array(items) => check_array(spec, schema, items, at, out),
        Value::Object(fields) => {
            for name in list(schema, "required").iter().filter_map(|r| r.as_str()) {
                if !fields.contains_key(name) {
                    out.push(format!("{at}: the required property `{name}` is missing"));
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (name, field) in fields {
                let at = format!("{at}.{name}");
                match (
                    props.and_then(|p| p.get(name)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(prop), _) => check(spec, prop, field, &at, out),
                    (None, Some(extra @ Value::Object(_))) => check(spec, extra, field, &at, out),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn schema_is_empty(schema: &Value) -> bool {
    schema.as_object().is_none_or(|o| o.is_empty())
}

fn list<'a>(schema: &'a Value, key: &str) -> &'a [Value] {
    schema
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn check_string(schema: &Value, text: &str, at: &str, out: &mut Vec<String>) {
    let length = text.chars().count() as u64;
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && length < min
    {
        out.push(format!("{at}: {text:?} is shorter than minLength {min}"));
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && length > max
    {
        out.push(format!("{at}: {text:?} is longer than maxLength {max}"));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
        && !matches(pattern, text)
    {
        out.push(format!(
            "{at}: {text:?} does not match the pattern {pattern}"
        ));
    }
    let format = schema.get("format").and_then(Value::as_str);
    let format_rule = match format {
        Some("email") => Some(EMAIL),
        Some("uri" | "url") => Some(URI),
        Some("date-time") => Some(DATE_TIME),
        Some("date") => Some(DATE),
        _ => None,
    };
    if let (Some(format), Some(rule)) = (format, format_rule)
        && !matches(rule, text)
    {
        out.push(format!("{at}: {text:?} is not of the format {format}"));
    }
}

/// An address with a local part, an `@` and a dotted domain.
const EMAIL: &str = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$";
/// An absolute URI: a scheme, then no whitespace (RFC 3986 `scheme ":" hier-part`).
const URI: &str = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$";
/// RFC 3339 `date-time`.
const DATE_TIME: &str = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$";
/// RFC 3339 `full-date`.
const DATE: &str = r"^\d{4}-\d{2}-\d{2}$";

/// Whether `text` matches `pattern` (compiled once per pattern). A pattern the `regex` crate cannot
/// compile matches nothing, so it is reported rather than skipped.
pub fn matches(pattern: &str, text: &str) -> bool {
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Option<Regex>>> = RefCell::default();
    }
    COMPILED.with(|compiled| {
        compiled
            .borrow_mut()
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(text))
    })
}

fn check_number(schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let Some(n) = value.as_f64() else { return };
    let (min, max) = bounds(schema);
    if let Some((min, exclusive)) = min
        && (n < min || (exclusive && n == min))
    {
        let how = if exclusive { "exclusive " } else { "" };
        out.push(format!("{at}: {value} is below the {how}minimum {min}"));
    }
    if let Some((max, exclusive)) = max
        && (n > max || (exclusive && n == max))
    {
        let how = if exclusive { "exclusive " } else { "" };
        out.push(format!("{at}: {value} is above the {how}maximum {max}"));
    }
    if schema.get("format").and_then(Value::as_str) == Some("int32")
        && value.as_i64().is_none_or(|v| i32::try_from(v).is_err())
    {
        out.push(format!("{at}: {value} is not an int32"));
    }
}

/// A bound of a number schema, and whether it is exclusive.
pub type Bound = Option<(f64, bool)>;

/// The lower and upper bounds of a number schema. OpenAPI 3.0 writes `exclusiveMinimum: true`
/// beside `minimum`; 3.1 gives the bound itself.
pub fn bounds(schema: &Value) -> (Bound, Bound) {
    let bound = |plain: &str, exclusive: &str| -> Bound {
        match schema.get(exclusive) {
            Some(Value::Number(b)) => b.as_f64().map(|b| (b, true)),
            flag => schema
                .get(plain)
                .and_then(Value::as_f64)
                .map(|b| (b, flag.and_then(Value::as_bool) == Some(true))),
        }
    };
    (
        bound("minimum", "exclusiveMinimum"),
        bound("maximum", "exclusiveMaximum"),
    )
}

fn check_array(spec: &Value, schema: &Value, items: &[Value], at: &str, out: &mut Vec<String>) {
    let count = items.len() as u64;
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
        && count < min
    {
        out.push(format!("{at}: {count} items, fewer than minItems {min}"));
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
        && count > max
    {
        out.push(format!("{at}: {count} items, more than maxItems {max}"));
    }
    if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true)
        && items
            .iter()
            .enumerate()
            .any(|(i, item)| items[..i].contains(item))
    {
        out.push(format!("{at}: the items are not unique"));
    }
    if let Some(item_schema) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            check(spec, item_schema, item, &format!("{at}[{i}]"), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(schema: Value, value: Value) -> Vec<String> {
        violations(&json!({}), &schema, &value, "v")
    }

    #[test]
    fn each_constraint_is_checked() {
        let lifetime = json!({"type": "integer", "minimum": 30, "maximum": 315360000});
        assert_eq!(errors(lifetime.clone(), json!(7)).len(), 1);
        assert!(errors(lifetime, json!(30)).is_empty());
        let positive = json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true});
        assert_eq!(errors(positive.clone(), json!(0)).len(), 1);
        assert!(errors(positive, json!(1)).is_empty());
        let kind = json!({"type": "string", "enum": ["email", "sms"]});
        assert_eq!(errors(kind.clone(), json!("template_type-1/2 x")).len(), 1);
        assert!(errors(kind, json!("sms")).is_empty());
        let id = json!({"type": "string", "pattern": "^user_\\w{27}$"});
        assert_eq!(errors(id.clone(), json!("user_id-sample")).len(), 1);
        assert!(errors(id, json!(format!("user_{}", "a".repeat(27)))).is_empty());
        let email = json!({"type": "string", "format": "email"});
        assert_eq!(
            errors(email.clone(), json!("email_address-sample")).len(),
            1
        );
        assert!(errors(email, json!("ada@example.com")).is_empty());
        let url = json!({"type": "string", "format": "uri"});
        assert_eq!(errors(url.clone(), json!("redirect_url-sample")).len(), 1);
        assert!(errors(url, json!("https://example.com/callback")).is_empty());
        let when = json!({"type": "string", "format": "date-time"});
        assert_eq!(errors(when.clone(), json!("created-sample")).len(), 1);
        assert!(errors(when, json!("2026-05-12T10:00:00Z")).is_empty());
        let name = json!({"type": "string", "minLength": 3, "maxLength": 5});
        assert_eq!(errors(name.clone(), json!("ab")).len(), 1);
        assert_eq!(errors(name.clone(), json!("abcdef")).len(), 1);
        assert!(errors(name, json!("abc")).is_empty());
        let codes = json!({"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": true,
            "items": {"type": "string", "pattern": "^[A-Z]{2}$"}});
        assert_eq!(errors(codes.clone(), json!([])).len(), 1);
        assert_eq!(errors(codes.clone(), json!(["FR", "FR"])).len(), 1);
        assert_eq!(errors(codes.clone(), json!(["FR", "de", "IT"])).len(), 2);
        assert!(errors(codes, json!(["FR", "DE"])).is_empty());
        let object = json!({"type": "object", "required": ["a"],
            "properties": {"a": {"type": "integer", "maximum": 3}}});
        assert_eq!(
            errors(object.clone(), json!({"a": 4})),
            ["v.a: 4 is above the maximum 3"]
        );
        assert_eq!(errors(object, json!({})).len(), 1);
        assert_eq!(errors(json!({"type": "boolean"}), json!("true")).len(), 1);
        assert_eq!(errors(json!({"type": "string"}), json!(null)).len(), 1);
        assert!(errors(json!({"type": "string", "nullable": true}), json!(null)).is_empty());
    }
}
