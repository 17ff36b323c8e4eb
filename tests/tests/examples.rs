//! The `export_users` and `custom_claims` examples, end to end against LocalClerk.

use clerk_examples::custom_claims::{TenantAnswer, demo};
use clerk_examples::export_users::{HEADER, export_csv};
use clerk_testing::{LocalClerk, NewUser};

/// Parses RFC 4180 CSV (quoted fields with doubled quotes and line breaks inside).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "ends with a line break"
    );
    rows
}

#[tokio::test]
async fn export_users_writes_every_user_page_by_page_as_csv() {
    let local = LocalClerk::start().await;
    let mut ids = Vec::new();
    for i in 0..22 {
        ids.push(
            local
                .users()
                .create(NewUser::with_email(format!("user{i}@example.com")).first_name("Plain"))
                .id,
        );
    }
    let tricky = local.users().create(
        NewUser::with_email("ada@example.com")
            .first_name("Ada \"the first\", Countess")
            .last_name("Lovelace\nof Ockham")
            .username("ada"),
    );
    ids.push(tricky.id.clone());

    let clerk = local.clerk();
    let mut out = Vec::new();
    let written = export_csv(&clerk, 10, &mut out).await.expect("exported");
    assert_eq!(written, 23);
    assert_eq!(
        local.requests().count("GetUserList"),
        3,
        "pages of 10, 10 and 3"
    );

    let rows = parse_csv(&String::from_utf8(out).expect("UTF-8"));
    assert_eq!(rows[0], HEADER);
    assert_eq!(rows.len(), 24);
    let mut exported: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    exported.sort_unstable();
    ids.sort_unstable();
    assert_eq!(exported, ids, "each user once");
    let ada = rows.iter().find(|r| r[0] == tricky.id).expect("Ada's row");
    assert_eq!(
        ada[1..5],
        [
            "ada@example.com",
            "Ada \"the first\", Countess",
            "Lovelace\nof Ockham",
            "ada"
        ]
    );
    assert_eq!(ada[5], tricky.created_at.to_string());

    // An API error ends the export with that error.
    local
        .faults()
        .set_api(Some(clerk_testing::Fault::Status(401)));
    let error = export_csv(&clerk, 10, &mut Vec::new())
        .await
        .expect_err("401");
    assert!(error.to_string().contains("401"), "{error}");
}

#[tokio::test]
async fn custom_claims_are_read_into_the_apps_type() {
    let local = LocalClerk::start().await;
    let steps = demo(&local).await.expect("the demo runs");
    assert_eq!(steps[0].status, 200, "{steps:?}");
    let answer: TenantAnswer = serde_json::from_str(&steps[0].body).expect("the typed answer");
    assert!(answer.user_id.starts_with("user_"));
    assert_eq!(answer.claims.email, "ada@example.com");
    assert_eq!(answer.claims.metadata.tenant, "acme");
    assert_eq!(answer.claims.metadata.beta, ["reports"]);
    assert_eq!(steps[1].status, 403);
    assert!(
        steps[1].body.contains("missing field `email`"),
        "{}",
        steps[1].body
    );
}
