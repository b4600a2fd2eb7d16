//! Text fields that commit on every keystroke, so no click elsewhere can lose an edit (issue
//! 12 §1: a value typed and then left by clicking another card was dropped, and the late
//! `change` event read disposed signals). While a field has focus it shows what is being typed
//! even when the stored value normalises it (`"a,"` stored as `["a"]`); once it loses focus it
//! shows the stored value again. Handlers only `try_` their callbacks: an event that arrives
//! after the field's owner was disposed does nothing instead of panicking.

use leptos::{html, prelude::*};
use wasm_bindgen::JsCast;

fn focused(el: &web_sys::HtmlElement) -> bool {
    document()
        .active_element()
        .is_some_and(|a| a == *el.unchecked_ref::<web_sys::Element>())
}

/// Keeps `node`'s text equal to `value` whenever the field does not have focus.
fn follow<E>(
    node: NodeRef<E>,
    value: Signal<String>,
    set: fn(&E::Output, &str),
    get: fn(&E::Output) -> String,
) where
    E: html::ElementType + 'static,
    E::Output: JsCast + Clone + 'static,
{
    Effect::new(move |_| {
        let v = value.get();
        if let Some(el) = node.get_untracked() {
            let h: &web_sys::HtmlElement = el.unchecked_ref();
            if !focused(h) && get(&el) != v {
                set(&el, &v);
            }
        }
    });
}

/// A one-line text input bound to a text value.
#[component]
pub fn LiveInput(
    /// The stored value, as text.
    #[prop(into)]
    value: Signal<String>,
    /// Receives the text on every keystroke.
    on_input: Callback<String>,
    /// CSS classes.
    #[prop(into, default = "input".to_owned())]
    class: String,
    /// Element id.
    #[prop(optional, into)]
    id: Option<String>,
    /// Test id.
    #[prop(optional, into)]
    testid: Option<String>,
    /// Accessible label when there is no `<label for>`.
    #[prop(optional, into)]
    label: Option<String>,
    /// Placeholder.
    #[prop(optional, into)]
    placeholder: Option<String>,
    /// Lets a picker insert at the caret.
    #[prop(optional)]
    node: Option<NodeRef<html::Input>>,
    /// The input's `type` (`text` when unset; `password` for a masked secret, `number`).
    #[prop(optional, into)]
    input_type: Option<Signal<&'static str>>,
    /// `autocomplete` (`off`, `new-password`), so browsers do not fill in saved passwords.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// Disabled while true.
    #[prop(optional, into)]
    disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let node = node.unwrap_or_default();
    follow(
        node,
        value,
        |el: &web_sys::HtmlInputElement, v| el.set_value(v),
        web_sys::HtmlInputElement::value,
    );
    // A blur can arrive after the field's owner is gone (Chrome blurs a focused element as it
    // is removed): only the event's own element and `try_` reads here.
    let restore = move |ev: web_sys::FocusEvent| {
        let el = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let (Some(el), Some(v)) = (el, value.try_get_untracked())
            && el.value() != v
        {
            el.set_value(&v);
        }
    };
    view! {
        <input
            node_ref=node
            class=class
            id=id
            data-testid=testid
            aria-label=label
            placeholder=placeholder
            type=move || input_type.map_or("text", |t| t.get())
            autocomplete=autocomplete
            disabled=move || disabled.is_some_and(|d| d.get())
            prop:value=value.get_untracked()
            on:input=move |ev| {
                on_input.try_run(event_target_value(&ev));
            }
            on:blur=restore
        />
    }
}

/// A multi-line text area bound to a text value.
#[component]
pub fn LiveTextArea(
    /// The stored value, as text.
    #[prop(into)]
    value: Signal<String>,
    /// Receives the text on every keystroke.
    on_input: Callback<String>,
    /// CSS classes.
    #[prop(into, default = "input".to_owned())]
    class: String,
    /// Element id.
    #[prop(optional, into)]
    id: Option<String>,
    /// Test id.
    #[prop(optional, into)]
    testid: Option<String>,
    /// Placeholder.
    #[prop(optional, into)]
    placeholder: Option<String>,
    /// Visible rows.
    #[prop(default = 4)]
    rows: u32,
    /// Lets a picker insert at the caret.
    #[prop(optional)]
    node: Option<NodeRef<html::Textarea>>,
) -> impl IntoView {
    let node = node.unwrap_or_default();
    follow(
        node,
        value,
        |el: &web_sys::HtmlTextAreaElement, v| el.set_value(v),
        web_sys::HtmlTextAreaElement::value,
    );
    view! {
        <textarea
            node_ref=node
            class=class
            id=id
            data-testid=testid
            placeholder=placeholder
            rows=rows
            spellcheck="false"
            prop:value=value.get_untracked()
            on:input=move |ev| {
                on_input.try_run(event_target_value(&ev));
            }
        ></textarea>
    }
}
