//! Entry point of the Sluice admin web app: installs the panic hook and mounts [`app::App`].
//! Everything else lives in the modules below; this file stays tiny.

mod api;
mod app;
mod components;
mod flow_builder;
mod pages;
mod paths;
mod state;
mod util;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
