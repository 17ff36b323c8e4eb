//! JWT templates, and the claims of a token made from one over a session: the template's
//! claims with Clerk's shortcodes (`{{user.id}}`, …) filled in.

use clerk_core::models::{
    CreateJwtTemplateRequest, DeletedObject, JwtTemplate, Nullable, OrganizationMembership,
    UpdateJwtTemplateRequest, User,
};
use serde_json::{Map, Value};

use super::{Failure, Outcome, Store};
use crate::ids::object_id;

/// A template's token lifetime when none is given (Clerk: 60 seconds).
const DEFAULT_LIFETIME: i64 = 60;
/// A template's allowed clock skew when none is given (Clerk: 5 seconds).
const DEFAULT_CLOCK_SKEW: i64 = 5;

/// The claims a template token always has, set by the emulator whatever the template says.
pub(crate) const DEFAULT_CLAIMS: [&str; 7] = ["azp", "exp", "iat", "iss", "jti", "nbf", "sub"];

fn invalid(message: impl Into<String>) -> Failure {
    Failure::unprocessable("form_param_value_invalid", message)
}

/// `lifetime` and `allowed_clock_skew`: absent or null is the default, a value must fit Clerk's
/// ranges (30 s to 10 years; 0 to 300 s, as the dashboard allows).
fn lifetime(value: &Nullable<i64>, default: i64, min: i64, max: i64) -> Outcome<i64> {
    match value {
        Nullable::Value(v) if (min..=max).contains(v) => Ok(*v),
        Nullable::Value(_) => Err(invalid(format!("must be between {min} and {max}"))),
        _ => Ok(default),
    }
}

impl Store {
    fn check_template(
        &self,
        name: &str,
        custom_signing_key: Option<bool>,
        except: Option<&str>,
    ) -> Outcome<()> {
        if name.trim().is_empty() {
            return Err(invalid("name must not be empty"));
        }
        if custom_signing_key == Some(true) {
            return Err(invalid(
                "custom signing keys are not emulated by LocalClerk",
            ));
        }
        let taken = self
            .jwt_templates
            .values()
            .any(|t| t.name == name && Some(t.id.as_str()) != except);
        if taken {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "a JWT template with this name already exists",
            ));
        }
        Ok(())
    }

    pub(crate) fn create_jwt_template(
        &mut self,
        request: CreateJwtTemplateRequest,
    ) -> Outcome<JwtTemplate> {
        self.check_template(&request.name, request.custom_signing_key, None)?;
        let now = self.tick();
        let template = JwtTemplate {
            object: "jwt_template".into(),
            id: object_id("jtmp"),
            name: request.name,
            claims: request.claims,
            lifetime: lifetime(&request.lifetime, DEFAULT_LIFETIME, 30, 315_360_000)?,
            allowed_clock_skew: lifetime(&request.allowed_clock_skew, DEFAULT_CLOCK_SKEW, 0, 300)?,
            custom_signing_key: false,
            signing_algorithm: "RS256".into(),
            created_at: now,
            updated_at: now,
        };
        self.jwt_templates
            .insert(template.id.clone(), template.clone());
        Ok(template)
    }

    pub(crate) fn jwt_template(&self, template_id: &str) -> Outcome<JwtTemplate> {
        self.jwt_templates
            .get(template_id)
            .cloned()
            .ok_or_else(|| Failure::not_found("JWT template"))
    }

    /// Every template, oldest first.
    pub(crate) fn jwt_template_list(&self) -> Vec<JwtTemplate> {
        let mut list: Vec<JwtTemplate> = self.jwt_templates.values().cloned().collect();
        list.sort_by_key(|t| t.created_at);
        list
    }

    pub(crate) fn update_jwt_template(
        &mut self,
        template_id: &str,
        request: UpdateJwtTemplateRequest,
    ) -> Outcome<JwtTemplate> {
        self.jwt_template(template_id)?;
        self.check_template(&request.name, request.custom_signing_key, Some(template_id))?;
        let lifetime_value = lifetime(&request.lifetime, DEFAULT_LIFETIME, 30, 315_360_000)?;
        let skew = lifetime(&request.allowed_clock_skew, DEFAULT_CLOCK_SKEW, 0, 300)?;
        let now = self.tick();
        let template = self
            .jwt_templates
            .get_mut(template_id)
            .ok_or_else(|| Failure::not_found("JWT template"))?;
        template.name = request.name;
        template.claims = request.claims;
        template.lifetime = lifetime_value;
        template.allowed_clock_skew = skew;
        template.updated_at = now;
        Ok(template.clone())
    }

    pub(crate) fn delete_jwt_template(&mut self, template_id: &str) -> Outcome<DeletedObject> {
        self.jwt_templates
            .remove(template_id)
            .ok_or_else(|| Failure::not_found("JWT template"))?;
        Ok(DeletedObject {
            object: "jwt_template".into(),
            id: Some(template_id.to_owned()),
            deleted: true,
            ..DeletedObject::default()
        })
    }

    /// The template named `name`.
    pub(crate) fn jwt_template_named(&self, name: &str) -> Outcome<JwtTemplate> {
        self.jwt_templates
            .values()
            .find(|t| t.name == name)
            .cloned()
            .ok_or_else(|| Failure::not_found("JWT template"))
    }
}

/// The value of a shortcode (`user.id`, without braces) for `user` and the session's active
/// organization membership; `None` for a shortcode LocalClerk does not know.
fn shortcode(
    code: &str,
    user: &User,
    membership: Option<&OrganizationMembership>,
) -> Option<Value> {
    let text = |value: &Option<String>| value.clone().map_or(Value::Null, Value::String);
    let org = membership.map(|m| &m.organization);
    Some(match code {
        "user.id" => Value::String(user.id.clone()),
        "user.first_name" => text(&user.first_name),
        "user.last_name" => text(&user.last_name),
        "user.username" => text(&user.username),
        "user.image_url" => text(&user.image_url),
        "user.created_at" => Value::from(user.created_at / 1000),
        "user.public_metadata" => Value::Object(user.public_metadata.clone()),
        "user.unsafe_metadata" => Value::Object(user.unsafe_metadata.clone().unwrap_or_default()),
        "user.primary_email_address" => user
            .email_addresses
            .iter()
            .find(|e| e.id.is_some() && e.id == user.primary_email_address_id)
            .map_or(Value::Null, |e| Value::String(e.email_address.clone())),
        "org.id" => org.map_or(Value::Null, |o| Value::String(o.id.clone())),
        "org.slug" => org.map_or(Value::Null, |o| Value::String(o.slug.clone())),
        "org.name" => org.map_or(Value::Null, |o| Value::String(o.name.clone())),
        "org.role" => membership.map_or(Value::Null, |m| Value::String(m.role.clone())),
        _ => return None,
    })
}

/// A claim value of a template, rendered: a string that is exactly one shortcode becomes its
/// value (any JSON type; `null` when the user has none); shortcodes inside a longer string are
/// replaced by their text (`null` by nothing); unknown shortcodes stay as written; objects and
/// arrays are rendered member by member.
pub(crate) fn render(
    value: &Value,
    user: &User,
    membership: Option<&OrganizationMembership>,
) -> Value {
    match value {
        Value::String(text) => {
            let trimmed = text.trim();
            if let Some(code) = trimmed
                .strip_prefix("{{")
                .and_then(|rest| rest.strip_suffix("}}"))
                .filter(|code| !code.contains("{{") && !code.contains("}}"))
                && let Some(found) = shortcode(code.trim(), user, membership)
            {
                return found;
            }
            let mut out = String::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("{{") {
                let Some(len) = rest[start..].find("}}") else {
                    break;
                };
                let code = rest[start + 2..start + len].trim();
                out.push_str(&rest[..start]);
                match shortcode(code, user, membership) {
                    Some(Value::String(s)) => out.push_str(&s),
                    Some(Value::Null) => {}
                    Some(other) => out.push_str(&other.to_string()),
                    None => out.push_str(&rest[start..start + len + 2]),
                }
                rest = &rest[start + len + 2..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render(item, user, membership))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render(v, user, membership)))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shortcodes_are_filled_in() {
        let user = User {
            id: "user_1".into(),
            first_name: Some("Ada".into()),
            last_name: None,
            public_metadata: json!({"plan": "pro"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..User::default()
        };
        let template = json!({
            "uid": "{{user.id}}",
            "meta": "{{ user.public_metadata }}",
            "greeting": "hi {{user.first_name}}{{user.last_name}}!",
            "last": "{{user.last_name}}",
            "unknown": "{{user.shoe_size}}",
            "nested": [{"role": "authenticated", "who": "{{user.id}}"}],
            "n": 3
        });
        assert_eq!(
            render(&template, &user, None),
            json!({
                "uid": "user_1",
                "meta": {"plan": "pro"},
                "greeting": "hi Ada!",
                "last": null,
                "unknown": "{{user.shoe_size}}",
                "nested": [{"role": "authenticated", "who": "user_1"}],
                "n": 3
            })
        );
    }
}
