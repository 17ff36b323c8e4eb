//! Query strings of the list operations: repeated keys, integers, flags, `limit`/`offset`
//! pages, `order_by` and the bare-array or `{data, total_count}` answers.

use axum::response::{IntoResponse, Response};
use clerk_core::models::Paginated;
use serde::Serialize;

use super::ok;
use crate::store::{Failure, Outcome};

/// The query string, with repeated keys.
pub(super) struct Query(Vec<(String, String)>);

impl Query {
    pub(super) fn parse(raw: Option<String>) -> Self {
        Self(
            raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }

    pub(super) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(super) fn one(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    pub(super) fn int(&self, name: &str) -> Outcome<Option<i64>> {
        self.one(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    Failure::unprocessable(
                        "form_param_format_invalid",
                        format!("{name} must be an integer"),
                    )
                })
            })
            .transpose()
    }

    pub(super) fn flag(&self, name: &str) -> Option<bool> {
        self.one(name).map(|v| v == "true")
    }

    /// `limit` (1..=500, default 10) and `offset` (default 0).
    pub(super) fn page<T>(&self, items: Vec<T>) -> Outcome<(Vec<T>, i64)> {
        let limit = self.int("limit")?.unwrap_or(10);
        if !(1..=500).contains(&limit) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "limit must be between 1 and 500",
            ));
        }
        let offset = self.int("offset")?.unwrap_or(0).max(0);
        let total = items.len() as i64;
        let page = items
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Ok((page, total))
    }
}

/// Case-insensitive substring search, as the `query` filters do.
pub(super) fn contains(haystack: Option<&str>, needle: &str) -> bool {
    haystack.is_some_and(|h| h.to_lowercase().contains(&needle.to_lowercase()))
}

/// Sorts by `order_by` (`+field` or `-field`, default `-created_at`).
pub(super) fn sort_by<T>(
    items: &mut [T],
    order_by: Option<&str>,
    key: impl Fn(&T, &str) -> String,
) -> Outcome<()> {
    let order_by = order_by.unwrap_or("-created_at");
    let (descending, field) = match order_by.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, order_by.trim_start_matches('+')),
    };
    if key_supported(field) {
        items.sort_by(|a, b| {
            let ordering = key(a, field).cmp(&key(b, field));
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
        Ok(())
    } else {
        Err(Failure::unprocessable(
            "form_param_value_invalid",
            format!("order_by `{order_by}` is not supported"),
        ))
    }
}

fn key_supported(field: &str) -> bool {
    matches!(
        field,
        "created_at"
            | "updated_at"
            | "email_address"
            | "username"
            | "first_name"
            | "last_name"
            | "name"
            | "last_sign_in_at"
            | "last_active_at"
            | "members_count"
            | "role"
            | "phone_number"
    )
}

/// Zero-padded so that string order is numeric order.
pub(super) fn num(n: i64) -> String {
    format!("{:020}", n.max(0))
}

/// Lists that answer a bare array, or `{data, total_count}` with `paginated=true`.
pub(super) fn list_reply<T: Serialize>(q: &Query, items: Vec<T>) -> Response {
    match q.page(items) {
        Ok((data, total_count)) if q.flag("paginated") == Some(true) => {
            ok(Paginated { data, total_count })
        }
        Ok((data, _)) => ok(data),
        Err(failure) => failure.into_response(),
    }
}
