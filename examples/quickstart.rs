//! Quickstart: verify a Clerk session token.
//!
//! With no configuration it starts a LocalClerk (an in-process Clerk emulator on 127.0.0.1),
//! mints a session token for a demo user and verifies it, so it runs anywhere with no Clerk
//! account and no network. With `CLERK_SECRET_KEY` set, pass a real session token as the first
//! argument to verify it against your Clerk instance.

use clerk_core::{Clerk, Has};
use clerk_testing::LocalClerk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let configured = std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.is_empty());
    let (clerk, token, _local) = if configured {
        let token = std::env::args()
            .nth(1)
            .ok_or("pass a session token as the first argument")?;
        (Clerk::from_env()?, token, None)
    } else {
        let local = LocalClerk::start().await;
        println!(
            "No CLERK_SECRET_KEY: using a LocalClerk at {}",
            local.api_url()
        );
        let token = local
            .token("user_demo")
            .org(
                "org_demo",
                "demo",
                "org:admin",
                ["org:invoices:read", "org:invoices:write"],
            )
            .mint();
        (local.clerk(), token, Some(local))
    };

    match clerk.verify_token(&token).await {
        Ok(claims) => {
            println!(
                "verified: user {} (session {})",
                claims.user_id(),
                claims.session_id()
            );
            println!(
                "  organization: {:?}, role {:?}",
                claims.org_id(),
                claims.org_role()
            );
            println!("  permissions: {:?}", claims.org_permissions());
            println!(
                "  may write invoices: {}",
                claims.has(Has::permission("org:invoices:write"))
            );
        }
        Err(error) => {
            println!("rejected ({}): {error}", error.reason());
            std::process::exit(1);
        }
    }
    Ok(())
}
