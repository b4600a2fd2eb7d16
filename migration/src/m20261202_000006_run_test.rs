//! `sluice_runs.test`: whether a run was a builder test (`POST /flows/{id}/test`), so the run
//! logs can mark tests apart from real calls (issue 12 point 8). Existing rows were real calls.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

// See m20261126_000005_runs.rs for why the lifetime stays elided.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SluiceRuns::Table)
                    .add_column(boolean(SluiceRuns::Test).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SluiceRuns::Table)
                    .drop_column(SluiceRuns::Test)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SluiceRuns {
    Table,
    Test,
}
