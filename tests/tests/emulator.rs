//! The Backend API client driven against LocalClerk's emulator, for every emulated operation:
//! Clerk's behaviour over real HTTP on 127.0.0.1, with the generated models on both sides.

use clerk_core::api::ApiError;
use clerk_core::models::{InvitationStatus, SessionStatus};
use clerk_testing::{EMULATED_OPERATIONS, LocalClerk, NewUser};
use futures::StreamExt as _;

#[tokio::test]
async fn users() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let users = clerk.users();

    let ada = users
        .create()
        .email_address(["ada@example.com"])
        .first_name("Ada")
        .last_name("Lovelace")
        .username("ada")
        .external_id("ext-1")
        .public_metadata(
            serde_json::json!({"plan": "pro", "nested": {"a": 1}})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .send()
        .await
        .expect("CreateUser");
    assert!(ada.id.starts_with("user_"));
    assert_eq!(ada.object, "user");
    assert_eq!(ada.email_addresses[0].email_address, "ada@example.com");
    assert_eq!(ada.primary_email_address_id, ada.email_addresses[0].id);

    let taken = users
        .create()
        .email_address(["ada@example.com"])
        .send()
        .await
        .expect_err("taken");
    assert_eq!(
        (taken.status(), taken.code()),
        (Some(422), Some("form_identifier_exists"))
    );

    for (email, first) in [("bob@example.com", "Bob"), ("cy@example.com", "Cy")] {
        users
            .create()
            .email_address([email])
            .first_name(first)
            .send()
            .await
            .expect("CreateUser");
    }

    assert_eq!(users.get(&ada.id).send().await.expect("GetUser"), ada);
    let missing = users.get("user_missing").send().await.expect_err("404");
    assert!(missing.is_not_found());
    assert_eq!(missing.code(), Some("resource_not_found"));

    let listed = users
        .list()
        .order_by("+created_at")
        .send()
        .await
        .expect("GetUserList");
    let names: Vec<_> = listed
        .iter()
        .map(|u| u.first_name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["Ada", "Bob", "Cy"]);
    let found = users
        .list()
        .email_address(["bob@example.com"])
        .send()
        .await
        .expect("filter");
    assert_eq!(found.len(), 1);
    assert_eq!(
        users
            .list()
            .query("lovel")
            .send()
            .await
            .expect("query")
            .len(),
        1
    );
    assert_eq!(
        users
            .list()
            .limit(2)
            .offset(1)
            .order_by("+created_at")
            .send()
            .await
            .expect("page")
            .len(),
        2
    );
    assert_eq!(
        users
            .count()
            .send()
            .await
            .expect("GetUsersCount")
            .total_count,
        3
    );
    assert_eq!(
        users
            .count()
            .username(["ada"])
            .send()
            .await
            .expect("count filter")
            .total_count,
        1
    );
    let all: Vec<_> = users.list().limit(1).stream().collect().await;
    assert_eq!(all.len(), 3, "the stream pages through the emulator");

    let updated = users
        .update(&ada.id)
        .first_name("Augusta")
        .last_name_null()
        .send()
        .await
        .expect("UpdateUser");
    assert_eq!(updated.first_name.as_deref(), Some("Augusta"));
    assert_eq!(updated.last_name, None);
    assert_eq!(
        updated.username.as_deref(),
        Some("ada"),
        "absent fields are kept"
    );

    let merged = users
        .update_metadata(&ada.id)
        .public_metadata(
            serde_json::json!({"nested": {"b": 2}, "plan": null})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .send()
        .await
        .expect("UpdateUserMetadata");
    assert_eq!(
        serde_json::Value::Object(merged.public_metadata),
        serde_json::json!({"nested": {"a": 1, "b": 2}})
    );

    assert!(users.ban(&ada.id).send().await.expect("BanUser").banned);
    assert_eq!(
        users
            .list()
            .banned(true)
            .send()
            .await
            .expect("banned filter")
            .len(),
        1
    );
    assert!(!users.unban(&ada.id).send().await.expect("UnbanUser").banned);
    assert!(users.lock(&ada.id).send().await.expect("LockUser").locked);
    assert!(
        !users
            .unlock(&ada.id)
            .send()
            .await
            .expect("UnlockUser")
            .locked
    );

    let deleted = users.delete(&ada.id).send().await.expect("DeleteUser");
    assert!(deleted.deleted);
    assert!(
        users
            .get(&ada.id)
            .send()
            .await
            .expect_err("gone")
            .is_not_found()
    );
    assert_eq!(users.count().send().await.expect("count").total_count, 2);
}

#[tokio::test]
async fn organizations_and_memberships() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let ada = local
        .users()
        .create(NewUser::with_email("ada@example.com").first_name("Ada"));
    let bob = local
        .users()
        .create(NewUser::with_email("bob@example.com").first_name("Bob"));
    let orgs = clerk.organizations();

    let acme = orgs
        .create("Acme Inc")
        .slug("acme")
        .created_by(&ada.id)
        .send()
        .await
        .expect("CreateOrganization");
    assert_eq!((acme.slug.as_str(), acme.members_count), ("acme", Some(1)));
    let beta = orgs
        .create("Beta")
        .send()
        .await
        .expect("CreateOrganization");
    assert_eq!(beta.slug, "beta");
    let clash = orgs
        .create("Other")
        .slug("acme")
        .send()
        .await
        .expect_err("slug taken");
    assert_eq!(clash.status(), Some(422));

    assert_eq!(
        orgs.get(&acme.id)
            .send()
            .await
            .expect("GetOrganization by id")
            .id,
        acme.id
    );
    assert_eq!(
        orgs.get("acme")
            .send()
            .await
            .expect("GetOrganization by slug")
            .id,
        acme.id
    );
    assert!(
        orgs.get("org_missing")
            .send()
            .await
            .expect_err("404")
            .is_not_found()
    );

    let page = orgs.list().send().await.expect("ListOrganizations");
    assert_eq!(page.total_count, 2);
    assert_eq!(
        orgs.list()
            .query("acm")
            .send()
            .await
            .expect("query")
            .data
            .len(),
        1
    );
    assert_eq!(
        orgs.list()
            .user_id([ada.id.clone()])
            .send()
            .await
            .expect("by member")
            .data[0]
            .id,
        acme.id
    );

    let renamed = orgs
        .update(&acme.id)
        .name("Acme Corp")
        .send()
        .await
        .expect("UpdateOrganization");
    assert_eq!(renamed.name, "Acme Corp");
    let merged = orgs
        .merge_metadata(&acme.id)
        .public_metadata(
            serde_json::json!({"tier": "gold"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .send()
        .await
        .expect("MergeOrganizationMetadata");
    assert_eq!(merged.public_metadata["tier"], "gold");

    let memberships = clerk.organization_memberships();
    let bob_in = memberships
        .create(&acme.id, &bob.id, "org:member")
        .send()
        .await
        .expect("CreateOrganizationMembership");
    assert_eq!(bob_in.role, "org:member");
    assert_eq!(
        bob_in.public_user_data.as_ref().map(|d| d.user_id.as_str()),
        Some(bob.id.as_str())
    );
    let again = memberships
        .create(&acme.id, &bob.id, "org:member")
        .send()
        .await
        .expect_err("already");
    assert_eq!(again.status(), Some(422));
    let listed = memberships
        .list(&acme.id)
        .send()
        .await
        .expect("ListOrganizationMemberships");
    assert_eq!(listed.total_count, 2);
    assert_eq!(
        memberships
            .list(&acme.id)
            .role(["org:admin"])
            .send()
            .await
            .expect("role filter")
            .data
            .len(),
        1
    );
    let promoted = memberships
        .update(&acme.id, &bob.id, "org:admin")
        .send()
        .await
        .expect("UpdateOrganizationMembership");
    assert_eq!(promoted.role, "org:admin");
    let of_bob = clerk
        .users()
        .get_organization_memberships(&bob.id)
        .send()
        .await
        .expect("UsersGetOrganizationMemberships");
    assert_eq!(of_bob.data[0].organization.id, acme.id);
    memberships
        .delete(&acme.id, &bob.id)
        .send()
        .await
        .expect("DeleteOrganizationMembership");
    assert_eq!(
        memberships
            .list(&acme.id)
            .send()
            .await
            .expect("list")
            .total_count,
        1
    );
    assert!(
        memberships
            .delete(&acme.id, &bob.id)
            .send()
            .await
            .expect_err("gone")
            .is_not_found()
    );

    let deleted = orgs
        .delete(&beta.id)
        .send()
        .await
        .expect("DeleteOrganization");
    assert!(deleted.deleted);
    assert_eq!(orgs.list().send().await.expect("list").total_count, 1);
}

#[tokio::test]
async fn sessions() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let ada = local.users().create(NewUser::with_email("ada@example.com"));
    let first = local.sessions().sign_in(&ada.id);
    let second = local.sessions().sign_in(&ada.id);

    let page = clerk
        .sessions()
        .list()
        .user_id(&ada.id)
        .send()
        .await
        .expect("GetSessionList");
    assert_eq!(page.total_count, 2);
    assert_eq!(
        clerk
            .sessions()
            .get(&first.session.id)
            .send()
            .await
            .expect("GetSession"),
        first.session
    );
    let revoked = clerk
        .sessions()
        .revoke(&first.session.id)
        .send()
        .await
        .expect("RevokeSession");
    assert_eq!(revoked.status, SessionStatus::Revoked);
    let active = clerk
        .sessions()
        .list()
        .status("active")
        .send()
        .await
        .expect("status filter");
    assert_eq!(
        active
            .data
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        [second.session.id.as_str()]
    );

    // Clerk issues no new token for a revoked session, and none once the user is deleted.
    assert!(local.sessions().token(&first.session.id).is_none());
    assert!(local.sessions().token(&second.session.id).is_some());
    clerk.users().delete(&ada.id).send().await.expect("deleted");
    assert!(local.sessions().token(&second.session.id).is_none());
    assert!(
        clerk
            .sessions()
            .get("sess_missing")
            .send()
            .await
            .expect_err("404")
            .is_not_found()
    );
}

#[tokio::test]
async fn invitations() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let invitation = clerk
        .invitations()
        .create("new@example.com")
        .public_metadata(
            serde_json::json!({"team": "red"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .send()
        .await
        .expect("CreateInvitation");
    assert_eq!(invitation.status, InvitationStatus::Pending);
    let duplicate = clerk
        .invitations()
        .create("new@example.com")
        .send()
        .await
        .expect_err("pending");
    assert_eq!(duplicate.status(), Some(422));
    clerk
        .invitations()
        .create("other@example.com")
        .send()
        .await
        .expect("CreateInvitation");

    let listed = clerk
        .invitations()
        .list()
        .send()
        .await
        .expect("ListInvitations");
    assert_eq!(listed.total_count, 2);
    let revoked = clerk
        .invitations()
        .revoke(&invitation.id)
        .send()
        .await
        .expect("RevokeInvitation");
    assert_eq!(revoked.status, "revoked");
    let pending = clerk
        .invitations()
        .list()
        .status("pending")
        .send()
        .await
        .expect("filter");
    assert_eq!(pending.data.len(), 1);
    assert_eq!(
        clerk
            .invitations()
            .revoke(&invitation.id)
            .send()
            .await
            .expect_err("twice")
            .status(),
        Some(422)
    );
}

#[tokio::test]
async fn the_secret_key_is_required() {
    let local = LocalClerk::start().await;
    for key in ["sk_test_wrong", "sk_live_other"] {
        let clerk = local
            .clerk_builder()
            .secret_key(key)
            .build()
            .expect("valid");
        let error = clerk.users().list().send().await.expect_err("401");
        assert_eq!(
            (error.status(), error.code()),
            (Some(401), Some("authentication_invalid"))
        );
    }
    let anonymous = reqwest_free_get(&local, "/v1/users").await;
    assert_eq!(anonymous, 401);
}

/// A raw GET with no Authorization header, over a plain TCP socket.
async fn reqwest_free_get(local: &LocalClerk, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(local.addr())
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn unsupported_operations_are_a_501_naming_them() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let error = clerk
        .allowlist_identifiers()
        .list()
        .send()
        .await
        .expect_err("not emulated");
    assert_eq!(error.status(), Some(501));
    assert_eq!(error.code(), Some("not_implemented"));
    assert!(
        error.to_string().contains("ListAllowlistIdentifiers"),
        "{error}"
    );
    assert_eq!(local.requests().count("ListAllowlistIdentifiers"), 1);
    assert!(!EMULATED_OPERATIONS.contains(&"ListAllowlistIdentifiers"));
    assert!(matches!(
        clerk.users().get("x").send().await,
        Err(ApiError::Response(_))
    ));
    // Operations whose path an emulated route serves with another method are 501 too, not 405.
    let http = reqwest::Client::new();
    let user = local
        .users()
        .create(clerk_testing::NewUser::with_email("ada@example.com"));
    for (method, path, id) in [
        (
            reqwest::Method::POST,
            "/sessions".to_owned(),
            "createSession",
        ),
        (
            reqwest::Method::PUT,
            format!("/users/{}/metadata", user.id),
            "ReplaceUserMetadata",
        ),
    ] {
        let response = http
            .request(method, format!("{}/v1{path}", local.api_url()))
            .bearer_auth(local.secret_key())
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 501, "{id}");
        let body = response.text().await.expect("body");
        assert!(body.contains(id), "{id}: {body}");
    }
}

/// Requests are counted under the operation id of the spec they match, the literal path
/// segment winning over a parameter (`/v1/users/count` is `GetUsersCount`, not `GetUser`). That
/// `EMULATED_OPERATIONS` are exactly the operations the routes serve is a unit test of
/// clerk-testing (`emulated_operations_are_exactly_the_operations_the_routes_serve`).
#[tokio::test]
async fn calls_are_counted_by_the_operation_id_of_the_spec() {
    let local = LocalClerk::start().await;
    local.clerk().users().count().send().await.expect("count");
    local
        .clerk()
        .organizations()
        .list()
        .send()
        .await
        .expect("list");
    assert_eq!(local.requests().count("GetUsersCount"), 1);
    assert_eq!(local.requests().count("GetUser"), 0);
    assert_eq!(local.requests().count("ListOrganizations"), 1);
}
