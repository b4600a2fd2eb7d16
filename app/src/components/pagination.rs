//! "Showing 26–50 of 1,204" with previous/next buttons.

use leptos::prelude::*;

/// Pager for 1-based pages.
#[component]
pub fn Pagination(
    /// Current page (1-based).
    #[prop(into)]
    page: Signal<u32>,
    /// Rows per page.
    per_page: u32,
    /// Total rows (all pages).
    #[prop(into)]
    total: Signal<u64>,
    /// Go to a page.
    on_page: Callback<u32>,
    /// Labels for previous/next ("← Newer" / "Older →").
    #[prop(optional)]
    labels: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    let (prev, next) = labels.unwrap_or(("← Previous", "Next →"));
    let pages = move || total.get().div_ceil(u64::from(per_page)).max(1) as u32;
    let range = move || {
        let t = total.get();
        if t == 0 {
            return "Nothing to show".to_owned();
        }
        let first = u64::from(page.get() - 1) * u64::from(per_page) + 1;
        let last = (first + u64::from(per_page) - 1).min(t);
        format!("Showing {first}–{last} of {}", group_digits(t))
    };
    view! {
        <nav class="pagination" aria-label="Pages">
            <span class="pagination__range" data-testid="page-range">{range}</span>
            <button
                class="button button--small"
                type="button"
                data-testid="page-prev"
                disabled=move || page.get() <= 1
                on:click=move |_| on_page.run(page.get_untracked().saturating_sub(1).max(1))
            >
                {prev}
            </button>
            <button
                class="button button--small"
                type="button"
                data-testid="page-next"
                disabled={move || page.get() >= pages()}
                on:click=move |_| on_page.run(page.get_untracked() + 1)
            >
                {next}
            </button>
        </nav>
    }
}

/// 1204 → "1,204".
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
