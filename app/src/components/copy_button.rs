//! A button that copies text to the clipboard and says "Copied ✓" for 2 s.

use std::time::Duration;

use leptos::prelude::*;

use super::icon::{Icon, IconName};

/// Writes `text` to the clipboard (fire and forget).
pub fn copy_text(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

/// Copy button.
#[component]
pub fn CopyButton(
    /// What to copy (read when clicked).
    #[prop(into)]
    text: Signal<String>,
    /// Button label.
    #[prop(into)]
    label: String,
    /// Test id.
    #[prop(optional, into)]
    testid: Option<String>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let label2 = label.clone();
    view! {
        <button
            class="button button--small"
            type="button"
            data-testid=testid
            on:click=move |_| {
                copy_text(&text.get_untracked());
                copied.set(true);
                set_timeout(move || copied.try_set(false).map_or((), drop), Duration::from_secs(2));
            }
        >
            <Icon name=IconName::Copy />
            <span>{move || if copied.get() { "Copied ✓".to_owned() } else { label2.clone() }}</span>
        </button>
    }
}
