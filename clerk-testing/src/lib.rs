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
//! | organization invitations | `CreateOrganizationInvitation` (`inviter_user_id` an admin of the organization, else 403; 422 for a member's address, a second pending invitation, or no room left: members and pending invitations count in `max_allowed_memberships`), `CreateOrganizationInvitationBulk` (1 to 10, all or none), `ListOrganizationInvitations` (`status` repeatable, `email_address`, `order_by`, `limit`, `offset`), `ListPendingOrganizationInvitations`, `GetOrganizationInvitation`, `RevokeOrganizationInvitation` (`requesting_user_id` an admin; pending only, else 422), `ListInstanceOrganizationInvitations` (`status`, `query`, `order_by`, `limit`, `offset`), `UsersGetOrganizationInvitations` (`status`; invitations to any of the user's addresses); all answer 200 as the spec declares |
//! | sessions | `GetSessionList` (`user_id`, `client_id`, `status`, `paginated`), `GetSession`, `RevokeSession`, `RefreshSession` (`suffixed_cookies`; the session's refresh token and an expired token this instance signed for it, else 401 `refresh_token_invalid`; `format: cookie` answers `__session` cookies), `CreateSessionTokenFromTemplate` (an active session and a template by name, else 404 `resource_not_found`; `expires_in_seconds`) |
//! | JWT templates | `ListJWTTemplates` (`paginated`, `limit`, `offset`), `CreateJWTTemplate` (unique `name`, else 422; `lifetime` 30 s to 10 years, default 60; `allowed_clock_skew` 0 to 300, default 5; `custom_signing_key: true` is refused with 422, not emulated), `GetJWTTemplate`, `UpdateJWTTemplate`, `DeleteJWTTemplate` |
//! | clients | `GetHandshakePayload` (the directives of a Frontend API handshake, once per nonce, within 60 s; else 404) |
//! | invitations | `CreateInvitation`, `ListInvitations` (`status`, `query`, `order_by`, `paginated`), `RevokeInvitation` |
//! | keys | `GetJWKS` |
//! | machines | `ListMachines` (`query`, `order_by`, `limit`, `offset`), `CreateMachine` (answers the machine's secret key, `ak_…`), `GetMachine`, `UpdateMachine`, `DeleteMachine`, `GetMachineSecretKey`, `RotateMachineSecretKey`, `CreateMachineScope`, `DeleteMachineScope` |
//! | API keys | `getApiKeys` (`subject`, `type`, `include_invalid`, `query`, `limit`, `offset`), `createApiKey` (201, as Clerk answers though the spec says 200; secret `ak_…`), `getApiKey`, `updateApiKey`, `deleteApiKey`, `getApiKeySecret`, `revokeApiKey`, `verifyApiKey` |
//! | M2M tokens | `getM2MTokens` (`subject`, `revoked`, `expired`), `createM2MToken` (201; opaque `mt_…` or `token_format: jwt`; `min_remaining_ttl_seconds` reuses a live opaque token; with a machine's secret key, or the instance's when it has exactly one machine), `revokeM2MToken`, `verifyM2MToken` (opaque or JWT) |
//! | OAuth | `verifyOAuthAccessToken` (`access_token` or the deprecated `secret`; opaque `oat_…` or JWT) |
//!
//! A token from a JWT template is signed with the instance's key (header `cat`
//! `cl_B7d4PD222AAA`) and carries the template's claims rendered over the session: a claim
//! whose value is exactly one shortcode takes its value with its JSON type (`null` when the
//! user has none); shortcodes inside a longer string are replaced by their text; objects and
//! arrays are rendered member by member. The shortcodes emulated: `{{user.id}}`,
//! `{{user.first_name}}`, `{{user.last_name}}`, `{{user.username}}`, `{{user.image_url}}`,
//! `{{user.primary_email_address}}`, `{{user.created_at}}` (seconds),
//! `{{user.public_metadata}}`, `{{user.unsafe_metadata}}`, and for the session's active
//! organization `{{org.id}}`, `{{org.slug}}`, `{{org.name}}`, `{{org.role}}`; any other
//! shortcode stays as written (Clerk knows more, and conditionals, which are not emulated).
//! The default claims replace the template's own: `sub` (the user), `iss`, `iat`, `exp` (`iat`
//! plus the lifetime or `expires_in_seconds`), `nbf` (`iat` minus the allowed clock skew) and
//! a random `jti`.
//!
//! Every API-key and M2M operation, and OAuth's verify, also answers at the API root, without
//! `/v1` (`POST /api_keys/verify`, `POST /m2m_tokens`, `/oauth_applications/access_tokens/verify`,
//! ...), where Clerk's JavaScript and Python SDKs call them, and is counted under the same
//! operation id. A revoked or expired credential verifies with 200 and `revoked: true` / `expired: true`
//! (the caller rejects it, as Clerk's SDKs do); an unknown one is a 404 `resource_not_found`; an
//! expired OAuth access token in JWT form answers `{"active": false}`.
//!
//! Organization invitations are pending until accepted, revoked, or past `expires_at`
//! (`expires_in_days`, 30 by default; then `expired`). Each one's `url` is LocalClerk's sign-in
//! page with its ticket (`__clerk_ticket`, and the invitation's `redirect_url`): signing in there
//! as the invited address (a new user when none has it) accepts it, as following the link of
//! Clerk's invitation email does: a membership with the invitation's role and metadata. Signing
//! in as that address any other way leaves it pending, as with Clerk.
//!
//! Helpers seed data and sign users in without HTTP, grouped by job on the handle
//! ([`LocalClerk`] lists the groups): [`local.users().create`](handle::Users::create),
//! [`local.organizations()`](handle::Organizations) (`create`, `add_member`,
//! `set_role_permissions`, `invite`, `accept_invitation`), [`local.sessions()`](handle::Sessions)
//! (`sign_in`, `sign_in_to_org`, `set_active_organization`, `token`); machine credentials with
//! [`local.machines()`](handle::Machines) (`create`, `add_scope`, `mint_m2m_token`,
//! `mint_m2m_jwt`), [`local.api_keys()`](handle::ApiKeys)
//! and [`local.oauth()`](handle::Oauth) (`mint_access_token`, `mint_jwt`);
//! [`local.frontend()`](handle::Frontend) (`sign_in_url`, `sign_out_url`, `refresh_token`);
//! [`local.requests().count`](handle::Requests::count) counts requests by operation id, and
//! [`local.faults()`](handle::Faults) adds latency, 5xx or 429 answers.
//!
//! It sends webhooks: [`local.webhooks().add_endpoint`](handle::Webhooks::add_endpoint)
//! registers a URL that every change is POSTed to as the event Clerk sends (`user.created`,
//! `organizationMembership.deleted`, `organizationInvitation.accepted`, `session.revoked`, ...),
//! signed as Svix signs Clerk's, delivered in the background and retried;
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
//! | `GET /sign-in?__clerk_ticket=` | an organization invitation's link: one button, join as the invited address |
//! | `GET /sign-in?__clerk_redirect_url=` (or `__clerk_satellite_url`) | a development satellite's sync: 307 back to that URL with `__clerk_db_jwt` and `__clerk_synced=true`, as a primary app does |
//! | `POST /sign-in`, `POST /sign-up` | form `user_id`, `email` or `__clerk_ticket`, and `redirect_url` (optional with a ticket): a new session on the browser's client (and the invitation accepted), then 303 to `redirect_url` with `__clerk_db_jwt` |
//! | `GET` or `POST /sign-out?redirect_url=` | ends the client's sessions (`session.ended`), then 303 back with `__clerk_db_jwt` |
//! | `GET /v1/client/handshake` | Clerk's handshake: 307 to `redirect_url` (any host) with `__clerk_handshake_nonce` (`format=nonce`) or a signed `__clerk_handshake` token; the directives are `__clerk_db_jwt`, then signed in `__session`, `__client_uat`, `__refresh_<suffix>` (and the suffixed session and `__client_uat` with `suffixed_cookies=true`), or signed out the same cleared and `__client_uat=0`; `organization_id` activates an organization first |
//! | `POST /v1/dev_browser` | a client and its dev browser token, `{"id", "token"}` |
//!
//! **Organization sync.** Clerk's SDK adds `organization_id` to the handshake when the page's
//! URL names an organization (its id or slug) the session is not active in, or is empty for the
//! personal account (`organizationSyncOptions`, reason `active-organization-mismatch`). When
//! the client's session belongs to a member of that organization, LocalClerk makes it the
//! session's active organization (empty: none) before it mints the directives' `__session`, so
//! the token carries `o` (v2) as [`sign_in_to_org`](handle::Sessions::sign_in_to_org)'s do; the
//! session keeps it for its later tokens and refreshes. An organization the user is not a member
//! of, or none by that id or slug, changes nothing: the handshake answers as usual and the SDK's
//! loop guard stops the retries, as with Clerk.
//!
//! **Satellites.** A development satellite (another app, on another host, with the same keys
//! and `CLERK_IS_SATELLITE`) shares this Frontend API and the browser's client: its SDK sends a
//! page to the primary's sign-in URL with `__clerk_redirect_url`, the primary (or LocalClerk's
//! sign-in page, when it is that URL) sends the browser back with its `__clerk_db_jwt` and
//! `__clerk_synced=true`, and the satellite's handshake with that token plants cookies for the
//! satellite's host from the same client, signed in or out. Production satellites have their own
//! Frontend API, `clerk.<domain>`, whose tokens carry `iss` `https://clerk.<domain>`:
//! [`LocalClerkBuilder::satellite_domain`] makes LocalClerk answer handshakes for that host so
//! (and [`TokenBuilder::issuer`] mints any such token). LocalClerk remains a development
//! instance (`pk_test_`): the production sync through the primary's `/v1/client/sync` is not
//! emulated.
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
