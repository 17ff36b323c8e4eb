//! What the fuzz targets share: a networkless client (`CLERK_JWT_KEY` set to the test key's public
//! half, no secret key: nothing can reach the network), a runtime to drive its async API, a signer
//! with the test key's private half, and the check that an answer never echoes its input.

use std::future::Future;
use std::sync::OnceLock;

use clerk_core::Clerk;

/// The test key (2048-bit RSA, generated for these targets only).
pub const PRIVATE_KEY: &str = include_str!("../test_key.pem");
/// Its public half, the client's `CLERK_JWT_KEY`.
pub const PUBLIC_KEY: &str = include_str!("../test_key.pub.pem");
/// The issuer the client accepts.
pub const ISSUER: &str = "https://clerk.fuzz.example.com";

/// The client: the test key, the issuer above, no secret key (opaque machine tokens fail as
/// unavailable instead of calling the Backend API).
pub fn clerk() -> &'static Clerk {
    static CLERK: OnceLock<Clerk> = OnceLock::new();
    CLERK.get_or_init(|| {
        Clerk::builder()
            .jwt_key(PUBLIC_KEY)
            .issuer(ISSUER)
            .build()
            .expect("the test key is valid")
    })
}

/// Runs a future to completion on a current-thread runtime.
pub fn run<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a runtime")
        })
        .block_on(future)
}

/// Signs `claims` with the test key (RS256) under `header` fields.
pub fn sign(header: jsonwebtoken::Header, claims: &serde_json::Value) -> String {
    static KEY: OnceLock<jsonwebtoken::EncodingKey> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).expect("the test key")
    });
    jsonwebtoken::encode(&header, claims, key).expect("claims serialize")
}

/// Panics when `output` contains a run of 16 or more characters of `input` (a token, a header
/// value, a secret): answers and errors must never echo what the caller sent.
pub fn assert_no_echo(input: &str, output: &str) {
    for piece in input.split([' ', ';', '=', ',', '.', '"']) {
        if piece.len() >= 16 {
            assert!(
                !output.contains(piece),
                "the output echoes the input: {output:?} contains {piece:?}"
            );
        }
    }
}
