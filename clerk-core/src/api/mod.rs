//! The Clerk Backend API: one handle per resource group on [`Clerk`](crate::Clerk)
//! (`clerk.users()`, `clerk.organizations()`, ...), one builder per operation, `.send().await`.
//!
//! ```no_run
//! # async fn demo(clerk: clerk_core::Clerk) -> Result<(), clerk_core::api::ApiError> {
//! let page = clerk.organizations().list().limit(20).send().await?;
//! println!("{} organizations", page.total_count);
//! let user = clerk.users().get("user_123").send().await?;
//! println!("{:?}", user.first_name);
//! # Ok(()) }
//! ```
//!
//! Requests carry the secret key, `Clerk-API-Version` and a `User-Agent` naming this SDK. Failed
//! requests are retried with exponential backoff and jitter: a 429 always (honouring
//! `Retry-After`), a 502/503/504 or a connection failure only for idempotent methods (GET, PUT,
//! DELETE, HEAD). See [`RetryPolicy`].
//!
//! The operations live in one module per group (`api::users`, `api::organizations`, ...), generated
//! from Clerk's spec by `cargo xtask codegen`.

mod error;
mod transport;

use std::collections::VecDeque;
use std::future::Future;

pub use crate::generated::api::*;
pub use error::{ApiError, ClerkError, ClerkErrors, ErrorResponse};
pub use transport::RetryPolicy;
pub(crate) use transport::{Request, Transport};

use crate::models::Paginated;

/// A query parameter value.
pub(crate) trait QueryScalar {
    fn text(&self) -> String;
}

impl QueryScalar for String {
    fn text(&self) -> String {
        self.clone()
    }
}

impl QueryScalar for bool {
    fn text(&self) -> String {
        self.to_string()
    }
}

impl QueryScalar for i64 {
    fn text(&self) -> String {
        self.to_string()
    }
}

impl QueryScalar for i32 {
    fn text(&self) -> String {
        self.to_string()
    }
}

impl QueryScalar for f64 {
    fn text(&self) -> String {
        self.to_string()
    }
}

/// The query string of a request, in order, as sent: names and values percent-encoded (RFC 3986:
/// everything but unreserved characters), so a `,` that separates the items of a form list is the
/// only literal comma.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(String);

/// A scalar or an optional scalar.
pub(crate) trait QueryField {
    fn each(&self, f: &mut dyn FnMut(String));
}

impl<T: QueryScalar> QueryField for T {
    fn each(&self, f: &mut dyn FnMut(String)) {
        f(self.text());
    }
}

impl<T: QueryScalar> QueryField for Option<T> {
    fn each(&self, f: &mut dyn FnMut(String)) {
        if let Some(v) = self {
            f(v.text());
        }
    }
}

/// A list or an optional list.
pub(crate) trait QueryList {
    type Item: QueryScalar;
    fn items(&self) -> &[Self::Item];
}

impl<T: QueryScalar> QueryList for Vec<T> {
    type Item = T;
    fn items(&self) -> &[T] {
        self
    }
}

impl<T: QueryScalar> QueryList for Option<Vec<T>> {
    type Item = T;
    fn items(&self) -> &[T] {
        self.as_deref().unwrap_or(&[])
    }
}

impl Query {
    /// Starts the pair `name=`, with a `&` before it unless it is the first.
    fn key(&mut self, name: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        percent_encode(name, &mut self.0);
        self.0.push('=');
    }

    /// Adds `name=value` when the value is set.
    pub(crate) fn push(&mut self, name: &'static str, value: &impl QueryField) {
        value.each(&mut |v| {
            self.key(name);
            percent_encode(&v, &mut self.0);
        });
    }

    /// Adds `name=a&name=b` (form, exploded).
    pub(crate) fn push_each(&mut self, name: &'static str, values: &impl QueryList) {
        for v in values.items() {
            self.key(name);
            percent_encode(&v.text(), &mut self.0);
        }
    }

    /// Adds `name=a,b` (form, not exploded): the separators are literal commas, and a comma
    /// inside an item is encoded (`%2C`), as OpenAPI's `style: form, explode: false` says.
    pub(crate) fn push_joined(&mut self, name: &'static str, values: &impl QueryList) {
        let items = values.items();
        if items.is_empty() {
            return;
        }
        self.key(name);
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            percent_encode(&v.text(), &mut self.0);
        }
    }

    /// The encoded query string, without the `?`.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Appends `value` percent-encoded: every byte but the unreserved characters of RFC 3986
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`.
fn percent_encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Percent-encodes one path segment: everything but unreserved characters is escaped, so an id
/// such as `a/b` or `../users` cannot change the path. Empty ids and the dot segments `.` and `..`
/// are refused.
pub(crate) fn path_segment(name: &str, value: &str) -> Result<String, ApiError> {
    if value.is_empty() {
        return Err(ApiError::InvalidRequest(format!(
            "the path parameter `{name}` is empty"
        )));
    }
    if value == "." || value == ".." {
        return Err(ApiError::InvalidRequest(format!(
            "the path parameter `{name}` cannot be `.` or `..`"
        )));
    }
    let mut out = String::with_capacity(value.len());
    percent_encode(value, &mut out);
    Ok(out)
}

/// A file to upload (profile image, organization logo, OAuth application logo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    bytes: bytes::Bytes,
    file_name: String,
    content_type: String,
}

impl File {
    /// A file from its bytes, name (`avatar.png`) and content type (`image/png`).
    pub fn new(
        bytes: impl Into<bytes::Bytes>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
    ) -> Self {
        Self {
            bytes: bytes.into(),
            file_name: file_name.into(),
            content_type: content_type.into(),
        }
    }
}

/// A multipart form: one file plus text fields.
#[derive(Debug, Clone)]
pub(crate) struct Multipart {
    file_field: &'static str,
    file: File,
    texts: Vec<(&'static str, String)>,
}

impl Multipart {
    pub(crate) fn new(file_field: &'static str, file: File) -> Self {
        Self {
            file_field,
            file,
            texts: Vec::new(),
        }
    }

    pub(crate) fn text(&mut self, name: &'static str, value: Option<String>) {
        if let Some(value) = value {
            self.texts.push((name, value));
        }
    }

    /// A fresh form (a form is consumed by sending, and retries need another).
    pub(crate) fn form(&self) -> Result<reqwest::multipart::Form, ApiError> {
        let part = reqwest::multipart::Part::stream(self.file.bytes.clone())
            .file_name(self.file.file_name.clone())
            .mime_str(&self.file.content_type)
            .map_err(|_| {
                ApiError::InvalidRequest(format!(
                    "`{}` is not a content type",
                    self.file.content_type
                ))
            })?;
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in &self.texts {
            form = form.text(*name, value.clone());
        }
        Ok(form.part(self.file_field, part))
    }
}

/// One page, whatever shape the list answers with.
pub(crate) struct Page<T> {
    items: Vec<T>,
    total: Option<i64>,
}

impl<T> From<Paginated<T>> for Page<T> {
    fn from(page: Paginated<T>) -> Self {
        Self {
            items: page.data,
            total: Some(page.total_count),
        }
    }
}

impl<T> From<Vec<T>> for Page<T> {
    fn from(items: Vec<T>) -> Self {
        Self { items, total: None }
    }
}

/// The stream of every item of a list, from a builder's `.stream()`. It is `Unpin`, so
/// `StreamExt::next` works on it directly.
pub type ItemStream<T> =
    std::pin::Pin<Box<dyn futures_core::Stream<Item = Result<T, ApiError>> + Send + 'static>>;

/// A stream over every item of a list: fetches a page of `page_size` from `start`, yields its
/// items, and goes on until `total_count` is reached, a page is empty, or (for lists without a
/// count) a page is short. An error ends the stream after being yielded.
pub(crate) fn paginate<T, F, Fut>(start: i64, page_size: i64, fetch: F) -> ItemStream<T>
where
    T: Send + 'static,
    F: FnMut(i64, i64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + Send,
{
    struct State<T, F> {
        offset: i64,
        buffer: VecDeque<T>,
        done: bool,
        fetch: F,
    }
    let state = State {
        offset: start,
        buffer: VecDeque::new(),
        done: false,
        fetch,
    };
    Box::pin(futures_util::stream::unfold(
        state,
        move |mut state| async move {
            loop {
                if let Some(item) = state.buffer.pop_front() {
                    return Some((Ok(item), state));
                }
                if state.done {
                    return None;
                }
                match (state.fetch)(state.offset, page_size).await {
                    Err(error) => {
                        state.done = true;
                        return Some((Err(error), state));
                    }
                    Ok(page) => {
                        let count = page.items.len() as i64;
                        state.offset += count;
                        state.done = count == 0
                            || match page.total {
                                Some(total) => state.offset >= total,
                                None => count < page_size,
                            };
                        state.buffer.extend(page.items);
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("id", "user_123").ok(), Some("user_123".into()));
        assert_eq!(
            path_segment("id", "../users").ok(),
            Some("..%2Fusers".into())
        );
        assert_eq!(
            path_segment("id", "a/b c?d#e").ok(),
            Some("a%2Fb%20c%3Fd%23e".into())
        );
        assert_eq!(path_segment("id", "é").ok(), Some("%C3%A9".into()));
        for bad in ["", ".", ".."] {
            assert!(
                matches!(path_segment("id", bad), Err(ApiError::InvalidRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn query_forms() {
        let mut q = Query::default();
        q.push("limit", &Some(10i64));
        q.push("offset", &None::<i64>);
        q.push("flag", &true);
        q.push_each("id", &Some(vec!["a".to_string(), "b c".to_string()]));
        q.push_joined("mode", &vec!["x".to_string(), "y".to_string()]);
        q.push_joined("empty", &None::<Vec<String>>);
        q.push_joined("odd", &vec!["a,b".to_string(), "c&d=e f".to_string()]);
        q.push("name", &"é+/?#".to_string());
        assert_eq!(
            q.as_str(),
            "limit=10&flag=true&id=a&id=b%20c&mode=x,y&odd=a%2Cb,c%26d%3De%20f&name=%C3%A9%2B%2F%3F%23"
        );
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    /// Decodes `%XX` escapes (the inverse of `percent_encode`).
    fn decode(encoded: &str) -> Vec<u8> {
        let bytes = encoded.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }

    proptest! {
        /// Any id round-trips through a path segment, and the segment is one segment: no `/`,
        /// `?`, `#` or `%` that is not an escape, and never a dot segment.
        #[test]
        fn path_segments_round_trip(value in any::<String>()) {
            match super::path_segment("id", &value) {
                Ok(segment) => {
                    prop_assert_eq!(decode(&segment), value.as_bytes());
                    prop_assert!(segment.bytes().all(|b| b.is_ascii_alphanumeric()
                        || matches!(b, b'-' | b'.' | b'_' | b'~' | b'%')));
                    prop_assert!(segment != "." && segment != "..");
                }
                Err(_) => prop_assert!(value.is_empty() || value == "." || value == ".."),
            }
        }
    }
}
