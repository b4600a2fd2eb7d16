//! Row menus are `<details class="menu">` popovers: this closes them when an item is chosen,
//! when the user clicks elsewhere, or on Escape (installed once for the whole app).

use wasm_bindgen::{JsCast, closure::Closure};

fn close_all_except(keep: Option<&web_sys::Element>) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(open) = doc.query_selector_all("details.menu[open]") else {
        return;
    };
    for i in 0..open.length() {
        if let Some(el) = open
            .get(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            && keep.is_none_or(|k| !k.is_same_node(Some(&el)))
        {
            let _ = el.remove_attribute("open");
        }
    }
}

/// Installs the document listeners that close open menus.
pub fn install_menu_closer() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let on_click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        let target = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let menu = target
            .as_ref()
            .and_then(|t| t.closest("details.menu").ok().flatten());
        let on_item = target
            .as_ref()
            .and_then(|t| t.closest(".menu__item").ok().flatten())
            .is_some();
        if on_item {
            close_all_except(None);
        } else {
            close_all_except(menu.as_ref());
        }
    });
    let _ = doc.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    on_click.forget();
    let on_key =
        Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |ev: web_sys::KeyboardEvent| {
            if ev.key() == "Escape" {
                close_all_except(None);
            }
        });
    let _ = doc.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
    on_key.forget();
}
