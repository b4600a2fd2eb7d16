//! `App`: provides the contexts and owns the route table under the `/admin` base.
//!
//! The signed-in area is one parent route whose view is the guarded [`Shell`]; sign-in and
//! not-found pages sit outside it. App-level overlays (toasts, confirmations, the unsaved
//! changes dialog) are rendered once here.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    components::{
        layout::Shell,
        overlays::{ConfirmHost, NavGuardHost, ToastHost},
    },
    pages::{
        access::{AccessPage, PolicyPage},
        data::{CollectionsPage, ItemsPage},
        flows::{BuilderPage, FlowAccessPage, FlowsListPage, RefusedPage, RunsPage},
        login::LoginPage,
        not_found::NotFoundPage,
        settings::SettingsPage,
        users::UsersPage,
    },
    paths,
    state::{
        confirm::provide_confirm, nav_guard::provide_nav_guard, session::provide_session,
        toasts::provide_toasts,
    },
};

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    provide_session();
    provide_toasts();
    provide_confirm();
    provide_nav_guard();
    crate::components::menu::install_menu_closer();

    view! {
        <Router base=paths::BASE>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=|| view! { <Redirect path="/flows" /> } />
                    <Route path=path!("/flows") view=FlowsListPage />
                    <Route path=path!("/flows/:id") view=BuilderPage />
                    <Route path=path!("/flows/:id/runs") view=RunsPage />
                    <Route path=path!("/flows/:id/runs/:run") view=RunsPage />
                    <Route path=path!("/flows/:id/refused") view=RefusedPage />
                    <Route path=path!("/flows/:id/refused/:refused") view=RefusedPage />
                    <Route path=path!("/flows/:id/access") view=FlowAccessPage />
                    <Route path=path!("/data") view=CollectionsPage />
                    <Route path=path!("/data/:collection") view=ItemsPage />
                    <Route path=path!("/data/:collection/:id") view=ItemsPage />
                    <Route path=path!("/access") view=AccessPage />
                    <Route path=path!("/access/policies/:id") view=PolicyPage />
                    <Route path=path!("/users") view=UsersPage />
                    <Route path=path!("/settings") view=SettingsPage />
                    <Route path=path!("/*any") view=NotFoundPage />
                </ParentRoute>
            </Routes>
            <NavGuardHost />
            <ConfirmHost />
            <ToastHost />
        </Router>
    }
}
