//! Inline SVG line icons (24 × 24 grid, stroke = currentColor), always decorative.

use leptos::prelude::*;

/// The icons the app uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    Flows,
    Data,
    Access,
    Users,
    Settings,
    SignOut,
    Compass,
    Logo,
}

impl IconName {
    fn path(self) -> &'static str {
        match self {
            Self::Flows => "M3 4h6v6H3zM15 14h6v6h-6zM6 10v2a3 3 0 0 0 3 3h6",
            Self::Data => {
                "M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zM4 6v12c0 1.7 3.6 3 8 3s8-1.3 \
                 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"
            }
            Self::Access => "M12 3l7 3v5c0 4.5-3 8.5-7 10-4-1.5-7-5.5-7-10V6zM9 12l2 2 4-4",
            Self::Users => {
                "M16 20v-1.5a3.5 3.5 0 0 0-3.5-3.5h-5A3.5 3.5 0 0 0 4 18.5V20M10 11a3.5 3.5 0 1 0 \
                 0-7 3.5 3.5 0 0 0 0 7zM20 20v-1.5a3.5 3.5 0 0 0-2.5-3.3M15.5 4.2a3.5 3.5 0 0 1 0 6.6"
            }
            Self::Settings => "M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1M15 4v4M9 10v4M17 16v4",
            Self::SignOut => "M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9",
            Self::Compass => "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM15.5 8.5l-2 5-5 2 2-5z",
            Self::Logo => {
                "M3 8c3-2 6 2 9 0s6-2 9 0M3 13c3-2 6 2 9 0s6-2 9 0M3 18c3-2 6 2 9 0s6-2 9 0"
            }
        }
    }
}

/// An icon hidden from assistive technology (the adjacent text carries the meaning).
#[component]
pub fn Icon(
    /// Which icon.
    name: IconName,
) -> impl IntoView {
    view! {
        <svg
            class="icon"
            viewBox="0 0 24 24"
            width="20"
            height="20"
            fill="none"
            stroke="currentColor"
            stroke-width="1.75"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            <path d=name.path()></path>
        </svg>
    }
}
