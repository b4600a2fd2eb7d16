//! Flows and their operations (directus.md §1).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; writing
// `SchemaManager<'_>` here makes the lifetime early-bound and fails E0195.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DirectusFlows::Table)
                    .col(pk_uuid(DirectusFlows::Id))
                    .col(string_len(DirectusFlows::Name, 255))
                    .col(string_len_null(DirectusFlows::Icon, 64))
                    .col(string_len_null(DirectusFlows::Color, 255))
                    .col(text_null(DirectusFlows::Description))
                    .col(string_len(DirectusFlows::Status, 255).default("active"))
                    .col(string_len_null(DirectusFlows::Trigger, 255))
                    .col(string_len_null(DirectusFlows::Accountability, 255).default("all"))
                    .col(json_binary_null(DirectusFlows::Options))
                    .col(uuid_null(DirectusFlows::Operation).unique_key())
                    .col(
                        timestamp_with_time_zone_null(DirectusFlows::DateCreated)
                            .default(Expr::current_timestamp()),
                    )
                    .col(uuid_null(DirectusFlows::UserCreated))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusOperations::Table)
                    .col(pk_uuid(DirectusOperations::Id))
                    .col(string_len_null(DirectusOperations::Name, 255))
                    .col(string_len(DirectusOperations::Key, 255))
                    .col(string_len(DirectusOperations::Type, 255))
                    .col(integer(DirectusOperations::PositionX))
                    .col(integer(DirectusOperations::PositionY))
                    .col(json_binary_null(DirectusOperations::Options))
                    .col(uuid_null(DirectusOperations::Resolve).unique_key())
                    .col(uuid_null(DirectusOperations::Reject).unique_key())
                    .col(uuid(DirectusOperations::Flow))
                    .col(
                        timestamp_with_time_zone_null(DirectusOperations::DateCreated)
                            .default(Expr::current_timestamp()),
                    )
                    .col(uuid_null(DirectusOperations::UserCreated))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_directus_operations_flow")
                            .from(DirectusOperations::Table, DirectusOperations::Flow)
                            .to(DirectusFlows::Table, DirectusFlows::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directus_operations_flow")
                    .table(DirectusOperations::Table)
                    .col(DirectusOperations::Flow)
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Child first: operations reference flows. The index goes with its table.
        manager
            .drop_table(Table::drop().table(DirectusOperations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DirectusFlows::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DirectusFlows {
    Table,
    Id,
    Name,
    Icon,
    Color,
    Description,
    Status,
    Trigger,
    Accountability,
    Options,
    Operation,
    DateCreated,
    UserCreated,
}

#[derive(DeriveIden)]
enum DirectusOperations {
    Table,
    Id,
    Name,
    Key,
    Type,
    PositionX,
    PositionY,
    Options,
    Resolve,
    Reject,
    Flow,
    DateCreated,
    UserCreated,
}
