//! `/admin/settings`: the server's project info and limits, and the signed-in account.

use leptos::prelude::*;
use serde_json::Value;

use crate::{
    api::{ApiError, ApiRequest},
    components::loaded::Loaded,
    state::session::use_session,
    util::dom,
};

async fn info(token: String) -> Result<Value, ApiError> {
    ApiRequest::get("/server/info").bearer(&token).send().await
}

/// Project settings (read-only summary).
#[component]
pub fn SettingsPage() -> impl IntoView {
    let session = use_session();
    let data = LocalResource::new(move || async move { session.authed(info).await });
    let me = move || session.user().map(|u| u.label()).unwrap_or_default();
    let body = move |v: Value| {
        let s = |p: &str| {
            v.pointer(p)
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                .unwrap_or_else(|| "—".into())
        };
        view! {
            <section class="panel" data-testid="settings">
                <h2 class="panel__title">"Project"</h2>
                <dl class="facts">
                    <div><dt>"Name"</dt><dd>{s("/project/project_name")}</dd></div>
                    <div><dt>"Version"</dt><dd>{s("/version")}</dd></div>
                    <div><dt>"Address"</dt><dd><code>{dom::origin()}</code></dd></div>
                    <div><dt>"Default page size"</dt><dd>{s("/queryLimit/default")}</dd></div>
                    <div><dt>"Webhook answers"</dt><dd>{if v.pointer("/flows/responseEnvelope").and_then(Value::as_bool).unwrap_or(true) { "{\"data\": …} envelope" } else { "Directus bodies (no envelope)" }}</dd></div>
                </dl>
                <p class="field__help">"These come from the server's environment (PUBLIC_URL, QUERY_LIMIT_DEFAULT, FLOWS_RESPONSE_ENVELOPE…); change them there and restart."</p>
            </section>
            <section class="panel">
                <h2 class="panel__title">"Your account"</h2>
                <p>{me}</p>
            </section>
        }
        .into_any()
    };
    view! {
        <div class="page" data-testid="settings-page">
            <header class="page__header">
                <h1 class="page__title">"Settings"</h1>
            </header>
            <Loaded resource=data label="Loading settings…" rows=3 context="Couldn't load the server info" let:v>
                {body(v)}
            </Loaded>
        </div>
    }
}
