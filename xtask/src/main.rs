//! Repository chores, run as `cargo xtask <task>`.

fn main() {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        None | Some("help") => println!("usage: cargo xtask <task>\n\ntasks: (none yet)"),
        Some(other) => {
            eprintln!("unknown task `{other}`; run `cargo xtask help`");
            std::process::exit(2);
        }
    }
}
