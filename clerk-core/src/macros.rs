//! Macros that declare the web adapters' public types, so that every adapter has the same
//! types with the same methods by construction. Adapter plumbing, hidden from the docs; the
//! rejection macros follow axum-core's design (one macro for leaf rejections, one for
//! composites), in this project's own code.

/// Declares a leaf rejection: a type wrapping a
/// [`Decided`](crate::middleware::Decided) rejection, with `rejection()`, `status()`,
/// `body_text()`, `Display`, `Error` and `From<Decided<R>>`. The adapter adds its framework's
/// response impl, answering with `decided().respond(..)`.
#[doc(hidden)]
#[macro_export]
macro_rules! __leaf_rejection {
    ($(#[$meta:meta])* $name:ident($response:ty)) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name($crate::middleware::Decided<$response>);

        impl $name {
            /// The framework-neutral rejection: kind, status, code, message and
            /// `WWW-Authenticate` value.
            pub fn rejection(&self) -> &$crate::guard::Rejection {
                self.0.rejection()
            }

            /// The status of the default response (an `on_rejection` hook may answer another).
            pub fn status(&self) -> $crate::__private::StatusCode {
                $crate::__private::StatusCode::from_u16(self.rejection().status())
                    .unwrap_or($crate::__private::StatusCode::INTERNAL_SERVER_ERROR)
            }

            /// The body of the default response, in Clerk's error shape.
            pub fn body_text(&self) -> String {
                self.rejection().json_body()
            }

            #[doc(hidden)]
            pub fn decided(&self) -> &$crate::middleware::Decided<$response> {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self.rejection(), f)
            }
        }

        impl ::std::error::Error for $name {}

        #[doc(hidden)]
        impl ::std::convert::From<$crate::middleware::Decided<$response>> for $name {
            fn from(decided: $crate::middleware::Decided<$response>) -> Self {
                Self(decided)
            }
        }
    };
}

/// Declares a composite rejection: an enum of leaf rejections with the same methods as a leaf,
/// each delegating to the variant, `Error::source` the variant, and `From` each leaf.
#[doc(hidden)]
#[macro_export]
macro_rules! __composite_rejection {
    (
        $(#[$meta:meta])* $name:ident($response:ty) {
            $($(#[$variant_meta:meta])* $variant:ident($inner:ty)),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$variant_meta])* $variant($inner)),+
        }

        impl $name {
            /// The framework-neutral rejection: kind, status, code, message and
            /// `WWW-Authenticate` value.
            pub fn rejection(&self) -> &$crate::guard::Rejection {
                match self {
                    $(Self::$variant(inner) => inner.rejection()),+
                }
            }

            /// The status of the default response (an `on_rejection` hook may answer another).
            pub fn status(&self) -> $crate::__private::StatusCode {
                match self {
                    $(Self::$variant(inner) => inner.status()),+
                }
            }

            /// The body of the default response, in Clerk's error shape.
            pub fn body_text(&self) -> String {
                self.rejection().json_body()
            }

            #[doc(hidden)]
            pub fn decided(&self) -> &$crate::middleware::Decided<$response> {
                match self {
                    $(Self::$variant(inner) => inner.decided()),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self.rejection(), f)
            }
        }

        impl ::std::error::Error for $name {
            fn source(&self) -> Option<&(dyn ::std::error::Error + 'static)> {
                match self {
                    $(Self::$variant(inner) => Some(inner)),+
                }
            }
        }

        $(
            impl ::std::convert::From<$inner> for $name {
                fn from(inner: $inner) -> Self {
                    Self::$variant(inner)
                }
            }
        )+
    };
}

/// Declares every rejection of an adapter's extractors: the leaves `$missing` (500),
/// `Unauthenticated` (401), `AuthUnavailable` (503) and `UserLookupFailed` (401/502/503), and
/// the composites `SessionRejection` and `UserRejection`, each with `From<Decided<R>>` choosing
/// the variant by the rejection's [`kind`](crate::guard::Rejection::kind).
#[doc(hidden)]
#[macro_export]
macro_rules! __rejections {
    (response: $response:ty, middleware: $middleware:ident, missing: $missing:ident, how: $how:literal $(,)?) => {
        $crate::__leaf_rejection! {
            #[doc = concat!(
                "500 `missing_clerk_layer`: an extractor or guard ran on a request that [`",
                stringify!($middleware), "`](crate::", stringify!($middleware),
                ") did not see. ", $how
            )]
            $missing($response)
        }

        $crate::__leaf_rejection! {
            /// 401: the request has no valid token of the kind required. The code is the reason
            /// ([`SignedOut::reason`](clerk_core::SignedOut::reason)), e.g. `token-expired`,
            /// `token-type-mismatch`.
            Unauthenticated($response)
        }

        $crate::__leaf_rejection! {
            /// 503: the token cannot be verified now. `keys_unavailable`: Clerk's signing keys
            /// could not be loaded (Clerk unreachable and nothing cached);
            /// `token_verification_unavailable`: the Backend API could not verify an opaque
            /// machine token (unreachable, 429, 5xx, too slow). Clients should retry rather
            /// than drop their credentials.
            AuthUnavailable($response)
        }

        $crate::__leaf_rejection! {
            /// The session is valid but the Backend API lookup of its user failed: 401
            /// `user-not-found` (the user was deleted), 503 `user_lookup_unavailable`
            /// (unreachable, 429, 503 or too slow) or 502 `user_lookup_failed` (any other
            /// error). See [`LookupFailure`](clerk_core::guard::LookupFailure).
            UserLookupFailed($response)
        }

        $crate::__leaf_rejection! {
            /// The rejection of [`ClerkWebhook`](crate::ClerkWebhook): 400 with the
            /// [`WebhookError`](clerk_core::webhooks::WebhookError)'s code when the delivery does
            /// not verify (never 401/403, which Svix would take for an auth problem), 200
            /// `webhook_replayed` for a delivery already handled (with replay protection on:
            /// the handler is not called again), 500 `webhook_not_configured` without a signing
            /// secret, 500 `missing_clerk_layer` without the middleware.
            WebhookRejection($response)
        }

        $crate::__composite_rejection! {
            /// The rejection of [`ClerkSession`](crate::ClerkSession),
            /// [`ClerkAuth`](crate::ClerkAuth), [`ClerkMachine`](crate::ClerkMachine) and
            /// [`ClerkCaller`](crate::ClerkCaller).
            SessionRejection($response) {
                /// The middleware is missing (500).
                MissingLayer($missing),
                /// No valid token of the kind required (401).
                Unauthenticated(Unauthenticated),
                /// The token could not be verified now: the keys or the Backend API are
                /// unavailable (503).
                Unavailable(AuthUnavailable),
            }
        }

        $crate::__composite_rejection! {
            /// The rejection of [`ClerkUser`](crate::ClerkUser): a [`SessionRejection`], or
            /// the failed Backend API lookup of the user.
            UserRejection($response) {
                /// No usable session (500, 401 or 503, as
                /// [`ClerkSession`](crate::ClerkSession)).
                Session(SessionRejection),
                /// The user could not be loaded (401, 502 or 503).
                Lookup(UserLookupFailed),
            }
        }

        #[doc(hidden)]
        impl ::std::convert::From<$crate::middleware::Decided<$response>> for SessionRejection {
            fn from(decided: $crate::middleware::Decided<$response>) -> Self {
                match decided.rejection().kind() {
                    $crate::guard::RejectionKind::MissingLayer => {
                        Self::MissingLayer(decided.into())
                    }
                    kind if kind.is_unavailable() => Self::Unavailable(decided.into()),
                    _ => Self::Unauthenticated(decided.into()),
                }
            }
        }

        #[doc(hidden)]
        impl ::std::convert::From<$crate::middleware::Decided<$response>> for UserRejection {
            fn from(decided: $crate::middleware::Decided<$response>) -> Self {
                if decided.rejection().kind().is_user_lookup() {
                    Self::Lookup(decided.into())
                } else {
                    Self::Session(decided.into())
                }
            }
        }

        impl ::std::convert::From<$missing> for UserRejection {
            fn from(missing: $missing) -> Self {
                Self::Session(missing.into())
            }
        }
    };
}

/// Declares an extractor's type: a public newtype over `$inner` that dereferences to
/// `$target`.
#[doc(hidden)]
#[macro_export]
macro_rules! __extractor {
    ($(#[$meta:meta])* $name:ident(pub $inner:ty) -> $target:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

        impl ::std::ops::Deref for $name {
            type Target = $target;

            fn deref(&self) -> &$target {
                &self.0
            }
        }
    };
}

/// Declares the guard constructors `require_auth`, `require_role`, `require_permission`,
/// `require_feature`, `require_plan`, `require_has`, `require_machine`, `require_scope`,
/// `require_tokens` and `require`, each returning
/// `$guard::new(requirement)`.
#[doc(hidden)]
#[macro_export]
macro_rules! __require_functions {
    ($guard:ident) => {
        /// Lets only signed-in requests through.
        pub fn require_auth() -> $guard {
            $guard::new($crate::guard::Requirement::signed_in())
        }

        /// Lets through sessions with this organization role (e.g. `org:admin`).
        pub fn require_role(role: impl Into<String>) -> $guard {
            $guard::new($crate::guard::Requirement::role(role))
        }

        /// Lets through sessions with this organization permission (e.g.
        /// `org:invoices:write`).
        pub fn require_permission(permission: impl Into<String>) -> $guard {
            $guard::new($crate::guard::Requirement::permission(permission))
        }

        /// Lets through sessions with this feature (e.g. `org:dashboard`, `user:export`).
        pub fn require_feature(feature: impl Into<String>) -> $guard {
            $guard::new($crate::guard::Requirement::feature(feature))
        }

        /// Lets through sessions on this plan (e.g. `org:pro`, `user:free`).
        pub fn require_plan(plan: impl Into<String>) -> $guard {
            $guard::new($crate::guard::Requirement::plan(plan))
        }

        /// Lets through sessions that pass a [`Has`](clerk_core::Has) check: several
        /// dimensions at once, or a reverification preset, e.g.
        /// `require_has(Has::permission("org:billing:manage").reverification(Reverification::Strict))`.
        pub fn require_has(check: impl Into<$crate::Has>) -> $guard {
            $guard::new($crate::guard::Requirement::has(check))
        }

        /// Lets through machine tokens (API keys, M2M tokens, OAuth access tokens) of the kinds
        /// the middleware accepts; sessions get 401 `token-type-mismatch`.
        pub fn require_machine() -> $guard {
            $guard::new($crate::guard::Requirement::machine())
        }

        /// Lets through machine tokens granted this scope (403 without it; 401
        /// `token-type-mismatch` for sessions).
        pub fn require_scope(scope: impl Into<String>) -> $guard {
            $guard::new($crate::guard::Requirement::scope(scope))
        }

        /// Lets through tokens of these kinds only, narrowing what the middleware accepts,
        /// e.g. `require_tokens(Accepts::kinds([TokenKind::ApiKey]))`; another kind gets 401
        /// `token-type-mismatch`.
        pub fn require_tokens(accepts: $crate::machine::Accepts) -> $guard {
            $guard::new($crate::guard::Requirement::tokens(accepts))
        }

        /// Lets through signed-in requests for which `predicate` returns `true`, e.g.
        /// `require(|auth| auth.claims().org_slug() == Some("acme"))`.
        pub fn require(
            predicate: impl Fn(&$crate::Auth) -> bool + Send + Sync + 'static,
        ) -> $guard {
            $guard::new($crate::guard::Requirement::custom(predicate))
        }
    };
}
