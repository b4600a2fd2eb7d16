//! Creating, altering and dropping user collections and fields (directus.md §11): validates
//! names and types, runs the DDL and writes `directus_collections`/`directus_fields` in one
//! transaction, so a failure leaves nothing half-made. Alias fields (`type: alias`: the o2m
//! and m2m sides of relations, presentation fields) are a `directus_fields` row without a
//! column. Deleting a field or a collection takes the relations naming it along
//! (`relations::forget_*`).

use entity::prelude::*;
use entity::{directus_collections, directus_fields, directus_permissions};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, NotSet,
    QueryFilter, Set,
};
use serde_json::{Map, Value, json};

use crate::db::WriteGate;
use crate::error::{ApiError, Result};
use crate::items::begin_write;
use crate::schema::change::SchemaChange;
use crate::schema::ddl::{self, ColumnSpec};
use crate::schema::{Collection, FieldType, Schema, valid_name};
use crate::services::relations;

mod fields;
pub use fields::{create_field, delete_field, update_field};

/// A field as the API describes it on input.
#[derive(Clone, Debug)]
pub struct FieldInput {
    pub spec: ColumnSpec,
    pub meta: Option<Map<String, Value>>,
    /// `type: alias`: a `directus_fields` row only (`spec` carries just the name).
    pub alias: bool,
}

/// Names Sluice keeps for itself.
pub(crate) fn reserved(name: &str) -> bool {
    name.starts_with("directus_") || name.starts_with("sluice_") || name.starts_with("_sluice")
}

/// Checks a collection name for creation.
pub fn check_collection_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(ApiError::invalid_payload("\"collection\" is required"));
    }
    if reserved(name) {
        return Err(ApiError::invalid_payload(
            "Collections can't start with \"directus_\" or \"sluice_\"",
        ));
    }
    if !valid_name(name) {
        return Err(ApiError::invalid_payload(format!(
            "Collection name \"{}\" is not valid: use letters, digits, \"_\" or \"-\", starting \
             with a letter or \"_\", at most 64 characters",
            name.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

fn bool_of(o: &Map<String, Value>, key: &str, default: bool) -> Result<bool> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::invalid_payload(format!(
            "\"{key}\" must be a boolean"
        ))),
    }
}

fn u32_of(o: &Map<String, Value>, key: &str) -> Result<Option<u32>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid_payload(format!("\"{key}\" must be a positive integer"))
            }),
        Some(_) => Err(ApiError::invalid_payload(format!(
            "\"{key}\" must be a number"
        ))),
    }
}

/// Parses `{field, type, schema, meta}`; `existing` supplies defaults for PATCH.
pub fn parse_field(body: &Value, existing: Option<&ColumnSpec>) -> Result<FieldInput> {
    let Value::Object(o) = body else {
        return Err(ApiError::invalid_payload("A field must be an object"));
    };
    let name = match (o.get("field"), existing) {
        (Some(Value::String(s)), _) => s.clone(),
        (None, Some(e)) => e.name.clone(),
        _ => return Err(ApiError::invalid_payload("\"field\" is required")),
    };
    if !valid_name(&name) {
        return Err(ApiError::invalid_payload(format!(
            "Field name \"{}\" is not valid",
            name.chars().take(80).collect::<String>()
        )));
    }
    if o.get("type").and_then(Value::as_str) == Some("alias") {
        if existing.is_some() {
            return Err(ApiError::invalid_payload(
                "A field with a column can't become an alias",
            ));
        }
        return alias_input(name, o);
    }
    let kind = match (o.get("type"), existing) {
        (Some(Value::String(t)), _) => FieldType::parse(t).ok_or_else(|| {
            ApiError::invalid_payload(format!(
                "\"type\" must be one of string, text, integer, bigInteger, float, decimal, \
                 boolean, json, uuid, date, time, dateTime, timestamp, csv, hash; got \"{t}\""
            ))
        })?,
        (None, Some(e)) => e.kind,
        (None, None) => FieldType::String,
        _ => return Err(ApiError::invalid_payload("\"type\" must be a string")),
    };
    let empty = Map::new();
    let schema = match o.get("schema") {
        Some(Value::Object(s)) => s,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err(ApiError::invalid_payload("\"schema\" must be an object")),
    };
    let base = existing.cloned().unwrap_or(ColumnSpec {
        name: name.clone(),
        kind,
        nullable: true,
        default_value: None,
        max_length: None,
        precision: None,
        scale: None,
        primary_key: false,
        auto_increment: false,
        unique: false,
    });
    let primary_key = bool_of(schema, "is_primary_key", base.primary_key)?;
    let auto_increment = bool_of(schema, "has_auto_increment", base.auto_increment)?;
    if auto_increment && !kind.is_integer() {
        return Err(ApiError::invalid_payload(
            "\"has_auto_increment\" needs an integer or bigInteger field",
        ));
    }
    let default_value = match schema.get("default_value") {
        Some(v) if v.is_null() => None,
        Some(v) => Some(v.clone()),
        None => base.default_value.clone(),
    };
    let spec = ColumnSpec {
        name: name.clone(),
        kind,
        nullable: bool_of(schema, "is_nullable", base.nullable)? && !primary_key,
        default_value,
        max_length: u32_of(schema, "max_length")?.or(if kind == FieldType::String {
            base.max_length.or(Some(255))
        } else {
            None
        }),
        precision: u32_of(schema, "numeric_precision")?.or(base.precision),
        scale: u32_of(schema, "numeric_scale")?.or(base.scale),
        primary_key,
        auto_increment,
        unique: bool_of(schema, "is_unique", base.unique)?,
    };
    if let Some(d) = &spec.default_value
        && ddl::default_sql(d, kind, sea_orm::DatabaseBackend::Postgres).is_none()
    {
        return Err(ApiError::invalid_payload(format!(
            "\"default_value\" does not fit the {} field \"{name}\"",
            kind.as_str()
        )));
    }
    let meta = match o.get("meta") {
        Some(Value::Object(m)) => Some(m.clone()),
        None | Some(Value::Null) => None,
        Some(_) => return Err(ApiError::invalid_payload("\"meta\" must be an object")),
    };
    Ok(FieldInput {
        spec,
        meta,
        alias: false,
    })
}

/// An alias field: no column, so `schema` is ignored; `meta.special` says what it shows
/// (`o2m`, `m2m`, …), `alias,no-data` when not given.
fn alias_input(name: String, o: &Map<String, Value>) -> Result<FieldInput> {
    let mut meta = match o.get("meta") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ApiError::invalid_payload("\"meta\" must be an object")),
    };
    let special = crate::util::list::option_list(meta.get("special"));
    if special.iter().all(|s| s.is_empty()) {
        meta.insert("special".into(), json!(["alias", "no-data"]));
    }
    Ok(FieldInput {
        spec: ColumnSpec {
            name,
            kind: FieldType::Unknown,
            nullable: true,
            default_value: None,
            max_length: None,
            precision: None,
            scale: None,
            primary_key: false,
            auto_increment: false,
            unique: false,
        },
        meta: Some(meta),
        alias: true,
    })
}

/// The specials implied by a type (`csv` → cast-csv, uuid primary keys → generated).
fn implied_special(spec: &ColumnSpec) -> Vec<String> {
    let mut s = Vec::new();
    match spec.kind {
        FieldType::Csv => s.push("cast-csv".to_owned()),
        FieldType::Json => s.push("cast-json".to_owned()),
        FieldType::Hash => s.push("hash".to_owned()),
        FieldType::Uuid if spec.primary_key => s.push("uuid".to_owned()),
        _ => {}
    }
    s
}

fn special_csv(meta: Option<&Map<String, Value>>, spec: &ColumnSpec) -> Option<String> {
    let mut list = crate::util::list::option_list(meta.and_then(|m| m.get("special")));
    for s in implied_special(spec) {
        if !list.contains(&s) {
            list.push(s);
        }
    }
    list.retain(|s| !s.is_empty());
    (!list.is_empty()).then(|| list.join(","))
}

fn meta_str(m: Option<&Map<String, Value>>, k: &str) -> Option<String> {
    m.and_then(|m| m.get(k))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn meta_bool(m: Option<&Map<String, Value>>, k: &str) -> Option<bool> {
    m.and_then(|m| m.get(k)).and_then(Value::as_bool)
}

fn meta_json(m: Option<&Map<String, Value>>, k: &str) -> Option<Value> {
    m.and_then(|m| m.get(k)).filter(|v| !v.is_null()).cloned()
}

/// A `directus_fields` row from meta.
fn field_row(
    collection: &str,
    input: &FieldInput,
    sort: Option<i32>,
) -> directus_fields::ActiveModel {
    let m = input.meta.as_ref();
    let hidden_default = input.spec.primary_key;
    directus_fields::ActiveModel {
        id: NotSet,
        collection: Set(collection.to_owned()),
        field: Set(input.spec.name.clone()),
        special: Set(special_csv(m, &input.spec)),
        interface: Set(meta_str(m, "interface")),
        options: Set(meta_json(m, "options")),
        display: Set(meta_str(m, "display")),
        display_options: Set(meta_json(m, "display_options")),
        readonly: Set(meta_bool(m, "readonly").unwrap_or(hidden_default)),
        hidden: Set(meta_bool(m, "hidden").unwrap_or(hidden_default)),
        sort: Set(m
            .and_then(|m| m.get("sort"))
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .or(sort)),
        width: Set(meta_str(m, "width").or(Some("full".into()))),
        translations: Set(meta_json(m, "translations")),
        note: Set(meta_str(m, "note")),
        conditions: Set(meta_json(m, "conditions")),
        required: Set(Some(meta_bool(m, "required").unwrap_or(false))),
        group: Set(meta_str(m, "group")),
        validation: Set(meta_json(m, "validation")),
        validation_message: Set(meta_str(m, "validation_message")),
        searchable: Set(meta_bool(m, "searchable").unwrap_or(true)),
    }
}

fn collection_row(
    name: &str,
    meta: Option<&Map<String, Value>>,
) -> directus_collections::ActiveModel {
    let m = meta;
    directus_collections::ActiveModel {
        collection: Set(name.to_owned()),
        icon: Set(meta_str(m, "icon")),
        note: Set(meta_str(m, "note")),
        display_template: Set(meta_str(m, "display_template")),
        hidden: Set(meta_bool(m, "hidden").unwrap_or(false)),
        singleton: Set(meta_bool(m, "singleton").unwrap_or(false)),
        translations: Set(meta_json(m, "translations")),
        archive_field: Set(meta_str(m, "archive_field")),
        archive_app_filter: Set(meta_bool(m, "archive_app_filter").unwrap_or(true)),
        archive_value: Set(meta_str(m, "archive_value")),
        unarchive_value: Set(meta_str(m, "unarchive_value")),
        sort_field: Set(meta_str(m, "sort_field")),
        accountability: Set(match m.and_then(|m| m.get("accountability")) {
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            _ => Some("all".into()),
        }),
        color: Set(meta_str(m, "color")),
        item_duplication_fields: Set(meta_json(m, "item_duplication_fields")),
        sort: Set(m
            .and_then(|m| m.get("sort"))
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())),
        group: Set(meta_str(m, "group")),
        collapse: Set(meta_str(m, "collapse").unwrap_or_else(|| "open".into())),
        preview_url: Set(meta_str(m, "preview_url")),
        versioning: Set(meta_bool(m, "versioning").unwrap_or(false)),
    }
}

/// `POST /collections`.
pub async fn create_collection(
    db: &DatabaseConnection,
    gate: &WriteGate,
    schema: &Schema,
    body: &Value,
) -> Result<String> {
    let Value::Object(o) = body else {
        return Err(ApiError::invalid_payload("Payload must be an object"));
    };
    let name = match o.get("collection") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(ApiError::invalid_payload("\"collection\" is required")),
    };
    check_collection_name(&name)?;
    let exists_meta = DirectusCollections::find_by_id(name.clone())
        .one(db)
        .await?
        .is_some();
    if schema.collection(&name).is_some() || exists_meta {
        return Err(ApiError::invalid_payload(format!(
            "Collection \"{name}\" already exists"
        )));
    }
    let meta = match o.get("meta") {
        Some(Value::Object(m)) => Some(m.clone()),
        None | Some(Value::Null) => None,
        Some(_) => return Err(ApiError::invalid_payload("\"meta\" must be an object")),
    };
    let with_table = matches!(o.get("schema"), Some(Value::Object(_)));
    let mut fields: Vec<FieldInput> = Vec::new();
    match o.get("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for f in items {
                let input = parse_field(f, None)?;
                if fields.iter().any(|x| x.spec.name == input.spec.name) {
                    return Err(ApiError::invalid_payload(format!(
                        "Field \"{}\" is listed twice",
                        input.spec.name
                    )));
                }
                fields.push(input);
            }
        }
        Some(_) => return Err(ApiError::invalid_payload("\"fields\" must be an array")),
    }
    if fields.len() > 500 {
        return Err(ApiError::invalid_payload(
            "A collection can have at most 500 fields",
        ));
    }
    if with_table {
        let pks = fields.iter().filter(|f| f.spec.primary_key).count();
        if pks > 1 {
            return Err(ApiError::invalid_payload(
                "Only one field can be the primary key",
            ));
        }
        if pks == 0 {
            if fields.iter().any(|f| f.spec.name == "id") {
                return Err(ApiError::invalid_payload(
                    "Field \"id\" must be the primary key when given (set schema.is_primary_key)",
                ));
            }
            fields.insert(
                0,
                FieldInput {
                    spec: ColumnSpec {
                        name: "id".into(),
                        kind: FieldType::Integer,
                        nullable: false,
                        default_value: None,
                        max_length: None,
                        precision: None,
                        scale: None,
                        primary_key: true,
                        auto_increment: true,
                        unique: false,
                    },
                    meta: Some(
                        json!({"hidden": true, "readonly": true, "interface": "input"})
                            .as_object()
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    alias: false,
                },
            );
        }
    }
    let (txn, _gate) = begin_write(db, gate).await?;
    if with_table {
        let specs: Vec<ColumnSpec> = fields
            .iter()
            .filter(|f| !f.alias)
            .map(|f| f.spec.clone())
            .collect();
        ddl::create_table(&txn, &name, &specs)
            .await
            .map_err(schema_error)?;
    }
    collection_row(&name, meta.as_ref()).insert(&txn).await?;
    for (i, f) in fields.iter().enumerate() {
        field_row(&name, f, i32::try_from(i + 1).ok())
            .insert(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(name)
}

/// DDL failures carry driver text: keep it in the logs, answer a plain reason.
fn schema_error(e: sea_orm::DbErr) -> ApiError {
    tracing::warn!(error = %e, "schema change failed");
    ApiError::invalid_payload(
        "The database refused this schema change (for example a value that does not fit the new type, or NULLs in a field made required)",
    )
}

/// `PATCH /collections/:c` (meta only, as Directus allows).
pub async fn update_collection(
    db: &DatabaseConnection,
    gate: &WriteGate,
    name: &str,
    body: &Value,
) -> Result<()> {
    let meta = match body.get("meta") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Null) | None => return Ok(()),
        Some(_) => return Err(ApiError::invalid_payload("\"meta\" must be an object")),
    };
    let existing = DirectusCollections::find_by_id(name.to_owned())
        .one(db)
        .await?;
    let mut merged: Map<String, Value> = existing
        .map(|row| {
            serde_json::to_value(row)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    for (k, v) in meta {
        merged.insert(k, v);
    }
    let row = collection_row(name, Some(&merged));
    let (txn, _gate) = begin_write(db, gate).await?;
    DirectusCollections::delete_by_id(name.to_owned())
        .exec(&txn)
        .await?;
    row.insert(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// `DELETE /collections/:c`: the table, its metadata and its permission rows.
pub async fn delete_collection(
    db: &DatabaseConnection,
    gate: &WriteGate,
    schema: &Schema,
    name: &str,
) -> Result<()> {
    if reserved(name) {
        return Err(ApiError::forbidden());
    }
    let has_meta = DirectusCollections::find_by_id(name.to_owned())
        .one(db)
        .await?
        .is_some();
    let has_table = schema.collection(name).is_some();
    if !has_meta && !has_table {
        return Err(crate::items::unknown_collection(name));
    }
    let change = SchemaChange::begin(db, gate).await?;
    relations::forget_collection(&change, schema, name).await?;
    if has_table {
        ddl::drop_table(&*change, name)
            .await
            .map_err(schema_error)?;
    }
    DirectusFields::delete_many()
        .filter(directus_fields::Column::Collection.eq(name))
        .exec(&*change)
        .await?;
    DirectusCollections::delete_by_id(name.to_owned())
        .exec(&*change)
        .await?;
    DirectusPermissions::delete_many()
        .filter(directus_permissions::Column::Collection.eq(name))
        .exec(&*change)
        .await?;
    change.commit().await?;
    Ok(())
}

fn user_collection<'a>(schema: &'a Schema, name: &str) -> Result<&'a Collection> {
    if reserved(name) {
        return Err(ApiError::forbidden_reason(format!(
            "System collection \"{name}\" can't be changed"
        )));
    }
    schema
        .collection(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| crate::items::unknown_collection(name))
}

/// The column specs of a collection (what DDL and SQLite rebuilds need).
pub(crate) fn specs(c: &Collection) -> Vec<ColumnSpec> {
    c.fields.iter().map(ColumnSpec::from_field).collect()
}

/// Collections without a table (folders) from `directus_collections`.
pub async fn folder_collections(db: &impl ConnectionTrait, schema: &Schema) -> Result<Vec<Value>> {
    let rows = DirectusCollections::find().all(db).await?;
    Ok(rows
        .into_iter()
        .filter(|r| schema.collection(&r.collection).is_none())
        .map(|r| {
            let name = r.collection.clone();
            json!({"collection": name, "meta": serde_json::to_value(r).unwrap_or(Value::Null), "schema": null})
        })
        .collect())
}
