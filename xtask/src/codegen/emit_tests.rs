//! `clerk-core/tests/generated/operations.rs`: one test per operation against a recording server.

use serde_json::{Map, Value, json};

use super::emit_api::group_method;
use super::naming::snake;
use super::ops::{Body, Op, Response};
use super::sample::{BodySample, RequestSample, expr, raw_literal, sample};
use super::types::Registry;

/// Percent-encodes a path segment or a query name or value (RFC 3986: all but unreserved
/// characters), as the client does.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn emit_op(registry: &Registry<'_>, op: &Op, sent: &RequestSample, out: &mut String) {
    let spec = registry.spec;
    let mut call = format!(
        "server.clerk().{}().{}(",
        group_method(&op.group),
        op.method
    );
    let mut args = Vec::new();
    let mut setters = String::new();
    let mut path = format!("/v1{}", op.path);
    for (p, value) in op.path_params.iter().zip(&sent.path) {
        path = path.replace(&format!("{{{}}}", p.json), &encode(value));
        args.push(format!("{value:?}"));
    }
    // The query as sent: `name=value` pairs, percent-encoded; a list that is not exploded is one
    // pair whose items are joined by literal commas (a comma inside an item would be `%2C`).
    let mut query: Vec<(String, String)> = Vec::new();
    for (p, value) in op.query_params.iter().zip(&sent.query) {
        match value {
            Value::Array(items) if p.explode => {
                for item in items {
                    query.push((p.json.clone(), encode(&query_text(item))));
                }
            }
            Value::Array(items) => {
                let joined: Vec<String> = items.iter().map(|i| encode(&query_text(i))).collect();
                query.push((p.json.clone(), joined.join(",")));
            }
            scalar => query.push((p.json.clone(), encode(&query_text(scalar)))),
        }
        let e = expr(registry, &p.ty, value);
        if p.required {
            args.push(e);
        } else {
            setters.push_str(&format!("\n        .{}({e})", p.ident));
        }
    }
    if op.sends_paginated {
        query.push(("paginated".into(), "true".into()));
    }
    let mut expected_body: Option<Value> = None;
    let mut multipart_checks: Vec<String> = Vec::new();
    match (&op.body, &sent.body) {
        (Body::Fields { fields, .. }, BodySample::Fields(values)) => {
            let mut body = Map::new();
            for (f, value) in fields.iter().zip(values) {
                let e = expr(registry, &f.ty, value);
                if f.required {
                    args.push(e);
                } else {
                    setters.push_str(&format!("\n        .{}({e})", f.ident));
                }
                body.insert(f.json.clone(), value.clone());
            }
            expected_body = Some(Value::Object(body));
        }
        (Body::Whole { ty, .. }, BodySample::Whole(value)) => {
            args.push(expr(registry, ty, value));
            expected_body = Some(value.clone());
        }
        (
            Body::Multipart {
                file_field,
                text_fields,
            },
            BodySample::Multipart(values),
        ) => {
            args.push("crate_file()".into());
            multipart_checks.push(format!(
                "name=\\\"{file_field}\\\"; filename=\\\"avatar.png\\\""
            ));
            multipart_checks.push("PNG-bytes".into());
            for (f, value) in text_fields.iter().zip(values) {
                setters.push_str(&format!("\n        .{}({value:?})", f.ident));
                multipart_checks.push(format!("name=\\\"{}\\\"", f.json));
                multipart_checks.push(value.clone());
            }
        }
        _ => {}
    }
    call.push_str(&args.join(", "));
    call.push(')');

    let (status, served, check_response) = match &op.response {
        Response::Json { status, schema, .. } => {
            let mut value = sample(spec, schema, "response");
            if op.array_becomes_page {
                value = json!({ "data": value, "total_count": 1 });
            }
            let text = value.to_string();
            (
                *status,
                Some(text.clone()),
                format!(
                    "    assert_round_trip(&response, {});\n",
                    raw_literal(&text)
                ),
            )
        }
        Response::Empty { status } => (*status, None, String::new()),
        Response::Text => (
            200,
            Some("<html><body>interstitial</body></html>".into()),
            "    assert_eq!(response, \"<html><body>interstitial</body></html>\");\n".into(),
        ),
    };
    let content_type = match &op.response {
        Response::Text => "text/html",
        _ => "application/json",
    };
    out.push_str(&format!(
        "#[tokio::test]\n{}async fn op_{}() {{\n",
        if op.deprecated {
            "#[allow(deprecated)]\n"
        } else {
            ""
        },
        snake(&op.id)
    ));
    out.push_str(&format!(
        "    let server = Recorder::start({status}, {:?}, {}).await;\n",
        content_type,
        served
            .as_deref()
            .map(|s| format!("Some({})", raw_literal(s)))
            .unwrap_or_else(|| "None".into())
    ));
    let binding = if matches!(op.response, Response::Empty { .. }) {
        ""
    } else {
        "let response = "
    };
    out.push_str(&format!(
        "    {binding}{call}{setters}\n        .send()\n        .await\n        .expect({:?});\n",
        op.id
    ));
    out.push_str("    let request = server.only_request();\n");
    let raw_query: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={v}", encode(k)))
        .collect();
    out.push_str(&format!(
        "    request.assert_call({:?}, {path:?}, {:?});\n",
        op.http_method,
        raw_query.join("&")
    ));
    match (&expected_body, multipart_checks.is_empty()) {
        (Some(body), _) => out.push_str(&format!(
            "    request.assert_json({});\n",
            raw_literal(&body.to_string())
        )),
        (None, false) => {
            let checks: Vec<String> = multipart_checks
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect();
            out.push_str(&format!(
                "    request.assert_multipart(&[{}]);\n",
                checks.join(", ")
            ));
        }
        (None, true) => out.push_str("    request.assert_no_body();\n"),
    }
    out.push_str(&check_response);
    out.push_str("}\n\n");
}

/// The tests of `ops`, each sending its [`RequestSample`] (`samples[i]` is for `ops[i]`).
pub fn emit(
    registry: &Registry<'_>,
    ops: &[Op],
    samples: &[RequestSample],
    header: &str,
) -> String {
    let mut out = String::new();
    out.push_str(header);
    out.push_str("//! One test per operation of the spec: the request (method, path with encoding, query, body,\n");
    out.push_str("//! headers) and the decoding of a response that follows the spec.\n\n");
    out.push_str("use super::*;\n\n");
    let ids: Vec<String> = ops.iter().map(|o| format!("    {:?},\n", o.id)).collect();
    out.push_str(&format!("/// Every operation id of the spec, each with a test below.\npub const OPERATION_IDS: [&str; {}] = [\n{}];\n\n", ops.len(), ids.concat()));
    for (op, sample) in ops.iter().zip(samples) {
        emit_op(registry, op, sample, &mut out);
    }
    out
}
