//! The access model of Directus 11 held in memory: roles (with `parent`), policies, the
//! `directus_access` links and permission rows. Loaded whole from the database (these tables
//! are small), swapped atomically after every change, so resolving who a caller is and what
//! they may do costs no database round trip.

pub mod accountability;
pub mod client;
pub mod ip;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use entity::prelude::*;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::Value;
use uuid::Uuid;

pub use accountability::Accountability;
use ip::IpRule;

/// The id of Directus's built-in Public policy.
pub const PUBLIC_POLICY_ID: Uuid = Uuid::from_u128(0xabf8a154_5b1c_4a46_ac9c_7300570f4f17);

/// A policy's flags.
#[derive(Clone, Debug)]
pub struct PolicyInfo {
    pub id: Uuid,
    pub name: String,
    pub admin_access: bool,
    pub app_access: bool,
    pub ip_access: Option<Vec<IpRule>>,
}

/// One permission row (`directus_permissions`), filters kept as JSON.
#[derive(Clone, Debug)]
pub struct PermissionRow {
    pub id: i32,
    pub policy: Uuid,
    pub collection: String,
    pub action: String,
    pub permissions: Option<Value>,
    pub validation: Option<Value>,
    pub presets: Option<Value>,
    /// `None` = no fields; `["*"]` = all.
    pub fields: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
struct AccessLink {
    role: Option<Uuid>,
    user: Option<Uuid>,
    policy: Uuid,
}

/// An immutable picture of the access tables.
#[derive(Debug, Default)]
pub struct AccessSnapshot {
    role_parent: HashMap<Uuid, Option<Uuid>>,
    policies: HashMap<Uuid, PolicyInfo>,
    links: Vec<AccessLink>,
    permissions: HashMap<Uuid, Vec<Arc<PermissionRow>>>,
}

impl AccessSnapshot {
    /// Reads the four tables.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, sea_orm::DbErr> {
        let roles = DirectusRoles::find().all(db).await?;
        let policies = DirectusPolicies::find().all(db).await?;
        let links = DirectusAccess::find()
            .order_by_asc(entity::directus_access::Column::Sort)
            .all(db)
            .await?;
        let perms = DirectusPermissions::find()
            .order_by_asc(entity::directus_permissions::Column::Id)
            .all(db)
            .await?;
        let mut permissions: HashMap<Uuid, Vec<Arc<PermissionRow>>> = HashMap::new();
        for p in perms {
            permissions
                .entry(p.policy)
                .or_default()
                .push(Arc::new(PermissionRow {
                    id: p.id,
                    policy: p.policy,
                    collection: p.collection,
                    action: p.action,
                    permissions: p.permissions,
                    validation: p.validation,
                    presets: p.presets,
                    fields: p.fields.map(|f| {
                        f.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    }),
                }));
        }
        Ok(AccessSnapshot {
            role_parent: roles.into_iter().map(|r| (r.id, r.parent)).collect(),
            policies: policies
                .into_iter()
                .map(|p| {
                    (
                        p.id,
                        PolicyInfo {
                            id: p.id,
                            name: p.name,
                            admin_access: p.admin_access,
                            app_access: p.app_access,
                            ip_access: ip::parse_list(p.ip_access.as_deref()),
                        },
                    )
                })
                .collect(),
            links: links
                .into_iter()
                .map(|l| AccessLink {
                    role: l.role,
                    user: l.user,
                    policy: l.policy,
                })
                .collect(),
            permissions,
        })
    }

    /// True when the role exists.
    pub fn role_exists(&self, role: Uuid) -> bool {
        self.role_parent.contains_key(&role)
    }

    /// The role and its ancestors, root first (bounded against cycles).
    pub fn roles_tree(&self, role: Option<Uuid>) -> Vec<Uuid> {
        let mut out = Vec::new();
        let mut cur = role;
        while let Some(r) = cur {
            if out.contains(&r) || out.len() > 64 || !self.role_parent.contains_key(&r) {
                break;
            }
            out.push(r);
            cur = self.role_parent.get(&r).copied().flatten();
        }
        out.reverse();
        out
    }

    /// Policies that apply, in Directus order (parent roles, own role, then the user's own),
    /// dropping those whose `ip_access` excludes the caller (directus.md §8.2).
    pub fn policies_for(
        &self,
        user: Option<Uuid>,
        roles: &[Uuid],
        ip: Option<IpAddr>,
    ) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = Vec::new();
        let push = |p: Uuid, out: &mut Vec<Uuid>| {
            if !out.contains(&p) && self.policy_allows_ip(p, ip) {
                out.push(p);
            }
        };
        if roles.is_empty() {
            for l in self
                .links
                .iter()
                .filter(|l| l.role.is_none() && l.user.is_none())
            {
                push(l.policy, &mut out);
            }
        } else {
            for r in roles {
                for l in self.links.iter().filter(|l| l.role == Some(*r)) {
                    push(l.policy, &mut out);
                }
            }
        }
        if let Some(u) = user {
            for l in self.links.iter().filter(|l| l.user == Some(u)) {
                push(l.policy, &mut out);
            }
        }
        out
    }

    fn policy_allows_ip(&self, policy: Uuid, ip: Option<IpAddr>) -> bool {
        match self.policies.get(&policy) {
            None => false,
            Some(PolicyInfo {
                ip_access: None, ..
            }) => true,
            Some(PolicyInfo {
                ip_access: Some(rules),
                ..
            }) => ip.is_some_and(|ip| rules.iter().any(|r| r.matches(&ip))),
        }
    }

    /// `(admin, app)` as the OR over the given policies; admin implies app.
    pub fn flags(&self, policies: &[Uuid]) -> (bool, bool) {
        let mut admin = false;
        let mut app = false;
        for p in policies.iter().filter_map(|p| self.policies.get(p)) {
            admin |= p.admin_access;
            app |= p.app_access;
        }
        (admin, app || admin)
    }

    /// Permission rows of the given policies for one collection and action, in policy order.
    pub fn permissions<'a>(
        &'a self,
        policies: &'a [Uuid],
        collection: &'a str,
        action: &'a str,
    ) -> impl Iterator<Item = &'a Arc<PermissionRow>> + 'a {
        policies
            .iter()
            .filter_map(|p| self.permissions.get(p))
            .flatten()
            .filter(move |r| r.collection == collection && r.action == action)
    }

    /// Every permission row of the given policies.
    pub fn all_permissions<'a>(
        &'a self,
        policies: &'a [Uuid],
    ) -> impl Iterator<Item = &'a Arc<PermissionRow>> + 'a {
        policies
            .iter()
            .filter_map(|p| self.permissions.get(p))
            .flatten()
    }
}

/// The shared, atomically replaced snapshot.
#[derive(Clone, Default)]
pub struct AccessStore(Arc<ArcSwap<AccessSnapshot>>);

impl AccessStore {
    pub fn get(&self) -> Arc<AccessSnapshot> {
        self.0.load_full()
    }

    /// Re-reads the tables and swaps the snapshot in.
    pub async fn reload(&self, db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
        let snap = AccessSnapshot::load(db).await?;
        self.0.store(Arc::new(snap));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> (AccessSnapshot, Uuid, Uuid, Uuid, Uuid) {
        let parent = Uuid::new_v4();
        let child = Uuid::new_v4();
        let admin_policy = Uuid::new_v4();
        let local_policy = Uuid::new_v4();
        let mut s = AccessSnapshot::default();
        s.role_parent.insert(parent, None);
        s.role_parent.insert(child, Some(parent));
        for (id, admin, ip) in [
            (admin_policy, true, None),
            (local_policy, false, ip::parse_list(Some("10.0.0.0/8"))),
            (PUBLIC_POLICY_ID, false, None),
        ] {
            s.policies.insert(
                id,
                PolicyInfo {
                    id,
                    name: "p".into(),
                    admin_access: admin,
                    app_access: false,
                    ip_access: ip,
                },
            );
        }
        s.links.push(AccessLink {
            role: Some(parent),
            user: None,
            policy: admin_policy,
        });
        s.links.push(AccessLink {
            role: Some(child),
            user: None,
            policy: local_policy,
        });
        s.links.push(AccessLink {
            role: None,
            user: None,
            policy: PUBLIC_POLICY_ID,
        });
        (s, parent, child, admin_policy, local_policy)
    }

    #[test]
    fn roles_tree_is_root_first() {
        let (s, parent, child, ..) = snapshot();
        assert_eq!(s.roles_tree(Some(child)), vec![parent, child]);
        assert_eq!(s.roles_tree(None), Vec::<Uuid>::new());
        assert_eq!(s.roles_tree(Some(Uuid::new_v4())), Vec::<Uuid>::new());
    }

    #[test]
    fn policies_follow_roles_and_ip() {
        let (s, parent, child, admin_policy, local_policy) = snapshot();
        let roles = vec![parent, child];
        let inside = Some("10.1.1.1".parse().unwrap());
        let outside = Some("8.8.8.8".parse().unwrap());
        assert_eq!(
            s.policies_for(None, &roles, inside),
            vec![admin_policy, local_policy]
        );
        assert_eq!(s.policies_for(None, &roles, outside), vec![admin_policy]);
        assert_eq!(s.policies_for(None, &[], outside), vec![PUBLIC_POLICY_ID]);
        assert_eq!(s.flags(&[admin_policy]), (true, true));
        assert_eq!(s.flags(&[PUBLIC_POLICY_ID]), (false, false));
    }
}
