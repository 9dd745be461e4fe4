//! What the HTTP kinds (webhook, service, enrichment) share: sending one request within a
//! timeout, reading a capped answer, and telling a failure worth retrying from one that is
//! not.
//!
//! Error texts name the receiver by its origin (`https://hooks.example.com:443`), never by
//! its full URL: webhook URLs often carry a token in their path or query.

use std::time::Duration;

use reqwest::{StatusCode, Url};

use crate::action::ActionError;

/// How much of an answer goes into an error's text.
const ERROR_SNIPPET_BYTES: usize = 512;

/// An answer, read up to a cap.
pub(crate) struct Answer {
    pub status: StatusCode,
    /// At most the cap's bytes.
    pub body: Vec<u8>,
    /// Whether the answer went on past the cap.
    pub truncated: bool,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
}

impl Answer {
    /// `Ok` on a 2xx; otherwise the failure, retryable on a 408, 429 or 5xx.
    pub fn check(&self, target: &Url) -> Result<(), ActionError> {
        if self.status.is_success() {
            return Ok(());
        }
        let mut message = format!("POST {} answered {}", origin(target), self.status);
        let snippet = snippet(&self.body, ERROR_SNIPPET_BYTES);
        if !snippet.is_empty() {
            message.push_str(&format!(": {snippet}"));
        }
        if let Some(retry_after) = &self.retry_after {
            message.push_str(&format!(" (retry after {retry_after})"));
        }
        let retryable = self.status == StatusCode::REQUEST_TIMEOUT
            || self.status == StatusCode::TOO_MANY_REQUESTS
            || self.status.is_server_error();
        if self.status.is_redirection() {
            message.push_str("; redirects are not followed, the rule must name the final URL");
        }
        Err(if retryable { ActionError::Retryable(message) } else { ActionError::Permanent(message) })
    }
}

/// Sends `request` and reads at most `cap` bytes of the answer, all within `timeout`.
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    target: &Url,
    timeout: Duration,
    cap: usize,
) -> Result<Answer, ActionError> {
    let exchange = async {
        let mut response = request.timeout(timeout).send().await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.chars().take(64).collect());
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await? {
            let room = cap - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok::<_, reqwest::Error>(Answer { status, body, truncated, retry_after })
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => Err(ActionError::Retryable(format!("POST {}: no answer within {timeout:?}", origin(target)))),
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(error)) if error.is_timeout() => {
            Err(ActionError::Retryable(format!("POST {}: no answer within {timeout:?}", origin(target))))
        }
        Ok(Err(error)) if error.is_builder() => {
            Err(ActionError::Permanent(format!("POST {}: {}", origin(target), describe(error))))
        }
        // Connection refused or reset, DNS, TLS, a body cut short: the receiver may be back
        // on the next attempt.
        Ok(Err(error)) => Err(ActionError::Retryable(format!("POST {}: {}", origin(target), describe(error)))),
    }
}

/// An absolute `http` or `https` URL.
pub(crate) fn check_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("url {url:?} is not valid: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("url {url:?} is not an http or https URL with a host"));
    }
    Ok(parsed)
}

/// `scheme://host:port`: the receiver without its path, query or credentials.
pub(crate) fn origin(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The start of `bytes` as text, at most `cap` bytes, cut on a character boundary.
pub(crate) fn snippet(bytes: &[u8], cap: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(cap)]);
    let text = text.trim_end_matches('\u{FFFD}');
    let mut snippet: String = text.chars().map(|c| if c.is_control() && c != '\n' { ' ' } else { c }).collect();
    if bytes.len() > cap {
        snippet.push('…');
    }
    snippet.trim().to_owned()
}

/// The error and its causes ("error sending request: … : Connection refused"), without
/// the URL.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            retry_after: None,
        }
    }

    #[test]
    fn statuses_are_classified() {
        let target = Url::parse("http://127.0.0.1:9/hook?token=abc").unwrap();
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(answer(status, "").check(&target), Ok(()), "{status}");
        }
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert!(matches!(answer(status, "").check(&target), Err(ActionError::Retryable(_))), "{status}");
        }
        for status in [301, 302, 400, 401, 403, 404, 405, 409, 410, 413, 422] {
            assert!(matches!(answer(status, "").check(&target), Err(ActionError::Permanent(_))), "{status}");
        }
    }

    #[test]
    fn errors_name_the_origin_not_the_url() {
        let target = Url::parse("https://user:pw@hooks.example.com/T000/B000/XXXX?token=abc").unwrap();
        let error = answer(400, "bad request\r\n").check(&target).unwrap_err().to_string();
        assert_eq!(error, "POST https://hooks.example.com:443 answered 400 Bad Request: bad request");
    }

    #[test]
    fn snippets_are_capped_on_a_character_boundary() {
        assert_eq!(snippet("éé".as_bytes(), 3), "é…");
        assert_eq!(snippet(b"abc", 3), "abc");
        assert_eq!(snippet(&[0xff, b'a'], 10), "\u{FFFD}a");
    }

    #[test]
    fn only_absolute_http_urls_pass() {
        assert!(check_url("http://127.0.0.1:8080/x").is_ok());
        assert!(check_url("https://example.com").is_ok());
        for bad in ["", "example.com/hook", "ftp://example.com", "file:///etc/passwd", "http://"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
