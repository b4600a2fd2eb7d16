//! Outgoing HTTP for flows: the deny list (`IMPORT_IP_DENY_LIST`, where `0.0.0.0` means every
//! address of this machine) and the one client `request` operations share, which checks every
//! address it resolves or is redirected to and never goes through a proxy.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::access::ip::IpRule;

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

pub fn denied_message(host: &str) -> String {
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
    // One TLS provider for every outgoing connection; installing it again changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
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
}
