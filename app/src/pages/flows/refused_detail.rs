//! The refused-call drawer: why the call was turned away (label and a sentence), what was
//! answered, when, from where, its redacted headers and body excerpt, and Replay when its body
//! was kept. It reads the one row again, so a link to it works on its own.

use leptos::{ev, prelude::*};
use leptos_router::hooks::use_navigate;
use serde_json::Value;

use super::refused::reason_class;
use crate::{
    api::{
        ApiError,
        ingress::{self, Refused},
    },
    components::loaded::Loaded,
    paths,
    state::session::use_session,
    util::{text::or_dash, time},
};

fn is_redacted(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("--redacted"))
}

/// The request headers, redacted values shown as hidden.
fn headers_table(v: &Value) -> AnyView {
    let Some(m) = v.as_object().filter(|m| !m.is_empty()) else {
        return view! { <p class="muted">"None recorded"</p> }.into_any();
    };
    view! {
        <table class="kv-table" data-testid="refused-headers">
            <tbody>
                {m.iter().map(|(k, v)| view! {
                    <tr>
                        <th scope="row">{k.clone()}</th>
                        <td>
                            {if is_redacted(v) {
                                view! { <span class="chip chip--muted" title="Hidden in the log">"•••• hidden"</span> }.into_any()
                            } else {
                                view! { <code>{v.as_str().map_or_else(|| v.to_string(), str::to_owned)}</code> }.into_any()
                            }}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn gone() -> AnyView {
    view! { <p class="alert alert--info">"This refused call is no longer in the log (the oldest are removed first)."</p> }.into_any()
}

/// The drawer.
#[component]
pub fn RefusedDrawer(
    /// Flow id.
    flow_id: String,
    /// Refused call id.
    refused_id: i64,
    /// Where closing goes (the list with its filters).
    close_href: String,
    /// Replays a call (the page's confirmation and toast).
    on_replay: Callback<i64>,
) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let row = LocalResource::new(move || {
        let flow = flow_id.clone();
        async move {
            match session
                .authed(move |t| ingress::get(t, flow.clone(), refused_id))
                .await
            {
                Ok(Some(r)) => Ok(r),
                Ok(None) => Err(ApiError {
                    status: 404,
                    code: "NOT_FOUND".into(),
                    message: "Not found".into(),
                }),
                Err(e) => Err(e),
            }
        }
    });
    let close_nav = navigate.clone();
    let close_href2 = close_href.clone();
    let esc = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        if e.key() == "Escape" {
            close_nav(&close_href2, paths::absolute(false));
        }
    });
    on_cleanup(move || esc.remove());
    let body = move |r: Refused| {
        let rid = r.id;
        let excerpt = match &r.excerpt {
            Some(e) if !e.is_empty() => view! { <pre class="code-block" data-testid="refused-excerpt">{e.clone()}</pre> }.into_any(),
            Some(_) => view! { <p class="muted" data-testid="refused-excerpt">"Empty body"</p> }.into_any(),
            None => view! { <p class="muted" data-testid="refused-excerpt">"The body was not read (the call was refused before it)."</p> }.into_any(),
        };
        view! {
            <header class="drawer__header">
                <h2 class="drawer__title" data-testid="refused-title">
                    <span class=reason_class(&r.reason)>{ingress::reason_label(&r.reason).to_owned()}</span>
                </h2>
                {r.replayable.then(|| view! {
                    <button class="button button--small" type="button" data-testid="refused-detail-replay" on:click=move |_| on_replay.run(rid)>"Replay"</button>
                })}
                <p data-testid="refused-explanation">{ingress::reason_help(&r.reason)}</p>
                <dl class="facts">
                    <div><dt>"When"</dt><dd>{time::absolute(&r.timestamp)}</dd></div>
                    <div><dt>"Answer"</dt><dd data-testid="refused-detail-status">{or_dash(r.status)}</dd></div>
                    <div><dt>"Caller address"</dt><dd>{or_dash(r.ip.clone())}</dd></div>
                    <div><dt>"Method"</dt><dd><code>{or_dash(r.method.clone())}</code></dd></div>
                    <div><dt>"Body size"</dt><dd>{ingress::size_text(r.body_size)}</dd></div>
                    <div><dt>"Reason code"</dt><dd><code>{r.reason.clone()}</code></dd></div>
                    <div><dt>"Can be replayed"</dt><dd>{if r.replayable { "Yes, its body was kept" } else { "No" }}</dd></div>
                </dl>
            </header>
            <h3 class="subhead">"Message answered"</h3>
            <p data-testid="refused-message">{r.message.clone().unwrap_or_else(|| "—".to_owned())}</p>
            <h3 class="subhead">"Headers"</h3>
            {headers_table(&r.headers)}
            <h3 class="subhead">"Body (start)"</h3>
            {excerpt}
        }
        .into_any()
    };
    let close_href3 = close_href.clone();
    view! {
        <div class="drawer-backdrop" on:click=move |_| navigate(&close_href3, paths::absolute(false))></div>
        <aside class="drawer" role="dialog" aria-label="Refused call" data-testid="refused-detail">
            <a class="icon-button drawer__close" href=close_href aria-label="Close (Esc)">"×"</a>
            <Loaded resource=row label="Loading the call…" rows=6 missing=gone let:r>
                {body(r)}
            </Loaded>
        </aside>
    }
}
