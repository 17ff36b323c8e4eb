//! Users: creation (unique email addresses and usernames), updates, metadata, bans and locks,
//! deletion.

use clerk_core::models::{
    self, CreateUserRequest, EmailAddress, Metadata, Nullable, SessionStatus,
    UpdateUserMetadataRequest, UpdateUserRequest, User, Verification, VerificationAdmin,
};

use super::{Failure, Outcome, Store, merge_into, set};
use crate::ids::object_id;

/// What a new user is made of.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub(crate) email_addresses: Vec<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) public_metadata: Metadata,
    pub(crate) private_metadata: Metadata,
    pub(crate) unsafe_metadata: Metadata,
}

impl NewUser {
    /// A user with one email address.
    pub fn with_email(email: impl Into<String>) -> Self {
        Self {
            email_addresses: vec![email.into()],
            ..Self::default()
        }
    }

    /// Adds an email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email_addresses.push(email.into());
        self
    }

    /// First name.
    pub fn first_name(mut self, name: impl Into<String>) -> Self {
        self.first_name = Some(name.into());
        self
    }

    /// Last name.
    pub fn last_name(mut self, name: impl Into<String>) -> Self {
        self.last_name = Some(name.into());
        self
    }

    /// Username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Your own id for the user.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Public metadata (a JSON object; anything else is ignored).
    pub fn public_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.public_metadata = metadata.as_object().cloned().unwrap_or_default();
        self
    }

    /// Private metadata (a JSON object; anything else is ignored).
    pub fn private_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.private_metadata = metadata.as_object().cloned().unwrap_or_default();
        self
    }
}

impl Store {
    /// Whether a user already has this email address (case-insensitively).
    pub(super) fn email_taken(&self, email: &str) -> bool {
        self.users
            .values()
            .flat_map(|u| &u.email_addresses)
            .any(|e| e.email_address.eq_ignore_ascii_case(email))
    }

    fn username_taken(&self, username: &str, except_user_id: Option<&str>) -> bool {
        self.users.values().any(|u| {
            Some(u.id.as_str()) != except_user_id && u.username.as_deref() == Some(username)
        })
    }

    /// Creates a user: valid, unused email addresses (verified, the first one primary) and an
    /// unused username. Emits `user.created`.
    pub(crate) fn create_user(&mut self, new: NewUser) -> Outcome<User> {
        let user = self.insert_user(new)?;
        self.emit("user.created", &user);
        Ok(user)
    }

    fn insert_user(&mut self, new: NewUser) -> Outcome<User> {
        for email in &new.email_addresses {
            if !email.contains('@') {
                return Err(Failure::unprocessable(
                    "form_param_format_invalid",
                    format!("{email} is not a valid email address"),
                ));
            }
            if self.email_taken(email) {
                return Err(Failure::unprocessable(
                    "form_identifier_exists",
                    "That email address is taken. Please try another.",
                ));
            }
        }
        if let Some(username) = &new.username
            && self.username_taken(username, None)
        {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "That username is taken. Please try another.",
            ));
        }
        let now = self.tick();
        let email_addresses: Vec<EmailAddress> = new
            .email_addresses
            .iter()
            .map(|email| EmailAddress {
                id: Some(object_id("idn")),
                object: "email_address".into(),
                email_address: email.clone(),
                verification: Some(Verification::Admin(VerificationAdmin {
                    object: Some("verification_admin".into()),
                    status: "verified".into(),
                    strategy: "admin".into(),
                    ..VerificationAdmin::default()
                })),
                created_at: now,
                updated_at: now,
                ..EmailAddress::default()
            })
            .collect();
        let user = User {
            id: object_id("user"),
            object: "user".into(),
            primary_email_address_id: email_addresses.first().and_then(|e| e.id.clone()),
            email_addresses,
            first_name: new.first_name,
            last_name: new.last_name,
            username: new.username,
            external_id: new.external_id,
            image_url: Some("https://img.clerk.com/default-avatar".into()),
            public_metadata: new.public_metadata,
            private_metadata: Some(new.private_metadata),
            unsafe_metadata: Some(new.unsafe_metadata),
            delete_self_enabled: true,
            create_organization_enabled: true,
            created_at: now,
            updated_at: now,
            ..User::default()
        };
        self.users.insert(user.id.clone(), user.clone());
        Ok(user)
    }

    /// `POST /v1/users`: [`create_user`](Self::create_user), then the password and the ban and
    /// lock flags the request sets. Emits `user.created`.
    pub(crate) fn create_user_from(&mut self, request: CreateUserRequest) -> Outcome<User> {
        let user = self.insert_user(NewUser {
            email_addresses: request.email_address.unwrap_or_default(),
            first_name: request.first_name.value().cloned(),
            last_name: request.last_name.value().cloned(),
            username: request.username.value().cloned(),
            external_id: request.external_id.value().cloned(),
            public_metadata: request.public_metadata.unwrap_or_default(),
            private_metadata: request.private_metadata.unwrap_or_default(),
            unsafe_metadata: request.unsafe_metadata.unwrap_or_default(),
        })?;
        let stored = self.user_mut(&user.id)?;
        stored.password_enabled = request.password.value().is_some();
        stored.banned = request.banned.value().copied().unwrap_or(false);
        stored.locked = request.locked.value().copied().unwrap_or(false);
        let user = stored.clone();
        self.emit("user.created", &user);
        Ok(user)
    }

    pub(crate) fn user(&self, user_id: &str) -> Outcome<&User> {
        self.users
            .get(user_id)
            .ok_or_else(|| Failure::not_found("user"))
    }

    /// A user to change; its `updated_at` becomes now.
    pub(crate) fn user_mut(&mut self, user_id: &str) -> Outcome<&mut User> {
        let now = self.tick();
        let user = self
            .users
            .get_mut(user_id)
            .ok_or_else(|| Failure::not_found("user"))?;
        user.updated_at = now;
        Ok(user)
    }

    /// `PATCH /v1/users/{user_id}`: an unused username, a primary email address among the
    /// user's own; `null` clears a field, an absent one stays.
    pub(crate) fn update_user(
        &mut self,
        user_id: &str,
        request: UpdateUserRequest,
    ) -> Outcome<User> {
        if let Nullable::Value(username) = &request.username
            && self.username_taken(username, Some(user_id))
        {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "That username is taken. Please try another.",
            ));
        }
        let user = self.user_mut(user_id)?;
        if let Nullable::Value(primary) = &request.primary_email_address_id
            && !user
                .email_addresses
                .iter()
                .any(|e| e.id.as_deref() == Some(primary))
        {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "primary_email_address_id is not one of the user's email addresses",
            ));
        }
        set(&mut user.first_name, request.first_name);
        set(&mut user.last_name, request.last_name);
        set(&mut user.username, request.username);
        set(&mut user.external_id, request.external_id);
        set(&mut user.locale, request.locale);
        set(
            &mut user.primary_email_address_id,
            request.primary_email_address_id,
        );
        if let Nullable::Value(password) = request.password {
            user.password_enabled = !password.is_empty();
        }
        let user = user.clone();
        self.emit("user.updated", &user);
        Ok(user)
    }

    /// `PATCH /v1/users/{user_id}/metadata`: merges each metadata patch
    /// ([`merge_metadata`](super::merge_metadata)).
    pub(crate) fn update_user_metadata(
        &mut self,
        user_id: &str,
        request: UpdateUserMetadataRequest,
    ) -> Outcome<User> {
        let user = self.user_mut(user_id)?;
        merge_into(&mut user.public_metadata, request.public_metadata.as_ref());
        merge_into(
            user.private_metadata.get_or_insert_with(Metadata::new),
            request.private_metadata.as_ref(),
        );
        merge_into(
            user.unsafe_metadata.get_or_insert_with(Metadata::new),
            request.unsafe_metadata.as_ref(),
        );
        let user = user.clone();
        self.emit("user.updated", &user);
        Ok(user)
    }

    /// Bans (`true`) or unbans a user.
    pub(crate) fn set_banned(&mut self, user_id: &str, banned: bool) -> Outcome<User> {
        let user = self.user_mut(user_id)?;
        user.banned = banned;
        let user = user.clone();
        self.emit("user.updated", &user);
        Ok(user)
    }

    /// Locks (`true`) or unlocks a user.
    pub(crate) fn set_locked(&mut self, user_id: &str, locked: bool) -> Outcome<User> {
        let user = self.user_mut(user_id)?;
        user.locked = locked;
        let user = user.clone();
        self.emit("user.updated", &user);
        Ok(user)
    }

    /// Deletes a user, their memberships, and removes their sessions. Emits `session.removed`
    /// for each session that was active, then `user.deleted`.
    pub(crate) fn delete_user(&mut self, user_id: &str) -> Outcome<models::DeletedObject> {
        let user = self
            .users
            .remove(user_id)
            .ok_or_else(|| Failure::not_found("user"))?;
        self.memberships.retain(|(_, user), _| user != user_id);
        let now = self.tick();
        let mut removed = Vec::new();
        for session in self.sessions.values_mut().filter(|s| s.user_id == user_id) {
            if session.status == SessionStatus::Active {
                removed.push(session.id.clone());
            }
            session.status = SessionStatus::Removed;
            session.updated_at = now;
        }
        for id in removed {
            let data = self
                .sessions
                .get(&id)
                .map(|session| Self::session_event(session, Some(&user)));
            if let Some(data) = data {
                self.emit("session.removed", &data);
            }
        }
        let deleted = models::DeletedObject {
            object: "user".into(),
            id: Some(user_id.into()),
            deleted: true,
            ..Default::default()
        };
        self.emit(
            "user.deleted",
            &models::DeletedObject {
                external_id: user.external_id,
                ..deleted.clone()
            },
        );
        Ok(deleted)
    }
}
