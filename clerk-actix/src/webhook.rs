//! [`WebhookMiddleware`]: the middleware of a resource or scope that receives Clerk's webhooks.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::HttpMessage as _;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use clerk_core::adapter::WebhookReceiver;
use clerk_core::webhooks::Webhook;

/// The middleware of a webhook resource: gives the [`ClerkWebhook`](crate::ClerkWebhook)
/// extractor its [`Webhook`] verifier and, with [`Webhook::replay_protection`], remembers each
/// delivery the handler accepted (answered 2xx), so that a replay of it is answered 200
/// `webhook_replayed` without calling the handler again. Only the resource it wraps pays for it.
///
/// ```
/// use actix_web::{App, web};
/// use clerk_actix::{ClerkMiddleware, ClerkWebhook, WebhookMiddleware};
/// use clerk_core::webhooks::Webhook;
///
/// async fn clerk_events(ClerkWebhook(delivery): ClerkWebhook) -> &'static str {
///     println!("{} ({})", delivery.event.event_type(), delivery.id);
///     "ok"
/// }
///
/// # fn app(clerk: clerk_core::Clerk) -> Result<(), Box<dyn std::error::Error>> {
/// let webhook = Webhook::from_env()?.replay_protection(10_000);
/// let app = App::new()
///     // Optional for webhooks: behind it, a `user.*` event also refreshes `ClerkUser`.
///     .wrap(ClerkMiddleware::new(clerk))
///     .service(
///         web::resource("/webhooks/clerk")
///             .wrap(WebhookMiddleware::new(webhook))
///             .route(web::post().to(clerk_events)),
///     );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WebhookMiddleware {
    webhook: Arc<Webhook>,
}

impl WebhookMiddleware {
    /// A middleware verifying deliveries with `webhook`.
    pub fn new(webhook: Webhook) -> Self {
        Self {
            webhook: Arc::new(webhook),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for WebhookMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = S::Error;
    type Transform = WebhookService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, inner: S) -> Self::Future {
        ready(Ok(WebhookService {
            inner,
            webhook: Arc::clone(&self.webhook),
        }))
    }
}

/// The service made by [`WebhookMiddleware`]. Readiness is the inner service's.
#[derive(Debug)]
pub struct WebhookService<S> {
    inner: S,
    webhook: Arc<Webhook>,
}

/// The response future of [`WebhookService`]: the handler's, then the delivery remembered.
pub type WebhookServiceFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>>>>;

impl<S, B> Service<ServiceRequest> for WebhookService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = S::Error;
    type Future = WebhookServiceFuture<Self::Response, S::Error>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let (receiver, answer) = WebhookReceiver::new(Arc::clone(&self.webhook));
        request.extensions_mut().insert(receiver);
        let future = self.inner.call(request);
        Box::pin(async move {
            // An error, or this future dropped, drops the answer unreported: released.
            let response = future.await?;
            answer.answered(response.status().as_u16());
            Ok(response)
        })
    }
}
