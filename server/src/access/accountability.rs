//! Who is calling: the Directus accountability object (directus.md §7.7), resolved once per
//! request and passed to every service and flow run.

use serde::Serialize;
use uuid::Uuid;

use super::AccessSnapshot;

/// The caller of a request or the identity of a flow run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Accountability {
    pub role: Option<Uuid>,
    /// The role tree, root first.
    pub roles: Vec<Uuid>,
    pub user: Option<Uuid>,
    pub admin: bool,
    pub app: bool,
    pub ip: Option<String>,
    #[serde(rename = "userAgent", skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Policies that apply to this caller (not part of Directus's JSON shape).
    #[serde(skip)]
    pub policies: Vec<Uuid>,
}

/// Request facts that go into every accountability.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub origin: Option<String>,
}

impl Accountability {
    /// An anonymous caller: the public policies apply.
    pub fn public(snapshot: &AccessSnapshot, client: ClientInfo) -> Self {
        Self::for_user(snapshot, None, None, client)
    }

    /// A (possibly anonymous) user with a role, with roles, policies and admin/app derived from
    /// the access tables (never from token claims).
    pub fn for_user(
        snapshot: &AccessSnapshot,
        user: Option<Uuid>,
        role: Option<Uuid>,
        client: ClientInfo,
    ) -> Self {
        let roles = snapshot.roles_tree(role);
        let ip = client.ip.as_deref().and_then(super::ip::normalize);
        let policies = snapshot.policies_for(user, &roles, ip);
        let (admin, app) = snapshot.flags(&policies);
        Accountability {
            role,
            roles,
            user,
            admin,
            app,
            ip: client.ip,
            user_agent: client.user_agent,
            origin: client.origin,
            session: None,
            policies,
        }
    }

    /// Full access without a user (Directus's `$full` for flows, and internal work).
    pub fn full() -> Self {
        Accountability {
            admin: true,
            app: true,
            ..Default::default()
        }
    }
}
