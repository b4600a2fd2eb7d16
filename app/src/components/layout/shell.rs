//! `Shell`: guards the signed-in area and lays out sidebar, header and the routed page.
//!
//! Signed-out visitors are sent to the sign-in page with a return path; the page itself
//! comes from the router's `<Outlet/>`.

use leptos::prelude::*;
use leptos_router::{
    components::Outlet,
    hooks::{use_location, use_navigate},
};

use super::{header::Header, sidebar::Sidebar};
use crate::{
    components::{error_alert::ErrorAlert, spinner::PageSpinner},
    paths,
    state::session::{AuthState, SignOutReason, use_session},
};

/// Coarse auth phase, so the layout re-renders only when the phase changes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Loading,
    Unreachable,
    SignedIn,
}

/// The guarded layout for every `/admin/*` page except sign-in.
#[component]
pub fn Shell() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();

    Effect::new(move |_| {
        let AuthState::SignedOut(reason) = session.state().get() else {
            return;
        };
        let target = if reason == SignOutReason::UserAction {
            paths::LOGIN.to_owned()
        } else {
            let mut here = location.pathname.get_untracked();
            let search = location.search.get_untracked();
            if !search.is_empty() {
                if !search.starts_with('?') {
                    here.push('?');
                }
                here.push_str(&search);
            }
            paths::login_returning_to(&here)
        };
        navigate(&target, paths::absolute(true));
    });

    let phase = Memo::new(move |_| match session.state().get() {
        AuthState::SignedIn(_) => Phase::SignedIn,
        AuthState::Unreachable(_) => Phase::Unreachable,
        AuthState::Checking | AuthState::SignedOut(_) => Phase::Loading,
    });

    // A flow's own pages (builder, runs, access) use the whole width with a compact sidebar.
    let flow_page = Memo::new(move |_| {
        let p = location.pathname.get();
        p.strip_prefix("/admin/flows/")
            .is_some_and(|rest| !rest.is_empty())
    });

    move || {
        match phase.get() {
        Phase::SignedIn => view! {
            <div class="shell" class:shell--compact=move || flow_page.get() id="shell" data-testid="shell">
                <a class="skip-link" href="#main">
                    "Skip to content"
                </a>
                <Sidebar />
                <div class="shell__body">
                    <Header />
                    <main class="shell__main" id="main" tabindex="-1">
                        <Outlet />
                    </main>
                </div>
            </div>
        }
        .into_any(),
        Phase::Unreachable => view! { <Unreachable /> }.into_any(),
        Phase::Loading => view! { <PageSpinner label="Loading…" /> }.into_any(),
    }
    }
}

/// Stored session, but the server did not answer: say so and offer a retry.
#[component]
fn Unreachable() -> impl IntoView {
    let session = use_session();
    let error = move || match session.state().get() {
        AuthState::Unreachable(e) => Some(e),
        _ => None,
    };
    view! {
        <div class="page-center">
            <section class="card card--narrow">
                <h1 class="card__title">"Can't reach Sluice"</h1>
                {move || error().map(|error| view! { <ErrorAlert error /> })}
                <button class="button button--primary" type="button" on:click=move |_| session.restore()>
                    "Retry"
                </button>
            </section>
        </div>
    }
}
