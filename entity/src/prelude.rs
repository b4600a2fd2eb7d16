//! Re-exports of every entity under a table-like name (`DirectusUsers`, `SluiceKv`, ...).

pub use super::directus_access::Entity as DirectusAccess;
pub use super::directus_activity::Entity as DirectusActivity;
pub use super::directus_collections::Entity as DirectusCollections;
pub use super::directus_fields::Entity as DirectusFields;
pub use super::directus_flows::Entity as DirectusFlows;
pub use super::directus_notifications::Entity as DirectusNotifications;
pub use super::directus_operations::Entity as DirectusOperations;
pub use super::directus_permissions::Entity as DirectusPermissions;
pub use super::directus_policies::Entity as DirectusPolicies;
pub use super::directus_revisions::Entity as DirectusRevisions;
pub use super::directus_roles::Entity as DirectusRoles;
pub use super::directus_sessions::Entity as DirectusSessions;
pub use super::directus_settings::Entity as DirectusSettings;
pub use super::directus_users::Entity as DirectusUsers;
pub use super::sluice_kv::Entity as SluiceKv;
pub use super::sluice_runs::Entity as SluiceRuns;
