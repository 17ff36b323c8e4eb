//! The claims of a verified session token, normalized across token versions 1 and 2, and
//! [`has()`](SessionClaims::has) authorization checks.
//!
//! One file per job: `decode` reads a token's payload (v1 or v2) into one view, `session` is that
//! view ([`SessionClaims`] and its accessors), and `has` answers [`SessionClaims::has`] (with
//! [`Has`], [`Reverification`] and the decoding of v2 permissions from `fpm`).

mod decode;
mod has;
mod session;

pub(crate) use decode::{RawClaims, lenient};
pub use has::{FactorLevel, Has, Reverification};
pub use session::{
    Actor, Entitlement, EntitlementScope, FactorVerificationAge, OrganizationClaims, SessionClaims,
    SessionStatus,
};

/// Claims made from JSON payloads, for the tests of each part.
#[cfg(test)]
mod testing {
    use super::{Has, RawClaims, SessionClaims};

    pub(super) fn claims(payload: serde_json::Value) -> SessionClaims {
        let text = payload.to_string();
        RawClaims::parse(&text)
            .expect("parses")
            .into_claims(&text)
            .expect("complete")
    }

    pub(super) fn base() -> serde_json::Value {
        serde_json::json!({"sub":"user_1","sid":"sess_1","iss":"https://clerk.example.com","exp":2,"iat":1})
    }

    pub(super) fn with(extra: serde_json::Value) -> SessionClaims {
        let mut payload = base();
        for (k, v) in extra.as_object().expect("object") {
            payload[k] = v.clone();
        }
        claims(payload)
    }

    /// The `has()` verdicts of a token, for each check, as (check, verdict) pairs.
    fn verdicts(c: &SessionClaims, checks: &[(&str, Has)]) -> Vec<(String, bool)> {
        checks
            .iter()
            .map(|(name, check)| ((*name).to_owned(), c.has(check.clone())))
            .collect()
    }

    pub(super) fn all(c: &SessionClaims, checks: &[(&str, Has)], want: bool) {
        for (name, got) in verdicts(c, checks) {
            assert_eq!(got, want, "{name}");
        }
    }
}
