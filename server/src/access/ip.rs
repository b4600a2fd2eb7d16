//! IP allow lists as Directus writes them in `directus_policies.ip_access`: a CSV of single
//! addresses, CIDR networks (`10.0.0.0/8`) and ranges (`10.0.0.1-10.0.0.9`).

use std::net::IpAddr;

use ipnet::IpNet;

/// One entry of an allow list.
#[derive(Clone, Debug, PartialEq)]
pub enum IpRule {
    Addr(IpAddr),
    Net(IpNet),
    Range(IpAddr, IpAddr),
}

impl IpRule {
    pub fn parse(raw: &str) -> Option<IpRule> {
        let raw = raw.trim();
        if let Some((a, b)) = raw.split_once('-') {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            return Some(IpRule::Range(a, b));
        }
        if raw.contains('/') {
            return raw.parse().ok().map(IpRule::Net);
        }
        raw.parse().ok().map(IpRule::Addr)
    }

    pub fn matches(&self, ip: &IpAddr) -> bool {
        match self {
            IpRule::Addr(a) => a == ip,
            IpRule::Net(n) => n.contains(ip),
            IpRule::Range(a, b) => {
                std::mem::discriminant(a) == std::mem::discriminant(ip) && a <= ip && ip <= b
            }
        }
    }
}

/// Parses a CSV allow list; `None` (no restriction) when empty. Unparsable entries are
/// dropped, so a typo never widens access: a list with only bad entries matches nothing.
pub fn parse_list(csv: Option<&str>) -> Option<Vec<IpRule>> {
    let csv = csv?.trim();
    if csv.is_empty() {
        return None;
    }
    Some(csv.split(',').filter_map(IpRule::parse).collect())
}

/// Normalises an address string (`::ffff:1.2.3.4` → `1.2.3.4`).
pub fn normalize(ip: &str) -> Option<IpAddr> {
    let ip = ip.trim();
    let ip = ip.strip_prefix("::ffff:").unwrap_or(ip);
    ip.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match() {
        let list = parse_list(Some("127.0.0.1, 10.0.0.0/8,192.168.1.10-192.168.1.20")).unwrap();
        let m = |s: &str| list.iter().any(|r| r.matches(&s.parse().unwrap()));
        assert!(m("127.0.0.1"));
        assert!(m("10.2.3.4"));
        assert!(m("192.168.1.15"));
        assert!(!m("192.168.1.21"));
        assert!(!m("8.8.8.8"));
        assert!(parse_list(Some("")).is_none());
        assert_eq!(parse_list(Some("garbage")).unwrap().len(), 0);
        assert_eq!(
            normalize("::ffff:1.2.3.4"),
            Some("1.2.3.4".parse().unwrap())
        );
    }
}
