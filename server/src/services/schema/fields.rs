//! `POST`, `PATCH` and `DELETE /fields/{c}[/{f}]`: a column is added, altered or dropped with
//! its `directus_fields` row in one schema change; an alias field is the row alone. A change
//! that would break a relation (a key column retyped away from its related key, SET NULL on
//! a column made required) is refused before any DDL runs.

use entity::directus_fields;
use entity::prelude::*;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};

use super::{
    FieldInput, alias_input, field_row, parse_field, schema_error, specs, user_collection,
};
use crate::db::WriteGate;
use crate::error::{ApiError, Result};
use crate::schema::change::SchemaChange;
use crate::schema::ddl::{self, ColumnSpec};
use crate::schema::{AliasField, Collection, Schema};
use crate::services::relations::{self, key_family};

async fn delete_row(
    conn: &impl sea_orm::ConnectionTrait,
    collection: &str,
    field: &str,
) -> Result<()> {
    DirectusFields::delete_many()
        .filter(directus_fields::Column::Collection.eq(collection))
        .filter(directus_fields::Column::Field.eq(field))
        .exec(conn)
        .await?;
    Ok(())
}

fn exists(collection: &str, field: &str) -> ApiError {
    ApiError::invalid_payload(format!(
        "Field \"{field}\" already exists in collection \"{collection}\""
    ))
}

/// `POST /fields/:c`.
pub async fn create_field(
    db: &DatabaseConnection,
    gate: &WriteGate,
    schema: &Schema,
    collection: &str,
    body: &Value,
) -> Result<String> {
    let c = user_collection(schema, collection)?;
    let input = parse_field(body, None)?;
    let name = input.spec.name.clone();
    let sort = i32::try_from(c.fields.len() + c.aliases.len() + 1).ok();
    if input.alias {
        // An alias a relation implies (its `one_field`) may get its row now.
        if c.field(&name).is_some() || c.alias(&name).is_some_and(|a| a.meta.is_some()) {
            return Err(exists(collection, &name));
        }
        let change = SchemaChange::begin(db, gate).await?;
        delete_row(&*change, collection, &name).await?;
        field_row(collection, &input, sort).insert(&*change).await?;
        change.commit().await?;
        return Ok(name);
    }
    if c.field(&name).is_some() || c.alias(&name).is_some() {
        return Err(exists(collection, &name));
    }
    if input.spec.primary_key {
        return Err(ApiError::invalid_payload(
            "A collection already has its primary key",
        ));
    }
    let change = SchemaChange::begin(db, gate).await?;
    ddl::add_column(&*change, collection, &specs(c), &input.spec)
        .await
        .map_err(schema_error)?;
    delete_row(&*change, collection, &name).await?;
    field_row(collection, &input, sort).insert(&*change).await?;
    change.commit().await?;
    Ok(name)
}

/// A change of `c`'s column to `after` must keep its relations possible.
fn check_relations(schema: &Schema, c: &Collection, after: &ColumnSpec) -> Result<()> {
    if let Some(r) = schema.m2o(&c.name, &after.name)
        && let Some(one) = r.one_collection.as_deref()
    {
        if let Some(pk) = schema.collection(one).and_then(|o| o.primary_field())
            && key_family(pk.kind) != key_family(after.kind)
        {
            return Err(ApiError::invalid_payload(format!(
                "Field \"{}\" in collection \"{}\" holds keys of collection \"{one}\": its type \
                 must stay compatible with {}",
                after.name,
                c.name,
                pk.kind.as_str()
            )));
        }
        let set_null = r.foreign_key.as_ref().is_some_and(|fk| {
            [&fk.on_delete, &fk.on_update]
                .iter()
                .any(|a| a.as_deref() == Some("SET NULL"))
        });
        if set_null && !after.nullable {
            return Err(ApiError::invalid_payload(format!(
                "Field \"{}\" in collection \"{}\" must stay nullable: its relation sets it to \
                 null",
                after.name, c.name
            )));
        }
    }
    if after.primary_key {
        for r in schema
            .relations()
            .iter()
            .filter(|r| r.one_collection.as_deref() == Some(c.name.as_str()))
        {
            let column = schema
                .collection(&r.many_collection)
                .and_then(|m| m.field(&r.many_field));
            if let Some(col) = column
                && key_family(col.kind) != key_family(after.kind)
            {
                return Err(ApiError::invalid_payload(format!(
                    "The primary key of collection \"{}\" is referenced by field \"{}\" of \
                     collection \"{}\": its type must stay compatible with {}",
                    c.name,
                    r.many_field,
                    r.many_collection,
                    col.kind.as_str()
                )));
            }
        }
    }
    Ok(())
}

/// An alias field's meta merged with the body's.
async fn update_alias(
    db: &DatabaseConnection,
    gate: &WriteGate,
    collection: &str,
    alias: &AliasField,
    body: &Value,
) -> Result<()> {
    let Value::Object(o) = body else {
        return Err(ApiError::invalid_payload("A field must be an object"));
    };
    if let Some(t) = o.get("type")
        && t != "alias"
    {
        return Err(ApiError::invalid_payload(
            "An alias field can't get a column: delete it and create the field again",
        ));
    }
    let mut meta: Map<String, Value> = alias
        .meta
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| {
            let mut m = Map::new();
            m.insert("special".into(), json!(alias.special));
            m
        });
    match o.get("meta") {
        Some(Value::Object(m)) => meta.extend(m.clone()),
        None | Some(Value::Null) => {}
        Some(_) => return Err(ApiError::invalid_payload("\"meta\" must be an object")),
    }
    let input = alias_input(
        alias.name.clone(),
        &json!({"meta": meta})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    )?;
    let sort = meta
        .get("sort")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok());
    let change = SchemaChange::begin(db, gate).await?;
    delete_row(&*change, collection, &alias.name).await?;
    field_row(collection, &input, sort).insert(&*change).await?;
    change.commit().await?;
    Ok(())
}

/// `PATCH /fields/:c/:f`: schema changes through DDL, meta merged into the row.
pub async fn update_field(
    db: &DatabaseConnection,
    gate: &WriteGate,
    schema: &Schema,
    collection: &str,
    field: &str,
    body: &Value,
) -> Result<()> {
    let c = user_collection(schema, collection)?;
    let Some(current) = c.field(field) else {
        return match c.alias(field) {
            Some(alias) => update_alias(db, gate, collection, alias, body).await,
            None => Err(ApiError::forbidden()),
        };
    };
    let before = ColumnSpec::from_field(current);
    let input = parse_field(body, Some(&before))?;
    if input.spec.name != field {
        return Err(ApiError::invalid_payload(
            "Renaming fields is not supported",
        ));
    }
    if input.spec.primary_key != before.primary_key {
        return Err(ApiError::invalid_payload(
            "The primary key can't be changed",
        ));
    }
    check_relations(schema, c, &input.spec)?;
    let change = SchemaChange::begin(db, gate).await?;
    if input.spec != before {
        ddl::alter_column(&*change, collection, &specs(c), &before, &input.spec)
            .await
            .map_err(schema_error)?;
    }
    let mut meta: Map<String, Value> = current
        .meta
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(m) = &input.meta {
        for (k, v) in m {
            meta.insert(k.clone(), v.clone());
        }
    }
    let sort = meta
        .get("sort")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok());
    delete_row(&*change, collection, field).await?;
    field_row(
        collection,
        &FieldInput {
            spec: input.spec.clone(),
            meta: Some(meta),
            alias: false,
        },
        sort,
    )
    .insert(&*change)
    .await?;
    change.commit().await?;
    Ok(())
}

/// `DELETE /fields/:c/:f`: a column goes with its relation (and the o2m alias that relation
/// backed); an alias goes alone, clearing the `one_field` of the relation it showed.
pub async fn delete_field(
    db: &DatabaseConnection,
    gate: &WriteGate,
    schema: &Schema,
    collection: &str,
    field: &str,
) -> Result<()> {
    let c = user_collection(schema, collection)?;
    let Some(f) = c.field(field) else {
        if c.alias(field).is_none() {
            return Err(ApiError::forbidden());
        }
        let change = SchemaChange::begin(db, gate).await?;
        relations::forget_alias(&change, schema, collection, field).await?;
        delete_row(&*change, collection, field).await?;
        change.commit().await?;
        return Ok(());
    };
    if f.primary_key {
        return Err(ApiError::invalid_payload(
            "The primary key can't be deleted",
        ));
    }
    let change = SchemaChange::begin(db, gate).await?;
    relations::forget_column(&change, schema, collection, field).await?;
    ddl::drop_column(&*change, collection, &specs(c), field)
        .await
        .map_err(schema_error)?;
    delete_row(&*change, collection, field).await?;
    change.commit().await?;
    Ok(())
}
