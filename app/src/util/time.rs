//! Times and durations as people read them: "5 min ago", "240 ms", "3.2 s".

/// Milliseconds since the epoch for an ISO timestamp (NaN when unparsable).
pub fn parse_ms(iso: &str) -> f64 {
    js_sys::Date::parse(iso)
}

/// "just now", "5 min ago", "3 h ago", "2 days ago" (or the date when older than 30 days).
pub fn relative(iso: &str) -> String {
    let t = parse_ms(iso);
    if t.is_nan() {
        return iso.to_owned();
    }
    let secs = ((js_sys::Date::now() - t) / 1000.0).max(0.0);
    if secs < 45.0 {
        "just now".to_owned()
    } else if secs < 3600.0 {
        format!("{} min ago", (secs / 60.0).round().max(1.0))
    } else if secs < 86_400.0 {
        format!("{} h ago", (secs / 3600.0).round())
    } else if secs < 30.0 * 86_400.0 {
        let d = (secs / 86_400.0).round();
        format!("{d} day{} ago", if d == 1.0 { "" } else { "s" })
    } else {
        absolute(iso)
    }
}

/// The local date and time, e.g. "26/11/2026, 22:08:20".
pub fn absolute(iso: &str) -> String {
    let t = parse_ms(iso);
    if t.is_nan() {
        return iso.to_owned();
    }
    local(t)
}

/// When a run that started at `iso` and took `ms` ended, as [`absolute`] writes it.
pub fn ended_at(iso: &str, ms: f64) -> String {
    let t = parse_ms(iso);
    if t.is_nan() || !ms.is_finite() {
        return "—".to_owned();
    }
    local(t + ms)
}

fn local(epoch_ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms));
    String::from(d.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
}

/// "< 1 µs", "40 µs", "240 ms", "3.2 s", "2 min 5 s": below a millisecond in microseconds,
/// never a rounded "0.0 ms".
pub fn duration(ms: f64) -> String {
    if ms < 0.0005 {
        "< 1 µs".to_owned()
    } else if ms < 1.0 {
        format!("{} µs", (ms * 1000.0).round())
    } else if ms < 1000.0 {
        format!("{} ms", ms.round())
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_below_a_millisecond_are_microseconds() {
        assert_eq!(duration(0.0), "< 1 µs");
        assert_eq!(duration(0.04), "40 µs");
        assert_eq!(duration(0.9994), "999 µs");
        assert_eq!(duration(1.0), "1 ms");
        assert_eq!(duration(240.4), "240 ms");
        assert_eq!(duration(3200.0), "3.2 s");
        assert_eq!(duration(125_000.0), "2 min 5 s");
    }
}
