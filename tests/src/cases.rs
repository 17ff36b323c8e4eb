//! The request → response contract every web adapter meets, as data.
//!
//! An adapter's test builds the *contract app* below with its own framework, sends every
//! [`Case`] of [`cases`] (and of [`outage_cases`], with its LocalClerk shut down) and checks the
//! answer with [`Case::check`]. The axum adapter's run is `tests/axum_contract.rs`, the actix
//! adapter's `tests/actix_contract.rs`: the same table, so both answer every request identically.
//!
//! # The contract app
//!
//! The Clerk middleware wraps every route, configured with
//! `authorized_parties([AUTHORIZED_PARTY])`, cookies accepted, pending sessions refused.
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

use clerk_core::guard::{LookupFailure, Rejection};
use clerk_core::{SignedOut, VerifyError};
use clerk_testing::{LocalClerk, NewUser, unix_now};

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
}

impl Route {
    /// Every route but the user routes ([`Route::USER`]).
    pub const ALL: [Route; 11] = [
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
        }
    }

    fn is_optional(self) -> bool {
        matches!(
            self,
            Route::Optional | Route::OptionalAuth | Route::OptionalUser
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
    /// Signed out for this reason.
    SignedOut(SignedOut),
}

/// One request of the table and the response it must get.
#[derive(Debug, Clone)]
pub struct Case {
    /// `<scenario> GET <path>`, for failure messages.
    pub name: String,
    /// The request path (method GET).
    pub path: &'static str,
    /// The request headers, as raw bytes (some are not UTF-8 on purpose).
    pub headers: Vec<(&'static str, Vec<u8>)>,
    /// The expected response.
    pub expected: Expected,
}

/// The response a case must get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The status.
    pub status: u16,
    /// The exact body.
    pub body: String,
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
            www_authenticate: None,
            json: false,
        }
    }

    /// The response of a rejection.
    pub fn rejection(rejection: &Rejection) -> Self {
        Self {
            status: rejection.status(),
            body: rejection.json_body(),
            www_authenticate: rejection.www_authenticate().map(str::to_owned),
            json: true,
        }
    }
}

impl Case {
    /// Checks a response; the error says which case failed and how.
    pub fn check(
        &self,
        status: u16,
        www_authenticate: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), String> {
        let body = String::from_utf8_lossy(body);
        let expected = &self.expected;
        let mut problems = Vec::new();
        if status != expected.status {
            problems.push(format!("status {status}, expected {}", expected.status));
        }
        if body != expected.body {
            problems.push(format!("body {body:?}, expected {:?}", expected.body));
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
            for part in value.split(['=', ';', ' ']).filter(|p| p.len() >= 16) {
                if body.contains(part) {
                    problems.push("the body contains token text".to_owned());
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{}: {}", self.name, problems.join("; ")))
        }
    }
}

struct Scenario {
    name: &'static str,
    headers: Vec<(&'static str, Vec<u8>)>,
    outcome: Outcome,
}

fn bearer(token: &str) -> (&'static str, Vec<u8>) {
    ("authorization", format!("Bearer {token}").into_bytes())
}

fn cookie(value: String) -> (&'static str, Vec<u8>) {
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
            cases.push(Case {
                name: format!("{} GET {}", scenario.name, route.path()),
                path: route.path(),
                headers: scenario.headers.clone(),
                expected: expect(route, &scenario.outcome),
            });
        }
    }
    cases
}

/// Every case against a running `local`: each route × signed in (admin, member, cookie only,
/// Basic header plus cookie) and signed out (no token, expired, wrong or missing `azp`, forged,
/// wrong issuer, pending, malformed, oversized, non-UTF-8 header, signed-out client).
pub fn cases(local: &LocalClerk) -> Vec<Case> {
    table(scenarios(local), &Route::ALL)
}

/// The cases of the user routes ([`Route::USER`]) against a running `local`: a user that
/// exists in its Backend API (bearer, cookie), one it does not know (deleted), and signed-out
/// requests. Creates the user in `local`.
pub fn user_cases(local: &LocalClerk) -> Vec<Case> {
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.token(&ada.id).azp(AUTHORIZED_PARTY).mint();
    let gone = local.token(DELETED).azp(AUTHORIZED_PARTY).mint();
    let uat = format!("__client_uat={}", unix_now() - 30);
    let ada_signed_in = Outcome::SignedIn {
        user: ada.id.clone(),
        admin: false,
    };
    table(
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
                        .token(&ada.id)
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
    )
}

/// The cases for an app whose Clerk cannot be reached and has no keys cached (call
/// `local.shutdown().await` after minting and before the first request): routes that need a
/// session answer 503 `keys_unavailable` (optional ones too: a signed-in user must not be served
/// as anonymous), a request without a token is still a plain 401, public routes still work.
///
/// `token` is a valid admin token of the instance, minted before the shutdown.
///
/// The user routes are included: they answer 503 before any Backend API call.
pub fn outage_cases(token: &str) -> Vec<Case> {
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
    table(scenarios, &routes)
}
