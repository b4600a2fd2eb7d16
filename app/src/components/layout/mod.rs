//! The signed-in shell: route guard, sidebar and header around the routed page.

mod header;
mod shell;
mod sidebar;

pub use shell::Shell;
