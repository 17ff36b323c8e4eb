//! Properties of the claims and `has()`, over tokens LocalClerk mints as Clerk does and the SDK
//! verifies (networkless, with the instance's PEM key):
//!
//! - `has()` never grants on an empty check, whatever the session holds;
//! - `has()` is monotonic: a check granted to a session is granted to a session that holds
//!   more (more permissions, more features);
//! - the v1 and v2 tokens of the same session normalize to the same organization, role and
//!   permissions, and answer every `has()` alike.

use std::sync::OnceLock;

use clerk_core::{Clerk, Has, SessionClaims};
use clerk_testing::LocalClerk;
use proptest::prelude::*;

/// One LocalClerk (and its runtime) for every case: minting is synchronous, verifying is not.
fn fixture() -> &'static (tokio::runtime::Runtime, LocalClerk, Clerk) {
    static FIXTURE: OnceLock<(tokio::runtime::Runtime, LocalClerk, Clerk)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let local = runtime.block_on(LocalClerk::start());
        let clerk = Clerk::builder()
            .jwt_key(local.keys().public_key_pem())
            .issuer(local.issuer())
            .build()
            .expect("a PEM key");
        (runtime, local, clerk)
    })
}

/// A session as a token holds it.
#[derive(Debug, Clone)]
struct Session {
    role: String,
    /// `org:<feature>:<action>`.
    permissions: Vec<String>,
    /// `o:<feature>` / `u:<feature>`.
    features: Vec<String>,
    plan: Option<String>,
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z_]{0,7}"
}

fn session() -> impl Strategy<Value = Session> {
    (
        prop_oneof![Just("admin".to_owned()), Just("member".to_owned()), name()],
        proptest::collection::vec((name(), name()), 0..6),
        proptest::collection::vec((any::<bool>(), name()), 0..4),
        proptest::option::of((any::<bool>(), name())),
    )
        .prop_map(|(role, permissions, features, plan)| Session {
            role: format!("org:{role}"),
            permissions: permissions
                .into_iter()
                .map(|(feature, action)| format!("org:{feature}:{action}"))
                .collect(),
            features: features
                .into_iter()
                .map(|(org, f)| format!("{}:{f}", if org { "o" } else { "u" }))
                .collect(),
            plan: plan.map(|(org, p)| format!("{}:{p}", if org { "o" } else { "u" })),
        })
}

/// A check: some of role, permission, feature and plan, from names the session may or may not
/// hold.
fn check() -> impl Strategy<Value = Has> {
    let scoped = || {
        (prop_oneof![Just("org:"), Just("user:"), Just("")], name())
            .prop_map(|(s, n)| s.to_owned() + &n)
    };
    (
        proptest::option::of(name().prop_map(|r| format!("org:{r}"))),
        proptest::option::of((name(), name()).prop_map(|(f, a)| format!("org:{f}:{a}"))),
        proptest::option::of(scoped()),
        proptest::option::of(scoped()),
    )
        .prop_map(|(role, permission, feature, plan)| Has {
            role,
            permission,
            feature,
            plan,
            reverification: None,
        })
}

/// The verified claims of a `version` token of `session`.
fn verify(session: &Session, v1: bool) -> SessionClaims {
    let (runtime, local, clerk) = fixture();
    let mut token = local
        .token("user_props")
        .org(
            "org_props",
            "props",
            &session.role,
            session.permissions.clone(),
        )
        .features(session.features.clone());
    if let Some(plan) = &session.plan {
        token = token.plan(plan);
    }
    token = if v1 { token.v1() } else { token.v2() };
    let token = token.mint();
    runtime
        .block_on(clerk.verify_token(&token))
        .expect("LocalClerk's tokens verify")
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn has_never_grants_on_an_empty_check(session in session(), v1 in any::<bool>()) {
        let claims = verify(&session, v1);
        prop_assert!(!claims.has(Has::default()));
    }

    #[test]
    fn has_is_monotonic_in_what_the_session_holds(
        session in session(),
        more_permissions in proptest::collection::vec((name(), name()), 1..4),
        more_features in proptest::collection::vec(name(), 1..3),
        check in check(),
    ) {
        let mut more = session.clone();
        more.permissions.extend(more_permissions.into_iter().map(|(f, a)| format!("org:{f}:{a}")));
        more.features.extend(more_features.into_iter().map(|f| format!("o:{f}")));
        let (less, more) = (verify(&session, false), verify(&more, false));
        if less.has(check.clone()) {
            prop_assert!(more.has(check.clone()), "{check:?} granted with less, refused with more");
        }
        // Checks the smaller session passes (what it holds), so the property is never vacuous.
        let held: Vec<Has> = session
            .permissions
            .iter()
            .map(|p| Has::permission(p.as_str()).and_role(session.role.as_str()))
            .chain(session.features.iter().filter_map(|f| {
                f.strip_prefix("o:").map(|f| Has::feature(format!("org:{f}")))
            }))
            .collect();
        for check in held {
            prop_assert!(less.has(check.clone()), "{check:?} refused to a session holding it");
            prop_assert!(more.has(check.clone()), "{check:?} refused with more");
        }
    }

    #[test]
    fn v1_and_v2_tokens_of_one_session_normalize_alike(session in session(), check in check()) {
        let (v1, v2) = (verify(&session, true), verify(&session, false));
        prop_assert_eq!(v1.org_id(), v2.org_id());
        prop_assert_eq!(v1.org_slug(), v2.org_slug());
        prop_assert_eq!(v1.org_role(), v2.org_role());
        prop_assert_eq!(
            sorted(v1.org_permissions().to_vec()),
            sorted(v2.org_permissions().to_vec())
        );
        // v1 tokens carry no features or plans: compare checks of role and permission only.
        let org_check = Has { feature: None, plan: None, ..check };
        prop_assert_eq!(v1.has(org_check.clone()), v2.has(org_check));
        for permission in &session.permissions {
            prop_assert!(v1.has(Has::permission(permission.as_str())));
            prop_assert!(v2.has(Has::permission(permission.as_str())));
        }
    }
}
