//! `App`: provides the contexts and owns the route table under the `/admin` base.
//!
//! The signed-in area is one parent route whose view is the guarded [`Shell`]; sign-in and
//! not-found pages sit outside it.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    components::layout::Shell,
    pages::{
        access::AccessPage, data::DataPage, flows::FlowsPage, login::LoginPage,
        not_found::NotFoundPage, settings::SettingsPage, users::UsersPage,
    },
    paths,
    state::session::provide_session,
};

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    provide_session();

    view! {
        <Router base=paths::BASE>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=|| view! { <Redirect path="/flows" /> } />
                    <Route path=path!("/flows") view=FlowsPage />
                    <Route path=path!("/data") view=DataPage />
                    <Route path=path!("/access") view=AccessPage />
                    <Route path=path!("/users") view=UsersPage />
                    <Route path=path!("/settings") view=SettingsPage />
                    <Route path=path!("/*any") view=NotFoundPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
