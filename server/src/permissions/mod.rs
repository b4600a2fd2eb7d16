//! Authorization of item access (directus.md §8.3): from the caller's policies and the
//! permission rows for one collection and action, compute which rows (a SQL condition), which
//! fields (per-field conditions for partially granted fields), presets and validation rules
//! apply. Admins bypass all of it. Permissions are additive across rows and policies.

use std::collections::HashSet;
use std::sync::Arc;

use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use serde_json::{Map, Value};

use crate::access::{AccessSnapshot, Accountability, PermissionRow};
use crate::error::{ApiError, Result};
use crate::query::filter::{self, DynamicContext, SqlTarget};
use crate::schema::Collection;

/// The actions permission rows name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// One permission row with its item filter resolved for this caller.
#[derive(Clone, Debug)]
pub struct ResolvedRow {
    pub row: Arc<PermissionRow>,
    /// `None` = every item.
    pub filter: Option<Value>,
    /// `None` = every field (`*`).
    pub fields: Option<HashSet<String>>,
}

impl ResolvedRow {
    fn grants(&self, field: &str) -> bool {
        self.fields.as_ref().is_none_or(|f| f.contains(field))
    }
}

/// What one caller may do with one collection and action.
#[derive(Clone, Debug)]
pub enum Grant {
    /// Admin (or an unrestricted flow): everything.
    Full,
    /// The applicable permission rows (never empty).
    Rows(Vec<ResolvedRow>),
}

fn is_match_all(v: &Option<Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// The dynamic-variable context of a caller (user and role fields are fetched by the caller
/// of `grant` when a rule needs them).
pub fn dynamic_context(acc: &Accountability) -> DynamicContext {
    DynamicContext {
        now: chrono::Utc::now(),
        user: acc.user.map(|u| u.to_string()),
        role: acc.role.map(|r| r.to_string()),
        roles: acc.roles.iter().map(Uuid::to_string).collect(),
        policies: acc.policies.iter().map(Uuid::to_string).collect(),
        user_fields: None,
        role_fields: None,
    }
}

use uuid::Uuid;

/// The collection error Directus gives when there is no permission at all.
pub fn no_access(collection: &str, action: Action) -> ApiError {
    if matches!(action, Action::Read | Action::Create) {
        ApiError::forbidden_reason(format!(
            "You don't have permission to access collection \"{collection}\" or it does not exist. \
             Queried in root."
        ))
    } else {
        ApiError::forbidden_reason(format!(
            "You don't have permission to perform \"{}\" for collection \"{collection}\" or it does \
             not exist.",
            action.as_str()
        ))
    }
}

/// Finds the permission rows for (collection, action).
pub fn grant(
    snapshot: &AccessSnapshot,
    acc: &Accountability,
    collection: &str,
    action: Action,
    dynamic: &DynamicContext,
) -> Result<Grant> {
    if acc.admin {
        return Ok(Grant::Full);
    }
    let rows: Vec<ResolvedRow> = snapshot
        .permissions(&acc.policies, collection, action.as_str())
        .map(|row| {
            let mut filter = row.permissions.clone();
            if let Some(f) = filter.as_mut() {
                filter::resolve_dynamic(f, dynamic);
            }
            ResolvedRow {
                filter: if is_match_all(&filter) { None } else { filter },
                fields: row.fields.as_ref().and_then(|f| {
                    if f.iter().any(|x| x == "*") {
                        None
                    } else {
                        Some(f.iter().cloned().collect())
                    }
                }),
                row: row.clone(),
            }
        })
        .collect();
    if rows.is_empty() {
        return Err(no_access(collection, action));
    }
    Ok(Grant::Rows(rows))
}

impl Grant {
    /// True when every row and field is reachable.
    pub fn is_full(&self) -> bool {
        matches!(self, Grant::Full)
    }

    /// Whether a field is granted by at least one row.
    pub fn field_allowed(&self, field: &str) -> bool {
        match self {
            Grant::Full => true,
            Grant::Rows(rows) => rows.iter().any(|r| r.grants(field)),
        }
    }

    /// The row condition: OR of every row's item filter.
    pub fn condition(&self, collection: &Collection, postgres: bool) -> Result<Condition> {
        match self {
            Grant::Full => Ok(Condition::all()),
            Grant::Rows(rows) => conditions_any(rows.iter(), collection, postgres),
        }
    }

    /// For a field granted by only some rows, the condition under which it is visible;
    /// `Ok(None)` when it is visible on every row the caller can see.
    pub fn field_condition(
        &self,
        field: &str,
        collection: &Collection,
        postgres: bool,
    ) -> Result<Option<Condition>> {
        let Grant::Rows(rows) = self else {
            return Ok(None);
        };
        let granting: Vec<&ResolvedRow> = rows.iter().filter(|r| r.grants(field)).collect();
        if granting.len() == rows.len() || granting.iter().any(|r| r.filter.is_none()) {
            return Ok(None);
        }
        conditions_any(granting.into_iter(), collection, postgres).map(Some)
    }

    /// Presets merged in policy order (later rows win), dynamic variables resolved.
    pub fn presets(&self, dynamic: &DynamicContext) -> Map<String, Value> {
        let mut out = Map::new();
        if let Grant::Rows(rows) = self {
            for r in rows {
                if let Some(Value::Object(p)) = &r.row.presets {
                    for (k, v) in p {
                        let mut v = v.clone();
                        filter::resolve_dynamic(&mut v, dynamic);
                        out.insert(k.clone(), v);
                    }
                }
            }
        }
        out
    }

    /// Fields granted by only some rows, each with the condition selecting the rows where it
    /// is visible (see `field_condition`).
    pub fn partial_fields(
        &self,
        collection: &Collection,
        postgres: bool,
    ) -> Result<Vec<(String, Condition)>> {
        let mut out = Vec::new();
        if self.is_full() {
            return Ok(out);
        }
        for f in &collection.fields {
            if let Some(cond) = self.field_condition(&f.name, collection, postgres)? {
                out.push((f.name.clone(), cond));
            }
        }
        Ok(out)
    }

    /// The `validation` filters of the rows (with dynamic variables resolved).
    pub fn validations(&self, dynamic: &DynamicContext) -> Vec<Value> {
        let Grant::Rows(rows) = self else {
            return Vec::new();
        };
        rows.iter()
            .filter_map(|r| r.row.validation.clone())
            .filter(|v| !is_match_all(&Some(v.clone())))
            .map(|mut v| {
                filter::resolve_dynamic(&mut v, dynamic);
                v
            })
            .collect()
    }
}

fn conditions_any<'a>(
    rows: impl Iterator<Item = &'a ResolvedRow>,
    collection: &Collection,
    postgres: bool,
) -> Result<Condition> {
    let mut any = Condition::any();
    let mut count = 0;
    for r in rows {
        let Some(f) = &r.filter else {
            return Ok(Condition::all());
        };
        let parsed = filter::parse(f)?;
        // Permission rules may name any field of the collection.
        let all = |_: &str| true;
        let target = SqlTarget {
            collection,
            postgres,
            allowed: &all,
            guards: &[],
        };
        any = any.add(filter::to_condition(&parsed, &target)?);
        count += 1;
    }
    if count == 0 {
        return Ok(Condition::all().add(Expr::val(1).eq(0)));
    }
    Ok(any)
}
