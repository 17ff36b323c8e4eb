//! The pages app with actix-web: the same routes and the same HTML as [`pages`](crate::pages),
//! behind [`ClerkMiddleware`], which runs the same browser-session pipeline (handshake,
//! server-side refresh, sign-in redirects, organization sync) as `ClerkLayer`.

use actix_web::http::StatusCode;
use actix_web::middleware::Condition;
use actix_web::{HttpResponse, web};
use clerk_actix::{
    ClerkClient, ClerkMiddleware, ClerkOptions, ClerkSession, ClerkUser,
    FrontendApiProxyMiddleware, Optional,
};
use clerk_core::ConfigError;
use clerk_core::proxy::FrontendApiProxy;

use crate::pages::{
    Links, dashboard_page, home_page, memberships, organization_page, organization_sync,
    personal_page, signed_out_page,
};

/// The routes, `/`, `/dashboard`, `/orgs/{slug}` and `/me`, with `links` as their app data:
/// `App::new().wrap(middleware(clerk)).configure(routes(links))`.
pub fn routes(links: Links) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |config| {
        config
            .app_data(web::Data::new(links.clone()))
            .route("/", web::get().to(home))
            .route("/dashboard", web::get().to(dashboard))
            .route("/orgs/{slug}", web::get().to(organization))
            .route("/me", web::get().to(personal));
    }
}

/// The app's [`ClerkMiddleware`], with `options` and the app's
/// [`organization_sync`].
pub fn middleware(options: impl Into<ClerkOptions>) -> ClerkMiddleware {
    ClerkMiddleware::new(options.into().organization_sync(organization_sync()))
}

/// The Frontend API proxy's middleware, on or off: [`MaybeProxy::condition`] in each worker's
/// `App::wrap`.
#[derive(Clone, Debug)]
pub struct MaybeProxy {
    on: bool,
    middleware: FrontendApiProxyMiddleware,
}

impl MaybeProxy {
    /// On when there is a `proxy`. actix-web's [`Condition`] needs a middleware either way: when
    /// off, it is one built from `clerk` that never runs.
    pub fn new(
        proxy: Option<FrontendApiProxy>,
        clerk: &clerk_core::Clerk,
    ) -> Result<Self, ConfigError> {
        let on = proxy.is_some();
        let proxy = match proxy {
            Some(proxy) => proxy,
            None => FrontendApiProxy::new(clerk)?,
        };
        Ok(Self {
            on,
            middleware: FrontendApiProxyMiddleware::new(proxy),
        })
    }

    /// The middleware for `App::wrap` (the last `wrap`, so the outermost).
    pub fn condition(&self) -> Condition<FrontendApiProxyMiddleware> {
        Condition::new(self.on, self.middleware.clone())
    }
}

fn html(status: StatusCode, page: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page)
}

async fn home(links: web::Data<Links>, Optional(user): Optional<ClerkUser>) -> HttpResponse {
    html(StatusCode::OK, home_page(&links, user.as_deref()))
}

async fn dashboard(
    links: web::Data<Links>,
    ClerkClient(clerk): ClerkClient,
    Optional(session): Optional<ClerkSession>,
    Optional(user): Optional<ClerkUser>,
) -> HttpResponse {
    match (session, user) {
        (Some(ClerkSession(claims)), Some(user)) => {
            let memberships = memberships(&clerk, &user.id).await;
            html(
                StatusCode::OK,
                dashboard_page(&links, &claims, &user, memberships.as_deref()),
            )
        }
        _ => html(StatusCode::UNAUTHORIZED, signed_out_page(&links)),
    }
}

async fn organization(
    links: web::Data<Links>,
    slug: web::Path<String>,
    ClerkSession(claims): ClerkSession,
    user: ClerkUser,
) -> HttpResponse {
    let (status, page) = organization_page(&links, &claims, &user, &slug);
    html(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), page)
}

async fn personal(
    links: web::Data<Links>,
    ClerkSession(claims): ClerkSession,
    user: ClerkUser,
) -> HttpResponse {
    html(StatusCode::OK, personal_page(&links, &claims, &user))
}
