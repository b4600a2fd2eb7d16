//! What deleting a field or a collection does to the relations naming it, inside the schema
//! change that deletes it (as Directus's fields and collections services do): a dropped m2o
//! column takes its relation and the o2m alias that relation backed; a dropped o2m alias
//! only clears the relation's `one_field`; a dropped collection takes every relation naming
//! it on either side, and the foreign keys other tables point at it with — their columns
//! stay, as plain values.

use sea_orm::sea_query::Value as SqlValue;

use super::{ddl_error, run};
use crate::error::Result;
use crate::schema::change::SchemaChange;
use crate::schema::{Relation, Schema, foreign_keys};
use crate::services::schema::specs;

async fn delete_alias_row(change: &SchemaChange, collection: &str, field: &str) -> Result<()> {
    run(
        &**change,
        "DELETE FROM directus_fields WHERE collection = ? AND field = ?",
        vec![SqlValue::from(collection), SqlValue::from(field)],
    )
    .await
}

async fn delete_relation(change: &SchemaChange, r: &Relation) -> Result<()> {
    if let (Some(one), Some(alias)) = (&r.one_collection, &r.one_field) {
        delete_alias_row(change, one, alias).await?;
    }
    run(
        &**change,
        "DELETE FROM directus_relations WHERE many_collection = ? AND many_field = ?",
        vec![
            SqlValue::from(r.many_collection.as_str()),
            SqlValue::from(r.many_field.as_str()),
        ],
    )
    .await
}

/// Before the column `collection.field` is dropped (the drop removes its foreign key).
pub async fn forget_column(
    change: &SchemaChange,
    schema: &Schema,
    collection: &str,
    field: &str,
) -> Result<()> {
    for r in schema
        .relations()
        .iter()
        .filter(|r| !r.system && r.many_collection == collection && r.many_field == field)
    {
        delete_relation(change, r).await?;
    }
    Ok(())
}

/// When the alias `collection.field` is deleted: the o2m relation it showed keeps its
/// foreign key and loses its `one_field`.
pub async fn forget_alias(
    change: &SchemaChange,
    schema: &Schema,
    collection: &str,
    field: &str,
) -> Result<()> {
    for r in schema.relations().iter().filter(|r| {
        !r.system
            && r.one_collection.as_deref() == Some(collection)
            && r.one_field.as_deref() == Some(field)
    }) {
        run(
            &**change,
            "UPDATE directus_relations SET one_field = NULL WHERE many_collection = ? AND \
             many_field = ?",
            vec![
                SqlValue::from(r.many_collection.as_str()),
                SqlValue::from(r.many_field.as_str()),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Before the table `collection` is dropped: the foreign keys of other tables that point at
/// it (PostgreSQL refuses the drop while they exist; SQLite would keep them dangling), then
/// every relation naming it; a many-to-any relation allowing it no longer does.
pub async fn forget_collection(
    change: &SchemaChange,
    schema: &Schema,
    collection: &str,
) -> Result<()> {
    for other in schema.collections() {
        if other.name == collection {
            continue;
        }
        for fk in other
            .foreign_keys
            .iter()
            .filter(|fk| fk.foreign_table == collection)
        {
            foreign_keys::drop(&**change, &other.name, &specs(other), &fk.column)
                .await
                .map_err(ddl_error)?;
        }
    }
    for r in schema.relations().iter().filter(|r| !r.system) {
        if r.many_collection == collection || r.one_collection.as_deref() == Some(collection) {
            delete_relation(change, r).await?;
            continue;
        }
        let Some(allowed) = &r.one_allowed_collections else {
            continue;
        };
        if allowed.iter().any(|c| c == collection) {
            let rest: Vec<&str> = allowed
                .iter()
                .map(String::as_str)
                .filter(|c| *c != collection)
                .collect();
            run(
                &**change,
                "UPDATE directus_relations SET one_allowed_collections = ? WHERE \
                 many_collection = ? AND many_field = ?",
                vec![
                    SqlValue::String((!rest.is_empty()).then(|| rest.join(","))),
                    SqlValue::from(r.many_collection.as_str()),
                    SqlValue::from(r.many_field.as_str()),
                ],
            )
            .await?;
        }
    }
    Ok(())
}
