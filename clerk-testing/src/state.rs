//! The state an instance shares between its handles, its server and its token builders: the
//! instance's identity and keys, the injected faults, the request counters, the [`Store`] and
//! the [`Webhooks`] its changes are sent to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::fault::Fault;
use crate::keys::SigningKey;
use crate::store::Store;
use crate::webhooks::Webhooks;

/// Locks a mutex, going on after a panic in another holder (the data stays usable).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What an instance is, fixed at start.
pub(crate) struct Identity {
    pub(crate) secret_key: String,
    pub(crate) publishable_key: String,
    /// The Frontend API host (`localhost:<port>` by default), which names the issuer.
    pub(crate) frontend_api: String,
    /// The suffix of the cookie names of apps that share a domain (`__session_<suffix>`): the
    /// publishable key's [`cookie_suffix`](clerk_core::PublishableKey::cookie_suffix).
    pub(crate) cookie_suffix: String,
    /// The lifetime of the session tokens the Frontend API issues (handshakes) and of refreshed
    /// ones, in seconds.
    pub(crate) session_token_lifetime: i64,
    /// The `alg` published with each JWK; `None` publishes keys not bound to one.
    pub(crate) jwk_alg: Option<String>,
    /// JWKs published before the instance's own keys.
    pub(crate) extra_jwks: Vec<serde_json::Value>,
    /// The production satellite domains (`sat.example`, lowercase): the Frontend API answering
    /// on `clerk.<domain>` issues tokens with `iss` `https://clerk.<domain>`.
    pub(crate) satellite_domains: Vec<String>,
}

/// State shared by the server and the handles.
pub(crate) struct Shared {
    identity: Identity,
    keys: Mutex<Vec<Arc<SigningKey>>>,
    jwks_requests: AtomicUsize,
    handshakes: AtomicUsize,
    jwks_fault: Mutex<Option<Fault>>,
    api_fault: Mutex<Option<Fault>>,
    calls: Mutex<HashMap<&'static str, usize>>,
    store: Mutex<Store>,
    webhooks: Webhooks,
}

/// The store, locked; the webhook events of the changes made through it are queued for
/// delivery when it is released, in the order the changes were made.
pub(crate) struct StoreGuard<'a> {
    store: MutexGuard<'a, Store>,
    webhooks: &'a Webhooks,
}

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.store
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        // Still under the lock, so that the queues hold the events in the order of the changes.
        let events = self.store.take_events();
        if !events.is_empty() {
            self.webhooks.dispatch(events);
        }
    }
}

impl Shared {
    /// A new instance signing with `key`, with no data, faults or requests yet.
    pub(crate) fn new(identity: Identity, key: SigningKey, webhooks: Webhooks) -> Self {
        Self {
            identity,
            keys: Mutex::new(vec![Arc::new(key)]),
            jwks_requests: AtomicUsize::new(0),
            handshakes: AtomicUsize::new(0),
            jwks_fault: Mutex::new(None),
            api_fault: Mutex::new(None),
            calls: Mutex::new(HashMap::new()),
            store: Mutex::new(Store::default()),
            webhooks,
        }
    }

    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    pub(crate) fn store(&self) -> StoreGuard<'_> {
        StoreGuard {
            store: lock(&self.store),
            webhooks: &self.webhooks,
        }
    }

    pub(crate) fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    pub(crate) fn issuer(&self) -> String {
        format!("https://{}", self.identity.frontend_api)
    }

    /// The issuer of a satellite domain's Frontend API, `https://clerk.<domain>`, for a request
    /// whose `Host` (with or without a port) is `clerk.<domain>` of one of the instance's
    /// satellite domains; `None` for any other host.
    pub(crate) fn satellite_issuer_for_host(&self, host: &str) -> Option<String> {
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        let domain = name.to_ascii_lowercase();
        let domain = domain.strip_prefix("clerk.")?;
        self.identity
            .satellite_domains
            .iter()
            .any(|d| d == domain)
            .then(|| format!("https://clerk.{domain}"))
    }

    /// Whether `iss` is the issuer of one of the instance's satellite domains.
    pub(crate) fn is_satellite_issuer(&self, iss: &str) -> bool {
        iss.strip_prefix("https://")
            .is_some_and(|host| self.satellite_issuer_for_host(host).as_deref() == Some(iss))
    }

    /// The key new tokens are signed with (the last one added).
    pub(crate) fn current_key(&self) -> Arc<SigningKey> {
        lock(&self.keys)
            .last()
            .cloned()
            .expect("a LocalClerk always has a key")
    }

    /// Every published signing key.
    pub(crate) fn keys(&self) -> Vec<Arc<SigningKey>> {
        lock(&self.keys).clone()
    }

    /// Replaces every signing key with `key`.
    pub(crate) fn replace_keys(&self, key: SigningKey) {
        *lock(&self.keys) = vec![Arc::new(key)];
    }

    /// Adds a signing key, which signs new tokens; the others stay published.
    pub(crate) fn add_key(&self, key: SigningKey) {
        lock(&self.keys).push(Arc::new(key));
    }

    /// The JSON Web Key Set: the extra JWKs, then the signing keys.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        let mut keys = self.identity.extra_jwks.clone();
        keys.extend(
            lock(&self.keys)
                .iter()
                .map(|k| k.jwk(self.identity.jwk_alg.as_deref())),
        );
        serde_json::json!({ "keys": keys })
    }

    /// Counts a request to an operation of the spec.
    pub(crate) fn count_call(&self, operation_id: &'static str) {
        *lock(&self.calls).entry(operation_id).or_default() += 1;
    }

    /// How many requests an operation has received.
    pub(crate) fn calls(&self, operation_id: &str) -> usize {
        lock(&self.calls).get(operation_id).copied().unwrap_or(0)
    }

    /// Counts a request to `/v1/jwks`.
    pub(crate) fn count_jwks_request(&self) {
        self.jwks_requests.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn jwks_requests(&self) -> usize {
        self.jwks_requests.load(Ordering::SeqCst)
    }

    /// Counts a request to the Frontend API's `/v1/client/handshake`.
    pub(crate) fn count_handshake(&self) {
        self.handshakes.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }

    pub(crate) fn jwks_fault(&self) -> Option<Fault> {
        *lock(&self.jwks_fault)
    }

    pub(crate) fn set_jwks_fault(&self, fault: Option<Fault>) {
        *lock(&self.jwks_fault) = fault;
    }

    pub(crate) fn api_fault(&self) -> Option<Fault> {
        *lock(&self.api_fault)
    }

    pub(crate) fn set_api_fault(&self, fault: Option<Fault>) {
        *lock(&self.api_fault) = fault;
    }
}
