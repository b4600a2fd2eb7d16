//! Loads and labels the flow pages share: the flow row behind a page's header, users' emails
//! by id, and how a run's caller and status are named. The runs list and the run drawer both
//! use them, so neither imports the other for them.

use std::collections::HashMap;

use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{self, ApiError, flows::Flow, runs::Run},
    state::session::Session,
};

/// Loads the flow row for a flow page's header (again whenever `id` changes).
pub fn flow_signal(
    session: Session,
    id: Memo<String>,
) -> (RwSignal<Option<Flow>>, RwSignal<Option<ApiError>>) {
    let flow = RwSignal::new(None);
    let error = RwSignal::new(None);
    Effect::new(move |_| {
        let id = id.get();
        spawn_local(async move {
            match session
                .authed(move |t| api::flows::get(t, id.clone()))
                .await
            {
                Ok(f) => flow.set(Some(f)),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    (flow, error)
}

/// Emails of users by id (for the Caller column); empty when users can't be read.
pub async fn user_emails(session: Session) -> HashMap<String, String> {
    session
        .authed(api::users::list)
        .await
        .map(|list| {
            list.into_iter()
                .map(|u| (u.id.clone(), u.email.clone().unwrap_or(u.id)))
                .collect()
        })
        .unwrap_or_default()
}

/// "ada@example.com", "Public" or "—".
pub fn caller(users: &HashMap<String, String>, run: &Run) -> String {
    match &run.user {
        Some(u) => users.get(u).cloned().unwrap_or_else(|| u.clone()),
        None if run.trigger.as_deref() == Some("webhook")
            || run.trigger.as_deref() == Some("manual") =>
        {
            "Public".to_owned()
        }
        None => "—".to_owned(),
    }
}

/// How the run was called, as a caller writes it: `POST /flows/trigger/<id>` for webhook and
/// manual runs, "Test run" for the builder's tests, else the trigger type ("schedule").
pub fn call(run: &Run) -> String {
    if run.test {
        return "Test run".to_owned();
    }
    match (run.trigger.as_deref(), &run.flow) {
        (Some("webhook" | "manual"), Some(flow)) => format!(
            "{} /flows/trigger/{flow}",
            run.method.as_deref().unwrap_or("POST")
        ),
        (trigger, _) => trigger.unwrap_or("—").to_owned(),
    }
}

/// The statuses the runs list filters by, in a run's order of life: `(status, filter label)`.
pub const RUN_STATUSES: [(&str, &str); 5] = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("retrying", "Retrying"),
    ("failed", "Failed"),
    ("success", "Succeeded"),
];

/// A run's status as the runs list and the run drawer show it ("✓ Succeeded", "✕ Failed").
pub fn status_label(status: &str) -> &str {
    match status {
        "success" => "✓ Succeeded",
        "failed" => "✕ Failed",
        "aborted" => "■ Aborted",
        "retrying" => "↻ Retrying",
        "queued" => "◷ Queued",
        "running" => "▶ Running",
        other => other,
    }
}

/// The class a run's status is coloured with: done well, done badly, or not done yet.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "success" => "run-status run-status--ok",
        "failed" | "aborted" => "run-status run-status--bad",
        _ => "run-status run-status--pending",
    }
}

/// Whether a run's row has ended: a queued or running attempt has no end yet (a retrying
/// one has: that attempt failed, and the next one has a row of its own).
pub fn has_ended(status: &str) -> bool {
    matches!(status, "success" | "failed" | "aborted" | "retrying")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(user: Option<&str>, trigger: Option<&str>) -> Run {
        let mut r: Run = serde_json::from_value(serde_json::json!({
            "id": 1,
            "status": "success",
            "timestamp": "2026-01-01T00:00:00Z",
        }))
        .expect("a run row");
        r.user = user.map(str::to_owned);
        r.trigger = trigger.map(str::to_owned);
        r
    }

    #[test]
    fn the_caller_is_the_users_email_or_its_id() {
        let users = HashMap::from([("u1".to_owned(), "ada@example.com".to_owned())]);
        assert_eq!(
            caller(&users, &run(Some("u1"), Some("webhook"))),
            "ada@example.com"
        );
        assert_eq!(caller(&users, &run(Some("u2"), Some("webhook"))), "u2");
    }

    #[test]
    fn a_call_without_a_user_is_public_for_webhooks_and_manual_runs_only() {
        let users = HashMap::new();
        assert_eq!(caller(&users, &run(None, Some("webhook"))), "Public");
        assert_eq!(caller(&users, &run(None, Some("manual"))), "Public");
        assert_eq!(caller(&users, &run(None, Some("schedule"))), "—");
        assert_eq!(caller(&users, &run(None, None)), "—");
    }

    #[test]
    fn calls_read_as_the_caller_made_them() {
        let mut r = run(None, Some("webhook"));
        r.flow = Some("f1".into());
        r.method = Some("GET".into());
        assert_eq!(call(&r), "GET /flows/trigger/f1");
        r.test = true;
        assert_eq!(call(&r), "Test run");
        assert_eq!(call(&run(None, Some("schedule"))), "schedule");
    }

    #[test]
    fn status_labels() {
        assert_eq!(status_label("success"), "✓ Succeeded");
        assert_eq!(status_label("failed"), "✕ Failed");
        assert_eq!(status_label("aborted"), "■ Aborted");
        assert_eq!(status_label("retrying"), "↻ Retrying");
        assert_eq!(status_label("running"), "▶ Running");
        assert_eq!(status_label("queued"), "◷ Queued");
        assert_eq!(status_label("paused"), "paused");
    }

    #[test]
    fn unfinished_runs_are_neither_good_nor_bad() {
        assert_eq!(status_class("success"), "run-status run-status--ok");
        assert_eq!(status_class("aborted"), "run-status run-status--bad");
        for s in ["queued", "running", "retrying"] {
            assert_eq!(status_class(s), "run-status run-status--pending");
        }
        assert!(!has_ended("queued") && !has_ended("running"));
        assert!(has_ended("retrying") && has_ended("failed"));
        assert!(RUN_STATUSES.iter().all(|(s, _)| status_label(s) != *s));
    }
}
