//! Parsing of human durations (`15m`, `7d`, `900000`) and sizes (`1mb`) in the formats
//! Directus accepts through the `ms` and `bytes` packages.

use std::time::Duration;

/// Parses a duration like the `ms` package: a number with an optional unit; a bare number is
/// milliseconds. Returns `None` for anything else (including negatives).
pub fn parse_duration(raw: &str) -> Option<Duration> {
    let s = raw.trim().to_ascii_lowercase();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let ms_per = match unit.trim() {
        "" | "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
        "d" | "day" | "days" => 86_400_000.0,
        "w" | "week" | "weeks" => 604_800_000.0,
        "y" | "yr" | "yrs" | "year" | "years" => 31_557_600_000.0,
        _ => return None,
    };
    let ms = value * ms_per;
    if ms > 1e15 {
        return None;
    }
    Some(Duration::from_millis(ms.round() as u64))
}

/// Parses a byte size like the `bytes` package (`1mb`, `500kb`, `1048576`, `1.5 MB`).
pub fn parse_bytes(raw: &str) -> Option<usize> {
    let s = raw.trim().to_ascii_lowercase();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let mult = match unit.trim() {
        "" | "b" => 1.0,
        "kb" => 1024.0,
        "mb" => 1024.0 * 1024.0,
        "gb" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = value * mult;
    if bytes > usize::MAX as f64 / 2.0 {
        return None;
    }
    Some(bytes.floor() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("900000"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("10 seconds"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("-5m"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1mb"), Some(1_048_576));
        assert_eq!(parse_bytes("100kb"), Some(102_400));
        assert_eq!(parse_bytes("2048"), Some(2048));
        assert_eq!(parse_bytes("1 MB"), Some(1_048_576));
        assert_eq!(parse_bytes("lots"), None);
    }
}
