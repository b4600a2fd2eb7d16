//! `/collections` and `/fields`: the schema the Data pages and the builder's collection
//! pickers show.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiRequest};

/// A collection as `/collections` returns it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Collection {
    /// Table name.
    pub collection: String,
    /// Directus meta (may be null for tables without meta).
    #[serde(default)]
    pub meta: Option<Value>,
    /// Database info (null for folders).
    #[serde(default)]
    pub schema: Option<Value>,
}

impl Collection {
    /// System collections (`directus_*` and Sluice's own tables).
    pub fn is_system(&self) -> bool {
        self.collection.starts_with("directus_") || self.collection.starts_with("sluice_")
    }

    /// A folder groups collections and has no table.
    pub fn is_folder(&self) -> bool {
        self.schema.is_none()
    }

    /// The collection's note, if any.
    pub fn note(&self) -> Option<String> {
        self.meta
            .as_ref()
            .and_then(|m| m.get("note"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// A field as `/fields/{collection}` returns it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Field {
    /// Collection name.
    pub collection: String,
    /// Column name.
    pub field: String,
    /// Directus type (`string`, `integer`, …; `alias` for virtual fields).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Column info.
    #[serde(default)]
    pub schema: Option<Value>,
    /// Directus meta.
    #[serde(default)]
    pub meta: Option<Value>,
}

impl Field {
    fn schema_flag(&self, name: &str) -> bool {
        self.schema
            .as_ref()
            .and_then(|s| s.get(name))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The primary key column.
    pub fn is_primary_key(&self) -> bool {
        self.schema_flag("is_primary_key")
    }

    /// Filled in by the database (auto-increment).
    pub fn is_auto(&self) -> bool {
        self.schema_flag("has_auto_increment")
    }

    /// May be left empty.
    pub fn is_nullable(&self) -> bool {
        self.schema
            .as_ref()
            .and_then(|s| s.get("is_nullable"))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// A column in the table (not an alias).
    pub fn is_column(&self) -> bool {
        self.schema.is_some() && self.kind != "alias"
    }
}

/// The field types the create-collection form offers.
pub const FIELD_TYPES: [(&str, &str); 14] = [
    ("string", "Text (short)"),
    ("text", "Text (long)"),
    ("integer", "Whole number"),
    ("bigInteger", "Big whole number"),
    ("float", "Decimal number (float)"),
    ("decimal", "Decimal number (exact)"),
    ("boolean", "Yes / no"),
    ("json", "JSON"),
    ("uuid", "UUID"),
    ("date", "Date"),
    ("time", "Time"),
    ("dateTime", "Date and time"),
    ("timestamp", "Timestamp"),
    ("csv", "List of values (CSV)"),
];

/// `GET /collections`.
pub async fn collections(token: String) -> Result<Vec<Collection>, ApiError> {
    ApiRequest::get("/collections").bearer(&token).send().await
}

/// `GET /fields/{collection}`.
pub async fn fields(token: String, collection: String) -> Result<Vec<Field>, ApiError> {
    ApiRequest::get(&format!("/fields/{collection}"))
        .bearer(&token)
        .send()
        .await
}

/// The pseudo-type of the add-field forms for a many-to-one field: a key of another
/// collection, typed like that collection's primary key when it is created.
pub const M2O: (&str, &str) = ("m2o", "Many to one");

/// One field of the create-collection and add-field forms.
#[derive(Clone, Debug, PartialEq)]
pub struct NewField {
    /// Column name.
    pub field: String,
    /// Directus type, or [`M2O`]'s.
    pub kind: String,
    /// Required (not nullable).
    pub required: bool,
    /// Default value as typed (empty = none).
    pub default_value: String,
    /// For a many-to-one field: the related collection.
    pub related: String,
    /// For a many-to-one field: also add the list of this collection's items on the related
    /// collection (an o2m alias named after this collection).
    pub list_on_related: bool,
}

impl NewField {
    /// A blank row of a form (a short text field).
    pub fn blank() -> Self {
        Self {
            field: String::new(),
            kind: "string".into(),
            required: false,
            default_value: String::new(),
            related: String::new(),
            list_on_related: false,
        }
    }

    /// A many-to-one field.
    pub fn is_m2o(&self) -> bool {
        self.kind == M2O.0
    }

    /// The `POST /fields` body of a plain (not relational) field.
    pub fn to_json(&self) -> Value {
        let default = if self.default_value.is_empty() {
            Value::Null
        } else {
            typed_default(&self.kind, &self.default_value)
        };
        json!({
            "field": self.field,
            "type": self.kind,
            "schema": {"is_nullable": !self.required, "default_value": default},
            "meta": {"required": self.required},
        })
    }
}

/// The `POST /collections` body: the name and its fields (the server adds an auto-increment
/// `id`).
pub fn collection_body(collection: &str, fields: Vec<Value>) -> Value {
    json!({"collection": collection, "schema": {}, "meta": {}, "fields": fields})
}

/// A default value typed for the column (numbers and booleans are not strings).
fn typed_default(kind: &str, text: &str) -> Value {
    match kind {
        "integer" | "bigInteger" => text
            .parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        "float" | "decimal" => text
            .parse::<f64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        "boolean" => json!(matches!(text, "true" | "1" | "yes")),
        _ => json!(text),
    }
}
