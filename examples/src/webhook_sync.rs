//! Keep a users table in SQLite in sync with Clerk's webhook events (the `webhook_sync`
//! example's app and database code).
//!
//! - Idempotent: a delivery's `svix-id` is recorded, and a repeated delivery changes nothing;
//!   every write is an upsert keyed by the user id anyway.
//! - Out of order: a user row keeps the `updated_at` of the version it holds, and an older
//!   version never overwrites a newer one.
//! - Deletes honoured: `user.deleted` leaves a tombstone, so that a `user.created` or
//!   `user.updated` delivered late does not bring the user back (Clerk never reuses a user id).
//! - Fresh `ClerkUser`: the webhook route runs under the same `ClerkLayer` as `GET /me`, so a
//!   `user.updated` also drops the user from the layer's `ClerkUser` cache, and `/me` shows
//!   the change at once instead of after the cache's 30 seconds.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use clerk_axum::{ClerkLayer, ClerkUser, ClerkWebhook, WebhookLayer};
use clerk_core::Clerk;
use clerk_core::models::User;
use clerk_core::webhooks::{Delivery, Webhook, WebhookData};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// The path Clerk posts events to.
pub const WEBHOOK_PATH: &str = "/webhooks/clerk";

/// A row of the users table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Clerk's user id.
    pub id: String,
    /// The primary email address, if any.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The `updated_at` (ms) of the version held.
    pub updated_at: i64,
    /// Whether the user was deleted.
    pub deleted: bool,
}

impl sqlx::FromRow<'_, sqlx::sqlite::SqliteRow> for UserRow {
    fn from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Self> {
        use sqlx::Row as _;
        Ok(Self {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            first_name: row.try_get("first_name")?,
            last_name: row.try_get("last_name")?,
            updated_at: row.try_get("updated_at")?,
            deleted: row.try_get("deleted")?,
        })
    }
}

/// What an event did to the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// A row was written.
    Written,
    /// Nothing changed: a repeated delivery, an older version, or a deleted user.
    Unchanged,
    /// Not a user event.
    Ignored,
}

/// The app's database: the users table and the deliveries already applied.
#[derive(Debug, Clone)]
pub struct Db(SqlitePool);

impl Db {
    /// Opens (and creates) the database at `url`: `sqlite::memory:` (the default of the
    /// example) or a file such as `sqlite://users.db`.
    pub async fn open(url: &str) -> sqlx::Result<Self> {
        let options: SqliteConnectOptions = url.parse()?;
        // One connection: an in-memory database is per connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.create_if_missing(true))
            .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS users (
                id TEXT PRIMARY KEY,
                email TEXT,
                first_name TEXT,
                last_name TEXT,
                updated_at INTEGER NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0
            )",
        )
        .execute(&pool)
        .await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY)")
            .execute(&pool)
            .await?;
        Ok(Self(pool))
    }

    /// Applies a verified delivery, once per delivery id.
    pub async fn apply(&self, delivery: &Delivery) -> sqlx::Result<Applied> {
        let mut tx = self.0.begin().await?;
        let first = sqlx::query("INSERT OR IGNORE INTO deliveries (id) VALUES (?)")
            .bind(&delivery.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !first {
            return Ok(Applied::Unchanged);
        }
        let written = match &delivery.event.data {
            WebhookData::UserCreated(user) | WebhookData::UserUpdated(user) => {
                upsert(&mut tx, user).await?
            }
            WebhookData::UserDeleted(deleted) => match deleted.id.as_deref() {
                Some(id) => tombstone(&mut tx, id, delivery.event.timestamp).await?,
                None => false,
            },
            _ => {
                tx.commit().await?;
                return Ok(Applied::Ignored);
            }
        };
        tx.commit().await?;
        Ok(if written {
            Applied::Written
        } else {
            Applied::Unchanged
        })
    }

    /// Every row, by id.
    pub async fn users(&self) -> sqlx::Result<Vec<UserRow>> {
        sqlx::query_as(
            "SELECT id, email, first_name, last_name, updated_at, deleted FROM users ORDER BY id",
        )
        .fetch_all(&self.0)
        .await
    }
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Sqlite>;

/// Writes `user` unless the row holds a newer version or a tombstone.
async fn upsert(tx: &mut Tx<'_>, user: &User) -> sqlx::Result<bool> {
    let email = user
        .email_addresses
        .iter()
        .find(|e| e.id.is_some() && e.id == user.primary_email_address_id)
        .map(|e| e.email_address.clone());
    let result = sqlx::query(
        "INSERT INTO users (id, email, first_name, last_name, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET
            email = excluded.email, first_name = excluded.first_name,
            last_name = excluded.last_name, updated_at = excluded.updated_at
         WHERE users.deleted = 0 AND excluded.updated_at >= users.updated_at",
    )
    .bind(&user.id)
    .bind(email)
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(user.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Marks user `id` deleted (inserting a tombstone if the user was never seen).
async fn tombstone(tx: &mut Tx<'_>, id: &str, at: i64) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO users (id, updated_at, deleted) VALUES (?, ?, 1)
         ON CONFLICT (id) DO UPDATE SET deleted = 1 WHERE users.deleted = 0",
    )
    .bind(id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The app: `POST /webhooks/clerk` applies each verified event to `db` (a database error is a
/// 500, so that Svix delivers the event again later); `GET /me` answers the signed-in user's
/// first name, from the Backend API through the layer's `ClerkUser` cache.
pub fn app(clerk: Clerk, webhook: Webhook, db: Db) -> Router {
    async fn receive(
        State(db): State<Db>,
        ClerkWebhook(delivery): ClerkWebhook,
    ) -> Result<&'static str, StatusCode> {
        match db.apply(&delivery).await {
            Ok(_) => Ok("ok"),
            Err(error) => {
                eprintln!("delivery {} not applied: {error}", delivery.id);
                Err(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
    async fn me(user: ClerkUser) -> String {
        user.first_name.clone().unwrap_or_default()
    }
    Router::new()
        .route(
            WEBHOOK_PATH,
            post(receive).layer(WebhookLayer::new(webhook)),
        )
        .route("/me", get(me))
        .with_state(db)
        .layer(ClerkLayer::new(clerk))
}

/// What the example shows: the synced table, and the signed-in user's `/me` before and after
/// a `user.updated` webhook.
#[derive(Debug)]
pub struct Demo {
    /// The users table, synced from the events.
    pub rows: Vec<UserRow>,
    /// Ada's `GET /me` before she is renamed (loaded, then cached by `ClerkUser`).
    pub me_before: String,
    /// Her `GET /me` after the `user.updated` delivery (the cache dropped her).
    pub me_after: String,
}

/// The example with no configuration: serves [`app`] on 127.0.0.1 with an in-memory database,
/// registers it as a webhook endpoint of `local`, creates two users there, signs one in and
/// renames her, deletes the other, waits for the deliveries and returns the synced table.
pub async fn demo(local: &clerk_testing::LocalClerk) -> Result<Demo, Box<dyn std::error::Error>> {
    use std::time::Duration;
    let db = Db::open("sqlite::memory:").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let endpoint = local
        .webhooks()
        .add_endpoint(format!("{base}{WEBHOOK_PATH}"));
    let webhook = Webhook::new(endpoint.secret())?;
    let server =
        tokio::spawn(axum::serve(listener, app(local.clerk(), webhook, db.clone())).into_future());
    let http = reqwest::Client::new();

    let clerk = local.clerk();
    let users = clerk.users();
    let ada = users
        .create()
        .email_address(["ada@example.com"])
        .first_name("Ada")
        .last_name("Lovelace")
        .send()
        .await?;
    let bob = users
        .create()
        .email_address(["bob@example.com"])
        .first_name("Bob")
        .send()
        .await?;
    let token = local.sessions().sign_in(&ada.id).token; // session.created
    let me = async || -> Result<String, reqwest::Error> {
        let response = http
            .get(format!("{base}/me"))
            .bearer_auth(&token)
            .send()
            .await?;
        response.error_for_status()?.text().await
    };
    let me_before = me().await?;
    users
        .update(&ada.id)
        .first_name("Augusta Ada")
        .send()
        .await?;
    // user.created ×2, session.created, user.updated: handled once the 4th is delivered.
    local
        .webhooks()
        .wait_for_deliveries(4, Duration::from_secs(10))
        .await;
    let me_after = me().await?;
    users.delete(&bob.id).send().await?;

    let expected = 5; // and user.deleted
    let deliveries = local
        .webhooks()
        .wait_for_deliveries(expected, Duration::from_secs(10))
        .await;
    server.abort();
    let failed: Vec<_> = deliveries.iter().filter(|d| !d.succeeded()).collect();
    if deliveries.len() < expected || !failed.is_empty() {
        return Err(format!("{} deliveries, failed: {failed:?}", deliveries.len()).into());
    }
    Ok(Demo {
        rows: db.users().await?,
        me_before,
        me_after,
    })
}
