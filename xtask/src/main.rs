//! Repository chores, run as `cargo xtask <task>`.
//!
//! - `cargo xtask codegen`: regenerate the Backend API client, models and operation tests from
//!   `spec/` (`--check`: fail if the committed files are out of date).
//! - `cargo xtask msrv`: check that every dependency of the published crates supports their
//!   `rust-version`.

mod codegen;
mod msrv;

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo run` sets CARGO_MANIFEST_DIR for the running binary too: prefer it to the path
    // compiled in, which is stale when a binary built from another checkout is run.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let root = PathBuf::from(manifest_dir)
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen::run(&root, args.iter().any(|a| a == "--check")),
        Some("msrv") => msrv::run(),
        None | Some("help") => {
            println!("usage: cargo xtask codegen [--check] | cargo xtask msrv");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`; run `cargo xtask help`")),
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
