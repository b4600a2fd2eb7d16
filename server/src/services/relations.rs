//! `/relations` (directus.md §6, issue 15): who sees which relation, and creating, changing
//! and deleting one as Directus validates it. A relation is always a `directus_relations`
//! row; one with a related collection also gets a real foreign key, written in the same
//! schema change as the row, so a failure leaves neither. What deleting a field or a
//! collection does to the relations naming it lives in `relations/cleanup.rs`.

mod cleanup;
mod input;

use sea_orm::sea_query::Value as SqlValue;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;

use crate::access::{AccessSnapshot, Accountability};
use crate::db::WriteGate;
use crate::error::{ApiError, ErrorCode, Result};
use crate::schema::change::SchemaChange;
use crate::schema::ddl::quote;
use crate::schema::foreign_keys::{self, ColumnForeignKey};
use crate::schema::{Deselect, Relation, Schema};

pub use cleanup::{forget_alias, forget_collection, forget_column};
pub use input::key_family;

/// Whether the caller may see a relation: admins see all, others those whose many
/// collection they may read.
fn visible(access: &AccessSnapshot, acc: &Accountability, collection: &str) -> bool {
    acc.admin
        || access
            .permissions(&acc.policies, collection, "read")
            .next()
            .is_some()
}

/// System relations are listed only where both sides exist here.
fn listed(schema: &Schema, r: &Relation) -> bool {
    !r.system
        || (schema
            .collection(&r.many_collection)
            .is_some_and(|c| c.field(&r.many_field).is_some())
            && r.one_collection
                .as_deref()
                .is_some_and(|one| schema.collection(one).is_some()))
}

/// A relation as `/relations` answers it.
pub fn to_json(schema: &Schema, r: &Relation) -> Value {
    let primary = r
        .one_collection
        .as_deref()
        .and_then(|one| schema.collection(one))
        .map(|c| c.primary.as_str());
    r.to_json(primary)
}

/// `GET /relations[/{collection}]`: a collection the caller may not read is FORBIDDEN.
pub fn list(
    schema: &Schema,
    access: &AccessSnapshot,
    acc: &Accountability,
    collection: Option<&str>,
) -> Result<Vec<Value>> {
    if let Some(c) = collection
        && !visible(access, acc, c)
    {
        return Err(ApiError::forbidden());
    }
    Ok(schema
        .relations()
        .iter()
        .filter(|r| collection.is_none_or(|c| r.many_collection == c))
        .filter(|r| listed(schema, r) && visible(access, acc, &r.many_collection))
        .map(|r| to_json(schema, r))
        .collect())
}

/// `GET /relations/{collection}/{field}`: FORBIDDEN when there is none the caller may see.
pub fn read_one(
    schema: &Schema,
    access: &AccessSnapshot,
    acc: &Accountability,
    collection: &str,
    field: &str,
) -> Result<Value> {
    schema
        .relations()
        .iter()
        .find(|r| r.many_collection == collection && r.many_field == field)
        .filter(|r| listed(schema, r) && visible(access, acc, collection))
        .map(|r| to_json(schema, r))
        .ok_or_else(ApiError::forbidden)
}

async fn run(conn: &impl ConnectionTrait, sql: &str, values: Vec<SqlValue>) -> Result<()> {
    conn.execute_raw(crate::db::statement(conn, sql, values))
        .await?;
    Ok(())
}

fn text(v: &Option<String>) -> SqlValue {
    SqlValue::String(v.clone())
}

fn row_values(r: &Relation) -> Vec<SqlValue> {
    vec![
        SqlValue::from(r.many_collection.as_str()),
        SqlValue::from(r.many_field.as_str()),
        text(&r.one_collection),
        text(&r.one_field),
        text(&r.one_collection_field),
        text(&r.one_allowed_collections.as_ref().map(|l| l.join(","))),
        text(&r.junction_field),
        text(&r.sort_field),
        SqlValue::from(r.one_deselect_action.as_str()),
    ]
}

/// The first value of `collection.field` that is no key of the related collection, as
/// Directus reports a foreign key the database refused.
async fn check_values(
    conn: &impl ConnectionTrait,
    r: &Relation,
    fk: &ColumnForeignKey,
) -> Result<()> {
    let sql = format!(
        "SELECT CAST({f} AS TEXT) AS v FROM {t} WHERE {f} IS NOT NULL AND {f} NOT IN \
         (SELECT {pk} FROM {r}) LIMIT 1",
        f = quote(&fk.column),
        t = quote(&r.many_collection),
        pk = quote(&fk.foreign_column),
        r = quote(&fk.foreign_table),
    );
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?;
    let Some(row) = row else {
        return Ok(());
    };
    let value: String = row.try_get("", "v").unwrap_or_default();
    Err(ApiError::new(
        ErrorCode::InvalidForeignKey,
        format!(
            "Invalid foreign key \"{value}\" for field \"{}\" in collection \"{}\".",
            r.many_field, r.many_collection
        ),
    )
    .with_extension("collection", r.many_collection.as_str())
    .with_extension("field", r.many_field.as_str()))
}

/// The foreign key a relation asks for, checked against the column.
fn foreign_key_for(
    schema: &Schema,
    r: &Relation,
    on_delete: &str,
    on_update: &str,
    name: Option<String>,
) -> Result<Option<ColumnForeignKey>> {
    let Some(one) = r.one_collection.as_deref() else {
        return Ok(None);
    };
    let many = input::many_side(schema, &r.many_collection)?;
    input::check_nullable(many, &r.many_field, on_delete, on_update)?;
    let primary = schema
        .collection(one)
        .map(|c| c.primary.clone())
        .unwrap_or_else(|| "id".into());
    Ok(Some(ColumnForeignKey {
        column: r.many_field.clone(),
        foreign_table: one.to_owned(),
        foreign_column: primary,
        constraint_name: Some(
            name.unwrap_or_else(|| {
                foreign_keys::constraint_name(&r.many_collection, &r.many_field)
            }),
        ),
        on_update: on_update.to_owned(),
        on_delete: on_delete.to_owned(),
    }))
}

/// DDL failures carry driver text: keep it in the logs, answer a plain reason.
fn ddl_error(e: sea_orm::DbErr) -> ApiError {
    tracing::warn!(error = %e, "foreign key change failed");
    ApiError::invalid_payload("The database refused this foreign key")
}

async fn begin(db: &DatabaseConnection, gate: &WriteGate) -> Result<SchemaChange> {
    SchemaChange::begin(db, gate).await.map_err(ApiError::from)
}

/// Adds (or replaces) the foreign key, once the column's values are known to fit it.
async fn write_foreign_key(
    change: &SchemaChange,
    schema: &Schema,
    r: &Relation,
    fk: &ColumnForeignKey,
) -> Result<()> {
    check_values(&**change, r, fk).await?;
    let many = input::many_side(schema, &r.many_collection)?;
    foreign_keys::add(
        &**change,
        &many.name,
        &crate::services::schema::specs(many),
        fk,
    )
    .await
    .map_err(ddl_error)
}

/// `POST /relations`: answers the new relation's `(collection, field)`.
pub async fn create(
    db: &DatabaseConnection,
    gate: &WriteGate,
    schema: &Schema,
    body: &Value,
) -> Result<(String, String)> {
    let o = input::object(body)?;
    let collection = input::required_name(o, "collection")?;
    let field = input::required_name(o, "field")?;
    let many = input::many_side(schema, &collection)?;
    input::many_field(many, &field)?;
    let related = input::related(o)?;
    if let Some(one) = &related
        && schema.collection(one).is_none()
    {
        return Err(ApiError::invalid_payload(format!(
            "Collection \"{one}\" doesn't exist"
        )));
    }
    if schema
        .relations()
        .iter()
        .any(|r| r.many_collection == collection && r.many_field == field)
    {
        return Err(ApiError::invalid_payload(format!(
            "Field \"{field}\" in collection \"{collection}\" already has an associated relationship"
        )));
    }
    let actions = input::schema_in(o)?.unwrap_or_default();
    let mut r = Relation {
        id: None,
        many_collection: collection.clone(),
        many_field: field.clone(),
        one_collection: related,
        one_field: None,
        one_collection_field: None,
        one_allowed_collections: None,
        junction_field: None,
        sort_field: None,
        one_deselect_action: Deselect::Nullify,
        system: false,
        foreign_key: None,
    };
    input::meta_in(o)?.apply(&mut r);
    input::check(schema, &r)?;
    let fk = foreign_key_for(
        schema,
        &r,
        actions.on_delete.unwrap_or("SET NULL"),
        actions.on_update.unwrap_or("NO ACTION"),
        None,
    )?;
    let change = begin(db, gate).await?;
    if let Some(fk) = &fk {
        write_foreign_key(&change, schema, &r, fk).await?;
    }
    run(
        &*change,
        "INSERT INTO directus_relations (many_collection, many_field, one_collection, \
         one_field, one_collection_field, one_allowed_collections, junction_field, sort_field, \
         one_deselect_action) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        row_values(&r),
    )
    .await?;
    change.commit().await?;
    Ok((collection, field))
}

/// The user relation on `collection.field`, with Directus's errors when there is none.
fn existing<'a>(schema: &'a Schema, collection: &str, field: &str) -> Result<&'a Relation> {
    let many = input::many_side(schema, collection)?;
    input::many_field(many, field)?;
    schema
        .relations()
        .iter()
        .find(|r| !r.system && r.many_collection == collection && r.many_field == field)
        .ok_or_else(|| {
            ApiError::invalid_payload(format!(
                "Field \"{field}\" in collection \"{collection}\" doesn't have a relationship."
            ))
        })
}

/// `PATCH /relations/{collection}/{field}`: `meta` keys are merged; `schema.on_delete` /
/// `on_update` replace the foreign key (the related collection cannot change).
pub async fn update(
    db: &DatabaseConnection,
    gate: &WriteGate,
    schema: &Schema,
    collection: &str,
    field: &str,
    body: &Value,
) -> Result<()> {
    let current = existing(schema, collection, field)?;
    let o = input::object(body)?;
    if o.contains_key("related_collection") && input::related(o)? != current.one_collection {
        return Err(ApiError::invalid_payload(
            "\"related_collection\" can't be changed; delete the relation and create another",
        ));
    }
    let actions = input::schema_in(o)?;
    let mut r = current.clone();
    input::meta_in(o)?.apply(&mut r);
    input::check(schema, &r)?;
    let fk = match &actions {
        Some(a) => {
            let old = current.foreign_key.as_ref();
            let keep = |new: Option<&'static str>, old: Option<&String>| {
                new.map(str::to_owned)
                    .or_else(|| old.cloned())
                    .unwrap_or_else(|| "NO ACTION".to_owned())
            };
            let on_delete = keep(a.on_delete, old.and_then(|f| f.on_delete.as_ref()));
            let on_update = keep(a.on_update, old.and_then(|f| f.on_update.as_ref()));
            let name = old.and_then(|f| f.constraint_name.clone());
            foreign_key_for(schema, &r, &on_delete, &on_update, name)?
        }
        None => None,
    };
    let change = begin(db, gate).await?;
    if let Some(fk) = &fk {
        write_foreign_key(&change, schema, &r, fk).await?;
    }
    // Always written, even unchanged: the row's trigger announces the change to the other
    // instances, a foreign key change included.
    let mut values = row_values(&r);
    values.push(SqlValue::from(r.id.unwrap_or_default()));
    run(
        &*change,
        "UPDATE directus_relations SET many_collection = ?, many_field = ?, one_collection = ?, \
         one_field = ?, one_collection_field = ?, one_allowed_collections = ?, \
         junction_field = ?, sort_field = ?, one_deselect_action = ? WHERE id = ?",
        values,
    )
    .await?;
    change.commit().await?;
    Ok(())
}

/// `DELETE /relations/{collection}/{field}`: the foreign key and the row.
pub async fn delete(
    db: &DatabaseConnection,
    gate: &WriteGate,
    schema: &Schema,
    collection: &str,
    field: &str,
) -> Result<()> {
    let current = existing(schema, collection, field)?;
    let many = input::many_side(schema, collection)?;
    let change = begin(db, gate).await?;
    foreign_keys::drop(
        &*change,
        collection,
        &crate::services::schema::specs(many),
        field,
    )
    .await
    .map_err(ddl_error)?;
    run(
        &*change,
        "DELETE FROM directus_relations WHERE id = ?",
        vec![SqlValue::from(current.id.unwrap_or_default())],
    )
    .await?;
    change.commit().await?;
    Ok(())
}
