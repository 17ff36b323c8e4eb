//! No two public types of `clerk_core::api`, `clerk_core::models` and `clerk_core::webhooks`
//! share a name: a resource handle (`api::organizations::Organizations`) and a model
//! (`models::OrganizationList`) must never be told apart by their module alone. Reads the sources, generated and hand-written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// An identifier at the start of `text`, if it starts with a letter.
fn ident(text: &str) -> Option<&str> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let name = &text[..end];
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        .then_some(name)
}

/// The public types a source file declares: `pub struct|enum|type|trait Name`, and the enums of
/// `string_enum! { /// doc  Name { ... } }`.
fn public_types(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_string_enum = false;
    for line in source.lines().map(str::trim) {
        if line.ends_with("string_enum! {") && !line.starts_with("macro_rules!") {
            in_string_enum = true;
            continue;
        }
        if in_string_enum {
            if line.starts_with("///") || line.starts_with("#[") || line.is_empty() {
                continue;
            }
            in_string_enum = false;
            if let Some(name) = ident(line) {
                names.push(name.to_owned());
            }
            continue;
        }
        for keyword in ["pub struct ", "pub enum ", "pub type ", "pub trait "] {
            if let Some(name) = line.strip_prefix(keyword).and_then(ident) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

#[test]
fn public_api_and_model_types_have_distinct_names() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["api", "models", "generated"] {
        rust_files(&src.join(dir), &mut files);
    }
    files.sort();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut clashes = Vec::new();
    let mut count = 0;
    for file in &files {
        let source = std::fs::read_to_string(file).expect("source file");
        for name in public_types(&source) {
            count += 1;
            let relative = file.strip_prefix(&src).unwrap_or(file).to_path_buf();
            if let Some(first) = seen.insert(name.clone(), relative.clone()) {
                clashes.push(format!(
                    "{name}: {} and {}",
                    first.display(),
                    relative.display()
                ));
            }
        }
    }
    // The scan must see the generated handles, builders and models, string enums included.
    assert!(count > 600, "only {count} public types found");
    for expected in [
        "Organizations",
        "ListOrganizations",
        "OrganizationList",
        "SessionStatus",
        "JwkSet",
        "ApiError",
        "WebhookEvent",
        "WebhookData",
        "SessionEventData",
        "WebhookOrganizationInvitation",
    ] {
        assert!(seen.contains_key(expected), "{expected} was not found");
    }
    assert!(
        clashes.is_empty(),
        "public types share a name:\n  {}",
        clashes.join("\n  ")
    );
}
