//! A Backend API script: every user of your instance, page by page, as CSV.
//!
//! With no `CLERK_SECRET_KEY` it starts a LocalClerk and creates 25 demo users first; with
//! `CLERK_SECRET_KEY` set it exports your instance's users. The CSV goes to the file named by the
//! first argument, or to standard output; the count to standard error. `PAGE_SIZE` (default
//! 100, at most 500) is how many users each Backend API call fetches.
//!
//! Run: `cargo run -p clerk-examples --example export_users -- users.csv`

use std::io::Write;

use clerk_core::Clerk;
use clerk_examples::export_users::export_csv;
use clerk_testing::{LocalClerk, NewUser};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let page_size: i64 = std::env::var("PAGE_SIZE")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
    let configured = std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty());
    let (clerk, _local) = if configured {
        (Clerk::from_env()?, None)
    } else {
        let local = LocalClerk::start().await;
        for i in 1..=25 {
            local.users().create(
                NewUser::with_email(format!("user{i}@example.com"))
                    .first_name(format!("User {i}"))
                    .last_name("Demo, Jr."),
            );
        }
        (local.clerk(), Some(local))
    };
    let mut out: Box<dyn Write> = match std::env::args().nth(1) {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::stdout().lock()),
    };
    let count = export_csv(&clerk, page_size, &mut out).await?;
    eprintln!(
        "{count} users exported ({} Backend API calls)",
        clerk.stats().api_calls()
    );
    Ok(())
}
