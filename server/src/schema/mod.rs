//! The schema the data layer works against: every table (system and user) with its fields,
//! types and Directus metadata, read by introspecting the database and overlaying
//! `directus_collections`/`directus_fields`. Held in memory and swapped after each change.

pub mod change;
pub mod ddl;
pub mod foreign_keys;
pub mod introspect;
mod rebuild;
pub mod relations;

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value, json};

pub use foreign_keys::ColumnForeignKey;
pub use relations::{Deselect, ForeignKey, Relation};

/// Directus field types Sluice stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    String,
    Text,
    Integer,
    BigInteger,
    Float,
    Decimal,
    Boolean,
    Json,
    Uuid,
    Date,
    Time,
    DateTime,
    Timestamp,
    Csv,
    Hash,
    /// A column of a type Sluice does not know; read as text, not filterable beyond null.
    Unknown,
}

impl FieldType {
    /// Parses a Directus type name (API input).
    pub fn parse(s: &str) -> Option<FieldType> {
        Some(match s {
            "string" => FieldType::String,
            "text" => FieldType::Text,
            "integer" => FieldType::Integer,
            "bigInteger" => FieldType::BigInteger,
            "float" => FieldType::Float,
            "decimal" => FieldType::Decimal,
            "boolean" => FieldType::Boolean,
            "json" => FieldType::Json,
            "uuid" => FieldType::Uuid,
            "date" => FieldType::Date,
            "time" => FieldType::Time,
            "dateTime" => FieldType::DateTime,
            "timestamp" => FieldType::Timestamp,
            "csv" => FieldType::Csv,
            "hash" => FieldType::Hash,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Text => "text",
            FieldType::Integer => "integer",
            FieldType::BigInteger => "bigInteger",
            FieldType::Float => "float",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Json => "json",
            FieldType::Uuid => "uuid",
            FieldType::Date => "date",
            FieldType::Time => "time",
            FieldType::DateTime => "dateTime",
            FieldType::Timestamp => "timestamp",
            FieldType::Csv => "csv",
            FieldType::Hash => "hash",
            FieldType::Unknown => "unknown",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Integer | FieldType::BigInteger | FieldType::Float | FieldType::Decimal
        )
    }

    pub fn is_integer(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::BigInteger)
    }

    pub fn is_textual(self) -> bool {
        matches!(
            self,
            FieldType::String | FieldType::Text | FieldType::Csv | FieldType::Hash
        )
    }

    pub fn is_temporal(self) -> bool {
        matches!(
            self,
            FieldType::Date | FieldType::Time | FieldType::DateTime | FieldType::Timestamp
        )
    }
}

/// One column.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub kind: FieldType,
    pub nullable: bool,
    pub unique: bool,
    pub primary_key: bool,
    pub auto_increment: bool,
    /// The column default as JSON (`None` = no default).
    pub default_value: Option<Value>,
    pub max_length: Option<u32>,
    pub numeric_precision: Option<u32>,
    pub numeric_scale: Option<u32>,
    /// `meta.special` flags (`uuid`, `date-created`, `cast-json`, `hash`, `conceal`, …).
    pub special: Vec<String>,
    /// The `directus_fields` row as JSON (`None` when the field has no meta row).
    pub meta: Option<Value>,
}

impl Field {
    pub fn has_special(&self, s: &str) -> bool {
        self.special.iter().any(|x| x == s)
    }

    /// Values of this field never leave the server: reads show `**********` when set, and
    /// queries may not sort, group, aggregate (beyond `count`) or compare by them. Hashed
    /// fields are concealed too, whatever their column type.
    pub fn concealed(&self) -> bool {
        self.has_special("conceal") || self.hashed()
    }

    /// Values are argon2-hashed on write.
    pub fn hashed(&self) -> bool {
        self.has_special("hash") || self.kind == FieldType::Hash
    }

    /// Whether `search` looks at this field (`meta.searchable`, default true).
    pub fn searchable(&self) -> bool {
        self.meta
            .as_ref()
            .and_then(|m| m.get("searchable"))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// The `schema` object Directus shows for a field (`fk`: the column's foreign key).
    pub fn schema_json(&self, table: &str, fk: Option<&ColumnForeignKey>) -> Value {
        json!({
            "name": self.name,
            "table": table,
            "data_type": self.kind.as_str(),
            "default_value": self.default_value,
            "max_length": self.max_length,
            "numeric_precision": self.numeric_precision,
            "numeric_scale": self.numeric_scale,
            "is_nullable": self.nullable,
            "is_unique": self.unique || self.primary_key,
            "is_primary_key": self.primary_key,
            "has_auto_increment": self.auto_increment,
            "foreign_key_table": fk.map(|f| f.foreign_table.as_str()),
            "foreign_key_column": fk.map(|f| f.foreign_column.as_str()),
        })
    }
}

/// A field without a column (`type: alias`): the o2m/m2m side of a relation, or a
/// presentation field of the Data Studio.
#[derive(Clone, Debug)]
pub struct AliasField {
    pub name: String,
    pub special: Vec<String>,
    /// The `directus_fields` row as JSON (`None`: implied by a relation's `one_field`).
    pub meta: Option<Value>,
}

impl AliasField {
    /// The field as `/fields` answers it.
    pub fn to_json(&self, collection: &str) -> Value {
        json!({
            "collection": collection,
            "field": self.name,
            "type": "alias",
            "schema": null,
            "meta": self.meta,
        })
    }
}

/// One table.
#[derive(Clone, Debug)]
pub struct Collection {
    pub name: String,
    /// Primary key field name.
    pub primary: String,
    /// The columns.
    pub fields: Vec<Field>,
    /// Fields without a column, in `sort` order (o2m/m2m sides of relations first known by
    /// their `directus_fields` row, then those implied by a relation).
    pub aliases: Vec<AliasField>,
    /// The columns' foreign keys, as the database declares them. Kept here rather than on
    /// `Field` so a field stays a plain value anyone can write out.
    pub foreign_keys: Vec<ColumnForeignKey>,
    index: HashMap<String, usize>,
    /// The `directus_collections` row as JSON, if any.
    pub meta: Option<Value>,
    pub singleton: bool,
    pub system: bool,
}

impl Collection {
    pub fn new(name: String, fields: Vec<Field>, meta: Option<Value>) -> Collection {
        let index = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        let primary = fields
            .iter()
            .find(|f| f.primary_key)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| "id".into());
        let singleton = meta
            .as_ref()
            .and_then(|m| m.get("singleton"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Collection {
            system: name.starts_with("directus_") || name.starts_with("sluice_"),
            name,
            primary,
            fields,
            aliases: Vec::new(),
            foreign_keys: Vec::new(),
            index,
            meta,
            singleton,
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.index.get(name).map(|i| &self.fields[*i])
    }

    pub fn primary_field(&self) -> Option<&Field> {
        self.field(&self.primary)
    }

    pub fn alias(&self, name: &str) -> Option<&AliasField> {
        self.aliases.iter().find(|a| a.name == name)
    }

    /// The foreign key of a column, if it has one.
    pub fn foreign_key(&self, column: &str) -> Option<&ColumnForeignKey> {
        self.foreign_keys.iter().find(|f| f.column == column)
    }

    /// A column as `/fields` answers it.
    pub fn field_json(&self, f: &Field) -> Value {
        json!({
            "collection": self.name,
            "field": f.name,
            "type": f.kind.as_str(),
            "schema": f.schema_json(&self.name, self.foreign_key(&f.name)),
            "meta": f.meta,
        })
    }

    /// Every field as `/fields` lists them: the columns, then the aliases.
    pub fn fields_json(&self) -> Vec<Value> {
        self.fields
            .iter()
            .map(|f| self.field_json(f))
            .chain(self.aliases.iter().map(|a| a.to_json(&self.name)))
            .collect()
    }

    /// One field (a column or an alias) as `/fields` answers it.
    pub fn any_field_json(&self, name: &str) -> Option<Value> {
        self.field(name)
            .map(|f| self.field_json(f))
            .or_else(|| self.alias(name).map(|a| a.to_json(&self.name)))
    }

    /// `/collections` shape.
    pub fn to_json(&self) -> Value {
        json!({
            "collection": self.name,
            "meta": self.meta,
            "schema": { "name": self.name },
        })
    }
}

/// How a field links to another collection.
#[derive(Clone, Copy, Debug)]
pub enum Link<'a> {
    /// The field's column holds a key of `relation.one_collection`.
    M2o(&'a Relation),
    /// The alias lists the rows of `relation.many_collection` whose `many_field` holds this
    /// row's key.
    O2m(&'a Relation),
}

/// Every collection by name, and the relations between them.
#[derive(Debug, Default)]
pub struct Schema {
    collections: HashMap<String, Arc<Collection>>,
    relations: Vec<Relation>,
    /// collection → field → index into `relations` (looked up by `&str`, no allocation).
    m2o: HashMap<String, HashMap<String, usize>>,
    o2m: HashMap<String, HashMap<String, usize>>,
}

impl Schema {
    pub fn new(collections: Vec<Collection>) -> Schema {
        Schema::with_relations(collections, Vec::new())
    }

    /// The schema with its relations indexed. A relation is queryable when its many side is
    /// a column and its one side a collection; m2a relations and those naming what does not
    /// exist are kept for `/relations` only. A `one_field` without a `directus_fields` row
    /// still becomes an alias of the one side (Directus's system collections declare theirs
    /// in code).
    pub fn with_relations(collections: Vec<Collection>, mut relations: Vec<Relation>) -> Schema {
        let mut collections: HashMap<String, Collection> = collections
            .into_iter()
            .map(|c| (c.name.clone(), c))
            .collect();
        for r in &mut relations {
            r.foreign_key = collections
                .get(&r.many_collection)
                .and_then(|c| c.foreign_key(&r.many_field))
                .filter(|fk| r.one_collection.as_deref() == Some(fk.foreign_table.as_str()))
                .map(|fk| ForeignKey {
                    constraint_name: fk.constraint_name.clone(),
                    on_update: Some(fk.on_update.clone()),
                    on_delete: Some(fk.on_delete.clone()),
                });
        }
        let mut m2o: HashMap<String, HashMap<String, usize>> = HashMap::new();
        let mut o2m: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (i, r) in relations.iter().enumerate() {
            let Some(one) = r.one_collection.as_deref() else {
                continue;
            };
            let many_ok = collections
                .get(&r.many_collection)
                .is_some_and(|c| c.field(&r.many_field).is_some());
            if !many_ok || !collections.contains_key(one) {
                continue;
            }
            m2o.entry(r.many_collection.clone())
                .or_default()
                .insert(r.many_field.clone(), i);
            if let Some(alias) = &r.one_field
                && let Some(c) = collections.get_mut(one)
                && c.field(alias).is_none()
            {
                o2m.entry(one.to_owned())
                    .or_default()
                    .insert(alias.clone(), i);
                if c.alias(alias).is_none() {
                    let kind = if r.junction_field.is_some() {
                        "m2m"
                    } else {
                        "o2m"
                    };
                    c.aliases.push(AliasField {
                        name: alias.clone(),
                        special: vec![kind.to_owned()],
                        meta: None,
                    });
                }
            }
        }
        Schema {
            collections: collections
                .into_iter()
                .map(|(name, c)| (name, Arc::new(c)))
                .collect(),
            relations,
            m2o,
            o2m,
        }
    }

    /// Every relation, system ones first.
    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }

    /// The many-to-one relation of a column.
    pub fn m2o(&self, collection: &str, field: &str) -> Option<&Relation> {
        self.m2o
            .get(collection)
            .and_then(|m| m.get(field))
            .map(|i| &self.relations[*i])
    }

    /// The one-to-many relation behind an alias.
    pub fn o2m(&self, collection: &str, field: &str) -> Option<&Relation> {
        self.o2m
            .get(collection)
            .and_then(|m| m.get(field))
            .map(|i| &self.relations[*i])
    }

    /// How a field of a collection links elsewhere, if it does.
    pub fn link(&self, collection: &str, field: &str) -> Option<Link<'_>> {
        self.m2o(collection, field)
            .map(Link::M2o)
            .or_else(|| self.o2m(collection, field).map(Link::O2m))
    }

    pub fn collection(&self, name: &str) -> Option<&Arc<Collection>> {
        self.collections.get(name)
    }

    /// Collections sorted by name.
    pub fn collections(&self) -> Vec<&Arc<Collection>> {
        let mut all: Vec<_> = self.collections.values().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }
}

/// The shared, atomically replaced schema.
#[derive(Clone, Default)]
pub struct SchemaStore(Arc<ArcSwap<Schema>>);

impl SchemaStore {
    pub fn get(&self) -> Arc<Schema> {
        self.0.load_full()
    }

    pub async fn reload(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let schema = introspect::load(db).await?;
        self.0.store(Arc::new(schema));
        if crate::db::is_postgres(db) {
            // Statements prepared against the old columns must not be reused.
            crate::db::schema_changed();
        }
        Ok(())
    }
}

/// A `directus_fields`/`directus_collections` row's meta as an object, without `id`.
pub fn meta_object(row: Map<String, Value>) -> Value {
    Value::Object(row)
}

/// Valid collection and field names: a letter or underscore, then letters, digits, `_` or `-`,
/// at most 64 characters. Names are always quoted in SQL as well; this keeps them portable.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("orders"));
        assert!(valid_name("_x-1"));
        assert!(!valid_name(""));
        assert!(!valid_name("1abc"));
        assert!(!valid_name("a b"));
        assert!(!valid_name("a\"; DROP TABLE x; --"));
        assert!(!valid_name(&"a".repeat(65)));
    }

    #[test]
    fn types_round_trip() {
        for t in [
            "string",
            "text",
            "integer",
            "bigInteger",
            "float",
            "decimal",
            "boolean",
            "json",
            "uuid",
            "date",
            "time",
            "dateTime",
            "timestamp",
            "csv",
            "hash",
        ] {
            assert_eq!(FieldType::parse(t).unwrap().as_str(), t);
        }
        assert!(FieldType::parse("geometry").is_none());
    }
}
