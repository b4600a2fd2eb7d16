//! Which item steps of a flow the people allowed to trigger it may not run (issue 12 §3). A
//! step that acts as "the caller" (`permissions: "$trigger"`, the Directus default) uses the
//! caller's policies: once a flow is public, or a role may trigger it, every such step whose
//! collection and action those callers have no permission for answers 403. This module finds
//! those steps from `/policies`, `/access` and `/permissions`; the Access tab and the step
//! inspector show them and offer an explicit choice.

use std::collections::HashSet;

use serde_json::Value;

use super::{
    ApiError,
    access::{self, AccessRow, PUBLIC_POLICY, Permission, Policy, Role},
    flow_access,
};

/// What the checks need, loaded once.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessModel {
    /// Every role.
    pub roles: Vec<Role>,
    /// Every policy.
    pub policies: Vec<Policy>,
    /// Role/user ↔ policy links.
    pub rows: Vec<AccessRow>,
    /// Every permission row.
    pub perms: Vec<Permission>,
}

/// Loads the access model (admins): four reads with one token.
pub async fn load(token: String) -> Result<AccessModel, ApiError> {
    Ok(AccessModel {
        roles: access::roles(token.clone()).await?,
        policies: access::policies(token.clone()).await?,
        rows: access::access_rows(token.clone()).await?,
        perms: access::permissions(token, None).await?,
    })
}

/// Someone who may trigger a flow.
#[derive(Clone, Debug, PartialEq)]
pub struct Caller {
    /// "Public (not signed in)" or "Role: Editor".
    pub label: String,
    /// The policies whose rules apply to them.
    pub policies: Vec<String>,
}

/// The item action a step type performs.
pub fn action_of(kind: &str) -> Option<&'static str> {
    match kind {
        "item-create" => Some("create"),
        "item-read" => Some("read"),
        "item-update" => Some("update"),
        "item-delete" => Some("delete"),
        _ => None,
    }
}

/// True when a step's "Act as" is the caller (what Directus defaults to).
pub fn acts_as_caller(options: &Value) -> bool {
    match options.get("permissions") {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty() || s == "$trigger",
        Some(_) => false,
    }
}

/// A step the callers may not run.
#[derive(Clone, Debug, PartialEq)]
pub struct Blocked {
    /// Operation id.
    pub op: String,
    /// The step's title.
    pub title: String,
    /// `create`, `read`, …
    pub action: &'static str,
    /// Its collection.
    pub collection: String,
    /// Who would get 403 there.
    pub callers: Vec<String>,
}

impl Blocked {
    /// "Public (not signed in) may not create items in 'subscribers'".
    pub fn sentence(&self) -> String {
        format!(
            "{} may not {} items in '{}'",
            self.callers.join(" and "),
            self.action,
            self.collection
        )
    }
}

impl AccessModel {
    fn grants(&self, policy: &str, flow: &str) -> bool {
        self.perms
            .iter()
            .filter(|p| p.policy.as_deref() == Some(policy))
            .any(|p| flow_access::grant(p, flow).is_some())
    }

    fn is_admin(&self, policy: &str) -> bool {
        self.policies
            .iter()
            .any(|p| p.id == policy && p.admin_access)
    }

    /// The public's policies: the Public policy and any attached to no role and no user.
    fn public_policies(&self) -> Vec<String> {
        let mut out: Vec<String> = vec![PUBLIC_POLICY.to_owned()];
        for r in self
            .rows
            .iter()
            .filter(|r| r.role.is_none() && r.user.is_none())
        {
            if !out.contains(&r.policy) {
                out.push(r.policy.clone());
            }
        }
        out
    }

    /// Who may trigger `flow`, administrators aside (they may run anything).
    pub fn callers(&self, flow: &str) -> Vec<Caller> {
        let mut out = Vec::new();
        let public = self.public_policies();
        if public.iter().any(|p| self.grants(p, flow)) {
            out.push(Caller {
                label: "Public (not signed in)".into(),
                policies: public,
            });
        }
        for role in &self.roles {
            let policies: Vec<String> = self
                .rows
                .iter()
                .filter(|r| r.role.as_deref() == Some(role.id.as_str()))
                .map(|r| r.policy.clone())
                .collect();
            if policies.iter().any(|p| self.is_admin(p)) {
                continue;
            }
            if policies.iter().any(|p| self.grants(p, flow)) {
                out.push(Caller {
                    label: format!("Role '{}'", role.name),
                    policies,
                });
            }
        }
        out
    }

    /// May `caller` do `action` on `collection` (any item)?
    pub fn allows(&self, caller: &Caller, collection: &str, action: &str) -> bool {
        let policies: HashSet<&str> = caller.policies.iter().map(String::as_str).collect();
        policies.iter().any(|p| self.is_admin(p))
            || self.perms.iter().any(|p| {
                p.policy.as_deref().is_some_and(|x| policies.contains(x))
                    && p.collection == collection
                    && p.action == action
            })
    }

    /// The steps of a flow (id, title, type, options) that some of `callers` may not run.
    pub fn blocked<'a>(
        &self,
        callers: &[Caller],
        steps: impl IntoIterator<Item = (&'a str, String, &'a str, &'a Value)>,
    ) -> Vec<Blocked> {
        let mut out = Vec::new();
        for (id, title, kind, options) in steps {
            let Some(action) = action_of(kind) else {
                continue;
            };
            if !acts_as_caller(options) {
                continue;
            }
            let collection = options
                .get("collection")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if collection.is_empty() {
                continue;
            }
            let denied: Vec<String> = callers
                .iter()
                .filter(|c| !self.allows(c, collection, action))
                .map(|c| c.label.clone())
                .collect();
            if !denied.is_empty() {
                out.push(Blocked {
                    op: id.to_owned(),
                    title,
                    action,
                    collection: collection.to_owned(),
                    callers: denied,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn perm(id: i64, policy: &str, collection: &str, action: &str, filter: Value) -> Permission {
        Permission {
            id,
            policy: Some(policy.into()),
            collection: collection.into(),
            action: action.into(),
            permissions: Some(filter),
            fields: None,
            presets: None,
            validation: None,
        }
    }

    fn model() -> AccessModel {
        AccessModel {
            roles: vec![
                Role {
                    id: "r-ed".into(),
                    name: "Editor".into(),
                    description: None,
                },
                Role {
                    id: "r-admin".into(),
                    name: "Administrator".into(),
                    description: None,
                },
            ],
            policies: vec![
                Policy {
                    id: "p-ed".into(),
                    name: "Editors".into(),
                    description: None,
                    admin_access: false,
                    app_access: true,
                },
                Policy {
                    id: "p-admin".into(),
                    name: "Admin".into(),
                    description: None,
                    admin_access: true,
                    app_access: true,
                },
            ],
            rows: vec![
                AccessRow {
                    id: "a1".into(),
                    role: Some("r-ed".into()),
                    user: None,
                    policy: "p-ed".into(),
                },
                AccessRow {
                    id: "a2".into(),
                    role: Some("r-admin".into()),
                    user: None,
                    policy: "p-admin".into(),
                },
            ],
            perms: vec![
                perm(
                    1,
                    PUBLIC_POLICY,
                    "directus_flows",
                    "trigger",
                    json!({"id": {"_eq": "f1"}}),
                ),
                perm(
                    2,
                    "p-ed",
                    "directus_flows",
                    "trigger",
                    json!({"id": {"_in": ["f1"]}}),
                ),
                perm(3, "p-ed", "subscribers", "create", json!({})),
            ],
        }
    }

    #[test]
    fn the_public_and_granted_roles_are_callers_and_admins_are_not() {
        let m = model();
        let labels: Vec<String> = m.callers("f1").into_iter().map(|c| c.label).collect();
        assert_eq!(labels, ["Public (not signed in)", "Role 'Editor'"]);
        assert!(m.callers("f2").is_empty());
    }

    #[test]
    fn steps_acting_as_callers_without_permission_are_blocked() {
        let m = model();
        let callers = m.callers("f1");
        let caller = json!({"collection": "subscribers", "permissions": "$trigger"});
        let default = json!({"collection": "subscribers"});
        let full = json!({"collection": "subscribers", "permissions": "$full"});
        let read = json!({"collection": "subscribers"});
        let blocked = m.blocked(
            &callers,
            [
                ("o1", "Store".to_owned(), "item-create", &caller),
                ("o2", "Store again".to_owned(), "item-create", &default),
                ("o3", "Full".to_owned(), "item-create", &full),
                ("o4", "Read".to_owned(), "item-read", &read),
                ("o5", "Log".to_owned(), "log", &caller),
            ],
        );
        let summary: Vec<(&str, Vec<String>)> = blocked
            .iter()
            .map(|b| (b.op.as_str(), b.callers.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("o1", vec!["Public (not signed in)".to_owned()]),
                ("o2", vec!["Public (not signed in)".to_owned()]),
                (
                    "o4",
                    vec![
                        "Public (not signed in)".to_owned(),
                        "Role 'Editor'".to_owned()
                    ]
                ),
            ]
        );
        assert_eq!(
            blocked[0].sentence(),
            "Public (not signed in) may not create items in 'subscribers'"
        );
    }
}
