//! LocalClerk's organization invitations over real HTTP on 127.0.0.1: the Backend API's
//! operations through `clerk-core`'s client (rules, statuses, filters), their
//! `organizationInvitation.*` webhook events, and acceptance through the invitation's link (the
//! sign-in page with its ticket) or the helper.

use std::time::Duration;

use clerk_core::models::{
    self, CreateOrganizationInvitationBulkRequestItem, ListOrganizationInvitationsStatus,
};
use clerk_core::webhooks::{WebhookData, WebhookEvent};
use clerk_testing::{LocalClerk, NewUser};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

const APP: &str = "http://127.0.0.1:3000/welcome";

/// A LocalClerk whose webhook events are recorded: one attempt each, to a closed port.
async fn local_with_webhooks() -> LocalClerk {
    let local = LocalClerk::builder()
        .webhook_retry_delays([])
        .start()
        .await
        .expect("starts");
    local.webhooks().add_endpoint("http://127.0.0.1:9/webhooks");
    local
}

/// The webhook events sent so far (at least `count`), decoded as an app decodes them.
async fn events(local: &LocalClerk, count: usize) -> Vec<WebhookEvent> {
    local
        .webhooks()
        .wait_for_deliveries(count, Duration::from_secs(10))
        .await
        .iter()
        .map(|d| serde_json::from_str(&d.body).expect("an event clerk-core decodes"))
        .collect()
}

fn metadata(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn status(invitation: &models::OrganizationInvitation) -> &str {
    invitation.status.as_deref().unwrap_or_default()
}

#[tokio::test]
async fn the_backend_api_invites_lists_and_revokes() {
    let local = local_with_webhooks().await;
    let clerk = local.clerk();
    let ada = local
        .users()
        .create(NewUser::with_email("ada@example.com").first_name("Ada"));
    let bob = local.users().create(NewUser::with_email("bob@example.com"));
    let acme = local.organizations().create("Acme");
    let other = local.organizations().create("Other");
    local
        .organizations()
        .add_member(&acme.id, &ada.id, "org:admin");
    local
        .organizations()
        .add_member(&acme.id, &bob.id, "org:member");
    let invitations = clerk.organization_invitations();

    let carol = invitations
        .create(&acme.id, "carol@example.com", "org:member")
        .inviter_user_id(&ada.id)
        .public_metadata(metadata(serde_json::json!({"team": "blue"})))
        .redirect_url(APP)
        .expires_in_days(7)
        .send()
        .await
        .expect("invited");
    assert_eq!(carol.object, "organization_invitation");
    assert!(carol.id.starts_with("orginv_"), "{}", carol.id);
    assert_eq!(carol.email_address, "carol@example.com");
    assert_eq!(carol.role, "org:member");
    assert_eq!(carol.role_name, "member");
    assert_eq!(carol.organization_id.as_deref(), Some(acme.id.as_str()));
    assert_eq!(status(&carol), "pending");
    assert_eq!(carol.inviter_id.as_deref(), Some(ada.id.as_str()));
    let inviter = carol.public_inviter_data.as_ref().expect("the inviter");
    assert_eq!(inviter.user_id, ada.id);
    assert_eq!(inviter.first_name.as_deref(), Some("Ada"));
    assert_eq!(inviter.identifier, "ada@example.com");
    assert_eq!(carol.public_metadata["team"], "blue");
    assert_eq!(
        carol.expires_at,
        Some(carol.created_at + 7 * 24 * 3600 * 1000)
    );
    let url = Url::parse(carol.url.as_deref().expect("a link")).expect("an absolute URL");
    assert_eq!(url.origin().ascii_serialization(), local.frontend().url());
    assert_eq!(url.path(), "/sign-in");
    assert!(url.query_pairs().any(|(k, _)| k == "__clerk_ticket"));
    assert!(
        url.query_pairs()
            .any(|(k, v)| k == "redirect_url" && v == APP)
    );

    // Without an inviter (Clerk sends `public_inviter_data: null`), by the organization's slug.
    let dave = invitations
        .create(&acme.slug, "dave@example.com", "org:admin")
        .send()
        .await
        .expect("invited");
    assert_eq!(dave.inviter_id, None);
    assert_eq!(dave.public_inviter_data, None);
    assert_eq!(
        dave.expires_at,
        Some(dave.created_at + 30 * 24 * 3600 * 1000)
    );

    // Refusals.
    let refused = |error: clerk_core::ApiError, status: u16, code: &str| {
        assert_eq!(error.status(), Some(status), "{error}");
        assert_eq!(error.code(), Some(code), "{error}");
    };
    for (email, role, inviter, days, status, code) in [
        (
            "carol@example.com",
            "org:member",
            None,
            None,
            422,
            "duplicate_record",
        ),
        (
            "bob@example.com",
            "org:member",
            None,
            None,
            422,
            "already_a_member_in_organization",
        ),
        (
            "not-an-email",
            "org:member",
            None,
            None,
            422,
            "form_param_format_invalid",
        ),
        (
            "erin@example.com",
            "",
            None,
            None,
            422,
            "form_param_missing",
        ),
        (
            "erin@example.com",
            "org:member",
            None,
            Some(0),
            422,
            "form_param_value_invalid",
        ),
        (
            "erin@example.com",
            "org:member",
            Some(bob.id.as_str()),
            None,
            403,
            "authorization_invalid",
        ),
        (
            "erin@example.com",
            "org:member",
            Some("user_unknown"),
            None,
            404,
            "resource_not_found",
        ),
    ] {
        let mut request = invitations.create(&acme.id, email, role);
        if let Some(inviter) = inviter {
            request = request.inviter_user_id(inviter);
        }
        if let Some(days) = days {
            request = request.expires_in_days(days);
        }
        refused(request.send().await.expect_err(email), status, code);
    }
    refused(
        invitations
            .create("org_unknown", "erin@example.com", "org:member")
            .send()
            .await
            .expect_err("an unknown organization"),
        404,
        "resource_not_found",
    );

    // Bulk: all or none.
    let item = |email: &str| CreateOrganizationInvitationBulkRequestItem {
        email_address: email.into(),
        role: "org:member".into(),
        ..Default::default()
    };
    let bulk = invitations
        .bulk_create(
            &acme.id,
            [item("erin@example.com"), item("frank@example.com")],
        )
        .send()
        .await
        .expect("invited");
    assert_eq!(bulk.total_count, 2);
    assert_eq!(bulk.data.len(), 2);
    refused(
        invitations
            .bulk_create(
                &acme.id,
                [item("gina@example.com"), item("erin@example.com")],
            )
            .send()
            .await
            .expect_err("erin has a pending invitation"),
        422,
        "duplicate_record",
    );
    let empty: [CreateOrganizationInvitationBulkRequestItem; 0] = [];
    refused(
        invitations
            .bulk_create(&acme.id, empty)
            .send()
            .await
            .expect_err("none"),
        422,
        "form_param_value_invalid",
    );

    // Lists.
    let list = invitations.list(&acme.id).send().await.expect("listed");
    assert_eq!(list.total_count, 4, "gina's bulk left nothing");
    assert_eq!(
        list.data[0].email_address, "frank@example.com",
        "newest first"
    );
    let by_email = invitations
        .list(&acme.id)
        .order_by("email_address")
        .limit(2)
        .send()
        .await
        .expect("listed");
    assert_eq!(
        by_email
            .data
            .iter()
            .map(|i| i.email_address.as_str())
            .collect::<Vec<_>>(),
        ["carol@example.com", "dave@example.com"]
    );
    assert_eq!(by_email.total_count, 4);
    let one = invitations
        .list(&acme.id)
        .email_address("DAVE@example.com")
        .send()
        .await
        .expect("listed");
    assert_eq!(one.data.len(), 1);
    assert_eq!(one.data[0].id, dave.id);
    assert_eq!(
        invitations
            .list(&other.id)
            .send()
            .await
            .expect("listed")
            .total_count,
        0
    );

    // Get, and revoke (an admin only; once).
    let got = invitations
        .get(&acme.id, &carol.id)
        .send()
        .await
        .expect("found");
    assert_eq!(got, carol);
    refused(
        invitations
            .get(&other.id, &carol.id)
            .send()
            .await
            .expect_err("another organization's"),
        404,
        "resource_not_found",
    );
    refused(
        invitations
            .revoke(&acme.id, &dave.id)
            .requesting_user_id(&bob.id)
            .send()
            .await
            .expect_err("not an admin"),
        403,
        "authorization_invalid",
    );
    let revoked = invitations
        .revoke(&acme.id, &dave.id)
        .requesting_user_id(&ada.id)
        .send()
        .await
        .expect("revoked");
    assert_eq!(status(&revoked), "revoked");
    assert!(revoked.updated_at > dave.updated_at);
    refused(
        invitations
            .revoke(&acme.id, &dave.id)
            .send()
            .await
            .expect_err("revoked already"),
        422,
        "organization_invitation_not_pending",
    );
    let pending = invitations
        .list(&acme.id)
        .status(ListOrganizationInvitationsStatus::Pending)
        .send()
        .await
        .expect("listed");
    assert_eq!(pending.total_count, 3);
    #[allow(deprecated)]
    let pending_too = invitations
        .list_pending(&acme.id)
        .send()
        .await
        .expect("listed");
    assert_eq!(pending_too.data, pending.data);

    // The instance's and a user's lists carry the organization's public data.
    let all = invitations
        .get_all()
        .query("carol")
        .send()
        .await
        .expect("listed");
    assert_eq!(all.total_count, 1);
    let organization = all.data[0]
        .public_organization_data
        .as_ref()
        .expect("the organization");
    assert_eq!(organization.name, "Acme");
    assert_eq!(organization.slug, acme.slug);
    let carol_user = local
        .users()
        .create(NewUser::with_email("Carol@Example.com"));
    let mine = clerk
        .users()
        .get_organization_invitations(&carol_user.id)
        .send()
        .await
        .expect("listed");
    assert_eq!(mine.total_count, 1);
    assert_eq!(mine.data[0].id, carol.id);

    for (operation, count) in [
        ("CreateOrganizationInvitation", 10),
        ("CreateOrganizationInvitationBulk", 3),
        ("ListOrganizationInvitations", 5),
        ("ListPendingOrganizationInvitations", 1),
        ("GetOrganizationInvitation", 2),
        ("RevokeOrganizationInvitation", 3),
        ("ListInstanceOrganizationInvitations", 1),
        ("UsersGetOrganizationInvitations", 1),
    ] {
        assert_eq!(local.requests().count(operation), count, "{operation}");
    }

    // The events: created for each invitation made (none for the refused batch), revoked once.
    let invitation_events: Vec<String> = events(&local, 12)
        .await
        .iter()
        .map(|e| e.event_type().to_owned())
        .filter(|t| t.starts_with("organizationInvitation."))
        .collect();
    assert_eq!(
        invitation_events,
        [
            "organizationInvitation.created",
            "organizationInvitation.created",
            "organizationInvitation.created",
            "organizationInvitation.created",
            "organizationInvitation.revoked",
        ]
    );
    let deliveries = local.webhooks().deliveries();
    let created = deliveries
        .iter()
        .find(|d| d.event_type == "organizationInvitation.created")
        .expect("created");
    let event: WebhookEvent = serde_json::from_str(&created.body).expect("decodes");
    let WebhookData::OrganizationInvitationCreated(data) = event.data else {
        panic!("{:?}", event.data);
    };
    assert_eq!(data.id, carol.id);
    assert_eq!(data.status.as_deref(), Some("pending"));
    assert_eq!(
        data.public_organization_data.map(|o| o.name).as_deref(),
        Some("Acme")
    );

    // Deleting the organization takes its invitations.
    clerk
        .organizations()
        .delete(&acme.id)
        .send()
        .await
        .expect("deleted");
    assert_eq!(
        invitations
            .get_all()
            .send()
            .await
            .expect("listed")
            .total_count,
        0
    );
}

/// The `__client` cookie LocalClerk set, as a `Cookie` header value.
fn client_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("__client="))
        .map(|v| format!("__client={}", v.split(';').next().unwrap_or(v)))
        .expect("LocalClerk's cookie")
}

async fn accept_through_link(
    http: &reqwest::Client,
    local: &LocalClerk,
    link: &str,
) -> reqwest::Response {
    let page = http.get(link).send().await.expect("the invitation page");
    assert_eq!(page.status(), 200);
    let cookie = client_cookie(&page);
    let html = page.text().await.expect("html");
    assert!(html.contains("Join as"), "{html}");
    let url = Url::parse(link).expect("url");
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (key, value) in url.query_pairs() {
        form.append_pair(&key, &value);
    }
    http.post(format!("{}/sign-in", local.frontend().url()))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, cookie)
        .body(form.finish())
        .send()
        .await
        .expect("accepted")
}

#[tokio::test]
async fn the_invitation_link_signs_the_invitee_in_and_makes_them_a_member() {
    let local = local_with_webhooks().await;
    let clerk = local.clerk();
    let acme = local.organizations().create("Acme");
    let invitation = clerk
        .organization_invitations()
        .create(&acme.id, "carol@example.com", "org:member")
        .public_metadata(metadata(serde_json::json!({"team": "blue"})))
        .redirect_url(APP)
        .send()
        .await
        .expect("invited");
    let link = invitation.url.clone().expect("a link");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");

    let answer = accept_through_link(&http, &local, &link).await;
    assert_eq!(answer.status(), 303);
    let back = Url::parse(
        answer
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("a Location"),
    )
    .expect("url");
    assert_eq!(back.path(), "/welcome");
    assert!(back.query_pairs().any(|(k, _)| k == "__clerk_db_jwt"));

    // Carol was created, signed in, and is a member with the invitation's role and metadata.
    let carol = clerk
        .users()
        .list()
        .email_address(["carol@example.com"])
        .send()
        .await
        .expect("users")
        .pop()
        .expect("carol signed up");
    let memberships = clerk
        .users()
        .get_organization_memberships(&carol.id)
        .send()
        .await
        .expect("memberships");
    assert_eq!(memberships.total_count, 1);
    assert_eq!(memberships.data[0].organization.id, acme.id);
    assert_eq!(memberships.data[0].role, "org:member");
    assert_eq!(memberships.data[0].public_metadata["team"], "blue");
    let accepted = clerk
        .organization_invitations()
        .get(&acme.id, &invitation.id)
        .send()
        .await
        .expect("found");
    assert_eq!(status(&accepted), "accepted");
    let sessions = clerk
        .sessions()
        .list()
        .user_id(&carol.id)
        .send()
        .await
        .expect("sessions");
    assert_eq!(sessions.data.len(), 1);

    // The link works once.
    let again = http.get(&link).send().await.expect("the page");
    assert_eq!(again.status(), 400);

    // The events: the user, the membership, then the acceptance with who accepted.
    let sent: Vec<WebhookEvent> = events(&local, 6).await;
    let types: Vec<&str> = sent.iter().map(WebhookEvent::event_type).collect();
    let tail = &types[types.len() - 4..];
    assert_eq!(
        tail,
        [
            "user.created",
            "organizationMembership.created",
            "organizationInvitation.accepted",
            "session.created",
        ]
    );
    let accepted_event = sent
        .iter()
        .find_map(|e| match &e.data {
            WebhookData::OrganizationInvitationAccepted(data) => Some(data.clone()),
            _ => None,
        })
        .expect("accepted");
    assert_eq!(accepted_event.user_id, carol.id);
    assert_eq!(accepted_event.status.as_deref(), Some("accepted"));

    // Without redirect_url, an existing user: a page says it is done.
    let dave = local
        .users()
        .create(NewUser::with_email("dave@example.com"));
    let invitation = local
        .organizations()
        .invite(&acme.id, "dave@example.com", "org:admin");
    let answer = accept_through_link(&http, &local, invitation.url.as_deref().expect("link")).await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.expect("html");
    assert!(html.contains("Invitation accepted"), "{html}");
    assert_eq!(
        clerk
            .users()
            .get_organization_memberships(&dave.id)
            .send()
            .await
            .expect("memberships")
            .data[0]
            .role,
        "org:admin"
    );
}

#[tokio::test]
async fn the_helpers_invite_and_accept() {
    let local = local_with_webhooks().await;
    let acme = local.organizations().create("Acme");
    let invitation = local
        .organizations()
        .invite(&acme.id, "erin@example.com", "org:member");
    assert_eq!(status(&invitation), "pending");
    let membership = local.organizations().accept_invitation(&invitation.id);
    assert_eq!(membership.organization.id, acme.id);
    assert_eq!(membership.role, "org:member");
    let erin = membership.public_user_data.expect("the member");
    assert_eq!(erin.identifier.as_deref(), Some("erin@example.com"));
    let got = local
        .clerk()
        .organization_invitations()
        .get(&acme.id, &invitation.id)
        .send()
        .await
        .expect("found");
    assert_eq!(status(&got), "accepted");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        local.organizations().accept_invitation(&invitation.id)
    }));
    assert!(outcome.is_err(), "accepted already");
    let types: Vec<String> = events(&local, 5)
        .await
        .iter()
        .map(|e| e.event_type().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "organization.created",
            "organizationInvitation.created",
            "user.created",
            "organizationMembership.created",
            "organizationInvitation.accepted",
        ]
    );
}
