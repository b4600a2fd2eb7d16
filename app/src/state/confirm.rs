//! Confirmation dialogs as an async question: `confirm.ask(Question { … }).await` resolves to
//! true when the user confirms. One dialog at a time; `ConfirmHost` renders it.

use futures::channel::oneshot;
use leptos::prelude::*;

/// What to ask.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// Dialog title.
    pub title: String,
    /// Explanation.
    pub body: String,
    /// Label of the confirming button.
    pub confirm: String,
    /// The confirming button is red (destructive action).
    pub danger: bool,
}

impl Question {
    /// A destructive question ("Delete flow", …).
    pub fn danger(
        title: impl Into<String>,
        body: impl Into<String>,
        confirm: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            body: body.into(),
            confirm: confirm.into(),
            danger: true,
        }
    }

    /// A neutral question.
    pub fn plain(
        title: impl Into<String>,
        body: impl Into<String>,
        confirm: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            body: body.into(),
            confirm: confirm.into(),
            danger: false,
        }
    }
}

/// Handle to the confirmation context.
#[derive(Clone, Copy)]
pub struct Confirm {
    current: RwSignal<Option<Question>>,
    reply: StoredValue<Option<oneshot::Sender<bool>>, LocalStorage>,
}

/// Creates the confirmation context.
pub fn provide_confirm() -> Confirm {
    let c = Confirm {
        current: RwSignal::new(None),
        reply: StoredValue::new_local(None),
    };
    provide_context(c);
    c
}

/// The confirmation context.
pub fn use_confirm() -> Confirm {
    expect_context::<Confirm>()
}

impl Confirm {
    /// Opens the dialog and waits for the answer (false when dismissed).
    pub async fn ask(self, q: Question) -> bool {
        let (tx, rx) = oneshot::channel();
        if let Some(old) = self.reply.try_update_value(|r| r.replace(tx)).flatten() {
            let _ = old.send(false);
        }
        self.current.set(Some(q));
        rx.await.unwrap_or(false)
    }

    /// The open question (tracked).
    pub fn current(self) -> Option<Question> {
        self.current.get()
    }

    /// Answers the open question.
    pub fn answer(self, yes: bool) {
        self.current.set(None);
        if let Some(tx) = self.reply.try_update_value(Option::take).flatten() {
            let _ = tx.send(yes);
        }
    }
}
