//! `/admin/flows/:id/refused`: the calls a flow's webhook refused (docs/ingress.md), newest
//! first — when, why in plain words, the HTTP answer, the caller's address, the call and its
//! size — with a count per reason whose chips filter the list (`?reason=`), paging in the URL,
//! Replay on calls that kept their body, and a call's details as a drawer at
//! `/refused/:refused`.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{lookups::flow_signal, refused_detail::RefusedDrawer};
use crate::{
    api::{
        self,
        ingress::{self, ReasonCount, Refused},
    },
    components::{
        data_table::{Column, DataTable, Row},
        empty_state::EmptyState,
        error_alert::ErrorSlot,
        flow_header::{FlowHeader, FlowTab},
        icon::IconName,
        loaded::Loaded,
        mutation::use_mutations,
        pagination::Pagination,
    },
    paths,
    state::{
        confirm::Question,
        session::{Session, use_session},
        toasts::ToastKind,
    },
    util::{text::or_dash, time},
};

/// Rows per page.
const PER_PAGE: u32 = 50;

/// `?reason=…&page=…` for the list's state.
fn search(reason: Option<&str>, page: u32) -> String {
    let mut parts = Vec::new();
    if let Some(r) = reason {
        let r = String::from(js_sys::encode_uri_component(r));
        parts.push(format!("reason={r}"));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The reason badge: refusals the sender can fix by waiting are amber, the rest red.
pub fn reason_class(code: &str) -> &'static str {
    match code {
        "rate_limited" | "concurrency" | "duplicate" | "inactive" => "chip chip--warn",
        _ => "chip chip--bad",
    }
}

/// The question before a replay, and what the toast says after it.
pub fn replay_question() -> Question {
    Question::plain(
        "Replay this call?",
        "The call is run again with the body it sent, through the flow as it is now. Its steps really run: items are written and requests are sent.",
        "Replay",
    )
}

/// Opens a run by its shared id: its newest row's drawer, or the runs list while the queued
/// run has no row yet.
fn open_run(
    session: Session,
    nav: impl Fn(&str, leptos_router::NavigateOptions) + 'static,
    flow: String,
    run: String,
) {
    spawn_local(async move {
        let row = session
            .authed(move |t| api::runs::by_run_id(t, run.clone()))
            .await;
        let href = match row {
            Ok(Some(r)) => paths::href(&format!("/flows/{flow}/runs/{}", r.id)),
            _ => paths::href(&format!("/flows/{flow}/runs")),
        };
        nav(&href, paths::absolute(false));
    });
}

/// The refused-calls page (and a call's drawer when `:refused` is in the URL).
#[component]
pub fn RefusedPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let navigate = use_navigate();
    let m = use_mutations();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let open_id = Memo::new(move |_| {
        params
            .read()
            .get("refused")
            .and_then(|r| r.parse::<i64>().ok())
    });
    let reason = Memo::new(move |_| query.read().get("reason").filter(|r| !r.is_empty()));
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let (flow, flow_error) = flow_signal(session, id);
    let rows = LocalResource::new(move || {
        let (id, reason, page) = (id.get(), reason.get(), page.get());
        async move {
            session
                .authed(move |t| ingress::list(t, id.clone(), reason.clone(), page, PER_PAGE))
                .await
        }
    });
    let counts = LocalResource::new(move || {
        let id = id.get();
        async move {
            session
                .authed(move |t| ingress::counts(t, id.clone()))
                .await
        }
    });
    let refresh = move || {
        rows.refetch();
        counts.refetch();
    };
    let base = move || paths::href(&format!("/flows/{}/refused", id.get()));
    let nav = navigate.clone();
    let go = move |reason: Option<String>, page: u32| {
        nav(
            &format!("{}{}", base(), search(reason.as_deref(), page)),
            paths::absolute(false),
        );
    };
    let close_href = move || {
        format!(
            "{}{}",
            base(),
            search(reason.get_untracked().as_deref(), page.get_untracked())
        )
    };
    // Replay: the kept body again, queued; the toast links to the run it became.
    let nav = navigate.clone();
    let replay = Callback::new(move |rid: i64| {
        let flow_id = id.get_untracked();
        let nav = nav.clone();
        m.mutate(session.authed(move |t| ingress::replay(t, flow_id.clone(), rid)))
            .confirm(replay_question())
            .error("Couldn't replay")
            .then(move |q| {
                refresh();
                let flow_id = id.get_untracked();
                match q.run {
                    Some(run) => m.toasts().with_action(
                        ToastKind::Success,
                        "Queued again as a new run",
                        "Open run",
                        move || open_run(session, nav.clone(), flow_id.clone(), run.clone()),
                    ),
                    None => m.toasts().success("Queued again"),
                }
            })
            .run();
    });
    let go_chips = go.clone();
    let chips = move |list: Vec<ReasonCount>| {
        let total: u64 = list.iter().map(|c| c.count).sum();
        let current = reason.get();
        let all = {
            let go = go_chips.clone();
            view! {
                <button type="button" class="reason-chip" data-testid="refused-reason-all" aria-pressed=current.is_none().to_string() on:click=move |_| go(None, 1)>
                    "All " <span class="reason-chip__count">{total}</span>
                </button>
            }
        };
        let each = list
            .into_iter()
            .map(|c| {
                let go = go_chips.clone();
                let pressed = current.as_deref() == Some(c.reason.as_str());
                let code = c.reason.clone();
                view! {
                    <button type="button" class="reason-chip" data-testid="refused-reason-chip" data-reason=c.reason.clone()
                        title=ingress::reason_help(&c.reason) aria-pressed=pressed.to_string()
                        on:click=move |_| go((!pressed).then(|| code.clone()), 1)>
                        {ingress::reason_label(&c.reason).to_owned()} " " <span class="reason-chip__count" data-testid="refused-reason-count">{c.count}</span>
                    </button>
                }
            })
            .collect_view();
        view! {
            <div class="reason-chips" role="group" aria-label="Refused for" data-testid="refused-reasons">
                {all}
                {each}
            </div>
        }
    };
    let go_table = go.clone();
    let table = move |(list, meta): (Vec<Refused>, api::Meta)| {
        if list.is_empty() {
            return match reason.get() {
                Some(r) => view! {
                    <EmptyState icon=IconName::Check title=format!("No calls refused as \"{}\"", ingress::reason_label(&r)) text="Choose All to see every refused call." />
                }
                .into_any(),
                None => view! {
                    <EmptyState icon=IconName::Check title="No refused calls — every call to this flow was accepted." text="Calls turned away before the flow ran (a bad signature, over a limit, from an address that is not allowed) are listed here." />
                }
                .into_any(),
            };
        }
        let total = meta.filter_count.unwrap_or(list.len() as u64);
        let go = go_table.clone();
        let href = move |r: &Refused| {
            format!(
                "{}/{}{}",
                base(),
                r.id,
                search(reason.get_untracked().as_deref(), page.get_untracked())
            )
        };
        let columns = vec![
            Column::new("When", |r: &Refused| time::relative(&r.timestamp))
                .tooltip(|r: &Refused| time::absolute(&r.timestamp)),
            Column::new("Reason", |r: &Refused| {
                view! { <span class=reason_class(&r.reason) data-testid="refused-reason" title=ingress::reason_help(&r.reason)>{ingress::reason_label(&r.reason).to_owned()}</span> }
            }),
            Column::new("Answer", |r: &Refused| {
                view! { <span data-testid="refused-status">{or_dash(r.status)}</span> }
            })
            .tooltip(|r: &Refused| r.message.clone().unwrap_or_default()),
            Column::new("Caller address", |r: &Refused| or_dash(r.ip.clone())),
            Column::new("Call", |r: &Refused| {
                view! { <code>{r.method.clone().unwrap_or_else(|| "—".to_owned())}</code> }
            }),
            Column::new("Size", |r: &Refused| ingress::size_text(r.body_size)),
            Column::actions(move |r: &Refused| {
                let rid = r.id;
                r.replayable.then(|| view! {
                    <button type="button" class="button button--small" data-testid="refused-replay" on:click=move |_| replay.run(rid)>"Replay"</button>
                })
            }),
        ];
        let row = move |r: &Refused| {
            let rid = r.id;
            Row::testid("refused-row")
                .id(r.id.to_string())
                .status(r.reason.clone())
                .link(href(r))
                .selected(Signal::derive(move || open_id.get() == Some(rid)))
        };
        view! {
            <DataTable columns rows=list row testid="refused-table" />
            <Pagination page=page per_page=PER_PAGE total=total labels=("← Newer", "Older →") on_page=Callback::new(move |p| go(reason.get_untracked(), p)) />
        }
        .into_any()
    };
    view! {
        <div class="flow-page">
            <FlowHeader flow=flow tab=FlowTab::Refused>
                <button class="button button--small" type="button" data-testid="refused-refresh" on:click=move |_| refresh()>"Refresh"</button>
            </FlowHeader>
            <div class="page page--flow">
                <ErrorSlot error=flow_error context="Couldn't load the flow" />
                <p class="muted refused-intro">"Calls to this flow's web address that were turned away before it ran: with a bad signature, over a limit, from an address that is not allowed, and so on. They start no run."</p>
                {move || counts.get().and_then(Result::ok).filter(|c| !c.is_empty()).map(chips.clone())}
                <Loaded resource=rows label="Loading refused calls…" rows=8 context="Couldn't load refused calls" let:page_of_rows>
                    {table(page_of_rows)}
                </Loaded>
            </div>
            {move || open_id.get().map(|rid| view! { <RefusedDrawer flow_id=id.get() refused_id=rid close_href=close_href() on_replay=replay /> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::reason_class;

    #[test]
    fn transient_refusals_are_amber_and_the_rest_red() {
        assert_eq!(reason_class("rate_limited"), "chip chip--warn");
        assert_eq!(reason_class("concurrency"), "chip chip--warn");
        assert_eq!(reason_class("invalid_signature"), "chip chip--bad");
        assert_eq!(reason_class("ip_not_allowed"), "chip chip--bad");
    }
}
