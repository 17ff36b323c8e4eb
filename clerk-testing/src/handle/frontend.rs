//! [`Frontend`]: LocalClerk as the Frontend API of its development instance.

use super::LocalClerk;

/// LocalClerk's Frontend API and its sign-in pages, on the same port as the Backend API: the
/// URLs to send a browser to, and what the browsers did. From [`LocalClerk::frontend`].
///
/// A browser signs in at [`sign_in_url`](Self::sign_in_url) (a plain HTML page: pick a user
/// or enter an email address) and comes back to the app with `__clerk_db_jwt`; the app's
/// `dev-browser-sync` handshake (`GET /v1/client/handshake`) then plants its cookies
/// (`__session`, `__client_uat`, `__refresh_<suffix>`, `__clerk_db_jwt`), by nonce (resolved
/// with the Backend API's `GetHandshakePayload`) or as a signed token. A handshake with
/// `organization_id` makes that organization the session's active one first (organization
/// sync); a development satellite's handshake, from another host with the same dev browser
/// token, gets the same client's cookies; and the sign-in page, as a satellite's sign-in URL,
/// answers its sync (`__clerk_redirect_url`). The crate docs tell these flows in full.
#[derive(Debug, Clone, Copy)]
pub struct Frontend<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Frontend<'_> {
    /// The Frontend API URL: [`LocalClerk::frontend_api_url`] (`http://localhost:<port>` by
    /// default). With a custom [`frontend_api`](super::LocalClerkBuilder::frontend_api) host,
    /// the URL that host names, which reaches LocalClerk only if that host leads to
    /// `127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.local.frontend_api_url()
    }

    /// The sign-in page, which sends the browser back to `redirect_url` (an absolute http(s)
    /// URL, e.g. the app's page on `http://127.0.0.1:<app port>/...`) once signed in.
    pub fn sign_in_url(&self, redirect_url: &str) -> String {
        self.page("sign-in", redirect_url)
    }

    /// The sign-up page: the sign-in page (an email address no user has creates the user).
    pub fn sign_up_url(&self, redirect_url: &str) -> String {
        self.page("sign-up", redirect_url)
    }

    /// Signs the browser's client out (its sessions end) and sends it back to `redirect_url`
    /// with its `__clerk_db_jwt`, so that the app's handshake clears its cookies.
    pub fn sign_out_url(&self, redirect_url: &str) -> String {
        self.page("sign-out", redirect_url)
    }

    fn page(&self, page: &str, redirect_url: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("redirect_url", redirect_url)
            .finish();
        format!("{}/{page}?{query}", self.url())
    }

    /// The suffix of the cookie names of apps that share a domain (`__session_<suffix>`,
    /// `__refresh_<suffix>`): the publishable key's
    /// [`cookie_suffix`](clerk_core::PublishableKey::cookie_suffix).
    pub fn cookie_suffix(&self) -> &str {
        &self.local.shared.identity().cookie_suffix
    }

    /// The refresh token of a session (what a handshake plants as `__refresh_<suffix>`), for
    /// `POST /v1/sessions/{id}/refresh`; every session has one, including those of
    /// [`sessions().sign_in`](super::Sessions::sign_in). `None` for an unknown session.
    pub fn refresh_token(&self, session_id: &str) -> Option<String> {
        self.local
            .shared
            .store()
            .refresh_token(session_id)
            .map(str::to_owned)
    }

    /// How many clients (browsers) the Frontend API knows.
    pub fn clients(&self) -> usize {
        self.local.shared.store().client_count()
    }

    /// How many requests `/v1/client/handshake` has received (including refused ones).
    pub fn handshakes(&self) -> usize {
        self.local.shared.handshakes()
    }
}
