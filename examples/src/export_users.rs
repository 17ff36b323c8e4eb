//! The `export_users` example: every user of an instance, page by page with the Backend API's
//! pagination stream, written as CSV.

use std::io::Write;

use clerk_core::Clerk;
use clerk_core::models::User;
use futures_util::StreamExt as _;

/// The CSV columns, in order.
pub const HEADER: [&str; 6] = [
    "id",
    "email",
    "first_name",
    "last_name",
    "username",
    "created_at",
];

/// Writes every user of `clerk`'s instance to `out` as CSV (RFC 4180: a header line, then one
/// line per user, fields quoted when they hold a comma, a quote or a line break), fetching
/// `page_size` users per Backend API call as the stream goes. Returns how many users were
/// written. An API error ends the export with that error, after the users before it were
/// written.
pub async fn export_csv(
    clerk: &Clerk,
    page_size: i64,
    out: &mut impl Write,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    write_row(out, HEADER)?;
    let mut users = clerk
        .users()
        .list()
        // Oldest first: users created during the export land on later pages instead of
        // shifting the ones still to fetch.
        .order_by("created_at")
        .limit(page_size)
        .stream();
    let mut written = 0;
    while let Some(user) = users.next().await {
        let user = user?;
        let created_at = user.created_at.to_string();
        write_row(
            out,
            [
                user.id.as_str(),
                primary_email(&user).unwrap_or_default(),
                user.first_name.as_deref().unwrap_or_default(),
                user.last_name.as_deref().unwrap_or_default(),
                user.username.as_deref().unwrap_or_default(),
                created_at.as_str(),
            ],
        )?;
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

/// The user's primary email address (the first one when none is marked primary).
pub fn primary_email(user: &User) -> Option<&str> {
    let primary = user.primary_email_address_id.as_deref();
    user.email_addresses
        .iter()
        .find(|email| email.id.as_deref() == primary)
        .or(user.email_addresses.first())
        .map(|email| email.email_address.as_str())
}

fn write_row<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = &'a str>,
) -> std::io::Result<()> {
    let line: Vec<String> = fields.into_iter().map(csv_field).collect();
    writeln!(out, "{}", line.join(","))
}

/// One CSV field: as is, or quoted with inner quotes doubled when it needs quoting.
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}
