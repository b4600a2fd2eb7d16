//! Reading and checking a `/relations` body the way Directus does: what `collection`,
//! `field`, `related_collection`, `schema` and `meta` may hold, and whether the relation they
//! describe fits the schema (columns exist, key types match, SET NULL only on nullable
//! columns). Pure: no database access.

use serde_json::{Map, Value};

use crate::error::{ApiError, Result};
use crate::schema::foreign_keys::{self, ACTIONS};
use crate::schema::{Collection, Deselect, FieldType, Relation, Schema, valid_name};

/// The key family a column belongs to: a foreign key's column and the primary key it points
/// at must be of one family.
pub fn key_family(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Integer | FieldType::BigInteger => "integer",
        FieldType::Uuid => "uuid",
        FieldType::String | FieldType::Text | FieldType::Hash | FieldType::Csv => "string",
        other => other.as_str(),
    }
}

/// A `meta` change: `None` leaves a key as it is, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct MetaChange {
    pub one_field: Option<Option<String>>,
    pub one_collection_field: Option<Option<String>>,
    pub one_allowed_collections: Option<Option<Vec<String>>>,
    pub junction_field: Option<Option<String>>,
    pub sort_field: Option<Option<String>>,
    pub one_deselect_action: Option<Deselect>,
}

impl MetaChange {
    /// Applies the change to `r`.
    pub fn apply(self, r: &mut Relation) {
        if let Some(v) = self.one_field {
            r.one_field = v;
        }
        if let Some(v) = self.one_collection_field {
            r.one_collection_field = v;
        }
        if let Some(v) = self.one_allowed_collections {
            r.one_allowed_collections = v;
        }
        if let Some(v) = self.junction_field {
            r.junction_field = v;
        }
        if let Some(v) = self.sort_field {
            r.sort_field = v;
        }
        if let Some(v) = self.one_deselect_action {
            r.one_deselect_action = v;
        }
    }
}

/// The requested referential actions (`None`: not given).
#[derive(Debug, Default)]
pub struct SchemaChangeIn {
    pub on_delete: Option<&'static str>,
    pub on_update: Option<&'static str>,
}

/// The body's object, or the error Directus gives for anything else.
pub fn object(body: &Value) -> Result<&Map<String, Value>> {
    body.as_object()
        .ok_or_else(|| ApiError::invalid_payload("Payload must be an object"))
}

/// A required name (`collection`, `field`).
pub fn required_name(o: &Map<String, Value>, key: &str) -> Result<String> {
    match o.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(ApiError::invalid_payload(format!("\"{key}\" is required"))),
    }
}

/// `related_collection`: a name or null.
pub fn related(o: &Map<String, Value>) -> Result<Option<String>> {
    match o.get("related_collection") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_payload(
            "\"related_collection\" must be a collection name or null",
        )),
    }
}

fn action(o: &Map<String, Value>, key: &str) -> Result<Option<&'static str>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => foreign_keys::parse_action(s).map(Some).ok_or_else(|| {
            ApiError::invalid_payload(format!(
                "\"schema.{key}\" must be one of {}",
                ACTIONS.join(", ")
            ))
        }),
        Some(_) => Err(ApiError::invalid_payload(format!(
            "\"schema.{key}\" must be a string"
        ))),
    }
}

/// `schema`: `{on_delete?, on_update?}` or null.
pub fn schema_in(o: &Map<String, Value>) -> Result<Option<SchemaChangeIn>> {
    match o.get("schema") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(s)) => Ok(Some(SchemaChangeIn {
            on_delete: action(s, "on_delete")?,
            on_update: action(s, "on_update")?,
        })),
        Some(_) => Err(ApiError::invalid_payload(
            "\"schema\" must be an object or null",
        )),
    }
}

fn name_of(m: &Map<String, Value>, key: &str) -> Result<Option<Option<String>>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if valid_name(s) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ApiError::invalid_payload(format!(
            "\"meta.{key}\" must be a field name or null"
        ))),
    }
}

/// `meta`: the keys Directus lets a client set; the rest (`id`, `many_collection`, …) are
/// decided by the server and ignored.
pub fn meta_in(o: &Map<String, Value>) -> Result<MetaChange> {
    let m = match o.get("meta") {
        None | Some(Value::Null) => return Ok(MetaChange::default()),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(ApiError::invalid_payload(
                "\"meta\" must be an object or null",
            ));
        }
    };
    let one_allowed_collections = match m.get("one_allowed_collections") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v @ (Value::Array(_) | Value::String(_))) => {
            let list = crate::schema::relations::allowed_list(v).unwrap_or_default();
            if v.as_array().is_some_and(|a| a.len() != list.len())
                || list.iter().any(|c| !valid_name(c))
            {
                return Err(ApiError::invalid_payload(
                    "\"meta.one_allowed_collections\" must list collection names",
                ));
            }
            Some((!list.is_empty()).then_some(list))
        }
        Some(_) => {
            return Err(ApiError::invalid_payload(
                "\"meta.one_allowed_collections\" must be a list of collection names or null",
            ));
        }
    };
    let one_deselect_action = match m.get("one_deselect_action") {
        None => None,
        Some(Value::Null) => Some(Deselect::Nullify),
        Some(Value::String(s)) => Some(Deselect::parse(s).ok_or_else(|| {
            ApiError::invalid_payload(
                "\"meta.one_deselect_action\" must be \"nullify\" or \"delete\"",
            )
        })?),
        Some(_) => {
            return Err(ApiError::invalid_payload(
                "\"meta.one_deselect_action\" must be \"nullify\" or \"delete\"",
            ));
        }
    };
    Ok(MetaChange {
        one_field: name_of(m, "one_field")?,
        one_collection_field: name_of(m, "one_collection_field")?,
        one_allowed_collections,
        junction_field: name_of(m, "junction_field")?,
        sort_field: name_of(m, "sort_field")?,
        one_deselect_action,
    })
}

/// The collection a relation's many side may be: a table that is no system collection.
pub fn many_side<'a>(schema: &'a Schema, name: &str) -> Result<&'a Collection> {
    let c = schema
        .collection(name)
        .ok_or_else(|| ApiError::invalid_payload(format!("Collection \"{name}\" doesn't exist")))?;
    if c.system {
        return Err(ApiError::invalid_payload(format!(
            "Relations of system collection \"{name}\" can't be created or changed"
        )));
    }
    Ok(c)
}

/// The many side's field: a column of it.
pub fn many_field<'a>(c: &'a Collection, field: &str) -> Result<&'a crate::schema::Field> {
    c.field(field).ok_or_else(|| {
        ApiError::invalid_payload(format!(
            "Field \"{field}\" doesn't exist in collection \"{}\"",
            c.name
        ))
    })
}

fn column_of(c: &Collection, key: &str, field: Option<&str>) -> Result<()> {
    match field {
        Some(f) if c.field(f).is_none() => Err(ApiError::invalid_payload(format!(
            "\"meta.{key}\" names field \"{f}\", which doesn't exist in collection \"{}\"",
            c.name
        ))),
        _ => Ok(()),
    }
}

/// Whether the relation `r` (new, or `r` after a change) fits the schema: its related side
/// exists with a primary key of the column's type, the meta fields it names are where they
/// must be, and its o2m alias is no column and no other relation's.
pub fn check(schema: &Schema, r: &Relation) -> Result<()> {
    let many = many_side(schema, &r.many_collection)?;
    let column = many_field(many, &r.many_field)?;
    column_of(many, "junction_field", r.junction_field.as_deref())?;
    column_of(many, "sort_field", r.sort_field.as_deref())?;
    column_of(
        many,
        "one_collection_field",
        r.one_collection_field.as_deref(),
    )?;
    let Some(one) = r.one_collection.as_deref() else {
        let allowed = r.one_allowed_collections.as_deref().unwrap_or_default();
        if allowed.is_empty() || r.one_collection_field.is_none() {
            return Err(ApiError::invalid_payload(
                "\"related_collection\" is required, unless \"meta.one_allowed_collections\" and \
                 \"meta.one_collection_field\" describe a many-to-any relation",
            ));
        }
        if let Some(missing) = allowed.iter().find(|c| schema.collection(c).is_none()) {
            return Err(ApiError::invalid_payload(format!(
                "Collection \"{missing}\" doesn't exist"
            )));
        }
        if r.one_field.is_some() {
            return Err(ApiError::invalid_payload(
                "\"meta.one_field\" needs a \"related_collection\"",
            ));
        }
        return Ok(());
    };
    let related = schema
        .collection(one)
        .ok_or_else(|| ApiError::invalid_payload(format!("Collection \"{one}\" doesn't exist")))?;
    let pk = related.primary_field().ok_or_else(|| {
        ApiError::invalid_payload(format!("Collection \"{one}\" has no primary key"))
    })?;
    if key_family(column.kind) != key_family(pk.kind) {
        return Err(ApiError::invalid_payload(format!(
            "Field \"{}\" in collection \"{}\" is of type {}, but the primary key \"{}\" of \
             collection \"{one}\" is of type {}",
            column.name,
            many.name,
            column.kind.as_str(),
            pk.name,
            pk.kind.as_str()
        )));
    }
    if let Some(alias) = r.one_field.as_deref() {
        if related.field(alias).is_some() {
            return Err(ApiError::invalid_payload(format!(
                "\"meta.one_field\" \"{alias}\" is a column of collection \"{one}\"; a \
                 one-to-many field must be an alias"
            )));
        }
        let taken = schema.relations().iter().any(|o| {
            o.one_collection.as_deref() == Some(one)
                && o.one_field.as_deref() == Some(alias)
                && (o.many_collection != r.many_collection || o.many_field != r.many_field)
        });
        if taken {
            return Err(ApiError::invalid_payload(format!(
                "Field \"{alias}\" in collection \"{one}\" already belongs to another relationship"
            )));
        }
    }
    Ok(())
}

/// SET NULL needs a column that can be null.
pub fn check_nullable(c: &Collection, field: &str, on_delete: &str, on_update: &str) -> Result<()> {
    let nullable = c.field(field).is_some_and(|f| f.nullable);
    for (key, action) in [("on_delete", on_delete), ("on_update", on_update)] {
        if action == "SET NULL" && !nullable {
            return Err(ApiError::invalid_payload(format!(
                "\"schema.{key}\" can't be SET NULL: field \"{field}\" in collection \"{}\" \
                 is not nullable",
                c.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn families_group_key_types() {
        assert_eq!(
            key_family(FieldType::Integer),
            key_family(FieldType::BigInteger)
        );
        assert_ne!(key_family(FieldType::Integer), key_family(FieldType::Uuid));
        assert_eq!(key_family(FieldType::String), key_family(FieldType::Text));
        assert_ne!(key_family(FieldType::String), key_family(FieldType::Uuid));
    }

    #[test]
    fn meta_keys_are_checked() {
        let body = json!({"meta": {"one_field": "articles", "one_deselect_action": "delete",
                                   "id": 7, "one_allowed_collections": "a,b"}});
        let m = meta_in(object(&body).unwrap()).unwrap();
        assert_eq!(m.one_field, Some(Some("articles".to_owned())));
        assert_eq!(m.one_deselect_action, Some(Deselect::Delete));
        assert_eq!(
            m.one_allowed_collections,
            Some(Some(vec!["a".to_owned(), "b".to_owned()]))
        );
        assert!(m.sort_field.is_none());
        for bad in [
            json!({"meta": {"one_deselect_action": "explode"}}),
            json!({"meta": {"one_field": 5}}),
            json!({"meta": {"one_field": "a b"}}),
            json!({"meta": {"one_allowed_collections": [1]}}),
            json!({"meta": "x"}),
        ] {
            assert!(meta_in(object(&bad).unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn schema_actions_are_checked() {
        let s = schema_in(object(&json!({"schema": {"on_delete": "cascade"}})).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(s.on_delete, Some("CASCADE"));
        assert_eq!(s.on_update, None);
        assert!(schema_in(object(&json!({"schema": {"on_delete": "DROP"}})).unwrap()).is_err());
        assert!(
            schema_in(object(&json!({"schema": null})).unwrap())
                .unwrap()
                .is_none()
        );
    }
}
