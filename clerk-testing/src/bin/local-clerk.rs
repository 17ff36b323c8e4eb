//! `cargo run -p clerk-testing --bin local-clerk [-- --port N]`: LocalClerk as a standalone
//! server, for backends in any language. It prints the environment to point an app at it and a
//! sample session token, then serves until Ctrl+C.

use clerk_testing::LocalClerk;

#[tokio::main]
async fn main() {
    let mut port = 8790u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => fail("--port needs a number (0 for any free port)"),
            },
            "-h" | "--help" => {
                println!("usage: local-clerk [--port N]   (default 8790; 0 picks a free port)");
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
        local.public_key_pem().trim().replace('\n', "\\n")
    );
    println!(
        "\nDemo users: {} (Ada, org:admin of {}), {} (Bob, org:member)",
        demo.ada.id, demo.acme.slug, demo.bob.id
    );
    println!("Sample session token for Ada (valid 1 hour):\n{token}\n");
    println!(
        "Emulated Backend API operations: {}",
        clerk_testing::EMULATED_OPERATIONS.join(", ")
    );
    println!("Press Ctrl+C to stop.");
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn fail(message: &str) -> ! {
    eprintln!("local-clerk: {message}");
    std::process::exit(2);
}
