//! Operations: parameters, bodies, responses, pagination.

use serde_json::Value;

use super::naming::{field_ident, pascal, snake, type_ident};
use super::spec::{FALLBACK_NAMES, MERGED_GROUPS, METHODS, deref};
use super::types::{Def, Field, Registry, Ty};

/// A path or query parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub json: String,
    pub ident: String,
    pub ty: Ty,
    pub required: bool,
    pub doc: String,
    /// For array query parameters: repeated keys (`true`) or one comma-joined value.
    pub explode: bool,
    pub deprecated: bool,
    pub schema: Value,
}

#[derive(Debug, Clone)]
pub enum Body {
    None,
    /// A JSON object whose fields get setters; `ty` is the struct.
    Fields {
        ty: Ty,
        fields: Vec<Field>,
    },
    /// A JSON body passed whole (an array, or a free-form object).
    Whole {
        ty: Ty,
        schema: Value,
    },
    /// A multipart upload: one file plus optional text fields.
    Multipart {
        file_field: String,
        text_fields: Vec<Param>,
    },
}

#[derive(Debug, Clone)]
pub enum Response {
    Json { ty: Ty, status: u16, schema: Value },
    Empty { status: u16 },
    Text,
}

#[derive(Debug, Clone)]
pub struct Pagination {
    pub max_limit: i64,
    pub item: Ty,
    /// The response carries `total_count`.
    pub counted: bool,
}

#[derive(Debug, Clone)]
pub struct Op {
    pub id: String,
    pub name: String,
    pub group: String,
    pub method: String,
    pub http_method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub deprecated: bool,
    pub path_params: Vec<Param>,
    pub query_params: Vec<Param>,
    /// The list takes `paginated=true` (always sent).
    pub sends_paginated: bool,
    /// The spec declares a bare array, but with `paginated=true` the answer is a page.
    pub array_becomes_page: bool,
    pub body: Body,
    pub response: Response,
    pub pagination: Option<Pagination>,
}

fn param(registry: &mut Registry<'_>, op_name: &str, raw: &Value) -> Param {
    let raw = deref(registry.spec, raw).clone();
    let json = raw["name"].as_str().unwrap_or_default().to_owned();
    let schema = raw.get("schema").cloned().unwrap_or(Value::Null);
    let (mut ty, _) = registry.ty(&schema, &format!("{op_name}{}", type_ident(&json)));
    // Preprocessing: a few lists declare `limit`/`offset` as `number`; they are whole numbers.
    if matches!(json.as_str(), "limit" | "offset") && ty == Ty::F64 {
        ty = Ty::I64;
    }
    Param {
        ident: field_ident(&json),
        required: raw.get("required").and_then(Value::as_bool) == Some(true),
        doc: raw
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_owned(),
        explode: raw.get("explode").and_then(Value::as_bool) != Some(false),
        deprecated: raw.get("deprecated").and_then(Value::as_bool) == Some(true),
        schema: deref(registry.spec, &schema).clone(),
        ty,
        json,
    }
}

fn body(registry: &mut Registry<'_>, op_name: &str, op: &Value) -> Body {
    let Some(request_body) = op.get("requestBody") else {
        return Body::None;
    };
    let request_body = deref(registry.spec, request_body).clone();
    let content = &request_body["content"];
    if let Some(multipart) = content.get("multipart/form-data") {
        let schema = deref(registry.spec, &multipart["schema"]).clone();
        let mut file_field = String::from("file");
        let mut text_fields = Vec::new();
        for (name, prop) in schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default()
        {
            if prop.get("format").and_then(Value::as_str) == Some("binary") {
                file_field = name;
            } else {
                text_fields.push(Param {
                    ident: field_ident(&name),
                    ty: Ty::String,
                    required: false,
                    doc: prop
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .trim()
                        .to_owned(),
                    explode: true,
                    deprecated: false,
                    schema: prop.clone(),
                    json: name,
                });
            }
        }
        return Body::Multipart {
            file_field,
            text_fields,
        };
    }
    let Some(json) = content.get("application/json") else {
        panic!("{op_name}: unsupported request content {content}");
    };
    let schema = json["schema"].clone();
    let hint = format!("{op_name}Request");
    let (ty, _) = registry.ty(&schema, &hint);
    if let Ty::Named(name) = &ty
        && let Some(Def::Struct { fields, .. }) = registry.get(name)
    {
        return Body::Fields {
            ty: ty.clone(),
            fields: fields.clone(),
        };
    }
    Body::Whole {
        ty,
        schema: deref(registry.spec, &schema).clone(),
    }
}

fn response(registry: &mut Registry<'_>, op_name: &str, op: &Value) -> Response {
    let responses = op["responses"].as_object().cloned().unwrap_or_default();
    let (code, raw) = responses
        .iter()
        .find(|(code, _)| code.starts_with('2'))
        .unwrap_or_else(|| panic!("{op_name}: no success response"));
    let status: u16 = code.parse().unwrap_or(200);
    let raw = deref(registry.spec, raw).clone();
    match raw.get("content").and_then(|c| c.get("application/json")) {
        Some(json) => {
            let schema = json["schema"].clone();
            let (ty, _) = registry.ty(&schema, &format!("{op_name}Response"));
            Response::Json {
                ty,
                status,
                schema: deref(registry.spec, &schema).clone(),
            }
        }
        // The interstitial answers HTML although the spec declares no content.
        None if op_name == "GetPublicInterstitial" => Response::Text,
        None => Response::Empty { status },
    }
}

/// Resolves aliases to see whether `ty` is a page.
fn page_item(registry: &Registry<'_>, ty: &Ty) -> Option<(Ty, bool)> {
    match ty {
        Ty::Paginated(item) => Some(((**item).clone(), true)),
        Ty::Array(item) => Some(((**item).clone(), false)),
        Ty::Named(name) => match registry.get(name) {
            Some(Def::Alias { ty, .. }) => page_item(registry, ty),
            _ => None,
        },
        _ => None,
    }
}

pub fn collect(registry: &mut Registry<'_>) -> Vec<Op> {
    let spec = registry.spec;
    let mut ops = Vec::new();
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        let shared: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let id = op["operationId"].as_str().expect("operationId").to_owned();
            let fallback = FALLBACK_NAMES.iter().find(|(oid, _, _)| *oid == id);
            let group = op
                .get("x-speakeasy-group")
                .and_then(Value::as_str)
                .or(fallback.map(|f| f.1))
                .unwrap_or_else(|| panic!("{id}: no group"));
            let group = MERGED_GROUPS
                .iter()
                .find(|(from, _)| *from == group)
                .map_or(group, |(_, into)| into)
                .to_owned();
            let method_name = op
                .get("x-speakeasy-name-override")
                .and_then(Value::as_str)
                .or(fallback.map(|f| f.2))
                .unwrap_or_else(|| panic!("{id}: no method name"))
                .to_owned();
            let name = pascal(&id);
            let mut path_params = Vec::new();
            let mut query_params = Vec::new();
            let mut sends_paginated = false;
            for raw in shared.iter().chain(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            ) {
                let p = param(registry, &name, raw);
                let location = deref(spec, raw)["in"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                match location.as_str() {
                    "path" => path_params.push(Param {
                        required: true,
                        ..p
                    }),
                    "query" if p.json == "paginated" => sends_paginated = true,
                    "query" => query_params.push(p),
                    other => panic!("{id}: unsupported parameter location {other}"),
                }
            }
            // A deprecated spelling of a parameter (`frontendApi` beside `frontend_api`) keeps a
            // distinct name.
            let names: Vec<String> = query_params.iter().map(|p| p.ident.clone()).collect();
            for p in &mut query_params {
                if names.iter().filter(|n| **n == p.ident).count() > 1 && p.deprecated {
                    p.ident = format!("{}_deprecated", super::naming::bare(&p.ident));
                }
            }
            // Path parameters in the order they appear in the path.
            path_params
                .sort_by_key(|p| path.find(&format!("{{{}}}", p.json)).unwrap_or(usize::MAX));
            let body = body(registry, &name, op);
            let mut response = response(registry, &name, op);
            let limit = query_params.iter().find(|p| p.json == "limit");
            let has_offset = query_params.iter().any(|p| p.json == "offset");
            let mut pagination = None;
            let mut array_becomes_page = false;
            if let (Some(limit), true, Response::Json { ty, .. }) = (limit, has_offset, &response) {
                let max_limit = limit
                    .schema
                    .get("maximum")
                    .and_then(Value::as_i64)
                    .unwrap_or(100);
                if let Some((item, counted)) = page_item(registry, ty) {
                    if sends_paginated && !counted {
                        // Sent `paginated=true`, these lists answer `{data, total_count}`.
                        if let Response::Json { ty, .. } = &mut response {
                            *ty = Ty::Paginated(Box::new(item.clone()));
                        }
                        pagination = Some(Pagination {
                            max_limit,
                            item,
                            counted: true,
                        });
                        array_becomes_page = true;
                    } else {
                        pagination = Some(Pagination {
                            max_limit,
                            item,
                            counted,
                        });
                    }
                }
            }
            ops.push(Op {
                summary: op
                    .get("summary")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_owned(),
                description: op
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_owned(),
                deprecated: op.get("deprecated").and_then(Value::as_bool) == Some(true),
                http_method: method.to_uppercase(),
                path: path.clone(),
                group,
                method: snake(&method_name),
                id,
                name,
                path_params,
                query_params,
                sends_paginated,
                array_becomes_page,
                body,
                response,
                pagination,
            });
        }
    }
    ops
}
