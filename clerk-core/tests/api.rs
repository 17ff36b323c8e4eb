//! The Backend API transport: retries, errors, pagination streams, path encoding, PATCH nulls and
//! forward-compatible decoding, against a recording server on 127.0.0.1.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clerk_core::api::{ApiError, RetryPolicy};
use clerk_core::models;
use futures::StreamExt as _;
use support::{Recorder, SECRET};

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

const USER: &str = r#"{"id":"user_1","object":"user","first_name":"Ada","last_name":null,"email_addresses":[],"created_at":1,"updated_at":2}"#;

fn json(status: u16, body: &str) -> support::Answer {
    (
        status,
        vec![("content-type", "application/json".into())],
        body.to_owned(),
    )
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let server = Recorder::with(|_, i| match i {
        0 => (
            429,
            vec![("retry-after", "1".into())],
            r#"{"errors":[{"code":"too_many_requests","message":"slow down"}]}"#.into(),
        ),
        _ => json(200, USER),
    })
    .await;
    let user = server
        .clerk_with(fast_retries())
        .users()
        .get("user_1")
        .send()
        .await
        .expect("retried");
    assert_eq!(user.id, "user_1");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at.duration_since(requests[0].at);
    assert!(
        waited >= Duration::from_millis(900),
        "waited only {waited:?}"
    );
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_and_retries_even_a_post() {
    let server = Recorder::with(|_, i| {
        if i < 2 {
            (429, Vec::new(), String::new())
        } else {
            json(200, USER)
        }
    })
    .await;
    let user = server
        .clerk_with(fast_retries())
        .users()
        .create()
        .first_name("Ada")
        .send()
        .await
        .expect("retried");
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(server.requests().len(), 3);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.json()["first_name"] == "Ada"),
        "the body is sent again"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_reported_not_waited() {
    let server =
        Recorder::with(|_, _| (429, vec![("retry-after", "120".into())], String::new())).await;
    let error = server
        .clerk_with(fast_retries())
        .users()
        .get("user_1")
        .send()
        .await
        .expect_err("429");
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert!(error.is_unavailable());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_503_then_200_is_retried_for_a_get() {
    let server = Recorder::with(|_, i| {
        if i == 0 {
            (503, Vec::new(), "upstream down".into())
        } else {
            json(200, USER)
        }
    })
    .await;
    server
        .clerk_with(fast_retries())
        .users()
        .get("user_1")
        .send()
        .await
        .expect("retried");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_post_is_not_retried_on_503() {
    let server = Recorder::with(|_, _| (503, Vec::new(), String::new())).await;
    let error = server
        .clerk_with(fast_retries())
        .users()
        .create()
        .send()
        .await
        .expect_err("503");
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        server.requests().len(),
        1,
        "a POST may have been processed: never sent twice"
    );
}

#[tokio::test]
async fn retries_stop_at_the_attempt_cap() {
    let server = Recorder::with(|_, _| (502, Vec::new(), String::new())).await;
    let error = server
        .clerk_with(fast_retries())
        .organizations()
        .list()
        .send()
        .await
        .expect_err("502");
    assert_eq!(error.status(), Some(502));
    assert_eq!(server.requests().len(), 3);
}

/// A server that accepts connections and closes them at once, counting them.
async fn slamming_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, count)
}

#[tokio::test]
async fn connection_failures_are_retried_only_for_idempotent_methods() {
    let (addr, count) = slamming_server().await;
    let clerk = clerk_core::Clerk::builder()
        .secret_key(SECRET)
        .api_url(format!("http://{addr}"))
        .retry_policy(fast_retries())
        .build()
        .expect("valid");
    let error = clerk
        .users()
        .get("user_1")
        .send()
        .await
        .expect_err("closed");
    assert!(matches!(error, ApiError::Transport(_)), "{error:?}");
    assert!(error.is_unavailable());
    assert_eq!(count.load(Ordering::SeqCst), 3);

    count.store(0, Ordering::SeqCst);
    let error = clerk.users().create().send().await.expect_err("closed");
    assert!(matches!(error, ApiError::Transport(_)), "{error:?}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn clerk_errors_are_decoded() {
    let body = r#"{"errors":[{"code":"form_identifier_exists","message":"taken","long_message":"That email address is taken.","meta":{"param_name":"email_address"}},{"code":"other","message":"x"}],"clerk_trace_id":"trace_body"}"#;
    let server =
        Recorder::with(move |_, _| (422, vec![("cf-ray", "trace_header".into())], body.into()))
            .await;
    let error = server
        .clerk()
        .users()
        .create()
        .send()
        .await
        .expect_err("422");
    assert_eq!(error.status(), Some(422));
    assert_eq!(error.code(), Some("form_identifier_exists"));
    assert!(error.has_code("other"));
    let first = &error.errors()[0];
    assert_eq!(
        first.long_message.as_deref(),
        Some("That email address is taken.")
    );
    assert_eq!(
        first.meta.as_ref().and_then(|m| m["param_name"].as_str()),
        Some("email_address")
    );
    assert_eq!(
        error.clerk_trace_id(),
        Some("trace_body"),
        "the body's trace id wins"
    );
    let shown = error.to_string();
    assert!(
        shown.contains("422") && shown.contains("That email address is taken."),
        "{shown}"
    );
    assert!(!shown.contains(SECRET));

    let server = Recorder::with(|_, _| {
        (
            404,
            vec![("cf-ray", "trace_header".into())],
            r#"{"errors":[{"code":"resource_not_found","message":"not found"}]}"#.into(),
        )
    })
    .await;
    let error = server
        .clerk()
        .users()
        .get("user_x")
        .send()
        .await
        .expect_err("404");
    assert!(error.is_not_found());
    assert_eq!(error.clerk_trace_id(), Some("trace_header"));
}

#[tokio::test]
async fn empty_and_non_json_error_bodies_keep_the_status() {
    let server = Recorder::with(|_, _| (500, Vec::new(), String::new())).await;
    let error = server
        .clerk()
        .users()
        .get("user_1")
        .send()
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert!(error.errors().is_empty());
    assert_eq!(
        error.response().and_then(|r| r.raw_body.as_deref()),
        Some("")
    );

    let server = Recorder::with(|_, _| {
        (
            502,
            vec![("content-type", "text/html".into())],
            "<html>Bad Gateway</html>".into(),
        )
    })
    .await;
    let error = server
        .clerk()
        .users()
        .create()
        .send()
        .await
        .expect_err("502");
    assert_eq!(error.status(), Some(502));
    assert_eq!(
        error.response().and_then(|r| r.raw_body.as_deref()),
        Some("<html>Bad Gateway</html>")
    );
    assert!(error.to_string().contains("Bad Gateway"));
}

#[tokio::test]
async fn a_success_body_that_does_not_fit_is_a_decode_error() {
    let server = Recorder::with(|_, _| json(200, r#"{"id": 5}"#)).await;
    let error = server
        .clerk()
        .users()
        .get("user_1")
        .send()
        .await
        .expect_err("bad body");
    assert!(
        matches!(error, ApiError::Decode { status: 200, .. }),
        "{error:?}"
    );
    let server = Recorder::with(|_, _| json(200, "not json")).await;
    assert!(matches!(
        server.clerk().users().get("u").send().await,
        Err(ApiError::Decode { .. })
    ));
}

#[tokio::test]
async fn no_secret_key_is_a_typed_error_before_any_request() {
    let local = clerk_testing::LocalClerk::start().await;
    let clerk = clerk_core::Clerk::builder()
        .jwt_key(local.keys().public_key_pem())
        .build()
        .expect("valid");
    assert_eq!(
        clerk.users().get("user_1").send().await.err(),
        Some(ApiError::MissingSecretKey)
    );
}

#[tokio::test]
async fn path_parameters_cannot_change_the_path() {
    let server = Recorder::with(|_, _| json(200, USER)).await;
    let clerk = server.clerk();
    clerk.users().get("../users").send().await.expect("sent");
    clerk.users().get("a/b?c#d").send().await.expect("sent");
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/v1/users/..%2Fusers", "/v1/users/a%2Fb%3Fc%23d"]);
    for bad in ["", ".", ".."] {
        let error = clerk.users().get(bad).send().await.expect_err("refused");
        assert!(
            matches!(error, ApiError::InvalidRequest(_)),
            "{bad}: {error:?}"
        );
    }
    assert_eq!(server.requests().len(), 2, "refused ids send nothing");
}

#[tokio::test]
async fn form_lists_send_literal_commas_between_items_and_encode_inside_them() {
    use models::ListAllOrganizationDomainsEnrollmentModeItem as Mode;
    let page = serde_json::json!({"data": [], "total_count": 0}).to_string();
    let server = Recorder::with(move |_, _| json(200, &page)).await;
    let clerk = server.clerk();
    clerk
        .organization_domains()
        .list_all()
        .enrollment_mode([
            Mode::from("automatic_invitation"),
            Mode::from("manual_invitation"),
        ])
        .send()
        .await
        .expect("sent");
    // An item holding a comma, a space and an ampersand: encoded inside the item, while the
    // separators stay literal commas (OpenAPI `style: form, explode: false`).
    clerk
        .organization_domains()
        .list_all()
        .enrollment_mode([Mode::from("a,b c&d"), Mode::from("-enterprise_sso")])
        .domains(["x,y".to_owned(), "z".to_owned()])
        .send()
        .await
        .expect("sent");
    let queries: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.raw_query.clone())
        .collect();
    assert_eq!(
        queries,
        [
            "enrollment_mode=automatic_invitation,manual_invitation",
            "enrollment_mode=a%2Cb%20c%26d,-enterprise_sso&domains=x%2Cy&domains=z",
        ]
    );
}

#[tokio::test]
async fn patch_bodies_tell_absent_from_null() {
    let server = Recorder::with(|_, _| json(200, USER)).await;
    server
        .clerk()
        .users()
        .update("user_1")
        .first_name("Ada")
        .last_name_null()
        .send()
        .await
        .expect("updated");
    let body = server.only_request().json();
    assert_eq!(
        body,
        serde_json::json!({"first_name": "Ada", "last_name": null})
    );
}

#[tokio::test]
async fn unknown_fields_and_enum_values_decode() {
    let body = r#"{"object":"organization_membership","id":"orgmem_1","role":"org:admin","role_name":"Admin","permissions":[],"public_metadata":{},"created_at":1,"updated_at":2,"brand_new_field":{"x":1},
        "organization":{"object":"organization","id":"org_1","name":"Acme","slug":"acme","max_allowed_memberships":5,"admin_delete_enabled":true,"public_metadata":{},"created_at":1,"updated_at":2}}"#;
    let server = Recorder::with(move |_, _| json(200, body)).await;
    let membership = server
        .clerk()
        .organization_memberships()
        .update("org_1", "user_1", "org:admin")
        .send()
        .await
        .expect("decodes despite an unknown field");
    assert_eq!(membership.id, "orgmem_1");

    let status: models::InvitationStatus =
        serde_json::from_str(r#""a_future_status""#).expect("fallback");
    assert_eq!(
        status,
        models::InvitationStatus::Unknown("a_future_status".into())
    );
    assert_eq!(status.as_str(), "a_future_status");
    assert_eq!(
        serde_json::to_string(&status).expect("serializes"),
        r#""a_future_status""#
    );
}

#[tokio::test]
async fn a_session_refresh_is_a_token_or_cookies_by_its_object() {
    // Every field of `Token` has a default and unknown fields are ignored: tried in order, a
    // cookies answer would pass for a token. The `object` discriminator decides.
    let cookies = r#"{"object":"cookies","cookies":["__session=eyJ; Path=/; SameSite=Lax"]}"#;
    let server = Recorder::with(move |_, _| json(200, cookies)).await;
    let answer = server
        .clerk()
        .sessions()
        .refresh("sess_1", "expired", "refresh", "http://127.0.0.1:3000")
        .format("cookie")
        .suffixed_cookies(true)
        .send()
        .await
        .expect("a cookies answer decodes");
    assert_eq!(
        answer,
        models::SessionRefresh::Cookies(models::Cookies {
            object: "cookies".into(),
            cookies: vec!["__session=eyJ; Path=/; SameSite=Lax".into()],
        })
    );
    let request = server.only_request();
    request.assert_call(
        "POST",
        "/v1/sessions/sess_1/refresh",
        "suffixed_cookies=true",
    );

    let token: models::SessionRefresh =
        serde_json::from_str(r#"{"object":"token","jwt":"eyJ"}"#).expect("a token decodes");
    assert_eq!(
        token,
        models::SessionRefresh::Token(models::Token {
            object: "token".into(),
            jwt: "eyJ".into(),
        })
    );
    // Serialized back as it came, without a tag of its own.
    assert_eq!(
        serde_json::to_string(&token).expect("serializes"),
        r#"{"object":"token","jwt":"eyJ"}"#
    );
    let future: models::SessionRefresh =
        serde_json::from_str(r#"{"object":"passkey_challenge","x":1}"#).expect("kept");
    assert!(matches!(future, models::SessionRefresh::Other(_)));
    let untagged: models::SessionRefresh = serde_json::from_str(r#"{"jwt":"eyJ"}"#).expect("kept");
    assert!(matches!(untagged, models::SessionRefresh::Other(_)));
    // A known tag whose shape does not fit is an error, as for any model.
    serde_json::from_str::<models::SessionRefresh>(r#"{"object":"cookies","cookies":"x"}"#)
        .expect_err("cookies must be a list");
}

fn org(i: i64) -> serde_json::Value {
    serde_json::json!({"object":"organization","id":format!("org_{i}"),"name":"n","slug":"s","max_allowed_memberships":1,"admin_delete_enabled":true,"public_metadata":{},"created_at":1,"updated_at":1})
}

fn query_value(request: &support::Recorded, name: &str) -> i64 {
    request
        .query
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(-1)
}

#[tokio::test]
async fn a_stream_pages_through_a_counted_list() {
    let server = Recorder::with(|request, _| {
        let (offset, limit) = (
            query_value(request, "offset"),
            query_value(request, "limit"),
        );
        let data: Vec<_> = (offset..(offset + limit).min(7)).map(org).collect();
        json(
            200,
            &serde_json::json!({"data": data, "total_count": 7}).to_string(),
        )
    })
    .await;
    let ids: Vec<String> = server
        .clerk()
        .organizations()
        .list()
        .limit(3)
        .stream()
        .map(|org| org.expect("page").id)
        .collect()
        .await;
    assert_eq!(ids, (0..7).map(|i| format!("org_{i}")).collect::<Vec<_>>());
    let offsets: Vec<i64> = server
        .requests()
        .iter()
        .map(|r| query_value(r, "offset"))
        .collect();
    assert_eq!(offsets, [0, 3, 6], "stops at total_count");
}

#[tokio::test]
async fn a_stream_stops_at_an_empty_page_and_uses_the_largest_page_by_default() {
    // Claims 100 but has 4: the empty page ends it.
    let server = Recorder::with(|request, _| {
        let offset = query_value(request, "offset");
        let data: Vec<_> = (offset..4).map(org).collect();
        json(
            200,
            &serde_json::json!({"data": data, "total_count": 100}).to_string(),
        )
    })
    .await;
    let count = server.clerk().organizations().list().stream().count().await;
    assert_eq!(count, 4);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        query_value(&requests[0], "limit"),
        500,
        "the endpoint's maximum"
    );
}

#[tokio::test]
async fn a_stream_over_a_bare_array_list_stops_at_a_short_page() {
    let server = Recorder::with(|request, _| {
        let offset = query_value(request, "offset");
        let users: Vec<_> = (offset..5.min(offset + 2))
            .map(|i| serde_json::json!({"id": format!("user_{i}"), "object": "user"}))
            .collect();
        json(200, &serde_json::Value::Array(users).to_string())
    })
    .await;
    let ids: Vec<String> = server
        .clerk()
        .users()
        .list()
        .limit(2)
        .stream()
        .map(|u| u.expect("ok").id)
        .collect()
        .await;
    assert_eq!(ids, ["user_0", "user_1", "user_2", "user_3", "user_4"]);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn lists_that_take_paginated_always_send_it() {
    let server = Recorder::with(|_, _| {
        json(
            200,
            &serde_json::json!({"data": [], "total_count": 0}).to_string(),
        )
    })
    .await;
    let page = server
        .clerk()
        .invitations()
        .list()
        .send()
        .await
        .expect("page");
    assert_eq!(page.total_count, 0);
    let request = server.only_request();
    assert!(
        request.query.contains(&("paginated".into(), "true".into())),
        "{:?}",
        request.query
    );
}

#[tokio::test]
async fn an_error_ends_the_stream_after_being_yielded() {
    let server = Recorder::with(|request, _| {
        if query_value(request, "offset") == 0 {
            json(
                200,
                &serde_json::json!({"data": [org(0), org(1)], "total_count": 10}).to_string(),
            )
        } else {
            (500, Vec::new(), String::new())
        }
    })
    .await;
    let results: Vec<Result<models::Organization, ApiError>> = server
        .clerk()
        .organizations()
        .list()
        .limit(2)
        .stream()
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert_eq!(
        results[2].as_ref().err().and_then(ApiError::status),
        Some(500)
    );
}

/// Clerk sends `permissions: null` for some memberships (its own SDKs patch the spec for it):
/// the membership still decodes, and LocalClerk answers the same for a role without permissions.
#[tokio::test]
async fn a_membership_with_null_permissions_decodes() {
    let body = serde_json::json!({
        "id": "orgmem_1", "object": "organization_membership", "role": "org:member",
        "permissions": null, "public_metadata": {}, "created_at": 1, "updated_at": 1,
        "organization": {"id": "org_1", "object": "organization", "name": "Acme", "slug": "acme",
            "has_image": false, "max_allowed_memberships": 5, "admin_delete_enabled": true,
            "public_metadata": {}, "created_at": 1, "updated_at": 1}
    });
    let membership: clerk_core::models::OrganizationMembership =
        serde_json::from_value(body).expect("null permissions decode");
    assert_eq!(membership.permissions, None);

    let local = clerk_testing::LocalClerk::start().await;
    let user = local
        .users()
        .create(clerk_testing::NewUser::with_email("ada@example.com"));
    let org = local.organizations().create("Acme");
    local
        .organizations()
        .add_member(&org.id, &user.id, "org:member");
    let list = local
        .clerk()
        .organization_memberships()
        .list(&org.id)
        .send()
        .await
        .expect("listed");
    assert_eq!(
        list.data[0].permissions, None,
        "no permissions set for the role: null"
    );
}
