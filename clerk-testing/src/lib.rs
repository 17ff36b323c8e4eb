//! LocalClerk: a Clerk instance on 127.0.0.1 for tests and local development.
//!
//! [`LocalClerk`] owns an RSA key pair, serves the Backend API's `/v1/jwks` (requiring its
//! secret key, as Clerk does), and mints session tokens exactly as Clerk does (v1 and v2, every
//! claim, any expiry, `kid` or `cat`). For fault tests it can rotate keys, count requests, delay
//! or fail them, and go away.
//!
//! It also emulates the Backend API in memory, over real HTTP, with the request and response
//! bodies of the spec (the generated models of `clerk-core`). Unknown ids answer 404 and a
//! missing or wrong secret key 401, in Clerk's error shape; an operation of the spec that is not
//! emulated answers 501 naming it. The emulated operations ([`EMULATED_OPERATIONS`]):
//!
//! | resource | operations |
//! |---|---|
//! | users | `GetUserList` (filters `email_address`, `external_id`, `username`, `user_id`, `organization_id`, `query`, `email_address_query`, `username_query`, `name_query`, `banned`, `created_at_before`/`_after`; `limit`, `offset`, `order_by`, `starting_after`), `GetUsersCount`, `CreateUser`, `GetUser`, `UpdateUser`, `DeleteUser`, `UpdateUserMetadata` (merges; `null` removes a key), `BanUser`, `UnbanUser`, `LockUser`, `UnlockUser`, `UsersGetOrganizationMemberships` |
//! | organizations | `ListOrganizations` (`query`, `user_id`, `organization_id`, `order_by`, `limit`, `offset`), `CreateOrganization`, `GetOrganization` (by id or slug), `UpdateOrganization`, `DeleteOrganization`, `MergeOrganizationMetadata` |
//! | memberships | `CreateOrganizationMembership`, `ListOrganizationMemberships` (`user_id`, `role`, `query`, `order_by`, `limit`, `offset`), `UpdateOrganizationMembership`, `DeleteOrganizationMembership` |
//! | sessions | `GetSessionList` (`user_id`, `client_id`, `status`, `paginated`), `GetSession`, `RevokeSession`, `RefreshSession` (`suffixed_cookies`; the session's refresh token and an expired token this instance signed for it, else 401 `refresh_token_invalid`; `format: cookie` answers `__session` cookies) |
//! | clients | `GetHandshakePayload` (the directives of a Frontend API handshake, once per nonce, within 60 s; else 404) |
//! | invitations | `CreateInvitation`, `ListInvitations` (`status`, `query`, `order_by`, `paginated`), `RevokeInvitation` |
//! | keys | `GetJWKS` |
//! | machines | `ListMachines` (`query`, `order_by`, `limit`, `offset`), `CreateMachine` (answers the machine's secret key, `ak_…`), `GetMachine`, `UpdateMachine`, `DeleteMachine`, `GetMachineSecretKey`, `RotateMachineSecretKey`, `CreateMachineScope`, `DeleteMachineScope` |
//! | API keys | `getApiKeys` (`subject`, `type`, `include_invalid`, `query`, `limit`, `offset`), `createApiKey` (secret `ak_…`), `getApiKey`, `updateApiKey`, `deleteApiKey`, `getApiKeySecret`, `revokeApiKey`, `verifyApiKey` |
//! | M2M tokens | `getM2MTokens` (`subject`, `revoked`, `expired`), `createM2MToken` (201; opaque `mt_…` or `token_format: jwt`; `min_remaining_ttl_seconds` reuses a live opaque token; with a machine's secret key, or the instance's when it has exactly one machine), `revokeM2MToken`, `verifyM2MToken` (opaque or JWT) |
//! | OAuth | `verifyOAuthAccessToken` (`access_token` or the deprecated `secret`; opaque `oat_…` or JWT) |
//!
//! The three verify operations also answer at the API root, without `/v1`
//! (`POST /api_keys/verify`, `/m2m_tokens/verify`, `/oauth_applications/access_tokens/verify`),
//! where Clerk's JavaScript and Python SDKs call them, and are counted under the same operation
//! ids. A revoked or expired credential verifies with 200 and `revoked: true` / `expired: true`
//! (the caller rejects it, as Clerk's SDKs do); an unknown one is a 404 `resource_not_found`; an
//! expired OAuth access token in JWT form answers `{"active": false}`.
//!
//! Helpers seed data and sign users in without HTTP, grouped by job on the handle
//! ([`LocalClerk`] lists the groups): [`local.users().create`](handle::Users::create),
//! [`local.organizations()`](handle::Organizations) (`create`, `add_member`,
//! `set_role_permissions`), [`local.sessions()`](handle::Sessions) (`sign_in`,
//! `sign_in_to_org`, `token`); machine credentials with [`local.machines()`](handle::Machines)
//! (`create`, `add_scope`, `mint_m2m_token`, `mint_m2m_jwt`), [`local.api_keys()`](handle::ApiKeys)
//! and [`local.oauth()`](handle::Oauth) (`mint_access_token`, `mint_jwt`);
//! [`local.frontend()`](handle::Frontend) (`sign_in_url`, `sign_out_url`, `refresh_token`);
//! [`local.requests().count`](handle::Requests::count) counts requests by operation id, and
//! [`local.faults()`](handle::Faults) adds latency, 5xx or 429 answers.
//!
//! It sends webhooks: [`local.webhooks().add_endpoint`](handle::Webhooks::add_endpoint)
//! registers a URL that every change is POSTed to as the event Clerk sends (`user.created`,
//! `organizationMembership.deleted`, `session.revoked`, ...), signed as Svix signs Clerk's,
//! delivered in the background and retried;
//! [`local.webhooks().deliveries`](handle::Webhooks::deliveries) shows every attempt.
//!
//! It is the Frontend API of its development instance too, on the same port, with no secret
//! key ([`local.frontend()`](handle::Frontend)). The publishable key names
//! `localhost:<port>` ([`LocalClerk::frontend_api_url`] is `http://localhost:<port>`), a host
//! apart from an app on `127.0.0.1`, so their cookies stay apart as Clerk's and an app's do;
//! tokens keep `iss` `https://localhost:<port>`.
//!
//! | path | what |
//! |---|---|
//! | `GET /sign-in?redirect_url=`, `GET /sign-up` | a plain HTML page: the users as buttons, and an email field (an unknown address creates the user) |
//! | `POST /sign-in`, `POST /sign-up` | form `user_id` or `email`, `redirect_url`: a new session on the browser's client, then 303 to `redirect_url` with `__clerk_db_jwt` |
//! | `GET` or `POST /sign-out?redirect_url=` | ends the client's sessions (`session.ended`), then 303 back with `__clerk_db_jwt` |
//! | `GET /v1/client/handshake` | Clerk's handshake: 307 to `redirect_url` with `__clerk_handshake_nonce` (`format=nonce`) or a signed `__clerk_handshake` token; the directives are `__clerk_db_jwt`, then signed in `__session`, `__client_uat`, `__refresh_<suffix>` (and the suffixed session and `__client_uat` with `suffixed_cookies=true`), or signed out the same cleared and `__client_uat=0` |
//! | `POST /v1/dev_browser` | a client and its dev browser token, `{"id", "token"}` |
//!
//! A browser's client is found by `__clerk_db_jwt` (query or form), else by LocalClerk's
//! HttpOnly `__client` cookie on its host, else is new. `redirect_url` must be an absolute
//! http(s) URL (else 400) and everything a page echoes is HTML-escaped. Handshake and refresh
//! tokens live [`session_token_lifetime`](LocalClerkBuilder::session_token_lifetime) (60 s by
//! default); Frontend API requests are not counted by operation and meet no injected faults.
//!
//! As a standalone server for backends in any language:
//! `cargo run -p clerk-testing --bin local-clerk -- --port 8790 [--webhook URL]`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use clerk_testing::LocalClerk;
//!
//! let local = LocalClerk::start().await;
//! let clerk = local.clerk(); // a clerk_core::Clerk pointed at it
//! let token = local
//!     .token("user_123")
//!     .org("org_1", "acme", "org:admin", ["org:invoices:read"])
//!     .mint();
//! let claims = clerk.verify_token(&token).await.unwrap();
//! assert!(claims.has_permission("org:invoices:read"));
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

// Imports run one way, from the handle down; a module imports only from those below it:
//
//   demo
//   handle     the public handle (LocalClerk), its builder and its helpers grouped by job
//   server     the HTTP loop: Frontend or Backend API; operations, counters, faults, the
//              secret key, 501s
//   emulator   the Backend API routes, one module per resource
//   frontend   the Frontend API routes and pages (dev browser, handshake, sign-in, sign-out);
//              beside emulator: neither imports the other
//   token      session-token minting
//   state      what an instance shares: identity, keys, faults, counters, the store, webhooks
//   webhooks   webhook endpoints, signing and delivery of the store's events
//   store      the data and every rule Clerk applies, one module per resource
//   keys, fault, ids, time, cookies, reply, generated    leaves: no imports from this crate
//              but the other leaves
mod cookies;
pub mod demo;
mod emulator;
mod fault;
mod frontend;
pub mod handle;
mod ids;
mod keys;
mod reply;
mod server;
mod state;
mod store;
mod time;
mod token;
mod webhooks;

/// Code generated from Clerk's spec by `cargo xtask codegen`.
mod generated {
    pub mod operations;
}

pub use emulator::EMULATED_OPERATIONS;
pub use fault::Fault;
pub use handle::{LocalClerk, LocalClerkBuilder, SignIn};
pub use keys::SigningAlgorithm;
pub use store::NewUser;
pub use time::unix_now;
pub use token::{JWT_TEMPLATE_CATEGORY, M2M_CATEGORY, SESSION_CATEGORY, TokenBuilder};
pub use webhooks::{WebhookDelivery, WebhookEndpoint};
