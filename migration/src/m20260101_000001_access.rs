//! Roles, policies, access, permissions, users, sessions and settings.

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
                    .table(DirectusRoles::Table)
                    .col(pk_uuid(DirectusRoles::Id))
                    .col(string_len(DirectusRoles::Name, 100))
                    .col(string_len(DirectusRoles::Icon, 64).default("supervised_user_circle"))
                    .col(text_null(DirectusRoles::Description))
                    .col(uuid_null(DirectusRoles::Parent))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusPolicies::Table)
                    .col(pk_uuid(DirectusPolicies::Id))
                    .col(string_len(DirectusPolicies::Name, 100))
                    .col(string_len(DirectusPolicies::Icon, 64).default("badge"))
                    .col(text_null(DirectusPolicies::Description))
                    .col(text_null(DirectusPolicies::IpAccess))
                    .col(boolean(DirectusPolicies::EnforceTfa).default(false))
                    .col(boolean(DirectusPolicies::AdminAccess).default(false))
                    .col(boolean(DirectusPolicies::AppAccess).default(false))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusAccess::Table)
                    .col(pk_uuid(DirectusAccess::Id))
                    .col(uuid_null(DirectusAccess::Role))
                    .col(uuid_null(DirectusAccess::User))
                    .col(uuid(DirectusAccess::Policy))
                    .col(integer_null(DirectusAccess::Sort))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directus_access_role")
                    .table(DirectusAccess::Table)
                    .col(DirectusAccess::Role)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directus_access_user")
                    .table(DirectusAccess::Table)
                    .col(DirectusAccess::User)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusPermissions::Table)
                    .col(pk_auto(DirectusPermissions::Id))
                    .col(string_len(DirectusPermissions::Collection, 64))
                    .col(string_len(DirectusPermissions::Action, 10))
                    .col(json_binary_null(DirectusPermissions::Permissions))
                    .col(json_binary_null(DirectusPermissions::Validation))
                    .col(json_binary_null(DirectusPermissions::Presets))
                    .col(text_null(DirectusPermissions::Fields))
                    .col(uuid(DirectusPermissions::Policy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directus_permissions_policy")
                    .table(DirectusPermissions::Table)
                    .col(DirectusPermissions::Policy)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusUsers::Table)
                    .col(pk_uuid(DirectusUsers::Id))
                    .col(string_len_null(DirectusUsers::FirstName, 50))
                    .col(string_len_null(DirectusUsers::LastName, 50))
                    .col(string_len_null(DirectusUsers::Email, 128).unique_key())
                    .col(string_len_null(DirectusUsers::Password, 255))
                    .col(string_len_null(DirectusUsers::Location, 255))
                    .col(string_len_null(DirectusUsers::Title, 50))
                    .col(text_null(DirectusUsers::Description))
                    .col(json_binary_null(DirectusUsers::Tags))
                    .col(uuid_null(DirectusUsers::Avatar))
                    .col(string_len_null(DirectusUsers::Language, 255))
                    .col(string_len_null(DirectusUsers::TfaSecret, 255))
                    .col(string_len(DirectusUsers::Status, 16).default("active"))
                    .col(uuid_null(DirectusUsers::Role))
                    .col(string_len_null(DirectusUsers::Token, 255).unique_key())
                    .col(timestamp_with_time_zone_null(DirectusUsers::LastAccess))
                    .col(string_len_null(DirectusUsers::LastPage, 255))
                    .col(string_len(DirectusUsers::Provider, 128).default("default"))
                    .col(string_len_null(DirectusUsers::ExternalIdentifier, 255).unique_key())
                    .col(json_binary_null(DirectusUsers::AuthData))
                    .col(boolean_null(DirectusUsers::EmailNotifications).default(true))
                    .col(string_len_null(DirectusUsers::Appearance, 255))
                    .col(string_len_null(DirectusUsers::ThemeDark, 255))
                    .col(string_len_null(DirectusUsers::ThemeLight, 255))
                    .col(json_binary_null(DirectusUsers::ThemeLightOverrides))
                    .col(json_binary_null(DirectusUsers::ThemeDarkOverrides))
                    .col(string_len(DirectusUsers::TextDirection, 255).default("auto"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusSessions::Table)
                    .col(string_len(DirectusSessions::Token, 64).primary_key())
                    .col(uuid_null(DirectusSessions::User))
                    .col(timestamp_with_time_zone(DirectusSessions::Expires))
                    .col(string_len_null(DirectusSessions::Ip, 255))
                    .col(text_null(DirectusSessions::UserAgent))
                    .col(uuid_null(DirectusSessions::Share))
                    .col(string_len_null(DirectusSessions::Origin, 255))
                    .col(string_len_null(DirectusSessions::NextToken, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directus_sessions_user")
                    .table(DirectusSessions::Table)
                    .col(DirectusSessions::User)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusSettings::Table)
                    .col(pk_auto(DirectusSettings::Id))
                    .col(string_len(DirectusSettings::ProjectName, 100).default("Directus"))
                    .col(string_len_null(DirectusSettings::ProjectUrl, 255))
                    .col(string_len_null(DirectusSettings::ProjectColor, 255).default("#6644FF"))
                    .col(uuid_null(DirectusSettings::ProjectLogo))
                    .col(uuid_null(DirectusSettings::PublicForeground))
                    .col(uuid_null(DirectusSettings::PublicBackground))
                    .col(text_null(DirectusSettings::PublicNote))
                    .col(integer_null(DirectusSettings::AuthLoginAttempts).default(25))
                    .col(string_len_null(DirectusSettings::AuthPasswordPolicy, 100))
                    .col(string_len_null(DirectusSettings::StorageAssetTransform, 7).default("all"))
                    .col(text_null(DirectusSettings::CustomCss))
                    .col(string_len(DirectusSettings::DefaultLanguage, 255).default("en-US"))
                    .col(string_len(DirectusSettings::DefaultAppearance, 255).default("auto"))
                    .col(json_binary_null(DirectusSettings::ModuleBar))
                    .col(string_len_null(DirectusSettings::ProjectDescriptor, 100))
                    .col(string_len_null(DirectusSettings::MapboxKey, 255))
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Indexes go with their tables.
        for table in [
            DirectusSettings::Table.into_iden(),
            DirectusSessions::Table.into_iden(),
            DirectusUsers::Table.into_iden(),
            DirectusPermissions::Table.into_iden(),
            DirectusAccess::Table.into_iden(),
            DirectusPolicies::Table.into_iden(),
            DirectusRoles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum DirectusRoles {
    Table,
    Id,
    Name,
    Icon,
    Description,
    Parent,
}

#[derive(DeriveIden)]
enum DirectusPolicies {
    Table,
    Id,
    Name,
    Icon,
    Description,
    IpAccess,
    EnforceTfa,
    AdminAccess,
    AppAccess,
}

#[derive(DeriveIden)]
enum DirectusAccess {
    Table,
    Id,
    Role,
    User,
    Policy,
    Sort,
}

#[derive(DeriveIden)]
enum DirectusPermissions {
    Table,
    Id,
    Collection,
    Action,
    Permissions,
    Validation,
    Presets,
    Fields,
    Policy,
}

#[derive(DeriveIden)]
enum DirectusUsers {
    Table,
    Id,
    FirstName,
    LastName,
    Email,
    Password,
    Location,
    Title,
    Description,
    Tags,
    Avatar,
    Language,
    TfaSecret,
    Status,
    Role,
    Token,
    LastAccess,
    LastPage,
    Provider,
    ExternalIdentifier,
    AuthData,
    EmailNotifications,
    Appearance,
    ThemeDark,
    ThemeLight,
    ThemeLightOverrides,
    ThemeDarkOverrides,
    TextDirection,
}

#[derive(DeriveIden)]
enum DirectusSessions {
    Table,
    Token,
    User,
    Expires,
    Ip,
    UserAgent,
    Share,
    Origin,
    NextToken,
}

#[derive(DeriveIden)]
enum DirectusSettings {
    Table,
    Id,
    ProjectName,
    ProjectUrl,
    ProjectColor,
    ProjectLogo,
    PublicForeground,
    PublicBackground,
    PublicNote,
    AuthLoginAttempts,
    AuthPasswordPolicy,
    StorageAssetTransform,
    CustomCss,
    DefaultLanguage,
    DefaultAppearance,
    ModuleBar,
    ProjectDescriptor,
    MapboxKey,
}
