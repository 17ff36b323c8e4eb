//! The soak test's driver (run it with `bench/soak.sh`, not by hand): LocalClerk in this process,
//! the app under test (the release build of the Axum quickstart) in its own, and a load
//! generator, while LocalClerk cycles through faults. Prints, per phase, the count of each status
//! for valid tokens, invalid tokens and the `ClerkUser` route, latency p50/p99, and the app's RSS;
//! then checks the expectations and exits 1 if one fails.
//!
//! Usage: `soak APP_BINARY` with env `DURATION` (seconds, 120), `POOL` (100000 distinct valid tokens),
//! `CONNECTIONS` (32), `USERS` (500: the pool's tokens are theirs, in turn).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clerk_testing::{Fault, LocalClerk, NewUser};
use tokio::sync::Mutex;

/// What a request carries, and where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// A valid token of a known key, on `GET /me` (`ClerkSession`).
    Valid,
    /// A valid token signed with a key added during the run, on `GET /me`.
    NewKey,
    /// An invalid token (expired, bad signature, unknown key, garbage), on `GET /me`.
    Invalid,
    /// A valid token on `GET /profile` (`ClerkUser`: a Backend API lookup, cached).
    User,
}

/// A phase of the run: LocalClerk's state.
#[derive(Debug, Clone, Copy)]
struct Phase {
    name: &'static str,
    jwks: Option<Fault>,
    api: Option<Fault>,
    /// Add a signing key at the start, and send tokens signed with it.
    add_key: bool,
}

const PHASES: [Phase; 7] = [
    Phase {
        name: "normal",
        jwks: None,
        api: None,
        add_key: false,
    },
    Phase {
        name: "jwks-5xx",
        jwks: Some(Fault::Status(503)),
        api: None,
        add_key: false,
    },
    Phase {
        name: "jwks-hang",
        jwks: Some(Fault::Hang),
        api: None,
        add_key: false,
    },
    Phase {
        name: "key-rotation",
        jwks: None,
        api: None,
        add_key: true,
    },
    Phase {
        name: "api-429",
        jwks: None,
        api: Some(Fault::RateLimited {
            retry_after_secs: 1,
        }),
        add_key: false,
    },
    Phase {
        name: "api-down",
        jwks: None,
        api: Some(Fault::Close),
        add_key: false,
    },
    Phase {
        name: "recovered",
        jwks: None,
        api: None,
        add_key: false,
    },
];

/// How long after a JWKS fault the requests are counted apart: the JWKS fetch timeout (5 s)
/// and the refetch floor after a failure (1 s).
const RECOVERY: Duration = Duration::from_secs(6);

#[derive(Default)]
struct Stats {
    /// (slot, class, status) → count; slot `2 × phase`, or `2 × phase + 1` for the first
    /// [`RECOVERY`] after a JWKS fault.
    counts: BTreeMap<(usize, Class, u16), u64>,
    /// (slot, class) → latencies (µs).
    latencies: BTreeMap<(usize, Class), Vec<u32>>,
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The app's resident set size (kB).
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Mints `count` tokens, of `users` in turn, on every core.
fn mint(local: &LocalClerk, users: &[String], count: usize) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let n = count / threads + usize::from(i < count % threads);
                scope.spawn(move || {
                    (0..n)
                        .map(|j| {
                            let user = &users[(j * threads + i) % users.len()];
                            local.token(user.as_str()).expires_in(3600).mint()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a minting thread"))
            .collect()
    })
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = std::env::args().nth(1).ok_or("usage: soak APP_BINARY")?;
    let seconds = env("DURATION", 120);
    let pool_size = env("POOL", 100_000);
    let connections = env("CONNECTIONS", 32);

    let local = LocalClerk::start().await;
    // Many users, so that `ClerkUser` lookups keep reaching the Backend API (each user is cached
    // for 30 s) and meet its faults.
    let users: Vec<String> = (0..env("USERS", 500))
        .map(|i| {
            local
                .users()
                .create(NewUser::with_email(format!("soak{i}@example.com")))
                .id
        })
        .collect();
    let user = users[0].clone();
    let started = Instant::now();
    let pool = Arc::new(mint(&local, &users, pool_size));
    println!(
        "minted {} valid tokens in {:.0?}",
        pool.len(),
        started.elapsed()
    );
    let other = LocalClerk::start().await;
    let mut invalid = vec!["garbage".to_owned(), "a.b.c".to_owned()];
    for i in 0..200 {
        let good = &pool[i];
        // The signature of another token: a valid key, a bad signature.
        let (head, _) = good.rsplit_once('.').expect("a JWT");
        let (_, other_sig) = pool[i + 1].rsplit_once('.').expect("a JWT");
        invalid.push(format!("{head}.{other_sig}"));
        invalid.push(local.token(&user).expires_at(1_600_000_000).mint());
        invalid.push(other.token(&user).mint()); // an unknown key id
    }
    let invalid = Arc::new(invalid);

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(&app)
        .env("CLERK_SECRET_KEY", local.secret_key())
        .env("CLERK_PUBLISHABLE_KEY", local.publishable_key())
        .env("CLERK_API_URL", local.api_url())
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut child = KillOnDrop(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(connections)
        .build()?;
    let ready = Instant::now();
    while http.get(format!("{base}/")).send().await.is_err() {
        if ready.elapsed() > Duration::from_secs(30) {
            return Err("the app did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let phase_now = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let new_key_tokens: Arc<std::sync::RwLock<Vec<String>>> = Arc::default();
    let stats: Arc<Mutex<Stats>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let rss_start = rss_kb(pid);
    let mut workers = Vec::new();
    for worker in 0..connections {
        let (http, base, pool, invalid) =
            (http.clone(), base.clone(), pool.clone(), invalid.clone());
        let (phase_now, stop, stats, next, new_key_tokens) = (
            phase_now.clone(),
            stop.clone(),
            stats.clone(),
            next.clone(),
            new_key_tokens.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut local_stats = Stats::default();
            while !stop.load(Ordering::Relaxed) {
                let phase = phase_now.load(Ordering::Relaxed);
                let n = next.fetch_add(1, Ordering::Relaxed);
                let new_key = new_key_tokens.read().ok().and_then(|tokens| {
                    (!tokens.is_empty()).then(|| tokens[n % tokens.len()].clone())
                });
                // Each connection sends one class (the valid ones always, the new-key ones once
                // there are any), so that a class whose requests wait (an unknown key while the
                // JWKS hangs, a user lookup while the Backend API fails) does not slow the others.
                let (class, path, token) = match worker % 8 {
                    0 | 1 => (Class::Invalid, "/me", invalid[n % invalid.len()].clone()),
                    2 => (Class::User, "/profile", pool[n % pool.len()].clone()),
                    3 if new_key.is_some() => (Class::NewKey, "/me", new_key.unwrap_or_default()),
                    _ => (Class::Valid, "/me", pool[n % pool.len()].clone()),
                };
                let sent = Instant::now();
                let status = match http
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                };
                let micros = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                *local_stats
                    .counts
                    .entry((phase, class, status))
                    .or_default() += 1;
                local_stats
                    .latencies
                    .entry((phase, class))
                    .or_default()
                    .push(micros);
            }
            let mut all = stats.lock().await;
            for (key, count) in local_stats.counts {
                *all.counts.entry(key).or_default() += count;
            }
            for (phase, mut latencies) in local_stats.latencies {
                all.latencies
                    .entry(phase)
                    .or_default()
                    .append(&mut latencies);
            }
        }));
    }

    let phase_length = Duration::from_secs((seconds / PHASES.len()).max(1) as u64);
    let mut rss = Vec::new();
    for (index, phase) in PHASES.iter().enumerate() {
        // The first seconds after a JWKS fault are counted apart (a slot of their own): a fetch
        // started during the fault may still hang until its timeout (5 s).
        let after_jwks_fault =
            index > 0 && PHASES[index - 1].jwks.is_some() && phase.jwks.is_none();
        phase_now.store(index * 2 + usize::from(after_jwks_fault), Ordering::Relaxed);
        local.faults().set_jwks(phase.jwks);
        local.faults().set_api(phase.api);
        if phase.add_key {
            local.keys().add();
            let tokens = tokio::task::block_in_place(|| mint(&local, &users, 2_000));
            if let Ok(mut held) = new_key_tokens.write() {
                *held = tokens;
            }
        }
        if after_jwks_fault {
            let recovery = RECOVERY.min(phase_length);
            tokio::time::sleep(recovery).await;
            phase_now.store(index * 2, Ordering::Relaxed);
            tokio::time::sleep(phase_length - recovery).await;
        } else {
            tokio::time::sleep(phase_length).await;
        }
        rss.push(rss_kb(pid));
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await?;
    }
    let rss_end = rss_kb(pid);
    let alive = child.0.try_wait()?.is_none();
    child.0.kill().ok();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.0.stderr.take() {
        use std::io::Read as _;
        pipe.read_to_string(&mut stderr).ok();
    }

    // The table.
    let stats = stats.lock().await;
    println!(
        "\n| phase | valid /me | new-key /me | invalid /me | /profile (ClerkUser) | valid /me p50 / p99 | /profile p50 / p99 | RSS end of phase |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut failures = Vec::new();
    for slot in 0..PHASES.len() * 2 {
        let (index, recovering) = (slot / 2, slot % 2 == 1);
        let phase = &PHASES[index];
        if !stats.counts.keys().any(|(s, _, _)| *s == slot) {
            continue;
        }
        let cell = |class: Class| {
            let parts: Vec<String> = stats
                .counts
                .iter()
                .filter(|((p, c, _), _)| *p == slot && *c == class)
                .map(|((_, _, status), count)| format!("{status}: {count}"))
                .collect();
            if parts.is_empty() {
                "-".to_owned()
            } else {
                parts.join(", ")
            }
        };
        let percentiles = |class: Class| {
            let mut latencies = stats
                .latencies
                .get(&(slot, class))
                .cloned()
                .unwrap_or_default();
            latencies.sort_unstable();
            let at = |q: f64| {
                let last = latencies.len().saturating_sub(1);
                latencies
                    .get(((latencies.len() as f64 * q) as usize).min(last))
                    .map_or(0.0, |&us| f64::from(us) / 1000.0)
            };
            format!("{:.1} / {:.1} ms", at(0.50), at(0.99))
        };
        println!(
            "| {}{} | {} | {} | {} | {} | {} | {} | {} MiB |",
            phase.name,
            if recovering {
                " (first 6 s, JWKS back)"
            } else {
                ""
            },
            cell(Class::Valid),
            cell(Class::NewKey),
            cell(Class::Invalid),
            cell(Class::User),
            percentiles(Class::Valid),
            percentiles(Class::User),
            rss[index] / 1024
        );
        let keys_down = phase.jwks.is_some() || recovering;
        let api_down = phase.api.is_some();
        for ((p, class, status), count) in &stats.counts {
            if *p != slot {
                continue;
            }
            let bad = match (class, status) {
                (Class::Valid | Class::NewKey | Class::User, 401) => true,
                (Class::Invalid, 200) => true,
                (Class::Valid | Class::NewKey, 503) => !keys_down,
                (Class::Invalid, 503) => !keys_down,
                (Class::User, 503) => !keys_down && !api_down,
                (_, 0) => true,
                _ => false,
            };
            if bad {
                failures.push(format!(
                    "{}{}: {class:?} answered {status} {count} times",
                    phase.name,
                    if recovering { " (first 6 s)" } else { "" }
                ));
            }
        }
    }
    println!(
        "\nRSS: {} MiB after the warm-up, {} MiB at the end; the app is {}; requests: {}",
        rss_start / 1024,
        rss_end / 1024,
        if alive { "alive" } else { "DEAD" },
        stats.counts.values().sum::<u64>()
    );
    if !alive {
        failures.push("the app died".to_owned());
    }
    if stderr.contains("panicked") {
        failures.push(format!(
            "the app panicked: {}",
            stderr
                .lines()
                .find(|l| l.contains("panicked"))
                .unwrap_or("")
        ));
    }
    let half = rss[PHASES.len() / 2];
    if rss_end > half + half / 2 {
        failures.push(format!(
            "RSS kept growing: {} MiB mid-run, {} MiB at the end",
            half / 1024,
            rss_end / 1024
        ));
    }
    if failures.is_empty() {
        println!("every expectation held");
        Ok(())
    } else {
        for failure in &failures {
            println!("FAILED: {failure}");
        }
        std::process::exit(1);
    }
}
