//! `clerk-core/src/generated/models.rs`.

use std::collections::{BTreeSet, HashMap};

use super::doc::doc_comment;
use super::naming::{bare, type_ident};
use super::types::{Def, Field, Registry, Ty, UnionTag};

/// Names of the definitions reachable from `roots`.
pub fn reachable(registry: &Registry<'_>, roots: &[Ty]) -> BTreeSet<String> {
    fn visit(registry: &Registry<'_>, ty: &Ty, seen: &mut BTreeSet<String>) {
        match ty {
            Ty::Array(inner) | Ty::Map(inner) | Ty::Paginated(inner) => {
                visit(registry, inner, seen)
            }
            Ty::Named(name) => {
                if !seen.insert(name.clone()) {
                    return;
                }
                match registry.get(name) {
                    Some(Def::Struct { fields, .. }) => {
                        fields.iter().for_each(|f| visit(registry, &f.ty, seen))
                    }
                    Some(Def::Union { variants, .. }) => {
                        variants.iter().for_each(|(_, t)| visit(registry, t, seen))
                    }
                    Some(Def::Alias { ty, .. }) => visit(registry, ty, seen),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let mut seen = BTreeSet::new();
    for root in roots {
        visit(registry, root, &mut seen);
    }
    seen
}

/// Whether a value of `ty` has a `Default`.
fn defaultable(registry: &Registry<'_>, ty: &Ty, memo: &mut HashMap<String, bool>) -> bool {
    match ty {
        Ty::String
        | Ty::I64
        | Ty::I32
        | Ty::F64
        | Ty::Bool
        | Ty::Json
        | Ty::Metadata
        | Ty::Array(_)
        | Ty::Map(_) => true,
        Ty::Paginated(_) => true,
        Ty::Manual(path) => *path == "crate::models::JwkSet",
        Ty::Named(name) => {
            if let Some(&known) = memo.get(name) {
                return known;
            }
            memo.insert(name.clone(), true); // cycles: assume yes, as derive would
            let result = match registry.get(name) {
                Some(Def::Struct { fields, .. }) => fields
                    .iter()
                    .all(|f| !f.required || f.nullable || defaultable(registry, &f.ty, memo)),
                Some(Def::Alias { ty, .. }) => defaultable(registry, ty, memo),
                _ => false,
            };
            memo.insert(name.clone(), result);
            result
        }
    }
}

/// How a field is declared: its type spelling and serde attributes.
pub struct FieldShape {
    pub ty: String,
    pub attrs: Vec<String>,
    /// Optional and nullable in a request: absent, null and a value differ.
    pub tri_state: bool,
    pub optional: bool,
}

pub fn field_shape(field: &Field, request_only: bool, models: &str) -> FieldShape {
    let inner = field.ty.rust(models);
    let mut attrs = Vec::new();
    if field.flatten {
        return FieldShape {
            ty: inner,
            attrs: vec!["flatten".into()],
            tri_state: false,
            optional: false,
        };
    }
    if bare(&field.ident) != field.json {
        attrs.push(format!("rename = \"{}\"", field.json));
    }
    if field.required && !field.nullable {
        if matches!(
            field.ty,
            Ty::String
                | Ty::I64
                | Ty::I32
                | Ty::F64
                | Ty::Bool
                | Ty::Json
                | Ty::Metadata
                | Ty::Array(_)
                | Ty::Map(_)
        ) {
            // Lenient: a response that omits a required scalar still decodes.
            attrs.push("default".into());
        }
        FieldShape {
            ty: inner,
            attrs,
            tri_state: false,
            optional: false,
        }
    } else if field.required {
        attrs.push("default".into());
        FieldShape {
            ty: format!("Option<{inner}>"),
            attrs,
            tri_state: false,
            optional: true,
        }
    } else if field.nullable && request_only {
        attrs.push("default".into());
        attrs.push("skip_serializing_if = \"crate::models::Nullable::is_absent\"".into());
        FieldShape {
            ty: format!("crate::models::Nullable<{inner}>"),
            attrs,
            tri_state: true,
            optional: true,
        }
    } else {
        attrs.push("default".into());
        attrs.push("skip_serializing_if = \"Option::is_none\"".into());
        FieldShape {
            ty: format!("Option<{inner}>"),
            attrs,
            tri_state: false,
            optional: true,
        }
    }
}

/// `Deserialize` for a union with a discriminator: the variant its tag names (a value of that tag
/// that does not fit the variant is an error, as for any model), anything else `Other`.
fn tagged_deserialize(name: &str, variants: &[(String, Ty)], tag: &UnionTag) -> String {
    let mut out = format!(
        "impl<'de> Deserialize<'de> for {name} {{\n\
         fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n\
         use serde::de::Error as _;\n\
         let value = serde_json::Value::deserialize(deserializer)?;\n\
         Ok(match value.get({:?}).and_then(serde_json::Value::as_str) {{\n",
        tag.property
    );
    for ((variant, _), value) in variants.iter().zip(&tag.values) {
        out.push_str(&format!(
            "Some({value:?}) => Self::{variant}(serde_json::from_value(value).map_err(D::Error::custom)?),\n"
        ));
    }
    out.push_str("_ => Self::Other(value),\n})\n}\n}\n\n");
    out
}

/// The doc comment of `doc`, or of `fallback` when the spec has none.
pub fn doc_or(doc: &str, fallback: &str, indent: &str) -> String {
    if doc.trim().is_empty() {
        doc_comment(fallback, indent)
    } else {
        doc_comment(doc, indent)
    }
}

pub fn emit(registry: &Registry<'_>, request_only: &BTreeSet<String>, header: &str) -> String {
    let mut out = String::new();
    out.push_str(header);
    out.push_str(
        "//! Models of the Clerk Backend API: every component schema, inline request body and inline\n\
         //! response of the spec, with readable names.\n\n\
         #![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]\n\
         #![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)]\n\n\
         use serde::{Deserialize, Serialize};\n\n",
    );
    out.push_str(&emit_defs(registry, request_only));
    out
}

/// The Rust definitions of a registry's types.
pub fn emit_defs(registry: &Registry<'_>, request_only: &BTreeSet<String>) -> String {
    let mut out = String::new();
    let mut memo = HashMap::new();
    for def in &registry.defs {
        match def {
            Def::Struct { name, doc, fields } => {
                out.push_str(&doc_or(doc, &format!("The `{name}` object."), ""));
                let default = if defaultable(registry, &Ty::Named(name.clone()), &mut memo) {
                    ", Default"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize{default})]\n"
                ));
                out.push_str(&format!("pub struct {name} {{\n"));
                let request = request_only.contains(name);
                for field in fields {
                    out.push_str(&doc_or(&field.doc, &format!("`{}`.", field.json), "    "));
                    let shape = field_shape(field, request, "");
                    if !shape.attrs.is_empty() {
                        out.push_str(&format!("    #[serde({})]\n", shape.attrs.join(", ")));
                    }
                    out.push_str(&format!("    pub {}: {},\n", field.ident, shape.ty));
                }
                out.push_str("}\n\n");
            }
            Def::Enum { name, doc, values } => {
                out.push_str("crate::models::string_enum! {\n");
                out.push_str(&doc_or(doc, &format!("The values of `{name}`."), "    "));
                out.push_str(&format!("    {name} {{\n"));
                let mut used = BTreeSet::new();
                for value in values {
                    let mut variant = type_ident(value);
                    while !used.insert(variant.clone()) {
                        variant.push('_');
                    }
                    out.push_str(&format!("        {variant} = {value:?},\n"));
                }
                out.push_str("    }\n}\n\n");
            }
            Def::Union {
                name,
                doc,
                variants,
                tag,
            } => {
                out.push_str(&doc_or(doc, &format!("One of the shapes of `{name}`."), ""));
                match tag {
                    Some(tag) => {
                        out.push_str(&format!("///\n/// Decoded by its `{}` property; a value it does not name is kept as [`Other`](Self::Other).\n", tag.property));
                        out.push_str(
                            "#[derive(Debug, Clone, PartialEq, Serialize)]\n#[serde(untagged)]\n",
                        );
                    }
                    None => {
                        out.push_str("///\n/// Decoded by trying each shape in order; anything else is kept as [`Other`](Self::Other).\n");
                        out.push_str("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\n#[serde(untagged)]\n");
                    }
                }
                out.push_str(&format!("pub enum {name} {{\n"));
                for (i, (variant, ty)) in variants.iter().enumerate() {
                    let doc = match tag {
                        Some(tag) => format!(
                            "The `{variant}` shape (`{}: {:?}`).",
                            tag.property, tag.values[i]
                        ),
                        None => format!("The `{variant}` shape."),
                    };
                    out.push_str(&format!("    /// {doc}\n    {variant}({}),\n", ty.rust("")));
                }
                out.push_str("    /// A shape this SDK does not know yet.\n    Other(serde_json::Value),\n}\n\n");
                if let Some(tag) = tag {
                    out.push_str(&tagged_deserialize(name, variants, tag));
                }
            }
            Def::Alias { name, doc, ty } => {
                out.push_str(&doc_or(doc, &format!("`{name}`."), ""));
                out.push_str(&format!("pub type {name} = {};\n\n", ty.rust("")));
            }
        }
    }
    out
}
