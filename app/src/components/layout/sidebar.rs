//! The left navigation: one link per admin area, the current one marked `aria-current`.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::icon::{Icon, IconName},
    paths,
};

/// One sidebar entry: element id, label, path under the base, icon.
struct NavItem {
    id: &'static str,
    label: &'static str,
    path: &'static str,
    icon: IconName,
}

const NAV: [NavItem; 5] = [
    NavItem {
        id: "nav-flows",
        label: "Flows",
        path: "/flows",
        icon: IconName::Flows,
    },
    NavItem {
        id: "nav-data",
        label: "Data",
        path: "/data",
        icon: IconName::Data,
    },
    NavItem {
        id: "nav-access",
        label: "Access",
        path: "/access",
        icon: IconName::Access,
    },
    NavItem {
        id: "nav-users",
        label: "Users",
        path: "/users",
        icon: IconName::Users,
    },
    NavItem {
        id: "nav-settings",
        label: "Settings",
        path: "/settings",
        icon: IconName::Settings,
    },
];

/// The app's primary navigation.
#[component]
pub fn Sidebar() -> impl IntoView {
    view! {
        <aside class="sidebar">
            <a class="sidebar__brand" href=paths::HOME>
                <span class="sidebar__logo">
                    <Icon name=IconName::Logo />
                </span>
                <span class="sidebar__name">"Sluice"</span>
            </a>
            <nav class="sidebar__nav" aria-label="Main">
                <ul class="sidebar__list">
                    {NAV
                        .iter()
                        .map(|item| {
                            view! {
                                <li>
                                    <A href=paths::href(item.path) attr:id=item.id attr:class="sidebar__link" attr:data-testid=item.id attr:title=item.label>
                                        <Icon name=item.icon />
                                        <span>{item.label}</span>
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </aside>
    }
}
