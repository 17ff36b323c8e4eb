//! Session tokens from JWT templates, server-side: [`Clerk::token_for_template`] and
//! [`Auth::token_for_template`](crate::Auth::token_for_template).
//!
//! The Backend API's `CreateSessionTokenFromTemplate` (`POST
//! /v1/sessions/{session_id}/tokens/{template_name}`) answers a JWT built from the template's
//! claims over the session (e.g. a `supabase` template for Supabase's row-level security). The
//! answers are cached per (session id, template name) until [`REFRESH_MARGIN`] before the
//! token's `exp`; concurrent callers of one pair share one call; failures are never cached.
//!
//! [`Clerk::token_for_template`]: crate::Clerk::token_for_template

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::api::ApiError;
use crate::client::Clerk;
use crate::verify::now_ms;

/// How long before its `exp` a cached template token stops being handed out (10 s): a caller
/// always gets a token with at least this much life left, for its own request to use it.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(10);

/// How many (session, template) tokens are kept at most.
const CAPACITY: u64 = 10_000;

/// Why no token could be had from a JWT template.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateTokenError {
    /// The Backend API answered 404: no JWT template of that name on this instance, or no such
    /// session (Clerk answers both with `resource_not_found`). Create the template in the
    /// Clerk dashboard (JWT templates) or with `clerk.jwt_templates().create(..)`.
    #[error("no JWT template named {template:?} or no session {session_id:?} on this instance")]
    NotFound {
        /// The template's name, as asked.
        template: String,
        /// The session id, as asked.
        session_id: String,
        /// Clerk's answer.
        source: ApiError,
    },
    /// Any other failure of the Backend API call (unreachable, 401, 422 for an inactive
    /// session, 429, 5xx), with Clerk's status, codes and trace id.
    #[error("Clerk could not make a token from the JWT template: {0}")]
    Api(#[from] ApiError),
    /// Clerk's answer carried no JWT.
    #[error("Clerk's answer to the JWT template request carried no token")]
    MissingToken,
}

/// A template token, with the instant it stops being handed out.
#[derive(Clone)]
pub(crate) struct Held {
    jwt: Arc<str>,
    /// How long, from its creation, the cache keeps it.
    keep: Duration,
}

/// Drops each entry [`REFRESH_MARGIN`] before its token's `exp`.
struct UntilRefresh;

impl moka::Expiry<(String, String), Held> for UntilRefresh {
    fn expire_after_create(
        &self,
        _key: &(String, String),
        held: &Held,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(held.keep)
    }
}

/// The cache of template tokens of one [`Clerk`].
pub(crate) type TemplateTokens = moka::future::Cache<(String, String), Held>;

/// An empty cache.
pub(crate) fn cache() -> TemplateTokens {
    moka::future::Cache::builder()
        .max_capacity(CAPACITY)
        .expire_after(UntilRefresh)
        .build()
}

/// The `exp` (Unix seconds) of a JWT, read without verification (the token comes from the
/// Backend API, over an authenticated connection); `None` when it cannot be read.
fn expires_at(jwt: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Exp {
        exp: Option<f64>,
    }
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let exp = serde_json::from_slice::<Exp>(&bytes).ok()?.exp?;
    exp.is_finite().then_some(exp.floor() as i64)
}

/// What [`Clerk::token_for_template`] does.
pub(crate) async fn token_for_template(
    clerk: &Clerk,
    cache: &TemplateTokens,
    session_id: &str,
    template: &str,
) -> Result<Arc<str>, TemplateTokenError> {
    let key = (session_id.to_owned(), template.to_owned());
    let load = async {
        let answer = clerk
            .sessions()
            .create_token_from_template(session_id, template)
            .send()
            .await
            .map_err(|error| {
                if error.is_not_found() {
                    TemplateTokenError::NotFound {
                        template: template.to_owned(),
                        session_id: session_id.to_owned(),
                        source: error,
                    }
                } else {
                    TemplateTokenError::Api(error)
                }
            })?;
        let jwt: Arc<str> = answer
            .jwt
            .filter(|jwt| !jwt.is_empty())
            .ok_or(TemplateTokenError::MissingToken)?
            .into();
        // Unreadable `exp`: handed to the waiting callers, kept for no time.
        let left_ms = expires_at(&jwt)
            .map(|exp| {
                exp.saturating_mul(1000)
                    .saturating_sub(now_ms())
                    .saturating_sub(REFRESH_MARGIN.as_millis() as i64)
            })
            .unwrap_or(0);
        Ok(Held {
            jwt,
            keep: Duration::from_millis(left_ms.max(0) as u64),
        })
    };
    cache
        .try_get_with(key, load)
        .await
        .map(|held| held.jwt)
        .map_err(|error: Arc<TemplateTokenError>| (*error).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b64(r#"{"alg":"RS256"}"#), b64(payload))
    }

    #[test]
    fn exp_is_read_from_the_payload() {
        assert_eq!(
            expires_at(&jwt(r#"{"exp":1700000000}"#)),
            Some(1_700_000_000)
        );
        assert_eq!(expires_at(&jwt(r#"{"exp":17.9}"#)), Some(17));
        assert_eq!(expires_at(&jwt(r#"{"sub":"u"}"#)), None);
        assert_eq!(expires_at(&jwt(r#"{"exp":"soon"}"#)), None);
        assert_eq!(expires_at("not a jwt"), None);
    }
}
