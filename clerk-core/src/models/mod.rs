//! The Backend API's data types.
//!
//! Generated from Clerk's spec (every component schema, inline request body and inline response),
//! plus the hand-written cross-cutting types: [`Nullable`], [`Paginated`], the [`Verification`]
//! union and the [`JwkSet`] key set.
//!
//! Models are forward compatible: unknown fields are ignored, and every multi-value enum keeps
//! values it does not know in an `Unknown(String)` variant. Timestamps are `i64` Unix milliseconds;
//! metadata is a `serde_json::Map`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::generated::models::*;

/// Free-form JSON metadata (public, private or unsafe metadata of users and organizations).
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// A request field that is optional and nullable, where leaving it out and sending `null` differ:
/// in a PATCH, `Absent` keeps the stored value and `Null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    /// Not sent.
    #[default]
    Absent,
    /// Sent as `null`.
    Null,
    /// Sent as a value.
    Value(T),
}

impl<T> Nullable<T> {
    /// Whether the field is left out of the request.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// The value, if one is set.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => v.serialize(serializer),
            Self::Absent | Self::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(v) => Self::Value(v),
            None => Self::Null,
        })
    }
}

/// One page of a list: `{data, total_count}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paginated<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// How many items the whole list holds.
    #[serde(default)]
    pub total_count: i64,
}

impl<T> Default for Paginated<T> {
    fn default() -> Self {
        Self {
            data: Vec::new(),
            total_count: 0,
        }
    }
}

/// The verification of an identification (email address, phone number, external account, ...),
/// told apart by its `object` tag. Tags this SDK does not know yet are kept as
/// [`Unknown`](Self::Unknown).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Verification {
    /// `verification_otp`: a one-time code.
    Otp(VerificationOtp),
    /// `verification_admin`: verified by an administrator.
    Admin(VerificationAdmin),
    /// `verification_from_oauth`: verified through an OAuth provider.
    FromOauth(VerificationFromOauth),
    /// `verification_ticket`: verified with a ticket (invitation, sign-in token).
    Ticket(VerificationTicket),
    /// `verification_saml`: verified through SAML.
    Saml(VerificationSaml),
    /// `verification_email_link`: verified through an email link.
    EmailLink(VerificationEmailLink),
    /// `verification_scim`: provisioned through SCIM.
    Scim(VerificationScim),
    /// `verification_web3`: a Web3 wallet signature.
    Web3(VerificationWeb3),
    /// `verification_passkey`: a passkey.
    Passkey(VerificationPasskey),
    /// `verification_oauth`: an OAuth flow.
    Oauth(VerificationOauth),
    /// `verification_google_one_tap`: Google One Tap.
    GoogleOneTap(VerificationGoogleOneTap),
    /// A verification this SDK does not know yet, as sent.
    Unknown(serde_json::Value),
}

impl Serialize for Verification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Otp(v) => v.serialize(serializer),
            Self::Admin(v) => v.serialize(serializer),
            Self::FromOauth(v) => v.serialize(serializer),
            Self::Ticket(v) => v.serialize(serializer),
            Self::Saml(v) => v.serialize(serializer),
            Self::EmailLink(v) => v.serialize(serializer),
            Self::Scim(v) => v.serialize(serializer),
            Self::Web3(v) => v.serialize(serializer),
            Self::Passkey(v) => v.serialize(serializer),
            Self::Oauth(v) => v.serialize(serializer),
            Self::GoogleOneTap(v) => v.serialize(serializer),
            Self::Unknown(v) => v.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Verification {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(deserializer)?;
        let tag = value
            .get("object")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        fn typed<T: serde::de::DeserializeOwned, E: serde::de::Error>(
            value: serde_json::Value,
        ) -> Result<T, E> {
            serde_json::from_value(value).map_err(E::custom)
        }
        Ok(match tag {
            "verification_otp" => Self::Otp(typed(value)?),
            "verification_admin" => Self::Admin(typed(value)?),
            "verification_from_oauth" => Self::FromOauth(typed(value)?),
            "verification_ticket" => Self::Ticket(typed(value)?),
            "verification_saml" => Self::Saml(typed(value)?),
            "verification_email_link" => Self::EmailLink(typed(value)?),
            "verification_scim" => Self::Scim(typed(value)?),
            "verification_web3" => Self::Web3(typed(value)?),
            "verification_passkey" => Self::Passkey(typed(value)?),
            "verification_oauth" => Self::Oauth(typed(value)?),
            "verification_google_one_tap" => Self::GoogleOneTap(typed(value)?),
            _ if value.is_object() => Self::Unknown(value),
            _ => return Err(D::Error::custom("a verification must be a JSON object")),
        })
    }
}

/// The instance's JSON Web Key Set (`GET /jwks`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    #[serde(default)]
    pub keys: Vec<JwksKey>,
}

/// One key of a [`JwkSet`], flattened as Clerk flattens it: RSA keys use `n` and `e`, elliptic
/// curve and Ed25519 keys use `crv` and `x`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JwksKey {
    /// Intended use (`sig`).
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Key type (`RSA`, `EC`, `OKP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kty: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Algorithm (`RS256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// RSA modulus (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA exponent (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve point (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// Curve name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
}

/// Defines a string enum whose unknown values land in `Unknown(String)`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", $value, "`")] $variant,)*
            /// A value this SDK does not know yet, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The value as Clerk spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from(&*value))
            }
        }

        impl crate::api::QueryScalar for $name {
            fn text(&self) -> String {
                self.as_str().to_owned()
            }
        }
    };
}
pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Default)]
    struct Patch {
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        name: Nullable<String>,
    }

    #[test]
    fn nullable_tells_absent_from_null() {
        let json = |p: &Patch| serde_json::to_string(p).expect("serializes");
        assert_eq!(json(&Patch::default()), "{}");
        assert_eq!(
            json(&Patch {
                name: Nullable::Null
            }),
            r#"{"name":null}"#
        );
        assert_eq!(
            json(&Patch {
                name: Nullable::Value("a".into())
            }),
            r#"{"name":"a"}"#
        );
        let parse = |s: &str| serde_json::from_str::<Patch>(s).expect("parses").name;
        assert_eq!(parse("{}"), Nullable::Absent);
        assert_eq!(parse(r#"{"name":null}"#), Nullable::Null);
        assert_eq!(parse(r#"{"name":"a"}"#), Nullable::Value("a".into()));
    }

    #[test]
    fn unknown_verifications_and_enum_values_are_kept() {
        let v: Verification =
            serde_json::from_str(r#"{"object":"verification_future","status":"x"}"#).expect("kept");
        assert!(matches!(v, Verification::Unknown(_)));
        assert!(serde_json::from_str::<Verification>("3").is_err());
    }
}
