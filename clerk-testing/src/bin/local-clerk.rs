//! `cargo run -p clerk-testing --bin local-clerk [-- --port N] [--webhook URL]...`: LocalClerk
//! as a standalone server, for backends in any language. It prints the environment to point an
//! app at it (with each webhook endpoint's `CLERK_WEBHOOK_SIGNING_SECRET`) and a sample session
//! token, then serves until Ctrl+C, logging webhook deliveries on stderr.

use std::time::Duration;

use clerk_testing::LocalClerk;

#[tokio::main]
async fn main() {
    let mut port = 8790u16;
    let mut webhooks = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => fail("--port needs a number (0 for any free port)"),
            },
            "--webhook" => match args.next() {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    webhooks.push(url)
                }
                _ => fail("--webhook needs an http:// or https:// URL"),
            },
            "-h" | "--help" => {
                println!(
                    "usage: local-clerk [--port N] [--webhook URL]...\n\n  \
                     --port N       the port to listen on (default 8790; 0 picks a free port)\n  \
                     --webhook URL  POST Clerk's webhook events to URL, signed with a secret printed \
                     as CLERK_WEBHOOK_SIGNING_SECRET (repeatable)"
                );
                return;
            }
            other => fail(&format!("unknown argument `{other}`; try --help")),
        }
    }
    let local = match LocalClerk::builder().port(port).start().await {
        Ok(local) => local,
        Err(error) => fail(&format!(
            "cannot listen on 127.0.0.1:{port}: {error} (try --port 0)"
        )),
    };
    let demo = clerk_testing::demo::seed(&local);
    let token = demo.ada_token(&local, 3600);
    println!("LocalClerk is listening on {}\n", local.api_url());
    println!("export CLERK_API_URL={}", local.api_url());
    println!("export CLERK_SECRET_KEY={}", local.secret_key());
    println!("export CLERK_PUBLISHABLE_KEY={}", local.publishable_key());
    println!(
        "export CLERK_JWT_KEY=\"{}\"",
        local.keys().public_key_pem().trim().replace('\n', "\\n")
    );
    // Registered after the demo data: as with Clerk, an endpoint gets the events from then on.
    for url in webhooks {
        let endpoint = local.webhooks().add_endpoint(url);
        println!("# webhook endpoint {} ({})", endpoint.url(), endpoint.id());
        println!("export CLERK_WEBHOOK_SIGNING_SECRET={}", endpoint.secret());
    }
    println!(
        "\nDemo users: {} (Ada, org:admin of {}), {} (Bob, org:member)",
        demo.ada.id, demo.acme.slug, demo.bob.id
    );
    println!("Sample session token for Ada (valid 1 hour):\n{token}\n");
    println!(
        "Frontend API: {} (sign in from a browser: {}/sign-in?redirect_url=<your app's URL>)",
        local.frontend_api_url(),
        local.frontend_api_url()
    );
    println!(
        "Emulated Backend API operations: {}",
        clerk_testing::EMULATED_OPERATIONS.join(", ")
    );
    println!("Press Ctrl+C to stop.");
    if !local.webhooks().endpoints().is_empty() {
        tokio::spawn(log_deliveries(local.clone()));
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Logs each webhook delivery attempt on stderr.
async fn log_deliveries(local: LocalClerk) {
    let mut logged = 0;
    loop {
        let deliveries = local
            .webhooks()
            .wait_for_deliveries(logged + 1, Duration::from_secs(3600))
            .await;
        for delivery in &deliveries[logged.min(deliveries.len())..] {
            let outcome = match (delivery.status, &delivery.error) {
                (Some(status), _) => status.to_string(),
                (None, Some(error)) => error.clone(),
                (None, None) => "no answer".into(),
            };
            eprintln!(
                "webhook {} {} -> {} (attempt {}): {}",
                delivery.event_type, delivery.message_id, delivery.url, delivery.attempt, outcome
            );
        }
        logged = deliveries.len();
    }
}

fn fail(message: &str) -> ! {
    eprintln!("local-clerk: {message}");
    std::process::exit(2);
}
