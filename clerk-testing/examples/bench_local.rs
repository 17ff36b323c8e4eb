//! The LocalClerk of `bench/throughput.sh` (see BENCHMARKS.md); not an example to copy.
//!
//! `bench_local DIR POOL`: starts a LocalClerk (this process stays its JWKS server), writes
//! `DIR/env` (`CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`, `CLERK_API_URL`), `DIR/token` (one
//! session token, valid for an hour), `DIR/pool` (POOL distinct tokens, one per line),
//! `DIR/api_key` (an API key of the user), `DIR/m2m` (an M2M JWT, valid for an hour) and
//! `DIR/key.pem` (the instance's public key), prints `ready` and serves until killed. The apps measured (axum, actix-web) only serve.

use std::io::Write as _;

use clerk_testing::{LocalClerk, NewUser};

const USER: &str = "user_bench";
const LIFETIME_SECONDS: i64 = 3600;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, pool] = args.as_slice() else {
        eprintln!("usage: bench_local DIR POOL");
        std::process::exit(2)
    };
    let pool: usize = pool.parse()?;
    let local = LocalClerk::start().await;
    let dir = std::path::Path::new(dir);
    std::fs::write(
        dir.join("env"),
        format!(
            "export CLERK_SECRET_KEY={}\nexport CLERK_PUBLISHABLE_KEY={}\nexport CLERK_API_URL={}\n",
            local.secret_key(),
            local.publishable_key(),
            local.api_url()
        ),
    )?;
    let mint = || local.token(USER).expires_in(LIFETIME_SECONDS).mint();
    std::fs::write(dir.join("token"), mint())?;
    let owner = local
        .users()
        .create(NewUser::with_email("bench@example.com"))
        .id;
    let (_, api_key) = local.api_keys().create(&owner, "bench", ["orders:read"]);
    std::fs::write(dir.join("api_key"), api_key)?;
    let machine = local.machines().create("bench").id;
    let m2m = local
        .machines()
        .mint_m2m_jwt(&machine, ["mch_orders"], LIFETIME_SECONDS);
    std::fs::write(dir.join("m2m"), m2m)?;
    std::fs::write(dir.join("key.pem"), local.keys().public_key_pem())?;
    // Every token has its own random session id, so all are distinct. Minting is RSA signing:
    // spread it over the cores.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunks: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let count = pool / threads + usize::from(i < pool % threads);
                scope.spawn(move || {
                    let mut out = String::with_capacity(count * 700);
                    for _ in 0..count {
                        out.push_str(&mint());
                        out.push('\n');
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("minting thread"))
            .collect()
    });
    std::fs::write(dir.join("pool"), chunks.concat())?;
    println!("ready");
    std::io::stdout().flush()?;
    std::future::pending::<()>().await;
    Ok(())
}
