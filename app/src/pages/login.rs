//! `/admin/login`: email + password sign-in, then back to the page that asked for it.

use leptos::{ev::SubmitEvent, prelude::*};
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::ApiError,
    components::{
        error_alert::ErrorAlert,
        icon::{Icon, IconName},
        spinner::Spinner,
    },
    paths,
    state::session::{AuthState, SignOutReason, use_session},
};

/// What the form submits.
#[derive(Clone)]
struct Credentials {
    email: String,
    password: String,
}

/// The sign-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();

    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let login = Action::new_unsync(move |c: &Credentials| {
        let c = c.clone();
        async move { session.sign_in(c.email, c.password).await }
    });
    let pending = login.pending();
    let error = move || match login.value().get() {
        Some(Err(e)) if !pending.get() => Some(e),
        _ => None,
    };

    // Signed in (just now, or already on arrival): continue to where the user was going.
    Effect::new(move |_| {
        if matches!(session.state().get(), AuthState::SignedIn(_)) {
            let target = paths::safe_return_path(query.read_untracked().get("redirect").as_deref());
            navigate(&target, paths::absolute(true));
        }
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        login.dispatch(Credentials {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        });
    };

    view! {
        <div class="page-center login">
            <section class="card card--narrow login__card" aria-labelledby="login-title">
                <div class="login__brand">
                    <span class="login__logo">
                        <Icon name=IconName::Logo />
                    </span>
                    <span class="login__name">"Sluice"</span>
                </div>
                <h1 class="card__title" id="login-title">
                    "Sign in"
                </h1>
                <SessionNotice />
                <form class="form" on:submit=on_submit>
                    <div class="field">
                        <label class="field__label" for="login-email">
                            "Email"
                        </label>
                        <input
                            class="input"
                            id="login-email"
                            data-testid="login-email"
                            name="email"
                            type="email"
                            autocomplete="username"
                            required
                            autofocus
                            bind:value=email
                        />
                    </div>
                    <div class="field">
                        <label class="field__label" for="login-password">
                            "Password"
                        </label>
                        <input
                            class="input"
                            id="login-password"
                            data-testid="login-password"
                            name="password"
                            type="password"
                            autocomplete="current-password"
                            required
                            bind:value=password
                        />
                    </div>
                    {move || error().map(|e: ApiError| view! { <ErrorAlert error=e message_id="login-error" /> })}
                    <button
                        class="button button--primary button--block"
                        id="login-submit"
                        data-testid="login-submit"
                        type="submit"
                        aria-busy=move || pending.get().then_some("true")
                        disabled=move || pending.get()
                    >
                        {move || {
                            if pending.get() {
                                view! {
                                    <Spinner />
                                    <span>"Signing in…"</span>
                                }
                                    .into_any()
                            } else {
                                view! { <span>"Sign in"</span> }.into_any()
                            }
                        }}
                    </button>
                </form>
            </section>
            <p class="login__footnote">"Sluice · Directus-compatible admin"</p>
        </div>
    }
}

/// Explains why the user landed here when the session ended without them asking.
#[component]
fn SessionNotice() -> impl IntoView {
    let session = use_session();
    move || {
        matches!(
            session.state().get(),
            AuthState::SignedOut(SignOutReason::Expired)
        )
        .then(|| {
            view! {
                <p class="alert alert--info" role="status">
                    "Your session has ended. Sign in again to continue."
                </p>
            }
        })
    }
}
