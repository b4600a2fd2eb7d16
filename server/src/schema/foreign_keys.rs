//! Foreign keys (issue 15): their names, the referential actions Directus offers, the clause
//! each backend declares, adding and dropping one, and reading them back from the database
//! (SQLite `pragma_foreign_key_list`, PostgreSQL `pg_constraint`). SQLite cannot add or drop
//! a constraint in place, so there both go through the table rebuild (`rebuild.rs`); this
//! module decides nothing about relations' metadata.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult, Statement, Value};

use super::ddl::{ColumnSpec, quote};
use super::rebuild;

/// The referential actions of `schema.on_delete` / `schema.on_update`.
pub const ACTIONS: [&str; 5] = [
    "SET NULL",
    "CASCADE",
    "NO ACTION",
    "RESTRICT",
    "SET DEFAULT",
];

/// An action as SQL, or `None` when it is none of [`ACTIONS`] (matched case-insensitively).
pub fn parse_action(s: &str) -> Option<&'static str> {
    ACTIONS
        .iter()
        .copied()
        .find(|a| a.eq_ignore_ascii_case(s.trim()))
}

/// The foreign key of one column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnForeignKey {
    /// The column holding the key (its table is the collection that lists it).
    pub column: String,
    pub foreign_table: String,
    pub foreign_column: String,
    /// `None` when the database keeps no name (an unnamed SQLite clause).
    pub constraint_name: Option<String>,
    pub on_update: String,
    pub on_delete: String,
}

impl ColumnForeignKey {
    /// The clause inside `CREATE TABLE` (SQLite) or after `ADD` (PostgreSQL). Actions are
    /// re-checked against [`ACTIONS`], so nothing read back from the database is spliced in.
    pub fn clause(&self) -> String {
        let mut sql = String::new();
        if let Some(name) = &self.constraint_name {
            sql.push_str(&format!("CONSTRAINT {} ", quote(name)));
        }
        sql.push_str(&format!(
            "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
            quote(&self.column),
            quote(&self.foreign_table),
            quote(&self.foreign_column),
            parse_action(&self.on_delete).unwrap_or("NO ACTION"),
            parse_action(&self.on_update).unwrap_or("NO ACTION"),
        ));
        sql
    }
}

/// The name Sluice gives a column's foreign key: `<table>_<column>_foreign`, as Directus
/// names it, shortened with a hash of the full name past 60 characters (PostgreSQL keeps 63).
pub fn constraint_name(table: &str, column: &str) -> String {
    let name = format!("{table}_{column}_foreign")
        .replace('-', "_")
        .to_ascii_lowercase();
    if name.len() <= 60 {
        return name;
    }
    let mut hash: u32 = 2166136261;
    for b in name.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(16777619);
    }
    let prefix: String = name.chars().take(42).collect();
    format!("{prefix}__{hash:08x}_foreign")
}

async fn exec(db: &impl ConnectionTrait, sql: String) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .map(|_| ())
}

/// Adds `fk` to `table` (replacing the column's foreign key, if it has one). On SQLite the
/// table is rebuilt, which needs foreign key enforcement off (`change::SchemaChange`).
pub async fn add(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[ColumnSpec],
    fk: &ColumnForeignKey,
) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        if let Some(old) = of_column_pg(db, table, &fk.column).await? {
            drop_pg(db, table, &old).await?;
        }
        return exec(
            db,
            format!("ALTER TABLE {} ADD {}", quote(table), fk.clause()),
        )
        .await;
    }
    let mut fks = sqlite_list(db, table).await?;
    fks.retain(|f| f.column != fk.column);
    fks.push(fk.clone());
    rebuild::rebuild(db, table, columns, columns, &[], &fks).await
}

/// Drops the foreign key of `column` (nothing when it has none).
pub async fn drop(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[ColumnSpec],
    column: &str,
) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        if let Some(name) = of_column_pg(db, table, column).await? {
            drop_pg(db, table, &name).await?;
        }
        return Ok(());
    }
    let mut fks = sqlite_list(db, table).await?;
    let before = fks.len();
    fks.retain(|f| f.column != column);
    if fks.len() == before {
        return Ok(());
    }
    rebuild::rebuild(db, table, columns, columns, &[], &fks).await
}

async fn drop_pg(db: &impl ConnectionTrait, table: &str, name: &str) -> Result<(), DbErr> {
    exec(
        db,
        format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            quote(table),
            quote(name)
        ),
    )
    .await
}

/// The name of the PostgreSQL constraint on one column of `table`, if there is one.
async fn of_column_pg(
    db: &impl ConnectionTrait,
    table: &str,
    column: &str,
) -> Result<Option<String>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT c.conname::text AS name FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = $1 \
             AND a.attname = $2 AND array_length(c.conkey, 1) = 1 LIMIT 1",
            [Value::from(table), Value::from(column)],
        ))
        .await?;
    row.map(|r| r.try_get::<String>("", "name")).transpose()
}

/// The single-column foreign keys of one SQLite table, read inside the caller's transaction.
/// A table with a composite foreign key is refused (Sluice never makes one, and a rebuild
/// would lose it).
pub async fn sqlite_list(
    db: &impl ConnectionTrait,
    table: &str,
) -> Result<Vec<ColumnForeignKey>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "SELECT m.name AS tbl, m.sql AS sql, f.id AS fid, f.\"from\" AS col, \
             f.\"table\" AS ref_tbl, f.\"to\" AS ref_col, f.on_update AS upd, \
             f.on_delete AS del FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND m.name = ? ORDER BY f.id, f.seq",
            [Value::from(table)],
        ))
        .await?;
    let mut grouped = sqlite_rows(db, rows).await?;
    match grouped.remove(table) {
        Some(Ok(list)) => Ok(list),
        Some(Err(())) => Err(DbErr::Custom(format!(
            "table \"{table}\" has a composite foreign key, which a rebuild would not keep"
        ))),
        None => Ok(Vec::new()),
    }
}

/// What `load_all` and `sqlite_list` share: rows of `pragma_foreign_key_list` joined with
/// `sqlite_master`, grouped by table; `Err(())` marks a table with a composite key.
type Grouped = HashMap<String, Result<Vec<ColumnForeignKey>, ()>>;

async fn sqlite_rows(db: &impl ConnectionTrait, rows: Vec<QueryResult>) -> Result<Grouped, DbErr> {
    let mut parts: HashMap<(String, i64), Vec<QueryResult>> = HashMap::new();
    let mut order: Vec<(String, i64)> = Vec::new();
    for r in rows {
        let key = (
            r.try_get::<String>("", "tbl")?,
            r.try_get::<i64>("", "fid")?,
        );
        if !parts.contains_key(&key) {
            order.push(key.clone());
        }
        parts.entry(key).or_default().push(r);
    }
    let mut out: Grouped = HashMap::new();
    for key in order {
        let Some(group) = parts.remove(&key) else {
            continue;
        };
        let entry = out.entry(key.0.clone()).or_insert_with(|| Ok(Vec::new()));
        let [r] = group.as_slice() else {
            *entry = Err(());
            continue;
        };
        let column: String = r.try_get("", "col")?;
        let foreign_table: String = r.try_get("", "ref_tbl")?;
        let foreign_column = match r.try_get::<Option<String>>("", "ref_col")? {
            Some(c) => c,
            None => sqlite_primary(db, &foreign_table).await?,
        };
        let sql: Option<String> = r.try_get("", "sql")?;
        let fk = ColumnForeignKey {
            constraint_name: sql.as_deref().and_then(|s| name_in_sql(s, &column)),
            column,
            foreign_table,
            foreign_column,
            on_update: r.try_get("", "upd")?,
            on_delete: r.try_get("", "del")?,
        };
        if let Ok(list) = entry {
            list.push(fk);
        }
    }
    Ok(out)
}

/// The primary key column of a SQLite table (a clause `REFERENCES t` without a column).
async fn sqlite_primary(db: &impl ConnectionTrait, table: &str) -> Result<String, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "SELECT name FROM pragma_table_info(?) WHERE pk = 1",
            [Value::from(table)],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<String>("", "name"))
        .transpose()?
        .unwrap_or_else(|| "id".into()))
}

/// SQLite keeps a constraint's name only in the table's SQL: `CONSTRAINT "n" FOREIGN KEY
/// ("col")`, as Sluice and the migrations write it.
fn name_in_sql(sql: &str, column: &str) -> Option<String> {
    let marker = format!("FOREIGN KEY ({})", quote(column));
    let at = sql.find(&marker)?;
    let before = sql[..at].trim_end().strip_suffix('"')?;
    let start = before.rfind('"')?;
    let keyword = before[..start].trim_end();
    let upper = keyword.to_ascii_uppercase();
    upper
        .ends_with("CONSTRAINT")
        .then(|| before[start + 1..].to_owned())
}

/// Every single-column foreign key, by table.
pub async fn load_all(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, Vec<ColumnForeignKey>>, DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        return load_all_pg(db).await;
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT m.name AS tbl, m.sql AS sql, f.id AS fid, f.\"from\" AS col, \
             f.\"table\" AS ref_tbl, f.\"to\" AS ref_col, f.on_update AS upd, \
             f.on_delete AS del FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq",
        ))
        .await?;
    Ok(sqlite_rows(db, rows)
        .await?
        .into_iter()
        .map(|(table, list)| (table, list.unwrap_or_default()))
        .collect())
}

/// PostgreSQL's one-letter action codes (`pg_constraint.confdeltype`).
fn pg_action(code: &str) -> &'static str {
    match code {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
}

async fn load_all_pg(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, Vec<ColumnForeignKey>>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT c.conname::text AS name, t.relname::text AS tbl, a.attname::text AS col, \
             r.relname::text AS ref_tbl, ra.attname::text AS ref_col, \
             c.confupdtype::text AS upd, c.confdeltype::text AS del \
             FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             JOIN pg_class r ON r.oid = c.confrelid \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] \
             WHERE c.contype = 'f' AND n.nspname = current_schema() \
             AND array_length(c.conkey, 1) = 1 ORDER BY t.relname, c.conname",
        ))
        .await?;
    let mut out: HashMap<String, Vec<ColumnForeignKey>> = HashMap::new();
    for r in rows {
        let table: String = r.try_get("", "tbl")?;
        out.entry(table).or_default().push(ColumnForeignKey {
            column: r.try_get("", "col")?,
            foreign_table: r.try_get("", "ref_tbl")?,
            foreign_column: r.try_get("", "ref_col")?,
            constraint_name: Some(r.try_get("", "name")?),
            on_update: pg_action(&r.try_get::<String>("", "upd")?).to_owned(),
            on_delete: pg_action(&r.try_get::<String>("", "del")?).to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_directus_and_stay_short() {
        assert_eq!(
            constraint_name("articles", "author"),
            "articles_author_foreign"
        );
        assert_eq!(constraint_name("My-Table", "f"), "my_table_f_foreign");
        let long = constraint_name(&"t".repeat(64), &"f".repeat(64));
        assert!(long.len() <= 60, "{long}");
        assert!(long.ends_with("_foreign"));
        assert_ne!(long, constraint_name(&"t".repeat(64), &"g".repeat(64)));
    }

    #[test]
    fn actions_are_a_closed_list() {
        assert_eq!(parse_action("set null"), Some("SET NULL"));
        assert_eq!(parse_action("CASCADE"), Some("CASCADE"));
        assert_eq!(parse_action("CASCADE; DROP TABLE x"), None);
        assert_eq!(parse_action(""), None);
    }

    #[test]
    fn clauses_quote_names_and_recheck_actions() {
        let fk = ColumnForeignKey {
            column: "author".into(),
            foreign_table: "authors".into(),
            foreign_column: "id".into(),
            constraint_name: Some("articles_author_foreign".into()),
            on_update: "NO ACTION".into(),
            on_delete: "evil".into(),
        };
        assert_eq!(
            fk.clause(),
            "CONSTRAINT \"articles_author_foreign\" FOREIGN KEY (\"author\") REFERENCES \
             \"authors\" (\"id\") ON DELETE NO ACTION ON UPDATE NO ACTION"
        );
    }

    #[test]
    fn names_are_found_in_table_sql() {
        let sql = "CREATE TABLE \"a\" (\"id\" integer, \"b\" integer, CONSTRAINT \"a_b_foreign\" \
                   FOREIGN KEY (\"b\") REFERENCES \"b\" (\"id\"))";
        assert_eq!(name_in_sql(sql, "b").as_deref(), Some("a_b_foreign"));
        assert_eq!(name_in_sql(sql, "id"), None);
        let unnamed = "CREATE TABLE a (b integer, FOREIGN KEY (\"b\") REFERENCES b (id))";
        assert_eq!(name_in_sql(unnamed, "b"), None);
    }
}
