//! The catalogue of answers to a request that may not proceed: [`Rejection`] (status, stable code,
//! message, `WWW-Authenticate`), whose [`RejectionKind`] says what it is, and
//! [`LookupFailure`] for the lookup of a session's user. The decisions that make them are in
//! [`crate::guard`] and [`crate::adapter`]; every adapter renders them alike.
//!
//! # Rejections and their codes
//!
//! The `code` of a rejection is stable: clients, logs and metrics may match on it.
//!
//! | status | code | when |
//! |---|---|---|
//! | 401 | the [`SignedOut::reason`] name, e.g. `session-token-and-uat-missing`, `token-expired`, `token-invalid-signature` | no valid session |
//! | 401 | [`codes::USER_NOT_FOUND`] | the Backend API no longer knows the session's user (404 `resource_not_found`) |
//! | 403 | [`codes::FORBIDDEN`] | signed in, but the requirement is not met |
//! | 500 | [`codes::MISSING_CLERK_LAYER`] | the authentication middleware is not installed in front of the route |
//! | 502 | [`codes::USER_LOOKUP_FAILED`] | the Backend API answered a user lookup with another error, a 404 without `resource_not_found` included |
//! | 401 | `token-type-mismatch` | a token of a kind the middleware or the route does not accept (a machine token where a session is required, or the reverse) |
//! | 401 | a [`MachineError::reason`](crate::machine::MachineError::reason), e.g. `token-invalid` | a machine token that is unknown, revoked, expired or does not verify |
//! | 403 | [`codes::FORBIDDEN`] | a machine token without the scope the route requires |
//! | 503 | [`codes::KEYS_UNAVAILABLE`] | the signing keys could not be loaded (Clerk unreachable, nothing cached) |
//! | 503 | [`codes::TOKEN_VERIFICATION_UNAVAILABLE`] | the Backend API could not verify an opaque machine token (unreachable, 429, 5xx, too slow) |
//! | 400 | a [`WebhookError::code`](crate::webhooks::WebhookError::code), e.g. `webhook_invalid_signature` | a webhook delivery that does not verify (never 401/403: Svix would take it for an auth problem) |
//! | 200 | [`codes::WEBHOOK_REPLAYED`] | a webhook delivery already handled, with replay protection on ([`Webhook::replay_protection`](crate::webhooks::Webhook::replay_protection)) |
//! | 500 | [`codes::WEBHOOK_NOT_CONFIGURED`] | a webhook extractor, but no signing secret configured |
//! | 503 | [`codes::USER_LOOKUP_UNAVAILABLE`] | the Backend API is unreachable, rate limits the user lookup, or does not answer it in time |
//!
//! Every 401 carries `WWW-Authenticate: Bearer error="invalid_token"`, except when the request
//! carried no token at all: then it is `WWW-Authenticate: Bearer` (RFC 6750, section 3.1). A 403
//! carries `WWW-Authenticate: Bearer error="insufficient_scope"`.
//!
//! No rejection ever contains token text, key material or the chain of an internal error: a 503
//! says only that authentication is unavailable, and the reason stays in the server's logs.
//!
//! ```
//! use clerk_core::SignedOut;
//! use clerk_core::rejection::Rejection;
//!
//! let rejection = Rejection::signed_out(&SignedOut::NoToken);
//! assert_eq!(rejection.status(), 401);
//! assert_eq!(rejection.code(), "session-token-and-uat-missing");
//! assert_eq!(rejection.www_authenticate(), Some("Bearer"));
//! ```

use std::fmt;

use crate::api::ApiError;
use crate::authenticate::SignedOut;
use crate::machine::{MachineError, TokenKind};

/// The stable rejection codes that are not a [`SignedOut::reason`] name.
pub mod codes {
    /// 403: signed in, but the route's requirement is not met.
    pub const FORBIDDEN: &str = "forbidden";
    /// 500: the authentication middleware is not installed in front of the route.
    pub const MISSING_CLERK_LAYER: &str = "missing_clerk_layer";
    /// 503: the signing keys could not be loaded, so no session can be verified now.
    pub const KEYS_UNAVAILABLE: &str = "keys_unavailable";
    /// 503: the Backend API could not verify an opaque machine token now.
    pub const TOKEN_VERIFICATION_UNAVAILABLE: &str = "token_verification_unavailable";
    /// 401: the Backend API does not know the session's user (deleted since the token was issued).
    pub const USER_NOT_FOUND: &str = "user-not-found";
    /// 502: the Backend API answered a user lookup with an error.
    pub const USER_LOOKUP_FAILED: &str = "user_lookup_failed";
    /// 503: the Backend API could not be reached, rate limited the user lookup, or did not answer
    /// it in time.
    pub const USER_LOOKUP_UNAVAILABLE: &str = "user_lookup_unavailable";
    /// 500: a webhook extractor ran on a route without the webhook layer (no signing secret).
    pub const WEBHOOK_NOT_CONFIGURED: &str = "webhook_not_configured";
    /// 200: a webhook delivery a handler already accepted, acknowledged again without calling
    /// the handler (replay protection).
    pub const WEBHOOK_REPLAYED: &str = "webhook_replayed";
}

/// Why a lookup of the session's user in the Backend API failed, as far as the client should know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupFailure {
    /// The API answered 404 with Clerk's `resource_not_found` code: the user no longer exists.
    /// The request is treated as signed out.
    NotFound,
    /// The API could not be reached, timed out (see
    /// [`UserLookup::timeout`](crate::user_cache::UserLookup::timeout)), or answered 429 or 503:
    /// try again later.
    Unavailable,
    /// The API answered another error (including 401/403 for a bad secret key, and a 404
    /// without Clerk's `resource_not_found` code, as a wrong `CLERK_API_URL` gives): the
    /// server's fault, not the client's.
    Failed,
}

/// Clerk's error code for a resource that does not exist (`GET /users/{id}` of a deleted user).
const RESOURCE_NOT_FOUND: &str = "resource_not_found";

impl LookupFailure {
    /// Classifies a failed Backend API lookup of a user.
    ///
    /// Only a 404 that carries Clerk's `resource_not_found` code means the user is gone: any
    /// other 404 (no body, an HTML page, another code) comes from something that is not the
    /// Backend API's user resource, such as a wrong `CLERK_API_URL`, and signing the user out
    /// for it would sign everyone out.
    ///
    /// ```
    /// use clerk_core::ApiError;
    /// use clerk_core::api::{ClerkError, ErrorResponse};
    /// use clerk_core::rejection::LookupFailure;
    ///
    /// let answer = |status: u16, code: Option<&str>| {
    ///     ApiError::Response(Box::new(ErrorResponse {
    ///         status,
    ///         errors: code
    ///             .map(|code| ClerkError { code: code.into(), ..ClerkError::default() })
    ///             .into_iter()
    ///             .collect(),
    ///         meta: None,
    ///         clerk_trace_id: None,
    ///         retry_after: None,
    ///         raw_body: None,
    ///     }))
    /// };
    /// let classify = |error: ApiError| LookupFailure::from_api_error(&error);
    /// assert_eq!(classify(answer(404, Some("resource_not_found"))), LookupFailure::NotFound);
    /// assert_eq!(classify(answer(404, None)), LookupFailure::Failed);
    /// assert_eq!(classify(answer(429, None)), LookupFailure::Unavailable);
    /// ```
    pub fn from_api_error(error: &ApiError) -> Self {
        match error.status() {
            None | Some(429) | Some(503) => Self::Unavailable,
            Some(404) if error.has_code(RESOURCE_NOT_FOUND) => Self::NotFound,
            Some(_) => Self::Failed,
        }
    }
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotFound => "the session's user does not exist",
            Self::Unavailable => "the Backend API is unavailable",
            Self::Failed => "the Backend API answered with an error",
        })
    }
}

impl std::error::Error for LookupFailure {}

/// What a [`Rejection`] says, as a type: match on it rather than on statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionKind {
    /// 401: no valid session; the code is the [`SignedOut::reason`].
    SignedOut,
    /// 403 [`codes::FORBIDDEN`]: signed in, but the requirement is not met.
    Forbidden,
    /// 500 [`codes::MISSING_CLERK_LAYER`]: the authentication middleware is not installed.
    MissingLayer,
    /// 503 [`codes::KEYS_UNAVAILABLE`]: the signing keys could not be loaded.
    KeysUnavailable,
    /// 503 [`codes::TOKEN_VERIFICATION_UNAVAILABLE`]: the Backend API could not verify an
    /// opaque machine token now.
    VerificationUnavailable,
    /// 401 [`codes::USER_NOT_FOUND`]: the Backend API no longer knows the session's user.
    UserNotFound,
    /// 503 [`codes::USER_LOOKUP_UNAVAILABLE`]: the Backend API could not answer the user
    /// lookup now.
    UserLookupUnavailable,
    /// 502 [`codes::USER_LOOKUP_FAILED`]: the Backend API answered the user lookup with an
    /// error.
    UserLookupFailed,
    /// 400: a webhook delivery that does not verify; the code is the
    /// [`WebhookError::code`](crate::webhooks::WebhookError::code).
    InvalidWebhook,
    /// 500 [`codes::WEBHOOK_NOT_CONFIGURED`]: no webhook signing secret is configured.
    WebhookNotConfigured,
    /// 200 [`codes::WEBHOOK_REPLAYED`]: a webhook delivery a handler already accepted; it is
    /// acknowledged again without calling the handler (replay protection).
    WebhookReplayed,
}

impl RejectionKind {
    /// Whether the token could not be verified now (503): the keys or the Backend API are
    /// unavailable.
    pub fn is_unavailable(self) -> bool {
        matches!(self, Self::KeysUnavailable | Self::VerificationUnavailable)
    }

    /// Whether the rejection comes from the lookup of the session's user (the session itself
    /// is valid).
    pub fn is_user_lookup(self) -> bool {
        matches!(
            self,
            Self::UserNotFound | Self::UserLookupUnavailable | Self::UserLookupFailed
        )
    }
}

/// The HTTP answer to a request that may not proceed: its [`kind`](Self::kind), status, stable
/// code, a message safe to show to the client, and the `WWW-Authenticate` header value, if any.
///
/// Made by [`check`](crate::guard::check), [`optional`](crate::guard::optional) and the constructors below; render it with
/// [`json_body`](Self::json_body), which is Clerk's error shape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    kind: RejectionKind,
    status: u16,
    code: &'static str,
    message: String,
    www_authenticate: Option<String>,
}

const BEARER: &str = "Bearer";
const BEARER_INVALID_TOKEN: &str = "Bearer error=\"invalid_token\"";
const BEARER_INSUFFICIENT_SCOPE: &str = "Bearer error=\"insufficient_scope\"";

impl Rejection {
    /// What it says, as a type.
    pub fn kind(&self) -> RejectionKind {
        self.kind
    }

    /// The HTTP status: 401, 403, 500, 502 or 503.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The stable code (see the [module documentation](self)).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// A human-readable message, safe to show: no token, key or internal error text.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `WWW-Authenticate` header value, if the response should carry one.
    pub fn www_authenticate(&self) -> Option<&str> {
        self.www_authenticate.as_deref()
    }

    /// The gRPC status code of the same answer, for gRPC services (tonic's `Code` has the
    /// same numbers): 16 `UNAUTHENTICATED` for a 401 (signed out, a token of the wrong kind, a
    /// deleted user), 7 `PERMISSION_DENIED` for a 403, 14 `UNAVAILABLE` for a 503 (keys or
    /// Backend API unreachable: retry), 13 `INTERNAL` for the server's own faults (500, 502),
    /// 3 `INVALID_ARGUMENT` for a webhook that does not verify, 0 `OK` for a replayed webhook.
    pub fn grpc_code(&self) -> i32 {
        match self.status {
            200 => 0,
            400 => 3,
            401 => 16,
            403 => 7,
            503 => 14,
            _ => 13,
        }
    }

    /// The answer to a signed-out request on a route that needs a session.
    ///
    /// - keys unavailable ([`SignedOut::is_unavailable`]): 503 `keys_unavailable`, so that
    ///   clients do not sign their users out during an outage;
    /// - no token sent: 401 with the reason as code and `WWW-Authenticate: Bearer`;
    /// - otherwise: 401 with the reason as code and
    ///   `WWW-Authenticate: Bearer error="invalid_token"`.
    pub fn signed_out(why: &SignedOut) -> Self {
        if matches!(
            why,
            SignedOut::Machine(MachineError::Unavailable(_) | MachineError::SecretKeyInvalid)
                | SignedOut::HandshakeUnavailable
        ) {
            return Self::verification_unavailable();
        }
        if why.is_unavailable() {
            return Self::keys_unavailable();
        }
        let www_authenticate = if why.token_presented() {
            BEARER_INVALID_TOKEN
        } else {
            BEARER
        };
        Self {
            kind: RejectionKind::SignedOut,
            status: 401,
            code: why.reason(),
            // Not unavailable: the Display texts of these reasons are fixed sentences with no
            // token text or error chain.
            message: why.to_string(),
            www_authenticate: Some(www_authenticate.to_owned()),
        }
    }

    /// 503 `keys_unavailable`: the signing keys could not be loaded, so no session can be
    /// verified now.
    pub fn keys_unavailable() -> Self {
        Self {
            kind: RejectionKind::KeysUnavailable,
            status: 503,
            code: codes::KEYS_UNAVAILABLE,
            message: "Authentication is temporarily unavailable; try again later.".to_owned(),
            www_authenticate: None,
        }
    }

    /// 503 `token_verification_unavailable`: the Backend API could not verify an opaque machine
    /// token now (unreachable, 429, 5xx, or too slow).
    pub fn verification_unavailable() -> Self {
        Self {
            kind: RejectionKind::VerificationUnavailable,
            status: 503,
            code: codes::TOKEN_VERIFICATION_UNAVAILABLE,
            message: "Authentication is temporarily unavailable; try again later.".to_owned(),
            www_authenticate: None,
        }
    }

    /// 401 `token-type-mismatch`: a token of a kind the route does not take.
    pub fn token_type_mismatch(presented: TokenKind) -> Self {
        Self::signed_out(&SignedOut::TokenTypeMismatch(Some(presented)))
    }

    /// 403 `forbidden`: signed in, but the requirement is not met.
    pub fn forbidden() -> Self {
        Self {
            kind: RejectionKind::Forbidden,
            status: 403,
            code: codes::FORBIDDEN,
            message: "The caller is not allowed to access this resource.".to_owned(),
            www_authenticate: Some(BEARER_INSUFFICIENT_SCOPE.to_owned()),
        }
    }

    /// 500 `missing_clerk_layer`: an extractor or guard ran on a request that the
    /// authentication middleware did not see. `middleware` names it, and how to add it, e.g.
    /// `` "ClerkLayer (add `.layer(ClerkLayer::new(clerk))` to the router)" ``.
    pub fn missing_layer(middleware: &str) -> Self {
        Self {
            kind: RejectionKind::MissingLayer,
            status: 500,
            code: codes::MISSING_CLERK_LAYER,
            message: format!(
                "Clerk authentication is not set up for this route: {middleware} is missing."
            ),
            www_authenticate: None,
        }
    }

    /// The answer to a failed lookup of the session's user: 401 `user-not-found`, 503
    /// `user_lookup_unavailable` or 502 `user_lookup_failed`.
    pub fn lookup_failed(failure: LookupFailure) -> Self {
        let (kind, status, code, message, www_authenticate) = match failure {
            LookupFailure::NotFound => (
                RejectionKind::UserNotFound,
                401,
                codes::USER_NOT_FOUND,
                "The session's user no longer exists.",
                Some(BEARER_INVALID_TOKEN.to_owned()),
            ),
            LookupFailure::Unavailable => (
                RejectionKind::UserLookupUnavailable,
                503,
                codes::USER_LOOKUP_UNAVAILABLE,
                "The user could not be loaded now; try again later.",
                None,
            ),
            LookupFailure::Failed => (
                RejectionKind::UserLookupFailed,
                502,
                codes::USER_LOOKUP_FAILED,
                "The user could not be loaded.",
                None,
            ),
        };
        Self {
            kind,
            status,
            code,
            message: message.to_owned(),
            www_authenticate,
        }
    }

    /// 400: a webhook delivery that does not verify. The code is the error's, the message its
    /// text (which never contains the secret or a signature).
    pub fn invalid_webhook(error: &crate::webhooks::WebhookError) -> Self {
        Self {
            kind: RejectionKind::InvalidWebhook,
            status: 400,
            code: error.code(),
            message: error.to_string(),
            www_authenticate: None,
        }
    }

    /// 500 `webhook_not_configured`: a webhook extractor ran on a route without the webhook
    /// layer (which holds the signing secret).
    pub fn webhook_not_configured() -> Self {
        Self {
            kind: RejectionKind::WebhookNotConfigured,
            status: 500,
            code: codes::WEBHOOK_NOT_CONFIGURED,
            message: "Webhooks are not set up for this route: it has no webhook layer with a signing secret."
                .to_owned(),
            www_authenticate: None,
        }
    }

    /// 200 `webhook_replayed`: a delivery a handler already accepted (replay protection), so
    /// that Svix stops sending it; the handler is not called again.
    pub fn webhook_replayed() -> Self {
        Self {
            kind: RejectionKind::WebhookReplayed,
            status: 200,
            code: codes::WEBHOOK_REPLAYED,
            message: "This delivery was already received and handled.".to_owned(),
            www_authenticate: None,
        }
    }

    /// The response body in Clerk's error shape:
    /// `{"errors":[{"code":"...","message":"..."}]}`, as `application/json`.
    pub fn json_body(&self) -> String {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            errors: [Error<'a>; 1],
        }
        #[derive(serde::Serialize)]
        struct Error<'a> {
            code: &'a str,
            message: &'a str,
        }
        let body = Body {
            errors: [Error {
                code: self.code,
                message: &self.message,
            }],
        };
        // Two string fields always serialize.
        serde_json::to_string(&body).unwrap_or_default()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for Rejection {}

impl From<LookupFailure> for Rejection {
    fn from(failure: LookupFailure) -> Self {
        Self::lookup_failed(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{JwksError, VerifyError};

    #[test]
    fn signed_out_rejections() {
        let none = Rejection::signed_out(&SignedOut::NoToken);
        assert_eq!(none.status, 401);
        assert_eq!(none.code, "session-token-and-uat-missing");
        assert_eq!(none.www_authenticate.as_deref(), Some("Bearer"));

        let expired = Rejection::signed_out(&SignedOut::Token(VerifyError::Expired));
        assert_eq!(expired.status, 401);
        assert_eq!(expired.code, "token-expired");
        assert_eq!(
            expired.www_authenticate.as_deref(),
            Some("Bearer error=\"invalid_token\"")
        );
        assert_eq!(
            expired.json_body(),
            r#"{"errors":[{"code":"token-expired","message":"the session token has expired"}]}"#
        );
    }

    #[test]
    fn unavailable_keys_are_503_without_details() {
        let why = SignedOut::Token(VerifyError::KeysUnavailable(JwksError::Unreachable(
            "tcp connect error: 127.0.0.1:1 refused".into(),
        )));
        let rejection = Rejection::signed_out(&why);
        assert_eq!(rejection.status, 503);
        assert_eq!(rejection.code, "keys_unavailable");
        assert_eq!(rejection.www_authenticate, None);
        assert!(!rejection.json_body().contains("127.0.0.1"));
        let missing = Rejection::signed_out(&SignedOut::Token(VerifyError::SecretKeyMissing));
        assert_eq!(missing, Rejection::keys_unavailable());
    }

    #[test]
    fn lookup_failures_classify_by_status_and_clerk_code() {
        let answer = |status: u16, body: &str| {
            LookupFailure::from_api_error(&ApiError::Response(Box::new(
                crate::api::ErrorResponse::parse(status, body.as_bytes(), None, None),
            )))
        };
        let clerk_body =
            |code: &str| format!(r#"{{"errors":[{{"code":"{code}","message":"x"}}]}}"#);
        assert_eq!(
            LookupFailure::from_api_error(&ApiError::Transport("refused".into())),
            LookupFailure::Unavailable
        );
        assert_eq!(answer(429, ""), LookupFailure::Unavailable);
        assert_eq!(answer(503, ""), LookupFailure::Unavailable);
        assert_eq!(
            answer(404, &clerk_body("resource_not_found")),
            LookupFailure::NotFound
        );
        // A 404 that is not Clerk saying the user is gone: a wrong API URL, a proxy, ...
        assert_eq!(answer(404, ""), LookupFailure::Failed);
        assert_eq!(answer(404, "<html>Not Found</html>"), LookupFailure::Failed);
        assert_eq!(
            answer(404, &clerk_body("page_not_found")),
            LookupFailure::Failed
        );
        assert_eq!(answer(500, ""), LookupFailure::Failed);
        assert_eq!(
            answer(401, &clerk_body("authentication_invalid")),
            LookupFailure::Failed
        );
        assert_eq!(Rejection::from(LookupFailure::NotFound).status, 401);
        assert_eq!(Rejection::from(LookupFailure::Unavailable).status, 503);
        assert_eq!(Rejection::from(LookupFailure::Failed).status, 502);
    }

    #[test]
    fn missing_layer_names_the_middleware() {
        let rejection = Rejection::missing_layer("ClerkLayer");
        assert_eq!(rejection.status, 500);
        assert_eq!(rejection.code, "missing_clerk_layer");
        assert!(rejection.message.contains("ClerkLayer"));
    }

    #[test]
    fn json_body_escapes() {
        let rejection = Rejection {
            kind: RejectionKind::MissingLayer,
            status: 500,
            code: "x",
            message: "a \"quoted\" \\ word".into(),
            www_authenticate: None,
        };
        let value: serde_json::Value =
            serde_json::from_str(&rejection.json_body()).expect("valid JSON");
        assert_eq!(value["errors"][0]["message"], "a \"quoted\" \\ word");
    }
}
