//! Turning a create/update payload into typed column values: field permissions, presets,
//! specials (uuid, date/user created/updated, hash), required and validation rules, and type
//! conversion with Directus-style errors.

use sea_orm::sea_query::Value as SqlValue;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::Items;
use crate::error::{ApiError, Result};
use crate::filter::failures_error;
use crate::filter::validate::{self, Failure, Mode, ValidateError};
use crate::permissions::{Action, Grant};
use crate::query::filter::DynamicContext;
use crate::query::values::{format_timestamp, to_sql};
use crate::schema::Field;

/// A payload ready to write.
pub(crate) struct Prepared {
    /// Column values in field order.
    pub values: Vec<(String, SqlValue)>,
    /// The payload as stored, secrets masked (for revisions).
    pub audit: Map<String, Value>,
}

fn forbidden_fields(action: Action, fields: &[String], collection: &str) -> ApiError {
    let list = fields
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ");
    ApiError::forbidden_reason(format!(
        "You don't have permission to perform \"{}\" for the field(s) {list} in collection \
         \"{collection}\" or it does not exist.",
        action.as_str()
    ))
}

impl<C: super::Conn> Items<'_, C> {
    /// Checks and converts one payload.
    pub(crate) async fn prepare(
        &self,
        payload: &Value,
        action: Action,
        grant: &Grant,
        dynamic: &DynamicContext,
    ) -> Result<Prepared> {
        let Value::Object(input) = payload else {
            return Err(ApiError::invalid_payload("Payload must be an object"));
        };
        let coll = &self.collection;
        // Field permissions; unknown fields are dropped for callers allowed `*`.
        let star = match grant {
            Grant::Full => true,
            Grant::Rows(rows) => rows.iter().any(|r| r.fields.is_none()),
        };
        let mut denied = Vec::new();
        let mut merged: Map<String, Value> = Map::new();
        for (k, v) in input {
            match coll.field(k) {
                Some(_) if grant.field_allowed(k) => {
                    merged.insert(k.clone(), v.clone());
                }
                None if star => {}
                _ => denied.push(k.clone()),
            }
        }
        if !denied.is_empty() {
            return Err(forbidden_fields(action, &denied, &coll.name));
        }
        if action == Action::Create {
            for (k, v) in grant.presets(dynamic) {
                if coll.field(&k).is_some() && !merged.contains_key(&k) {
                    merged.insert(k, v);
                }
            }
        }
        self.apply_specials(&mut merged, action);
        self.check_rules(&merged, action, grant, dynamic)?;

        let mask = json!(super::MASK);
        let mut values = Vec::with_capacity(merged.len());
        let mut audit = Map::with_capacity(merged.len());
        for f in &coll.fields {
            let Some(v) = merged.get(&f.name) else {
                continue;
            };
            let v = if f.hashed() && v.is_string() {
                let plain = v.as_str().unwrap_or_default().to_owned();
                json!(crate::auth::password::hash_password(self.ctx.config.hash, plain).await?)
            } else {
                v.clone()
            };
            let sql = to_sql(f, &v).map_err(|e| {
                // An error never echoes a concealed value.
                let shown = if f.concealed() { &mask } else { &v };
                e.payload_error(&f.name, &coll.name, shown)
            })?;
            audit.insert(
                f.name.clone(),
                if f.concealed() && !v.is_null() {
                    mask.clone()
                } else {
                    v
                },
            );
            values.push((f.name.clone(), sql));
        }
        if coll.name == "directus_flows" {
            crate::flows::ingress::conceal::flow(&mut audit);
        }
        Ok(Prepared { values, audit })
    }

    fn apply_specials(&self, merged: &mut Map<String, Value>, action: Action) {
        let now = json!(format_timestamp(chrono::Utc::now()));
        let user = self
            .acc()
            .user
            .map_or(Value::Null, |u| json!(u.to_string()));
        for f in &self.collection.fields {
            let create = action == Action::Create;
            // Directus's payload transformers: `uuid` fills a missing value on create, the
            // `*-created` specials apply to creates and the `*-updated` ones to updates only.
            if create && f.has_special("uuid") {
                let missing = merged.get(&f.name).is_none_or(Value::is_null);
                if missing {
                    merged.insert(f.name.clone(), json!(Uuid::new_v4().to_string()));
                }
            }
            let (date_special, user_special) = if create {
                ("date-created", "user-created")
            } else {
                ("date-updated", "user-updated")
            };
            if f.has_special(date_special) {
                merged.insert(f.name.clone(), now.clone());
            }
            if f.has_special(user_special) {
                merged.insert(f.name.clone(), user.clone());
            }
        }
    }

    /// Required fields, not-null fields, field validation and permission validation.
    fn check_rules(
        &self,
        merged: &Map<String, Value>,
        action: Action,
        grant: &Grant,
        dynamic: &DynamicContext,
    ) -> Result<()> {
        let mut failures: Vec<Failure> = Vec::new();
        for f in &self.collection.fields {
            let present = merged.get(&f.name);
            let required_meta = f
                .meta
                .as_ref()
                .and_then(|m| m.get("required"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            match present {
                None if action == Action::Create && (required_meta || needs_value(f)) => {
                    failures.push(Failure::new(
                        f.name.clone(),
                        vec![],
                        "required",
                        None,
                        None,
                        None,
                    ));
                }
                Some(Value::Null)
                    if (!f.nullable || required_meta)
                        && !(f.auto_increment && action == Action::Create) =>
                {
                    failures.push(Failure::new(
                        f.name.clone(),
                        vec![],
                        "nnull",
                        None,
                        None,
                        None,
                    ));
                }
                _ => {}
            }
            if let Some(rule) = f.meta.as_ref().and_then(|m| m.get("validation"))
                && rule.is_object()
                && present.is_some()
            {
                collect(&mut failures, rule, merged)?;
            }
        }
        for rule in grant.validations(dynamic) {
            collect(&mut failures, &rule, merged)?;
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures_error(&failures))
        }
    }
}

/// True when creating a row must supply this field.
fn needs_value(f: &Field) -> bool {
    // `uuid` fields are filled by the special before this check.
    !(f.nullable || f.default_value.is_some() || f.auto_increment || f.has_special("uuid"))
}

fn collect(out: &mut Vec<Failure>, rule: &Value, source: &Map<String, Value>) -> Result<()> {
    match validate::validate(rule, source, Mode::Partial) {
        Ok(()) => Ok(()),
        Err(ValidateError::Failed(f)) => {
            out.extend(f);
            Ok(())
        }
        Err(ValidateError::Invalid(e)) => Err(ApiError::internal(anyhow::anyhow!(
            "invalid validation rule: {}",
            e.0
        ))),
    }
}
