//! The "New flow" dialog: a name and the trigger as tiles (webhook preselected); creates the
//! flow inactive with run history on and opens the builder with the trigger selected.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde_json::json;

use crate::{
    api::{self, ApiError},
    components::{
        error_alert::ErrorSlot, icon::Icon, modal::Modal, mutation::use_mutations, spinner::Spinner,
    },
    flow_builder::specs,
    paths,
    state::session::use_session,
};

/// The dialog.
#[component]
pub fn NewFlowDialog(
    /// Closes it.
    on_close: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let m = use_mutations();
    let name = RwSignal::new(String::new());
    let trigger = RwSignal::new("webhook");
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_owned();
        if n.is_empty() || busy.get_untracked() {
            return;
        }
        let t = trigger.get_untracked();
        let body = json!({
            "name": n,
            "trigger": t,
            "status": "inactive",
            "accountability": "all",
            "options": specs::trigger_defaults(t),
        });
        let navigate = navigate.clone();
        m.mutate(session.authed(move |tok| api::flows::create(tok, body.clone())))
            .busy(busy)
            .error_in(error)
            .then(move |f| {
                on_close.run(());
                navigate(
                    &paths::href(&format!("/flows/{}?select=trigger", f.id)),
                    paths::absolute(false),
                );
            })
            .run();
    };
    view! {
        <Modal title="New flow" on_close=on_close testid="new-flow-dialog">
            <form class="form modal__body" on:submit=submit>
                <div class="field">
                    <label class="field__label" for="new-flow-name">"Name"</label>
                    <input class="input" id="new-flow-name" data-testid="new-flow-name" required autofocus prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <fieldset class="field">
                    <legend class="field__label">"Starts…"</legend>
                    <div class="tiles">
                        {specs::TRIGGERS.iter().map(|(value, title, desc, icon)| {
                            let value: &'static str = value;
                            view! {
                                <button type="button" role="radio" class="tile" aria-checked=move || (trigger.get() == value).to_string() data-testid=format!("new-flow-trigger-{value}") on:click=move |_| trigger.set(value)>
                                    <Icon name=*icon />
                                    <span class="tile__title">{*title}</span>
                                    <span class="tile__desc">{*desc}</span>
                                </button>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
                <p class="field__help">"New flows start inactive: turn them on when they are ready."</p>
                <ErrorSlot error=error />
                <footer class="modal__footer">
                    <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button class="button button--primary" type="submit" data-testid="new-flow-create" disabled=move || busy.get() || name.get().trim().is_empty()>
                        {move || busy.get().then(|| view! { <Spinner /> })}
                        "Create"
                    </button>
                </footer>
            </form>
        </Modal>
    }
}
