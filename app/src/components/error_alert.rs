//! Shows an [`ApiError`]: the server's message, its code, [Copy details] and an optional
//! [Retry]; [`ErrorSlot`] shows the error of a last attempt while there is one.

use leptos::prelude::*;

use crate::{api::ApiError, components::copy_button::copy_text};

/// An error box with the message (in the element with `message_id`) and the error code.
#[component]
pub fn ErrorAlert(
    /// The error to show.
    error: ApiError,
    /// Id of the message element, so tests and `aria-describedby` can find it.
    #[prop(optional, into)]
    message_id: Option<String>,
    /// A prefix such as "Couldn't load flows".
    #[prop(optional, into)]
    context: Option<String>,
    /// Shows a Retry button.
    #[prop(optional)]
    on_retry: Option<Callback<()>>,
) -> impl IntoView {
    let details = format!(
        r#"{{"status":{},"code":"{}","message":{}}}"#,
        error.status,
        error.code,
        serde_json::Value::String(error.message.clone())
    );
    let message = match context {
        Some(c) => format!("{c}: {}", error.message),
        None => error.message.clone(),
    };
    view! {
        <div class="alert alert--error" role="alert" data-testid="error-alert">
            <p class="alert__message" id=message_id>
                {message}
            </p>
            <p class="alert__code">
                <code>{error.code}</code>
                <button class="link-button" type="button" on:click=move |_| copy_text(&details)>
                    "Copy details"
                </button>
                {on_retry.map(|r| view! {
                    <button class="button button--small" type="button" data-testid="retry" on:click=move |_| r.run(())>
                        "Retry"
                    </button>
                })}
            </p>
        </div>
    }
}

/// The error of the last attempt (a form's submit, a test run), shown while there is one.
#[component]
pub fn ErrorSlot(
    /// The error, if any.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
    /// A prefix such as "Not saved".
    #[prop(optional)]
    context: Option<&'static str>,
) -> impl IntoView {
    move || {
        error.get().map(|error| match context {
            Some(c) => view! { <ErrorAlert error context=c /> }.into_any(),
            None => view! { <ErrorAlert error /> }.into_any(),
        })
    }
}
