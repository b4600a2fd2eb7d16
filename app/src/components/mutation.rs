//! The mutation helper: one call that changes something on the server, optionally after a
//! confirmation, with a busy flag up while it runs; then it reports the outcome (a toast, or
//! the error handed back for a form to show in place) and refetches what it names.
//!
//! ```text
//! let m = use_mutations();                 // once, while the component is set up
//! m.mutate(session.authed(move |t| api::flows::delete(t, id.clone())))
//!     .confirm(Question::danger(…))
//!     .success(format!("Deleted '{name}'"))
//!     .error("Couldn't delete")
//!     .refetch(data)
//!     .run();
//! ```
//!
//! The order is fixed: (confirmation; declined ends here, nothing else runs) → busy on → call
//! → busy off → on success: toast, refetches, `then`; on failure: `on_error`, then the error
//! toast or the in-place error → `finally`. [`Feedback`] is where it asks and tells, so the
//! sequence is unit-tested on the host with a fake.

use std::future::Future;

use futures::future::{FutureExt, LocalBoxFuture};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::ApiError,
    state::{
        confirm::{Confirm, Question, use_confirm},
        toasts::{ToastKind, Toasts, use_toasts},
    },
};

/// Where a mutation asks for confirmation and tells the outcome.
pub trait Feedback {
    /// Asks the question; true when the user confirms.
    fn ask(&self, question: Question) -> impl Future<Output = bool>;
    /// Shows a toast.
    fn toast(&self, kind: ToastKind, text: String);
}

/// Something a successful mutation makes fresh again: a resource, or a parent's "done" callback.
pub trait Refetch {
    /// Loads it again.
    fn refetch(&self);
}

impl<T: 'static> Refetch for LocalResource<T> {
    fn refetch(&self) {
        LocalResource::refetch(self);
    }
}

impl Refetch for Callback<()> {
    fn refetch(&self) {
        self.run(());
    }
}

/// The app's confirmation dialog and toasts; `Copy`, taken once per component.
#[derive(Clone, Copy)]
pub struct Mutations {
    toasts: Toasts,
    confirm: Confirm,
}

/// The mutation handle of the current component (call it during setup, not in a handler).
pub fn use_mutations() -> Mutations {
    Mutations {
        toasts: use_toasts(),
        confirm: use_confirm(),
    }
}

impl Feedback for Mutations {
    fn ask(&self, question: Question) -> impl Future<Output = bool> {
        self.confirm.ask(question)
    }

    fn toast(&self, kind: ToastKind, text: String) {
        match kind {
            ToastKind::Success => self.toasts.success(text),
            ToastKind::Info => self.toasts.info(text),
            ToastKind::Error => self.toasts.error(text),
        }
    }
}

impl Mutations {
    /// Starts describing a mutation; nothing runs before [`Mutation::run`].
    pub fn mutate<T: 'static>(
        self,
        call: impl Future<Output = Result<T, ApiError>> + 'static,
    ) -> Mutation<T, Self> {
        Mutation::new(self, call)
    }

    /// The toasts (for a toast with an action button).
    pub fn toasts(self) -> Toasts {
        self.toasts
    }
}

/// How a failure is reported.
enum Failure {
    /// An error toast: "<prefix>: <message>", or the bare message.
    Toast(Option<String>),
    /// Handed over (a form shows it in place); no toast.
    Inline(Box<dyn FnOnce(ApiError)>),
}

/// The text of an error toast.
pub fn error_text(prefix: Option<&str>, message: &str) -> String {
    match prefix {
        Some(p) => format!("{p}: {message}"),
        None => message.to_owned(),
    }
}

/// The success toast's text, made from the answer.
type SuccessText<T> = Box<dyn FnOnce(&T) -> String>;

/// A described mutation; see the module docs for the order of its steps.
#[must_use = "a mutation does nothing until `.run()`"]
pub struct Mutation<T, F> {
    feedback: F,
    call: LocalBoxFuture<'static, Result<T, ApiError>>,
    question: Option<Question>,
    busy: Option<Box<dyn Fn(bool)>>,
    success: Option<SuccessText<T>>,
    failure: Failure,
    refetch: Vec<Box<dyn Fn()>>,
    then: Option<Box<dyn FnOnce(T)>>,
    on_error: Option<Box<dyn FnOnce()>>,
    finally: Option<Box<dyn FnOnce()>>,
}

impl<T: 'static, F: Feedback + 'static> Mutation<T, F> {
    /// A mutation of `call` that asks and tells through `feedback`. By default a failure is
    /// a toast with the bare error message and a success says nothing.
    pub fn new(feedback: F, call: impl Future<Output = Result<T, ApiError>> + 'static) -> Self {
        Self {
            feedback,
            call: call.boxed_local(),
            question: None,
            busy: None,
            success: None,
            failure: Failure::Toast(None),
            refetch: Vec::new(),
            then: None,
            on_error: None,
            finally: None,
        }
    }

    /// Asks first; when declined nothing else happens.
    pub fn confirm(self, question: Question) -> Self {
        self.confirm_if(true, question)
    }

    /// Asks first only when `ask` is true.
    pub fn confirm_if(mut self, ask: bool, question: Question) -> Self {
        if ask {
            self.question = Some(question);
        }
        self
    }

    /// True while the call runs (after any confirmation).
    pub fn busy(self, flag: RwSignal<bool>) -> Self {
        self.busy_with(move |on| {
            flag.try_set(on);
        })
    }

    /// Called with true before the call and false after it.
    pub fn busy_with(mut self, set: impl Fn(bool) + 'static) -> Self {
        self.busy = Some(Box::new(set));
        self
    }

    /// A success toast.
    pub fn success(self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.success_with(move |_| text)
    }

    /// A success toast made from the answer.
    pub fn success_with(mut self, text: impl FnOnce(&T) -> String + 'static) -> Self {
        self.success = Some(Box::new(text));
        self
    }

    /// Failures become an error toast "<prefix>: <message>".
    pub fn error(mut self, prefix: impl Into<String>) -> Self {
        self.failure = Failure::Toast(Some(prefix.into()));
        self
    }

    /// Failures are put into `slot` (shown in place) instead of a toast.
    pub fn error_in(mut self, slot: RwSignal<Option<ApiError>>) -> Self {
        self.failure = Failure::Inline(Box::new(move |e| {
            slot.try_set(Some(e));
        }));
        self
    }

    /// Refetched after a success.
    pub fn refetch(mut self, what: impl Refetch + 'static) -> Self {
        self.refetch.push(Box::new(move || what.refetch()));
        self
    }

    /// Runs with the answer after a success (after the toast and the refetches).
    pub fn then(mut self, f: impl FnOnce(T) + 'static) -> Self {
        self.then = Some(Box::new(f));
        self
    }

    /// Runs after a failure, before it is reported (e.g. to undo an optimistic change).
    pub fn on_error(mut self, f: impl FnOnce() + 'static) -> Self {
        self.on_error = Some(Box::new(f));
        self
    }

    /// Runs last once the call has run, whatever its outcome.
    pub fn finally(mut self, f: impl FnOnce() + 'static) -> Self {
        self.finally = Some(Box::new(f));
        self
    }

    /// Runs it in the background. Without a confirmation the busy flag goes up at once, so a
    /// second click before the task starts already sees it.
    pub fn run(self) {
        if self.question.is_none()
            && let Some(set) = &self.busy
        {
            set(true);
        }
        spawn_local(async move {
            self.exec().await;
        });
    }

    /// Runs it; true when the call ran and succeeded.
    pub async fn exec(self) -> bool {
        let Self {
            feedback,
            call,
            question,
            busy,
            success,
            failure,
            refetch,
            then,
            on_error,
            finally,
        } = self;
        if let Some(q) = question
            && !feedback.ask(q).await
        {
            return false;
        }
        let set_busy = |on: bool| {
            if let Some(set) = &busy {
                set(on);
            }
        };
        set_busy(true);
        let result = call.await;
        set_busy(false);
        let ok = match result {
            Ok(value) => {
                if let Some(text) = success {
                    feedback.toast(ToastKind::Success, text(&value));
                }
                for r in &refetch {
                    r();
                }
                if let Some(f) = then {
                    f(value);
                }
                true
            }
            Err(e) => {
                if let Some(f) = on_error {
                    f();
                }
                match failure {
                    Failure::Toast(prefix) => {
                        feedback.toast(ToastKind::Error, error_text(prefix.as_deref(), &e.message));
                    }
                    Failure::Inline(put) => put(e),
                }
                false
            }
        };
        if let Some(f) = finally {
            f();
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use std::{cell::RefCell, rc::Rc};

    use futures::executor::block_on;

    use super::*;

    /// Records every step in one log, answers confirmations with `yes`.
    #[derive(Clone)]
    struct Fake {
        yes: bool,
        log: Rc<RefCell<Vec<String>>>,
    }

    impl Fake {
        fn new(yes: bool) -> Self {
            Self {
                yes,
                log: Rc::default(),
            }
        }
        fn note(&self, s: impl Into<String>) {
            self.log.borrow_mut().push(s.into());
        }
        fn log(&self) -> Vec<String> {
            self.log.borrow().clone()
        }
    }

    impl Feedback for Fake {
        fn ask(&self, question: Question) -> impl Future<Output = bool> {
            self.note(format!("ask {}", question.title));
            std::future::ready(self.yes)
        }
        fn toast(&self, kind: ToastKind, text: String) {
            self.note(format!("{kind:?} {text}"));
        }
    }

    struct Counter(Fake);
    impl Refetch for Counter {
        fn refetch(&self) {
            self.0.note("refetch");
        }
    }

    fn call(
        f: &Fake,
        result: Result<u32, ApiError>,
    ) -> impl Future<Output = Result<u32, ApiError>> + use<> {
        let f = f.clone();
        async move {
            f.note("call");
            result
        }
    }

    fn described(f: &Fake, result: Result<u32, ApiError>) -> Mutation<u32, Fake> {
        let (b, t, e, l) = (f.clone(), f.clone(), f.clone(), f.clone());
        Mutation::new(f.clone(), call(f, result))
            .busy_with(move |on| b.note(format!("busy {on}")))
            .success_with(|n| format!("saved {n}"))
            .error("Couldn't save")
            .refetch(Counter(f.clone()))
            .then(move |n| t.note(format!("then {n}")))
            .on_error(move || e.note("undo"))
            .finally(move || l.note("finally"))
    }

    fn denied() -> ApiError {
        ApiError {
            status: 403,
            code: "FORBIDDEN".into(),
            message: "You don't have permission".into(),
        }
    }

    #[test]
    fn success_toasts_then_refetches_then_continues() {
        let f = Fake::new(true);
        assert!(block_on(described(&f, Ok(7)).exec()));
        assert_eq!(
            f.log(),
            [
                "busy true",
                "call",
                "busy false",
                "Success saved 7",
                "refetch",
                "then 7",
                "finally"
            ]
        );
    }

    #[test]
    fn failure_undoes_and_toasts_with_the_prefix_and_does_not_refetch() {
        let f = Fake::new(true);
        assert!(!block_on(described(&f, Err(denied())).exec()));
        assert_eq!(
            f.log(),
            [
                "busy true",
                "call",
                "busy false",
                "undo",
                "Error Couldn't save: You don't have permission",
                "finally"
            ]
        );
    }

    #[test]
    fn a_declined_confirmation_runs_nothing() {
        let f = Fake::new(false);
        let m = described(&f, Ok(1)).confirm(Question::danger("Delete?", "", "Delete"));
        assert!(!block_on(m.exec()));
        assert_eq!(f.log(), ["ask Delete?"]);
    }

    #[test]
    fn a_confirmed_mutation_asks_before_it_is_busy() {
        let f = Fake::new(true);
        let m = described(&f, Ok(1)).confirm_if(true, Question::plain("Sure?", "", "Yes"));
        assert!(block_on(m.exec()));
        assert_eq!(f.log()[..3], ["ask Sure?", "busy true", "call"]);
    }

    #[test]
    fn confirm_if_false_does_not_ask() {
        let f = Fake::new(false);
        let m = described(&f, Ok(1)).confirm_if(false, Question::plain("Sure?", "", "Yes"));
        assert!(block_on(m.exec()));
        assert!(!f.log().iter().any(|l| l.starts_with("ask")));
    }

    #[test]
    fn an_inline_error_is_handed_over_instead_of_toasted() {
        let f = Fake::new(true);
        let got = Rc::new(RefCell::new(None));
        let put = got.clone();
        let mut m = Mutation::new(f.clone(), call(&f, Err(denied()))).success("never");
        m.failure = Failure::Inline(Box::new(move |e| *put.borrow_mut() = Some(e)));
        assert!(!block_on(m.exec()));
        assert_eq!(f.log(), ["call"]);
        assert_eq!(
            got.borrow().as_ref().map(|e| e.code.as_str()),
            Some("FORBIDDEN")
        );
    }

    #[test]
    fn the_default_failure_is_the_bare_message_and_success_is_silent() {
        let f = Fake::new(true);
        assert!(!block_on(
            Mutation::new(f.clone(), call(&f, Err(denied()))).exec()
        ));
        assert!(block_on(Mutation::new(f.clone(), call(&f, Ok(2))).exec()));
        assert_eq!(f.log(), ["call", "Error You don't have permission", "call"]);
    }

    #[test]
    fn error_text_with_and_without_a_prefix() {
        assert_eq!(
            error_text(Some("Couldn't delete"), "Gone"),
            "Couldn't delete: Gone"
        );
        assert_eq!(error_text(None, "Gone"), "Gone");
    }
}
