//! DDL for user collections on SQLite and PostgreSQL: create and drop tables, add, alter and
//! drop columns. Identifiers are validated by the caller and always quoted here; default values
//! are rendered as escaped literals, never spliced from raw input. What SQLite cannot alter in
//! place goes through `rebuild.rs`, which keeps the table's foreign keys.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use serde_json::Value;

use super::rebuild::rebuild;
use super::{Field, FieldType, foreign_keys};

/// Everything needed to declare one column.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub kind: FieldType,
    pub nullable: bool,
    pub default_value: Option<Value>,
    pub max_length: Option<u32>,
    pub precision: Option<u32>,
    pub scale: Option<u32>,
    pub primary_key: bool,
    pub auto_increment: bool,
    pub unique: bool,
}

impl ColumnSpec {
    /// The spec of an existing field (for SQLite table rebuilds).
    pub fn from_field(f: &Field) -> ColumnSpec {
        ColumnSpec {
            name: f.name.clone(),
            kind: f.kind,
            nullable: f.nullable,
            default_value: f.default_value.clone(),
            max_length: f.max_length,
            precision: f.numeric_precision,
            scale: f.numeric_scale,
            primary_key: f.primary_key,
            auto_increment: f.auto_increment,
            unique: f.unique,
        }
    }
}

/// `"name"` with embedded quotes doubled.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The column type as each backend declares it.
pub(super) fn type_sql(c: &ColumnSpec, backend: DatabaseBackend) -> String {
    let pg = backend == DatabaseBackend::Postgres;
    match c.kind {
        FieldType::String | FieldType::Hash => format!("varchar({})", c.max_length.unwrap_or(255)),
        FieldType::Text | FieldType::Csv | FieldType::Unknown => "text".into(),
        FieldType::Integer if pg && c.auto_increment => "serial".into(),
        FieldType::BigInteger if pg && c.auto_increment => "bigserial".into(),
        FieldType::Integer => "integer".into(),
        FieldType::BigInteger => "bigint".into(),
        FieldType::Float if pg => "double precision".into(),
        FieldType::Float => "real".into(),
        FieldType::Decimal => format!(
            "{}({}, {})",
            if pg { "numeric" } else { "decimal" },
            c.precision.unwrap_or(10),
            c.scale.unwrap_or(5)
        ),
        FieldType::Boolean => "boolean".into(),
        FieldType::Json if pg => "jsonb".into(),
        FieldType::Json => "jsonb_text".into(),
        FieldType::Uuid if pg => "uuid".into(),
        FieldType::Uuid => "uuid_text".into(),
        FieldType::Date if pg => "date".into(),
        FieldType::Date => "date_text".into(),
        FieldType::Time if pg => "time".into(),
        FieldType::Time => "time_text".into(),
        FieldType::DateTime if pg => "timestamp".into(),
        FieldType::DateTime => "datetime_text".into(),
        FieldType::Timestamp if pg => "timestamptz".into(),
        FieldType::Timestamp => "timestamp_with_timezone_text".into(),
    }
}

/// Whether a number can be stored in an integer column of this type (a default that does not
/// fit would be accepted by the DDL and fail every later insert).
fn fits_integer(f: f64, kind: FieldType) -> bool {
    let range = if kind == FieldType::Integer {
        f64::from(i32::MIN)..=f64::from(i32::MAX)
    } else {
        -9_223_372_036_854_775_808.0..=9_223_372_036_854_775_807.0
    };
    f.fract() == 0.0 && range.contains(&f)
}

/// Whether a text default is a value of this type (parsed as the items API parses values).
fn text_fits(s: &str, kind: FieldType) -> bool {
    use crate::query::values::{parse_datetime_str, parse_time};
    match kind {
        FieldType::Uuid => uuid::Uuid::parse_str(s.trim()).is_ok(),
        FieldType::Time => parse_time(s).is_some(),
        k if k.is_temporal() => parse_datetime_str(s.trim()).is_some(),
        _ => true,
    }
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// A default value as a SQL literal, or `None` when it cannot be one for this type: the
/// wrong shape, a number out of the column's range, a text that is no UUID or date of the
/// column's type, or text with NUL characters.
pub fn default_sql(value: &Value, kind: FieldType, backend: DatabaseBackend) -> Option<String> {
    let pg = backend == DatabaseBackend::Postgres;
    if has_nul(value) {
        return None;
    }
    match (value, kind) {
        (Value::Null, _) => None,
        (Value::String(s), k) if k.is_temporal() && s.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
            Some("CURRENT_TIMESTAMP".into())
        }
        (Value::Bool(b), FieldType::Boolean) => Some(match (pg, b) {
            (true, true) => "true".into(),
            (true, false) => "false".into(),
            (false, true) => "1".into(),
            (false, false) => "0".into(),
        }),
        (Value::Number(n), k) if k.is_integer() => {
            let fits = match n.as_i64() {
                Some(i) => k == FieldType::BigInteger || i32::try_from(i).is_ok(),
                None => !n.is_u64() && n.as_f64().is_some_and(|f| fits_integer(f, k)),
            };
            fits.then(|| n.to_string())
        }
        (Value::Number(n), k) if k.is_numeric() => Some(n.to_string()),
        (v, FieldType::Json) => Some(string_literal(&v.to_string())),
        (Value::String(s), k)
            if (k.is_textual() || k.is_temporal() || k == FieldType::Uuid) && text_fits(s, k) =>
        {
            Some(string_literal(s))
        }
        (Value::String(s), k) if k.is_numeric() => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && (!k.is_integer() || fits_integer(*f, k)))
            .map(|_| s.trim().to_owned()),
        (Value::Number(n), k) if k.is_textual() => Some(string_literal(&n.to_string())),
        _ => None,
    }
}

/// The column clause of `CREATE TABLE` / `ADD COLUMN`.
pub fn column_sql(c: &ColumnSpec, backend: DatabaseBackend) -> String {
    let mut sql = format!("{} {}", quote(&c.name), type_sql(c, backend));
    if c.primary_key {
        sql.push_str(" PRIMARY KEY");
        if c.auto_increment && backend == DatabaseBackend::Sqlite {
            sql.push_str(" AUTOINCREMENT");
        }
    }
    if !c.nullable || c.primary_key {
        sql.push_str(" NOT NULL");
    }
    if let Some(d) = c
        .default_value
        .as_ref()
        .and_then(|v| default_sql(v, c.kind, backend))
    {
        sql.push_str(" DEFAULT ");
        sql.push_str(&d);
    }
    sql
}

/// The name of the unique index Sluice makes for a field (≤ 63 bytes for PostgreSQL).
pub fn unique_index_name(table: &str, field: &str) -> String {
    let name = format!("uq_{table}__{field}");
    if name.len() <= 63 {
        return name;
    }
    let mut hash: u32 = 2166136261;
    for b in name.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(16777619);
    }
    let prefix: String = name.chars().take(50).collect();
    format!("{prefix}_{hash:08x}")
}

async fn exec(db: &impl ConnectionTrait, sql: String) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .map(|_| ())
}

/// `CREATE TABLE` with unique indexes.
pub async fn create_table(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[ColumnSpec],
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let cols: Vec<String> = columns.iter().map(|c| column_sql(c, backend)).collect();
    exec(
        db,
        format!("CREATE TABLE {} ({})", quote(table), cols.join(", ")),
    )
    .await?;
    for c in columns.iter().filter(|c| c.unique && !c.primary_key) {
        create_unique_index(db, table, &c.name).await?;
    }
    Ok(())
}

pub async fn create_unique_index(
    db: &impl ConnectionTrait,
    table: &str,
    field: &str,
) -> Result<(), DbErr> {
    exec(
        db,
        format!(
            "CREATE UNIQUE INDEX {} ON {} ({})",
            quote(&unique_index_name(table, field)),
            quote(table),
            quote(field)
        ),
    )
    .await
}

pub async fn drop_unique_index(
    db: &impl ConnectionTrait,
    table: &str,
    field: &str,
) -> Result<(), DbErr> {
    exec(
        db,
        format!(
            "DROP INDEX IF EXISTS {}",
            quote(&unique_index_name(table, field))
        ),
    )
    .await
}

pub async fn drop_table(db: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    exec(db, format!("DROP TABLE {}", quote(table))).await
}

/// Adds a column. SQLite cannot add NOT NULL columns without a default in place, so such a
/// column is added by rebuilding the table.
pub async fn add_column(
    db: &impl ConnectionTrait,
    table: &str,
    existing: &[ColumnSpec],
    column: &ColumnSpec,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let needs_rebuild = backend == DatabaseBackend::Sqlite
        && (column.primary_key || (!column.nullable && column.default_value.is_none()));
    if needs_rebuild {
        let mut all = existing.to_vec();
        all.push(column.clone());
        let fks = foreign_keys::sqlite_list(db, table).await?;
        return rebuild(db, table, existing, &all, &[], &fks).await;
    }
    exec(
        db,
        format!(
            "ALTER TABLE {} ADD COLUMN {}",
            quote(table),
            column_sql(column, backend)
        ),
    )
    .await?;
    if column.unique && !column.primary_key {
        create_unique_index(db, table, &column.name).await?;
    }
    Ok(())
}

/// Drops a column (and its unique index). SQLite refuses `DROP COLUMN` for a column with a
/// foreign key, so such a table is rebuilt without it.
pub async fn drop_column(
    db: &impl ConnectionTrait,
    table: &str,
    existing: &[ColumnSpec],
    column: &str,
) -> Result<(), DbErr> {
    drop_unique_index(db, table, column).await?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        let fks = foreign_keys::sqlite_list(db, table).await?;
        if fks.iter().any(|f| f.column == column) {
            let kept: Vec<ColumnSpec> = existing
                .iter()
                .filter(|c| c.name != column)
                .cloned()
                .collect();
            return rebuild(db, table, existing, &kept, &[], &fks).await;
        }
    }
    exec(
        db,
        format!("ALTER TABLE {} DROP COLUMN {}", quote(table), quote(column)),
    )
    .await
}

/// Changes a column's type, nullability, default, length or uniqueness.
pub async fn alter_column(
    db: &impl ConnectionTrait,
    table: &str,
    existing: &[ColumnSpec],
    before: &ColumnSpec,
    after: &ColumnSpec,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Sqlite {
        let all: Vec<ColumnSpec> = existing
            .iter()
            .map(|c| {
                if c.name == before.name {
                    after.clone()
                } else {
                    c.clone()
                }
            })
            .collect();
        let fks = foreign_keys::sqlite_list(db, table).await?;
        return rebuild(db, table, existing, &all, &[(before, after)], &fks).await;
    }
    let t = quote(table);
    let col = quote(&after.name);
    if before.kind != after.kind
        || before.max_length != after.max_length
        || before.precision != after.precision
        || before.scale != after.scale
    {
        let ty = type_sql(
            &ColumnSpec {
                auto_increment: false,
                ..after.clone()
            },
            backend,
        );
        exec(
            db,
            format!("ALTER TABLE {t} ALTER COLUMN {col} TYPE {ty} USING {col}::{ty}"),
        )
        .await?;
    }
    if before.nullable != after.nullable {
        let action = if after.nullable {
            "DROP NOT NULL"
        } else {
            "SET NOT NULL"
        };
        exec(db, format!("ALTER TABLE {t} ALTER COLUMN {col} {action}")).await?;
    }
    if before.default_value != after.default_value {
        match after
            .default_value
            .as_ref()
            .and_then(|v| default_sql(v, after.kind, backend))
        {
            Some(d) => {
                exec(
                    db,
                    format!("ALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {d}"),
                )
                .await?
            }
            None => {
                exec(
                    db,
                    format!("ALTER TABLE {t} ALTER COLUMN {col} DROP DEFAULT"),
                )
                .await?
            }
        }
    }
    if before.unique != after.unique {
        if after.unique {
            create_unique_index(db, table, &after.name).await?;
        } else {
            drop_unique_index(db, table, &after.name).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(kind: FieldType) -> ColumnSpec {
        ColumnSpec {
            name: "f".into(),
            kind,
            nullable: true,
            default_value: None,
            max_length: None,
            precision: None,
            scale: None,
            primary_key: false,
            auto_increment: false,
            unique: false,
        }
    }

    #[test]
    fn quoting_defeats_injection() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
        let d = default_sql(
            &json!("x'); DROP TABLE t; --"),
            FieldType::String,
            DatabaseBackend::Sqlite,
        );
        assert_eq!(d.as_deref(), Some("'x''); DROP TABLE t; --'"));
        assert_eq!(
            default_sql(
                &json!("1; DROP"),
                FieldType::Integer,
                DatabaseBackend::Postgres
            ),
            None
        );
    }

    #[test]
    fn columns_per_backend() {
        let mut id = spec(FieldType::Integer);
        id.name = "id".into();
        id.primary_key = true;
        id.auto_increment = true;
        assert_eq!(
            column_sql(&id, DatabaseBackend::Sqlite),
            "\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL"
        );
        assert_eq!(
            column_sql(&id, DatabaseBackend::Postgres),
            "\"id\" serial PRIMARY KEY NOT NULL"
        );
        let mut s = spec(FieldType::String);
        s.default_value = Some(json!("open"));
        s.nullable = false;
        assert_eq!(
            column_sql(&s, DatabaseBackend::Postgres),
            "\"f\" varchar(255) NOT NULL DEFAULT 'open'"
        );
        assert_eq!(
            column_sql(&spec(FieldType::Json), DatabaseBackend::Sqlite),
            "\"f\" jsonb_text"
        );
    }

    #[test]
    fn long_index_names_fit() {
        let n = unique_index_name(&"t".repeat(64), &"f".repeat(64));
        assert!(n.len() <= 63);
        assert_ne!(n, unique_index_name(&"t".repeat(64), &"g".repeat(64)));
    }
}
