//! gRPC with tonic behind `ClerkLayer`: a service that takes sessions, API keys and M2M tokens,
//! and answers refusals with gRPC statuses (`UNAUTHENTICATED`, `PERMISSION_DENIED`,
//! `UNAVAILABLE`, Clerk's reason code in the message). A machine calls it with an M2M token
//! from `M2mTokenSource` through a tonic interceptor.
//!
//! `cargo run -p clerk-examples --features grpc --example grpc` (no configuration: it runs
//! against an embedded LocalClerk; the code is `examples/src/grpc.rs`).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let local = clerk_testing::LocalClerk::start().await;
    for step in clerk_examples::grpc::demo(&local).await? {
        println!("{:<58} {:?}: {}", step.what, step.code, step.answer);
    }
    Ok(())
}
