//! The LocalClerk of `bench/throughput.sh` (see BENCHMARKS.md); not an example to copy.
//!
//! `bench_local DIR POOL`: starts a LocalClerk (this process stays its JWKS server), writes
//! `DIR/env` (`CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`, `CLERK_API_URL`), `DIR/token` (one
//! session token, valid for an hour) and `DIR/pool` (POOL distinct tokens, one per line),
//! prints `ready` and serves until killed. The apps measured (axum, actix-web) only serve.

use std::io::Write as _;

use clerk_testing::LocalClerk;

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
