//! The quickstart app: a public route, a `ClerkSession` route, a `ClerkUser` route and a
//! permission-guarded route, plus the curl commands that show what each answers.

use axum::Json;
use axum::Router;
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkSession, ClerkUser, require_permission};
use clerk_core::Clerk;
use serde_json::{Value, json};

async fn home(session: Option<ClerkSession>) -> Json<Value> {
    Json(match session {
        Some(ClerkSession(claims)) => {
            json!({ "message": "hello again", "user_id": claims.user_id() })
        }
        None => json!({ "message": "hello, stranger: send a session token to /me" }),
    })
}

async fn me(ClerkSession(claims): ClerkSession) -> Json<Value> {
    Json(json!({
        "user_id": claims.user_id(),
        "session_id": claims.session_id(),
        "org_id": claims.org_id(),
        "org_role": claims.org_role(),
        "permissions": claims.org_permissions(),
    }))
}

async fn profile(user: ClerkUser) -> Json<Value> {
    Json(json!({
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email_addresses.first().map(|e| e.email_address.clone()),
    }))
}

async fn invoices(ClerkSession(claims): ClerkSession) -> Json<Value> {
    Json(json!({ "org_id": claims.org_id(), "invoices": [{ "id": "inv_1", "total": 4200 }] }))
}

/// The app: `/` (public), `/me` (signed in), `/profile` (signed in, loads the user from the
/// Backend API), `/invoices` (needs `org:invoices:read`).
pub fn app(clerk: Clerk) -> Router {
    let billing = Router::new()
        .route("/invoices", get(invoices))
        .route_layer(require_permission("org:invoices:read"));
    Router::new()
        .route("/", get(home))
        .route("/me", get(me))
        .route("/profile", get(profile))
        .merge(billing)
        .layer(ClerkLayer::new(clerk))
}

/// One command to try, and what it answers.
#[derive(Debug, Clone)]
pub struct Try {
    /// What it shows.
    pub what: &'static str,
    /// The path requested.
    pub path: &'static str,
    /// The bearer token sent, if any.
    pub token: Option<String>,
    /// The status it answers.
    pub status: u16,
}

impl Try {
    /// The command, ready to paste.
    pub fn curl(&self, base_url: &str) -> String {
        match &self.token {
            Some(token) => format!(
                "curl -i -H 'Authorization: Bearer {token}' {base_url}{}",
                self.path
            ),
            None => format!("curl -i {base_url}{}", self.path),
        }
    }
}

/// The commands of the demo: Ada is an admin with `org:invoices:read`, Bob a member without it.
pub fn tries(ada_token: &str, bob_token: &str) -> Vec<Try> {
    let ada = || Some(ada_token.to_owned());
    vec![
        Try {
            what: "public route",
            path: "/",
            token: None,
            status: 200,
        },
        Try {
            what: "no session",
            path: "/me",
            token: None,
            status: 401,
        },
        Try {
            what: "Ada's session claims",
            path: "/me",
            token: ada(),
            status: 200,
        },
        Try {
            what: "Ada's user, from the Backend API",
            path: "/profile",
            token: ada(),
            status: 200,
        },
        Try {
            what: "Ada may read invoices",
            path: "/invoices",
            token: ada(),
            status: 200,
        },
        Try {
            what: "Bob may not read invoices",
            path: "/invoices",
            token: Some(bob_token.to_owned()),
            status: 403,
        },
    ]
}

/// Prints what the quickstart serves and, with the embedded LocalClerk, the commands to try.
pub fn print_tries(base: &str, commands: &[Try], configured: bool) {
    if configured {
        println!("Using your Clerk instance (CLERK_SECRET_KEY is set). Serving on {base}:");
        println!("  GET /  /me  /profile  /invoices (needs org:invoices:read)");
        println!(
            "Send a session token from your frontend: curl -H 'Authorization: Bearer <token>' {base}/me"
        );
        return;
    }
    println!(
        "No CLERK_SECRET_KEY: running against an embedded LocalClerk (no account, no network)."
    );
    println!("Demo: Ada is org:admin of Acme (may read invoices), Bob is org:member (may not).");
    println!("Serving on {base}. Try (tokens valid 10 minutes):\n");
    for command in commands {
        println!("# {} -> {}", command.what, command.status);
        println!("{}\n", command.curl(base));
    }
}

/// Runs each command over HTTP and prints the outcome; returns how many answered another status.
pub async fn run_checks(base: &str, commands: &[Try]) -> usize {
    let http = reqwest::Client::new();
    let mut failed = 0;
    for command in commands {
        let mut request = http.get(format!("{base}{}", command.path));
        if let Some(token) = &command.token {
            request = request.bearer_auth(token);
        }
        let status = request
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        let ok = status == command.status;
        println!(
            "{} {} -> {status} ({})",
            if ok { "ok  " } else { "FAIL" },
            command.path,
            command.what
        );
        failed += usize::from(!ok);
    }
    failed
}
