//! The Flows area: the list (`/admin/flows`), the builder (`/admin/flows/:id`, in
//! `flow_builder`), the run logs with their detail drawer, the refused calls and the Access
//! tab.

pub mod access;
mod import;
pub mod list;
mod lookups;
mod new_flow;
pub mod refused;
mod refused_detail;
mod run_detail;
pub mod runs;

pub use crate::flow_builder::BuilderPage;
pub use access::FlowAccessPage;
pub use list::FlowsListPage;
pub use refused::RefusedPage;
pub use runs::RunsPage;
