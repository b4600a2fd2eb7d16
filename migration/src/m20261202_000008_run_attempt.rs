//! `sluice_runs.attempt`: which attempt of a retried async run a row is (1 for every run
//! without retries), so attempts and dead letters can be listed (issue 13 point 4).

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
                    .add_column(integer(SluiceRuns::Attempt).default(1))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SluiceRuns::Table)
                    .drop_column(SluiceRuns::Attempt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SluiceRuns {
    Table,
    Attempt,
}
