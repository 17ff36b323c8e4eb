//! [`Users`]: seeding users.

use clerk_core::models::User;

use super::LocalClerk;
use crate::store::NewUser;

/// Seeds the users of a [`LocalClerk`] without HTTP, through the same rules as the Backend API
/// (and the same webhook events). From [`LocalClerk::users`].
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Users<'_> {
    /// Creates a user as `POST /v1/users` would.
    ///
    /// # Panics
    /// If Clerk would refuse it (an email address or username already taken, a malformed email).
    pub fn create(&self, user: NewUser) -> User {
        self.local
            .shared
            .store()
            .create_user(user)
            .unwrap_or_else(|f| panic!("create_user: {}", f.message))
    }
}
