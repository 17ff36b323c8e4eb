//! Structure-aware session tokens: arbitrary header fields and claims around the standard ones,
//! signed with the client's key, so that the fuzzer gets past the signature into the claim
//! checks and the claims' normalization. Never a panic; a token that verifies re-verifies to the
//! same claims, and its `has()` never grants on an empty check.
#![no_main]

use arbitrary::Arbitrary;
use clerk_core::Has;
use clerk_fuzz::{ISSUER, clerk, run, sign};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// A JSON value the fuzzer builds.
#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn value(&self, depth: u8) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::from(*b),
            Json::Int(i) => Value::from(*i),
            Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::from(s.as_str()),
            Json::List(items) if depth < 4 => items.iter().map(|i| i.value(depth + 1)).collect(),
            Json::Object(fields) if depth < 4 => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value(depth + 1)))
                    .collect(),
            ),
            _ => Value::Null,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Seconds from now of `exp`, `iat`, `nbf` (each may be left out).
    exp: Option<i16>,
    iat: Option<i16>,
    nbf: Option<i16>,
    sid: Option<String>,
    sub: Option<String>,
    /// v2 (`v: 2`) or v1.
    v2: bool,
    typ: Option<String>,
    cat: Option<String>,
    /// Claims set or replaced after the standard ones (`o`, `fea`, `pla`, `org_permissions`, …).
    claims: Vec<(String, Json)>,
    /// The `has()` check.
    role: Option<String>,
    permission: Option<String>,
    feature: Option<String>,
    plan: Option<String>,
}

fuzz_target!(|input: Input| {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut claims = Map::new();
    claims.insert("iss".into(), ISSUER.into());
    let mut set = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            claims.insert(name.into(), value);
        }
    };
    set("exp", input.exp.map(|s| Value::from(now + i64::from(s))));
    set("iat", input.iat.map(|s| Value::from(now + i64::from(s))));
    set("nbf", input.nbf.map(|s| Value::from(now + i64::from(s))));
    set("sid", input.sid.clone().map(Value::from));
    set("sub", input.sub.clone().map(Value::from));
    set("v", input.v2.then(|| Value::from(2)));
    for (name, value) in &input.claims {
        claims.insert(name.clone(), value.value(0));
    }
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.typ = input.typ.clone();
    if let Some(cat) = &input.cat {
        header.extras.insert("cat", cat.clone());
    }
    let token = sign(header, &Value::Object(claims));
    let Ok(verified) = run(clerk().verify_token(&token)) else {
        return;
    };
    let again = run(clerk().verify_token(&token)).expect("verified twice");
    assert_eq!(format!("{verified:?}"), format!("{again:?}"));
    assert!(!verified.has(Has::default()), "an empty check granted");
    let mut check = Has::default();
    if let Some(role) = &input.role {
        check = check.and_role(role);
    }
    if let Some(permission) = &input.permission {
        check = check.and_permission(permission);
    }
    if let Some(feature) = &input.feature {
        check = check.and_feature(feature);
    }
    if let Some(plan) = &input.plan {
        check = check.and_plan(plan);
    }
    let _ = verified.has(check);
});
