//! From JSON schemas to Rust type definitions.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::naming::{field_ident, type_ident};
use super::spec::{deref, ref_name, resolve};

/// A Rust type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    I64,
    I32,
    F64,
    Bool,
    /// Any JSON value.
    Json,
    /// A free-form JSON object (`serde_json::Map`).
    Metadata,
    Array(Box<Ty>),
    /// An object whose values all have one type.
    Map(Box<Ty>),
    /// A generated definition.
    Named(String),
    /// A hand-written type, by path.
    Manual(&'static str),
    /// `{data, total_count}`.
    Paginated(Box<Ty>),
}

impl Ty {
    /// The Rust spelling, with generated names relative to the models module.
    pub fn rust(&self, models: &str) -> String {
        match self {
            Ty::String => "String".into(),
            Ty::I64 => "i64".into(),
            Ty::I32 => "i32".into(),
            Ty::F64 => "f64".into(),
            Ty::Bool => "bool".into(),
            Ty::Json => "serde_json::Value".into(),
            Ty::Metadata => "serde_json::Map<String, serde_json::Value>".into(),
            Ty::Array(item) => format!("Vec<{}>", item.rust(models)),
            Ty::Map(value) => format!("std::collections::BTreeMap<String, {}>", value.rust(models)),
            Ty::Named(name) => format!("{models}{name}"),
            Ty::Manual(path) => (*path).into(),
            Ty::Paginated(item) => format!("crate::models::Paginated<{}>", item.rust(models)),
        }
    }
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub json: String,
    pub ident: String,
    pub ty: Ty,
    pub required: bool,
    pub nullable: bool,
    pub doc: String,
    pub deprecated: bool,
    /// The property schema, for sample values.
    pub schema: Value,
    /// Inlined with `#[serde(flatten)]`: the fields of a model this one extends (a webhook's
    /// session is the Backend API's `Session` plus its `user`).
    pub flatten: bool,
}

/// A generated type.
#[derive(Debug, Clone, PartialEq)]
pub enum Def {
    Struct {
        name: String,
        doc: String,
        fields: Vec<Field>,
    },
    /// A string enum with a fallback variant.
    Enum {
        name: String,
        doc: String,
        values: Vec<String>,
    },
    /// One of several shapes, with a fallback variant: chosen by a discriminator property when
    /// the spec declares one (`tag`), else tried in order.
    Union {
        name: String,
        doc: String,
        variants: Vec<(String, Ty)>,
        tag: Option<UnionTag>,
    },
    Alias {
        name: String,
        doc: String,
        ty: Ty,
    },
}

/// The discriminator of a union (`discriminator: {propertyName, mapping}`): the property, and
/// the value of it that selects each variant, in the order of the variants.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionTag {
    pub property: String,
    pub values: Vec<String>,
}

impl Def {
    pub fn name(&self) -> &str {
        match self {
            Def::Struct { name, .. }
            | Def::Enum { name, .. }
            | Def::Union { name, .. }
            | Def::Alias { name, .. } => name,
        }
    }

    fn same_shape(&self, other: &Def) -> bool {
        match (self, other) {
            (Def::Struct { fields: a, .. }, Def::Struct { fields: b, .. }) => {
                a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| {
                        x.json == y.json
                            && x.ty == y.ty
                            && x.flatten == y.flatten
                            && x.required == y.required
                            && x.nullable == y.nullable
                    })
            }
            (Def::Enum { values: a, .. }, Def::Enum { values: b, .. }) => a == b,
            (
                Def::Union {
                    variants: a,
                    tag: ta,
                    ..
                },
                Def::Union {
                    variants: b,
                    tag: tb,
                    ..
                },
            ) => a == b && ta == tb,
            (Def::Alias { ty: a, .. }, Def::Alias { ty: b, .. }) => a == b,
            _ => false,
        }
    }
}

/// Component schemas that map to hand-written types: (schema name, Rust path).
pub const MANUAL_SCHEMAS: &[(&str, &str)] = &[
    ("ClerkErrors", "crate::api::ClerkErrors"),
    ("ClerkError", "crate::api::ClerkError"),
    ("JWKS", "crate::models::JwkSet"),
];

/// The hand-written union every `verification_*` choice maps to.
pub const VERIFICATION: &str = "crate::models::Verification";

/// The hand-written type a component schema maps to, if any.
pub fn manual_schema(name: &str) -> Option<&'static str> {
    MANUAL_SCHEMAS
        .iter()
        .find(|(schema, _)| *schema == name)
        .map(|(_, path)| *path)
}

/// The Rust name of a component schema. A list of a component (an array, or a
/// `{data, total_count}` page) named as the plural of its item is named as a list:
/// `Organizations` → `OrganizationList`, `Directories` → `DirectoryList`. Model names then never
/// repeat a resource handle's name (`api::organizations::Organizations`).
pub fn component_ident(spec: &Value, name: &str) -> String {
    let ident = type_ident(name);
    let schema = deref(spec, &spec["components"]["schemas"][name]);
    let list = if schema.get("type").and_then(Value::as_str) == Some("array") {
        Some(schema)
    } else {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .filter(|props| props.len() == 2 && props.contains_key("total_count"))
            .and_then(|props| props.get("data"))
            .map(|data| deref(spec, data))
    };
    let item = list
        .and_then(|list| list.get("items"))
        .and_then(|items| items.get("$ref"))
        .and_then(Value::as_str)
        .map(|reference| type_ident(ref_name(reference)));
    match item {
        Some(item) if ident == plural(&item) => format!("{item}List"),
        _ => ident,
    }
}

/// The English plural of a type name: `Domain` → `Domains`, `Directory` → `Directories`.
fn plural(name: &str) -> String {
    match name.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{name}s"),
    }
}

/// A function naming the components of a registry.
pub type ComponentName = Box<dyn Fn(&str) -> String>;

/// All generated definitions, in order, with unique names.
pub struct Registry<'s> {
    pub spec: &'s Value,
    pub defs: Vec<Def>,
    index: HashMap<String, usize>,
    /// Component schemas defined elsewhere, by schema name, with the Rust path used for them (the
    /// webhook models reuse the Backend API's).
    pub external: BTreeMap<String, &'static str>,
    /// Component schemas [`add_components`](Self::add_components) leaves out.
    pub skip: BTreeSet<String>,
    /// The Rust name of a component schema, when not [`component_ident`].
    pub component_name: Option<ComponentName>,
}

pub fn doc_of(schema: &Value) -> String {
    let mut doc = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned();
    if schema.get("deprecated").and_then(Value::as_bool) == Some(true) {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str("Deprecated.");
    }
    doc
}

fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool) == Some(true)
}

impl<'s> Registry<'s> {
    pub fn new(spec: &'s Value) -> Self {
        Self {
            spec,
            defs: Vec::new(),
            index: HashMap::new(),
            external: BTreeMap::new(),
            skip: BTreeSet::new(),
            component_name: None,
        }
    }

    /// Keeps `name` from being used by a definition of this registry (it names a type elsewhere).
    pub fn reserve(&mut self, name: &str) {
        self.index.entry(name.to_owned()).or_insert(usize::MAX);
    }

    /// The Rust name of a component schema of this registry.
    fn component_rust(&self, name: &str) -> String {
        match &self.component_name {
            Some(rename) => rename(name),
            None => component_ident(self.spec, name),
        }
    }

    /// Whether a component is generated by this registry.
    fn generates(&self, name: &str) -> bool {
        manual_schema(name).is_none()
            && !self.external.contains_key(name)
            && !self.skip.contains(name)
    }

    pub fn get(&self, name: &str) -> Option<&Def> {
        self.index
            .get(name)
            .filter(|&&i| i != usize::MAX)
            .map(|&i| &self.defs[i])
    }

    /// Registers `def`, reusing an identical definition of the same name, or renaming on a clash.
    pub fn add(&mut self, def: Def) -> String {
        let base = def.name().to_owned();
        let mut name = base.clone();
        let mut n = 2;
        loop {
            match self.index.get(&name) {
                None => break,
                Some(&i) if i != usize::MAX && self.defs[i].same_shape(&def) => return name,
                Some(_) => {
                    name = format!("{base}{n}");
                    n += 1;
                }
            }
        }
        let def = match def {
            Def::Struct { doc, fields, .. } => Def::Struct {
                name: name.clone(),
                doc,
                fields,
            },
            Def::Enum { doc, values, .. } => Def::Enum {
                name: name.clone(),
                doc,
                values,
            },
            Def::Union {
                doc, variants, tag, ..
            } => Def::Union {
                name: name.clone(),
                doc,
                variants,
                tag,
            },
            Def::Alias { doc, ty, .. } => Def::Alias {
                name: name.clone(),
                doc,
                ty,
            },
        };
        self.index.insert(name.clone(), self.defs.len());
        self.defs.push(def);
        name
    }

    /// Defines every component schema under its own name.
    pub fn add_components(&mut self) {
        let schemas = self.spec["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        // Reserve the names first so that references resolve to them whatever the order.
        for name in schemas.keys() {
            if self.generates(name) {
                let rust = self.component_rust(name);
                self.index.insert(rust.clone(), usize::MAX);
            }
        }
        for (name, schema) in &schemas {
            if !self.generates(name) {
                continue;
            }
            let rust = self.component_rust(name);
            self.index.remove(&rust);
            let def = self.def_for(&rust, schema);
            let got = self.add(def);
            assert_eq!(got, rust, "component {name} was renamed");
        }
    }

    /// The definition for a schema named `name` (a component or an inline body/response).
    pub fn def_for(&mut self, name: &str, schema: &Value) -> Def {
        let doc = doc_of(schema);
        if let Some(fields) = self.extension_fields(schema, name) {
            return Def::Struct {
                name: name.into(),
                doc,
                fields,
            };
        }
        if let Some(item) = self.paginated_item(schema, name) {
            return Def::Alias {
                name: name.into(),
                doc,
                ty: Ty::Paginated(Box::new(item)),
            };
        }
        if let Some((fields, true)) = self.object_fields(schema, name) {
            return Def::Struct {
                name: name.into(),
                doc,
                fields,
            };
        }
        if let Some(values) = string_enum(schema) {
            return Def::Enum {
                name: name.into(),
                doc,
                values,
            };
        }
        let (ty, _) = self.ty(schema, name);
        match ty {
            Ty::Named(inner) if inner == name => self.get(name).cloned().expect("just defined"),
            ty => Def::Alias {
                name: name.into(),
                doc,
                ty,
            },
        }
    }

    /// `allOf: [$ref external, {properties}...]`: the external model, flattened, and the added
    /// properties.
    fn extension_fields(&mut self, schema: &Value, hint: &str) -> Option<Vec<Field>> {
        let parts = schema.get("allOf")?.as_array()?;
        let (base, rest) = parts.split_first()?;
        let base_name = ref_name(base.get("$ref")?.as_str()?);
        let path = *self.external.get(base_name)?;
        if rest.is_empty() || schema.get("properties").is_some() {
            return None;
        }
        let mut fields = vec![Field {
            json: base_name.to_owned(),
            ident: field_ident(base_name),
            ty: Ty::Manual(path),
            required: true,
            nullable: false,
            doc: format!("The [`{}`]({path}) this extends.", type_ident(base_name)),
            deprecated: false,
            schema: Value::Null,
            flatten: true,
        }];
        for part in rest {
            let (more, true) = self.object_fields(part, hint)? else {
                return None;
            };
            fields.extend(more);
        }
        Some(fields)
    }

    /// `Some(item type)` when the schema is `{data: [item], total_count}`.
    pub fn paginated_item(&mut self, schema: &Value, hint: &str) -> Option<Ty> {
        let schema = deref(self.spec, schema);
        let props = schema.get("properties")?.as_object()?;
        if props.len() != 2 || !props.contains_key("data") || !props.contains_key("total_count") {
            return None;
        }
        let data = deref(self.spec, &props["data"]);
        if data.get("type").and_then(Value::as_str) != Some("array") {
            return None;
        }
        let (item, _) = self.ty(&data["items"], &format!("{hint}Item"));
        Some(item)
    }

    /// The fields of an object schema (merging `allOf` parts); the flag says whether the schema
    /// is an object with properties at all.
    fn object_fields(&mut self, schema: &Value, hint: &str) -> Option<(Vec<Field>, bool)> {
        let mut props: Vec<(String, Value)> = Vec::new();
        let mut required: Vec<String> = Vec::new();
        self.collect_props(schema, &mut props, &mut required)?;
        if props.is_empty() {
            return Some((Vec::new(), false));
        }
        let mut fields = Vec::new();
        for (json, prop) in props {
            let ident = field_ident(&json);
            let (ty, nullable) = self.ty(&prop, &format!("{hint}{}", type_ident(&json)));
            let resolved = deref(self.spec, &prop).clone();
            fields.push(Field {
                required: required.contains(&json),
                nullable,
                doc: doc_of(&prop),
                deprecated: prop.get("deprecated").and_then(Value::as_bool) == Some(true),
                schema: resolved,
                ident,
                json,
                ty,
                flatten: false,
            });
        }
        Some((fields, true))
    }

    /// Gathers properties of an object schema and of all its `allOf` parts (later parts win).
    fn collect_props(
        &self,
        schema: &Value,
        props: &mut Vec<(String, Value)>,
        required: &mut Vec<String>,
    ) -> Option<()> {
        let schema = deref(self.spec, schema);
        let is_object_like = schema.get("properties").is_some() || schema.get("allOf").is_some();
        if !is_object_like {
            return None;
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.collect_props(part, props, required)?;
            }
        }
        if let Some(own) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in own {
                if let Some(slot) = props.iter_mut().find(|(n, _)| n == name) {
                    slot.1 = prop.clone();
                } else {
                    props.push((name.clone(), prop.clone()));
                }
            }
        }
        if let Some(list) = schema.get("required").and_then(Value::as_array) {
            for name in list.iter().filter_map(Value::as_str) {
                if !required.iter().any(|r| r == name) {
                    required.push(name.to_owned());
                }
            }
        }
        Some(())
    }

    /// The type of a schema, and whether it is nullable. Inline objects, enums and unions are
    /// registered under `hint`.
    pub fn ty(&mut self, schema: &Value, hint: &str) -> (Ty, bool) {
        let nullable = is_nullable(schema);
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            // A component declared `nullable` is nullable wherever it is referenced
            // (`OrganizationInvitation.public_inviter_data`, which Clerk sends as `null` when the
            // invitation has no inviter).
            let target_nullable = reference.starts_with("#/components/schemas/")
                && is_nullable(resolve(self.spec, reference));
            return (self.ref_ty(reference), nullable || target_nullable);
        }
        // A single-part allOf/oneOf/anyOf is just that part (often a way to add `nullable`).
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array)
                && parts.len() == 1
                && schema.get("properties").is_none()
            {
                let (ty, inner_nullable) = self.ty(&parts[0], hint);
                return (ty, nullable || inner_nullable);
            }
        }
        // `anyOf: [{required: [a]}, {required: [b]}]` beside `properties` is a validation rule,
        // not a choice of shapes: only shape-describing parts make a union.
        let shapes = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
            .filter(|parts| {
                schema.get("properties").is_none()
                    && parts.iter().all(|p| {
                        ["$ref", "type", "properties", "allOf"]
                            .iter()
                            .any(|k| p.get(*k).is_some())
                    })
            });
        if let Some(parts) = shapes {
            let all_verifications = parts.iter().all(|p| {
                p.get("$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| ref_name(r).starts_with("verification_"))
            });
            if all_verifications {
                return (Ty::Manual(VERIFICATION), nullable);
            }
            let mut variants = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let variant =
                    variant_name(self.spec, part).unwrap_or_else(|| format!("Variant{}", i + 1));
                let (ty, _) = self.ty(part, &format!("{hint}{variant}"));
                variants.push((variant, ty));
            }
            let tag = union_tag(schema, parts);
            let name = self.add(Def::Union {
                name: hint.into(),
                doc: doc_of(schema),
                variants,
                tag,
            });
            return (Ty::Named(name), nullable);
        }
        if schema.get("allOf").is_some() || schema.get("properties").is_some() {
            if let Some(item) = self.paginated_item(schema, hint) {
                return (Ty::Paginated(Box::new(item)), nullable);
            }
            if let Some((fields, true)) = self.object_fields(schema, hint) {
                let name = self.add(Def::Struct {
                    name: hint.into(),
                    doc: doc_of(schema),
                    fields,
                });
                return (Ty::Named(name), nullable);
            }
        }
        let ty = match schema.get("type").and_then(Value::as_str) {
            Some("string") => match string_enum(schema) {
                Some(values) => {
                    let name = self.add(Def::Enum {
                        name: hint.into(),
                        doc: doc_of(schema),
                        values,
                    });
                    Ty::Named(name)
                }
                None => Ty::String,
            },
            Some("integer") => {
                if schema.get("format").and_then(Value::as_str) == Some("int32") {
                    Ty::I32
                } else {
                    Ty::I64
                }
            }
            Some("number") => Ty::F64,
            Some("boolean") => Ty::Bool,
            Some("array") => {
                let (item, _) = self.ty(&schema["items"], &format!("{hint}Item"));
                Ty::Array(Box::new(item))
            }
            Some("object") | None => match schema.get("additionalProperties") {
                Some(Value::Object(values)) if !values.is_empty() => {
                    let (value, _) =
                        self.ty(&Value::Object(values.clone()), &format!("{hint}Value"));
                    Ty::Map(Box::new(value))
                }
                _ if schema.get("type").is_some() => Ty::Metadata,
                _ => Ty::Json,
            },
            Some(_) => Ty::Json,
        };
        (ty, nullable)
    }

    fn ref_ty(&mut self, reference: &str) -> Ty {
        let name = ref_name(reference);
        if reference.starts_with("#/components/schemas/") {
            if let Some(path) = manual_schema(name) {
                return Ty::Manual(path);
            }
            if let Some(path) = self.external.get(name) {
                return Ty::Manual(path);
            }
            return Ty::Named(self.component_rust(name));
        }
        // A reference to something else (a response, a parameter schema): use what it points at.
        let target = resolve(self.spec, reference).clone();
        self.ty(&target, &type_ident(name)).0
    }
}

/// The values of a string enum with more than one value. One-value enums (such as every
/// `object` tag) are plain strings.
pub fn string_enum(schema: &Value) -> Option<Vec<String>> {
    if schema.get("type").and_then(Value::as_str) != Some("string") {
        return None;
    }
    let values: Vec<String> = schema
        .get("enum")?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    (values.len() > 1).then_some(values)
}

/// The discriminator of a `oneOf`/`anyOf` whose parts are all `$ref`s: each part's value is the
/// key of `mapping` that names it, else (as OpenAPI says) its component name. `None` without a
/// discriminator; a discriminator that does not name every part is a mistake in the spec (or an
/// overlay) and stops the generator.
fn union_tag(schema: &Value, parts: &[Value]) -> Option<UnionTag> {
    let discriminator = schema.get("discriminator")?;
    let property = discriminator["propertyName"]
        .as_str()
        .unwrap_or_else(|| panic!("discriminator without propertyName: {discriminator}"))
        .to_owned();
    let mapping = discriminator.get("mapping").and_then(Value::as_object);
    let values = parts
        .iter()
        .map(|part| {
            let reference = part.get("$ref").and_then(Value::as_str);
            let value = match (reference, mapping) {
                (Some(reference), Some(mapping)) => mapping
                    .iter()
                    .find(|(_, target)| target.as_str() == Some(reference))
                    .map(|(value, _)| value.clone()),
                (Some(reference), None) => Some(ref_name(reference).to_owned()),
                (None, _) => None,
            };
            value.unwrap_or_else(|| panic!("discriminator {discriminator} does not name {part}"))
        })
        .collect();
    Some(UnionTag { property, values })
}

/// A union variant's name: its component name, or its `object` tag.
fn variant_name(spec: &Value, part: &Value) -> Option<String> {
    if let Some(reference) = part.get("$ref").and_then(Value::as_str) {
        return Some(type_ident(ref_name(reference)));
    }
    let part = deref(spec, part);
    let tag = part
        .get("properties")?
        .get("object")?
        .get("enum")?
        .as_array()?
        .first()?
        .as_str()?;
    Some(type_ident(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discriminator_names_each_variant_by_mapping_or_component_name() {
        let parts = vec![
            serde_json::json!({"$ref": "#/components/schemas/Token"}),
            serde_json::json!({"$ref": "#/components/schemas/Cookies"}),
        ];
        let mapped = serde_json::json!({"oneOf": parts, "discriminator": {
            "propertyName": "object",
            "mapping": {"cookies": "#/components/schemas/Cookies", "token": "#/components/schemas/Token"}
        }});
        assert_eq!(
            union_tag(&mapped, &parts),
            Some(UnionTag {
                property: "object".into(),
                values: vec!["token".into(), "cookies".into()],
            })
        );
        let unmapped =
            serde_json::json!({"oneOf": parts, "discriminator": {"propertyName": "kind"}});
        assert_eq!(
            union_tag(&unmapped, &parts).map(|tag| tag.values),
            Some(vec!["Token".into(), "Cookies".into()])
        );
        assert_eq!(
            union_tag(&serde_json::json!({"oneOf": parts}), &parts),
            None
        );
    }

    #[test]
    fn lists_named_as_plurals_are_named_as_lists() {
        let spec = serde_json::json!({"components": {"schemas": {
            "Directory": {"type": "object"},
            "Directories": {"type": "array", "items": {"$ref": "#/components/schemas/Directory"}},
            "Organizations": {"type": "object", "properties": {
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Organization"}},
                "total_count": {"type": "integer"}
            }},
            "PaginatedPlans": {"type": "object", "properties": {
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Plan"}},
                "total_count": {"type": "integer"}
            }},
            "Organization": {"type": "object"}
        }}});
        assert_eq!(component_ident(&spec, "Directories"), "DirectoryList");
        assert_eq!(component_ident(&spec, "Organizations"), "OrganizationList");
        assert_eq!(component_ident(&spec, "PaginatedPlans"), "PaginatedPlans");
        assert_eq!(component_ident(&spec, "Organization"), "Organization");
    }
}
