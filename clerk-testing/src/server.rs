//! The LocalClerk HTTP server: accepts connections and sends each request to the
//! [Frontend API](crate::frontend) (its paths, no secret key, no faults) or to the Backend API:
//! names the request's operation and counts it, applies the injected [`Fault`], requires the
//! secret key, then hands the request to the [emulated routes](crate::emulator) or answers that
//! the operation is not emulated.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

use crate::emulator::{self, served_at_root};
use crate::fault::Fault;
use crate::frontend;
use crate::generated::operations::OPERATIONS;
use crate::reply::clerk_error;
use crate::state::{Shared, lock};
use crate::webhooks::{HTTP_REQUEST, HttpRequest};

/// The running server; aborted when dropped (when the last handle goes) or stopped.
pub(crate) struct ServerTask(Mutex<Option<JoinHandle<()>>>);

impl ServerTask {
    /// Serves `listener` until stopped.
    pub(crate) fn start(listener: TcpListener, shared: Arc<Shared>) -> Self {
        Self(Mutex::new(Some(tokio::spawn(serve(listener, shared)))))
    }

    /// Stops serving: the port is closed and every open connection dropped.
    pub(crate) async fn stop(&self) {
        let task = lock(&self.0).take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.0).take() {
            task.abort();
        }
    }
}

/// The connection was closed on purpose ([`Fault::Close`]).
#[derive(Debug)]
struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by fault injection")
    }
}

impl std::error::Error for Closed {}

/// The two sides of an instance.
#[derive(Clone)]
struct Routers {
    backend: Router,
    frontend: Router,
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let router = Routers {
        backend: router(shared.clone()),
        frontend: frontend::routes().with_state(shared.clone()),
    };
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let router = router.clone();
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                        let router = router.clone();
                        let shared = shared.clone();
                        async move { handle(shared, router, request.map(Body::new), peer.ip()).await }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The operation a request is for: the spec path template that matches with the most literal
/// segments (`/users/count` before `/users/{user_id}`). The API-key and M2M-token operations
/// are also theirs at the API root, where Clerk's SDKs call them.
fn operation_for(method: &str, path: &str) -> Option<&'static str> {
    let path = match path.strip_prefix("/v1") {
        Some(path) => path,
        None if served_at_root(path) => path,
        None => return None,
    };
    let segments: Vec<&str> = path.split('/').collect();
    OPERATIONS
        .iter()
        .filter(|(m, _, _)| *m == method)
        .filter_map(|(_, template, id)| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, *id))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, id)| id)
}

/// A Frontend API request goes to its routes; a Backend API request is counted, meets the
/// injected faults, then is routed. Either way with the request known to the webhook events of
/// the changes it makes.
async fn handle(
    shared: Arc<Shared>,
    routers: Routers,
    request: Request,
    client_ip: IpAddr,
) -> Result<Response, Closed> {
    let http_request = HttpRequest {
        client_ip: client_ip.to_string(),
        user_agent: request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    };
    let router = if frontend::serves(request.uri().path()) {
        if let Some(refused) = frontend::proxy_refusal(&shared, request.headers()) {
            return Ok(refused);
        }
        routers.frontend
    } else {
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        match backend_fault(&shared, method.as_str(), &path).await {
            Some(answer) => return answer,
            None => routers.backend,
        }
    };
    match HTTP_REQUEST
        .scope(http_request, router.oneshot(request))
        .await
    {
        Ok(response) => Ok(response),
        Err(never) => match never {},
    }
}

/// Counts a Backend API request and applies the injected fault: `Some` answer (or a closed
/// connection) when the fault decides, `None` to go on.
async fn backend_fault(
    shared: &Shared,
    method: &str,
    path: &str,
) -> Option<Result<Response, Closed>> {
    let operation = operation_for(method, path);
    if let Some(id) = operation {
        shared.count_call(id);
    }
    let fault = if path == "/v1/jwks" {
        shared.count_jwks_request();
        shared.jwks_fault()
    } else {
        shared.api_fault()
    };
    match fault {
        Some(Fault::Close) => Some(Err(Closed)),
        Some(Fault::Hang) => std::future::pending().await,
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(Ok(clerk_error(
                status,
                "internal_clerk_error",
                "Injected fault",
            )))
        }
        Some(Fault::NotClerk(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let page = format!("<html><body><h1>{status}</h1></body></html>");
            Some(Ok(
                (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
            ))
        }
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut response = clerk_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Too many requests",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
            Some(Ok(response))
        }
        None => None,
    }
}

/// The emulated routes behind the secret key; anything else answers 501 or 404, including an
/// operation whose path an emulated route shares with another method (`PUT
/// /v1/users/{id}/metadata` beside the emulated `PATCH`).
fn router(shared: Arc<Shared>) -> Router {
    emulator::routes()
        .fallback(not_implemented)
        .method_not_allowed_fallback(not_implemented)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            require_secret_key,
        ))
        .with_state(shared)
}

async fn require_secret_key(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let authorized = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| {
            key == shared.identity().secret_key
                || (is_m2m_path(request.uri().path())
                    && shared.store().machine_by_secret_key(key).is_some())
        });
    if !authorized {
        return clerk_error(
            StatusCode::UNAUTHORIZED,
            "authentication_invalid",
            "Unable to authenticate the request, you need to supply an active key",
        );
    }
    next.run(request).await
}

/// The M2M token operations, which a machine's secret key may call as well.
fn is_m2m_path(path: &str) -> bool {
    path.strip_prefix("/v1")
        .unwrap_or(path)
        .starts_with("/m2m_tokens")
}

/// 501 naming an operation of the spec that is not emulated; 404 for what is not an operation.
async fn not_implemented(request: Request) -> Result<Response, Infallible> {
    let (method, path) = (request.method().as_str(), request.uri().path());
    let message = match operation_for(method, path) {
        Some(id) => format!(
            "LocalClerk does not emulate {id} ({method} {path}); see the clerk-testing docs for the emulated operations"
        ),
        None => format!("{method} {path} is not an operation of the Clerk Backend API"),
    };
    let status = if operation_for(method, path).is_some() {
        StatusCode::NOT_IMPLEMENTED
    } else {
        StatusCode::NOT_FOUND
    };
    Ok(clerk_error(
        status,
        if status == StatusCode::NOT_FOUND {
            "resource_not_found"
        } else {
            "not_implemented"
        },
        &message,
    ))
}
