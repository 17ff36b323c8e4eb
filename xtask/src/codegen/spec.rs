//! Loading the spec and the preprocessing applied before generation.
//!
//! Every change made to Clerk's spec before generating is here, each with its reason:
//! 1. Clerk's own overlay (`spec/clerk-overlay-fixes.yml`, what Clerk applies before generating its
//!    SDKs): flattens the JWKS key union into one object and drops a duplicate `clerk_trace_id`.
//! 2. Our overlay (`spec/sdk-overlay.yml`), applied after Clerk's, for what Clerk's JS SDK sends
//!    or reads where the spec is silent: `GET /clients/handshake_payload` (`GetHandshakePayload`,
//!    an empty path item in the spec) with its `HandshakePayload`; `RefreshSession`'s
//!    `suffixed_cookies` query parameter and `request_headers` as `{name: [value]}`; and the
//!    `object` discriminator of `SessionRefresh` (`Token` or `Cookies`), without which a cookies
//!    answer decodes as a token.
//! 3. Empty path items (paths with no operation) are skipped.
//! 4. `limit` and `offset` parameters declared as `number` are whole numbers (`i64`).
//! 5. Properties declared as `number` that are timestamps (`*_at`, `expiration`) or counts
//!    (`total_count`) are whole numbers (`integer`, `int64`): Clerk sends integers there, and
//!    timestamps are `i64` milliseconds everywhere else in the spec.
//! 6. Operations without `x-speakeasy-group` / `x-speakeasy-name-override` get the group and
//!    method names of [`FALLBACK_NAMES`].
//! 7. The spec splits the six "Email & SMS Templates" operations over three groups; they are one
//!    group here ([`MERGED_GROUPS`]), so one handle has them all.

use serde_json::Value;

/// Group and method names for the operations the spec leaves unnamed (by operationId).
pub const FALLBACK_NAMES: &[(&str, &str, &str)] = &[
    ("GetInstanceProtect", "instanceSettings", "getProtect"),
    ("UpdateInstanceProtect", "instanceSettings", "updateProtect"),
    (
        "createAdminPortalLinkToken",
        "adminPortalLinkTokens",
        "create",
    ),
    (
        "revokeAdminPortalLinkToken",
        "adminPortalLinkTokens",
        "revoke",
    ),
    ("createApiKey", "apiKeys", "create"),
    ("getApiKeys", "apiKeys", "list"),
    ("getApiKey", "apiKeys", "get"),
    ("updateApiKey", "apiKeys", "update"),
    ("deleteApiKey", "apiKeys", "delete"),
    ("getApiKeySecret", "apiKeys", "getSecret"),
    ("revokeApiKey", "apiKeys", "revoke"),
    ("verifyApiKey", "apiKeys", "verify"),
];

/// Groups folded into another (spec group → group used): the "Email & SMS Templates" operations
/// are all `clerk.email_sms_templates()`.
pub const MERGED_GROUPS: &[(&str, &str)] = &[
    ("emailAndSmsTemplates", "emailSMSTemplates"),
    ("templates", "emailSMSTemplates"),
];

pub const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head"];

/// Reads a YAML file into a JSON value, keeping key order.
pub fn load_yaml(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses a target of the form `$["a"]["b"]...` (the only JSONPath form the overlay uses).
fn parse_target(target: &str) -> Result<Vec<String>, String> {
    let rest = target
        .strip_prefix('$')
        .ok_or_else(|| format!("unsupported target {target}"))?;
    let mut keys = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        let inner = rest
            .strip_prefix("[\"")
            .ok_or_else(|| format!("unsupported target {target}"))?;
        let end = inner
            .find("\"]")
            .ok_or_else(|| format!("unsupported target {target}"))?;
        keys.push(inner[..end].to_owned());
        rest = &inner[end + 2..];
    }
    Ok(keys)
}

fn merge(into: &mut Value, update: &Value) {
    match (into, update) {
        (Value::Object(into), Value::Object(update)) => {
            for (key, value) in update {
                match into.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        into.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (into, update) => *into = update.clone(),
    }
}

/// Applies an OpenAPI Overlay (update and remove actions on `$["..."]` targets).
pub fn apply_overlay(spec: &mut Value, overlay: &Value) -> Result<(), String> {
    let actions = overlay["actions"]
        .as_array()
        .ok_or("overlay without actions")?;
    for action in actions {
        let target = action["target"]
            .as_str()
            .ok_or("overlay action without target")?;
        let keys = parse_target(target)?;
        let (last, parents) = keys.split_last().ok_or("empty target")?;
        let mut node = &mut *spec;
        for key in parents {
            node = node
                .get_mut(key.as_str())
                .ok_or_else(|| format!("overlay target {target} not found"))?;
        }
        if action.get("remove").and_then(Value::as_bool) == Some(true) {
            node.as_object_mut()
                .and_then(|o| o.shift_remove(last.as_str()))
                .ok_or_else(|| format!("overlay target {target} not found"))?;
        } else if let Some(update) = action.get("update") {
            let node = node
                .get_mut(last.as_str())
                .ok_or_else(|| format!("overlay target {target} not found"))?;
            merge(node, update);
        }
    }
    Ok(())
}

/// Preprocessing step 5: integer timestamps and counts declared as `number`.
pub fn fix_number_integers(node: &mut Value) -> usize {
    let mut fixed = 0;
    match node {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (name, prop) in props.iter_mut() {
                    let integer_like =
                        name.ends_with("_at") || name == "expiration" || name == "total_count";
                    if integer_like && prop.get("type").and_then(Value::as_str) == Some("number") {
                        prop["type"] = Value::from("integer");
                        prop["format"] = Value::from("int64");
                        fixed += 1;
                    }
                }
            }
            for value in map.values_mut() {
                fixed += fix_number_integers(value);
            }
        }
        Value::Array(items) => {
            for value in items {
                fixed += fix_number_integers(value);
            }
        }
        _ => {}
    }
    fixed
}

/// Follows a local `$ref` (`#/components/...`).
pub fn resolve<'a>(spec: &'a Value, reference: &str) -> &'a Value {
    let mut node = spec;
    for part in reference.trim_start_matches("#/").split('/') {
        node = &node[part];
    }
    node
}

/// The name a `$ref` points at (its last segment).
pub fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// Follows `$ref`s until a non-reference node.
pub fn deref<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        node = resolve(spec, reference);
    }
    node
}
