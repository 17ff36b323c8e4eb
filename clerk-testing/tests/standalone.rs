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

/// `--webhook URL` registers an endpoint and prints its secret: an app configured with it gets
/// the events of the changes made, signed with it.
#[tokio::test]
async fn webhook_endpoints_from_the_command_line_get_signed_events() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let _ = sender.send((headers, body));
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut child = Command::new(env!("CARGO_BIN_EXE_local-clerk"))
        .args(["--port", "0", "--webhook", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut env = std::collections::HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some((name, value)) = line.strip_prefix("export ").and_then(|r| r.split_once('=')) {
            env.insert(name.to_owned(), value.to_owned());
        }
        if line.starts_with("Press Ctrl+C") {
            break;
        }
    }
    let secret = env
        .get("CLERK_WEBHOOK_SIGNING_SECRET")
        .expect("the endpoint's secret is printed")
        .clone();
    assert!(secret.starts_with("whsec_"), "{secret}");

    let clerk = clerk_core::Clerk::builder()
        .secret_key(&env["CLERK_SECRET_KEY"])
        .publishable_key(&env["CLERK_PUBLISHABLE_KEY"])
        .api_url(&env["CLERK_API_URL"])
        .build()
        .expect("the printed keys are valid");
    let user = clerk
        .users()
        .create()
        .email_address(["hook@example.com"])
        .send()
        .await
        .expect("CreateUser");

    let (headers, body) = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
        .await
        .expect("a webhook arrives")
        .expect("a request");
    child.kill().expect("stop");
    let _ = child.wait();

    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{name}"))
            .to_owned()
    };
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
    let signed = format!("{}.{}.{body}", header("svix-id"), header("svix-timestamp"));
    let tag = aws_lc_rs::hmac::sign(&key, signed.as_bytes());
    assert_eq!(
        header("svix-signature"),
        format!("v1,{}", STANDARD.encode(tag.as_ref()))
    );
    let payload: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        payload["type"], "user.created",
        "the demo data sent nothing"
    );
    assert_eq!(payload["data"]["id"], user.id.as_str());
}
