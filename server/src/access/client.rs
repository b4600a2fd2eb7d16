//! Facts about the calling client: its address per `IP_TRUST_PROXY` / `IP_CUSTOM_HEADER`
//! (`::ffff:` stripped), user agent and origin.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum::http::header::{ORIGIN, USER_AGENT};

use crate::access::accountability::ClientInfo;
use crate::config::ProxyConfig;

/// The client address per `IP_TRUST_PROXY` / `IP_CUSTOM_HEADER`, `::ffff:` stripped.
pub fn client_ip(
    proxy: &ProxyConfig,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<String> {
    if let Some(name) = &proxy.custom_header
        && let Some(ip) = headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(crate::access::ip::normalize)
    {
        return Some(ip.to_string());
    }
    if proxy.trust_proxy
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(crate::access::ip::normalize)
    {
        return Some(ip.to_string());
    }
    peer.map(|p| match p.ip() {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_else(|| v6.to_string()),
        ip => ip.to_string(),
    })
}

/// Request facts for the accountability.
pub fn client_info(
    proxy: &ProxyConfig,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> ClientInfo {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
            .map(|s| s.chars().take(1024).collect::<String>())
    };
    ClientInfo {
        ip: client_ip(proxy, headers, peer),
        user_agent: text(USER_AGENT),
        origin: text(ORIGIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn ip_honours_trust_proxy() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 10.0.0.1"),
        );
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let trust = ProxyConfig {
            trust_proxy: true,
            custom_header: None,
        };
        let no_trust = ProxyConfig {
            trust_proxy: false,
            custom_header: None,
        };
        assert_eq!(
            client_ip(&trust, &h, Some(peer)).as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            client_ip(&no_trust, &h, Some(peer)).as_deref(),
            Some("127.0.0.1")
        );
        let mapped: SocketAddr = "[::ffff:10.1.2.3]:1".parse().unwrap();
        assert_eq!(
            client_ip(&no_trust, &h, Some(mapped)).as_deref(),
            Some("10.1.2.3")
        );
    }
}
