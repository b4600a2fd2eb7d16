//! JavaScript value semantics, in one place: `String.prototype.trim` (and regex `\s`),
//! `Number(v)`, `Number.prototype.toString()`, `String(v)`, `JSON.stringify`, `Date.parse` and
//! `Date.prototype.toISOString()` / `toString()` on a host whose time zone is UTC. Directus runs
//! on Node.js, so in-memory filters (`filter`) and flow templates (`flows::template`) read and
//! write values with these rules; both call this module rather than keeping their own copies.
//!
//! Where V8 and the ECMAScript specification differ, the specification wins (V8 turns
//! `2023-02-30` into 2 March; here it is not a date). Pure: no I/O, no state, no allocation
//! beyond the strings asked for.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Number, Value};

/// Largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A JavaScript `Date` holds at most ±8.64e15 ms around the epoch (ECMAScript `TimeClip`).
pub const MAX_DATE_MS: i64 = 8_640_000_000_000_000;

const DAY_MS: i64 = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Whitespace
// ---------------------------------------------------------------------------------------------

/// ECMAScript WhiteSpace or LineTerminator: what `trim()` removes and what a regex `\s` matches
/// (tab, VT, FF, ZWNBSP U+FEFF, the Unicode space separators, LF, CR, U+2028, U+2029). U+0085
/// (NEL) is not in the set, although Rust's `char::is_whitespace` counts it.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{b}'
            | '\u{c}'
            | '\r'
            | ' '
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
            | '\u{feff}'
    ) || ('\u{2000}'..='\u{200a}').contains(&c)
}

/// `String.prototype.trim()`.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

// ---------------------------------------------------------------------------------------------
// Numbers → text
// ---------------------------------------------------------------------------------------------

/// `Number.prototype.toString()` (radix 10): shortest round-trip digits, exponent form below
/// 1e-6 and from 1e21 (`1e-7`, `1.5e+21`), `-0` as `0`, `NaN`, `Infinity`, `-Infinity`.
pub fn number_to_string(n: f64) -> String {
    ryu_js::Buffer::new().format(n).to_owned()
}

/// [`number_to_string`] appended to `out`, without an intermediate string.
pub fn push_f64(out: &mut String, n: f64) {
    out.push_str(ryu_js::Buffer::new().format(n));
}

/// A JSON number as JavaScript prints it, except that integers stored as integers keep all
/// their digits (`18446744073709551615`, where JavaScript would print `18446744073709552000`):
/// data passing through a template is not rounded.
pub fn push_number(out: &mut String, n: &Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        push_f64(out, f);
    } else {
        let _ = write!(out, "{n}");
    }
}

// ---------------------------------------------------------------------------------------------
// Values → text
// ---------------------------------------------------------------------------------------------

/// `String(v)` (and a template literal's `${v}`) of a JSON value: `null`, `true`, numbers as
/// [`number_to_string`] of their double, strings as they are, arrays joined with `,` (`null`
/// elements empty, nested arrays flattened), objects `[object Object]`.
pub fn string(value: &Value) -> String {
    let mut out = String::new();
    push_string(&mut out, value);
    out
}

/// [`string`] appended to `out`.
pub fn push_string(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => push_f64(out, n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_null() {
                    push_string(out, item);
                }
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// `JSON.stringify(v)` (compact), numbers as [`push_number`], object keys in stored order.
pub fn push_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => push_number(out, n),
        Value::String(s) => push_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, key);
                out.push(':');
                push_json(out, item);
            }
            out.push('}');
        }
    }
}

/// `JSON.stringify` of a string: `"`, `\` and control characters escaped, nothing else.
fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let byte = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[byte >> 4]));
                out.push(char::from(HEX[byte & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Values → numbers
// ---------------------------------------------------------------------------------------------

/// `Number(v)` of a JSON value: `null` → 0, booleans → 0/1, strings as [`string_to_number`],
/// arrays as `Number(String(v))` (`[]` → 0, `["7"]` → 7, `[1, 2]` → NaN), objects → NaN.
pub fn to_number(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => string_to_number(s),
        // Two or more elements always join to text with a comma, which is never a number.
        Value::Array(items) if items.len() > 1 => f64::NAN,
        Value::Array(_) => string_to_number(&string(value)),
        Value::Object(_) => f64::NAN,
    }
}

/// `Number(string)`: [`trim`]med; `""` → 0; a decimal literal ([`decimal_literal`]),
/// `±Infinity`, or an unsigned `0x` / `0o` / `0b` literal (read exactly, then rounded once to
/// the nearest double); anything else → NaN.
pub fn string_to_number(s: &str) -> f64 {
    let t = trim(s);
    if t.is_empty() {
        return 0.0;
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let bits = match t.get(..2) {
        Some("0x" | "0X") => 4,
        Some("0o" | "0O") => 3,
        Some("0b" | "0B") => 1,
        _ => return decimal_literal(t).unwrap_or(f64::NAN),
    };
    non_decimal(&t[2..], bits)
}

/// The digits of a `0x` / `0o` / `0b` literal (`bits` per digit). The value is kept exactly in
/// 128 bits; digits beyond those only scale it and mark it inexact (a sticky bit far below the
/// double's 53), so the single rounding at the end is correct however long the text is.
fn non_decimal(digits: &str, bits: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let radix = 1 << bits;
    let mut mantissa: u128 = 0;
    let mut dropped: i32 = 0;
    let mut inexact = false;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return f64::NAN;
        };
        if mantissa >> (u128::BITS - 4) == 0 {
            mantissa = (mantissa << bits) | u128::from(d);
        } else {
            dropped = dropped.saturating_add(bits as i32);
            inexact |= d != 0;
        }
    }
    (mantissa | u128::from(inexact)) as f64 * 2f64.powi(dropped)
}

/// A decimal literal with an optional sign, `[+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?`
/// (ECMAScript's StrDecimalLiteral without `Infinity`, which is also Joi's number pattern), as the
/// nearest double; `None` for any other text. The text must already be trimmed.
pub fn decimal_literal(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let digits_from = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_end = digits_from(i);
    let int_digits = int_end - i;
    i = int_end;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        let frac_end = digits_from(i + 1);
        frac_digits = frac_end - (i + 1);
        i = frac_end;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_end = digits_from(i);
        if exp_end == i {
            return None;
        }
        i = exp_end;
    }
    if i != b.len() {
        return None;
    }
    t.parse::<f64>().ok()
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/// `Date.parse(text)` on a UTC host, in epoch milliseconds (`None` where JavaScript gives NaN).
/// The text is [`trim`]med, then read as:
/// * the ECMAScript date-time string format: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `±YYYYYY-…`
///   (not `-000000`), then optionally `T` (or a space, or `t`) `hh:mm[:ss[.fraction]]` (hour
///   `24` only as `24:00[:00[.000]]`, the end of the day) and `Z` or `±hh:mm` (or `±hhmm`);
///   date-only forms are UTC, date-times without an offset local time, which is UTC here;
/// * RFC 2822 (`toUTCString()`'s `Mon, 01 Jan 2024 00:00:00 GMT`);
/// * `toString()`'s own form, `Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal
///   Time)` (the weekday and the parenthesised name are not checked, as in V8);
/// * `YYYY/MM/DD[ hh:mm[:ss]]`.
///
/// Out-of-range fields (`2023-02-29`, `25:00`) and times beyond [`MAX_DATE_MS`] are not dates.
pub fn parse_date(text: &str) -> Option<i64> {
    let t = trim(text);
    if t.is_empty() {
        return None;
    }
    let ms = parse_iso(t)
        .or_else(|| {
            DateTime::parse_from_rfc2822(t)
                .ok()
                .map(|d| d.timestamp_millis())
        })
        .or_else(|| parse_to_string_form(t))
        .or_else(|| parse_slashed(t))?;
    (-MAX_DATE_MS..=MAX_DATE_MS).contains(&ms).then_some(ms)
}

fn parse_iso(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let mut i = 0;
    let number = |i: &mut usize, len: usize| -> Option<i64> {
        let part = b.get(*i..*i + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *i += len;
        Some(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let year = match b.first() {
        Some(sign @ (b'+' | b'-')) => {
            i = 1;
            let y = number(&mut i, 6)?;
            match sign {
                b'-' if y == 0 => return None,
                b'-' => -y,
                _ => y,
            }
        }
        _ => number(&mut i, 4)?,
    };
    let (mut month, mut day) = (1, 1);
    if b.get(i) == Some(&b'-') {
        i += 1;
        month = number(&mut i, 2)?;
        if b.get(i) == Some(&b'-') {
            i += 1;
            day = number(&mut i, 2)?;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date_ms = days_from_civil(year, month, day) * DAY_MS;
    if i == b.len() {
        return Some(date_ms);
    }
    if !matches!(b.get(i), Some(b'T' | b't' | b' ')) {
        return None;
    }
    i += 1;
    let hour = number(&mut i, 2)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let minute = number(&mut i, 2)?;
    let (mut second, mut milli) = (0, 0);
    if b.get(i) == Some(&b':') {
        i += 1;
        second = number(&mut i, 2)?;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
            // Milliseconds from the first three digits; further digits are dropped.
            milli = b[start..i]
                .iter()
                .chain(b"00")
                .take(3)
                .fold(0, |n, d| n * 10 + i64::from(d - b'0'));
        }
    }
    let end_of_day = hour == 24 && minute == 0 && second == 0 && milli == 0;
    if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    let mut offset_minutes = 0;
    match b.get(i) {
        None => {}
        Some(b'Z' | b'z') => i += 1,
        Some(sign @ (b'+' | b'-')) => {
            let negative = *sign == b'-';
            i += 1;
            let oh = number(&mut i, 2)?;
            if b.get(i) == Some(&b':') {
                i += 1;
            }
            let om = number(&mut i, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            offset_minutes = if negative {
                -(oh * 60 + om)
            } else {
                oh * 60 + om
            };
        }
        Some(_) => return None,
    }
    if i != b.len() {
        return None;
    }
    let time_ms = ((hour * 60 + minute) * 60 + second) * 1000 + milli;
    Some(date_ms + time_ms - offset_minutes * 60_000)
}

/// `Date.prototype.toString()`'s form: the weekday is skipped and a trailing `(…)` ignored.
fn parse_to_string_form(t: &str) -> Option<i64> {
    let t = match t.rfind(" (") {
        Some(open) if t.ends_with(')') => &t[..open],
        _ => t,
    };
    let (_, rest) = t.split_once(' ')?;
    DateTime::parse_from_str(rest, "%b %d %Y %H:%M:%S GMT%z")
        .ok()
        .map(|d| d.timestamp_millis())
}

fn parse_slashed(t: &str) -> Option<i64> {
    for format in ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"] {
        if let Ok(date) = NaiveDateTime::parse_from_str(t, format) {
            return Some(date.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(t, "%Y/%m/%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// `Date.prototype.toISOString()`: `2024-01-01T00:00:00.000Z`, years outside 0–9999 as
/// `±YYYYYY`. A time beyond [`MAX_DATE_MS`] (a `RangeError` in JavaScript) is `Invalid Date`.
pub fn iso_string(ms: i64) -> String {
    let Some(c) = Civil::at(ms) else {
        return "Invalid Date".into();
    };
    let mut out = String::with_capacity(27);
    if (0..=9999).contains(&c.year) {
        let _ = write!(out, "{:04}", c.year);
    } else {
        let sign = if c.year < 0 { '-' } else { '+' };
        let _ = write!(out, "{sign}{:06}", c.year.abs());
    }
    let _ = write!(
        out,
        "-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.month, c.day, c.hour, c.minute, c.second, c.milli
    );
    out
}

/// `Date.prototype.toString()` on a host whose time zone is UTC:
/// `Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal Time)`; `Invalid Date` beyond
/// [`MAX_DATE_MS`].
pub fn date_string(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let Some(c) = Civil::at(ms) else {
        return "Invalid Date".into();
    };
    let sign = if c.year < 0 { "-" } else { "" };
    format!(
        "{} {} {:02} {sign}{:04} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS[c.weekday],
        MONTHS[c.month as usize - 1],
        c.day,
        c.year.abs(),
        c.hour,
        c.minute,
        c.second
    )
}

/// A time split into its UTC calendar fields (proleptic Gregorian, year 0 = 1 BC, as in
/// JavaScript, over the whole `Date` range, which is wider than chrono's).
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
    /// 0 = Sunday.
    weekday: usize,
}

impl Civil {
    fn at(ms: i64) -> Option<Self> {
        if !(-MAX_DATE_MS..=MAX_DATE_MS).contains(&ms) {
            return None;
        }
        let days = ms.div_euclid(DAY_MS);
        let in_day = ms.rem_euclid(DAY_MS);
        let (year, month, day) = civil_from_days(days);
        Some(Self {
            year,
            month,
            day,
            hour: in_day / 3_600_000,
            minute: in_day / 60_000 % 60,
            second: in_day / 1000 % 60,
            milli: in_day % 1000,
            // 1970-01-01 was a Thursday.
            weekday: usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0),
        })
    }
}

fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a calendar date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    //! Expected values are what Node.js 20 (V8) prints with `TZ=UTC`, except where noted.
    use super::*;
    use serde_json::json;

    /// `Object.is`-style equality: NaN equals NaN, `-0` differs from `0`.
    fn same(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || (a == b && a.is_sign_negative() == b.is_sign_negative())
    }

    #[test]
    fn trim_is_ecmascript_white_space_and_line_terminators() {
        // `"\t\n\v\f\r \u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeffx".trim()` → "x"
        let all = "\t\n\u{b}\u{c}\r \u{a0}\u{1680}\u{2000}\u{2005}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}";
        assert_eq!(trim(&format!("{all}x{all}")), "x");
        // `"\u0085x\u0085".trim().length` → 3: NEL is not JavaScript white space.
        assert_eq!(trim("\u{85}x\u{85}"), "\u{85}x\u{85}");
        // Neither are the zero-width space, U+180E (a format character since Unicode 6.3) or NUL.
        for c in ['\u{200b}', '\u{180e}', '\0', '\u{1c}'] {
            assert!(!is_space(c), "{c:?}");
        }
        assert_eq!(trim("  "), "");
        assert_eq!(trim(" a b "), "a b");
    }

    #[test]
    fn number_to_string_follows_ecmascript() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (5.0, "5"),
            (0.5, "0.5"),
            (-0.0, "0"),
            (0.0, "0"),
            (-1.5, "-1.5"),
            (100.0, "100"),
            (123.456, "123.456"),
            (123_456_789_012.0, "123456789012"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (-1e21, "-1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1.25e-7, "1.25e-7"),
            (-2.5e-10, "-2.5e-10"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (9_007_199_254_740_993.0, "9007199254740992"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, expected) in cases {
            assert_eq!(number_to_string(*x), *expected, "{x:e}");
            let mut out = String::from(">");
            push_f64(&mut out, *x);
            assert_eq!(out, format!(">{expected}"));
        }
    }

    #[test]
    fn json_numbers_keep_integer_digits() {
        let text = |v: Value| {
            let mut out = String::new();
            push_number(&mut out, v.as_number().unwrap());
            out
        };
        // JavaScript would print 18446744073709552000; stored integers are not rounded.
        assert_eq!(text(json!(u64::MAX)), "18446744073709551615");
        assert_eq!(text(json!(i64::MIN)), "-9223372036854775808");
        assert_eq!(text(json!(42)), "42");
        assert_eq!(text(json!(2.0)), "2");
        assert_eq!(text(json!(1e-7)), "1e-7");
        assert_eq!(text(json!(1e21)), "1e+21");
    }

    #[test]
    fn string_of_values() {
        let cases = [
            (json!(null), "null"),
            (json!(true), "true"),
            (json!(false), "false"),
            (json!(1.5), "1.5"),
            (json!(1e21), "1e+21"),
            (json!(-0.0), "0"),
            // `String(9007199254740993)` → "9007199254740992": numbers are doubles here.
            (json!(9_007_199_254_740_993_u64), "9007199254740992"),
            (json!("a b"), "a b"),
            (json!([1, null, "a", [2, 3]]), "1,,a,2,3"),
            (json!([]), ""),
            (json!([[]]), ""),
            (json!([null]), ""),
            (json!([{}]), "[object Object]"),
            (json!({"a": 1}), "[object Object]"),
        ];
        for (value, expected) in cases {
            assert_eq!(string(&value), expected, "{value}");
        }
    }

    #[test]
    fn json_stringify() {
        let mut out = String::new();
        push_json(
            &mut out,
            &json!({"b": [1, "x\"\\\n\t\r\u{8}\u{c}", null, true, 1e21, 0.5, -0.0], "a": {}}),
        );
        // `JSON.stringify({b: [1, 'x"\\\n\t\r\b\f', null, true, 1e21, 0.5, -0], a: {}})`
        assert_eq!(
            out,
            r#"{"b":[1,"x\"\\\n\t\r\b\f",null,true,1e+21,0.5,0],"a":{}}"#
        );
        out.clear();
        // `JSON.stringify("\u0001\u001f\u007f\u2028é")` → "\u0001\u001f" escaped, the rest as is.
        push_json(&mut out, &json!("\u{1}\u{1f}\u{7f}\u{2028}é"));
        assert_eq!(out, "\"\\u0001\\u001f\u{7f}\u{2028}é\"");
    }

    #[test]
    fn embedded_json_text_matches_serde_for_integer_data() {
        let value = json!({"a": [1, -2, "x\u{7f}é\u{1F600}"], "b": {"c": null, "d": false}});
        let mut out = String::new();
        push_json(&mut out, &value);
        assert_eq!(out, serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn number_of_strings() {
        let long_hex = format!("0x{}", "f".repeat(300));
        let two_128 = format!("0x1{}", "0".repeat(32));
        let two_160_plus_1 = format!("0x1{}1", "0".repeat(39));
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            (" \n\t ", 0.0),
            (" 12 ", 12.0),
            ("\u{a0}5\u{feff}", 5.0),
            ("\u{2028}1", 1.0),
            // `Number("\u00855")` → NaN: NEL is not trimmed.
            ("\u{85}5", f64::NAN),
            ("00012", 12.0),
            ("0012.5", 12.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("+.5e1", 5.0),
            ("1e3", 1000.0),
            ("1E-3", 0.001),
            ("-0", -0.0),
            ("1e1000", f64::INFINITY),
            ("Infinity", f64::INFINITY),
            ("+Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("0x1F", 31.0),
            ("0X1f", 31.0),
            ("0o17", 15.0),
            ("0O17", 15.0),
            ("0b101", 5.0),
            ("0B11", 3.0),
            // Rounded once, ties to even: 2^53 + 1 → 2^53, 2^53 + 3 → 2^53 + 4.
            ("0x20000000000001", 9_007_199_254_740_992.0),
            ("0x20000000000003", 9_007_199_254_740_996.0),
            (&two_128, 3.402_823_669_209_385e38),
            (&two_160_plus_1, 1.461_501_637_330_903e48),
            (&long_hex, f64::INFINITY),
            (".", f64::NAN),
            ("1e", f64::NAN),
            ("1e+", f64::NAN),
            ("-0x10", f64::NAN),
            ("+0x10", f64::NAN),
            ("0x", f64::NAN),
            ("0xG", f64::NAN),
            ("0b2", f64::NAN),
            ("0o8", f64::NAN),
            ("inf", f64::NAN),
            ("infinity", f64::NAN),
            ("NaN", f64::NAN),
            ("12px", f64::NAN),
            ("1_000", f64::NAN),
            ("1 2", f64::NAN),
            ("٣", f64::NAN),
            ("１２", f64::NAN),
        ];
        for (text, expected) in cases {
            let got = string_to_number(text);
            assert!(
                same(got, *expected),
                "Number({text:?}) = {got}, not {expected}"
            );
        }
    }

    #[test]
    fn number_of_values() {
        let cases = [
            (json!(null), 0.0),
            (json!(true), 1.0),
            (json!(false), 0.0),
            (json!(2.5), 2.5),
            (json!("  "), 0.0),
            (json!([]), 0.0),
            (json!([null]), 0.0),
            (json!(["7"]), 7.0),
            (json!([[5]]), 5.0),
            (json!([[]]), 0.0),
            (json!([1, 2]), f64::NAN),
            (json!([{}]), f64::NAN),
            (json!({}), f64::NAN),
        ];
        for (value, expected) in cases {
            let got = to_number(&value);
            assert!(
                same(got, expected),
                "Number({value}) = {got}, not {expected}"
            );
        }
    }

    #[test]
    fn decimal_literals_only() {
        assert_eq!(decimal_literal("-1.5e2"), Some(-150.0));
        assert_eq!(decimal_literal("+3"), Some(3.0));
        for text in [
            "Infinity", "inf", "nan", "0x10", "", "+", "-.", "1e", " 1", "1 ",
        ] {
            assert_eq!(decimal_literal(text), None, "{text:?}");
        }
    }

    #[test]
    fn date_parse() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2024", Some(1_704_067_200_000)),
            ("2024-01", Some(1_704_067_200_000)),
            ("2024-02-29", Some(1_709_164_800_000)),
            (" 2024-01-01 ", Some(1_704_067_200_000)),
            ("+002024-01", Some(1_704_067_200_000)),
            ("+010000-01-01", Some(253_402_300_800_000)),
            ("-000001-01-01T00:00:00Z", Some(-62_198_755_200_000)),
            ("2024-01-01T10:00", Some(1_704_103_200_000)),
            ("2024-01-01 10:00", Some(1_704_103_200_000)),
            ("2024-01-01t10:00z", Some(1_704_103_200_000)),
            ("2024-01-01T10:00Z", Some(1_704_103_200_000)),
            ("2024-01-01T10:00:00.5", Some(1_704_103_200_500)),
            ("2024-01-01T10:00:00.123456789Z", Some(1_704_103_200_123)),
            ("2024-01-01T10:00:00-00:00", Some(1_704_103_200_000)),
            ("2024-01-01T10:00:00+23:59", Some(1_704_016_860_000)),
            ("2024-01-01T10:00+0100", Some(1_704_099_600_000)),
            ("2024-02-29T01:02:03.4567+0100", Some(1_709_164_923_456)),
            ("2024-02-29T01:02:03.4567+01:00", Some(1_709_164_923_456)),
            ("1970-01-01T24:00", Some(86_400_000)),
            ("2024-01-01T24:00:00.000Z", Some(1_704_153_600_000)),
            ("+275760-09-13T00:00:00.000Z", Some(MAX_DATE_MS)),
            ("-271821-04-20T00:00:00.000Z", Some(-MAX_DATE_MS)),
            ("Mon, 01 Jan 2024 00:00:00 GMT", Some(1_704_067_200_000)),
            ("Mon, 01 Jan 2024 00:00:00 +0100", Some(1_704_063_600_000)),
            (
                "Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal Time)",
                Some(1_704_067_200_000),
            ),
            ("Tue Jan 02 2024 01:00:00 GMT+0100", Some(1_704_153_600_000)),
            ("Wed Jan 01 2024 00:00:00 GMT+0000", Some(1_704_067_200_000)),
            ("2024/01/01 00:00:01", Some(1_704_067_201_000)),
            ("2024/01/01 10:00", Some(1_704_103_200_000)),
            ("2024/1/2", Some(1_704_153_600_000)),
            ("", None),
            ("  ", None),
            ("soon", None),
            ("\u{85}2024", None),
            ("-000000-01-01T00:00:00Z", None),
            ("+275760-09-13T00:00:00.001Z", None),
            ("2024-13", None),
            ("2024-00-10", None),
            ("2024-01-32", None),
            ("2024-01-01T10", None),
            ("2024-01-01T1:00", None),
            ("2024-01-01 T10:00", None),
            ("2024-01-01T10:00.5", None),
            ("2024-01-01T10:00:00.Z", None),
            ("2024-01-01T23:60", None),
            ("2024-01-01T23:59:60", None),
            ("2024-01-01T24:00:01", None),
            ("2024-01-01T25:00", None),
            ("2024-01-01Tx", None),
            ("2024-01-01T10:00+01", None),
            ("2024-01-01T10:00:00,5Z", None),
            ("2024-01-01T10:00:00+24:00", None),
            ("2024-01-01T10:00:00+2400", None),
            ("2024-01-01T10:00:00+01:00:00", None),
            ("2024-01-01T10:00:00 +01:00", None),
            // V8 rolls these over into March; the specification says they are not dates.
            ("2023-02-29", None),
            ("2024/02/30", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_date(text), *expected, "Date.parse({text:?})");
        }
    }

    #[test]
    fn date_strings() {
        let cases: &[(i64, &str, &str)] = &[
            (
                0,
                "1970-01-01T00:00:00.000Z",
                "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)",
            ),
            (
                -1,
                "1969-12-31T23:59:59.999Z",
                "Wed Dec 31 1969 23:59:59 GMT+0000 (Coordinated Universal Time)",
            ),
            (
                1_704_067_200_000,
                "2024-01-01T00:00:00.000Z",
                "Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal Time)",
            ),
            (
                1_709_164_923_456,
                "2024-02-29T00:02:03.456Z",
                "Thu Feb 29 2024 00:02:03 GMT+0000 (Coordinated Universal Time)",
            ),
            (
                253_402_300_800_000,
                "+010000-01-01T00:00:00.000Z",
                "Sat Jan 01 10000 00:00:00 GMT+0000 (Coordinated Universal Time)",
            ),
            (
                -62_167_219_200_000,
                "0000-01-01T00:00:00.000Z",
                "Sat Jan 01 0000 00:00:00 GMT+0000 (Coordinated Universal Time)",
            ),
            (
                -62_198_755_200_000,
                "-000001-01-01T00:00:00.000Z",
                "Fri Jan 01 -0001 00:00:00 GMT+0000 (Coordinated Universal Time)",
            ),
            (
                MAX_DATE_MS,
                "+275760-09-13T00:00:00.000Z",
                "Sat Sep 13 275760 00:00:00 GMT+0000 (Coordinated Universal Time)",
            ),
            (
                -MAX_DATE_MS,
                "-271821-04-20T00:00:00.000Z",
                "Tue Apr 20 -271821 00:00:00 GMT+0000 (Coordinated Universal Time)",
            ),
        ];
        for (ms, iso, text) in cases {
            assert_eq!(iso_string(*ms), *iso, "{ms}");
            assert_eq!(date_string(*ms), *text, "{ms}");
            // `Date.parse` reads both forms back.
            assert_eq!(parse_date(iso), Some(*ms), "{iso}");
        }
        assert_eq!(iso_string(MAX_DATE_MS + 1), "Invalid Date");
        assert_eq!(date_string(i64::MIN), "Invalid Date");
    }

    #[test]
    fn calendar_arithmetic_agrees_with_chrono() {
        // Every day over a few centuries either side of the epoch, and some far-off ones.
        let days = (-200_000..200_000)
            .step_by(7)
            .chain([-3_000_000, 3_000_000]);
        for day in days {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            let date = NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32).unwrap();
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
            assert_eq!((date - epoch).num_days(), day, "{y}-{m}-{d}");
        }
    }
}
