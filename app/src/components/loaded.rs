//! `Loaded`: a resource shown as skeleton rows (or a page spinner) while it loads, as an
//! [`ErrorAlert`] with Retry when it failed, and as its children once it is there.

use leptos::prelude::*;

use crate::{
    api::ApiError,
    components::{error_alert::ErrorAlert, skeleton::Skeleton, spinner::PageSpinner},
};

/// Renders `resource`: loading, failed (with Retry, which refetches it) or `children(value)`.
/// The children are rendered inside the same reactive scope, so signals they read re-render
/// them as before.
#[component]
pub fn Loaded<T, C, V>(
    /// What is loaded.
    resource: LocalResource<Result<T, ApiError>>,
    /// What is loading, for screen readers ("Loading flows…").
    label: &'static str,
    /// How many skeleton rows stand in for it.
    #[prop(default = 5)]
    rows: usize,
    /// A centred page spinner instead of skeleton rows.
    #[prop(optional)]
    spinner: bool,
    /// The error's prefix ("Couldn't load flows").
    #[prop(optional)]
    context: Option<&'static str>,
    /// Shown instead of the error when the thing is gone or hidden (403/404).
    #[prop(optional)]
    missing: Option<fn() -> AnyView>,
    /// Puts the error in a `.page` box (for routes without page padding, like the builder).
    #[prop(optional)]
    page: bool,
    /// The content, from the loaded value.
    children: C,
) -> impl IntoView
where
    T: Clone + 'static,
    C: Fn(T) -> V + Send + 'static,
    V: IntoView + 'static,
{
    let retry = Callback::new(move |_| resource.refetch());
    move || match resource.get() {
        None if spinner => view! { <PageSpinner label=label /> }.into_any(),
        None => view! { <Skeleton rows=rows label=label /> }.into_any(),
        Some(Ok(value)) => children(value).into_any(),
        Some(Err(error)) => match missing {
            Some(gone) if error.status == 403 || error.status == 404 => gone(),
            _ => {
                let alert = match context {
                    Some(c) => view! { <ErrorAlert error context=c on_retry=retry /> }.into_any(),
                    None => view! { <ErrorAlert error on_retry=retry /> }.into_any(),
                };
                if page {
                    view! { <div class="page">{alert}</div> }.into_any()
                } else {
                    alert
                }
            }
        },
    }
}
