//! `request`: an outgoing HTTP call (directus.md §4.7). Headers from a list or object,
//! JSON bodies get `Content-Type: application/json`, responses become
//! `{status, statusText, headers, data}` (non-2xx → reject with that object). Every address a
//! request (or a redirect) reaches is checked against `IMPORT_IP_DENY_LIST`, where `0.0.0.0`
//! means every address of this machine, loopback included. Requests go straight to their
//! target, never through a proxy from `HTTP(S)_PROXY`/`ALL_PROXY`: a proxy would resolve and
//! reach the target where the deny list cannot see it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use super::{OpContext, OpError, Operation, option_object};
use crate::access::ip::IpRule;

pub struct Request;

/// The largest response body a request operation keeps.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Addresses flows may not reach.
#[derive(Clone, Debug, Default)]
pub struct DenyList {
    rules: Vec<IpRule>,
    /// `0.0.0.0` was listed: loopback, unspecified and this machine's interface addresses.
    local: bool,
    interfaces: Vec<IpAddr>,
}

impl DenyList {
    pub fn new(entries: &[String]) -> DenyList {
        let mut list = DenyList::default();
        for e in entries {
            if e.trim() == "0.0.0.0" {
                list.local = true;
            } else if let Some(rule) = IpRule::parse(e) {
                list.rules.push(rule);
            }
        }
        if list.local {
            list.interfaces = if_addrs::get_if_addrs()
                .map(|ifs| ifs.into_iter().map(|i| i.ip()).collect())
                .unwrap_or_default();
        }
        list
    }

    pub fn denies(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        if self.local && (ip.is_loopback() || ip.is_unspecified() || self.interfaces.contains(&ip))
        {
            return true;
        }
        self.rules.iter().any(|r| r.matches(&ip))
    }
}

fn denied_message(host: &str) -> String {
    format!("Requested domain \"{host}\" resolves to a denied IP address")
}

/// DNS resolution that refuses hosts resolving to a denied address.
struct GuardedResolver(Arc<DenyList>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let deny = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.iter().any(|a| deny.denies(a.ip())) {
                return Err(denied_message(&host).into());
            }
            let it: Addrs = Box::new(addrs.into_iter());
            Ok(it)
        })
    }
}

/// The shared client for request operations.
pub fn client(deny: Arc<DenyList>, timeout: Duration) -> reqwest::Client {
    let redirect_deny = deny.clone();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error("too many redirects");
        }
        let literal = attempt
            .url()
            .host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
            .and_then(|h| h.parse::<IpAddr>().ok());
        match literal {
            Some(ip) if redirect_deny.denies(ip) => {
                let host = attempt.url().host_str().unwrap_or_default().to_owned();
                attempt.error(denied_message(&host))
            }
            _ => attempt.follow(),
        }
    });
    reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver(deny)))
        .redirect(policy)
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// Headers from `[{header, value}]`, an object, or a JSON string of either.
pub fn headers(v: Option<&Value>) -> Result<Map<String, Value>, OpError> {
    let mut out = Map::new();
    match option_object(v)? {
        None => {}
        Some(Value::Array(list)) => {
            for h in list {
                if let (Some(name), Some(value)) = (h.get("header"), h.get("value")) {
                    let name = name
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| name.to_string());
                    out.insert(name, value.clone());
                }
            }
        }
        Some(Value::Object(o)) => out = o,
        Some(_) => return Err(OpError::error("\"headers\" must be a list or an object")),
    }
    Ok(out)
}

/// The body to send and whether it is JSON.
pub fn body(v: Option<&Value>) -> (Option<String>, bool) {
    match v {
        None | Some(Value::Null) => (None, false),
        Some(Value::String(s)) => {
            let is_json = serde_json::from_str::<Value>(s).is_ok();
            (Some(s.clone()), is_json)
        }
        Some(other) => (Some(other.to_string()), true),
    }
}

fn header_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Builds the header map, adding the JSON content type when the body is JSON.
pub fn header_map(headers: &Map<String, Value>, json_body: bool) -> Result<HeaderMap, OpError> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| OpError::error(format!("Invalid header name \"{k}\"")))?;
        let value = HeaderValue::from_str(&header_text(v))
            .map_err(|_| OpError::error(format!("Invalid value for header \"{k}\"")))?;
        map.append(name, value);
    }
    if json_body && !headers.contains_key("Content-Type") && !map.contains_key("content-type") {
        map.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(map)
}

/// The message a failed call rejects with: the deny-list refusal wherever it sits in the error
/// chain (a host name that resolves to a denied address fails inside the connector), axios's
/// wording for a timeout, otherwise the chain of causes (never the URL, which may hold secrets).
fn send_error(e: reqwest::Error, timeout: Duration) -> String {
    let mut chain: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if text.contains("denied IP address") {
            return text;
        }
        if !chain.iter().any(|c| c.contains(&text)) {
            chain.push(text);
        }
        source = s.source();
    }
    if e.is_timeout() {
        return format!("timeout of {}ms exceeded", timeout.as_millis());
    }
    let mut message = e.without_url().to_string();
    if let Some(cause) = chain.last() {
        message.push_str(": ");
        message.push_str(cause);
    }
    message
}

fn response_object(status: u16, reason: &str, headers: &HeaderMap, data: Value) -> Value {
    let mut h = Map::new();
    for (k, v) in headers {
        let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
        match h.get_mut(k.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&text);
            }
            _ => {
                h.insert(k.as_str().to_owned(), json!(text));
            }
        }
    }
    json!({ "status": status, "statusText": reason, "headers": h, "data": data })
}

#[async_trait]
impl Operation for Request {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let method = options
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| OpError::error(format!("Invalid method \"{method}\"")))?;
        let raw_url = options
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| OpError::error("\"url\" is required"))?;
        let url = url::Url::parse(raw_url.trim())
            .map_err(|e| OpError::error(format!("Invalid URL \"{raw_url}\": {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OpError::error(format!(
                "Unsupported URL scheme \"{}\"",
                url.scheme()
            )));
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            && ctx.state.flows.deny_list().denies(ip)
        {
            return Err(OpError::error(denied_message(&host)));
        }
        let headers = headers(options.get("headers"))?;
        let (body, is_json) = body(options.get("body"));
        let mut req = ctx
            .state
            .flows
            .http()
            .request(method, url)
            .headers(header_map(&headers, is_json)?);
        if let Some(b) = body {
            req = req.body(b);
        }
        let timeout = ctx.state.config.flows_request_timeout;
        let resp = req
            .send()
            .await
            .map_err(|e| OpError::error(send_error(e, timeout)))?;
        let status = resp.status();
        let resp_headers = resp.headers().clone();
        let mut bytes = Vec::new();
        let mut resp = resp;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| OpError::error(send_error(e, timeout)))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(OpError::error("The response is too large"));
            }
            bytes.extend_from_slice(&chunk);
        }
        let data = serde_json::from_slice::<Value>(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        let out = response_object(
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            &resp_headers,
            data,
        );
        if status.is_success() {
            Ok(out)
        } else {
            Err(OpError::Value(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_list_covers_local_addresses() {
        let d = DenyList::new(&["0.0.0.0".into(), "169.254.169.254".into()]);
        assert!(d.denies("127.0.0.1".parse().unwrap()));
        assert!(d.denies("::1".parse().unwrap()));
        assert!(d.denies("::ffff:127.0.0.1".parse().unwrap()));
        assert!(d.denies("169.254.169.254".parse().unwrap()));
        assert!(!d.denies("93.184.216.34".parse().unwrap()));
        let open = DenyList::new(&[]);
        assert!(!open.denies("127.0.0.1".parse().unwrap()));
        let cidr = DenyList::new(&["10.0.0.0/8".into()]);
        assert!(cidr.denies("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn headers_and_bodies() {
        let h = headers(Some(
            &json!([{"header": "X-A", "value": "1"}, {"header": "X-A", "value": "2"}]),
        ))
        .unwrap();
        assert_eq!(h["X-A"], "2");
        assert!(headers(None).unwrap().is_empty());
        let (b, j) = body(Some(&json!({"a": 1})));
        assert_eq!((b.as_deref(), j), (Some("{\"a\":1}"), true));
        assert!(body(Some(&json!("{\"a\":1}"))).1);
        assert!(!body(Some(&json!("plain"))).1);
        let map = header_map(&Map::new(), true).unwrap();
        assert_eq!(map["content-type"], "application/json");
        let mut own = Map::new();
        own.insert("Content-Type".into(), json!("text/plain"));
        assert_eq!(
            header_map(&own, true).unwrap()["content-type"],
            "text/plain"
        );
        assert!(header_map(&Map::new(), false).unwrap().is_empty());
    }
}
