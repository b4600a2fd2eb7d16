//! Converting between JSON and typed SQL values for each field type: input (payloads and
//! filter values, validated with Directus-style errors) and output (rows decoded into the JSON
//! Directus returns: ISO timestamps, uuids as text, csv as arrays, decimals as strings).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Utc};
use sea_orm::QueryResult;
use sea_orm::sea_query::Value as SqlValue;
use sea_orm::sqlx::{Column, Row, TypeInfo, ValueRef};
use serde_json::{Number, Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ErrorCode};
use crate::schema::{Field, FieldType};

/// Why a JSON value does not fit a field.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueError {
    /// Wrong shape or unparsable text: `"<field>" must be <what>`.
    Type(&'static str),
    OutOfRange,
    TooLong,
    Nul,
}

impl ValueError {
    /// The error for a payload field.
    pub fn payload_error(&self, field: &str, collection: &str, value: &Value) -> ApiError {
        let shown: String = match value {
            Value::String(s) => s.chars().take(100).collect(),
            other => other.to_string().chars().take(100).collect(),
        };
        match self {
            ValueError::Type(what) => ApiError::invalid_payload(format!("\"{field}\" must be {what}")),
            ValueError::OutOfRange => ApiError::new(
                ErrorCode::ValueOutOfRange,
                format!(
                    "Numeric value \"{shown}\" for field \"{field}\" in collection \"{collection}\" is out of range."
                ),
            )
            .with_extension("collection", collection)
            .with_extension("field", field),
            ValueError::TooLong => ApiError::new(
                ErrorCode::ValueTooLong,
                format!("Value \"{shown}\" for field \"{field}\" in collection \"{collection}\" is too long."),
            )
            .with_extension("collection", collection)
            .with_extension("field", field),
            ValueError::Nul => {
                ApiError::invalid_payload(format!("\"{field}\" must not contain NUL characters"))
            }
        }
    }

    /// The error for a filter value.
    pub fn query_error(&self, field: &str) -> ApiError {
        match self {
            ValueError::Type(what) => {
                ApiError::invalid_query(format!("The filter value for \"{field}\" must be {what}"))
            }
            ValueError::OutOfRange => {
                ApiError::invalid_query(format!("The filter value for \"{field}\" is out of range"))
            }
            ValueError::TooLong | ValueError::Nul => {
                ApiError::invalid_query(format!("The filter value for \"{field}\" is not valid"))
            }
        }
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                None
            } else {
                t.parse::<f64>().ok()
            }
        }
        _ => None,
    }
}

/// Whole floats that convert to `i64` without saturating: `[-2^63, 2^63)`.
fn fits_i64(f: f64) -> bool {
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
}

fn as_i64(v: &Value) -> Result<i64, ValueError> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Ok(i);
            }
            if n.is_u64() {
                // Above i64::MAX: never clamped into range.
                return Err(ValueError::OutOfRange);
            }
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && fits_i64(f) => Ok(f as i64),
                Some(f) if f.fract() == 0.0 => Err(ValueError::OutOfRange),
                _ => Err(ValueError::Type("an integer")),
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Ok(i);
            }
            match t.parse::<f64>() {
                _ if t.parse::<u64>().is_ok() => Err(ValueError::OutOfRange),
                Ok(f) if f.is_finite() && f.fract() == 0.0 && fits_i64(f) => Ok(f as i64),
                Ok(f) if f.is_finite() && f.fract() == 0.0 => Err(ValueError::OutOfRange),
                _ if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !t.is_empty() => {
                    Err(ValueError::OutOfRange)
                }
                _ => Err(ValueError::Type("an integer")),
            }
        }
        _ => Err(ValueError::Type("an integer")),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses a date/time text or epoch milliseconds into UTC.
pub fn parse_datetime(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
        Value::String(s) => parse_datetime_str(s.trim()),
        _ => None,
    }
}

pub fn parse_datetime_str(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    let normalized = s.replacen(' ', "T", 1);
    if let Ok(d) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%#z"] {
        if let Ok(d) = DateTime::parse_from_str(&normalized, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(&normalized, fmt) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Utc.from_utc_datetime(&d))
}

pub(crate) fn parse_time(s: &str) -> Option<NaiveTime> {
    ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(s.trim(), f).ok())
}

/// The ISO text Directus gives timestamps: `2024-01-02T03:04:05.678Z`.
pub fn format_timestamp(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// JSON → SQL value for a field, checking shape, range, length and NUL bytes.
pub fn to_sql(field: &Field, v: &Value) -> Result<SqlValue, ValueError> {
    use FieldType as T;
    if v.is_null() {
        return Ok(null_of(field.kind));
    }
    Ok(match field.kind {
        T::String | T::Text | T::Hash | T::Unknown => {
            if v.is_object() || v.is_array() {
                return Err(ValueError::Type("a string"));
            }
            let s = text_of(v);
            if s.contains('\0') {
                return Err(ValueError::Nul);
            }
            if let Some(max) = field.max_length
                && field.kind == T::String
                && s.chars().count() > max as usize
            {
                return Err(ValueError::TooLong);
            }
            SqlValue::String(Some(s))
        }
        T::Csv => {
            let s = match v {
                Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(","),
                other => text_of(other),
            };
            if s.contains('\0') {
                return Err(ValueError::Nul);
            }
            SqlValue::String(Some(s))
        }
        T::Integer => {
            let i = as_i64(v)?;
            SqlValue::Int(Some(i32::try_from(i).map_err(|_| ValueError::OutOfRange)?))
        }
        T::BigInteger => SqlValue::BigInt(Some(as_i64(v)?)),
        T::Float | T::Decimal => {
            let f = as_f64(v).ok_or(ValueError::Type("a number"))?;
            if !f.is_finite() || (field.kind == T::Decimal && !fits_decimal(field, f)) {
                return Err(ValueError::OutOfRange);
            }
            SqlValue::Double(Some(f))
        }
        T::Boolean => SqlValue::Bool(Some(match v {
            Value::Bool(b) => *b,
            Value::Number(n) if n.as_i64() == Some(1) => true,
            Value::Number(n) if n.as_i64() == Some(0) => false,
            Value::String(s) if s == "true" || s == "1" => true,
            Value::String(s) if s == "false" || s == "0" => false,
            _ => return Err(ValueError::Type("a boolean")),
        })),
        T::Json => {
            if contains_nul(v) {
                return Err(ValueError::Nul);
            }
            SqlValue::Json(Some(Box::new(v.clone())))
        }
        T::Uuid => {
            let s = v.as_str().ok_or(ValueError::Type("a UUID"))?;
            SqlValue::Uuid(Some(
                Uuid::parse_str(s.trim()).map_err(|_| ValueError::Type("a UUID"))?,
            ))
        }
        T::Timestamp => SqlValue::ChronoDateTimeUtc(Some(
            parse_datetime(v).ok_or(ValueError::Type("a date and time"))?,
        )),
        T::DateTime => SqlValue::ChronoDateTime(Some(
            parse_datetime(v)
                .ok_or(ValueError::Type("a date and time"))?
                .naive_utc(),
        )),
        T::Date => SqlValue::ChronoDate(Some(
            parse_datetime(v)
                .ok_or(ValueError::Type("a date"))?
                .date_naive(),
        )),
        T::Time => SqlValue::ChronoTime(Some(
            v.as_str()
                .and_then(parse_time)
                .ok_or(ValueError::Type("a time"))?,
        )),
    })
}

/// Whether a number fits a `decimal(precision, scale)` column once rounded to its scale (the
/// database would refuse it otherwise, and SQLite would keep it unchecked).
fn fits_decimal(field: &Field, f: f64) -> bool {
    let Some(precision) = field.numeric_precision.filter(|p| *p > 0) else {
        return true;
    };
    let scale = field.numeric_scale.unwrap_or(0).min(precision);
    let factor = 10f64.powi(i32::try_from(scale).unwrap_or(i32::MAX));
    let rounded = (f.abs() * factor).round() / factor;
    let limit = 10f64.powi(i32::try_from(precision - scale).unwrap_or(i32::MAX));
    rounded < limit
}

fn contains_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(contains_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// A typed SQL NULL.
pub fn null_of(kind: FieldType) -> SqlValue {
    use FieldType as T;
    match kind {
        T::Integer => SqlValue::Int(None),
        T::BigInteger => SqlValue::BigInt(None),
        T::Float | T::Decimal => SqlValue::Double(None),
        T::Boolean => SqlValue::Bool(None),
        T::Json => SqlValue::Json(None),
        T::Uuid => SqlValue::Uuid(None),
        T::Timestamp => SqlValue::ChronoDateTimeUtc(None),
        T::DateTime => SqlValue::ChronoDateTime(None),
        T::Date => SqlValue::ChronoDate(None),
        T::Time => SqlValue::ChronoTime(None),
        _ => SqlValue::String(None),
    }
}

/// How a selected column is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decode {
    Field(FieldType),
    /// An aggregate number (count, sum, avg).
    Number,
}

/// Reads column `idx` of a row as JSON.
pub fn decode(row: &QueryResult, idx: usize, how: Decode) -> Value {
    if let Some(r) = row.try_as_sqlite_row() {
        return decode_sqlite(r, idx, how);
    }
    if let Some(r) = row.try_as_pg_row() {
        return decode_pg(r, idx, how);
    }
    Value::Null
}

fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        json!(f as i64)
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn from_text(kind: FieldType, s: String) -> Value {
    use FieldType as T;
    match kind {
        T::Json => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        T::Csv => {
            if s.is_empty() {
                json!([])
            } else {
                Value::Array(s.split(',').map(|p| json!(p)).collect())
            }
        }
        T::Timestamp => {
            parse_datetime_str(&s).map_or(Value::String(s), |d| json!(format_timestamp(d)))
        }
        T::DateTime => parse_datetime_str(&s).map_or(Value::String(s), |d| {
            json!(d.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
        }),
        T::Date => {
            let day: String = s.chars().take(10).collect();
            json!(day)
        }
        T::Time => parse_time(&s).map_or(Value::String(s), |t| {
            json!(t.format("%H:%M:%S").to_string())
        }),
        T::Integer | T::BigInteger | T::Float => {
            s.trim().parse::<f64>().map_or(Value::String(s), number)
        }
        T::Boolean => json!(s == "1" || s.eq_ignore_ascii_case("true")),
        _ => Value::String(s),
    }
}

fn decode_sqlite(row: &sea_orm::sqlx::sqlite::SqliteRow, idx: usize, how: Decode) -> Value {
    let Ok(raw) = row.try_get_raw(idx) else {
        return Value::Null;
    };
    if raw.is_null() {
        return Value::Null;
    }
    let storage = raw.type_info().name().to_owned();
    let kind = match how {
        Decode::Number => {
            return match storage.as_str() {
                "INTEGER" => row.try_get::<i64, _>(idx).map_or(Value::Null, |i| json!(i)),
                _ => row.try_get::<f64, _>(idx).map_or(Value::Null, number),
            };
        }
        Decode::Field(k) => k,
    };
    match storage.as_str() {
        "INTEGER" => {
            let i = row.try_get::<i64, _>(idx).unwrap_or_default();
            match kind {
                FieldType::Boolean => json!(i != 0),
                FieldType::Decimal => json!(i.to_string()),
                FieldType::String | FieldType::Text => json!(i.to_string()),
                _ => json!(i),
            }
        }
        "REAL" => {
            let f = row.try_get::<f64, _>(idx).unwrap_or_default();
            match kind {
                FieldType::Decimal => json!(number(f).to_string()),
                FieldType::Boolean => json!(f != 0.0),
                _ => number(f),
            }
        }
        "BLOB" => {
            let bytes = row.try_get::<Vec<u8>, _>(idx).unwrap_or_default();
            if bytes.len() == 16
                && let Ok(u) = Uuid::from_slice(&bytes)
            {
                return json!(u.to_string());
            }
            from_text(kind, String::from_utf8_lossy(&bytes).into_owned())
        }
        _ => {
            let s = row.try_get::<String, _>(idx).unwrap_or_default();
            from_text(kind, s)
        }
    }
}

fn decode_pg(row: &sea_orm::sqlx::postgres::PgRow, idx: usize, how: Decode) -> Value {
    let Ok(raw) = row.try_get_raw(idx) else {
        return Value::Null;
    };
    if raw.is_null() {
        return Value::Null;
    }
    let ty = row.columns()[idx].type_info().name().to_owned();
    let kind = match how {
        Decode::Field(k) => Some(k),
        Decode::Number => None,
    };
    match ty.as_str() {
        "INT2" => row.try_get::<i16, _>(idx).map_or(Value::Null, |i| json!(i)),
        "INT4" => row.try_get::<i32, _>(idx).map_or(Value::Null, |i| json!(i)),
        "INT8" => row.try_get::<i64, _>(idx).map_or(Value::Null, |i| json!(i)),
        "FLOAT4" => row
            .try_get::<f32, _>(idx)
            .map_or(Value::Null, |f| number(f64::from(f))),
        "FLOAT8" => row.try_get::<f64, _>(idx).map_or(Value::Null, number),
        "BOOL" => row
            .try_get::<bool, _>(idx)
            .map_or(Value::Null, |b| json!(b)),
        "UUID" => row
            .try_get::<Uuid, _>(idx)
            .map_or(Value::Null, |u| json!(u.to_string())),
        "JSON" | "JSONB" => row.try_get::<Value, _>(idx).unwrap_or(Value::Null),
        "TIMESTAMPTZ" => row
            .try_get::<DateTime<Utc>, _>(idx)
            .map_or(Value::Null, |d| json!(format_timestamp(d))),
        "TIMESTAMP" => row
            .try_get::<NaiveDateTime, _>(idx)
            .map_or(Value::Null, |d| {
                json!(d.format("%Y-%m-%dT%H:%M:%S").to_string())
            }),
        "DATE" => row
            .try_get::<NaiveDate, _>(idx)
            .map_or(Value::Null, |d| json!(d.format("%Y-%m-%d").to_string())),
        "TIME" => row
            .try_get::<NaiveTime, _>(idx)
            .map_or(Value::Null, |t| json!(t.format("%H:%M:%S").to_string())),
        _ => {
            let s = row.try_get::<String, _>(idx).unwrap_or_default();
            match kind {
                Some(FieldType::Decimal) => json!(s),
                Some(k) => from_text(k, s),
                None => s.parse::<f64>().map_or(Value::Null, number),
            }
        }
    }
}

/// A primary key from its text form (path segments, activity `item`), typed by the field.
pub fn key_from_text(field: &Field, text: &str) -> Option<Value> {
    match field.kind {
        FieldType::Integer | FieldType::BigInteger => {
            text.trim().parse::<i64>().ok().map(|i| json!(i))
        }
        FieldType::Uuid => Uuid::parse_str(text.trim())
            .ok()
            .map(|u| json!(u.to_string())),
        _ => Some(json!(text)),
    }
}

/// The text form of a key (for activity rows).
pub fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldType) -> Field {
        Field {
            name: "f".into(),
            kind,
            nullable: true,
            unique: false,
            primary_key: false,
            auto_increment: false,
            default_value: None,
            max_length: Some(5),
            numeric_precision: None,
            numeric_scale: None,
            special: vec![],
            meta: None,
        }
    }

    #[test]
    fn integers() {
        let f = field(FieldType::Integer);
        assert_eq!(to_sql(&f, &json!(5)).unwrap(), SqlValue::Int(Some(5)));
        assert_eq!(to_sql(&f, &json!("7")).unwrap(), SqlValue::Int(Some(7)));
        assert_eq!(
            to_sql(&f, &json!(3_000_000_000i64)),
            Err(ValueError::OutOfRange)
        );
        assert_eq!(
            to_sql(&f, &json!("99999999999999999999")),
            Err(ValueError::OutOfRange)
        );
        assert!(matches!(to_sql(&f, &json!(1.5)), Err(ValueError::Type(_))));
        assert!(matches!(
            to_sql(&f, &json!("abc")),
            Err(ValueError::Type(_))
        ));
        assert!(matches!(to_sql(&f, &json!({})), Err(ValueError::Type(_))));
    }

    #[test]
    fn strings() {
        let f = field(FieldType::String);
        assert_eq!(
            to_sql(&f, &json!("abc")).unwrap(),
            SqlValue::String(Some("abc".into()))
        );
        assert_eq!(to_sql(&f, &json!("abcdef")), Err(ValueError::TooLong));
        assert_eq!(to_sql(&f, &json!("a\0b")), Err(ValueError::Nul));
        assert_eq!(
            to_sql(&f, &json!(12)).unwrap(),
            SqlValue::String(Some("12".into()))
        );
        let j = field(FieldType::Json);
        assert_eq!(to_sql(&j, &json!({"a": "x\0"})), Err(ValueError::Nul));
    }

    #[test]
    fn dates() {
        let d = parse_datetime(&json!("2024-01-02T03:04:05Z")).unwrap();
        assert_eq!(format_timestamp(d), "2024-01-02T03:04:05.000Z");
        let d = parse_datetime(&json!("2024-01-02 03:04:05")).unwrap();
        assert_eq!(format_timestamp(d), "2024-01-02T03:04:05.000Z");
        let d = parse_datetime(&json!("2024-01-02T03:04:05.123456+02:00")).unwrap();
        assert_eq!(format_timestamp(d), "2024-01-02T01:04:05.123Z");
        assert!(parse_datetime(&json!("2024-01-02")).is_some());
        assert!(parse_datetime(&json!("soon")).is_none());
        assert_eq!(
            from_text(FieldType::Timestamp, "2026-11-26 21:28:10".into()),
            json!("2026-11-26T21:28:10.000Z")
        );
    }

    #[test]
    fn csv_and_keys() {
        let f = field(FieldType::Csv);
        assert_eq!(
            to_sql(&f, &json!(["a", "b"])).unwrap(),
            SqlValue::String(Some("a,b".into()))
        );
        assert_eq!(from_text(FieldType::Csv, "a,b".into()), json!(["a", "b"]));
        let id = field(FieldType::Integer);
        assert_eq!(key_from_text(&id, "12"), Some(json!(12)));
        assert_eq!(key_from_text(&id, "x"), None);
    }
}
