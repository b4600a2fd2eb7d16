//! The Data area: collections (`/admin/data`, with "New collection") and a collection's
//! items (`/admin/data/:collection`, with paging, sort, search, item editing and "Add field")
//! and an item's page (`/admin/data/:collection/:id`). Relations show as pickers (many to
//! one) and lists (one to many).

mod add_field;
mod collections;
mod item_form;
mod items;
mod new_collection;
mod relation_form;
mod relational;

pub use collections::CollectionsPage;
pub use items::ItemsPage;
