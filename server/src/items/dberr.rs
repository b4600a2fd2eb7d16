//! Database constraint failures → Directus errors (`RECORD_NOT_UNIQUE`, `NOT_NULL_VIOLATION`,
//! `VALUE_OUT_OF_RANGE`, `INVALID_FOREIGN_KEY`); anything else stays an internal error whose
//! text is logged, never answered.

use sea_orm::{DbErr, RuntimeErr};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::schema::Collection;

fn db_message(e: &DbErr) -> Option<(Option<String>, String)> {
    let sqlx = match e {
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
        _ => return None,
    };
    let db = sqlx.as_database_error()?;
    Some((db.code().map(|c| c.into_owned()), db.message().to_owned()))
}

/// The field a constraint message names, matched against the collection's fields.
fn field_in(message: &str, collection: &Collection) -> Option<String> {
    // SQLite: "UNIQUE constraint failed: table.col"; PostgreSQL: column "col" / Key (col)=
    if let Some(rest) = message.split(": ").nth(1) {
        let first = rest.split(',').next().unwrap_or(rest).trim();
        if let Some((_, col)) = first.rsplit_once('.')
            && collection.field(col).is_some()
        {
            return Some(col.to_owned());
        }
    }
    for marker in ["column \"", "Key ("] {
        if let Some(i) = message.find(marker) {
            let rest = &message[i + marker.len()..];
            let end = rest.find(['"', ')']).unwrap_or(rest.len());
            let col = &rest[..end];
            if collection.field(col).is_some() {
                return Some(col.to_owned());
            }
        }
    }
    // Constraint names: uq_<table>__<field> or <table>_<field>_key.
    let mut best: Option<&str> = None;
    for f in &collection.fields {
        if (message.contains(&format!("__{}\"", f.name))
            || message.contains(&format!("_{}_key", f.name)))
            && best.is_none_or(|b| b.len() < f.name.len())
        {
            best = Some(&f.name);
        }
    }
    best.map(str::to_owned)
}

/// The column of a failed foreign key: the one its constraint names (PostgreSQL:
/// `<table>_<field>_foreign`), else — SQLite names none — the first key column the payload
/// sets.
fn foreign_key_field(
    message: &str,
    collection: &Collection,
    payload: Option<&Map<String, Value>>,
) -> Option<String> {
    let keys = &collection.foreign_keys;
    keys.iter()
        .filter(|k| {
            k.constraint_name
                .as_deref()
                .is_some_and(|n| message.contains(&format!("\"{n}\"")))
        })
        .map(|k| k.column.clone())
        .next()
        .or_else(|| {
            let p = payload?;
            keys.iter()
                .find(|k| p.get(&k.column).is_some_and(|v| !v.is_null()))
                .map(|k| k.column.clone())
        })
}

fn shown(payload: Option<&Map<String, Value>>, field: &str) -> String {
    match payload.and_then(|p| p.get(field)) {
        Some(Value::String(s)) => s.chars().take(100).collect(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// Maps a write failure for `collection` (with the payload that caused it, when known).
#[track_caller]
pub fn map(e: DbErr, collection: &Collection, payload: Option<&Map<String, Value>>) -> ApiError {
    let Some((code, message)) = db_message(&e) else {
        return ApiError::internal(e);
    };
    let lower = message.to_ascii_lowercase();
    let code = code.unwrap_or_default();
    let c = &collection.name;
    if code == "23505" || code == "2067" || code == "1555" || lower.contains("unique constraint") {
        let field = field_in(&message, collection).unwrap_or_else(|| collection.primary.clone());
        let value = shown(payload, &field);
        return ApiError::new(
            ErrorCode::RecordNotUnique,
            format!(
                "Value \"{value}\" for field \"{field}\" in collection \"{c}\" has to be unique."
            ),
        )
        .with_extension("collection", c.as_str())
        .with_extension("field", field);
    }
    if code == "23502"
        || code == "1299"
        || lower.contains("not null constraint")
        || lower.contains("not-null constraint")
    {
        let field = field_in(&message, collection).unwrap_or_default();
        return ApiError::new(
            ErrorCode::NotNullViolation,
            format!("Value for field \"{field}\" in collection \"{c}\" can't be null."),
        )
        .with_extension("collection", c.as_str())
        .with_extension("field", field);
    }
    if code == "22003" || lower.contains("out of range") {
        let field = field_in(&message, collection).unwrap_or_default();
        return ApiError::new(
            ErrorCode::ValueOutOfRange,
            format!(
                "Numeric value \"{}\" for field \"{field}\" in collection \"{c}\" is out of range.",
                shown(payload, &field)
            ),
        )
        .with_extension("collection", c.as_str())
        .with_extension("field", field);
    }
    if code == "23503" || code == "787" || lower.contains("foreign key constraint") {
        let field = field_in(&message, collection)
            .or_else(|| foreign_key_field(&message, collection, payload))
            .unwrap_or_default();
        return ApiError::new(
            ErrorCode::InvalidForeignKey,
            format!(
                "Invalid foreign key \"{}\" for field \"{field}\" in collection \"{c}\".",
                shown(payload, &field)
            ),
        )
        .with_extension("collection", c.as_str())
        .with_extension("field", field);
    }
    if code == "22P02" || code == "22007" || code == "22008" {
        return ApiError::invalid_payload("A value does not match its field's type");
    }
    ApiError::internal(e)
}
