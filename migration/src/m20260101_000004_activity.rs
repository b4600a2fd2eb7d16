//! Activity log, revisions and notifications.

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
                    .table(DirectusActivity::Table)
                    .col(pk_auto(DirectusActivity::Id))
                    .col(string_len(DirectusActivity::Action, 45))
                    .col(uuid_null(DirectusActivity::User))
                    .col(timestamp_with_time_zone_default_now(
                        DirectusActivity::Timestamp,
                    ))
                    .col(string_len_null(DirectusActivity::Ip, 50))
                    .col(text_null(DirectusActivity::UserAgent))
                    .col(string_len(DirectusActivity::Collection, 64))
                    .col(string_len(DirectusActivity::Item, 255))
                    .col(string_len_null(DirectusActivity::Origin, 255))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directus_activity_collection_item")
                    .table(DirectusActivity::Table)
                    .col(DirectusActivity::Collection)
                    .col(DirectusActivity::Item)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusRevisions::Table)
                    .col(pk_auto(DirectusRevisions::Id))
                    .col(integer(DirectusRevisions::Activity))
                    .col(string_len(DirectusRevisions::Collection, 64))
                    .col(string_len(DirectusRevisions::Item, 255))
                    .col(json_binary_null(DirectusRevisions::Data))
                    .col(json_binary_null(DirectusRevisions::Delta))
                    .col(integer_null(DirectusRevisions::Parent))
                    .col(uuid_null(DirectusRevisions::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_directus_revisions_activity")
                            .from(DirectusRevisions::Table, DirectusRevisions::Activity)
                            .to(DirectusActivity::Table, DirectusActivity::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directus_revisions_activity")
                    .table(DirectusRevisions::Table)
                    .col(DirectusRevisions::Activity)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusNotifications::Table)
                    .col(pk_auto(DirectusNotifications::Id))
                    .col(
                        timestamp_with_time_zone_null(DirectusNotifications::Timestamp)
                            .default(Expr::current_timestamp()),
                    )
                    .col(string_len_null(DirectusNotifications::Status, 255).default("inbox"))
                    .col(uuid(DirectusNotifications::Recipient))
                    .col(uuid_null(DirectusNotifications::Sender))
                    .col(string_len(DirectusNotifications::Subject, 255))
                    .col(text_null(DirectusNotifications::Message))
                    .col(string_len_null(DirectusNotifications::Collection, 64))
                    .col(string_len_null(DirectusNotifications::Item, 255))
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Child first: revisions reference activity. Indexes go with their tables.
        for table in [
            DirectusNotifications::Table.into_iden(),
            DirectusRevisions::Table.into_iden(),
            DirectusActivity::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum DirectusActivity {
    Table,
    Id,
    Action,
    User,
    Timestamp,
    Ip,
    UserAgent,
    Collection,
    Item,
    Origin,
}

#[derive(DeriveIden)]
enum DirectusRevisions {
    Table,
    Id,
    Activity,
    Collection,
    Item,
    Data,
    Delta,
    Parent,
    Version,
}

#[derive(DeriveIden)]
enum DirectusNotifications {
    Table,
    Id,
    Timestamp,
    Status,
    Recipient,
    Sender,
    Subject,
    Message,
    Collection,
    Item,
}
