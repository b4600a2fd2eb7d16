//! SQLite's way to change what `ALTER TABLE` cannot (a column's type or nullability, a
//! foreign key): the rebuild of SQLite's documented 12-step procedure — create the new
//! table with every column and foreign key clause, copy the rows, drop the old table, rename
//! the new one, recreate the unique indexes, and check the foreign keys of the table and of
//! the tables referencing it. Foreign key enforcement must be off while it runs (dropping a
//! parent table with enforcement on would run its children's ON DELETE actions): it runs in a
//! `change::SchemaChange`, and refuses to start otherwise.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};

use super::ddl::{ColumnSpec, column_sql, create_unique_index, quote, type_sql};
use super::foreign_keys::ColumnForeignKey;

async fn exec(db: &impl ConnectionTrait, sql: String) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .map(|_| ())
}

/// Rebuilds `table` from columns `old` into columns `new` (`changed` pairs the columns whose
/// definition changed, so a new type is cast on copy) with the foreign keys `fks` — those on
/// columns `new` no longer has are left out.
pub async fn rebuild(
    db: &impl ConnectionTrait,
    table: &str,
    old: &[ColumnSpec],
    new: &[ColumnSpec],
    changed: &[(&ColumnSpec, &ColumnSpec)],
    fks: &[ColumnForeignKey],
) -> Result<(), DbErr> {
    if enforcing(db).await? {
        return Err(DbErr::Custom(format!(
            "refusing to rebuild \"{table}\" with foreign key enforcement on"
        )));
    }
    let backend = db.get_database_backend();
    let temp = format!("_sluice_rebuild_{table}");
    let mut clauses: Vec<String> = new.iter().map(|c| column_sql(c, backend)).collect();
    clauses.extend(
        fks.iter()
            .filter(|fk| new.iter().any(|c| c.name == fk.column))
            .map(ColumnForeignKey::clause),
    );
    exec(
        db,
        format!("CREATE TABLE {} ({})", quote(&temp), clauses.join(", ")),
    )
    .await?;
    let copied: Vec<&ColumnSpec> = new
        .iter()
        .filter(|c| old.iter().any(|o| o.name == c.name))
        .collect();
    if !copied.is_empty() {
        let targets: Vec<String> = copied.iter().map(|c| quote(&c.name)).collect();
        let sources: Vec<String> = copied
            .iter()
            .map(|c| {
                let retyped = changed
                    .iter()
                    .any(|(b, a)| a.name == c.name && b.kind != a.kind);
                if retyped {
                    format!("CAST({} AS {})", quote(&c.name), type_sql(c, backend))
                } else {
                    quote(&c.name)
                }
            })
            .collect();
        exec(
            db,
            format!(
                "INSERT INTO {} ({}) SELECT {} FROM {}",
                quote(&temp),
                targets.join(", "),
                sources.join(", "),
                quote(table)
            ),
        )
        .await?;
    }
    exec(db, format!("DROP TABLE {}", quote(table))).await?;
    exec(
        db,
        format!("ALTER TABLE {} RENAME TO {}", quote(&temp), quote(table)),
    )
    .await?;
    for c in new.iter().filter(|c| c.unique && !c.primary_key) {
        create_unique_index(db, table, &c.name).await?;
    }
    check(db, table).await
}

/// Whether SQLite enforces foreign keys on this connection now.
async fn enforcing(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA foreign_keys",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0)
        != 0)
}

/// Step 10 of the procedure: the rebuilt table's own keys, and the keys of every table
/// referencing it, still hold.
async fn check(db: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    let children = db
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "SELECT DISTINCT m.name AS tbl FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = ?",
            [Value::from(table)],
        ))
        .await?;
    let mut tables = vec![table.to_owned()];
    for r in children {
        let t: String = r.try_get("", "tbl")?;
        if !tables.contains(&t) {
            tables.push(t);
        }
    }
    for t in tables {
        let broken = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                format!("PRAGMA foreign_key_check({})", quote(&t)),
            ))
            .await?;
        if broken.is_some() {
            return Err(DbErr::Custom(format!(
                "rows of \"{t}\" would break a foreign key after rebuilding \"{table}\""
            )));
        }
    }
    Ok(())
}
