//! Demo data for the quickstart and the standalone `local-clerk`: two users in one organization,
//! one of them an admin with invoice permissions.

use clerk_core::models::{Organization, User};

use crate::{LocalClerk, NewUser};

/// The seeded demo: Ada (`org:admin` of Acme, may read and write invoices) and Bob
/// (`org:member` of Acme, no invoice permission).
#[derive(Debug, Clone)]
pub struct Demo {
    /// Ada Lovelace, admin.
    pub ada: User,
    /// Bob Builder, member.
    pub bob: User,
    /// Acme Inc.
    pub acme: Organization,
}

/// The permissions `org:admin` has in the demo.
pub const ADMIN_PERMISSIONS: [&str; 2] = ["org:invoices:read", "org:invoices:write"];

/// Seeds the demo data into `local`.
///
/// # Panics
/// If `local` already holds users with the demo's email addresses.
pub fn seed(local: &LocalClerk) -> Demo {
    local
        .organizations()
        .set_role_permissions("org:admin", ADMIN_PERMISSIONS);
    let ada = local.users().create(
        NewUser::with_email("ada@example.com")
            .first_name("Ada")
            .last_name("Lovelace")
            .username("ada"),
    );
    let bob = local.users().create(
        NewUser::with_email("bob@example.com")
            .first_name("Bob")
            .last_name("Builder")
            .username("bob"),
    );
    let acme = local.organizations().create("Acme Inc");
    local
        .organizations()
        .add_member(&acme.id, &ada.id, "org:admin");
    local
        .organizations()
        .add_member(&acme.id, &bob.id, "org:member");
    Demo { ada, bob, acme }
}

impl Demo {
    /// A session token for Ada with Acme active, valid for `seconds`.
    pub fn ada_token(&self, local: &LocalClerk, seconds: i64) -> String {
        token(local, &self.ada, &self.acme, seconds)
    }

    /// A session token for Bob with Acme active, valid for `seconds`.
    pub fn bob_token(&self, local: &LocalClerk, seconds: i64) -> String {
        token(local, &self.bob, &self.acme, seconds)
    }
}

fn token(local: &LocalClerk, user: &User, org: &Organization, seconds: i64) -> String {
    let session = local.sessions().sign_in_to_org(&user.id, &org.id).session;
    local
        .sessions()
        .token(&session.id)
        .expect("a new session is active")
        .expires_in(seconds)
        .mint()
}
