//! `directus_relations` (issue 15): the relations between user collections, with Directus's
//! columns. System relations live in code (as Directus keeps them in its system data), so
//! this table holds only what users create. A write bumps `version:schema` like the other
//! schema tables, so every instance reloads the relational picture.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DirectusRelations {
    Table,
    Id,
    ManyCollection,
    ManyField,
    OneCollection,
    OneField,
    OneCollectionField,
    OneAllowedCollections,
    JunctionField,
    SortField,
    OneDeselectAction,
}

const TABLE: &str = "directus_relations";
const KEY: &str = "version:schema";

// See m20261126_000005_runs.rs for why the lifetime stays elided.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DirectusRelations::Table)
                    .col(pk_auto(DirectusRelations::Id))
                    .col(string_len(DirectusRelations::ManyCollection, 64))
                    .col(string_len(DirectusRelations::ManyField, 64))
                    .col(string_len_null(DirectusRelations::OneCollection, 64))
                    .col(string_len_null(DirectusRelations::OneField, 64))
                    .col(string_len_null(DirectusRelations::OneCollectionField, 64))
                    .col(text_null(DirectusRelations::OneAllowedCollections))
                    .col(string_len_null(DirectusRelations::JunctionField, 64))
                    .col(string_len_null(DirectusRelations::SortField, 64))
                    .col(string_len(DirectusRelations::OneDeselectAction, 255).default("nullify"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("directus_relations_many_unique")
                    .table(DirectusRelations::Table)
                    .col(DirectusRelations::ManyCollection)
                    .col(DirectusRelations::ManyField)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER sluice_version_{TABLE}_write AFTER INSERT OR UPDATE OR DELETE \
                     OR TRUNCATE ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION \
                     sluice_version_bump('{KEY}')"
                ))
                .await?;
            }
            _ => {
                for (event, on) in [
                    ("insert", "INSERT"),
                    ("update", "UPDATE"),
                    ("delete", "DELETE"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER sluice_version_{TABLE}_{event} AFTER {on} ON {TABLE} BEGIN \
                         UPDATE sluice_kv SET value = lower(hex(randomblob(8))) WHERE key = '{KEY}'; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DirectusRelations::Table).to_owned())
            .await
    }
}
