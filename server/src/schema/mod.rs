//! The schema the data layer works against: every table (system and user) with its fields,
//! types and Directus metadata, read by introspecting the database and overlaying
//! `directus_collections`/`directus_fields`. Held in memory and swapped after each change.

pub mod ddl;
pub mod introspect;

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value, json};

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

    /// The `schema` object Directus shows for a field.
    pub fn schema_json(&self, table: &str) -> Value {
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
            "foreign_key_table": null,
            "foreign_key_column": null,
        })
    }

    /// The whole field as `/fields` answers it.
    pub fn to_json(&self, collection: &str) -> Value {
        json!({
            "collection": collection,
            "field": self.name,
            "type": self.kind.as_str(),
            "schema": self.schema_json(collection),
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
    pub fields: Vec<Field>,
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

    /// `/collections` shape.
    pub fn to_json(&self) -> Value {
        json!({
            "collection": self.name,
            "meta": self.meta,
            "schema": { "name": self.name },
        })
    }
}

/// Every collection by name.
#[derive(Debug, Default)]
pub struct Schema {
    collections: HashMap<String, Arc<Collection>>,
}

impl Schema {
    pub fn new(collections: Vec<Collection>) -> Schema {
        Schema {
            collections: collections
                .into_iter()
                .map(|c| (c.name.clone(), Arc::new(c)))
                .collect(),
        }
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
