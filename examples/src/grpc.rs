//! gRPC with tonic behind [`ClerkLayer`] (the `grpc` example's code).
//!
//! The service `clerk.example.Orders` has two methods:
//!
//! - `Whoami` answers any caller the layer accepts (sessions, API keys, M2M tokens): who it is;
//! - `ListOrders` also needs, for a machine, the scope [`ORDERS_READ`], checked in the method
//!   with [`clerk_core::guard::check`].
//!
//! A refused call is a gRPC status, never an HTTP 401 page: the guard in front of the whole
//! service answers with [`RequireLayer::grpc`](clerk_axum::RequireLayer::grpc), the method with
//! [`status`]: `UNAUTHENTICATED` (signed out, a token of a kind the service does not take),
//! `PERMISSION_DENIED` (a missing scope), `UNAVAILABLE` (Clerk's keys or the Backend API
//! unreachable), with Clerk's reason code first in the message.
//!
//! The client side sends an M2M token from [`M2mTokenSource`] through a tonic
//! [`Interceptor`]: [`OrdersClient::connect_with`] asks the source for a token (reused until
//! shortly before it expires) and the interceptor puts it in each call's `authorization`.
//!
//! The messages and the service glue are written out here (what `tonic-build` would generate
//! from a `.proto`), so that building the example needs no `protoc`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use clerk_axum::{ClerkLayer, ClerkOptions, require_tokens};
use clerk_core::guard::{Requirement, check};
use clerk_core::machine::{Accepts, M2mTokenSource, TokenKind};
use clerk_core::rejection::Rejection;
use clerk_core::{Clerk, RequestState};
use tonic::body::Body;
use tonic::codegen::http;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tonic_prost::ProstCodec;

/// The scope a machine needs for `ListOrders`.
pub const ORDERS_READ: &str = "orders:read";

/// The service's full name.
pub const SERVICE: &str = "clerk.example.Orders";

/// `Whoami`'s and `ListOrders`' request: nothing.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Empty {}

/// `Whoami`'s answer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Caller {
    /// The token's kind: `session_token`, `api_key`, `m2m_token`.
    #[prost(string, tag = "1")]
    pub kind: String,
    /// Its subject: a user, organization or machine id.
    #[prost(string, tag = "2")]
    pub subject: String,
}

/// `ListOrders`' answer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Orders {
    /// The order ids.
    #[prost(string, repeated, tag = "1")]
    pub ids: Vec<String>,
}

/// The gRPC status of a refusal: [`Rejection::grpc_code`], with Clerk's code first in the
/// message (`token-type-mismatch: …`).
pub fn status(rejection: &Rejection) -> Status {
    Status::new(
        Code::from_i32(rejection.grpc_code()),
        format!("{}: {}", rejection.code(), rejection.message()),
    )
}

/// The token kinds the service takes; OAuth access tokens are refused
/// (`UNAUTHENTICATED`, `token-type-mismatch`).
pub fn accepted() -> Accepts {
    Accepts::kinds([
        TokenKind::SessionToken,
        TokenKind::ApiKey,
        TokenKind::M2mToken,
    ])
}

/// The server: the service behind the Clerk layer and a guard answering in gRPC statuses.
pub fn server(
    clerk: Clerk,
) -> tonic::transport::server::Router<
    tower::layer::util::Stack<
        clerk_axum::RequireLayer<clerk_axum::GrpcStatus>,
        tower::layer::util::Stack<ClerkLayer, tower::layer::util::Identity>,
    >,
> {
    tonic::transport::Server::builder()
        .layer(ClerkLayer::new(
            ClerkOptions::new(clerk).accepts(accepted()),
        ))
        .layer(require_tokens(accepted()).grpc())
        .add_service(OrdersServer)
}

/// The service's implementation.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrdersServer;

impl tonic::server::NamedService for OrdersServer {
    const NAME: &'static str = SERVICE;
}

/// Who is calling, from what the layer stored (always there behind the guard).
fn caller(state: &RequestState) -> Result<Caller, Status> {
    let caller = clerk_core::guard::caller(state).map_err(|rejection| status(&rejection))?;
    let subject = match &caller {
        clerk_core::guard::Caller::Session(auth) => auth.user_id().to_owned(),
        clerk_core::guard::Caller::Machine(machine) => machine.subject().to_owned(),
    };
    Ok(Caller {
        kind: caller.kind().name().to_owned(),
        subject,
    })
}

impl OrdersServer {
    fn whoami(request: &Request<Empty>) -> Result<Caller, Status> {
        let state = request.extensions().get::<RequestState>();
        caller(state.ok_or_else(|| Status::internal("no Clerk layer"))?)
    }

    fn list_orders(request: &Request<Empty>) -> Result<Orders, Status> {
        let state = request
            .extensions()
            .get::<RequestState>()
            .ok_or_else(|| Status::internal("no Clerk layer"))?;
        if let RequestState::Machine(_) = state {
            check(state, &Requirement::scope(ORDERS_READ)).map_err(|r| status(&r))?;
        }
        let who = caller(state)?;
        Ok(Orders {
            ids: vec![format!("order-1 of {}", who.subject)],
        })
    }
}

/// One unary method: its handler, as tonic's server codec wants it.
struct Unary<M>(fn(&Request<Empty>) -> Result<M, Status>);

impl<M: Send + 'static> tonic::server::UnaryService<Empty> for Unary<M> {
    type Response = M;
    type Future = std::future::Ready<Result<Response<M>, Status>>;

    fn call(&mut self, request: Request<Empty>) -> Self::Future {
        std::future::ready((self.0)(&request).map(Response::new))
    }
}

/// Answers `request` with `method`.
async fn answer<M>(
    method: fn(&Request<Empty>) -> Result<M, Status>,
    request: http::Request<Body>,
) -> http::Response<Body>
where
    M: prost::Message + Send + 'static,
{
    let mut grpc = tonic::server::Grpc::new(ProstCodec::<M, Empty>::default());
    grpc.unary(Unary(method), request).await
}

impl tower::Service<http::Request<Body>> for OrdersServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = request.uri().path().rsplit('/').next().unwrap_or_default();
        let in_service = request.uri().path() == format!("/{SERVICE}/{method}");
        match (in_service, method) {
            (true, "Whoami") => Box::pin(async move { Ok(answer(Self::whoami, request).await) }),
            (true, "ListOrders") => {
                Box::pin(async move { Ok(answer(Self::list_orders, request).await) })
            }
            _ => Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

/// Puts `authorization: Bearer <token>` in every call (nothing without a token).
#[derive(Debug, Clone)]
pub struct Bearer(Option<MetadataValue<tonic::metadata::Ascii>>);

impl Bearer {
    /// An interceptor sending `token`, or no token.
    pub fn new(token: Option<&str>) -> Result<Self, Status> {
        let value = token
            .map(|token| format!("Bearer {token}").parse())
            .transpose()
            .map_err(|_| Status::unauthenticated("the token is not a header value"))?;
        Ok(Self(value))
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A client of `clerk.example.Orders`.
#[derive(Debug, Clone)]
pub struct OrdersClient {
    grpc: tonic::client::Grpc<InterceptedService<Channel, Bearer>>,
}

impl OrdersClient {
    /// A client over `channel` that sends `token` with every call (or no token).
    pub fn new(channel: Channel, token: Option<&str>) -> Result<Self, Status> {
        let service = InterceptedService::new(channel, Bearer::new(token)?);
        Ok(Self {
            grpc: tonic::client::Grpc::new(service),
        })
    }

    /// A client over `channel` that sends an M2M token of `source` (asked from Clerk once,
    /// reused until shortly before it expires).
    pub async fn connect_with(
        channel: Channel,
        source: &M2mTokenSource,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let token = source.token().await?;
        Ok(Self::new(channel, Some(&token))?)
    }

    async fn unary<M: prost::Message + Default + 'static>(
        &mut self,
        method: &'static str,
    ) -> Result<M, Status> {
        self.grpc
            .ready()
            .await
            .map_err(|error| Status::unavailable(error.to_string()))?;
        let path = http::uri::PathAndQuery::try_from(format!("/{SERVICE}/{method}"))
            .map_err(|_| Status::internal("invalid method path"))?;
        let codec = ProstCodec::<Empty, M>::default();
        let answer = self.grpc.unary(Request::new(Empty {}), path, codec).await?;
        Ok(answer.into_inner())
    }

    /// `Whoami`.
    pub async fn whoami(&mut self) -> Result<Caller, Status> {
        self.unary("Whoami").await
    }

    /// `ListOrders`.
    pub async fn list_orders(&mut self) -> Result<Orders, Status> {
        self.unary("ListOrders").await
    }
}

/// One call of the demo and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Who called what.
    pub what: &'static str,
    /// The gRPC status code (`Ok` for an answer).
    pub code: Code,
    /// The answer, or the status message.
    pub answer: String,
}

/// Serves the Orders service with `clerk` on `listener` (HTTP/2, plaintext), in a task.
pub fn spawn_server(
    clerk: Clerk,
    listener: tokio::net::TcpListener,
) -> tokio::task::JoinHandle<Result<(), tonic::transport::Error>> {
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    tokio::spawn(server(clerk).serve_with_incoming(incoming))
}

/// Runs the demo against `local`: a machine (billing-worker) and a user (Ada, with two API keys
/// and a session) call the service over HTTP/2 on 127.0.0.1.
pub async fn demo(
    local: &clerk_testing::LocalClerk,
) -> Result<Vec<Step>, Box<dyn std::error::Error + Send + Sync>> {
    let worker = local.machines().create("billing-worker");
    let ada = local
        .users()
        .create(clerk_testing::NewUser::with_email("ada@example.com"));
    let (_, reader) = local
        .api_keys()
        .create(&ada.id, "ada's reports", [ORDERS_READ]);
    let (_, profile) = local
        .api_keys()
        .create(&ada.id, "ada's profile script", ["profile"]);
    let session = local.sessions().sign_in(&ada.id).token;
    let oauth = local
        .oauth()
        .mint_access_token(&ada.id, "client_dashboard", ["orders"]);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server = spawn_server(local.clerk(), listener);
    let channel = Channel::from_shared(url)?.connect().await?;

    let mut steps = Vec::new();
    let mut record = |what, result: Result<String, Status>| {
        let (code, answer) = match result {
            Ok(answer) => (Code::Ok, answer),
            Err(status) => (status.code(), status.message().to_owned()),
        };
        steps.push(Step { what, code, answer });
    };
    let whoami = |caller: Caller| format!("{} {}", caller.kind, caller.subject);
    let orders = |orders: Orders| orders.ids.join(", ");

    let source = M2mTokenSource::new(worker.secret_key).api_url(local.api_url());
    let mut billing = OrdersClient::connect_with(channel.clone(), &source).await?;
    record(
        "billing-worker (M2M token): Whoami",
        billing.whoami().await.map(whoami),
    );
    record(
        "billing-worker (M2M token): ListOrders",
        billing.list_orders().await.map(orders),
    );
    let client = |token: Option<&str>| OrdersClient::new(channel.clone(), token);
    record(
        "Ada's API key with orders:read: ListOrders",
        client(Some(&reader))?.list_orders().await.map(orders),
    );
    record(
        "Ada's API key without orders:read: ListOrders",
        client(Some(&profile))?.list_orders().await.map(orders),
    );
    record(
        "Ada's session: Whoami",
        client(Some(&session))?.whoami().await.map(whoami),
    );
    record(
        "an OAuth access token: Whoami",
        client(Some(&oauth))?.whoami().await.map(whoami),
    );
    record("no token: Whoami", client(None)?.whoami().await.map(whoami));
    local
        .faults()
        .set_api(Some(clerk_testing::Fault::Status(503)));
    let (_, fresh) = local
        .api_keys()
        .create(&ada.id, "ada's new key", [ORDERS_READ]);
    record(
        "a new API key while the Backend API is down: ListOrders",
        client(Some(&fresh))?.list_orders().await.map(orders),
    );
    local.faults().set_api(None);
    server.abort();
    Ok(steps)
}
