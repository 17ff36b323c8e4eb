//! Macros that declare a web adapter's public types (rejections, extractors, guard functions)
//! and their documentation once, so that every adapter has the same types with the same methods
//! and the same docs by construction. For adapter authors; see [`crate::adapter`].
//!
//! The rejection macros follow axum-core's design (one macro for leaf rejections, one for
//! composites), in this project's own code.

/// Declares a leaf rejection: a type wrapping a [`Refusal`](crate::adapter::Refusal) with
/// `rejection()`, `status()`, `body_text()`, `refusal()`, `into_refusal()`, `Display`, `Error`
/// and `From<Refusal<A>>`. The adapter adds its framework's response impl.
#[macro_export]
macro_rules! adapter_leaf_rejection {
    ($(#[$meta:meta])* $name:ident($answer:ty)) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name($crate::adapter::Refusal<$answer>);

        impl $name {
            /// The framework-neutral rejection: kind, status, code, message and
            /// `WWW-Authenticate` value.
            pub fn rejection(&self) -> &$crate::rejection::Rejection {
                self.0.rejection()
            }

            /// The status of the default response (an `on_rejection` hook may answer another).
            pub fn status(&self) -> $crate::adapter::http::StatusCode {
                $crate::adapter::http::StatusCode::from_u16(self.rejection().status())
                    .unwrap_or($crate::adapter::http::StatusCode::INTERNAL_SERVER_ERROR)
            }

            /// The body of the default response, in Clerk's error shape.
            pub fn body_text(&self) -> String {
                self.rejection().json_body()
            }

            /// The rejection with the `on_rejection` hook's answer, if one was made.
            pub fn refusal(&self) -> &$crate::adapter::Refusal<$answer> {
                &self.0
            }

            /// The rejection with the `on_rejection` hook's answer, if one was made.
            pub fn into_refusal(self) -> $crate::adapter::Refusal<$answer> {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self.rejection(), f)
            }
        }

        impl ::std::error::Error for $name {}

        impl ::std::convert::From<$crate::adapter::Refusal<$answer>> for $name {
            fn from(refusal: $crate::adapter::Refusal<$answer>) -> Self {
                Self(refusal)
            }
        }
    };
}

/// Declares a composite rejection: an enum of leaf rejections with the same methods as a leaf,
/// each delegating to the variant, `Error::source` the variant, and `From` each leaf.
#[macro_export]
macro_rules! adapter_composite_rejection {
    (
        $(#[$meta:meta])* $name:ident($answer:ty) {
            $($(#[$variant_meta:meta])* $variant:ident($inner:ty)),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$variant_meta])* $variant($inner)),+
        }

        impl $name {
            /// The framework-neutral rejection: kind, status, code, message and
            /// `WWW-Authenticate` value.
            pub fn rejection(&self) -> &$crate::rejection::Rejection {
                match self {
                    $(Self::$variant(inner) => inner.rejection()),+
                }
            }

            /// The status of the default response (an `on_rejection` hook may answer another).
            pub fn status(&self) -> $crate::adapter::http::StatusCode {
                match self {
                    $(Self::$variant(inner) => inner.status()),+
                }
            }

            /// The body of the default response, in Clerk's error shape.
            pub fn body_text(&self) -> String {
                self.rejection().json_body()
            }

            /// The rejection with the `on_rejection` hook's answer, if one was made.
            pub fn refusal(&self) -> &$crate::adapter::Refusal<$answer> {
                match self {
                    $(Self::$variant(inner) => inner.refusal()),+
                }
            }

            /// The rejection with the `on_rejection` hook's answer, if one was made.
            pub fn into_refusal(self) -> $crate::adapter::Refusal<$answer> {
                match self {
                    $(Self::$variant(inner) => inner.into_refusal()),+
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

/// Declares every rejection of an adapter's extractors and guards, for the framework answer
/// type `answer` (what its `on_rejection` hook makes): the leaves `MissingClerkLayer` (500),
/// `Unauthenticated` (401), `AuthUnavailable` (503), `UserLookupFailed` (401/502/503) and
/// `WebhookRejection`, and the composites `SessionRejection` and `UserRejection`, each with
/// `From<Refusal<answer>>` choosing the variant by the rejection's
/// [`kind`](crate::rejection::Rejection::kind). `layer` names the adapter's layer type and `how`
/// says how to add it; `respond` names the adapter's macro that makes each of these types its
/// framework's response, called once with all of them.
#[macro_export]
macro_rules! adapter_rejections {
    (answer: $answer:ty, layer: $layer:ident, how: $how:literal, respond: $respond:ident $(,)?) => {
        $crate::adapter_leaf_rejection! {
            #[doc = concat!(
                "500 `missing_clerk_layer`: an extractor or guard ran on a request that [`",
                stringify!($layer), "`](crate::", stringify!($layer),
                ") did not see. ", $how
            )]
            MissingClerkLayer($answer)
        }

        $crate::adapter_leaf_rejection! {
            /// 401: the request has no valid token of the kind required. The code is the reason
            /// ([`SignedOut::reason`](clerk_core::SignedOut::reason)), e.g. `token-expired`,
            /// `token-type-mismatch`.
            Unauthenticated($answer)
        }

        $crate::adapter_leaf_rejection! {
            /// 503: the token cannot be verified now. `keys_unavailable`: Clerk's signing keys
            /// could not be loaded (Clerk unreachable and nothing cached);
            /// `token_verification_unavailable`: the Backend API could not verify an opaque
            /// machine token (unreachable, 429, 5xx, too slow). Clients should retry rather
            /// than drop their credentials.
            AuthUnavailable($answer)
        }

        $crate::adapter_leaf_rejection! {
            /// The session is valid but the Backend API lookup of its user failed: 401
            /// `user-not-found` (the user was deleted), 503 `user_lookup_unavailable`
            /// (unreachable, 429, 503 or too slow) or 502 `user_lookup_failed` (any other
            /// error). See [`LookupFailure`](clerk_core::rejection::LookupFailure).
            UserLookupFailed($answer)
        }

        $crate::adapter_leaf_rejection! {
            /// The rejection of [`ClerkWebhook`](crate::ClerkWebhook): 400 with the
            /// [`WebhookError`](clerk_core::webhooks::WebhookError)'s code when the delivery does
            /// not verify (never 401/403, which Svix would take for an auth problem), 200
            /// `webhook_replayed` for a delivery already handled (with replay protection on:
            /// the handler is not called again), 500 `webhook_not_configured` on a route
            /// without the webhook layer.
            WebhookRejection($answer)
        }

        $crate::adapter_composite_rejection! {
            /// The rejection of [`ClerkSession`](crate::ClerkSession),
            /// [`ClerkAuth`](crate::ClerkAuth), [`ClerkMachine`](crate::ClerkMachine),
            /// [`ClerkCaller`](crate::ClerkCaller) and [`ClerkClient`](crate::ClerkClient).
            SessionRejection($answer) {
                /// The layer is missing (500).
                MissingLayer(MissingClerkLayer),
                /// No valid token of the kind required (401), or signed in without the right
                /// (403, guards).
                Unauthenticated(Unauthenticated),
                /// The token could not be verified now: the keys or the Backend API are
                /// unavailable (503).
                Unavailable(AuthUnavailable),
            }
        }

        $crate::adapter_composite_rejection! {
            /// The rejection of [`ClerkUser`](crate::ClerkUser): a [`SessionRejection`], or
            /// the failed Backend API lookup of the user.
            UserRejection($answer) {
                /// No usable session (500, 401 or 503, as
                /// [`ClerkSession`](crate::ClerkSession)).
                Session(SessionRejection),
                /// The user could not be loaded (401, 502 or 503).
                Lookup(UserLookupFailed),
            }
        }

        impl ::std::convert::From<$crate::adapter::Refusal<$answer>> for SessionRejection {
            fn from(refusal: $crate::adapter::Refusal<$answer>) -> Self {
                match refusal.rejection().kind() {
                    $crate::rejection::RejectionKind::MissingLayer => {
                        Self::MissingLayer(refusal.into())
                    }
                    kind if kind.is_unavailable() => Self::Unavailable(refusal.into()),
                    _ => Self::Unauthenticated(refusal.into()),
                }
            }
        }

        impl ::std::convert::From<$crate::adapter::Refusal<$answer>> for UserRejection {
            fn from(refusal: $crate::adapter::Refusal<$answer>) -> Self {
                if refusal.rejection().kind().is_user_lookup() {
                    Self::Lookup(refusal.into())
                } else {
                    Self::Session(refusal.into())
                }
            }
        }

        $respond!(
            MissingClerkLayer,
            Unauthenticated,
            AuthUnavailable,
            UserLookupFailed,
            SessionRejection,
            UserRejection,
            WebhookRejection
        );
    };
}

/// Declares an adapter's extractor types with their documentation: `ClerkSession`,
/// `ClerkAuth`, `ClerkClient`, `ClerkUser`, `ClerkMachine`, `ClerkCaller` and `ClerkWebhook`,
/// each a public newtype that dereferences to what it holds. The adapter implements its
/// framework's extractor trait for each.
///
/// - `krate`: the adapter crate (for the examples' `use` lines);
/// - `layer`: its layer type; `webhook_layer`: its webhook layer type;
/// - `maybe`: the "may be signed out" wrapper (`Option` or the adapter's own), with
///   `maybe_use`, the `use` line its examples need (or `""`), and `maybe_note`, a sentence on
///   it (or `""`).
#[macro_export]
macro_rules! adapter_extractors {
    (
        krate: $krate:ident,
        layer: $layer:ident,
        webhook_layer: $webhook_layer:ident,
        maybe: $maybe:ident,
        maybe_use: $maybe_use:literal,
        maybe_note: $maybe_note:literal $(,)?
    ) => {
        $crate::adapter_extractor! {
            /// The verified session claims of a signed-in request: user, session, organization,
            /// role, permissions, features, plan… (see [`SessionClaims`](clerk_core::SessionClaims)).
            ///
            #[doc = concat!(
                "Rejects with 401 when signed out, 503 when the keys cannot be loaded, 500 without [`",
                stringify!($layer), "`](crate::", stringify!($layer), "). `", stringify!($maybe),
                "<ClerkSession>` accepts signed-out requests: `None` for every signed-out reason (no ",
                "token, expired, forged, …), but still 500 without the layer (a forgotten layer must ",
                "not make everyone anonymous) and 503 when the keys cannot be loaded (a signed-in user ",
                "must not be served as anonymous during an outage). ", $maybe_note
            )]
            ///
            /// ```
            #[doc = concat!("use ", stringify!($krate), "::ClerkSession;")]
            #[doc = $maybe_use]
            ///
            /// async fn me(ClerkSession(claims): ClerkSession) -> String {
            ///     format!("{} in {:?}", claims.user_id(), claims.org_slug())
            /// }
            ///
            #[doc = concat!("async fn home(session: ", stringify!($maybe), "<ClerkSession>) -> String {")]
            ///     match Option::from(session) {
            ///         Some(ClerkSession(claims)) => format!("hello {}", claims.user_id()),
            ///         None => "hello stranger".to_owned(),
            ///     }
            /// }
            /// ```
            ClerkSession(pub $crate::SessionClaims) -> $crate::SessionClaims
        }

        $crate::adapter_extractor! {
            /// The authentication of a signed-in request: its claims,
            /// [`has`](clerk_core::Auth::has) for authorization checks, the raw token (to call
            /// another service that verifies it itself) and where it came from. Dereferences to
            /// [`Auth`](clerk_core::Auth).
            ///
            #[doc = concat!(
                "Rejects like [`ClerkSession`]; `", stringify!($maybe),
                "<ClerkAuth>` accepts signed-out requests."
            )]
            ///
            /// ```
            #[doc = concat!("use ", stringify!($krate), "::ClerkAuth;")]
            /// use clerk_core::Has;
            ///
            /// async fn invoices(auth: ClerkAuth) -> String {
            ///     if !auth.has(Has::permission("org:invoices:read")) {
            ///         return "not allowed".to_owned();
            ///     }
            ///     // Forward the session to another service: `Authorization: Bearer {auth.token()}`.
            ///     format!("invoices of {:?}", auth.claims().org_id())
            /// }
            /// ```
            ClerkAuth(pub $crate::Auth) -> $crate::Auth
        }

        $crate::adapter_extractor! {
            /// The [`Clerk`](clerk_core::Clerk) client of the layer in front of the route, for
            /// Backend API calls from a handler. Dereferences to `Clerk`. Works on signed-out
            /// requests too; rejects only without the layer (500).
            ///
            /// ```
            #[doc = concat!("use ", stringify!($krate), "::{ClerkClient, ClerkSession};")]
            ///
            /// async fn handler(ClerkClient(clerk): ClerkClient, ClerkSession(claims): ClerkSession) -> String {
            ///     format!("{} via {}", claims.user_id(), clerk.api_url())
            /// }
            /// ```
            ClerkClient(pub $crate::Clerk) -> $crate::Clerk
        }

        $crate::adapter_extractor! {
            /// The signed-in user as the Backend API returns it (`GET /v1/users/{user_id}`):
            /// names, email addresses, metadata, … Dereferences to
            /// [`User`](clerk_core::models::User).
            ///
            /// Users are cached per id (see [`UserLookup`](clerk_core::user_cache::UserLookup)
            /// for the bounds, and [`ClerkOptions`](clerk_core::options::ClerkOptions) for the
            /// cache's lifetime and the lookup's timeout): however many requests of one user
            /// arrive together, one API call is made.
            #[doc = concat!(
                "`", stringify!($layer), "::pipeline().user_cache()` (see [`Pipeline::user_cache`]",
                "(clerk_core::adapter::Pipeline::user_cache)) invalidates a user; a verified ",
                "`user.*` webhook through [`",
                stringify!($webhook_layer), "`](crate::", stringify!($webhook_layer),
                ") on a route behind the layer does it too."
            )]
            ///
            /// Rejects like [`ClerkSession`], and when the user cannot be loaded: 401
            /// `user-not-found` when the user no longer exists (Clerk's 404
            /// `resource_not_found`), 503 when the Backend API is unavailable (unreachable, 429,
            /// 503, or no answer within the timeout), 502 for other API errors, a 404 without
            /// Clerk's code included (such as a wrong `CLERK_API_URL` gives).
            #[doc = concat!(
                "`", stringify!($maybe), "<ClerkUser>` is `None` when signed out or when the user ",
                "no longer exists."
            )]
            ///
            /// ```
            #[doc = concat!("use ", stringify!($krate), "::ClerkUser;")]
            ///
            /// async fn profile(user: ClerkUser) -> String {
            ///     format!("{:?} {:?}", user.first_name, user.last_name)
            /// }
            /// ```
            ClerkUser(pub ::std::sync::Arc<$crate::models::User>) -> $crate::models::User
        }

        $crate::adapter_extractor! {
            /// The verified machine token of a request: an API key, an M2M token or an OAuth
            /// access token (see [`MachineAuth`](clerk_core::machine::MachineAuth): kind, id,
            /// subject, scopes, claims). Dereferences to `MachineAuth`. The layer must accept
            /// the kind ([`ClerkOptions::accepts`](clerk_core::options::ClerkOptions::accepts)).
            ///
            /// Rejects with 401 when signed out or when the token is a session
            /// (`token-type-mismatch`), 503 when it cannot be verified now, 500 without the
            /// layer.
            #[doc = concat!(
                "`", stringify!($maybe), "<ClerkMachine>` is `None` for signed-out and session requests."
            )]
            ///
            /// ```
            #[doc = concat!("use ", stringify!($krate), "::ClerkMachine;")]
            ///
            /// async fn export(machine: ClerkMachine) -> String {
            ///     format!("{} {} may {:?}", machine.kind().name(), machine.subject(), machine.scopes())
            /// }
            /// ```
            ClerkMachine(pub $crate::machine::MachineAuth) -> $crate::machine::MachineAuth
        }

        $crate::adapter_extractor! {
            /// The caller of a request, a session or a machine
            /// ([`Caller`](clerk_core::guard::Caller)), for routes that take both: its kind, its
            /// user (if any) and its token. Dereferences to `Caller`.
            ///
            /// Rejects with 401 when signed out, 503 when the token cannot be verified now, 500
            /// without the layer.
            #[doc = concat!("`", stringify!($maybe), "<ClerkCaller>` accepts signed-out requests.")]
            ///
            /// ```
            #[doc = concat!("use ", stringify!($krate), "::ClerkCaller;")]
            /// use clerk_core::guard::Caller;
            ///
            /// async fn orders(caller: ClerkCaller) -> String {
            ///     match &*caller {
            ///         Caller::Session(auth) => format!("user {}", auth.user_id()),
            ///         Caller::Machine(machine) => format!("{} {}", machine.kind().name(), machine.subject()),
            ///     }
            /// }
            /// ```
            ClerkCaller(pub $crate::guard::Caller) -> $crate::guard::Caller
        }

        $crate::adapter_extractor! {
            /// A verified Clerk webhook delivery: its id (`svix-id`, the same across Svix's
            /// retries: an idempotency key), when it was sent, and the typed event
            /// ([`WebhookEvent`](clerk_core::webhooks::WebhookEvent)). Dereferences to
            /// [`Delivery`](clerk_core::webhooks::Delivery).
            ///
            #[doc = concat!(
                "Consumes the body (up to the verifier's limit, 1 MiB by default) and verifies it ",
                "with the [`Webhook`](clerk_core::webhooks::Webhook) of the route's [`",
                stringify!($webhook_layer), "`](crate::", stringify!($webhook_layer),
                ") (which also gives replay protection). Rejects with 400 and a stable code when ",
                "the delivery does not verify (`webhook_invalid_signature`, ",
                "`webhook_timestamp_too_old`, …), 500 `webhook_not_configured` without the webhook ",
                "layer. A body extractor: it comes last among a handler's arguments."
            )]
            ///
            /// When the route is also behind the Clerk layer, a verified `user.*` event
            /// (`user.created`, `user.updated`, `user.deleted`) drops the user from its
            /// [`ClerkUser`] cache, so the next request of that user loads it again (other
            /// instances of the app keep theirs until their TTL ends).
            ///
            /// ```
            #[doc = concat!("use ", stringify!($krate), "::ClerkWebhook;")]
            /// use clerk_core::webhooks::WebhookData;
            ///
            /// async fn webhook(ClerkWebhook(delivery): ClerkWebhook) -> &'static str {
            ///     match &delivery.event.data {
            ///         WebhookData::UserCreated(user) => println!("new user {}", user.id),
            ///         other => println!("{} (delivery {})", other.event_type(), delivery.id),
            ///     }
            ///     "ok"
            /// }
            /// ```
            ClerkWebhook(pub $crate::webhooks::Delivery) -> $crate::webhooks::Delivery
        }
    };
}

/// Declares one extractor type: a public newtype over `$inner` that dereferences to `$target`.
#[macro_export]
macro_rules! adapter_extractor {
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
/// `require_tokens` and `require`, each returning `$guard::new(requirement)`, with their
/// documentation.
#[macro_export]
macro_rules! adapter_guards {
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
        /// the layer accepts; sessions get 401 `token-type-mismatch`.
        pub fn require_machine() -> $guard {
            $guard::new($crate::guard::Requirement::machine())
        }

        /// Lets through machine tokens granted this scope (403 without it; 401
        /// `token-type-mismatch` for sessions).
        pub fn require_scope(scope: impl Into<String>) -> $guard {
            $guard::new($crate::guard::Requirement::scope(scope))
        }

        /// Lets through tokens of these kinds only, narrowing what the layer accepts,
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

/// Declares an adapter's layer type `$name` (its framework's middleware), holding an
/// [`Installed`](crate::adapter::Installed) pipeline and an `on_rejection` hook (the type
/// `$hook`: a function of the framework's request `$head` and the rejection, answering the
/// framework's `$response`), with the documentation every adapter shares, `new(options)`,
/// `on_rejection(hook)` and `pipeline()`. `$meta` adds the framework's own documentation (where
/// to put the layer, an example), `$hook_meta` the hook's; the adapter adds its framework's
/// middleware traits.
#[macro_export]
macro_rules! adapter_layer {
    (
        $(#[$meta:meta])* $name:ident(hook: $hook:ident, head: $head:ty, response: $response:ty)
        on_rejection: { $(#[$hook_meta:meta])* }
    ) => {
        /// An application's own answer to a refused request: it receives the request and the
        #[doc = concat!("rejection (see [`", stringify!($name), "::on_rejection`]).")]
        pub type $hook = ::std::sync::Arc<
            dyn Fn(&$head, &$crate::rejection::Rejection) -> $response + Send + Sync,
        >;

        /// Authenticates every request with Clerk ([`Pipeline::authenticate`]
        /// (clerk_core::adapter::Pipeline::authenticate)) and stores the outcome, a
        /// [`RequestState`](clerk_core::RequestState), in the request's extensions. It rejects
        /// nothing by itself: public and protected routes share it, and the extractors
        /// ([`ClerkSession`](crate::ClerkSession), [`ClerkAuth`](crate::ClerkAuth),
        /// [`ClerkUser`](crate::ClerkUser), …) and guards ([`require_auth`](crate::require_auth),
        /// …) decide per route.
        ///
        /// The token is looked for in `Authorization: Bearer …`, then in the `__session` cookie
        /// (see [`Clerk::authenticate`](clerk_core::Clerk::authenticate)); a token seen before
        /// costs a cache lookup, not a signature check. Clones share the pipeline, so the
        /// [`ClerkUser`](crate::ClerkUser) cache too.
        ///
        $(#[$meta])*
        #[derive(Clone, Debug)]
        pub struct $name {
            installed: $crate::adapter::Installed<$hook>,
        }

        impl $name {
            /// A layer with these options; a [`Clerk`](clerk_core::Clerk) converts to its
            /// default options.
            pub fn new(options: impl Into<$crate::options::ClerkOptions>) -> Self {
                Self {
                    installed: $crate::adapter::Installed::new(options),
                }
            }

            /// Replaces the response of every refusal made by the extractors and guards on
            /// requests that went through this layer (401, 403, 502, 503, and webhook refusals)
            /// with the application's own; `hook` receives the request, so a page and an API
            /// call can be answered differently. [`rejection_response`](crate::rejection_response)
            /// gives the default, to adapt. A missing layer (500) cannot be seen by the hook:
            /// without the layer there is no hook.
            ///
            $(#[$hook_meta])*
            pub fn on_rejection(
                self,
                hook: impl Fn(&$head, &$crate::rejection::Rejection) -> $response
                    + Send
                    + Sync
                    + 'static,
            ) -> Self {
                Self {
                    installed: self.installed.with_hook(::std::sync::Arc::new(hook)),
                }
            }

            /// The pipeline: its options, its client, the [`ClerkUser`](crate::ClerkUser)
            /// cache ([`Pipeline::user_cache`](clerk_core::adapter::Pipeline::user_cache)).
            pub fn pipeline(&self) -> &$crate::adapter::Pipeline {
                self.installed.pipeline()
            }
        }
    };
}

/// Calls the adapter's macro `$impl` once per extractor decided synchronously from what the layer
/// stored, with the extractor, its rejection type, how a required one is decided from a
/// [`RequestAuth`](crate::adapter::RequestAuth) named `auth`, and (after `optional`) how its
/// "may be signed out" form is: the one table of extractor decisions every adapter implements.
#[macro_export]
macro_rules! adapter_extractor_decisions {
    ($impl:ident) => {
        $impl!(
            ClerkSession,
            SessionRejection,
            |auth| auth.session().map(|a| a.claims().clone()),
            optional
                | auth
                | auth
                    .optional_session()
                    .map(|a| a.map(|a| a.claims().clone()))
        );
        $impl!(
            ClerkAuth,
            SessionRejection,
            |auth| auth.session().cloned(),
            optional | auth | auth.optional_session().map(Option::<&_>::cloned)
        );
        $impl!(
            ClerkMachine,
            SessionRejection,
            |auth| auth.machine().cloned(),
            optional | auth | auth.optional_machine().map(Option::<&_>::cloned)
        );
        $impl!(
            ClerkCaller,
            SessionRejection,
            |auth| auth.caller(),
            optional | auth | auth.optional_caller()
        );
        $impl!(ClerkClient, MissingClerkLayer, |auth| {
            Ok::<_, $crate::rejection::Rejection>(auth.clerk().clone())
        });
    };
}
