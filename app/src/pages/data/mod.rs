//! The Data area: collections (`/admin/data`, with "New collection") and a collection's
//! items (`/admin/data/:collection`, with paging, sort, search and item editing).

mod collections;
mod item_form;
mod items;
mod new_collection;

pub use collections::CollectionsPage;
pub use items::ItemsPage;
