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
    match since((js_sys::Date::now() - t) / 1000.0) {
        Some(text) => text,
        None => absolute(iso),
    }
}

/// `secs` ago in words ("3 min ago"), or ahead for a negative `secs` ("in 1 h": a queued
/// retry's due time); `None` beyond 30 days, which is written as a date.
fn since(secs: f64) -> Option<String> {
    let (ahead, secs) = (secs < 0.0, secs.abs());
    // Each unit as it rounds: 59.9 minutes read as "1 h", not "60 min".
    let (minutes, hours, days) = (
        (secs / 60.0).round(),
        (secs / 3600.0).round(),
        (secs / 86_400.0).round(),
    );
    let amount = if secs < 45.0 {
        return Some("just now".to_owned());
    } else if minutes < 60.0 {
        format!("{} min", minutes.max(1.0))
    } else if hours < 24.0 {
        format!("{hours} h")
    } else if days <= 30.0 {
        format!("{days} day{}", if days == 1.0 { "" } else { "s" })
    } else {
        return None;
    };
    Some(if ahead {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    })
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
    use super::{duration, since};

    #[test]
    fn times_ahead_read_as_due() {
        assert_eq!(since(10.0).as_deref(), Some("just now"));
        assert_eq!(since(-10.0).as_deref(), Some("just now"));
        assert_eq!(since(600.0).as_deref(), Some("10 min ago"));
        assert_eq!(since(-3600.0).as_deref(), Some("in 1 h"));
        assert_eq!(since(-3599.2).as_deref(), Some("in 1 h"));
        assert_eq!(since(3590.0).as_deref(), Some("1 h ago"));
        assert_eq!(since(-2.0 * 86_400.0).as_deref(), Some("in 2 days"));
        assert_eq!(since(86_400.0).as_deref(), Some("1 day ago"));
        assert_eq!(since(31.0 * 86_400.0), None);
    }

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
