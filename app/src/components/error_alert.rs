//! Shows an [`ApiError`]: the server's message, and its code for support and bug reports.

use leptos::prelude::*;

use crate::api::ApiError;

/// An error box with the message (in the element with `message_id`) and the error code.
#[component]
pub fn ErrorAlert(
    /// The error to show.
    error: ApiError,
    /// Id of the message element, so tests and `aria-describedby` can find it.
    #[prop(optional, into)]
    message_id: Option<String>,
) -> impl IntoView {
    view! {
        <div class="alert alert--error" role="alert">
            <p class="alert__message" id=message_id>
                {error.message}
            </p>
            <p class="alert__code">
                <code>{error.code}</code>
            </p>
        </div>
    }
}
