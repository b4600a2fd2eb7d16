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
    Plus,
    Trash,
    Copy,
    Upload,
    Play,
    Check,
    Close,
    Globe,
    Bolt,
    ArrowLeft,
    Search,
    Refresh,
    Branch,
    Eye,
    Edit,
    Terminal,
    Link,
    Clock,
    Alert,
    Shuffle,
    Code,
    Mail,
    Bell,
    Key,
    Table,
    Save,
    Undo,
    Redo,
    Minus,
    Fit,
    Calendar,
    Hand,
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
            Self::Plus => "M12 5v14M5 12h14",
            Self::Minus => "M5 12h14",
            Self::Trash => "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
            Self::Copy => "M9 9h11v11H9zM5 15H4V4h11v1",
            Self::Upload => "M12 20V9M7 14l5-5 5 5M5 4h14",
            Self::Play => "M7 4l13 8-13 8z",
            Self::Check => "M5 12l5 5 9-10",
            Self::Close => "M6 6l12 12M18 6L6 18",
            Self::Globe => {
                "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18"
            }
            Self::Bolt => "M13 3L5 14h6l-1 7 8-11h-6z",
            Self::ArrowLeft => "M19 12H5M11 6l-6 6 6 6",
            Self::Search => "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20 20l-4-4",
            Self::Refresh => "M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7",
            Self::Branch => {
                "M6 3v12M18 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM6 21a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM18 9a9 9 0 0 1-9 9"
            }
            Self::Eye => {
                "M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12zM12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z"
            }
            Self::Edit => "M4 20h4L19 9l-4-4L4 16zM13 7l4 4",
            Self::Terminal => "M4 6l6 6-6 6M12 18h8",
            Self::Link => {
                "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"
            }
            Self::Clock => "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2",
            Self::Alert => "M12 3l10 18H2zM12 10v5M12 18v.5",
            Self::Shuffle => "M4 7h10l6 10M4 17h4M20 17h-6M17 4l3 3-3 3M17 14l3 3-3 3",
            Self::Code => "M8 7l-5 5 5 5M16 7l5 5-5 5M14 4l-4 16",
            Self::Mail => "M3 5h18v14H3zM3 6l9 7 9-7",
            Self::Bell => "M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0",
            Self::Key => "M8 15a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM11 11h10M18 11v3M21 11v3",
            Self::Table => "M3 5h18v14H3zM3 10h18M3 15h18M9 5v14",
            Self::Save => "M5 4h11l3 3v13H5zM8 4v5h7M8 20v-6h8v6",
            Self::Undo => "M9 14L4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3",
            Self::Redo => "M15 14l5-5-5-5M20 9H10a6 6 0 0 0 0 12h3",
            Self::Fit => "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5",
            Self::Calendar => "M4 6h16v14H4zM4 10h16M8 3v4M16 3v4",
            Self::Hand => {
                "M8 13V5a1.5 1.5 0 0 1 3 0v6M11 11V4a1.5 1.5 0 0 1 3 0v7M14 11V5a1.5 1.5 0 0 1 3 0v8c0 4-2 7-6 7-3 0-4-1-6-4l-2-3a1.5 1.5 0 0 1 2.5-1.6L8 13"
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
