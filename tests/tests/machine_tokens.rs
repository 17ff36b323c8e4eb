//! Machine authentication against LocalClerk: machines, API keys, M2M tokens (opaque and JWT)
//! and OAuth access tokens, through the generated client and through raw requests to the
//! verify endpoints at the API root, where Clerk's JavaScript and Python SDKs call them.

use clerk_core::models::{GetApiKeysIncludeInvalid, VerifyOauthAccessTokenResponse};
use clerk_testing::{LocalClerk, M2M_CATEGORY, NewUser};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

/// POSTs `body` to `path` at the API root (no `/v1`), authenticated with `key`.
async fn post_root(local: &LocalClerk, key: &str, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", local.api_url()))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// The header and claims of a JWT, its RS256 signature checked with the instance's public key.
fn decode(local: &LocalClerk, token: &str) -> (jsonwebtoken::Header, Value) {
    let key =
        DecodingKey::from_rsa_pem(local.keys().public_key_pem().as_bytes()).expect("a PEM key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).expect("a valid signature");
    (data.header, data.claims)
}

#[tokio::test]
async fn api_keys_are_created_verified_revoked_and_deleted() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let user = local.users().create(NewUser::with_email("ada@example.com"));

    let created = clerk
        .api_keys()
        .create("ci", &user.id)
        .scopes(["read", "write"])
        .claims(json!({"team": "infra"}))
        .send()
        .await
        .expect("createApiKey: the client takes Clerk's 201 as the spec's 200");
    // Clerk answers 201 Created (its SDKs patch the spec's 200); so does LocalClerk.
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/api_keys", local.api_url()))
        .bearer_auth(local.secret_key())
        .json(&json!({"name": "raw", "subject": "org_raw"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(raw.status(), 201);
    assert!(
        created.id.starts_with("ak_") && created.id.len() == 35,
        "{}",
        created.id
    );
    assert!(created.secret.starts_with("ak_"));
    assert_eq!(
        (created.object.as_str(), created.r#type.as_str()),
        ("api_key", "api_key")
    );
    assert_eq!(created.subject, user.id);

    let verified = clerk
        .api_keys()
        .verify(&created.secret)
        .send()
        .await
        .expect("verifyApiKey");
    assert_eq!(verified.id, created.id);
    assert_eq!(verified.name, "ci");
    assert_eq!(verified.scopes, ["read", "write"]);
    assert_eq!(verified.claims, Some(json!({"team": "infra"})));
    assert!(!verified.revoked && !verified.expired);
    assert!(verified.last_used_at.is_some());

    // At the root, as Clerk's SDKs call it; counted under the same operation.
    let (status, body) = post_root(
        &local,
        local.secret_key(),
        "/api_keys/verify",
        json!({"secret": created.secret}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], created.id.as_str());
    assert_eq!(body["subject"], user.id.as_str());
    assert_eq!(local.requests().count("verifyApiKey"), 2);

    let secret = clerk
        .api_keys()
        .get_secret(&created.id)
        .send()
        .await
        .expect("secret");
    assert_eq!(secret.secret, created.secret);
    let listed = clerk
        .api_keys()
        .list(&user.id)
        .send()
        .await
        .expect("getApiKeys");
    assert_eq!(listed.total_count, 1);
    assert_eq!(listed.data[0].id, created.id);
    let updated = clerk
        .api_keys()
        .update(&created.id)
        .description("for CI")
        .send()
        .await
        .expect("updateApiKey");
    assert_eq!(updated.description.as_deref(), Some("for CI"));

    let revoked = clerk
        .api_keys()
        .revoke(&created.id)
        .revocation_reason("leaked")
        .send()
        .await
        .expect("revokeApiKey");
    assert!(revoked.revoked);
    // A revoked key still verifies, with revoked and the reason (the caller rejects it).
    let verified = clerk
        .api_keys()
        .verify(&created.secret)
        .send()
        .await
        .expect("verify");
    assert!(verified.revoked);
    assert_eq!(verified.revocation_reason.as_deref(), Some("leaked"));
    let listed = clerk.api_keys().list(&user.id).send().await.expect("list");
    assert_eq!(listed.total_count, 0, "revoked keys are invalid");
    let listed = clerk
        .api_keys()
        .list(&user.id)
        .include_invalid(GetApiKeysIncludeInvalid::True)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.total_count, 1);

    let unknown = clerk
        .api_keys()
        .verify("ak_unknown")
        .send()
        .await
        .expect_err("404");
    assert_eq!(
        (unknown.status(), unknown.code()),
        (Some(404), Some("resource_not_found"))
    );
    let (status, body) = post_root(
        &local,
        local.secret_key(),
        "/api_keys/verify",
        json!({"secret": "ak_x"}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], "resource_not_found");

    clerk
        .api_keys()
        .delete(&created.id)
        .send()
        .await
        .expect("deleteApiKey");
    let gone = clerk
        .api_keys()
        .verify(&created.secret)
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(gone.status(), Some(404));

    // The helper, and an expiring key.
    let (key, secret) = local.api_keys().create(&user.id, "helper", ["read"]);
    let verified = clerk
        .api_keys()
        .verify(&secret)
        .send()
        .await
        .expect("verify");
    assert_eq!(
        (verified.id, verified.scopes),
        (key.id, vec!["read".to_owned()])
    );
    let short = clerk
        .api_keys()
        .create("short", &user.id)
        .seconds_until_expiration(0.05)
        .send()
        .await
        .expect("create");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let verified = clerk
        .api_keys()
        .verify(&short.secret)
        .send()
        .await
        .expect("verify");
    assert!(verified.expired);

    // Without the secret key: 401, at the root too.
    let (status, _) = post_root(
        &local,
        "sk_test_wrong",
        "/api_keys/verify",
        json!({"secret": secret}),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn machines_are_managed_through_the_api() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let machines = clerk.machines();

    let billing = machines
        .create("billing")
        .send()
        .await
        .expect("CreateMachine");
    assert!(billing.id.starts_with("mch_"));
    assert!(billing.secret_key.starts_with("ak_"));
    assert_eq!(billing.instance_id, local.instance_id());
    let ledger = machines
        .create("ledger")
        .scoped_machines([billing.id.clone()])
        .default_token_ttl(600)
        .send()
        .await
        .expect("CreateMachine");
    assert_eq!(ledger.scoped_machines[0].id, billing.id);
    assert_eq!(ledger.default_token_ttl, Some(600));

    let list = machines.list().send().await.expect("ListMachines");
    assert_eq!(list.total_count, 2);
    let got = machines.get(&billing.id).send().await.expect("GetMachine");
    assert_eq!(got.name, "billing");
    let renamed = machines
        .update(&billing.id)
        .name("payments")
        .send()
        .await
        .expect("update");
    assert_eq!(renamed.name, "payments");

    let scope = machines
        .create_scope(&billing.id, &ledger.id)
        .send()
        .await
        .expect("scope");
    assert_eq!(
        (scope.from_machine_id.as_str(), scope.to_machine_id.as_str()),
        (billing.id.as_str(), ledger.id.as_str())
    );
    assert_eq!(
        machines
            .get(&billing.id)
            .send()
            .await
            .expect("get")
            .scoped_machines
            .len(),
        1
    );
    machines
        .delete_scope(&billing.id, &ledger.id)
        .send()
        .await
        .expect("delete scope");
    assert!(
        machines
            .get(&billing.id)
            .send()
            .await
            .expect("get")
            .scoped_machines
            .is_empty()
    );

    let secret = machines
        .get_secret_key(&billing.id)
        .send()
        .await
        .expect("secret");
    assert_eq!(secret.secret, billing.secret_key);
    // The previous key works for previous_token_ttl seconds, then not at all.
    let m2m = |key: String| {
        let url = format!("{}/v1/m2m_tokens", local.api_url());
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(key)
                .json(&json!({}))
                .send()
                .await
                .expect("sent");
            response.status().as_u16()
        }
    };
    let rotated = machines
        .rotate_secret_key(&billing.id, 60)
        .send()
        .await
        .expect("rotate");
    assert_ne!(rotated.secret, billing.secret_key);
    assert_eq!(m2m(billing.secret_key.clone()).await, 201);
    assert_eq!(m2m(rotated.secret.clone()).await, 201);
    let again = machines
        .rotate_secret_key(&billing.id, 0)
        .send()
        .await
        .expect("rotate");
    assert_eq!(m2m(rotated.secret.clone()).await, 401);
    assert_eq!(m2m(again.secret.clone()).await, 201);
    let too_long = machines.rotate_secret_key(&billing.id, 28_801).send().await;
    assert_eq!(too_long.expect_err("422").status(), Some(422));

    let deleted = machines
        .delete(&billing.id)
        .send()
        .await
        .expect("DeleteMachine");
    assert!(deleted.deleted);
    assert!(
        machines
            .get(&billing.id)
            .send()
            .await
            .expect_err("gone")
            .is_not_found()
    );
    assert!(
        machines
            .get(&ledger.id)
            .send()
            .await
            .expect("get")
            .scoped_machines
            .is_empty()
    );
}

#[tokio::test]
async fn opaque_m2m_tokens_are_created_verified_and_revoked() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let billing = local.machines().create("billing");
    let ledger = local.machines().create("ledger");
    local.machines().add_scope(&billing.id, &ledger.id);

    // Created with the machine's secret key, as Clerk requires: 201.
    let response = reqwest::Client::new()
        .post(format!("{}/v1/m2m_tokens", local.api_url()))
        .bearer_auth(&billing.secret_key)
        .json(&json!({"seconds_until_expiration": 60, "claims": {"job": "nightly"}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.expect("json");
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("mt_"));
    assert!(
        created["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("mt_"))
    );
    assert_eq!(created["subject"], billing.id.as_str());
    assert_eq!(created["scopes"], json!([ledger.id.as_str()]));

    let verified = clerk
        .m2m()
        .verify_token(&token)
        .send()
        .await
        .expect("verifyM2MToken");
    assert_eq!(verified.subject, billing.id);
    assert_eq!(verified.scopes, Some(vec![ledger.id.clone()]));
    assert_eq!(verified.claims, Some(json!({"job": "nightly"})));
    assert!(!verified.revoked && !verified.expired);
    assert!(verified.expiration.is_some());

    // At the root, with a machine's secret key, as Clerk's SDKs call it.
    let (status, body) = post_root(
        &local,
        &ledger.secret_key,
        "/m2m_tokens/verify",
        json!({"token": token}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], verified.id.as_str());
    assert_eq!(local.requests().count("verifyM2MToken"), 2);

    let listed = clerk
        .m2m()
        .list_tokens(&billing.id)
        .send()
        .await
        .expect("getM2MTokens");
    assert_eq!(listed.total_count, 1);
    let revoked = clerk
        .m2m()
        .revoke_token(&verified.id)
        .revocation_reason("rotated")
        .send()
        .await
        .expect("revokeM2MToken");
    assert!(revoked.revoked);
    let verified = clerk
        .m2m()
        .verify_token(&token)
        .send()
        .await
        .expect("verify");
    assert!(verified.revoked);
    assert_eq!(verified.revocation_reason.as_deref(), Some("rotated"));

    let expired = local
        .machines()
        .mint_m2m_token(&billing.id, [ledger.id.as_str()], -1);
    let verified = clerk
        .m2m()
        .verify_token(&expired)
        .send()
        .await
        .expect("verify");
    assert!(verified.expired);

    let unknown = clerk
        .m2m()
        .verify_token("mt_unknown")
        .send()
        .await
        .expect_err("404");
    assert_eq!(
        (unknown.status(), unknown.code()),
        (Some(404), Some("resource_not_found"))
    );
    let (status, _) = post_root(
        &local,
        local.secret_key(),
        "/m2m_tokens/verify",
        json!({"token": "mt_x"}),
    )
    .await;
    assert_eq!(status, 404);

    // The instance's secret key cannot name one of two machines.
    let error = clerk
        .m2m()
        .create_token()
        .send()
        .await
        .expect_err("two machines");
    assert_eq!(error.status(), Some(401));
}

#[tokio::test]
async fn the_instance_key_creates_the_only_machines_tokens() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let machine = local.machines().create("only");
    let created = clerk
        .m2m()
        .create_token()
        .send()
        .await
        .expect("createM2MToken");
    assert_eq!(created.subject, machine.id);
    // min_remaining_ttl_seconds reuses a live token with the same claims and scopes.
    let pooled = clerk
        .m2m()
        .create_token()
        .min_remaining_ttl_seconds(60)
        .send()
        .await
        .expect("pooled");
    assert_eq!(
        (pooled.id.as_str(), pooled.token.as_str()),
        (created.id.as_str(), created.token.as_str())
    );
    let other = clerk
        .m2m()
        .create_token()
        .claims(json!({"job": "x"}))
        .min_remaining_ttl_seconds(60)
        .send()
        .await
        .expect("new claims");
    assert_ne!(other.id, created.id);
    let too_long = clerk
        .m2m()
        .create_token()
        .seconds_until_expiration(30.0)
        .min_remaining_ttl_seconds(30)
        .send()
        .await
        .expect_err("400");
    assert_eq!(too_long.status(), Some(400));
    let verified = clerk
        .m2m()
        .verify_token(&created.token)
        .send()
        .await
        .expect("verify");
    assert_eq!(verified.id, created.id);
}

#[tokio::test]
async fn m2m_jwts_are_signed_by_the_instance_and_verify() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let machine = local.machines().create("billing");

    let token = local
        .machines()
        .mint_m2m_jwt(&machine.id, ["mch_other"], 60);
    let (header, claims) = decode(&local, &token);
    assert_eq!(header.kid.as_deref(), Some(local.keys().kid().as_str()));
    let raw_header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().expect("header"),
        )
        .expect("base64"),
    )
    .expect("json");
    assert_eq!(raw_header["cat"], M2M_CATEGORY);
    assert_eq!(claims["sub"], machine.id.as_str());
    assert_eq!(claims["scopes"], "mch_other");
    assert!(claims["jti"].as_str().is_some_and(|j| j.starts_with("mt_")));

    let verified = clerk
        .m2m()
        .verify_token(&token)
        .send()
        .await
        .expect("verify a JWT");
    assert_eq!(verified.subject, machine.id);
    assert_eq!(verified.id, claims["jti"].as_str().unwrap_or_default());
    assert_eq!(verified.scopes, Some(vec!["mch_other".to_owned()]));
    assert!(!verified.expired);

    let expired = local
        .machines()
        .mint_m2m_jwt(&machine.id, Vec::<String>::new(), -10);
    let verified = clerk
        .m2m()
        .verify_token(&expired)
        .send()
        .await
        .expect("verify");
    assert!(verified.expired);

    // token_format: jwt through the API.
    let response = reqwest::Client::new()
        .post(format!("{}/v1/m2m_tokens", local.api_url()))
        .bearer_auth(&machine.secret_key)
        .json(&json!({"token_format": "jwt"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.expect("json");
    let (_, claims) = decode(&local, created["token"].as_str().expect("token"));
    assert_eq!(claims["sub"], machine.id.as_str());
    assert_eq!(claims["jti"], created["id"]);

    // Another signer's JWT is unknown.
    let other = LocalClerk::start().await;
    let foreign = other
        .machines()
        .mint_m2m_jwt(&machine.id, Vec::<String>::new(), 60);
    let error = clerk
        .m2m()
        .verify_token(&foreign)
        .send()
        .await
        .expect_err("404");
    assert_eq!(error.status(), Some(404));
}

#[tokio::test]
async fn oauth_access_tokens_verify_opaque_and_jwt() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let user = local.users().create(NewUser::with_email("ada@example.com"));

    let token = local
        .oauth()
        .mint_access_token(&user.id, "client_abc", ["email", "profile"]);
    assert!(token.starts_with("oat_"));
    let verified = clerk
        .oauth_access_tokens()
        .verify()
        .access_token(&token)
        .send()
        .await
        .expect("verifyOAuthAccessToken");
    let verified = match verified {
        VerifyOauthAccessTokenResponse::ClerkIdpOauthAccessToken(verified) => verified,
        other => panic!("not an access token: {other:?}"),
    };
    assert_eq!(verified.object, "clerk_idp_oauth_access_token");
    assert!(verified.id.starts_with("oat_"));
    assert_eq!(
        (verified.subject.as_str(), verified.client_id.as_str()),
        (user.id.as_str(), "client_abc")
    );
    assert_eq!(verified.scopes, ["email", "profile"]);
    assert!(!verified.revoked && !verified.expired);

    // At the root, with the deprecated `secret`.
    let path = "/oauth_applications/access_tokens/verify";
    let (status, body) =
        post_root(&local, local.secret_key(), path, json!({"secret": token})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], verified.id.as_str());
    assert_eq!(local.requests().count("verifyOAuthAccessToken"), 2);

    assert!(local.oauth().revoke_access_token(&token));
    let (_, body) = post_root(
        &local,
        local.secret_key(),
        path,
        json!({"access_token": token}),
    )
    .await;
    assert_eq!(body["revoked"], true);
    let expired = local
        .oauth()
        .mint_access_token_with_ttl(&user.id, "client_abc", ["email"], -1);
    let (_, body) = post_root(
        &local,
        local.secret_key(),
        path,
        json!({"access_token": expired}),
    )
    .await;
    assert_eq!(body["expired"], true);

    let (status, body) = post_root(
        &local,
        local.secret_key(),
        path,
        json!({"access_token": "oat_x"}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], "resource_not_found");

    // JWT form: typ at+jwt, signed by the instance.
    let jwt = local
        .oauth()
        .mint_jwt(&user.id, "client_abc", ["email"], 60);
    let (header, claims) = decode(&local, &jwt);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(claims["client_id"], "client_abc");
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["scp"], json!(["email"]));
    let (status, body) = post_root(
        &local,
        local.secret_key(),
        path,
        json!({"access_token": jwt}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_id"], "client_abc");
    assert_eq!(body["scopes"], json!(["email"]));
    assert_eq!(body["id"], claims["jti"]);

    // An expired JWT is not active, the spec's second answer.
    let expired = local
        .oauth()
        .mint_jwt(&user.id, "client_abc", ["email"], -10);
    let (status, body) = post_root(
        &local,
        local.secret_key(),
        path,
        json!({"access_token": expired}),
    )
    .await;
    assert_eq!((status, body), (200, json!({"active": false})));
}

#[tokio::test]
async fn api_key_and_m2m_operations_answer_at_the_api_root_as_clerks_sdks_call_them() {
    let local = LocalClerk::start().await;
    let user = local.users().create(NewUser::with_email("ada@example.com"));
    let machine = local.machines().create("worker");
    let http = reqwest::Client::new();
    // Clerk's JS SDK sends every API-key and M2M-token operation without `/v1`.
    let (status, created) = post_root(
        &local,
        local.secret_key(),
        "/api_keys",
        json!({"name": "ci", "subject": user.id}),
    )
    .await;
    assert_eq!(status, 201, "Clerk's 201 Created: {created}");
    let listed = http
        .get(format!("{}/api_keys?subject={}", local.api_url(), user.id))
        .bearer_auth(local.secret_key())
        .send()
        .await
        .expect("sent");
    assert_eq!(listed.status(), 200);
    let (status, token) = post_root(&local, &machine.secret_key, "/m2m_tokens", json!({})).await;
    assert_eq!(status, 201, "{token}");
    let secret = token["token"].as_str().expect("a token").to_owned();
    // Clerk's Python SDK (and older JS SDKs) post `{"secret"}` to the M2M verification.
    for body in [json!({"token": secret}), json!({"secret": secret})] {
        let (status, verified) =
            post_root(&local, local.secret_key(), "/m2m_tokens/verify", body).await;
        assert_eq!(
            (status, verified["subject"].as_str()),
            (200, Some(machine.id.as_str()))
        );
    }
    assert_eq!(local.requests().count("verifyM2MToken"), 2);
    assert_eq!(local.requests().count("createApiKey"), 1);
    // Other operations stay under `/v1` only.
    let users = http
        .get(format!("{}/users", local.api_url()))
        .bearer_auth(local.secret_key())
        .send()
        .await
        .expect("sent");
    assert_eq!(users.status(), 404);
}
