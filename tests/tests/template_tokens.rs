//! Session tokens from JWT templates, server-side: `Clerk::token_for_template` and
//! `Auth::token_for_template`, over real HTTP against LocalClerk's
//! `CreateSessionTokenFromTemplate`. The token is signed with the instance's key and carries
//! the template's claims; it is reused within its lifetime (no second Backend API call);
//! concurrent callers share one call; an unknown template is a typed error and is never
//! cached.

use std::sync::Arc;

use clerk_core::TemplateTokenError;
use clerk_testing::{LocalClerk, NewUser};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

const OPERATION: &str = "CreateSessionTokenFromTemplate";

/// The header and claims of a JWT, its RS256 signature checked with the instance's public key
/// and its `exp` with jsonwebtoken's own check.
fn decode(local: &LocalClerk, token: &str) -> (jsonwebtoken::Header, Value) {
    let key =
        DecodingKey::from_rsa_pem(local.keys().public_key_pem().as_bytes()).expect("a PEM key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).expect("a valid signature");
    (data.header, data.claims)
}

/// A signed-in user (first name Ada, public metadata `{"tier": "gold"}`), its session id, and
/// a `supabase` template with Supabase's usual claims.
async fn setup(local: &LocalClerk) -> (String, String) {
    let user = local.users().create(
        NewUser::with_email("ada@example.com")
            .first_name("Ada")
            .public_metadata(json!({"tier": "gold"})),
    );
    let session = local.sessions().sign_in(&user.id).session.id;
    let claims = json!({
        "role": "authenticated",
        "user_id": "{{user.id}}",
        "email": "{{user.primary_email_address}}",
        "metadata": "{{user.public_metadata}}",
        "greeting": "hello {{user.first_name}}",
        "app": {"name": "demo", "who": ["{{user.id}}"]}
    });
    let Value::Object(claims) = claims else {
        unreachable!("an object literal")
    };
    local
        .clerk()
        .jwt_templates()
        .create("supabase", claims)
        .lifetime(120)
        .send()
        .await
        .expect("the template is created");
    (user.id, session)
}

#[tokio::test]
async fn a_template_token_carries_the_templates_claims_and_verifies_with_the_instance_keys() {
    let local = LocalClerk::start().await;
    let (user_id, session_id) = setup(&local).await;
    let clerk = local.clerk();
    let jwt = clerk
        .token_for_template(&session_id, "supabase")
        .await
        .expect("a token");
    let (header, claims) = decode(&local, &jwt);
    assert_eq!(header.kid.as_deref(), Some(local.keys().kid().as_str()));
    let raw_header = jwt.split('.').next().unwrap_or_default();
    let raw_header: Value = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        raw_header,
    )
    .ok()
    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
    .unwrap_or_default();
    assert_eq!(raw_header["cat"], json!("cl_B7d4PD222AAA"));
    assert_eq!(claims["sub"], json!(user_id));
    assert_eq!(claims["iss"], json!(local.issuer()));
    assert_eq!(claims["role"], json!("authenticated"));
    assert_eq!(claims["user_id"], json!(user_id));
    assert_eq!(claims["email"], json!("ada@example.com"));
    assert_eq!(claims["metadata"], json!({"tier": "gold"}));
    assert_eq!(claims["greeting"], json!("hello Ada"));
    assert_eq!(claims["app"], json!({"name": "demo", "who": [user_id]}));
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    assert_eq!(exp.zip(iat).map(|(exp, iat)| exp - iat), Some(120));
    // A template token is not a session token: the session path refuses it.
    assert!(clerk.verify_token(&jwt).await.is_err());
}

#[tokio::test]
async fn a_second_call_within_the_lifetime_makes_no_backend_api_call() {
    let local = LocalClerk::start().await;
    let (_, session_id) = setup(&local).await;
    let clerk = local.clerk();
    let first = clerk.token_for_template(&session_id, "supabase").await;
    let second = clerk.token_for_template(&session_id, "supabase").await;
    assert_eq!(first, second);
    assert!(first.is_ok());
    assert_eq!(local.requests().count(OPERATION), 1);
    // Another template is another entry.
    let Value::Object(claims) = json!({"aud": "other"}) else {
        unreachable!("an object literal")
    };
    clerk
        .jwt_templates()
        .create("other", claims)
        .send()
        .await
        .expect("the template is created");
    let other = clerk.token_for_template(&session_id, "other").await;
    assert_ne!(other, first);
    assert_eq!(local.requests().count(OPERATION), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_callers_share_one_call() {
    let local = LocalClerk::start().await;
    let (_, session_id) = setup(&local).await;
    let clerk = local.clerk();
    // Every answer is slowed down, so that all sixteen callers ask while the first call is out.
    local.faults().set_api(Some(clerk_testing::Fault::Delay(
        std::time::Duration::from_millis(300),
    )));
    let calls = (0..16).map(|_| {
        let clerk = clerk.clone();
        let session_id = session_id.clone();
        tokio::spawn(async move { clerk.token_for_template(&session_id, "supabase").await })
    });
    let tokens: Vec<Arc<str>> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|joined| joined.expect("the task ends").expect("a token"))
        .collect();
    local.faults().set_api(None);
    assert_eq!(tokens.len(), 16);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(local.requests().count(OPERATION), 1);
}

#[tokio::test]
async fn an_unknown_template_is_a_typed_error_and_is_not_cached() {
    let local = LocalClerk::start().await;
    let (_, session_id) = setup(&local).await;
    let clerk = local.clerk();
    for expected_calls in [1, 2] {
        let error = clerk
            .token_for_template(&session_id, "nope")
            .await
            .expect_err("no such template");
        let TemplateTokenError::NotFound {
            template, source, ..
        } = &error
        else {
            panic!("not NotFound: {error:?}");
        };
        assert_eq!(template, "nope");
        assert_eq!(source.status(), Some(404));
        assert_eq!(source.code(), Some("resource_not_found"));
        assert_eq!(local.requests().count(OPERATION), expected_calls);
    }
    // An unknown session is the same error.
    assert!(matches!(
        clerk.token_for_template("sess_unknown", "supabase").await,
        Err(TemplateTokenError::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_handler_gets_a_template_token_for_its_requests_session() {
    use axum::Router;
    use axum::routing::get;
    use clerk_axum::{ClerkAuth, ClerkClient, ClerkLayer};

    let local = LocalClerk::start().await;
    let (user_id, session_id) = setup(&local).await;
    let app = Router::new()
        .route(
            "/supabase",
            get(
                |auth: ClerkAuth, ClerkClient(clerk): ClerkClient| async move {
                    match auth.token_for_template(&clerk, "supabase").await {
                        Ok(jwt) => jwt.to_string(),
                        Err(error) => error.to_string(),
                    }
                },
            ),
        )
        .layer(ClerkLayer::new(local.clerk()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, app).into_future());
    let session_token = local
        .sessions()
        .token(&session_id)
        .expect("an active session")
        .mint();
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let answer = client
            .get(format!("http://{addr}/supabase"))
            .bearer_auth(&session_token)
            .send()
            .await
            .expect("the app answers");
        assert_eq!(answer.status(), 200);
        answers.push(answer.text().await.expect("a body"));
    }
    let (_, claims) = decode(&local, &answers[0]);
    assert_eq!(claims["user_id"], json!(user_id));
    assert_eq!(answers[0], answers[1]);
    assert_eq!(local.requests().count(OPERATION), 1);
    server.abort();
}
