//! One way to call GitHub: a time-out around each request, a short in-process
//! retry with backoff for 5xx, 429 and network errors that honours
//! `retry-after` and GitHub's rate-limit headers, and no retry at all for
//! other 4xx answers. A wait longer than we are willing to sleep here is
//! handed to the job queue as a hint (`ApiError::retry_after`).

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;

/// Longest wait slept in-process; longer ones go back to the job queue.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest wait a server's hint can ask for: a bigger `retry-after` or a
/// rate-limit reset further away is read as this.
pub const MAX_RETRY_HINT: Duration = Duration::from_secs(60 * 60);
/// The least wait after a secondary rate limit, as GitHub asks when it gives
/// no other hint ("wait for at least one minute").
pub const SECONDARY_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// The most of an answer read from GitHub: a longer one is refused.
pub const MAX_ANSWER_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    status: Option<u16>,
    message: String,
    retryable: bool,
    /// The server's own wait hint, from `retry-after` or the rate-limit reset.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            status: None,
            message: message.into(),
            retryable: false,
            retry_after: None,
        }
    }

    fn transport(message: String) -> Self {
        Self {
            status: None,
            message,
            retryable: true,
            retry_after: None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.status
    }

    pub fn is_retryable(&self) -> bool {
        self.retryable
    }
}

/// An error and its sources, as one line: octocrab's own text ("Service
/// Error: client error (Connect)") hides whether DNS, the connection or TLS
/// failed; the sources say.
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Percent-encodes one path segment (a label name, a login).
pub fn encode_path_segment(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Whether an error answer's body says it is GitHub's secondary rate limit
/// ("You have exceeded a secondary rate limit...", on a 403 or a 429).
fn names_secondary_limit(body: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"secondary rate limit";
    body.windows(NEEDLE.len())
        .any(|w| w.eq_ignore_ascii_case(NEEDLE))
}

/// Reads GitHub's wait hint from an error answer: whether to retry, and
/// after how long (capped at `MAX_RETRY_HINT`). A secondary rate limit is
/// always retried, after at least `SECONDARY_LIMIT_WAIT`: it is what an
/// outsider's flood of comments causes, and must not kill admins' jobs.
fn wait_hint(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> (bool, Option<Duration>) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let retry_after = header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    let reset = header("x-ratelimit-reset")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|reset| {
            let now = chrono::Utc::now().timestamp();
            let secs = u64::try_from(reset.saturating_sub(now)).unwrap_or(0);
            Duration::from_secs(secs.saturating_add(1))
        });
    let secondary = matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    ) && names_secondary_limit(body);
    let rate_limited = secondary
        || status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN && (exhausted || retry_after.is_some()));
    let (retry, hint) = if rate_limited {
        (true, retry_after.or(if exhausted { reset } else { None }))
    } else {
        (status.is_server_error(), retry_after)
    };
    let hint = hint.map(|h| h.min(MAX_RETRY_HINT));
    let hint = if secondary {
        Some(hint.map_or(SECONDARY_LIMIT_WAIT, |h| h.max(SECONDARY_LIMIT_WAIT)))
    } else {
        hint
    };
    (retry, hint)
}

/// Where a call goes, and a secret it carries (a `/verify-repo` token as a
/// branch name) that no error or log line may show.
#[derive(Clone, Copy)]
struct Route<'a> {
    path: &'a str,
    secret: Option<&'a str>,
}

impl<'a> Route<'a> {
    fn plain(path: &'a str) -> Self {
        Self { path, secret: None }
    }

    /// `text` with the secret replaced, for errors and logs.
    fn hide(self, text: &str) -> String {
        match self.secret {
            Some(secret) if !secret.is_empty() => text.replace(secret, "[secret]"),
            _ => text.to_owned(),
        }
    }
}

async fn once(
    client: &Octocrab,
    method: Method,
    route: Route<'_>,
    body: Option<&serde_json::Value>,
) -> Result<bytes::Bytes, ApiError> {
    let shown = route.hide(route.path);
    let operation = crate::observe::github_operation(route.path);
    let response = send(client, method, route, body, operation).await?;
    let (parts, body) = response.into_parts();
    count_answer(operation, &parts);
    let bytes = read_answer(method, &shown, &parts.headers, body).await?;
    if parts.status.is_success() {
        return Ok(bytes);
    }
    let (retryable, retry_after) = wait_hint(parts.status, &parts.headers, &bytes);
    let detail: String = route.hide(
        &String::from_utf8_lossy(&bytes)
            .chars()
            .take(300)
            .collect::<String>(),
    );
    Err(ApiError {
        status: Some(parts.status.as_u16()),
        message: format!(
            "{method:?} {shown}: GitHub answered {}: {detail}",
            parts.status
        ),
        retryable,
        retry_after,
    })
}

/// Sends the request, bounded by `REQUEST_TIMEOUT`; a failure to get an
/// answer is counted and retryable.
async fn send(
    client: &Octocrab,
    method: Method,
    route: Route<'_>,
    body: Option<&serde_json::Value>,
    operation: &'static str,
) -> Result<http::Response<BoxBody<bytes::Bytes, octocrab::Error>>, ApiError> {
    let (path, shown) = (route.path, route.hide(route.path));
    let send = async {
        match method {
            Method::Get => client._get(path).await,
            Method::Post => client._post(path, body).await,
            Method::Patch => client._patch(path, body).await,
            Method::Delete => client._delete(path, body).await,
        }
    };
    let counted = |status: &'static str| {
        metrics::counter!(crate::observe::GITHUB_REQUESTS, "operation" => operation, "status" => status)
            .increment(1);
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, send).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => {
            counted("error");
            Err(ApiError::transport(format!(
                "{method:?} {shown}: {}",
                route.hide(&cause_chain(&e))
            )))
        }
        Err(_) => {
            counted("error");
            Err(ApiError::transport(format!(
                "{method:?} {shown}: timed out"
            )))
        }
    }
}

/// Counts the answer by status, and notes the rate limit left.
fn count_answer(operation: &'static str, parts: &http::response::Parts) {
    metrics::counter!(
        crate::observe::GITHUB_REQUESTS,
        "operation" => operation,
        "status" => parts.status.as_u16().to_string()
    )
    .increment(1);
    if let Some(remaining) = parts
        .headers
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        metrics::gauge!(crate::observe::GITHUB_RATE_LIMIT_REMAINING).set(remaining);
    }
}

/// Reads the answer's body, bounded by `REQUEST_TIMEOUT` and refused when
/// longer than `MAX_ANSWER_BYTES` (by its `content-length` or as read).
async fn read_answer(
    method: Method,
    shown: &str,
    headers: &HeaderMap,
    body: BoxBody<bytes::Bytes, octocrab::Error>,
) -> Result<bytes::Bytes, ApiError> {
    let too_long = || {
        ApiError::permanent(format!(
            "{method:?} {shown}: the answer is longer than {} MiB",
            MAX_ANSWER_BYTES / (1024 * 1024)
        ))
    };
    if headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_long());
    }
    let limited = http_body_util::Limited::new(body, MAX_ANSWER_BYTES);
    match tokio::time::timeout(REQUEST_TIMEOUT, limited.collect()).await {
        Err(_) => Err(ApiError::transport(format!(
            "{method:?} {shown}: reading the answer timed out"
        ))),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_long()),
        Ok(Err(e)) => Err(ApiError::transport(format!(
            "{method:?} {shown}: reading the answer: {e}"
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

async fn with_retries(
    client: &Octocrab,
    method: Method,
    route: Route<'_>,
    body: Option<serde_json::Value>,
) -> Result<bytes::Bytes, ApiError> {
    let policy = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(300))
        .with_max_delay(MAX_INLINE_WAIT)
        .with_max_times(2)
        .with_jitter();
    (|| once(client, method, route, body.as_ref()))
        .retry(policy)
        .when(|e: &ApiError| e.retryable && e.retry_after.is_none_or(|d| d <= MAX_INLINE_WAIT))
        .adjust(|e: &ApiError, ours| e.retry_after.or(ours))
        .notify(
            |e: &ApiError, wait| tracing::warn!(error = %e, ?wait, "GitHub call failed; retrying"),
        )
        .await
}

/// Calls GitHub and decodes the JSON answer.
pub async fn call<T: DeserializeOwned>(
    client: &Octocrab,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, ApiError> {
    call_route(client, method, Route::plain(path), body).await
}

/// A GET on a path that carries `secret`, which no error or log line shows
/// (it reads `[secret]` there).
pub async fn get_hiding<T: DeserializeOwned>(
    client: &Octocrab,
    path: &str,
    secret: &str,
) -> Result<T, ApiError> {
    let route = Route {
        path,
        secret: Some(secret),
    };
    call_route(client, Method::Get, route, None).await
}

async fn call_route<T: DeserializeOwned>(
    client: &Octocrab,
    method: Method,
    route: Route<'_>,
    body: Option<serde_json::Value>,
) -> Result<T, ApiError> {
    let bytes = with_retries(client, method, route, body).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::permanent(format!(
            "{method:?} {}: unexpected answer: {}",
            route.hide(route.path),
            route.hide(&e.to_string())
        ))
    })
}

/// Calls GitHub once, with no in-process retry: for creates (a comment),
/// where a 5xx or a time-out does not say whether the first one landed. The
/// job's retry looks for what it made before making it again.
pub async fn call_once<T: DeserializeOwned>(
    client: &Octocrab,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, ApiError> {
    let bytes = once(client, method, Route::plain(path), body.as_ref()).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::permanent(format!("{method:?} {path}: unexpected answer: {e}")))
}

/// Calls GitHub and ignores the answer's body.
pub async fn call_unit(
    client: &Octocrab,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<(), ApiError> {
    with_retries(client, method, Route::plain(path), body)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn classifies_answers() {
        assert_eq!(
            wait_hint(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b""),
            (true, None)
        );
        assert_eq!(
            wait_hint(StatusCode::UNPROCESSABLE_ENTITY, &HeaderMap::new(), b""),
            (false, None)
        );
        assert_eq!(
            wait_hint(StatusCode::NOT_FOUND, &HeaderMap::new(), b""),
            (false, None)
        );
        assert_eq!(
            wait_hint(
                StatusCode::TOO_MANY_REQUESTS,
                &headers(&[("retry-after", "7")]),
                b""
            ),
            (true, Some(Duration::from_secs(7)))
        );
        // A plain 403 (no permission) is not a rate limit.
        assert_eq!(
            wait_hint(StatusCode::FORBIDDEN, &HeaderMap::new(), b""),
            (false, None)
        );
        let reset = (chrono::Utc::now().timestamp() + 600).to_string();
        let (retry, wait) = wait_hint(
            StatusCode::FORBIDDEN,
            &headers(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset),
            ]),
            b"",
        );
        assert!(retry);
        assert!(wait.unwrap() >= Duration::from_secs(590), "{wait:?}");
    }

    #[test]
    fn a_secondary_limit_waits_a_minute_and_hints_are_capped() {
        let body = br#"{"message": "You have exceeded a Secondary Rate Limit. Please wait a few minutes before you try again."}"#;
        for status in [StatusCode::FORBIDDEN, StatusCode::TOO_MANY_REQUESTS] {
            assert_eq!(
                wait_hint(status, &HeaderMap::new(), body),
                (true, Some(SECONDARY_LIMIT_WAIT))
            );
            assert_eq!(
                wait_hint(status, &headers(&[("retry-after", "5")]), body),
                (true, Some(SECONDARY_LIMIT_WAIT))
            );
            assert_eq!(
                wait_hint(status, &headers(&[("retry-after", "120")]), body),
                (true, Some(Duration::from_secs(120)))
            );
        }
        let far = (chrono::Utc::now().timestamp() + 30 * 24 * 3600).to_string();
        let exhausted = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &far)]);
        assert_eq!(
            wait_hint(StatusCode::FORBIDDEN, &exhausted, b""),
            (true, Some(MAX_RETRY_HINT))
        );
        assert_eq!(
            wait_hint(
                StatusCode::TOO_MANY_REQUESTS,
                &headers(&[("retry-after", "99999999")]),
                b""
            ),
            (true, Some(MAX_RETRY_HINT))
        );
        assert_eq!(
            wait_hint(
                StatusCode::SERVICE_UNAVAILABLE,
                &headers(&[("retry-after", "99999999")]),
                b""
            ),
            (true, Some(MAX_RETRY_HINT))
        );
        // A far-future reset cannot overflow.
        let huge = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "9223372036854775807"),
        ]);
        assert_eq!(
            wait_hint(StatusCode::FORBIDDEN, &huge, b""),
            (true, Some(MAX_RETRY_HINT))
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_path_segment("needs fix"), "needs%20fix");
        assert_eq!(encode_path_segment("a/b?c"), "a%2Fb%3Fc");
    }
}
