//! `clerk-core/src/generated/api/*.rs`: one handle per resource group, one builder per operation.

use std::collections::{BTreeMap, BTreeSet};

use super::doc::doc_comment;
use super::emit_models::field_shape;
use super::naming::{bare, pascal, snake};
use super::ops::{Body, Op, Param, Response};
use super::types::{Field, Ty};

const M: &str = "models::";

/// A setter's parameter type and the expression that converts its `value`. Enums take
/// `impl Into<Enum>`, so that `"active"` works as well as `Enum::Active`.
fn setter_input(ty: &Ty, enums: &BTreeSet<String>) -> (String, &'static str) {
    match ty {
        Ty::Named(name) if enums.contains(name) => {
            (format!("impl Into<{}>", ty.rust(M)), "value.into()")
        }
        Ty::String => ("impl Into<String>".into(), "value.into()"),
        Ty::Array(item) if **item == Ty::String => (
            "impl IntoIterator<Item = impl Into<String>>".into(),
            "value.into_iter().map(Into::into).collect()",
        ),
        Ty::Array(item) => (
            format!("impl IntoIterator<Item = {}>", item.rust(M)),
            "value.into_iter().collect()",
        ),
        other => (other.rust(M), "value"),
    }
}

pub fn group_struct(group: &str) -> String {
    pascal(group)
}

pub fn group_method(group: &str) -> String {
    snake(group)
}

/// The Rust type `send()` returns.
pub fn response_type(op: &Op) -> String {
    match &op.response {
        Response::Json { ty, .. } => ty.rust(M),
        Response::Empty { .. } => "()".into(),
        Response::Text => "String".into(),
    }
}

/// Arguments of the group method: path parameters, required query parameters, required body
/// fields, a whole body, a file.
struct Arg {
    ident: String,
    input: String,
    convert: String,
    /// Where the value goes: `self.<field>` or `self.body.<field>`.
    target: String,
}

fn args(op: &Op, enums: &BTreeSet<String>) -> Vec<Arg> {
    let mut out = Vec::new();
    for p in &op.path_params {
        let (input, convert) = setter_input(&Ty::String, enums);
        out.push(Arg {
            ident: p.ident.clone(),
            input,
            convert: convert.replace("value", &p.ident),
            target: p.ident.clone(),
        });
    }
    for p in op.query_params.iter().filter(|p| p.required) {
        let (input, convert) = setter_input(&p.ty, enums);
        out.push(Arg {
            ident: p.ident.clone(),
            input,
            convert: convert.replace("value", &p.ident),
            target: p.ident.clone(),
        });
    }
    match &op.body {
        Body::Fields { fields, .. } => {
            for f in fields.iter().filter(|f| f.required) {
                let (input, convert) = setter_input(&f.ty, enums);
                let mut convert = convert.replace("value", &f.ident);
                if f.nullable {
                    convert = format!("Some({convert})");
                }
                out.push(Arg {
                    ident: f.ident.clone(),
                    input,
                    convert,
                    target: format!("body.{}", f.ident),
                });
            }
        }
        Body::Whole { ty, .. } => {
            let (input, convert) = setter_input(ty, enums);
            out.push(Arg {
                ident: "body".into(),
                input,
                convert: convert.replace("value", "body"),
                target: "body".into(),
            });
        }
        Body::Multipart { .. } => out.push(Arg {
            ident: "file".into(),
            input: "crate::api::File".into(),
            convert: "file".into(),
            target: "file".into(),
        }),
        Body::None => {}
    }
    out
}

fn method_doc(op: &Op) -> String {
    let mut text = String::new();
    if !op.summary.is_empty() {
        text.push_str(&op.summary);
        if !op.summary.ends_with('.') {
            text.push('.');
        }
        text.push_str("\n\n");
    }
    if !op.description.is_empty() && op.description != op.summary {
        text.push_str(&op.description);
        text.push_str("\n\n");
    }
    text.push_str(&format!(
        "`{} {}` (operation `{}`).",
        op.http_method, op.path, op.id
    ));
    if op.pagination.is_some() {
        text.push_str(" Use [`stream`](");
        text.push_str(&format!("{}::stream", op.name));
        text.push_str(") to walk every page.");
    }
    doc_comment(&text, "    ")
}

fn body_field_value(field: &Field, request_only: bool) -> &'static str {
    let shape = field_shape(field, request_only, M);
    if shape.tri_state {
        "crate::models::Nullable::Absent"
    } else if shape.optional {
        "None"
    } else {
        unreachable!("required fields are arguments")
    }
}

fn emit_op(
    op: &Op,
    request_only: &dyn Fn(&Ty) -> bool,
    enums: &BTreeSet<String>,
    out: &mut String,
    handle: &mut String,
) {
    let name = &op.name;
    let args = args(op, enums);
    // --- the group method
    handle.push_str(&method_doc(op));
    if op.deprecated {
        handle.push_str("    #[deprecated(note = \"Clerk marks this operation as deprecated\")]\n");
    }
    let params: Vec<String> = args
        .iter()
        .map(|a| format!("{}: {}", a.ident, a.input))
        .collect();
    handle.push_str(&format!(
        "    pub fn {}(&self, {}) -> {name} {{\n",
        op.method,
        params.join(", ")
    ));
    handle.push_str(&format!(
        "        {name} {{\n            clerk: self.clerk.clone(),\n"
    ));
    for p in &op.path_params {
        handle.push_str(&format!("            {}: {}.into(),\n", p.ident, p.ident));
    }
    for p in &op.query_params {
        if p.required {
            let arg = args.iter().find(|a| a.target == p.ident).expect("arg");
            handle.push_str(&field_init("            ", &p.ident, &arg.convert));
        } else {
            handle.push_str(&format!("            {}: None,\n", p.ident));
        }
    }
    match &op.body {
        Body::Fields { ty, fields } => {
            let request = request_only(ty);
            handle.push_str(&format!("            body: {} {{\n", ty.rust(M)));
            for f in fields {
                let value = if f.required {
                    args.iter()
                        .find(|a| a.target == format!("body.{}", f.ident))
                        .expect("arg")
                        .convert
                        .clone()
                } else {
                    body_field_value(f, request).into()
                };
                handle.push_str(&field_init("                ", &f.ident, &value));
            }
            handle.push_str("            },\n");
        }
        Body::Whole { .. } => handle.push_str(&format!(
            "            body: {},\n",
            args.last().expect("body").convert
        )),
        Body::Multipart { text_fields, .. } => {
            handle.push_str("            file,\n");
            for f in text_fields {
                handle.push_str(&format!("            {}: None,\n", f.ident));
            }
        }
        Body::None => {}
    }
    handle.push_str("        }\n    }\n\n");

    // --- the builder
    out.push_str(&format!(
        "/// The request of [`{}::{}`]; set options with its methods, then call [`send`](Self::send).\n",
        group_struct(&op.group),
        op.method
    ));
    out.push_str(
        "#[derive(Clone)]\n#[must_use = \"a request does nothing until `.send().await`\"]\n",
    );
    out.push_str(&format!("pub struct {name} {{\n    clerk: Clerk,\n"));
    for p in &op.path_params {
        out.push_str(&format!("    {}: String,\n", p.ident));
    }
    for p in &op.query_params {
        let ty = p.ty.rust(M);
        if p.required {
            out.push_str(&format!("    {}: {ty},\n", p.ident));
        } else {
            out.push_str(&format!("    {}: Option<{ty}>,\n", p.ident));
        }
    }
    match &op.body {
        Body::Fields { ty, .. } | Body::Whole { ty, .. } => {
            out.push_str(&format!("    body: {},\n", ty.rust(M)))
        }
        Body::Multipart { text_fields, .. } => {
            out.push_str("    file: crate::api::File,\n");
            for f in text_fields {
                out.push_str(&format!("    {}: Option<String>,\n", f.ident));
            }
        }
        Body::None => {}
    }
    out.push_str("}\n\n");
    out.push_str(&format!("impl {name} {{\n"));

    // setters
    for p in op.query_params.iter().filter(|p| !p.required) {
        let (input, convert) = setter_input(&p.ty, enums);
        out.push_str(&doc_comment(
            if p.doc.is_empty() {
                "Sets this option."
            } else {
                &p.doc
            },
            "    ",
        ));
        out.push_str(&format!(
            "    pub fn {}(mut self, value: {input}) -> Self {{\n        self.{} = Some({convert});\n        self\n    }}\n\n",
            p.ident, p.ident
        ));
    }
    if let Body::Fields { ty, fields } = &op.body {
        let request = request_only(ty);
        for f in fields.iter().filter(|f| !f.required) {
            let shape = field_shape(f, request, M);
            let (input, convert) = setter_input(&f.ty, enums);
            out.push_str(&doc_comment(
                if f.doc.is_empty() {
                    "Sets this field."
                } else {
                    &f.doc
                },
                "    ",
            ));
            let wrapped = if shape.tri_state {
                format!("crate::models::Nullable::Value({convert})")
            } else {
                format!("Some({convert})")
            };
            out.push_str(&format!(
                "    pub fn {}(mut self, value: {input}) -> Self {{\n        self.body.{} = {wrapped};\n        self\n    }}\n\n",
                f.ident, f.ident
            ));
            if shape.tri_state {
                // Only an update has a stored value to clear; elsewhere `null` is just sent.
                let effect = if matches!(op.http_method.as_str(), "PATCH" | "PUT") {
                    ", clearing it"
                } else {
                    " (rather than leaving it out)"
                };
                out.push_str(&format!(
                    "    /// Sends `{}` as `null`{effect}.\n    pub fn {}_null(mut self) -> Self {{\n        self.body.{} = crate::models::Nullable::Null;\n        self\n    }}\n\n",
                    f.json,
                    bare(&f.ident),
                    f.ident
                ));
            }
        }
    }
    if let Body::Multipart { text_fields, .. } = &op.body {
        for f in text_fields {
            out.push_str(&doc_comment(
                if f.doc.is_empty() {
                    "Sets this field."
                } else {
                    &f.doc
                },
                "    ",
            ));
            out.push_str(&format!(
                "    pub fn {}(mut self, value: impl Into<String>) -> Self {{\n        self.{} = Some(value.into());\n        self\n    }}\n\n",
                f.ident, f.ident
            ));
        }
    }

    // send
    let ret = response_type(op);
    out.push_str(&format!(
        "    /// Sends the request: `{} {}`.\n    pub async fn send(self) -> Result<{ret}, crate::api::ApiError> {{\n",
        op.http_method, op.path
    ));
    out.push_str(&format!("        let path = {};\n", path_expr(op)));
    let has_query = !op.query_params.is_empty() || op.sends_paginated;
    if has_query {
        out.push_str("        let mut query = crate::api::Query::default();\n");
        for p in &op.query_params {
            out.push_str(&format!("        {}\n", query_push(p)));
        }
        if op.sends_paginated {
            out.push_str("        query.push(\"paginated\", &true);\n");
        }
    }
    out.push_str(&format!(
        "        let request = crate::api::Request::new(http::Method::{}, {:?}, {:?}, path){};\n",
        op.http_method,
        op.id,
        op.path,
        if has_query { ".query(query)" } else { "" }
    ));
    match &op.body {
        Body::Fields { .. } | Body::Whole { .. } => {
            out.push_str("        let request = request.json(&self.body)?;\n")
        }
        Body::Multipart {
            file_field,
            text_fields,
        } => {
            let binding = if text_fields.is_empty() {
                "let"
            } else {
                "let mut"
            };
            out.push_str(&format!(
                "        {binding} form = crate::api::Multipart::new({file_field:?}, self.file);\n"
            ));
            for f in text_fields {
                out.push_str(&format!(
                    "        form.text({:?}, self.{});\n",
                    f.json, f.ident
                ));
            }
            out.push_str("        let request = request.multipart(form);\n");
        }
        Body::None => {}
    }
    let exec = match &op.response {
        Response::Json { .. } => "execute_json",
        Response::Empty { .. } => "execute_empty",
        Response::Text => "execute_text",
    };
    out.push_str(&format!(
        "        self.clerk.{exec}(request).await\n    }}\n"
    ));

    if let Some(pagination) = &op.pagination {
        let item = pagination.item.rust(M);
        let max = pagination.max_limit;
        out.push_str(&format!(
            "\n    /// Every item of the list, as a stream that fetches pages of up to {max} (or the \
             `limit` you set) by itself, from `offset` on, until {}.\n",
            if pagination.counted { "`total_count` items or an empty page" } else { "a short or empty page" }
        ));
        out.push_str(&format!(
            "    pub fn stream(self) -> crate::api::ItemStream<{item}> {{\n\
             \x20       let page_size = self.limit.unwrap_or({max}).clamp(1, {max});\n\
             \x20       let start = self.offset.unwrap_or(0);\n\
             \x20       crate::api::paginate(start, page_size, move |offset, limit| {{\n\
             \x20           let mut page = self.clone();\n\
             \x20           page.offset = Some(offset);\n\
             \x20           page.limit = Some(limit);\n\
             \x20           async move {{ page.send().await.map(crate::api::Page::from) }}\n\
             \x20       }})\n    }}\n"
        ));
    }
    out.push_str("}\n\n");
}

/// `name: value,` or the shorthand `name,`.
fn field_init(indent: &str, name: &str, value: &str) -> String {
    if name == value {
        format!("{indent}{name},\n")
    } else {
        format!("{indent}{name}: {value},\n")
    }
}

fn path_expr(op: &Op) -> String {
    if op.path_params.is_empty() {
        return format!("String::from({:?})", op.path);
    }
    let mut template = op.path.clone();
    let mut args = Vec::new();
    for p in &op.path_params {
        template = template.replace(&format!("{{{}}}", p.json), "{}");
        args.push(format!(
            "crate::api::path_segment({:?}, &self.{})?",
            p.json, p.ident
        ));
    }
    format!("format!({template:?}, {})", args.join(", "))
}

fn query_push(p: &Param) -> String {
    let value = format!("&self.{}", p.ident);
    match (&p.ty, p.explode) {
        (Ty::Array(_), true) => format!("query.push_each({:?}, {value});", p.json),
        (Ty::Array(_), false) => format!("query.push_joined({:?}, {value});", p.json),
        _ => format!("query.push({:?}, {value});", p.json),
    }
}

/// Emits every group file, keyed by module name.
pub fn emit(
    ops: &[Op],
    request_only: &dyn Fn(&Ty) -> bool,
    enums: &BTreeSet<String>,
    header: &str,
) -> BTreeMap<String, String> {
    let mut groups: BTreeMap<String, Vec<&Op>> = BTreeMap::new();
    for op in ops {
        groups.entry(group_method(&op.group)).or_default().push(op);
    }
    let mut files = BTreeMap::new();
    for (module, group_ops) in &groups {
        let group = &group_ops[0].group;
        let handle_name = group_struct(group);
        let mut out = String::new();
        out.push_str(header);
        out.push_str(&format!(
            "//! The `{group}` operations: [`Clerk::{module}`](crate::Clerk::{module}).\n\n\
             #![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]\n\
             #![allow(clippy::doc_lazy_continuation, clippy::doc_overindented_list_items, clippy::too_many_arguments)]\n\n\
             use crate::Clerk;\n{}\n",
            "{MODELS_IMPORT}"
        ));
        let mut handle = String::new();
        let mut builders = String::new();
        for op in group_ops {
            emit_op(op, request_only, enums, &mut builders, &mut handle);
        }
        let list: Vec<String> = group_ops
            .iter()
            .map(|o| format!("`{}`", o.method))
            .collect();
        out.push_str(&format!(
            "/// The `{group}` operations ({} in all): {}.\n\
             #[derive(Clone, Copy)]\n\
             pub struct {handle_name}<'a> {{\n    clerk: &'a Clerk,\n}}\n\n\
             impl Clerk {{\n    /// The `{group}` operations of the Backend API.\n    pub fn {module}(&self) -> {handle_name}<'_> {{\n        {handle_name} {{ clerk: self }}\n    }}\n}}\n\n\
             impl {handle_name}<'_> {{\n{handle}}}\n\n",
            group_ops.len(),
            list.join(", ")
        ));
        out.push_str(&builders);
        let import = if out.matches("models::").count() > out.matches("crate::models::").count() {
            "use crate::models;\n"
        } else {
            ""
        };
        files.insert(module.clone(), out.replacen("{MODELS_IMPORT}", import, 1));
    }
    files
}
