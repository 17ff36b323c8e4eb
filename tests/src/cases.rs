//! The request → response contract every web adapter meets, as data.
//!
//! An adapter's test builds the *contract app* below with its own framework and sends every
//! [`Case`] of [`contract`] (and of [`outage_contract`], [`jwks_failure_contract`] and
//! [`huge_header_cases`]) with [`run_all`], in process and over real HTTP. The axum adapter's
//! run is `tests/axum_contract.rs`, the actix adapter's `tests/actix_contract.rs`: the same
//! table, so both answer every request identically. What is left in the adapters' own tests is
//! what only their framework has (tower readiness, actix's `Option<T>`, scopes, workers).
//!
//! # The contract app
//!
//! The Clerk middleware wraps every route, configured with
//! `authorized_parties([AUTHORIZED_PARTY])` and `user_lookup_timeout(LOOKUP_TIMEOUT)`, cookies
//! accepted, pending sessions refused.
//! "May be signed out" is `Option<T>` in axum and `clerk_actix::Optional<T>` in actix-web (whose
//! own `Option<T>` extractor swallows every rejection); guards are `route_layer`s in axum and
//! `Scope::wrap` in actix-web.
//!
//! | path | handler | 200 body |
//! |---|---|---|
//! | `/public` | no extractor | `public` |
//! | `/session` | `ClerkSession` | the user id |
//! | `/auth` | `ClerkAuth` | the user id |
//! | `/optional` | `Option<ClerkSession>` | the user id, or `anonymous` |
//! | `/optional-auth` | `Option<ClerkAuth>` | the user id, or `anonymous` |
//! | `/guard/auth` | `require_auth()` | `ok` |
//! | `/guard/role` | `require_role(ROLE)` | `ok` |
//! | `/guard/permission` | `require_permission(PERMISSION)` | `ok` |
//! | `/guard/feature` | `require_feature(FEATURE)` | `ok` |
//! | `/guard/plan` | `require_plan(PLAN)` | `ok` |
//! | `/guard/custom` | `require(\|auth\| auth.claims().org_slug() == Some(ORG_SLUG))` | `ok` |
//! | `/user` | `ClerkUser` | the user's id (as the Backend API returns it) |
//! | `/optional-user` | `Option<ClerkUser>` | the user's id, or `anonymous` |
//! | `/client` | `ClerkClient` | `client` |
//! | `/machine` | `ClerkMachine` | `<kind> <subject>`, e.g. `api_key user_…` |
//! | `/optional-machine` | `Option<ClerkMachine>` | `<kind> <subject>`, or `anonymous` |
//! | `/caller` | `ClerkCaller` | `<kind> <subject>` (a session: `session_token <user id>`) |
//! | `/guard/machine` | `require_machine()` | `ok` |
//! | `/guard/scope` | `require_scope(SCOPE)` | `ok` |
//! | `/guard/api-key` | `require_tokens(Accepts::kinds([TokenKind::ApiKey]))` | `ok` |
//!
//! The app mounts these routes four times:
//!
//! - at the root, under the middleware configured as above, with the user lookup bounded by
//!   [`LOOKUP_TIMEOUT`]: it accepts session tokens only (the default);
//! - under `/machines` ([`MACHINES`]), under a third middleware configured as the root's plus
//!   `accepts(Accepts::any())`: every token kind (see [`machine_cases`]);
//! - under `/hooked`, under a second middleware configured the same way plus an `on_rejection`
//!   hook that answers every rejection with its status and the body [`hook_body`] (see
//!   [`hooked`]);
//! - under `/bare`, without the middleware (see [`missing_layer_cases`]).
//!
//! The app's client is [`contract_clerk`] (a short retry backoff, so that retried lookups fit in
//! the lookup timeout).
//!
//! # Sending the table
//!
//! Cases are sent in order, one at a time, with [`run_all`]: before each it puts LocalClerk in
//! the state the case names ([`ClerkState`]: up, a fault on the Backend API or on `/v1/jwks`, shut
//! down), then checks the answer, the number of Backend API user lookups the request made (when
//! the case says) and the time it took (when the case bounds it).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clerk_core::api::RetryPolicy;
use clerk_core::machine::{MachineError, TokenKind};
use clerk_core::rejection::{LookupFailure, Rejection};
use clerk_core::{SignedOut, VerifyError};
use clerk_testing::{Fault, LocalClerk, NewUser, unix_now};

/// The only `azp` the contract app accepts.
pub const AUTHORIZED_PARTY: &str = "https://app.example.com";
/// The role `/guard/role` requires.
pub const ROLE: &str = "org:admin";
/// The permission `/guard/permission` requires.
pub const PERMISSION: &str = "org:invoices:write";
/// The feature `/guard/feature` requires.
pub const FEATURE: &str = "org:dashboard";
/// The plan `/guard/plan` requires.
pub const PLAN: &str = "org:pro";
/// The organization slug `/guard/custom` requires.
pub const ORG_SLUG: &str = "acme";

/// The user id of the token that meets every guard.
pub const ADMIN: &str = "user_admin";
/// The user id of the token that meets only `require_auth`.
pub const MEMBER: &str = "user_member";

/// The user id of a valid session whose user the Backend API does not know (deleted since).
pub const DELETED: &str = "user_deleted";

/// The user lookup timeout of the contract app's middleware: a Backend API slower than this is a
/// 503 `user_lookup_unavailable`.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);

/// The path prefix of the mounting whose middleware has an `on_rejection` hook.
pub const HOOKED: &str = "/hooked";

/// The path prefix of the mounting without the middleware.
pub const BARE: &str = "/bare";

/// The path prefix of the mounting whose middleware accepts every token kind.
pub const MACHINES: &str = "/machines";

/// The scope `/guard/scope` requires.
pub const SCOPE: &str = "orders:read";

/// The body the `/hooked` mounting's `on_rejection` hook answers with, given the rejection's
/// code (and the rejection's status, no other header).
pub fn hook_body(code: &str) -> String {
    format!("hooked {code}")
}

/// The contract app's client: LocalClerk's, with a short retry backoff (50 ms instead of 500 ms),
/// so that a lookup's two attempts fit in [`LOOKUP_TIMEOUT`].
pub fn contract_clerk(local: &LocalClerk) -> clerk_core::Clerk {
    local
        .clerk_builder()
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        })
        .build()
        .expect("LocalClerk's own keys and URL are valid")
}

/// A route of the contract app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/public`
    Public,
    /// `/session`
    Session,
    /// `/auth`
    Auth,
    /// `/optional`
    Optional,
    /// `/optional-auth`
    OptionalAuth,
    /// `/guard/auth`
    GuardAuth,
    /// `/guard/role`
    GuardRole,
    /// `/guard/permission`
    GuardPermission,
    /// `/guard/feature`
    GuardFeature,
    /// `/guard/plan`
    GuardPlan,
    /// `/guard/custom`
    GuardCustom,
    /// `/user`
    User,
    /// `/optional-user`
    OptionalUser,
    /// `/client`
    Client,
    /// `/machine`
    Machine,
    /// `/optional-machine`
    OptionalMachine,
    /// `/caller`
    Caller,
    /// `/guard/machine`
    GuardMachine,
    /// `/guard/scope`
    GuardScope,
    /// `/guard/api-key`
    GuardApiKey,
}

impl Route {
    /// Every route but the user routes ([`Route::USER`]).
    pub const ALL: [Route; 18] = [
        Route::Public,
        Route::Session,
        Route::Auth,
        Route::Optional,
        Route::OptionalAuth,
        Route::GuardAuth,
        Route::GuardRole,
        Route::GuardPermission,
        Route::GuardFeature,
        Route::GuardPlan,
        Route::GuardCustom,
        Route::Client,
        Route::Machine,
        Route::OptionalMachine,
        Route::Caller,
        Route::GuardMachine,
        Route::GuardScope,
        Route::GuardApiKey,
    ];

    /// The routes that load the user from the Backend API; [`user_cases`] sends requests of
    /// users that exist there.
    pub const USER: [Route; 2] = [Route::User, Route::OptionalUser];

    /// The path.
    pub fn path(self) -> &'static str {
        match self {
            Route::Public => "/public",
            Route::Session => "/session",
            Route::Auth => "/auth",
            Route::Optional => "/optional",
            Route::OptionalAuth => "/optional-auth",
            Route::GuardAuth => "/guard/auth",
            Route::GuardRole => "/guard/role",
            Route::GuardPermission => "/guard/permission",
            Route::GuardFeature => "/guard/feature",
            Route::GuardPlan => "/guard/plan",
            Route::GuardCustom => "/guard/custom",
            Route::User => "/user",
            Route::OptionalUser => "/optional-user",
            Route::Client => "/client",
            Route::Machine => "/machine",
            Route::OptionalMachine => "/optional-machine",
            Route::Caller => "/caller",
            Route::GuardMachine => "/guard/machine",
            Route::GuardScope => "/guard/scope",
            Route::GuardApiKey => "/guard/api-key",
        }
    }

    fn is_optional(self) -> bool {
        matches!(
            self,
            Route::Optional | Route::OptionalAuth | Route::OptionalUser | Route::OptionalMachine
        )
    }

    /// Whether the route takes machine tokens only (a session is `token-type-mismatch`).
    fn machines_only(self) -> bool {
        matches!(
            self,
            Route::Machine | Route::GuardMachine | Route::GuardScope | Route::GuardApiKey
        )
    }

    fn is_guard(self) -> bool {
        self.path().starts_with("/guard/")
    }

    /// Whether the member token (signed in, no right) passes the route.
    fn member_passes(self) -> bool {
        !matches!(
            self,
            Route::GuardRole
                | Route::GuardPermission
                | Route::GuardFeature
                | Route::GuardPlan
                | Route::GuardCustom
        )
    }
}

/// How a request authenticates.
#[derive(Debug, Clone)]
enum Outcome {
    /// Signed in as this user; `admin` tokens meet every guard, others only `require_auth`.
    SignedIn { user: String, admin: bool },
    /// A valid session whose user the Backend API does not know (deleted since): signed in for
    /// the session routes, 401 `user-not-found` for `ClerkUser`, anonymous for its option.
    UserGone { user: String },
    /// A valid session of `user`, whose lookup in the Backend API fails this way: signed in for
    /// the session routes; the user routes answer [`Rejection::lookup_failed`] (the optional one
    /// too: only a missing user is "no user").
    LookupFails {
        user: String,
        failure: LookupFailure,
    },
    /// Signed out for this reason.
    SignedOut(SignedOut),
    /// A machine token of this kind and subject, with [`SCOPE`] or not.
    Machine {
        kind: TokenKind,
        subject: String,
        scoped: bool,
    },
}

/// The state LocalClerk must be in when a case is sent; [`run_all`] puts it there first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClerkState {
    /// Whatever the previous case (or the test) left.
    AsIs,
    /// Up, without faults.
    Up,
    /// The Backend API (every route but `/v1/jwks`) fails this way.
    ApiFault(Fault),
    /// `/v1/jwks` fails this way.
    JwksFault(Fault),
    /// Shut down (for good: every later case is sent with LocalClerk down).
    Down,
}

impl ClerkState {
    /// Puts `local` in this state.
    pub async fn apply(self, local: &LocalClerk) {
        match self {
            ClerkState::AsIs => {}
            ClerkState::Up => {
                local.faults().set_api(None);
                local.faults().set_jwks(None);
            }
            ClerkState::ApiFault(fault) => {
                local.faults().set_jwks(None);
                local.faults().set_api(Some(fault));
            }
            ClerkState::JwksFault(fault) => {
                local.faults().set_api(None);
                local.faults().set_jwks(Some(fault));
            }
            ClerkState::Down => local.faults().shutdown().await,
        }
    }
}

/// One request of the table and the response it must get.
#[derive(Debug, Clone)]
pub struct Case {
    /// `<scenario> <method> <path>`, for failure messages.
    pub name: String,
    /// The method: `GET`, or `POST` (with [`Case::body`]) for webhook deliveries.
    pub method: &'static str,
    /// The request path.
    pub path: String,
    /// The request body (empty for `GET`).
    pub body: Vec<u8>,
    /// The request headers, in order, as raw bytes (some are not UTF-8 on purpose; a name may
    /// repeat).
    pub headers: Vec<(&'static str, Vec<u8>)>,
    /// LocalClerk's state when the request is sent.
    pub clerk: ClerkState,
    /// How many Backend API user lookups (`GetUser` calls) the request makes, when the case
    /// says.
    pub user_lookups: Option<usize>,
    /// The time within which the answer must come, when the case bounds it.
    pub within: Option<Duration>,
    /// The expected response.
    pub expected: Expected,
}

/// The response a case must get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The status.
    pub status: u16,
    /// The exact body (unless [`Expected::names`] is set).
    pub body: String,
    /// The code of the rejection answered, `None` for a handler's answer.
    pub code: Option<&'static str>,
    /// When set, the body is checked loosely: a Clerk error with [`Expected::code`] whose
    /// message names this (for messages that name the adapter's middleware).
    pub names: Option<String>,
    /// The exact `WWW-Authenticate` header, or its absence.
    pub www_authenticate: Option<String>,
    /// Whether the body is a Clerk error (`Content-Type: application/json`).
    pub json: bool,
}

impl Expected {
    fn text(body: &str) -> Self {
        Self {
            status: 200,
            body: body.to_owned(),
            code: None,
            names: None,
            www_authenticate: None,
            json: false,
        }
    }

    /// The response of a rejection.
    pub fn rejection(rejection: &Rejection) -> Self {
        Self {
            status: rejection.status(),
            body: rejection.json_body(),
            code: Some(rejection.code()),
            names: None,
            www_authenticate: rejection.www_authenticate().map(str::to_owned),
            json: true,
        }
    }

    /// The response of the `/hooked` mounting to the same request: a rejection goes through the
    /// hook (its status, the body [`hook_body`], no `WWW-Authenticate`, not JSON).
    fn hooked(self) -> Self {
        match self.code {
            Some(code) => Self {
                status: self.status,
                body: hook_body(code),
                code: Some(code),
                names: None,
                www_authenticate: None,
                json: false,
            },
            None => self,
        }
    }
}

/// What a runner got back for a case.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The `WWW-Authenticate` header, if present and text.
    pub www_authenticate: Option<String>,
    /// The `Content-Type` header, if present and text.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Case {
    fn new(name: String, path: String, headers: Vec<(&'static str, Vec<u8>)>) -> Self {
        Self {
            name,
            method: "GET",
            path,
            body: Vec::new(),
            headers,
            clerk: ClerkState::AsIs,
            user_lookups: None,
            within: None,
            expected: Expected::text(""),
        }
    }

    /// Checks a response; the error says which case failed and how.
    pub fn check(&self, answer: &Answer) -> Result<(), String> {
        let status = answer.status;
        let www_authenticate = answer.www_authenticate.as_deref();
        let content_type = answer.content_type.as_deref();
        let body = String::from_utf8_lossy(&answer.body);
        let expected = &self.expected;
        let mut problems = Vec::new();
        if status != expected.status {
            problems.push(format!("status {status}, expected {}", expected.status));
        }
        match &expected.names {
            None if body != expected.body => {
                problems.push(format!("body {body:?}, expected {:?}", expected.body));
            }
            None => {}
            Some(name) => {
                let code = format!(
                    r#"{{"errors":[{{"code":"{}","message":""#,
                    expected.code.unwrap_or_default()
                );
                if !body.starts_with(&code) || !body.contains(name.as_str()) {
                    problems.push(format!("body {body:?}, expected {code}... naming {name:?}"));
                }
            }
        }
        if www_authenticate != expected.www_authenticate.as_deref() {
            problems.push(format!(
                "WWW-Authenticate {www_authenticate:?}, expected {:?}",
                expected.www_authenticate
            ));
        }
        if expected.json && content_type != Some("application/json") {
            problems.push(format!(
                "Content-Type {content_type:?}, expected application/json"
            ));
        }
        // No token text in any response, whatever the table says.
        for (_, value) in &self.headers {
            let value = String::from_utf8_lossy(value);
            if value
                .split(['=', ';', ' '])
                .filter(|p| p.len() >= 16)
                .any(|part| body.contains(part))
            {
                problems.push("the body contains token text".to_owned());
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{}: {}", self.name, problems.join("; ")))
        }
    }
}

/// Sends every case in order with `send` (which performs the request the case describes and
/// returns the answer), after putting `local` in the case's state, and fails with every
/// mismatch.
pub async fn run_all(
    local: &LocalClerk,
    cases: &[Case],
    send: impl AsyncFn(&Case) -> Result<Answer, String>,
) {
    let mut failures = Vec::new();
    for case in cases {
        case.clerk.apply(local).await;
        let lookups = local.requests().count("GetUser");
        let started = Instant::now();
        let answer = send(case).await;
        let elapsed = started.elapsed();
        let result = answer.and_then(|answer| case.check(&answer));
        if let Err(failure) = result {
            failures.push(failure);
            continue;
        }
        if let Some(expected) = case.user_lookups {
            let made = local.requests().count("GetUser") - lookups;
            if made != expected {
                failures.push(format!(
                    "{}: {made} user lookups, expected {expected}",
                    case.name
                ));
            }
        }
        if let Some(within) = case.within
            && elapsed > within
        {
            failures.push(format!(
                "{}: answered after {elapsed:?}, expected within {within:?}",
                case.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

struct Scenario {
    name: &'static str,
    headers: Vec<(&'static str, Vec<u8>)>,
    outcome: Outcome,
}

fn bearer(token: &str) -> (&'static str, Vec<u8>) {
    ("authorization", format!("Bearer {token}").into_bytes())
}

/// A `Cookie` header as a browser on a development instance sends it: with the dev browser
/// token, which Clerk requires beside the session cookies (see [`cookie_without_dev_browser`]).
fn cookie(value: String) -> (&'static str, Vec<u8>) {
    cookie_without_dev_browser(format!("{value}; __clerk_db_jwt=dvb_contract"))
}

/// A `Cookie` header as given: on a development instance, without `__clerk_db_jwt`, session
/// cookies are signed out with `dev-browser-missing`.
fn cookie_without_dev_browser(value: String) -> (&'static str, Vec<u8>) {
    ("cookie", value.into_bytes())
}

fn token_error(error: VerifyError) -> Outcome {
    Outcome::SignedOut(SignedOut::Token(error))
}

/// The admin token: meets every guard.
pub fn admin_token(local: &LocalClerk) -> String {
    local
        .token(ADMIN)
        .azp(AUTHORIZED_PARTY)
        .org("org_acme", ORG_SLUG, ROLE, [PERMISSION])
        .features(["o:dashboard"])
        .plan("o:pro")
        .mint()
}

/// The member token: signed in, meets no guard but `require_auth`.
pub fn member_token(local: &LocalClerk) -> String {
    local
        .token(MEMBER)
        .azp(AUTHORIZED_PARTY)
        .org("org_globex", "globex", "org:member", ["org:invoices:read"])
        .plan("o:free")
        .mint()
}

/// Swaps the signature of `token` for that of `other`: a forged token.
fn forge(token: &str, other: &str) -> String {
    let (signed, _) = token.rsplit_once('.').unwrap_or((token, ""));
    let (_, signature) = other.rsplit_once('.').unwrap_or((other, ""));
    format!("{signed}.{signature}")
}

fn scenarios(local: &LocalClerk) -> Vec<Scenario> {
    let admin = admin_token(local);
    let member = member_token(local);
    let uat = format!("__client_uat={}", unix_now() - 30);
    let signed_in_admin = Outcome::SignedIn {
        user: ADMIN.to_owned(),
        admin: true,
    };
    vec![
        Scenario {
            name: "admin bearer",
            headers: vec![bearer(&admin)],
            outcome: signed_in_admin.clone(),
        },
        Scenario {
            name: "member bearer",
            headers: vec![bearer(&member)],
            outcome: Outcome::SignedIn {
                user: MEMBER.to_owned(),
                admin: false,
            },
        },
        Scenario {
            name: "cookie only",
            headers: vec![cookie(format!("__session={admin}; {uat}"))],
            outcome: signed_in_admin.clone(),
        },
        Scenario {
            name: "cookie without the dev browser (development instance)",
            headers: vec![cookie_without_dev_browser(format!(
                "__session={admin}; {uat}"
            ))],
            outcome: Outcome::SignedOut(SignedOut::DevBrowserMissing),
        },
        Scenario {
            name: "Basic header plus cookie",
            headers: vec![
                ("authorization", b"Basic dXNlcjpwYXNzd29yZA==".to_vec()),
                cookie(format!("theme=dark; __session={admin}; {uat}")),
            ],
            outcome: signed_in_admin,
        },
        Scenario {
            name: "no token",
            headers: vec![],
            outcome: Outcome::SignedOut(SignedOut::NoToken),
        },
        Scenario {
            name: "signed-out client (client_uat=0)",
            headers: vec![cookie(format!("__session={admin}; __client_uat=0"))],
            outcome: Outcome::SignedOut(SignedOut::SessionWithoutClientUat),
        },
        Scenario {
            name: "empty bearer",
            headers: vec![("authorization", b"Bearer ".to_vec())],
            outcome: Outcome::SignedOut(SignedOut::InvalidHeader),
        },
        Scenario {
            name: "expired",
            headers: vec![bearer(
                &local
                    .token(ADMIN)
                    .azp(AUTHORIZED_PARTY)
                    .issued_at(unix_now() - 600)
                    .expires_at(unix_now() - 300)
                    .mint(),
            )],
            outcome: token_error(VerifyError::Expired),
        },
        Scenario {
            name: "wrong azp",
            headers: vec![bearer(
                &local.token(ADMIN).azp("https://evil.example.com").mint(),
            )],
            outcome: token_error(VerifyError::InvalidAuthorizedParty),
        },
        Scenario {
            name: "missing azp",
            headers: vec![bearer(&local.token(ADMIN).mint())],
            outcome: token_error(VerifyError::InvalidAuthorizedParty),
        },
        Scenario {
            name: "forged signature",
            headers: vec![bearer(&forge(&admin, &member))],
            outcome: token_error(VerifyError::InvalidSignature),
        },
        Scenario {
            name: "wrong issuer",
            headers: vec![bearer(
                &local
                    .token(ADMIN)
                    .azp(AUTHORIZED_PARTY)
                    .issuer("https://clerk.evil.example.com")
                    .mint(),
            )],
            outcome: token_error(VerifyError::InvalidIssuer),
        },
        Scenario {
            name: "pending session",
            headers: vec![bearer(
                &local
                    .token(ADMIN)
                    .azp(AUTHORIZED_PARTY)
                    .status("pending")
                    .mint(),
            )],
            outcome: token_error(VerifyError::SessionPending),
        },
        Scenario {
            name: "not a JWT",
            headers: vec![bearer("not-a-jwt")],
            outcome: token_error(VerifyError::Malformed(
                "a JWT has three parts separated by dots",
            )),
        },
        Scenario {
            name: "oversized",
            headers: vec![bearer(&"a".repeat(9 * 1024))],
            outcome: token_error(VerifyError::TooLarge { max: 8 * 1024 }),
        },
        Scenario {
            name: "non-UTF-8 header",
            headers: vec![(
                "authorization",
                b"Bearer \xff\xfe\xfd.\xc3\x28.abc".to_vec(),
            )],
            outcome: token_error(VerifyError::Malformed("the token is not printable ASCII")),
        },
    ]
}

fn expect(route: Route, outcome: &Outcome) -> Expected {
    match outcome {
        _ if route == Route::Public => Expected::text("public"),
        _ if route == Route::Client => Expected::text("client"),
        Outcome::SignedIn { .. } if route.machines_only() => {
            Expected::rejection(&Rejection::token_type_mismatch(TokenKind::SessionToken))
        }
        Outcome::SignedIn { user, .. } if route == Route::Caller => {
            Expected::text(&format!("session_token {user}"))
        }
        Outcome::SignedIn { .. } if route == Route::OptionalMachine => Expected::text("anonymous"),
        Outcome::Machine {
            kind,
            subject,
            scoped,
        } => match route {
            Route::Machine | Route::OptionalMachine | Route::Caller => {
                Expected::text(&format!("{} {subject}", kind.name()))
            }
            Route::GuardMachine => Expected::text("ok"),
            Route::GuardScope if *scoped => Expected::text("ok"),
            Route::GuardScope => Expected::rejection(&Rejection::forbidden()),
            Route::GuardApiKey if *kind == TokenKind::ApiKey => Expected::text("ok"),
            _ if route.is_optional() => Expected::text("anonymous"),
            _ => Expected::rejection(&Rejection::token_type_mismatch(*kind)),
        },
        Outcome::SignedIn { user, admin } => {
            if !route.is_guard() {
                Expected::text(user)
            } else if *admin || route.member_passes() {
                Expected::text("ok")
            } else {
                Expected::rejection(&Rejection::forbidden())
            }
        }
        Outcome::UserGone { user } => match route {
            Route::User => Expected::rejection(&Rejection::lookup_failed(LookupFailure::NotFound)),
            Route::OptionalUser => Expected::text("anonymous"),
            _ => expect(
                route,
                &Outcome::SignedIn {
                    user: user.clone(),
                    admin: false,
                },
            ),
        },
        Outcome::LookupFails { user, failure } => match route {
            Route::User | Route::OptionalUser => {
                Expected::rejection(&Rejection::lookup_failed(*failure))
            }
            _ => expect(
                route,
                &Outcome::SignedIn {
                    user: user.clone(),
                    admin: false,
                },
            ),
        },
        Outcome::SignedOut(why) if route.is_optional() && !why.is_unavailable() => {
            Expected::text("anonymous")
        }
        Outcome::SignedOut(why) => Expected::rejection(&Rejection::signed_out(why)),
    }
}

fn table(scenarios: Vec<Scenario>, routes: &[Route]) -> Vec<Case> {
    let mut cases = Vec::new();
    for scenario in &scenarios {
        for &route in routes {
            let mut case = Case::new(
                format!("{} GET {}", scenario.name, route.path()),
                route.path().to_owned(),
                scenario.headers.clone(),
            );
            case.expected = expect(route, &scenario.outcome);
            cases.push(case);
        }
    }
    cases
}

/// The same requests sent to the `/hooked` mounting: every rejection (401, 403, 503, 502, the
/// user lookup's) goes through its `on_rejection` hook; other answers are the same. The user
/// lookup counts are dropped (that mounting's middleware has its own user cache).
pub fn hooked(cases: Vec<Case>) -> Vec<Case> {
    cases
        .into_iter()
        .map(|case| Case {
            name: format!("{} (hooked)", case.name),
            path: format!("{HOOKED}{}", case.path),
            user_lookups: None,
            expected: case.expected.hooked(),
            ..case
        })
        .collect()
}

/// Every case against a running `local`: each route × signed in (admin, member, cookie only,
/// Basic header plus cookie) and signed out (no token, expired, wrong or missing `azp`, forged,
/// wrong issuer, pending, malformed, oversized, non-UTF-8 header, signed-out client).
pub fn cases(local: &LocalClerk) -> Vec<Case> {
    table(scenarios(local), &Route::ALL)
}

/// A user created in `local`'s Backend API (a unique email each time) and a valid token of it.
fn new_user(local: &LocalClerk) -> (String, String) {
    static USERS: AtomicUsize = AtomicUsize::new(0);
    let n = USERS.fetch_add(1, Ordering::Relaxed);
    let user = local
        .users()
        .create(NewUser::with_email(format!("ada{n}@example.com")).first_name("Ada"));
    let token = local.token(&user.id).azp(AUTHORIZED_PARTY).mint();
    (user.id, token)
}

/// The cases of the user routes ([`Route::USER`]) against a running `local`: a user that
/// exists in its Backend API (bearer, cookie), one it does not know (deleted), and signed-out
/// requests. Creates the user in `local`. Each request says how many user lookups it makes:
/// the existing user's first one only (then cached), the deleted user's first one only (a
/// missing user is remembered for a few seconds), none for a signed-out request.
pub fn user_cases(local: &LocalClerk) -> Vec<Case> {
    let (ada, token) = new_user(local);
    let gone = local.token(DELETED).azp(AUTHORIZED_PARTY).mint();
    let uat = format!("__client_uat={}", unix_now() - 30);
    let ada_signed_in = Outcome::SignedIn {
        user: ada.clone(),
        admin: false,
    };
    let mut cases = table(
        vec![
            Scenario {
                name: "existing user bearer",
                headers: vec![bearer(&token)],
                outcome: ada_signed_in.clone(),
            },
            Scenario {
                name: "existing user cookie only",
                headers: vec![cookie(format!("__session={token}; {uat}"))],
                outcome: ada_signed_in,
            },
            Scenario {
                name: "deleted user",
                headers: vec![bearer(&gone)],
                outcome: Outcome::UserGone {
                    user: DELETED.to_owned(),
                },
            },
            Scenario {
                name: "no token",
                headers: vec![],
                outcome: Outcome::SignedOut(SignedOut::NoToken),
            },
            Scenario {
                name: "expired",
                headers: vec![bearer(
                    &local
                        .token(&ada)
                        .azp(AUTHORIZED_PARTY)
                        .issued_at(unix_now() - 600)
                        .expires_at(unix_now() - 300)
                        .mint(),
                )],
                outcome: token_error(VerifyError::Expired),
            },
            Scenario {
                name: "forged signature",
                headers: vec![bearer(&forge(&token, &gone))],
                outcome: token_error(VerifyError::InvalidSignature),
            },
        ],
        &Route::USER,
    );
    for (i, case) in cases.iter_mut().enumerate() {
        // Rows 0 and 4 are the first requests of Ada and of the deleted user.
        case.user_lookups = Some(usize::from(i == 0 || i == 4));
    }
    cases
}

/// A fault of the Backend API, what a user lookup makes of it, and how many calls it makes
/// (when certain).
struct LookupFault {
    name: &'static str,
    fault: Fault,
    failure: LookupFailure,
    calls: Option<usize>,
    slow: bool,
}

fn lookup_faults() -> Vec<LookupFault> {
    use LookupFailure::{Failed, Unavailable};
    let fault = |name, fault, failure| LookupFault {
        name,
        fault,
        failure,
        calls: None,
        slow: false,
    };
    vec![
        fault("Backend API 500", Fault::Status(500), Failed),
        fault("Backend API 502", Fault::Status(502), Failed),
        LookupFault {
            // Retried once (two attempts at most), then given up on.
            calls: Some(2),
            ..fault("Backend API 503", Fault::Status(503), Unavailable)
        },
        fault(
            "Backend API 401 (a bad secret key)",
            Fault::Status(401),
            Failed,
        ),
        fault("Backend API 403", Fault::Status(403), Failed),
        // A 404 is a missing user only when Clerk says so (`resource_not_found`, the deleted
        // user of `user_cases`); any other 404, such as a wrong `CLERK_API_URL` gives, is the
        // server's failure, not a reason to sign users out.
        fault(
            "Backend API 404 with another code",
            Fault::Status(404),
            Failed,
        ),
        fault("an HTML 404, not Clerk's", Fault::NotClerk(404), Failed),
        fault("an HTML 502 from a proxy", Fault::NotClerk(502), Failed),
        fault(
            "an HTML 503 from a proxy",
            Fault::NotClerk(503),
            Unavailable,
        ),
        LookupFault {
            // Past the client's `max_retry_after`: not retried.
            calls: Some(1),
            ..fault(
                "rate limited, Retry-After 120 s",
                Fault::RateLimited {
                    retry_after_secs: 120,
                },
                Unavailable,
            )
        },
        LookupFault {
            // Within the client's `max_retry_after` but past the lookup timeout: not waited for.
            calls: Some(1),
            slow: true,
            ..fault(
                "rate limited, Retry-After 4 s",
                Fault::RateLimited {
                    retry_after_secs: 4,
                },
                Unavailable,
            )
        },
        fault("connection closed unanswered", Fault::Close, Unavailable),
        LookupFault {
            slow: true,
            ..fault(
                "slower than the lookup timeout",
                Fault::Delay(Duration::from_secs(5)),
                Unavailable,
            )
        },
        LookupFault {
            slow: true,
            ..fault("never answers", Fault::Hang, Unavailable)
        },
    ]
}

/// The user routes ([`Route::USER`]) and `/session` while the Backend API fails, one group per
/// fault LocalClerk can inject, each with a user of its own (not in the cache): `ClerkUser` and
/// its option both answer [`Rejection::lookup_failed`] (401 `user-not-found` only for Clerk's
/// own `resource_not_found`, in `user_cases`; 503 `user_lookup_unavailable` when it may work
/// later; 502 `user_lookup_failed` otherwise), within [`LOOKUP_TIMEOUT`] when the API is slow,
/// while session routes still work. Then the fault is cleared and the same requests succeed:
/// failures are not cached. Creates the users in `local`.
pub fn lookup_failure_cases(local: &LocalClerk) -> Vec<Case> {
    let routes = [Route::User, Route::OptionalUser, Route::Session];
    let mut cases = Vec::new();
    for fault in lookup_faults() {
        let (user, token) = new_user(local);
        let mut failing = table(
            vec![Scenario {
                name: fault.name,
                headers: vec![bearer(&token)],
                outcome: Outcome::LookupFails {
                    user: user.clone(),
                    failure: fault.failure,
                },
            }],
            &routes,
        );
        for case in &mut failing {
            case.clerk = ClerkState::ApiFault(fault.fault);
            if case.path != Route::Session.path() {
                case.user_lookups = fault.calls;
            }
            if fault.slow {
                case.within = Some(LOOKUP_TIMEOUT + Duration::from_secs(1));
            }
        }
        let mut recovered = table(
            vec![Scenario {
                name: "after the fault is cleared",
                headers: vec![bearer(&token)],
                outcome: Outcome::SignedIn { user, admin: false },
            }],
            &routes,
        );
        for (i, case) in recovered.iter_mut().enumerate() {
            case.name = format!("{}, {}", fault.name, case.name);
            case.clerk = ClerkState::Up;
            // The first request loads the user (the failure was not cached), then it is cached.
            case.user_lookups = Some(usize::from(i == 0));
        }
        cases.extend(failing);
        cases.extend(recovered);
    }
    cases
}

/// Requests of a user that exists, with the keys already cached (send after other cases) and
/// LocalClerk then shut down: the user routes answer 503 `user_lookup_unavailable` (the
/// optional one too), session routes still work. Shuts LocalClerk down for good: send these
/// last. Creates the user in `local`.
pub fn lookup_outage_cases(local: &LocalClerk) -> Vec<Case> {
    let (user, token) = new_user(local);
    let mut cases = table(
        vec![Scenario {
            name: "Clerk shut down, keys cached",
            headers: vec![bearer(&token)],
            outcome: Outcome::LookupFails {
                user,
                failure: LookupFailure::Unavailable,
            },
        }],
        &[Route::User, Route::OptionalUser, Route::Session],
    );
    for case in &mut cases {
        case.clerk = ClerkState::Down;
    }
    cases
}

/// Hostile or unusual headers, each on every route of [`Route::ALL`], small enough for any
/// HTTP server's limits: non-ASCII and non-UTF-8 values, duplicate `Authorization` headers, a
/// session cookie after 16 KiB of other cookies, scheme spelling and spacing, a tab.
pub fn hostile_cases(local: &LocalClerk) -> Vec<Case> {
    let admin = admin_token(local);
    let member = member_token(local);
    let uat = format!("__client_uat={}", unix_now() - 30);
    let signed_in = Outcome::SignedIn {
        user: ADMIN.to_owned(),
        admin: true,
    };
    let not_printable = token_error(VerifyError::Malformed("the token is not printable ASCII"));
    let mut other_cookies = String::new();
    for i in 0.. {
        if other_cookies.len() >= 16 * 1024 {
            break;
        }
        other_cookies.push_str(&format!("c{i}=v{i}; "));
    }
    let scenarios = vec![
        Scenario {
            name: "non-ASCII UTF-8 bearer",
            headers: vec![("authorization", "Bearer héllo.wörld.✓".as_bytes().to_vec())],
            outcome: not_printable.clone(),
        },
        Scenario {
            name: "non-UTF-8 scheme, valid cookie",
            headers: vec![
                ("authorization", b"\xffearer abc".to_vec()),
                cookie(format!("__session={admin}; {uat}")),
            ],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "non-UTF-8 scheme",
            headers: vec![("authorization", b"\xffearer abc".to_vec())],
            outcome: Outcome::SignedOut(SignedOut::NoToken),
        },
        Scenario {
            name: "valid token with a non-ASCII byte appended",
            headers: vec![(
                "authorization",
                [format!("Bearer {admin}").into_bytes(), b"\xe9".to_vec()].concat(),
            )],
            outcome: not_printable.clone(),
        },
        Scenario {
            name: "non-ASCII UTF-8 session cookie",
            headers: vec![cookie(format!("__session=\u{e9}; {uat}"))],
            outcome: not_printable.clone(),
        },
        Scenario {
            name: "non-UTF-8 session cookie",
            headers: vec![(
                "cookie",
                [
                    b"__session=\xff\xfe.a.b; __clerk_db_jwt=d; ".to_vec(),
                    uat.clone().into_bytes(),
                ]
                .concat(),
            )],
            outcome: not_printable,
        },
        Scenario {
            // Like Clerk: a client_uat that is not a number counts as 0 (signed out).
            name: "non-ASCII, non-numeric client_uat",
            headers: vec![cookie(format!("__session={admin}; __client_uat=\u{ff}"))],
            outcome: Outcome::SignedOut(SignedOut::SessionWithoutClientUat),
        },
        Scenario {
            name: "non-UTF-8 junk cookies around a valid session",
            headers: vec![(
                "cookie",
                [
                    b"\xff\xfe=\x80; ;;=; a; __clerk_db_jwt=d".to_vec(),
                    format!("; __session={admin}; {uat}").into_bytes(),
                ]
                .concat(),
            )],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "non-UTF-8 unrelated header, valid bearer",
            headers: vec![("x-junk", b"\xff\xfe\x80".to_vec()), bearer(&admin)],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "duplicate Authorization, both valid",
            headers: vec![bearer(&admin), bearer(&member)],
            outcome: Outcome::SignedOut(SignedOut::InvalidHeader),
        },
        Scenario {
            name: "duplicate Authorization, the same token twice",
            headers: vec![bearer(&admin), bearer(&admin)],
            outcome: Outcome::SignedOut(SignedOut::InvalidHeader),
        },
        Scenario {
            name: "duplicate Authorization, valid then garbage",
            headers: vec![bearer(&admin), ("authorization", b"\xff".to_vec())],
            outcome: Outcome::SignedOut(SignedOut::InvalidHeader),
        },
        Scenario {
            name: "duplicate Authorization, Basic and Bearer",
            headers: vec![
                ("authorization", b"Basic dXNlcjpwYXNz".to_vec()),
                bearer(&admin),
            ],
            outcome: Outcome::SignedOut(SignedOut::InvalidHeader),
        },
        Scenario {
            name: "16 KiB of other cookies before the session",
            headers: vec![cookie(format!("{other_cookies}__session={admin}; {uat}"))],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "16 KiB cookie value before the session",
            headers: vec![cookie(format!(
                "theme={}; __session={admin}; {uat}",
                "x".repeat(16 * 1024)
            ))],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "oversized session cookie",
            headers: vec![cookie(format!("__session={}; {uat}", "a".repeat(9 * 1024)))],
            outcome: token_error(VerifyError::TooLarge { max: 8 * 1024 }),
        },
        Scenario {
            name: "quoted session cookie",
            headers: vec![cookie(format!("__session=\"{admin}\"; {uat}"))],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "two session cookies, the first one counts",
            headers: vec![cookie(format!("__session={admin}; __session=junk; {uat}"))],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "Bearer and the token three spaces apart",
            headers: vec![("authorization", format!("Bearer   {admin}").into_bytes())],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "lowercase bearer",
            headers: vec![("authorization", format!("bearer {admin}").into_bytes())],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "uppercase BEARER",
            headers: vec![("authorization", format!("BEARER {admin}").into_bytes())],
            outcome: signed_in,
        },
        Scenario {
            // HTTP allows no control byte in a header value but the tab; Bearer must be
            // followed by a space.
            name: "a tab between Bearer and the token",
            headers: vec![("authorization", format!("Bearer\t{admin}").into_bytes())],
            outcome: Outcome::SignedOut(SignedOut::NoToken),
        },
    ];
    table(scenarios, &Route::ALL)
}

const MIB: usize = 1024 * 1024;

/// Enormous headers, on `/session` and `/optional`, for in-process runs only (over HTTP each
/// server's own limits on the request head answer first): a 1 MiB session cookie, bearer and
/// bearer of dots (all too large), a valid session after a 1 MiB cookie, after 100 000 cookies
/// in one header, and in the last of 10 000 `Cookie` headers.
pub fn huge_header_cases(local: &LocalClerk) -> Vec<Case> {
    let admin = admin_token(local);
    let uat = format!("__client_uat={}", unix_now() - 30);
    let signed_in = Outcome::SignedIn {
        user: ADMIN.to_owned(),
        admin: true,
    };
    let too_large = token_error(VerifyError::TooLarge { max: 8 * 1024 });
    let mut many_cookies = String::with_capacity(2 * MIB);
    for i in 0..100_000 {
        many_cookies.push_str(&format!("c{i}=v{i}; "));
    }
    many_cookies.push_str(&format!("__session={admin}; {uat}"));
    let mut many_headers: Vec<(&'static str, Vec<u8>)> = (0..10_000)
        .map(|i| ("cookie", format!("c{i}=v").into_bytes()))
        .collect();
    many_headers.push(cookie(format!("__session={admin}; {uat}")));
    let scenarios = vec![
        Scenario {
            name: "1 MiB session cookie",
            headers: vec![cookie(format!("__session={}; {uat}", "a".repeat(MIB)))],
            outcome: too_large.clone(),
        },
        Scenario {
            name: "1 MiB unrelated cookie and a valid session",
            headers: vec![cookie(format!(
                "theme={}; __session={admin}; {uat}",
                "x".repeat(MIB)
            ))],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "100 000 cookies in one header, then a valid session",
            headers: vec![cookie(many_cookies)],
            outcome: signed_in.clone(),
        },
        Scenario {
            name: "10 000 Cookie headers, then a valid session",
            headers: many_headers,
            outcome: signed_in,
        },
        Scenario {
            name: "1 MiB bearer",
            headers: vec![bearer(&"a".repeat(MIB))],
            outcome: too_large.clone(),
        },
        Scenario {
            name: "1 MiB bearer of dots",
            headers: vec![bearer(&".".repeat(MIB))],
            outcome: too_large,
        },
    ];
    table(scenarios, &[Route::Session, Route::Optional])
}

/// The routes mounted under `/bare`, without the middleware: every extractor (optional ones
/// too) and guard answers 500 `missing_clerk_layer`, whose message names `middleware` (the
/// adapter's middleware type), signed-in request or not. The public route still works.
pub fn missing_layer_cases(local: &LocalClerk, middleware: &str) -> Vec<Case> {
    let missing = Expected {
        names: Some(middleware.to_owned()),
        ..Expected::rejection(&Rejection::missing_layer(middleware))
    };
    let mut cases = Vec::new();
    for (scenario, headers) in [
        ("no token", vec![]),
        ("admin bearer", vec![bearer(&admin_token(local))]),
    ] {
        for route in Route::ALL.into_iter().chain(Route::USER) {
            let mut case = Case::new(
                format!("without the middleware, {scenario} GET {}", route.path()),
                format!("{BARE}{}", route.path()),
                headers.clone(),
            );
            case.expected = match route {
                Route::Public => Expected::text("public"),
                _ => missing.clone(),
            };
            cases.push(case);
        }
    }
    cases
}

/// The signing secret of the contract app's webhook endpoint (its webhook layer's `Webhook`,
/// with replay protection for 1 000 deliveries).
pub const WEBHOOK_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// The path of the contract app's webhook route: `ClerkWebhook` with replay protection,
/// answering `<event type> <delivery id>`, or 500 [`HANDLER_FAILED`] for a delivery id that
/// starts with `msg_fail`.
pub const WEBHOOK: &str = "/webhook";

/// A route with the webhook extractor but without the webhook layer: 500
/// `webhook_not_configured`.
pub const UNCONFIGURED_WEBHOOK: &str = "/webhook-unconfigured";

/// The body of the webhook handler's 500.
pub const HANDLER_FAILED: &str = "handler failed";

/// Webhook deliveries to `/webhook` (and the same to `/hooked/webhook`, and to `/bare/webhook`
/// without the Clerk middleware: the webhook route needs only its webhook layer): signed
/// deliveries of a typed and of an unknown event with Svix's and with the Standard Webhooks
/// headers and during a secret rotation are answered by the handler; every way a delivery fails
/// to verify is a 400 with its code (never 401/403); a route without the webhook layer
/// ([`UNCONFIGURED_WEBHOOK`]) a 500 `webhook_not_configured`. With replay protection, a delivery
/// the handler failed reaches it again and one it accepted is acknowledged without it. Last, a
/// `user.updated` delivery between two `/user` requests makes the second load the user again
/// (the `ClerkUser` cache drops it).
pub fn webhook_cases(local: &LocalClerk) -> Vec<Case> {
    use clerk_core::webhooks::{WebhookError, sign};
    let user = local
        .users()
        .create(NewUser::with_email("hook@example.com"));
    let data = serde_json::to_string(&user).expect("a user serializes");
    let event = |kind: &str| {
        format!(
            r#"{{"type":"{kind}","object":"event","timestamp":1716883200000,"instance_id":"ins_1","data":{data}}}"#
        )
        .into_bytes()
    };
    let now = unix_now();
    let signed = |id: &str, at: i64, body: &[u8]| {
        sign(WEBHOOK_SECRET, id, at, body).expect("the contract's secret is valid")
    };
    let svix = |id: &str, at: i64, signature: String| {
        vec![
            ("svix-id", id.as_bytes().to_vec()),
            ("svix-timestamp", at.to_string().into_bytes()),
            ("svix-signature", signature.into_bytes()),
        ]
    };
    let created = event("user.created");
    let unknown = event("user.renamed_tomorrow");
    let other_secret = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_1",
        now,
        &created,
    )
    .expect("valid secret");
    let huge = vec![b' '; clerk_core::webhooks::DEFAULT_MAX_BODY_BYTES + 1];
    let ok = |answer: &str| Expected::text(answer);
    let bad = |error: WebhookError| Expected::rejection(&Rejection::invalid_webhook(&error));
    let mut standard = svix("msg_std", now, signed("msg_std", now, &created));
    for (name, _) in &mut standard {
        *name = match *name {
            "svix-id" => "webhook-id",
            "svix-timestamp" => "webhook-timestamp",
            _ => "webhook-signature",
        };
    }
    let mut missing_signature = svix("msg_1", now, signed("msg_1", now, &created));
    missing_signature.pop();
    type Headers = Vec<(&'static str, Vec<u8>)>;
    let rows: Vec<(&str, Headers, Vec<u8>, Expected)> = vec![
        (
            "signed user.created",
            svix("msg_1", now, signed("msg_1", now, &created)),
            created.clone(),
            ok("user.created msg_1"),
        ),
        (
            "Standard Webhooks headers",
            standard,
            created.clone(),
            ok("user.created msg_std"),
        ),
        (
            "secret rotation: old and new signatures",
            svix(
                "msg_2",
                now,
                format!("{other_secret} {}", signed("msg_2", now, &created)),
            ),
            created.clone(),
            ok("user.created msg_2"),
        ),
        (
            "an event type added tomorrow",
            svix("msg_3", now, signed("msg_3", now, &unknown)),
            unknown.clone(),
            ok("user.renamed_tomorrow msg_3"),
        ),
        (
            "signed with another secret",
            svix("msg_1", now, other_secret.clone()),
            created.clone(),
            bad(WebhookError::NoMatchingSignature),
        ),
        (
            "body altered after signing",
            svix("msg_1", now, signed("msg_1", now, &created)),
            unknown.clone(),
            bad(WebhookError::NoMatchingSignature),
        ),
        (
            "no signature header",
            missing_signature,
            created.clone(),
            bad(WebhookError::MissingHeader("svix-signature")),
        ),
        (
            "no headers",
            vec![],
            created.clone(),
            bad(WebhookError::MissingHeader("svix-id")),
        ),
        (
            "sent 10 minutes ago",
            svix("msg_1", now - 600, signed("msg_1", now - 600, &created)),
            created.clone(),
            bad(WebhookError::TooOld),
        ),
        (
            "sent 10 minutes in the future",
            svix("msg_1", now + 600, signed("msg_1", now + 600, &created)),
            created.clone(),
            bad(WebhookError::TooNew),
        ),
        (
            "timestamp not a number",
            vec![
                ("svix-id", b"msg_1".to_vec()),
                ("svix-timestamp", b"yesterday".to_vec()),
                (
                    "svix-signature",
                    signed("msg_1", now, &created).into_bytes(),
                ),
            ],
            created.clone(),
            bad(WebhookError::InvalidTimestamp),
        ),
        (
            "signed, but not an event",
            svix("msg_1", now, signed("msg_1", now, b"[1,2,3]")),
            b"[1,2,3]".to_vec(),
            Expected {
                body: String::new(),
                names: Some("not a Clerk event".to_owned()),
                ..bad(WebhookError::InvalidEvent(String::new()))
            },
        ),
        (
            "body over the 1 MiB limit",
            svix("msg_1", now, signed("msg_1", now, &huge)),
            huge,
            bad(WebhookError::BodyTooLarge {
                max: clerk_core::webhooks::DEFAULT_MAX_BODY_BYTES,
            }),
        ),
    ];
    let mut cases = Vec::new();
    for (scenario, headers, body, expected) in rows {
        for (prefix, expected) in [
            ("", expected.clone()),
            (HOOKED, expected.clone().hooked()),
            (BARE, expected),
        ] {
            let path = format!("{prefix}{WEBHOOK}");
            let mut case = Case::new(format!("{scenario} POST {path}"), path, headers.clone());
            case.method = "POST";
            case.body = body.clone();
            case.expected = expected;
            cases.push(case);
        }
    }
    // A webhook extractor on a route without the webhook layer: the server's fault.
    let unconfigured = Expected::rejection(&Rejection::webhook_not_configured());
    for (prefix, expected) in [
        ("", unconfigured.clone()),
        (HOOKED, unconfigured.clone().hooked()),
        (BARE, unconfigured),
    ] {
        let path = format!("{prefix}{UNCONFIGURED_WEBHOOK}");
        let headers = svix("msg_1", now, signed("msg_1", now, &created));
        let mut case = Case::new(format!("no webhook layer POST {path}"), path, headers);
        case.method = "POST";
        case.body = created.clone();
        case.expected = expected;
        cases.push(case);
    }
    // Replay protection: a delivery whose handler failed reaches the handler again; one it
    // accepted is acknowledged (200 `webhook_replayed`) without calling it.
    let failing = Expected {
        status: 500,
        ..Expected::text(HANDLER_FAILED)
    };
    let replayed = Expected::rejection(&Rejection::webhook_replayed());
    for (scenario, id, expected) in [
        ("a delivery the handler fails", "msg_fail", failing.clone()),
        ("its retry reaches the handler again", "msg_fail", failing),
        ("a delivery the handler accepted, again", "msg_1", replayed),
    ] {
        for (prefix, expected) in [("", expected.clone()), (HOOKED, expected.hooked())] {
            let path = format!("{prefix}{WEBHOOK}");
            let mut case = Case::new(
                format!("{scenario} POST {path}"),
                path,
                svix(id, now, signed(id, now, &created)),
            );
            case.method = "POST";
            case.body = created.clone();
            case.expected = expected;
            cases.push(case);
        }
    }
    // A verified `user.updated` drops the user from the `ClerkUser` cache: the next request
    // loads it again.
    let token = local.token(&user.id).azp(AUTHORIZED_PARTY).mint();
    let updated = event("user.updated");
    let get_user = |lookups: usize| {
        let mut case = Case::new(
            format!("ClerkUser around a user.updated webhook, {lookups} lookup(s) GET /user"),
            "/user".to_owned(),
            vec![bearer(&token)],
        );
        case.clerk = ClerkState::Up;
        case.user_lookups = Some(lookups);
        case.expected = ok(&user.id);
        case
    };
    cases.push(get_user(1));
    cases.push(get_user(0));
    let mut hook = Case::new(
        format!("user.updated POST {WEBHOOK}"),
        WEBHOOK.to_owned(),
        svix("msg_u", now, signed("msg_u", now, &updated)),
    );
    hook.method = "POST";
    hook.body = updated;
    hook.expected = ok("user.updated msg_u");
    cases.push(hook);
    cases.push(get_user(1));
    cases
}

/// The cases for an app whose Clerk cannot be reached and has no keys cached (the cases shut
/// LocalClerk down: mint `token` before): routes that need a session answer 503
/// `keys_unavailable` (optional ones too: a signed-in user must not be served as anonymous), a
/// request without a token is still a plain 401, public routes still work.
///
/// `token` is a valid admin token of the instance, minted before the shutdown.
///
/// The user routes are included: they answer 503 before any Backend API call.
pub fn outage_cases(token: &str) -> Vec<Case> {
    let mut cases = key_failure_cases(token);
    for case in &mut cases {
        case.clerk = ClerkState::Down;
    }
    cases
}

/// The cases of [`outage_cases`] with LocalClerk up but its `/v1/jwks` answering 503.
pub fn jwks_failure_cases(token: &str) -> Vec<Case> {
    let mut cases = key_failure_cases(token);
    for case in &mut cases {
        case.clerk = ClerkState::JwksFault(Fault::Status(503));
    }
    cases
}

fn key_failure_cases(token: &str) -> Vec<Case> {
    let unavailable = token_error(VerifyError::KeysUnavailable(
        clerk_core::JwksError::Unreachable(String::new()),
    ));
    let scenarios = vec![
        Scenario {
            name: "Clerk down, valid bearer",
            headers: vec![bearer(token)],
            outcome: unavailable.clone(),
        },
        Scenario {
            name: "Clerk down, valid cookie",
            headers: vec![cookie(format!("__session={token}; __client_uat=1"))],
            outcome: unavailable,
        },
        Scenario {
            name: "Clerk down, no token",
            headers: vec![],
            outcome: Outcome::SignedOut(SignedOut::NoToken),
        },
    ];
    let routes: Vec<Route> = Route::ALL.into_iter().chain(Route::USER).collect();
    let mut cases = table(scenarios, &routes);
    for case in &mut cases {
        case.user_lookups = Some(0);
    }
    cases
}

/// The whole table that runs against one LocalClerk started for it, in order: [`cases`],
/// [`user_cases`], [`hostile_cases`], [`missing_layer_cases`] (naming `middleware`),
/// [`webhook_cases`],
/// [`lookup_failure_cases`], each but the hostile and missing-layer ones also on the `/hooked`
/// mounting ([`hooked`]), and last [`lookup_outage_cases`] on both mountings (it shuts LocalClerk
/// down). The key outages ([`outage_cases`], [`jwks_failure_cases`]) need a LocalClerk of their
/// own (no keys cached), and [`huge_header_cases`] runs in process only.
pub fn contract(local: &LocalClerk, middleware: &str) -> Vec<Case> {
    let mut all = cases(local);
    all.extend(hooked(cases(local)));
    all.extend(user_cases(local));
    all.extend(hooked(user_cases(local)));
    all.extend(hostile_cases(local));
    all.extend(missing_layer_cases(local, middleware));
    all.extend(webhook_cases(local));
    all.extend(machine_cases(local));
    all.extend(lookup_failure_cases(local));
    all.extend(hooked(lookup_failure_cases(local)));
    let outage = lookup_outage_cases(local);
    all.extend(hooked(outage.clone()));
    all.extend(outage);
    all
}

/// Machine tokens of every kind, sent to every route of the `/machines` mounting (which accepts
/// every kind) and of the root mounting (which accepts session tokens only), against a running
/// `local`; creates the user, machines, API keys and tokens there.
///
/// Under `/machines`: a valid token of each kind (API key with and without [`SCOPE`], opaque
/// and JWT M2M tokens, opaque and JWT OAuth access tokens) reaches the machine routes with its
/// kind and subject, passes `require_machine`, passes `require_scope` only with the scope
/// (403 without), `require_tokens([ApiKey])` only as an API key, and is `token-type-mismatch`
/// on session routes (anonymous on their options, with no user lookup); a session reaches
/// `/caller` and is `token-type-mismatch` on the machine routes; revoked, expired and unknown
/// tokens are signed out with Clerk's reason; then, with fresh tokens (no cached verdict), the
/// Backend API down, rate limiting or refusing: 503 `token_verification_unavailable`, also on
/// the optional route, while a JWT form still verifies; then up again. At the root, every
/// machine token is `token-type-mismatch`.
pub fn machine_cases(local: &LocalClerk) -> Vec<Case> {
    let (user, _) = new_user(local);
    let (_, scoped) = local.api_keys().create(&user, "scoped", [SCOPE]);
    let (_, plain) = local.api_keys().create(&user, "plain", ["orders:write"]);
    let (revoked_key, revoked) = local.api_keys().create(&user, "revoked", [SCOPE]);
    local.api_keys().revoke(&revoked_key.id, Some("leaked"));
    let machine = local.machines().create("billing").id;
    let m2m = local
        .machines()
        .mint_m2m_token(&machine, Vec::<String>::new(), 3600);
    let m2m_jwt = local.machines().mint_m2m_jwt(&machine, [SCOPE], 3600);
    let expired_m2m_jwt = local.machines().mint_m2m_jwt(&machine, [SCOPE], -60);
    let expired_m2m = local
        .machines()
        .mint_m2m_token(&machine, Vec::<String>::new(), -60);
    let oauth = local.oauth().mint_access_token(&user, "client_1", [SCOPE]);
    let oauth_jwt = local.oauth().mint_jwt(&user, "client_1", ["email"], 3600);
    let unknown = format!("ak_{}", "0".repeat(32));
    let valid = |kind, subject: &str, scoped| Outcome::Machine {
        kind,
        subject: subject.to_owned(),
        scoped,
    };
    let out = |error| Outcome::SignedOut(SignedOut::Machine(error));
    let valid_tokens = [
        (
            "API key with the scope",
            scoped.clone(),
            valid(TokenKind::ApiKey, &user, true),
        ),
        (
            "API key without the scope",
            plain,
            valid(TokenKind::ApiKey, &user, false),
        ),
        (
            "opaque M2M token",
            m2m.clone(),
            valid(TokenKind::M2mToken, &machine, false),
        ),
        (
            "M2M JWT (its scopes are its own claims: they grant nothing)",
            m2m_jwt.clone(),
            valid(TokenKind::M2mToken, &machine, false),
        ),
        (
            "opaque OAuth token",
            oauth.clone(),
            valid(TokenKind::OAuthToken, &user, true),
        ),
        (
            "OAuth JWT",
            oauth_jwt.clone(),
            valid(TokenKind::OAuthToken, &user, false),
        ),
    ];
    let mut scenarios: Vec<Scenario> = valid_tokens
        .iter()
        .map(|(name, token, outcome)| Scenario {
            name,
            headers: vec![bearer(token)],
            outcome: outcome.clone(),
        })
        .collect();
    let admin = admin_token(local);
    scenarios.extend([
        Scenario {
            name: "session",
            headers: vec![bearer(&admin)],
            outcome: Outcome::SignedIn {
                user: ADMIN.to_owned(),
                admin: true,
            },
        },
        Scenario {
            name: "no token",
            headers: vec![],
            outcome: Outcome::SignedOut(SignedOut::NoToken),
        },
        Scenario {
            name: "revoked API key",
            headers: vec![bearer(&revoked)],
            outcome: out(MachineError::Revoked),
        },
        Scenario {
            name: "unknown API key",
            headers: vec![bearer(&unknown)],
            outcome: out(MachineError::NotFound),
        },
        Scenario {
            name: "expired opaque M2M token",
            headers: vec![bearer(&expired_m2m)],
            outcome: out(MachineError::Expired),
        },
        Scenario {
            name: "expired M2M JWT",
            headers: vec![bearer(&expired_m2m_jwt)],
            outcome: out(MachineError::Invalid(VerifyError::Expired)),
        },
    ]);
    let routes: Vec<Route> = Route::ALL.into_iter().chain(Route::USER).collect();
    let mut cases = Vec::new();
    for Scenario {
        name,
        headers,
        outcome,
    } in &scenarios
    {
        // The session is of a user the Backend API does not have: no user routes for it.
        let signed_in = matches!(outcome, Outcome::SignedIn { .. });
        for &route in routes
            .iter()
            .filter(|r| !signed_in || !Route::USER.contains(r))
        {
            let mut case = Case::new(
                format!("accepting any kind, {name} GET {}", route.path()),
                format!("{MACHINES}{}", route.path()),
                headers.clone(),
            );
            case.expected = expect(route, outcome);
            if matches!(outcome, Outcome::Machine { .. }) {
                case.user_lookups = Some(0);
            }
            cases.push(case);
        }
    }
    // The root accepts session tokens only: every machine token is refused by its kind.
    for (name, token, outcome) in &valid_tokens {
        let Outcome::Machine { kind, .. } = outcome else {
            continue;
        };
        let refused = Outcome::SignedOut(SignedOut::TokenTypeMismatch(Some(*kind)));
        for route in Route::ALL {
            let mut case = Case::new(
                format!("accepting sessions only, {name} GET {}", route.path()),
                route.path().to_owned(),
                vec![bearer(token)],
            );
            case.expected = expect(route, &refused);
            cases.push(case);
        }
    }
    // Fresh tokens (no verdict cached) while the Backend API fails: 503, not 401; JWT forms
    // are verified locally and still pass; then the API recovers.
    let unavailable =
        Outcome::SignedOut(SignedOut::Machine(MachineError::Unavailable(String::new())));
    // The 429 comes last: after it, verify calls pause for its Retry-After (still 503 when
    // the Backend API is back, without a call).
    let rate_limited = Fault::RateLimited {
        retry_after_secs: 60,
    };
    for fault in [Fault::Status(503), Fault::Close, rate_limited] {
        let (_, fresh) = local.api_keys().create(&user, "fresh", [SCOPE]);
        let fresh_m2m_jwt = local.machines().mint_m2m_jwt(&machine, [SCOPE], 3600);
        for (route, token, outcome) in [
            (Route::Machine, &fresh, &unavailable),
            (Route::OptionalMachine, &fresh, &unavailable),
            (Route::GuardScope, &fresh, &unavailable),
            (
                Route::Machine,
                &fresh_m2m_jwt,
                &valid(TokenKind::M2mToken, &machine, true),
            ),
        ] {
            let mut case = Case::new(
                format!("Backend API failing ({fault:?}) GET {}", route.path()),
                format!("{MACHINES}{}", route.path()),
                vec![bearer(token)],
            );
            case.clerk = ClerkState::ApiFault(fault);
            case.expected = expect(route, outcome);
            case.within = Some(Duration::from_secs(3));
            cases.push(case);
        }
        let mut recovered = Case::new(
            format!("Backend API recovered from {fault:?} GET /machine"),
            format!("{MACHINES}/machine"),
            vec![bearer(&fresh)],
        );
        recovered.clerk = ClerkState::Up;
        recovered.expected = if fault == rate_limited {
            expect(Route::Machine, &unavailable)
        } else {
            expect(Route::Machine, &valid(TokenKind::ApiKey, &user, true))
        };
        cases.push(recovered);
    }
    let mut refused = Case::new(
        "Backend API refusing the secret key GET /machine".to_owned(),
        format!("{MACHINES}/machine"),
        vec![bearer(&local.api_keys().create(&user, "fresh", [SCOPE]).1)],
    );
    refused.clerk = ClerkState::ApiFault(Fault::Status(401));
    refused.expected = expect(Route::Machine, &out(MachineError::SecretKeyInvalid));
    cases.push(refused);
    let mut up = Case::new(
        "Backend API up again GET /public".to_owned(),
        format!("{MACHINES}/public"),
        vec![],
    );
    up.clerk = ClerkState::Up;
    up.expected = Expected::text("public");
    cases.push(up);
    cases
}

/// [`outage_cases`] on both mountings.
pub fn outage_contract(token: &str) -> Vec<Case> {
    let mut all = outage_cases(token);
    all.extend(hooked(outage_cases(token)));
    all
}

/// [`jwks_failure_cases`] on both mountings.
pub fn jwks_failure_contract(token: &str) -> Vec<Case> {
    let mut all = jwks_failure_cases(token);
    all.extend(hooked(jwks_failure_cases(token)));
    all
}
