//! The top bar: current area title, the signed-in user's email and the sign-out button.

use leptos::prelude::*;

use crate::{
    components::icon::{Icon, IconName},
    state::session::use_session,
};

/// Header of the signed-in shell.
#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let label = move || session.user().map(|u| u.label()).unwrap_or_default();
    let initial = move || {
        label()
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
            .unwrap_or_default()
    };

    view! {
        <header class="header">
            <div class="header__spacer"></div>
            <div class="header__user">
                <span class="avatar" aria-hidden="true">{initial}</span>
                <span class="header__email" id="user-email" data-testid="user-email">{label}</span>
                <button
                    class="button button--ghost"
                    id="sign-out"
                    data-testid="sign-out"
                    type="button"
                    on:click=move |_| session.sign_out()
                >
                    <Icon name=IconName::SignOut />
                    <span>"Sign out"</span>
                </button>
            </div>
        </header>
    }
}
