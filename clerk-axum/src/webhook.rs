//! [`WebhookLayer`]: the layer of a route that receives Clerk's webhooks.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use clerk_core::adapter::{WebhookAnswer, WebhookReceiver};
use clerk_core::webhooks::Webhook;
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

/// The layer of a webhook route: gives the [`ClerkWebhook`](crate::ClerkWebhook) extractor its
/// [`Webhook`] verifier and, with [`Webhook::replay_protection`], remembers each delivery the
/// handler accepted (answered 2xx), so that a replay of it is answered 200
/// `webhook_replayed` without calling the handler again. Only the route it wraps pays for it.
///
/// ```
/// use axum::{Router, routing::post};
/// use clerk_axum::{ClerkLayer, ClerkWebhook, WebhookLayer};
/// use clerk_core::webhooks::Webhook;
///
/// async fn clerk_events(ClerkWebhook(delivery): ClerkWebhook) -> &'static str {
///     println!("{} ({})", delivery.event.event_type(), delivery.id);
///     "ok"
/// }
///
/// # fn app(clerk: clerk_core::Clerk) -> Result<Router, Box<dyn std::error::Error>> {
/// let webhook = Webhook::from_env()?.replay_protection(10_000);
/// Ok(Router::new()
///     .route("/webhooks/clerk", post(clerk_events).layer(WebhookLayer::new(webhook)))
///     // Optional for webhooks: behind it, a `user.*` event also refreshes `ClerkUser`.
///     .layer(ClerkLayer::new(clerk)))
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WebhookLayer {
    webhook: Arc<Webhook>,
}

impl WebhookLayer {
    /// A layer verifying deliveries with `webhook`.
    pub fn new(webhook: Webhook) -> Self {
        Self {
            webhook: Arc::new(webhook),
        }
    }
}

impl<S> Layer<S> for WebhookLayer {
    type Service = WebhookService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookService {
            inner,
            webhook: Arc::clone(&self.webhook),
        }
    }
}

/// The service made by [`WebhookLayer`]. Readiness is the inner service's.
#[derive(Debug, Clone)]
pub struct WebhookService<S> {
    inner: S,
    webhook: Arc<Webhook>,
}

impl<S, B, ResBody> Service<Request<B>> for WebhookService<S>
where
    S: Service<Request<B>, Response = http::Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = WebhookFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let (receiver, answer) = WebhookReceiver::new(Arc::clone(&self.webhook));
        request.extensions_mut().insert(receiver);
        WebhookFuture {
            future: self.inner.call(request),
            answer: Some(answer),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`WebhookService`]: the handler's, then the delivery remembered.
    pub struct WebhookFuture<F> {
        #[pin]
        future: F,
        answer: Option<WebhookAnswer>,
    }
}

impl<F, ResBody, E> Future for WebhookFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.future.poll(cx));
        // An error drops the answer unreported: the delivery is released.
        if let (Ok(response), Some(answer)) = (&result, this.answer.take()) {
            answer.answered(response.status().as_u16());
        }
        Poll::Ready(result)
    }
}

impl<F> fmt::Debug for WebhookFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookFuture").finish_non_exhaustive()
    }
}
