//! The header of a flow's pages: back to Flows, the name, the Active switch (applies at
//! once), and the Build · Runs · Refused · Access tabs as real links; pages add their own
//! controls.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api::{self, flows::Flow},
    components::{
        icon::{Icon, IconName},
        mutation::use_mutations,
        switch::Switch,
    },
    paths,
    state::session::use_session,
};

/// Which tab is current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowTab {
    /// The builder.
    Build,
    /// Run logs.
    Runs,
    /// Calls the webhook refused.
    Refused,
    /// Who may trigger it.
    Access,
}

/// The flow header.
#[component]
pub fn FlowHeader(
    /// The flow row (updated when the switch changes it).
    flow: RwSignal<Option<Flow>>,
    /// Current tab.
    tab: FlowTab,
    /// Extra controls on the right.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let m = use_mutations();
    let session = use_session();
    let busy = RwSignal::new(false);
    let id = move || flow.with(|f| f.as_ref().map(|f| f.id.clone()).unwrap_or_default());
    let name = move || flow.with(|f| f.as_ref().map(|f| f.name.clone()).unwrap_or_default());
    let active = Signal::derive(move || flow.with(|f| f.as_ref().is_some_and(Flow::is_active)));
    let toggle = Callback::new(move |on: bool| {
        let Some(id) = flow.with_untracked(|f| f.as_ref().map(|f| f.id.clone())) else {
            return;
        };
        m.mutate(session.authed(move |t| api::flows::set_active(t, id.clone(), on)))
            .busy(busy)
            .success(if on {
                "Flow turned on"
            } else {
                "Flow turned off — calls are refused"
            })
            .error("Couldn't change the status")
            .then(move |updated| {
                flow.update(|x| {
                    if let Some(x) = x {
                        x.status = updated.status;
                    }
                });
            })
            .run();
    });
    let tab_link = move |t: FlowTab, label: &'static str, suffix: &'static str| {
        let href = move || paths::href(&format!("/flows/{}{suffix}", id()));
        view! {
            <A href=href exact=true attr:class="fb-flow-tabs__tab" attr:data-current=(t == tab).then_some("true") attr:data-testid=format!("tab-{}", label.to_ascii_lowercase())>
                {label}
            </A>
        }
    };
    view! {
        <header class="fb-flow-header">
            <a class="icon-button" href=paths::href("/flows") aria-label="Back to flows" data-testid="back-to-flows">
                <Icon name=IconName::ArrowLeft />
            </a>
            <div class="fb-flow-header__title">
                <span class="fb-flow-header__crumb">"Flows /"</span>
                <h1 class="fb-flow-header__name" data-testid="flow-title">{name}</h1>
            </div>
            <label class="fb-flow-header__status" title="Applies immediately">
                <Switch checked=active on_toggle=toggle label="Active" id="flow-active" disabled=Signal::derive(move || busy.get()) />
                <span>{move || if active.get() { "Active" } else { "Inactive" }}</span>
            </label>
            <nav class="fb-flow-tabs" aria-label="Flow">
                {tab_link(FlowTab::Build, "Build", "")}
                {tab_link(FlowTab::Runs, "Runs", "/runs")}
                {tab_link(FlowTab::Refused, "Refused", "/refused")}
                {tab_link(FlowTab::Access, "Access", "/access")}
            </nav>
            <div class="fb-flow-header__spacer"></div>
            {children.map(|c| c())}
        </header>
    }
}
