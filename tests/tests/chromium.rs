//! The pages example (`examples/src/pages.rs`, and `pages_actix.rs` for actix-web) in a real
//! browser: one headless Chromium, driven over the DevTools protocol (chromiumoxide, pointed at
//! the system's Chromium: nothing is downloaded), for both frameworks at once, each scenario in
//! a browser context of its own (its own cookies) with its own LocalClerk:
//!
//! - **A whole session** (LocalClerk's session tokens live 3 seconds):
//!   1. `/dashboard` in a new browser: the dev-browser handshake (three redirects, through
//!      LocalClerk's Frontend API), then the signed-out page;
//!   2. its sign-in link to LocalClerk's sign-in page, and a click on Ada's button: back on
//!      `/dashboard`, signed in as Ada;
//!   3. 5 s later (the token has expired) a reload: still signed in, by a server-side refresh
//!      (one `RefreshSession` call, no redirect, no handshake);
//!   4. the sign-out link: through LocalClerk's sign-out page and a handshake, back on `/`,
//!      signed out; `/dashboard` then answers the signed-out page with no redirect.
//! - **A protected page and organizations**: a signed-out visitor of `/me` (which needs a
//!   session) is sent to LocalClerk's sign-in page with `redirect_url` back to it, signs in and
//!   lands back on `/me` signed in; the dashboard's link to `/orgs/acme-inc` activates Acme (one
//!   `active-organization-mismatch` handshake) and the page shows it; `/me` goes back to the
//!   personal account.
//! - **A satellite** on another host (127.0.0.2, a development satellite whose primary's
//!   sign-in page is LocalClerk's): `/me` goes to the primary's sign-in, and after signing in the
//!   browser comes back through the primary, synced (`__clerk_synced=true`), signed in; its
//!   dashboard then needs no redirect.
//! - **Through the Frontend API proxy** (the example's `--proxy` setup: the proxy at
//!   `/__clerk`, the proxy URL and the sign-in page under it): signing in from `/me` and opening
//!   `/orgs/acme-inc`, with every request of the page on the app's origin.
//!
//! The redirects of each step are the browser's own `Network.requestWillBeSent` events,
//! compared with the whole expected chain; what the pages say is their DOM text. While the
//! first scenario waits for its token to expire, the others run, one after the other.
//!
//! The browser is `CHROMIUM` or `CHROME` (a path), else `/usr/bin/chromium` (`.ci/run` installs
//! Debian's `chromium`). Without one the test fails under CI (`CI` set) and is skipped, with a
//! note, elsewhere. Everything is on 127.0.0.1, 127.0.0.2 and localhost.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::network::{
    EnableParams, EventRequestWillBeSent, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::listeners::EventStream;
use chromiumoxide::{Browser, BrowserConfig, Page};
use clerk_core::Clerk;
use clerk_core::proxy::FrontendApiProxy;
use clerk_examples::pages::{Links, app, escape, local_setup, with_proxy};
use clerk_examples::pages_actix::{self, MaybeProxy};
use clerk_testing::LocalClerk;
use futures::{FutureExt as _, StreamExt as _};

/// How long one step (a navigation and its redirects) may take.
const STEP: Duration = Duration::from_secs(15);

/// The browser to drive, or `None` when there is none.
fn chromium() -> Option<PathBuf> {
    for var in ["CHROMIUM", "CHROME"] {
        if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(path));
        }
    }
    let system = PathBuf::from("/usr/bin/chromium");
    system.exists().then_some(system)
}

/// One document request the browser made, and the redirect that led to it.
#[derive(Debug)]
struct Hop {
    url: String,
    /// The redirect answered to the request before it: (its URL, its status).
    redirected_from: Option<(String, i64)>,
}

/// The page, and the document requests it made since the last step.
struct Tab {
    page: Page,
    requests: EventStream<EventRequestWillBeSent>,
    framework: Framework,
    /// Every request the page has made (documents, forms, images, anything), in order: what
    /// [`hops`](Self::hops) has read from the events so far.
    every_url: Vec<String>,
}

impl Tab {
    /// The document requests made since the last call: events come before the answer to any
    /// later command, so once a step is seen done, its requests are all in the stream.
    fn hops(&mut self) -> Vec<Hop> {
        let mut hops = Vec::new();
        while let Some(Some(event)) = self.requests.next().now_or_never() {
            self.every_url.push(event.request.url.clone());
            if event.r#type != Some(ResourceType::Document) {
                continue;
            }
            hops.push(Hop {
                url: event.request.url.clone(),
                redirected_from: event
                    .redirect_response
                    .as_ref()
                    .map(|r| (r.url.clone(), r.status)),
            });
        }
        hops
    }

    /// Runs `action` (which navigates), then waits for the next document to finish loading at
    /// a URL that starts with `url_prefix`; returns its URL and text (`document.body.innerText`).
    async fn step<F>(&self, what: &str, url_prefix: &str, action: F) -> (String, String)
    where
        F: AsyncFnOnce(&Page) -> chromiumoxide::Result<()>,
    {
        let what = format!("{:?}: {what}", self.framework);
        // The current document carries a mark; the next one does not.
        self.page
            .evaluate("window.__before_step = true")
            .await
            .unwrap_or_else(|e| panic!("{what}: marking the page: {e}"));
        action(&self.page)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let started = Instant::now();
        let mut last = String::new();
        loop {
            let seen: Option<(String, String, bool, String)> = self
                .page
                .evaluate(
                    "[location.href, document.readyState, window.__before_step === true, \
                     document.body ? document.body.innerText : '']",
                )
                .await
                .ok()
                .and_then(|r| r.into_value().ok());
            if let Some((url, state, before, text)) = seen {
                if !before && state == "complete" && url.starts_with(url_prefix) {
                    return (url, text);
                }
                last = format!("{url} ({state}): {text}");
            }
            assert!(
                started.elapsed() < STEP,
                "{what}: no page at {url_prefix}… within {STEP:?}; last seen: {last}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Signs in as `user_id` on the sign-in page the tab shows (LocalClerk's button for that
    /// user), then waits for the page at `landing`; returns its URL and text.
    async fn sign_in(&self, what: &str, user_id: &str, landing: &str) -> (String, String) {
        let button = format!(r#"form:has(input[name="user_id"][value="{user_id}"]) button"#);
        self.step(what, landing, async |page| click(page, &button).await)
            .await
    }

    /// The `href` of the element `selector`.
    async fn href(&self, selector: &str) -> String {
        let element = self
            .page
            .find_element(selector)
            .await
            .unwrap_or_else(|e| panic!("no {selector} on the page: {e}"));
        element
            .attribute("href")
            .await
            .expect("attribute read")
            .unwrap_or_else(|| panic!("{selector} has no href"))
    }
}

/// A browser profile in a new temporary directory, removed on drop (a failed test included).
struct Profile(PathBuf);

impl Profile {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("clerk-browser-test-{}-{nanos}", std::process::id()));
        Self(dir)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        // After a failure the browser is killed as this runs, and may still write for a moment.
        for _ in 0..20 {
            let _ = std::fs::remove_dir_all(&self.0);
            if !self.0.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Clicks the element `selector` (a mouse click at its centre, as a person would).
async fn click(page: &Page, selector: &str) -> chromiumoxide::Result<()> {
    page.find_element(selector).await?.click().await?;
    Ok(())
}

/// A new tab in a new browser context (cookies of its own), its network events recorded.
async fn new_tab(browser: &Browser, framework: Framework) -> (Tab, BrowserContextId) {
    let context = browser
        .create_browser_context(CreateBrowserContextParams::default())
        .await
        .expect("a browser context");
    let page = browser
        .new_page(
            CreateTargetParams::builder()
                .url("about:blank")
                .browser_context_id(context.clone())
                .build()
                .expect("target params"),
        )
        .await
        .expect("a tab");
    page.execute(EnableParams::default())
        .await
        .expect("Network.enable");
    let requests = page
        .event_listener::<EventRequestWillBeSent>()
        .await
        .expect("request events");
    let tab = Tab {
        page,
        requests,
        framework,
        every_url: Vec::new(),
    };
    (tab, context)
}

/// The value of the query parameter `name` of `url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_signs_in_stays_signed_in_past_the_token_lifetime_and_signs_out() {
    let Some(executable) = chromium() else {
        let help = "no Chromium: install Debian's `chromium` (.ci/run does) or set CHROMIUM to \
                    a Chrome or Chromium binary";
        assert!(std::env::var_os("CI").is_none(), "{help}");
        eprintln!("skipped: {help}");
        return;
    };
    let started = Instant::now();

    // One headless browser with a profile of its own.
    let profile = Profile::new();
    let config = BrowserConfig::builder()
        .chrome_executable(&executable)
        .new_headless_mode()
        .no_sandbox()
        .arg("disable-gpu")
        .user_data_dir(&profile.0)
        .build()
        .expect("browser config");
    let (mut browser, mut handler) = Browser::launch(config)
        .await
        .unwrap_or_else(|e| panic!("{} does not start: {e}", executable.display()));
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });

    // The two frameworks at once, each scenario in a browser context of its own (a browser
    // keeps cookies per host, not per port: two apps on 127.0.0.1 would see each other's).
    // While the first scenario waits for its token to expire, the others run one by one.
    let others = async |framework: Framework| {
        protected_page_and_organizations(&browser, framework).await;
        satellite(&browser, framework).await;
        through_the_proxy(&browser, framework).await;
    };
    tokio::join!(
        scenario(&browser, Framework::Axum),
        scenario(&browser, Framework::Actix),
        others(Framework::Axum),
        others(Framework::Actix),
    );

    browser.close().await.expect("the browser closes");
    browser.wait().await.expect("the browser exits");
    events.abort();
    eprintln!("the browser scenarios took {:?}", started.elapsed());
}

/// The app under test.
#[derive(Clone, Copy, Debug)]
enum Framework {
    /// `clerk_examples::pages::app`, behind `ClerkLayer`.
    Axum,
    /// `clerk_examples::pages_actix::routes`, behind `ClerkMiddleware`.
    Actix,
}

impl Framework {
    /// Serves the pages app with `clerk` on `listener` until `stop` is sent, behind the Frontend
    /// API proxy when there is one.
    fn serve(
        self,
        clerk: Clerk,
        links: Links,
        listener: std::net::TcpListener,
        proxy: Option<FrontendApiProxy>,
    ) -> tokio::sync::oneshot::Sender<()> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        match self {
            Framework::Axum => {
                listener.set_nonblocking(true).expect("non-blocking");
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let server = axum::serve(listener, with_proxy(app(clerk, links), proxy))
                    .with_graceful_shutdown(async { drop(stopped.await) });
                tokio::spawn(server.into_future());
            }
            Framework::Actix => {
                // actix-web runs on its own runtime, in a thread of its own.
                std::thread::spawn(move || {
                    actix_web::rt::System::new().block_on(async move {
                        let proxy = MaybeProxy::new(proxy, &clerk).expect("the proxy");
                        let middleware = pages_actix::middleware(clerk);
                        let routes = pages_actix::routes(links);
                        let server = actix_web::HttpServer::new(move || {
                            actix_web::App::new()
                                .wrap(middleware.clone())
                                .wrap(proxy.condition())
                                .configure(routes.clone())
                        })
                        .workers(1)
                        .disable_signals()
                        .listen(listener)
                        .expect("listen")
                        .run();
                        let handle = server.handle();
                        actix_web::rt::spawn(async move {
                            drop(stopped.await);
                            handle.stop(false).await;
                        });
                        server.await
                    })
                });
            }
        }
        stop
    }
}

/// The whole visit, with `framework`'s app on its own LocalClerk, in a new browser context.
async fn scenario(browser: &Browser, framework: Framework) {
    // The app on 127.0.0.1; LocalClerk's Frontend API on localhost (cookies stay apart).
    let local = LocalClerk::builder()
        .session_token_lifetime(Duration::from_secs(3))
        .start()
        .await
        .expect("LocalClerk starts");
    let demo = clerk_testing::demo::seed(&local);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let app_url = format!("http://{}", listener.local_addr().expect("addr"));
    // No clock skew: with Clerk's 5 s, a 3-second token would still verify 8 s after it was made.
    let clerk = local
        .clerk_builder()
        .clock_skew(Duration::ZERO)
        .build()
        .expect("LocalClerk's keys are valid");
    let stop = framework.serve(clerk, Links::local(&local, &app_url), listener, None);
    let (mut tab, context) = new_tab(browser, framework).await;
    let clerk_url = local.frontend().url();
    let chain = |hops: &[Hop]| redirects(hops, &app_url, &clerk_url);

    // 1. A new browser on /dashboard: the dev-browser handshake, then the signed-out page.
    let dashboard = format!("{app_url}/dashboard");
    let (url, text) = tab
        .step("opening /dashboard", &dashboard, async |page| {
            page.goto(dashboard.as_str()).await.map(drop)
        })
        .await;
    let hops = tab.hops();
    assert_eq!(url, dashboard, "{framework:?}");
    assert!(
        text.contains("Signed out — Sign in"),
        "{framework:?}: {text}"
    );
    assert_eq!(
        hops.first().map(|h| h.url.as_str()),
        Some(dashboard.as_str()),
        "{framework:?}: the browser's request events are seen: {hops:#?}"
    );
    assert_eq!(
        chain(&hops),
        [
            "app/dashboard -307-> clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-missing",
            "clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-missing -307-> app/dashboard?__clerk_handshake_nonce",
            "app/dashboard?__clerk_handshake_nonce -307-> app/dashboard",
        ],
        "{framework:?}: {hops:#?}"
    );

    // 2. The sign-in link to LocalClerk's page, and Ada's button there.
    let sign_in = tab.href("#sign-in").await;
    assert!(
        sign_in.starts_with(&format!("{clerk_url}/sign-in?")),
        "{framework:?}: the sign-in page is LocalClerk's: {sign_in}"
    );
    let (_, text) = tab
        .step("following the sign-in link", &sign_in, async |page| {
            click(page, "#sign-in").await
        })
        .await;
    assert!(
        text.contains("ada@example.com"),
        "{framework:?}: the sign-in page lists Ada: {text}"
    );
    assert_eq!(chain(&tab.hops()), [] as [&str; 0], "{framework:?}");
    let (url, text) = tab
        .sign_in("signing in as Ada", &demo.ada.id, &dashboard)
        .await;
    let hops = tab.hops();
    assert_eq!(url, dashboard, "{framework:?}");
    assert!(
        text.contains("Signed in as Ada Lovelace."),
        "{framework:?}: {text}"
    );
    assert!(text.contains("ada@example.com"), "{framework:?}: {text}");
    assert!(text.contains(&demo.ada.id), "{framework:?}: {text}");
    assert_eq!(
        chain(&hops),
        [
            "clerk/sign-in -303-> app/dashboard?__clerk_db_jwt",
            "app/dashboard?__clerk_db_jwt -307-> clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-sync&__clerk_db_jwt",
            "clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-sync&__clerk_db_jwt -307-> app/dashboard?__clerk_handshake_nonce",
            "app/dashboard?__clerk_handshake_nonce -307-> app/dashboard",
        ],
        "{framework:?}: {hops:#?}"
    );

    // 3. Past the token's lifetime, a reload: still signed in, by a refresh on the server (one
    //    Backend API call, no redirect, no handshake).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let refreshes = local.requests().count("RefreshSession");
    let handshakes = local.frontend().handshakes();
    let (url, text) = tab
        .step(
            "reloading after the token expired",
            &dashboard,
            async |page| page.reload().await.map(drop),
        )
        .await;
    let hops = tab.hops();
    assert_eq!(url, dashboard, "{framework:?}");
    assert!(
        text.contains("Signed in as Ada Lovelace."),
        "{framework:?}: {text}"
    );
    assert_eq!(
        hops.len(),
        1,
        "{framework:?}: one request, no redirect: {hops:#?}"
    );
    assert_eq!(
        local.requests().count("RefreshSession"),
        refreshes + 1,
        "{framework:?}: one refresh with the Backend API"
    );
    assert_eq!(
        local.frontend().handshakes(),
        handshakes,
        "{framework:?}: no handshake"
    );

    // 4. The sign-out link, through LocalClerk's sign-out page: back home, signed out.
    let home = format!("{app_url}/");
    let (url, text) = tab
        .step("signing out", &home, async |page| {
            click(page, "#sign-out").await
        })
        .await;
    let hops = tab.hops();
    assert_eq!(url, home, "{framework:?}");
    assert!(text.contains("Signed out."), "{framework:?}: {text}");
    assert!(!text.contains("Ada"), "{framework:?}: {text}");
    assert_eq!(
        chain(&hops),
        [
            "clerk/sign-out -303-> app/?__clerk_db_jwt",
            "app/?__clerk_db_jwt -307-> clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-sync&__clerk_db_jwt",
            "clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-sync&__clerk_db_jwt -307-> app/?__clerk_handshake_nonce",
            "app/?__clerk_handshake_nonce -307-> app/",
        ],
        "{framework:?}: {hops:#?}"
    );
    let (_, text) = tab
        .step("opening /dashboard again", &dashboard, async |page| {
            page.goto(dashboard.as_str()).await.map(drop)
        })
        .await;
    assert!(
        text.contains("Signed out — Sign in"),
        "{framework:?}: {text}"
    );
    assert_eq!(
        chain(&tab.hops()),
        [] as [&str; 0],
        "{framework:?}: the cookies say signed out"
    );

    let _ = stop.send(());
    browser
        .dispose_browser_context(context)
        .await
        .expect("the context closes");
}

/// A LocalClerk with the demo users (Ada, Bob, their organization Acme), and the pages app of
/// `framework` on it, on `host` (port chosen by the system).
struct Site {
    local: LocalClerk,
    demo: clerk_testing::demo::Demo,
    app_url: String,
    stop: tokio::sync::oneshot::Sender<()>,
}

/// How a [`Site`] is configured.
#[derive(Clone, Copy, PartialEq)]
enum Setup {
    /// The example's own configuration (`local_setup`).
    Example,
    /// The example's, through the Frontend API proxy (`local_setup(.., true)`, as `--proxy`).
    Proxy,
    /// A development satellite: `CLERK_IS_SATELLITE`, its host as `CLERK_DOMAIN`, and
    /// LocalClerk's sign-in page (which answers a satellite's sync as a primary does) as
    /// `CLERK_SIGN_IN_URL`.
    Satellite,
}

impl Site {
    async fn start(framework: Framework, host: &str, setup: Setup) -> Self {
        let local = LocalClerk::start().await;
        let demo = clerk_testing::demo::seed(&local);
        let listener = std::net::TcpListener::bind((host, 0)).expect("bind");
        let app_url = format!("http://{}", listener.local_addr().expect("addr"));
        let (mut clerk, links, proxy) =
            local_setup(&local, &app_url, setup == Setup::Proxy).expect("the example's setup");
        if setup == Setup::Satellite {
            clerk = local
                .clerk_builder()
                .is_satellite(true)
                .domain(host)
                .sign_in_url(format!("{}/sign-in", local.frontend().url()))
                .build()
                .expect("valid");
        }
        let stop = framework.serve(clerk, links, listener, proxy);
        Self {
            local,
            demo,
            app_url,
            stop,
        }
    }
}

/// A signed-out visitor of a page that needs a session (`/me`) is sent to LocalClerk's sign-in
/// page with `redirect_url` back to it, signs in as Ada and lands back on `/me`, signed in, in
/// her personal account. From the dashboard's link, `/orgs/acme-inc` makes Acme the active
/// organization (one `active-organization-mismatch` handshake) and the page shows it; `/me`
/// goes back to the personal account the same way.
async fn protected_page_and_organizations(browser: &Browser, framework: Framework) {
    let site = Site::start(framework, "127.0.0.1", Setup::Example).await;
    let (app_url, local, demo) = (&site.app_url, &site.local, &site.demo);
    let (mut tab, context) = new_tab(browser, framework).await;
    let clerk_url = local.frontend().url();
    let chain = |hops: &[Hop]| redirects(hops, app_url, &clerk_url);

    // A new browser on a page that needs a session: the dev-browser handshake, then to sign in.
    let me = format!("{app_url}/me");
    let sign_in_page = format!("{clerk_url}/sign-in?");
    let (url, text) = tab
        .step("opening /me signed out", &sign_in_page, async |page| {
            page.goto(me.as_str()).await.map(drop)
        })
        .await;
    assert_eq!(
        query_param(&url, "redirect_url").as_deref(),
        Some(me.as_str()),
        "{framework:?}: the way back is the page: {url}"
    );
    assert!(
        text.contains("ada@example.com"),
        "{framework:?}: LocalClerk's sign-in page: {text}"
    );
    assert_eq!(
        chain(&tab.hops()),
        [
            "app/me -307-> clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-missing",
            "clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-missing -307-> app/me?__clerk_handshake_nonce",
            "app/me?__clerk_handshake_nonce -307-> app/me",
            "app/me -307-> clerk/sign-in?__clerk_db_jwt",
        ],
        "{framework:?}"
    );

    // Ada signs in: back on /me, signed in, no organization active.
    let (url, text) = tab.sign_in("signing in as Ada", &demo.ada.id, &me).await;
    assert_eq!(url, me, "{framework:?}");
    assert!(
        text.contains("Signed in as Ada Lovelace."),
        "{framework:?}: {text}"
    );
    assert!(
        text.contains("Personal account: no active organization."),
        "{framework:?}: {text}"
    );
    assert_eq!(
        chain(&tab.hops()),
        [
            "clerk/sign-in?__clerk_db_jwt -303-> app/me?__clerk_db_jwt",
            "app/me?__clerk_db_jwt -307-> clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-sync&__clerk_db_jwt",
            "clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-sync&__clerk_db_jwt -307-> app/me?__clerk_handshake_nonce",
            "app/me?__clerk_handshake_nonce -307-> app/me",
        ],
        "{framework:?}"
    );

    // The dashboard lists Acme; its link activates it.
    let dashboard = format!("{app_url}/dashboard");
    let (_, text) = tab
        .step("opening the dashboard", &dashboard, async |page| {
            page.goto(dashboard.as_str()).await.map(drop)
        })
        .await;
    assert!(
        text.contains("Acme Inc (org:admin)"),
        "{framework:?}: the dashboard lists Acme: {text}"
    );
    tab.hops();
    let acme = format!("{app_url}/orgs/{}", demo.acme.slug);
    assert_eq!(
        tab.href("#organizations a").await,
        format!("/orgs/{}", demo.acme.slug)
    );
    let (url, text) = tab
        .step("following Acme's link", &acme, async |page| {
            click(page, "#organizations a").await
        })
        .await;
    assert_eq!(url, acme, "{framework:?}");
    assert!(
        text.contains(&format!(
            "Active organization: {} (your role: org:admin).",
            demo.acme.slug
        )),
        "{framework:?}: {text}"
    );
    let path = format!("app/orgs/{}", demo.acme.slug);
    assert_eq!(
        chain(&tab.hops()),
        [
            format!(
                "{path} -307-> clerk/v1/client/handshake?__clerk_hs_reason=active-organization-mismatch&__clerk_db_jwt"
            ),
            format!(
                "clerk/v1/client/handshake?__clerk_hs_reason=active-organization-mismatch&__clerk_db_jwt -307-> {path}?__clerk_handshake_nonce"
            ),
            format!("{path}?__clerk_handshake_nonce -307-> {path}"),
        ],
        "{framework:?}"
    );

    // The personal account's page: back to no organization.
    let (url, text) = tab
        .step("following the personal account's link", &me, async |page| {
            click(page, "#personal").await
        })
        .await;
    assert_eq!(url, me, "{framework:?}");
    assert!(
        text.contains("Personal account: no active organization."),
        "{framework:?}: {text}"
    );
    assert_eq!(
        chain(&tab.hops()),
        [
            "app/me -307-> clerk/v1/client/handshake?__clerk_hs_reason=active-organization-mismatch&__clerk_db_jwt",
            "clerk/v1/client/handshake?__clerk_hs_reason=active-organization-mismatch&__clerk_db_jwt -307-> app/me?__clerk_handshake_nonce",
            "app/me?__clerk_handshake_nonce -307-> app/me",
        ],
        "{framework:?}"
    );

    let _ = site.stop.send(());
    browser
        .dispose_browser_context(context)
        .await
        .expect("the context closes");
}

/// A development satellite on another host (127.0.0.2, `CLERK_IS_SATELLITE`, LocalClerk's
/// sign-in page as its primary's): its page that needs a session sends the visitor to the
/// primary's sign-in, asking to sync on the way back; once signed in there, the browser goes
/// through the primary again and comes back synced, signed in on the satellite with cookies of
/// its own: the satellite's other pages are signed in without a redirect.
async fn satellite(browser: &Browser, framework: Framework) {
    const SATELLITE: &str = "127.0.0.2";
    let site = Site::start(framework, SATELLITE, Setup::Satellite).await;
    let (app_url, local, demo) = (&site.app_url, &site.local, &site.demo);
    let (mut tab, context) = new_tab(browser, framework).await;
    let clerk_url = local.frontend().url();

    let me = format!("{app_url}/me");
    let (url, text) = tab
        .step(
            "opening the satellite's /me",
            &format!("{clerk_url}/sign-in?"),
            async |page| page.goto(me.as_str()).await.map(drop),
        )
        .await;
    assert_eq!(
        query_param(&url, "redirect_url"),
        Some(format!("{me}?__clerk_synced=false")),
        "{framework:?}: {url}"
    );
    assert!(text.contains("ada@example.com"), "{framework:?}: {text}");
    tab.hops();

    let (url, text) = tab
        .sign_in("signing in as Ada through the primary", &demo.ada.id, &me)
        .await;
    let hops = tab.hops();
    assert!(
        text.contains("Signed in as Ada Lovelace."),
        "{framework:?}: {text} {hops:#?}"
    );
    assert!(
        text.contains("Personal account: no active organization."),
        "{framework:?}: {text}"
    );
    assert_eq!(
        query_param(&url, "__clerk_synced").as_deref(),
        Some("true"),
        "{framework:?}: back synced: {url}"
    );
    let reasons: Vec<String> = hops
        .iter()
        .filter_map(|hop| query_param(&hop.url, "__clerk_hs_reason"))
        .collect();
    assert_eq!(reasons, ["dev-browser-sync"], "{framework:?}: {hops:#?}");
    // Through the primary's sign-in page once more, for the sync (`__clerk_redirect_url`).
    assert!(
        hops.iter()
            .any(|hop| hop.url.starts_with(&format!("{clerk_url}/sign-in?"))
                && query_param(&hop.url, "__clerk_redirect_url").is_some()),
        "{framework:?}: {hops:#?}"
    );

    // Synced: another page of the satellite is signed in, with no redirect.
    let dashboard = format!("{app_url}/dashboard");
    let (url, text) = tab
        .step(
            "opening the satellite's dashboard",
            &dashboard,
            async |page| page.goto(dashboard.as_str()).await.map(drop),
        )
        .await;
    assert_eq!(url, dashboard, "{framework:?}");
    assert!(
        text.contains("Signed in as Ada Lovelace."),
        "{framework:?}: {text}"
    );
    assert_eq!(tab.hops().len(), 1, "{framework:?}: no redirect");

    let _ = site.stop.send(());
    browser
        .dispose_browser_context(context)
        .await
        .expect("the context closes");
}

/// The example through the Frontend API proxy (`local_setup(.., proxy: true)`: the proxy at
/// `/__clerk`, the proxy URL and the sign-in page under it): a signed-out visitor of `/me` signs
/// in and lands back on it, then `/orgs/acme-inc` activates Acme, and the browser never sends a
/// request anywhere but the app's origin (every request of the page, from its network events),
/// while LocalClerk's Frontend API did serve the handshakes.
async fn through_the_proxy(browser: &Browser, framework: Framework) {
    let site = Site::start(framework, "127.0.0.1", Setup::Proxy).await;
    let (app_url, local, demo) = (&site.app_url, &site.local, &site.demo);
    let (mut tab, context) = new_tab(browser, framework).await;
    let chain = |hops: &[Hop]| redirects(hops, app_url, &local.frontend().url());

    let me = format!("{app_url}/me");
    let sign_in_page = format!("{app_url}/__clerk/sign-in?");
    let (url, text) = tab
        .step("opening /me signed out", &sign_in_page, async |page| {
            page.goto(me.as_str()).await.map(drop)
        })
        .await;
    assert_eq!(
        query_param(&url, "redirect_url").as_deref(),
        Some(me.as_str()),
        "{framework:?}: {url}"
    );
    assert!(text.contains("ada@example.com"), "{framework:?}: {text}");
    assert_eq!(
        chain(&tab.hops()),
        [
            "app/me -307-> app/__clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-missing",
            "app/__clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-missing -307-> app/me?__clerk_handshake_nonce",
            "app/me?__clerk_handshake_nonce -307-> app/me",
            "app/me -307-> app/__clerk/sign-in",
        ],
        "{framework:?}"
    );

    let (url, text) = tab.sign_in("signing in as Ada", &demo.ada.id, &me).await;
    assert_eq!(url, me, "{framework:?}");
    assert!(
        text.contains("Signed in as Ada Lovelace."),
        "{framework:?}: {text}"
    );
    assert_eq!(
        chain(&tab.hops()),
        [
            "app/__clerk/sign-in -303-> app/me?__clerk_db_jwt",
            "app/me?__clerk_db_jwt -307-> app/__clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-sync&__clerk_db_jwt",
            "app/__clerk/v1/client/handshake?__clerk_hs_reason=dev-browser-sync&__clerk_db_jwt -307-> app/me?__clerk_handshake_nonce",
            "app/me?__clerk_handshake_nonce -307-> app/me",
        ],
        "{framework:?}"
    );

    let acme = format!("{app_url}/orgs/{}", demo.acme.slug);
    let (url, text) = tab
        .step("opening Acme's page", &acme, async |page| {
            page.goto(acme.as_str()).await.map(drop)
        })
        .await;
    assert_eq!(url, acme, "{framework:?}");
    assert!(
        text.contains(&format!("Active organization: {}", demo.acme.slug)),
        "{framework:?}: {text}"
    );
    tab.hops();

    assert_eq!(
        local.frontend().handshakes(),
        3,
        "{framework:?}: LocalClerk's Frontend API served the handshakes, through the proxy"
    );
    let elsewhere: Vec<&String> = tab
        .every_url
        .iter()
        .filter(|url| !url.starts_with(&format!("{app_url}/")))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "{framework:?}: requests that left the app's origin: {elsewhere:#?}"
    );
    assert!(
        tab.every_url.len() >= 12,
        "{framework:?}: the requests were seen: {:#?}",
        tab.every_url
    );

    let _ = site.stop.send(());
    browser
        .dispose_browser_context(context)
        .await
        .expect("the context closes");
}

/// The redirects among `hops`, each `from -<status>-> to`: the app's origin written `app`, the
/// Frontend API's `clerk`, and of each query only the parameters that tell the handshake's
/// steps (`__clerk_hs_reason` with its value, `__clerk_db_jwt` and `__clerk_handshake_nonce`).
fn redirects(hops: &[Hop], app: &str, clerk: &str) -> Vec<String> {
    let short = |url: &str| {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let path = match (path.strip_prefix(app), path.strip_prefix(clerk)) {
            (Some(rest), _) => format!("app{rest}"),
            (None, Some(rest)) => format!("clerk{rest}"),
            (None, None) => path.to_owned(),
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter_map(|pair| match pair.split_once('=') {
                Some(("__clerk_hs_reason", _)) => Some(pair),
                Some((name @ ("__clerk_db_jwt" | "__clerk_handshake_nonce"), _)) => Some(name),
                _ => None,
            })
            .collect();
        if kept.is_empty() {
            path
        } else {
            format!("{path}?{}", kept.join("&"))
        }
    };
    hops.iter()
        .filter_map(|hop| {
            let (from, status) = hop.redirected_from.as_ref()?;
            Some(format!("{} -{status}-> {}", short(from), short(&hop.url)))
        })
        .collect()
}

/// The statuses, without a browser, in both frameworks: a client that is not a browser gets no
/// handshake, the signed-out dashboard is a page with status 401, and the pages that need a
/// session answer it 401 rather than a redirect to sign in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_the_home_page_is_200_and_the_dashboard_401() {
    let local = LocalClerk::start().await;
    let http = reqwest::Client::new();
    for framework in [Framework::Axum, Framework::Actix] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let app_url = format!("http://{}", listener.local_addr().expect("addr"));
        let sign_in = escape(
            &local
                .frontend()
                .sign_in_url(&format!("{app_url}/dashboard")),
        );
        let stop = framework.serve(
            local.clerk(),
            Links::local(&local, &app_url),
            listener,
            None,
        );
        for (path, status, text) in [
            ("/", 200, "Signed out."),
            ("/dashboard", 401, "Signed out — "),
        ] {
            let response = http
                .get(format!("{app_url}{path}"))
                .send()
                .await
                .expect("the app answers");
            assert_eq!(response.status().as_u16(), status, "{framework:?} {path}");
            let content_type = response.headers()["content-type"].to_str().ok();
            assert_eq!(
                content_type,
                Some("text/html; charset=utf-8"),
                "{framework:?} {path}"
            );
            let body = response.text().await.expect("a body");
            assert!(body.contains(text), "{framework:?} {path}: {body}");
            assert!(
                body.contains(&format!(r#"<a id="sign-in" href="{sign_in}">"#)),
                "{framework:?} {path} links to LocalClerk's sign-in page: {body}"
            );
        }
        // The pages that need a session: an API client is refused with the JSON 401, never
        // sent to sign in (only a browser's page request is).
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        for path in ["/me", "/orgs/acme-inc"] {
            let response = no_redirects
                .get(format!("{app_url}{path}"))
                .send()
                .await
                .expect("the app answers");
            assert_eq!(response.status().as_u16(), 401, "{framework:?} {path}");
            assert!(
                response.headers().get("location").is_none(),
                "{framework:?} {path}"
            );
        }
        let _ = stop.send(());
    }
}
