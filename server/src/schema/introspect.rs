//! Reads the live database schema (SQLite pragmas, PostgreSQL catalogs) — columns, keys and
//! foreign keys — and overlays the Directus metadata rows, producing the `Schema` the data
//! layer uses.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, QueryResult, Statement};
use serde_json::{Value, json};

use super::{Collection, Field, FieldType, Schema};
use crate::db::is_postgres;

/// A column as the database describes it.
struct RawColumn {
    table: String,
    name: String,
    kind: FieldType,
    nullable: bool,
    default_value: Option<Value>,
    max_length: Option<u32>,
    precision: Option<u32>,
    scale: Option<u32>,
    auto_increment: bool,
}

/// Loads the whole schema.
pub async fn load(db: &DatabaseConnection) -> Result<Schema, DbErr> {
    let (columns, keys) = if is_postgres(db) {
        (pg_columns(db).await?, pg_keys(db).await?)
    } else {
        (sqlite_columns(db).await?, sqlite_keys(db).await?)
    };
    let field_meta = field_meta(db).await?;
    let collection_meta = collection_meta(db).await?;
    let mut foreign_keys = super::foreign_keys::load_all(db).await?;

    let mut by_table: HashMap<String, Vec<Field>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let column_keys: HashSet<(String, String)> = columns
        .iter()
        .map(|c| (c.table.clone(), c.name.clone()))
        .collect();
    for c in columns {
        if c.table == "seaql_migrations" || c.table.starts_with("sqlite_") {
            continue;
        }
        let key = (c.table.clone(), c.name.clone());
        let meta = field_meta.get(&key).cloned();
        let mut special: Vec<String> = meta
            .as_ref()
            .and_then(|m| m.get("special"))
            .map(special_list)
            .unwrap_or_default();
        for s in builtin_special(&c.table, &c.name) {
            if !special.iter().any(|x| x == s) {
                special.push((*s).to_owned());
            }
        }
        let mut kind = c.kind;
        if kind == FieldType::Text && special.iter().any(|s| s == "cast-csv") {
            kind = FieldType::Csv;
        }
        if matches!(kind, FieldType::Text | FieldType::String)
            && special.iter().any(|s| s == "cast-json")
        {
            kind = FieldType::Json;
        }
        if kind == FieldType::String && special.iter().any(|s| s == "hash") {
            kind = FieldType::Hash;
        }
        // SQLite stores boolean defaults as 1/0.
        let default_value = match (kind, c.default_value) {
            (FieldType::Boolean, Some(Value::Number(n))) => Some(json!(n.as_f64() != Some(0.0))),
            (_, d) => d,
        };
        let (primary, unique) = keys.get(&key).map(|k| (k.0, k.1)).unwrap_or((false, false));
        if !by_table.contains_key(&c.table) {
            order.push(c.table.clone());
        }
        by_table.entry(c.table.clone()).or_default().push(Field {
            name: c.name,
            kind,
            nullable: c.nullable && !primary,
            unique,
            primary_key: primary,
            auto_increment: c.auto_increment && primary,
            default_value,
            max_length: c.max_length,
            numeric_precision: c.precision,
            numeric_scale: c.scale,
            special,
            meta,
        });
    }
    let collections = order
        .into_iter()
        .filter_map(|table| {
            let mut fields = by_table.remove(&table)?;
            fields.sort_by_key(|f| {
                f.meta
                    .as_ref()
                    .and_then(|m| m.get("sort"))
                    .and_then(Value::as_i64)
                    .unwrap_or(i64::MAX)
            });
            let meta = collection_meta.get(&table).cloned().or_else(|| {
                table.starts_with("directus_").then(|| {
                    json!({"collection": table, "system": true, "hidden": false,
                                     "singleton": table == "directus_settings"})
                })
            });
            let mut collection = Collection::new(table, fields, meta);
            collection.aliases = aliases_of(&collection.name, &field_meta, &column_keys);
            collection.foreign_keys = foreign_keys.remove(&collection.name).unwrap_or_default();
            Some(collection)
        })
        .collect();
    let mut all = super::relations::system();
    all.extend(user_relations(db).await?);
    Ok(Schema::with_relations(collections, all))
}

/// The `directus_fields` rows of a table that have no column (`type: alias`), by `sort`.
fn aliases_of(
    table: &str,
    field_meta: &HashMap<(String, String), Value>,
    columns: &HashSet<(String, String)>,
) -> Vec<super::AliasField> {
    let mut out: Vec<super::AliasField> = field_meta
        .iter()
        .filter(|((t, f), _)| t == table && !columns.contains(&(t.clone(), f.clone())))
        .map(|((_, f), meta)| super::AliasField {
            name: f.clone(),
            special: meta.get("special").map(special_list).unwrap_or_default(),
            meta: Some(meta.clone()),
        })
        .collect();
    out.sort_by_key(|a| {
        (
            a.meta
                .as_ref()
                .and_then(|m| m.get("sort"))
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX),
            a.name.clone(),
        )
    });
    out
}

/// The rows of `directus_relations`.
async fn user_relations(db: &DatabaseConnection) -> Result<Vec<super::Relation>, DbErr> {
    let rows = query(
        db,
        // `id` is INT4 on PostgreSQL; read every backend's as a 64-bit integer.
        "SELECT CAST(id AS BIGINT) AS id, many_collection, many_field, one_collection, one_field, \
         one_collection_field, one_allowed_collections, junction_field, sort_field, \
         one_deselect_action FROM directus_relations ORDER BY id",
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let text = |c: &str| get_str(&row, c);
        out.push(super::Relation {
            id: get_int(&row, "id")?,
            many_collection: text("many_collection")?.unwrap_or_default(),
            many_field: text("many_field")?.unwrap_or_default(),
            one_collection: text("one_collection")?,
            one_field: text("one_field")?,
            one_collection_field: text("one_collection_field")?,
            one_allowed_collections: text("one_allowed_collections")?
                .and_then(|s| super::relations::allowed_list(&Value::String(s))),
            junction_field: text("junction_field")?,
            sort_field: text("sort_field")?,
            one_deselect_action: text("one_deselect_action")?
                .as_deref()
                .and_then(super::Deselect::parse)
                .unwrap_or(super::Deselect::Nullify),
            system: false,
            foreign_key: None,
        });
    }
    Ok(out)
}

/// Specials Directus attaches to its own system fields in code.
fn builtin_special(table: &str, field: &str) -> &'static [&'static str] {
    match (table, field) {
        ("directus_users", "password") => &["hash", "conceal"],
        ("directus_users", "token" | "tfa_secret") => &["conceal"],
        ("directus_permissions", "fields") | ("directus_policies", "ip_access") => &["cast-csv"],
        ("directus_fields", "special") => &["cast-csv"],
        ("directus_flows" | "directus_operations", "date_created") => &["date-created"],
        ("directus_flows" | "directus_operations", "user_created") => &["user-created"],
        ("directus_activity" | "directus_notifications", "timestamp") => &["date-created"],
        (
            "directus_users"
            | "directus_roles"
            | "directus_policies"
            | "directus_access"
            | "directus_flows"
            | "directus_operations",
            "id",
        ) => &["uuid"],
        _ => &[],
    }
}

fn special_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn get_str(row: &QueryResult, col: &str) -> Result<Option<String>, DbErr> {
    row.try_get::<Option<String>>("", col)
}

fn get_int(row: &QueryResult, col: &str) -> Result<Option<i64>, DbErr> {
    row.try_get::<Option<i64>>("", col)
}

async fn query(db: &DatabaseConnection, sql: &str) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
}

/// Declared SQLite type (and PostgreSQL udt name) → Directus type, with length and precision.
fn map_type(declared: &str) -> (FieldType, Option<u32>, Option<u32>, Option<u32>) {
    let lower = declared.trim().to_ascii_lowercase();
    let (base, args) = match lower.split_once('(') {
        Some((b, rest)) => (b.trim().to_owned(), rest.trim_end_matches(')').to_owned()),
        None => (lower.clone(), String::new()),
    };
    let nums: Vec<u32> = args
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let first = nums.first().copied();
    let second = nums.get(1).copied();
    let kind = match base.as_str() {
        "varchar" | "character varying" | "char" | "character" | "bpchar" | "string"
        | "nvarchar" => return (FieldType::String, first.or(Some(255)), None, None),
        "text" | "clob" | "name" => FieldType::Text,
        "integer" | "int" | "int4" | "int2" | "smallint" | "mediumint" | "tinyint" => {
            FieldType::Integer
        }
        "bigint" | "int8" | "big_integer" | "integer_big" => FieldType::BigInteger,
        "real" | "float" | "float4" | "float8" | "double" | "double precision" => FieldType::Float,
        "decimal" | "numeric" => {
            return (
                FieldType::Decimal,
                None,
                first.or(Some(10)),
                second.or(Some(5)),
            );
        }
        "boolean" | "bool" => FieldType::Boolean,
        "json" | "jsonb" | "json_text" | "jsonb_text" => FieldType::Json,
        "uuid" | "uuid_text" | "uuid_blob" => FieldType::Uuid,
        "date" | "date_text" => FieldType::Date,
        "time" | "time_text" | "time without time zone" => FieldType::Time,
        // PostgreSQL's udt `timestamp` is `timestamp without time zone`: Directus's dateTime.
        "datetime"
        | "datetime_text"
        | "timestamp"
        | "timestamp_text"
        | "timestamp without time zone" => FieldType::DateTime,
        "timestamptz"
        | "timestamp_with_timezone_text"
        | "timestamp_with_timezone"
        | "timestamp with time zone" => FieldType::Timestamp,
        _ => FieldType::Unknown,
    };
    (kind, None, None, None)
}

/// A column default as the database prints it → JSON.
fn parse_default(raw: Option<String>) -> Option<Value> {
    let raw = raw?;
    let mut s = raw.trim();
    if s.eq_ignore_ascii_case("null") || s.starts_with("nextval(") {
        return None;
    }
    // PostgreSQL: 'x'::character varying
    if let Some((value, _cast)) = s.split_once("::") {
        s = value.trim();
    }
    let s = s.trim_start_matches('(').trim_end_matches(')');
    if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') {
        return Some(Value::String(s[1..s.len() - 1].replace("''", "'")));
    }
    let upper = s.to_ascii_uppercase();
    if upper == "CURRENT_TIMESTAMP" || upper == "NOW()" || upper == "CURRENT_TIMESTAMP()" {
        return Some(json!("CURRENT_TIMESTAMP"));
    }
    match upper.as_str() {
        "TRUE" => return Some(json!(true)),
        "FALSE" => return Some(json!(false)),
        _ => {}
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(json!(i));
    }
    if let Ok(f) = s.parse::<f64>() {
        return Some(json!(f));
    }
    Some(Value::String(s.to_owned()))
}

async fn sqlite_columns(db: &DatabaseConnection) -> Result<Vec<RawColumn>, DbErr> {
    let rows = query(
        db,
        "SELECT m.name AS tbl, p.name AS col, p.type AS decl, p.\"notnull\" AS nn, \
         p.dflt_value AS dflt, p.pk AS pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' ORDER BY m.name, p.cid",
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let decl = get_str(&r, "decl")?.unwrap_or_default();
        let (kind, max_length, precision, scale) = map_type(&decl);
        let pk = get_int(&r, "pk")?.unwrap_or(0) > 0;
        out.push(RawColumn {
            table: get_str(&r, "tbl")?.unwrap_or_default(),
            name: get_str(&r, "col")?.unwrap_or_default(),
            kind,
            nullable: get_int(&r, "nn")?.unwrap_or(0) == 0,
            default_value: parse_default(get_str(&r, "dflt")?),
            max_length,
            precision,
            scale,
            auto_increment: pk && decl.eq_ignore_ascii_case("integer"),
        });
    }
    Ok(out)
}

type Keys = HashMap<(String, String), (bool, bool)>;

async fn sqlite_keys(db: &DatabaseConnection) -> Result<Keys, DbErr> {
    let mut keys: Keys = HashMap::new();
    let pks = query(
        db,
        "SELECT m.name AS tbl, p.name AS col FROM sqlite_master m \
         JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.pk > 0",
    )
    .await?;
    for r in pks {
        let key = (
            get_str(&r, "tbl")?.unwrap_or_default(),
            get_str(&r, "col")?.unwrap_or_default(),
        );
        keys.entry(key).or_default().0 = true;
    }
    let uniques = query(
        db,
        "SELECT m.name AS tbl, ii.name AS col FROM sqlite_master m \
         JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii \
         WHERE m.type = 'table' AND il.\"unique\" = 1 \
         AND (SELECT count(*) FROM pragma_index_info(il.name)) = 1",
    )
    .await?;
    for r in uniques {
        let key = (
            get_str(&r, "tbl")?.unwrap_or_default(),
            get_str(&r, "col")?.unwrap_or_default(),
        );
        keys.entry(key).or_default().1 = true;
    }
    Ok(keys)
}

async fn pg_columns(db: &DatabaseConnection) -> Result<Vec<RawColumn>, DbErr> {
    let rows = query(
        db,
        "SELECT c.table_name::text AS tbl, c.column_name::text AS col, c.udt_name::text AS udt, \
         c.is_nullable::text AS nullable, c.column_default::text AS dflt, \
         c.character_maximum_length::int8 AS maxlen, c.numeric_precision::int8 AS prec, \
         c.numeric_scale::int8 AS scale, c.is_identity::text AS ident \
         FROM information_schema.columns c JOIN information_schema.tables t \
         ON t.table_name = c.table_name AND t.table_schema = c.table_schema \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let udt = get_str(&r, "udt")?.unwrap_or_default();
        let (kind, _, _, _) = map_type(&udt);
        let dflt = get_str(&r, "dflt")?;
        let auto = dflt.as_deref().is_some_and(|d| d.starts_with("nextval("))
            || get_str(&r, "ident")?.as_deref() == Some("YES");
        let to_u32 = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok());
        out.push(RawColumn {
            table: get_str(&r, "tbl")?.unwrap_or_default(),
            name: get_str(&r, "col")?.unwrap_or_default(),
            kind,
            nullable: get_str(&r, "nullable")?.as_deref() == Some("YES"),
            default_value: parse_default(dflt),
            max_length: to_u32(get_int(&r, "maxlen")?),
            precision: if kind == FieldType::Decimal {
                to_u32(get_int(&r, "prec")?)
            } else {
                None
            },
            scale: if kind == FieldType::Decimal {
                to_u32(get_int(&r, "scale")?)
            } else {
                None
            },
            auto_increment: auto,
        });
    }
    Ok(out)
}

async fn pg_keys(db: &DatabaseConnection) -> Result<Keys, DbErr> {
    let rows = query(
        db,
        "SELECT t.relname::text AS tbl, a.attname::text AS col, i.indisprimary AS pk, \
         i.indisunique AS uq FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] \
         WHERE n.nspname = current_schema() AND i.indnatts = 1",
    )
    .await?;
    let mut keys: Keys = HashMap::new();
    for r in rows {
        let key = (
            get_str(&r, "tbl")?.unwrap_or_default(),
            get_str(&r, "col")?.unwrap_or_default(),
        );
        let pk = r.try_get::<Option<bool>>("", "pk")?.unwrap_or(false);
        let uq = r.try_get::<Option<bool>>("", "uq")?.unwrap_or(false);
        let e = keys.entry(key).or_default();
        e.0 |= pk;
        e.1 |= uq && !pk;
    }
    Ok(keys)
}

/// `directus_fields` rows keyed by (collection, field), as JSON objects.
async fn field_meta(db: &DatabaseConnection) -> Result<HashMap<(String, String), Value>, DbErr> {
    use entity::prelude::DirectusFields;
    use sea_orm::EntityTrait;
    let rows = DirectusFields::find().all(db).await?;
    let mut out = HashMap::new();
    for row in rows {
        let key = (row.collection.clone(), row.field.clone());
        let mut value = serde_json::to_value(&row).map_err(|e| DbErr::Custom(e.to_string()))?;
        if let Some(obj) = value.as_object_mut() {
            let special = obj.get("special").map(special_list);
            obj.insert(
                "special".into(),
                special.map_or(Value::Null, |s| {
                    if s.is_empty() { Value::Null } else { json!(s) }
                }),
            );
        }
        out.insert(key, value);
    }
    Ok(out)
}

async fn collection_meta(db: &DatabaseConnection) -> Result<HashMap<String, Value>, DbErr> {
    use entity::prelude::DirectusCollections;
    use sea_orm::EntityTrait;
    let rows = DirectusCollections::find().all(db).await?;
    let mut out = HashMap::new();
    for row in rows {
        let name = row.collection.clone();
        let mut value = serde_json::to_value(&row).map_err(|e| DbErr::Custom(e.to_string()))?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("system".into(), json!(false));
        }
        out.insert(name, value);
    }
    Ok(out)
}

/// Names of every table (for existence checks before DDL).
pub fn table_names(schema: &Schema) -> HashSet<String> {
    schema
        .collections()
        .iter()
        .map(|c| c.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_map() {
        assert_eq!(map_type("varchar(64)").0, FieldType::String);
        assert_eq!(map_type("varchar(64)").1, Some(64));
        assert_eq!(map_type("uuid_text").0, FieldType::Uuid);
        assert_eq!(map_type("jsonb_text").0, FieldType::Json);
        assert_eq!(
            map_type("timestamp_with_timezone_text").0,
            FieldType::Timestamp
        );
        assert_eq!(map_type("INTEGER").0, FieldType::Integer);
        assert_eq!(map_type("int8").0, FieldType::BigInteger);
        assert_eq!(
            map_type("numeric(12,2)"),
            (FieldType::Decimal, None, Some(12), Some(2))
        );
        assert_eq!(map_type("timestamptz").0, FieldType::Timestamp);
        assert_eq!(map_type("timestamp").0, FieldType::DateTime);
        assert_eq!(map_type("datetime_text").0, FieldType::DateTime);
    }

    #[test]
    fn defaults_parse() {
        assert_eq!(
            parse_default(Some("'active'".into())),
            Some(json!("active"))
        );
        assert_eq!(
            parse_default(Some("'open'::character varying".into())),
            Some(json!("open"))
        );
        assert_eq!(parse_default(Some("25".into())), Some(json!(25)));
        assert_eq!(parse_default(Some("true".into())), Some(json!(true)));
        assert_eq!(
            parse_default(Some("nextval('x_id_seq'::regclass)".into())),
            None
        );
        assert_eq!(
            parse_default(Some("CURRENT_TIMESTAMP".into())),
            Some(json!("CURRENT_TIMESTAMP"))
        );
        assert_eq!(parse_default(Some("'it''s'".into())), Some(json!("it's")));
        assert_eq!(parse_default(None), None);
    }
}
