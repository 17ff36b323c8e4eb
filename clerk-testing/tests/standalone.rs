//! The standalone `local-clerk` binary: it starts, prints a working environment and a token,
//! and serves the emulator until stopped.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn local_clerk_prints_a_working_environment_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-clerk"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut env = std::collections::HashMap::new();
    let mut token = None;
    let mut after_token_label = false;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("export ") {
            let (name, value) = rest.split_once('=').expect("NAME=value");
            env.insert(
                name.to_owned(),
                value.trim_matches('"').replace("\\n", "\n"),
            );
        } else if after_token_label {
            token = Some(line.clone());
            after_token_label = false;
        } else if line.starts_with("Sample session token") {
            after_token_label = true;
        }
        if line.starts_with("Press Ctrl+C") {
            break;
        }
    }
    let token = token.expect("a sample token is printed");
    for name in [
        "CLERK_API_URL",
        "CLERK_SECRET_KEY",
        "CLERK_PUBLISHABLE_KEY",
        "CLERK_JWT_KEY",
    ] {
        assert!(env.contains_key(name), "{name} is printed");
    }

    // An app configured from the printed values verifies the token and reaches the emulator.
    let clerk = clerk_core::Clerk::builder()
        .secret_key(&env["CLERK_SECRET_KEY"])
        .publishable_key(&env["CLERK_PUBLISHABLE_KEY"])
        .api_url(&env["CLERK_API_URL"])
        .build()
        .expect("the printed keys are valid");
    let claims = clerk
        .verify_token(&token)
        .await
        .expect("the sample token verifies");
    let user = clerk
        .users()
        .get(claims.user_id())
        .send()
        .await
        .expect("the demo user exists");
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    let networkless = clerk_core::Clerk::builder()
        .jwt_key(&env["CLERK_JWT_KEY"])
        .publishable_key(&env["CLERK_PUBLISHABLE_KEY"])
        .build()
        .expect("the printed PEM is valid");
    networkless
        .verify_token(&token)
        .await
        .expect("verifies with the PEM alone");

    child.kill().expect("stop");
    let _ = child.wait();
}

#[test]
fn a_bad_argument_is_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_local-clerk"))
        .args(["--port", "not-a-number"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--port needs a number"));
}
