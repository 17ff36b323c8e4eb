//! `cargo xtask msrv`: checks the workspace's `rust-version` against what it builds with.
//!
//! Only one toolchain can be installed here, so the minimum supported Rust version is checked in
//! two parts: clippy's `incompatible_msrv` lint (run by `.ci/run` with `-D warnings`) refuses
//! standard-library APIs newer than `rust-version` in our code; this task refuses a dependency
//! (normal or build, reached from a published crate, as locked in `Cargo.lock`) whose own
//! `rust-version` is newer than ours, and an edition newer than ours allows.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// `1.88` or `1.88.0` as comparable numbers.
fn parse(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

/// The first Rust version that knows `edition`.
fn edition_floor(edition: &str) -> (u64, u64, u64) {
    match edition {
        "2024" => (1, 85, 0),
        "2021" => (1, 56, 0),
        _ => (1, 0, 0),
    }
}

pub fn run() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata's output: {e}"))?;
    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    // Published members: `publish` unset (null) means crates.io.
    let published: Vec<&str> = members
        .iter()
        .copied()
        .filter(|id| packages.get(id).is_some_and(|p| p["publish"].is_null()))
        .collect();
    let ours = published
        .iter()
        .filter_map(|id| packages[id]["rust_version"].as_str())
        .collect::<BTreeSet<_>>();
    let [ours] = ours.into_iter().collect::<Vec<_>>()[..] else {
        return Err("the published crates must share one rust-version".into());
    };
    let msrv = parse(ours).ok_or(format!("rust-version `{ours}` is not a version"))?;

    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    // Every package a published crate needs to build (normal and build dependencies).
    let mut seen = BTreeSet::new();
    let mut todo = published.clone();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(node) = nodes.get(id) else { continue };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let needed = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if let (true, Some(pkg)) = (needed, dep["pkg"].as_str()) {
                todo.push(pkg);
            }
        }
    }
    let mut problems = Vec::new();
    for id in &seen {
        let package = packages[id];
        let name = package["name"].as_str().unwrap_or(id);
        let version = package["version"].as_str().unwrap_or("?");
        if let Some(needs) = package["rust_version"].as_str()
            && parse(needs).is_some_and(|needs| needs > msrv)
        {
            problems.push(format!("{name} {version} needs Rust {needs}"));
        }
        let edition = package["edition"].as_str().unwrap_or("2015");
        if edition_floor(edition) > msrv {
            problems.push(format!("{name} {version} is edition {edition}"));
        }
    }
    if problems.is_empty() {
        println!(
            "rust-version {ours}: the {} packages the published crates build with all support it",
            seen.len()
        );
        Ok(())
    } else {
        Err(format!(
            "rust-version {ours} is too old for:\n  {}",
            problems.join("\n  ")
        ))
    }
}
