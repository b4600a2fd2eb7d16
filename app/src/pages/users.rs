//! `/admin/users`: users with their role (changeable in place), create a user, generate or
//! revoke a static token (shown once), delete.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::{
    api::{self, ApiError, access::Role, users::UserRow},
    components::{
        copy_button::CopyButton,
        data_table::{Column, DataTable, Row},
        error_alert::ErrorSlot,
        icon::{Icon, IconName},
        loaded::Loaded,
        modal::Modal,
        mutation::use_mutations,
        spinner::Spinner,
    },
    state::{
        confirm::Question,
        session::{Session, use_session},
    },
    util::dom,
};

async fn load(session: Session) -> Result<(Vec<UserRow>, Vec<Role>), ApiError> {
    Ok((
        session.authed(api::users::list).await?,
        session.authed(api::access::roles).await?,
    ))
}

/// The users page.
#[component]
pub fn UsersPage() -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let data = LocalResource::new(move || load(session));
    let creating = RwSignal::new(false);
    let shown_token = RwSignal::new(None::<(String, String)>);
    let update = move |id: String, body: Value| {
        session.authed(move |t| api::users::update(t, id.clone(), body.clone()))
    };
    let patch = move |u: UserRow, body: Value, done: String| {
        m.mutate(update(u.id, body))
            .success(done)
            .error(format!("Couldn't update {}", u.email.unwrap_or_default()))
            .refetch(data)
            .run();
    };
    let generate = move |u: UserRow| {
        let email = u.email.clone().unwrap_or_else(|| u.id.clone());
        let token = dom::random_token(32);
        m.mutate(update(u.id.clone(), json!({ "token": token })))
            .confirm_if(
                u.token.is_some(),
                Question::danger(
                    format!("Replace the token of {email}?"),
                    "The current token stops working at once.",
                    "Replace token",
                ),
            )
            .error("Couldn't set the token")
            .refetch(data)
            .then(move |_| shown_token.set(Some((email, token))))
            .run();
    };
    let revoke = move |u: UserRow| {
        let email = u.email.clone().unwrap_or_default();
        m.mutate(update(u.id, json!({ "token": null })))
            .confirm(Question::danger(
                format!("Revoke the token of {email}?"),
                "Calls with this token will be refused.",
                "Revoke token",
            ))
            .success(format!("Token of {email} revoked"))
            .error(format!("Couldn't update {email}"))
            .refetch(data)
            .run();
    };
    let delete = move |u: UserRow| {
        let email = u.email.clone().unwrap_or_default();
        let id = u.id;
        m.mutate(session.authed(move |t| api::users::delete(t, id.clone())))
            .confirm(Question::danger(
                format!("Delete {email}?"),
                "The user can no longer sign in. This cannot be undone.",
                "Delete user",
            ))
            .success(format!("Deleted {email}"))
            .error("Couldn't delete")
            .refetch(data)
            .run();
    };
    let me = move || session.user().map(|u| u.id);
    let table = move |(users, roles): (Vec<UserRow>, Vec<Role>)| {
        // Read here, where the table re-renders when the signed-in user changes.
        let me = me();
        let me2 = me.clone();
        let columns = vec![
            Column::new("Email", move |u: &UserRow| {
                let is_me = me.as_deref() == Some(u.id.as_str());
                view! {
                    {u.email.clone().unwrap_or_default()}
                    {is_me.then(|| view! { <span class="muted">" (you)"</span> })}
                }
            }),
            Column::new("Name", |u: &UserRow| {
                [u.first_name.clone(), u.last_name.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            Column::new("Role", move |u: &UserRow| {
                let email = u.email.clone().unwrap_or_default();
                let u1 = u.clone();
                let roles = roles.clone();
                view! {
                    <select class="input input--small" aria-label=format!("Role of {email}") data-testid="user-role" prop:value=u.role.clone().unwrap_or_default() on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let role = if v.is_empty() { Value::Null } else { json!(v) };
                        patch(u1.clone(), json!({ "role": role }), "Role changed".into());
                    }>
                        <option value="">"— no role —"</option>
                        {roles.into_iter().map(|r| view! { <option value=r.id.clone()>{r.name.clone()}</option> }).collect_view()}
                    </select>
                }
            }),
            Column::new("Status", |u: &UserRow| u.status.clone().unwrap_or_default()),
            Column::new("Static token", |u: &UserRow| {
                if u.token.is_some() {
                    view! { <span class="chip chip--ok">"Set"</span> }.into_any()
                } else {
                    view! { <span class="muted">"None"</span> }.into_any()
                }
            }),
            Column::hidden("Actions", move |u: &UserRow| {
                let (u2, u3, u4) = (u.clone(), u.clone(), u.clone());
                let is_me = me2.as_deref() == Some(u.id.as_str());
                let has_token = u.token.is_some();
                view! {
                    <span class="button-row">
                        <button class="button button--small" type="button" data-testid="generate-token" on:click=move |_| generate(u2.clone())>
                            {if has_token { "New token" } else { "Generate token" }}
                        </button>
                        {has_token.then(|| view! {
                            <button class="button button--small" type="button" data-testid="revoke-token" on:click=move |_| revoke(u3.clone())>"Revoke"</button>
                        })}
                        {(!is_me).then(|| view! {
                            <button class="icon-button" type="button" aria-label=format!("Delete {}", u4.email.clone().unwrap_or_default()) on:click=move |_| delete(u4.clone())><Icon name=IconName::Trash /></button>
                        })}
                    </span>
                }
            }),
        ];
        let row =
            |u: &UserRow| Row::testid(format!("user-{}", u.email.clone().unwrap_or_default()));
        view! { <DataTable columns rows=users row testid="users-table" /> }
    };
    view! {
        <div class="page" data-testid="users-page">
            <header class="page__header">
                <h1 class="page__title">"Users"</h1>
                <button class="button button--primary" type="button" data-testid="new-user" on:click=move |_| creating.set(true)><Icon name=IconName::Plus />"New user"</button>
            </header>
            <Loaded resource=data label="Loading users…" rows=4 context="Couldn't load users" let:d>
                {table(d)}
            </Loaded>
            {move || creating.get().then(|| {
                let roles = data.get().and_then(Result::ok).map(|d| d.1).unwrap_or_default();
                view! { <NewUserDialog roles=roles on_close=Callback::new(move |_| creating.set(false)) on_done=Callback::new(move |_| data.refetch()) /> }
            })}
            {move || shown_token.get().map(|(email, token)| {
                let t = token.clone();
                view! {
                    <Modal title="Static token" on_close=Callback::new(move |_| shown_token.set(None)) testid="token-dialog">
                        <div class="modal__body form">
                            <p>{format!("Copy the token of {email} now — it won't be shown again.")}</p>
                            <code class="url-box url-box__url" data-testid="token-value">{token}</code>
                            <p class="field__help">"Send it as Authorization: Bearer <token>."</p>
                        </div>
                        <footer class="modal__footer">
                            <CopyButton text=Signal::derive(move || t.clone()) label="Copy token" testid="copy-token" />
                            <button class="button button--primary" type="button" on:click=move |_| shown_token.set(None)>"Done"</button>
                        </footer>
                    </Modal>
                }
            })}
        </div>
    }
}

/// "New user".
#[component]
fn NewUserDialog(roles: Vec<Role>, on_close: Callback<()>, on_done: Callback<()>) -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let role = RwSignal::new(roles.first().map(|r| r.id.clone()).unwrap_or_default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let r = role.get_untracked();
        let mut body = json!({
            "email": email.get_untracked().trim(),
            "first_name": first.get_untracked(),
            "last_name": last.get_untracked(),
            "role": if r.is_empty() { Value::Null } else { json!(r) },
            "status": "active",
        });
        let pw = password.get_untracked();
        if !pw.is_empty() {
            body["password"] = json!(pw);
        }
        m.mutate(session.authed(move |t| api::users::create(t, body.clone())))
            .busy(busy)
            .success_with(|u| format!("Created {}", u.email.clone().unwrap_or_default()))
            .error_in(error)
            .refetch(on_done)
            .then(move |_| on_close.run(()))
            .run();
    };
    view! {
        <Modal title="New user" on_close=on_close testid="new-user-dialog">
            <form class="form modal__body" on:submit=submit>
                <div class="field">
                    <label class="field__label" for="user-email-input">"Email"</label>
                    <input class="input" id="user-email-input" data-testid="new-user-email" type="email" required autofocus prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label class="field__label" for="user-password">"Password"</label>
                    <input class="input" id="user-password" data-testid="new-user-password" type="password" autocomplete="new-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                    <p class="field__help">"Leave empty for a user who only calls the API with a static token."</p>
                </div>
                <div class="field__inline">
                    <div class="field">
                        <label class="field__label" for="user-first">"First name"</label>
                        <input class="input" id="user-first" prop:value=move || first.get() on:input=move |ev| first.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label class="field__label" for="user-last">"Last name"</label>
                        <input class="input" id="user-last" prop:value=move || last.get() on:input=move |ev| last.set(event_target_value(&ev)) />
                    </div>
                </div>
                <div class="field">
                    <label class="field__label" for="user-role">"Role"</label>
                    <select class="input" id="user-role" data-testid="new-user-role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="">"— no role —"</option>
                        {roles.into_iter().map(|r| view! { <option value=r.id.clone()>{r.name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <ErrorSlot error=error context="Couldn't create the user" />
                <footer class="modal__footer">
                    <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button class="button button--primary" type="submit" data-testid="new-user-create" disabled=move || busy.get() || email.get().trim().is_empty()>
                        {move || busy.get().then(|| view! { <Spinner /> })}
                        "Create user"
                    </button>
                </footer>
            </form>
        </Modal>
    }
}
