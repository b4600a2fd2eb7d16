//! The Directus query language, shared by the items API, permissions and flow operations:
//! `fields, filter, sort, limit, offset, page, search, meta, aggregate, groupBy` parsed from
//! URL parameters (JSON or bracket syntax) or a JSON object, validated with `INVALID_QUERY`,
//! and turned into SQL through sea-query with bound parameters only.

pub mod fields;
pub mod filter;
#[cfg(test)]
mod fuzz;
pub mod qs;
pub mod select;
pub mod values;

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Aggregate functions of directus.md §6.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    Count,
    CountDistinct,
    CountAll,
    Sum,
    SumDistinct,
    Avg,
    AvgDistinct,
    Min,
    Max,
}

impl AggFunc {
    pub fn parse(s: &str) -> Option<AggFunc> {
        Some(match s {
            "count" => AggFunc::Count,
            "countDistinct" => AggFunc::CountDistinct,
            "countAll" => AggFunc::CountAll,
            "sum" => AggFunc::Sum,
            "sumDistinct" => AggFunc::SumDistinct,
            "avg" => AggFunc::Avg,
            "avgDistinct" => AggFunc::AvgDistinct,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::CountDistinct => "countDistinct",
            AggFunc::CountAll => "countAll",
            AggFunc::Sum => "sum",
            AggFunc::SumDistinct => "sumDistinct",
            AggFunc::Avg => "avg",
            AggFunc::AvgDistinct => "avgDistinct",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
        }
    }
}

/// A parsed query. `None` means "not given" (defaults apply later).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    pub fields: Option<Vec<String>>,
    /// Raw filter JSON (dynamic variables are resolved per caller).
    pub filter: Option<Value>,
    pub sort: Option<Vec<String>>,
    /// `-1` = no limit.
    pub limit: Option<i64>,
    pub offset: Option<u64>,
    pub page: Option<u64>,
    pub search: Option<String>,
    pub meta: Vec<String>,
    pub aggregate: Vec<(AggFunc, String)>,
    pub group_by: Vec<String>,
    /// Per-relation queries (`deep`), an object keyed by relational field.
    pub deep: Option<Value>,
}

fn csv_list(v: &Value, name: &str) -> Result<Vec<String>, ApiError> {
    match v {
        Value::String(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()),
        Value::Array(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(csv_list(i, name)?);
            }
            Ok(out)
        }
        Value::Object(o) => {
            let mut out = Vec::new();
            for i in o.values() {
                out.extend(csv_list(i, name)?);
            }
            Ok(out)
        }
        _ => Err(ApiError::invalid_query(format!(
            "\"{name}\" must be a string or an array"
        ))),
    }
}

fn json_param(v: &Value, name: &str) -> Result<Value, ApiError> {
    match v {
        Value::String(s) => serde_json::from_str(s)
            .map_err(|_| ApiError::invalid_query(format!("Invalid JSON for {name} object"))),
        other => Ok(other.clone()),
    }
}

fn int_param(v: &Value, name: &str) -> Result<i64, ApiError> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    n.ok_or_else(|| ApiError::invalid_query(format!("\"{name}\" must be a number")))
}

impl Query {
    /// Parses URL parameters (as produced by `qs::parse`) or a JSON query object; unknown keys
    /// are ignored as Directus does.
    pub fn from_params(params: &Map<String, Value>) -> Result<Query, ApiError> {
        let mut q = Query::default();
        if let Some(v) = params.get("fields") {
            q.fields = Some(csv_list(v, "fields")?);
        }
        if let Some(v) = params.get("filter") {
            let f = json_param(v, "filter")?;
            match f {
                Value::Object(_) => q.filter = Some(f),
                Value::Null => {}
                _ => return Err(ApiError::invalid_query("Invalid filter object")),
            }
        }
        if let Some(v) = params.get("sort") {
            q.sort = Some(csv_list(v, "sort")?);
        }
        if let Some(v) = params.get("limit") {
            let l = int_param(v, "limit")?;
            if l < -1 {
                return Err(ApiError::invalid_query(
                    "\"limit\" must be greater than or equal to -1",
                ));
            }
            q.limit = Some(l);
        }
        for (name, slot) in [("offset", &mut q.offset), ("page", &mut q.page)] {
            if let Some(v) = params.get(name) {
                let n = int_param(v, name)?;
                *slot = Some(u64::try_from(n).map_err(|_| {
                    ApiError::invalid_query(format!(
                        "\"{name}\" must be greater than or equal to 0"
                    ))
                })?);
            }
        }
        if let Some(v) = params.get("search") {
            match v {
                Value::String(s) => {
                    let s = s.trim();
                    if s.contains('\0') {
                        return Err(ApiError::invalid_query(
                            "\"search\" must not contain NUL characters",
                        ));
                    }
                    if !s.is_empty() {
                        q.search = Some(s.to_owned());
                    }
                }
                Value::Null => {}
                _ => return Err(ApiError::invalid_query("\"search\" must be a string")),
            }
        }
        if let Some(v) = params.get("meta") {
            let items = csv_list(v, "meta")?;
            for m in &items {
                if !matches!(m.as_str(), "*" | "total_count" | "filter_count") {
                    return Err(ApiError::invalid_query(format!(
                        "\"meta\" must be one of [total_count, filter_count, *], got \"{m}\""
                    )));
                }
            }
            q.meta = items;
        }
        if let Some(v) = params.get("aggregate") {
            let agg = json_param(v, "aggregate")?;
            let Value::Object(map) = agg else {
                return Err(ApiError::invalid_query("\"aggregate\" must be an object"));
            };
            for (func, fields) in map {
                let f = AggFunc::parse(&func).ok_or_else(|| {
                    ApiError::invalid_query(format!("\"{func}\" is not a valid aggregate function"))
                })?;
                for field in csv_list(&fields, "aggregate")? {
                    q.aggregate.push((f, field));
                }
            }
        }
        if let Some(v) = params.get("groupBy") {
            q.group_by = csv_list(v, "groupBy")?;
        }
        if let Some(v) = params.get("deep") {
            match json_param(v, "deep")? {
                Value::Null => {}
                d @ Value::Object(_) => q.deep = Some(d),
                _ => return Err(ApiError::invalid_query("\"deep\" must be an object")),
            }
        }
        Ok(q)
    }

    /// Parses a JSON query object (the `query` option of item operations, SEARCH bodies).
    pub fn from_json(v: &Value) -> Result<Query, ApiError> {
        match v {
            Value::Null => Ok(Query::default()),
            Value::Object(m) => Query::from_params(m),
            Value::String(s) if s.trim().is_empty() => Ok(Query::default()),
            Value::String(s) => {
                let parsed: Value = serde_json::from_str(s)
                    .map_err(|_| ApiError::invalid_query("Invalid JSON for query object"))?;
                Query::from_json(&parsed)
            }
            _ => Err(ApiError::invalid_query("Query must be an object")),
        }
    }

    pub fn wants_meta(&self, name: &str) -> bool {
        self.meta.iter().any(|m| m == "*" || m == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Result<Query, ApiError> {
        Query::from_params(&qs::parse(s, &qs::QsLimits::default()))
    }

    #[test]
    fn parses_both_syntaxes() {
        let a = q("filter[status][_eq]=active&fields=id,name&sort=-id&limit=5&page=2").unwrap();
        let b = q(r#"filter={"status":{"_eq":"active"}}&fields[]=id&fields[]=name&sort=-id&limit=5&page=2"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.fields, Some(vec!["id".into(), "name".into()]));
        assert_eq!(a.limit, Some(5));
        assert_eq!(a.filter, Some(json!({"status": {"_eq": "active"}})));
    }

    #[test]
    fn bad_values_are_invalid_query() {
        for bad in [
            "limit=abc",
            "limit=-2",
            "offset=-1",
            "page=-1",
            "filter=notjson",
            "filter=5",
            "meta=foo",
            "aggregate[nope]=x",
            "aggregate=[1]",
        ] {
            let e = q(bad).unwrap_err();
            assert_eq!(e.code(), "INVALID_QUERY", "{bad}");
        }
        assert_eq!(
            q("filter=notjson").unwrap_err().message(),
            "Invalid query. Invalid JSON for filter object."
        );
        assert_eq!(
            q("limit=abc").unwrap_err().message(),
            "Invalid query. \"limit\" must be a number."
        );
    }

    #[test]
    fn aggregates() {
        let a = q("aggregate[count]=*&aggregate[sum]=price,qty&groupBy=status").unwrap();
        assert_eq!(
            a.aggregate,
            vec![
                (AggFunc::Count, "*".into()),
                (AggFunc::Sum, "price".into()),
                (AggFunc::Sum, "qty".into())
            ]
        );
        assert_eq!(a.group_by, vec!["status"]);
        let j = Query::from_json(&json!({"aggregate": {"count": "*"}, "limit": "10"})).unwrap();
        assert_eq!(j.limit, Some(10));
        assert_eq!(j.aggregate, vec![(AggFunc::Count, "*".into())]);
    }
}
