//! The `grpc` example end to end, over real HTTP/2 on 127.0.0.1: a tonic service behind
//! `ClerkLayer` answers every token kind it takes and refuses the others with gRPC statuses
//! (never an HTTP 401 page), with Clerk's reason code first in the message.

use clerk_examples::grpc::{OrdersClient, spawn_server};
use clerk_testing::{Fault, LocalClerk};
use tonic::Code;
use tonic::transport::Channel;

#[tokio::test]
async fn the_example_answers_each_caller_with_a_grpc_status() {
    let local = LocalClerk::start().await;
    let steps = clerk_examples::grpc::demo(&local)
        .await
        .expect("the demo runs");
    let outcomes: Vec<(Code, &str)> = steps
        .iter()
        .map(|step| (step.code, step.answer.as_str()))
        .collect();
    let [
        whoami,
        m2m_orders,
        reader,
        profile,
        session,
        oauth,
        anonymous,
        outage,
    ] = outcomes[..]
    else {
        panic!("{steps:?}");
    };
    assert_eq!(whoami.0, Code::Ok, "{steps:?}");
    assert!(whoami.1.starts_with("m2m_token mch_"), "{}", whoami.1);
    assert_eq!(local.requests().count("createM2MToken"), 1);
    // An M2M token's scopes name machines: it does not hold `orders:read`.
    assert_eq!(m2m_orders.0, Code::PermissionDenied, "{steps:?}");
    assert!(m2m_orders.1.starts_with("forbidden: "), "{}", m2m_orders.1);
    assert_eq!(reader.0, Code::Ok, "{steps:?}");
    assert!(reader.1.starts_with("order-1 of user_"), "{}", reader.1);
    assert_eq!(profile.0, Code::PermissionDenied, "{steps:?}");
    assert!(profile.1.starts_with("forbidden: "), "{}", profile.1);
    assert_eq!(session.0, Code::Ok, "{steps:?}");
    assert!(
        session.1.starts_with("session_token user_"),
        "{}",
        session.1
    );
    assert_eq!(oauth.0, Code::Unauthenticated, "{steps:?}");
    assert!(oauth.1.starts_with("token-type-mismatch: "), "{}", oauth.1);
    assert_eq!(anonymous.0, Code::Unauthenticated, "{steps:?}");
    assert!(
        anonymous.1.starts_with("session-token-and-uat-missing: "),
        "{}",
        anonymous.1
    );
    assert_eq!(outage.0, Code::Unavailable, "{steps:?}");
    assert!(
        outage.1.starts_with("token_verification_unavailable: "),
        "{}",
        outage.1
    );
}

/// A server of `local`'s instance and a channel to it.
async fn serve(local: &LocalClerk) -> (Channel, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    spawn_server(local.clerk(), listener);
    let channel = Channel::from_shared(url.clone())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    (channel, url)
}

#[tokio::test]
async fn machine_jwts_pass_and_a_key_outage_is_unavailable() {
    let local = LocalClerk::start().await;
    let machine = local.machines().create("reporter");
    let jwt = local
        .machines()
        .mint_m2m_jwt(&machine.id, ["orders-api"], 60);
    let session = local.token("user_1").mint();
    local.faults().set_jwks(Some(Fault::Status(503)));
    let (channel, _) = serve(&local).await;
    let status = OrdersClient::new(channel.clone(), Some(&session))
        .expect("client")
        .whoami()
        .await
        .expect_err("no keys: nothing can be verified");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        status.message().starts_with("keys_unavailable: "),
        "{status:?}"
    );

    local.faults().set_jwks(None);
    // The key cache waits a second after a failed fetch before it asks again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let caller = OrdersClient::new(channel, Some(&jwt))
        .expect("client")
        .whoami()
        .await
        .expect("an M2M JWT is verified with the instance's keys");
    assert_eq!(
        (caller.kind.as_str(), caller.subject.as_str()),
        ("m2m_token", machine.id.as_str())
    );
}

/// On the wire a refusal is an HTTP 200 with `grpc-status` (a gRPC "trailers-only" answer),
/// not an HTTP 401.
#[tokio::test]
async fn a_refusal_is_a_grpc_status_on_the_wire() {
    let local = LocalClerk::start().await;
    let (_, url) = serve(&local).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let response = client
        .post(format!("{url}/clerk.example.Orders/Whoami"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(vec![0u8, 0, 0, 0, 0])
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("content-type").as_deref(), Some("application/grpc"));
    assert_eq!(header("grpc-status").as_deref(), Some("16"));
    let message = header("grpc-message").expect("a message");
    assert!(
        message.starts_with("session-token-and-uat-missing:%20")
            || message.starts_with("session-token-and-uat-missing: "),
        "{message}"
    );
}
