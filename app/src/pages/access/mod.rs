//! The Access area: roles and policies (`/admin/access`) and one policy's per-collection
//! permissions (`/admin/access/policies/:id`).

mod policy;
mod roles;

pub use policy::PolicyPage;
pub use roles::AccessPage;
