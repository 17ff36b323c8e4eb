//! What the benches share.

use std::path::Path;

/// The mean (ns) criterion measured for `group/name` in its output directory `dir`.
pub fn mean_ns(dir: &Path, group: &str, name: &str) -> f64 {
    let path = dir
        .join(group)
        .join(name)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("criterion estimates");
    json["mean"]["point_estimate"].as_f64().expect("mean")
}
