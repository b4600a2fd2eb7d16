//! Browser plumbing: random ids, downloads, local storage, reading files, the origin.

use wasm_bindgen::{JsCast, JsValue};

/// A random v4 UUID from the browser's crypto.
pub fn uuid() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("{:x}", (js_sys::Math::random() * 1e16) as u64))
}

/// `n` random lower-case letters and digits (keys, tokens).
pub fn random_token(n: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut bytes);
    } else {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 255.0) as u8;
        }
    }
    bytes
        .iter()
        .map(|b| CHARS[usize::from(*b) % CHARS.len()] as char)
        .collect()
}

/// The page's origin, e.g. `http://127.0.0.1:8055`.
pub fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Offers `text` as a file download.
pub fn download(filename: &str, text: &str, mime: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", filename);
        if let Ok(a) = a.dyn_into::<web_sys::HtmlElement>() {
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Reads a picked file as text.
pub async fn read_file(file: web_sys::File) -> Result<String, String> {
    let promise = file.text();
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|v| v.as_string().unwrap_or_default())
        .map_err(|e| format!("{e:?}"))
}

/// `localStorage` get.
pub fn storage_get(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

/// `localStorage` set (failures only cost persistence).
pub fn storage_set(key: &str, value: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(key, value);
    }
}

/// `localStorage` remove.
pub fn storage_remove(key: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.remove_item(key);
    }
}

/// Inserts `text` at the caret (or over the selection) of an `<input>` or `<textarea>`, then
/// fires `input` so the field's own handler commits the new value, and puts the caret after
/// the insertion.
pub fn insert_at_caret(el: &web_sys::HtmlElement, text: &str) {
    use wasm_bindgen::JsCast;
    let (value, start, end) = if let Some(i) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        let v = i.value();
        let n = v.encode_utf16().count() as u32;
        (
            v,
            i.selection_start().ok().flatten().unwrap_or(n),
            i.selection_end().ok().flatten().unwrap_or(n),
        )
    } else if let Some(t) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        let v = t.value();
        let n = v.encode_utf16().count() as u32;
        (
            v,
            t.selection_start().ok().flatten().unwrap_or(n),
            t.selection_end().ok().flatten().unwrap_or(n),
        )
    } else {
        return;
    };
    let units: Vec<u16> = value.encode_utf16().collect();
    let (start, end) = (start.min(end) as usize, end.max(start) as usize);
    let (start, end) = (start.min(units.len()), end.min(units.len()));
    let mut next = String::from_utf16_lossy(&units[..start]);
    next.push_str(text);
    let caret = (next.encode_utf16().count()) as u32;
    next.push_str(&String::from_utf16_lossy(&units[end..]));
    if let Some(i) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        i.set_value(&next);
        let _ = i.set_selection_range(caret, caret);
    } else if let Some(t) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        t.set_value(&next);
        let _ = t.set_selection_range(caret, caret);
    }
    let _ = el.focus();
    if let Ok(ev) = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    }) {
        let _ = el.dispatch_event(&ev);
    }
}
