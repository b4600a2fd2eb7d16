//! The `fields` and `deep` parameters as a tree (directus.md §6.2): which columns of a
//! collection to answer, which relational fields to expand and with which sub-fields —
//! dotted paths (`author.name`), wildcards (`*`, `*.*`, `operations.*`) — bounded by
//! `MAX_RELATIONAL_DEPTH`; and the per-relation queries `deep` gives (`_filter`, `_sort`,
//! `_limit`, `_offset`, `_page`, `_search`).

use serde_json::{Map, Value};

use super::Query;
use super::filter::too_deep;
use crate::error::ApiError;

/// The fields asked for at one level of a relational read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldTree {
    /// `*` at this level: every field the caller may read.
    pub all: bool,
    /// Names asked for at this level, in order (columns, or relational fields as keys).
    pub names: Vec<String>,
    /// Relational fields expanded with their own sub-tree, in order.
    pub nested: Vec<(String, FieldTree)>,
    /// `*.…`: the sub-tree every relational field of this level is expanded with.
    pub every: Option<Box<FieldTree>>,
}

impl FieldTree {
    /// `*`.
    pub fn star() -> FieldTree {
        FieldTree {
            all: true,
            ..FieldTree::default()
        }
    }

    /// One field by name.
    pub fn only(name: &str) -> FieldTree {
        FieldTree {
            names: vec![name.to_owned()],
            ..FieldTree::default()
        }
    }

    /// The tree of a `fields` list (`None`: `*`).
    pub fn parse(fields: Option<&[String]>, max_depth: usize) -> Result<FieldTree, ApiError> {
        let Some(fields) = fields else {
            return Ok(FieldTree::star());
        };
        let mut tree = FieldTree::default();
        for f in fields {
            let segments: Vec<&str> = f.split('.').map(str::trim).collect();
            if segments.iter().any(|s| s.is_empty()) {
                return Err(ApiError::invalid_query(format!(
                    "\"{f}\" is not a valid field path"
                )));
            }
            if segments.len() - 1 > max_depth {
                return Err(too_deep(max_depth));
            }
            tree.insert(&segments);
        }
        if fields.is_empty() {
            tree.all = true;
        }
        Ok(tree)
    }

    fn insert(&mut self, segments: &[&str]) {
        match segments {
            [] => {}
            ["*"] => self.all = true,
            [name] => {
                if !self.names.iter().any(|n| n == name) {
                    self.names.push((*name).to_owned());
                }
            }
            ["*", rest @ ..] => {
                // `*.*` answers every field of this level too.
                self.all = true;
                self.every.get_or_insert_with(Box::default).insert(rest);
            }
            [head, rest @ ..] => {
                let pos = match self.nested.iter().position(|(n, _)| n == head) {
                    Some(p) => p,
                    None => {
                        self.nested.push(((*head).to_owned(), FieldTree::default()));
                        self.nested.len() - 1
                    }
                };
                self.nested[pos].1.insert(rest);
            }
        }
    }

    /// Whether this level expands any relation.
    pub fn expands(&self) -> bool {
        !self.nested.is_empty() || self.every.is_some()
    }

    /// The sub-tree a relational field is expanded with at this level, if any: its own
    /// entry, else the `*.…` one.
    pub fn subtree(&self, field: &str) -> Option<&FieldTree> {
        self.nested
            .iter()
            .find(|(n, _)| n == field)
            .map(|(_, t)| t)
            .or(self.every.as_deref())
    }
}

/// The `deep` entry for a relational field (`deep[field]`), if it is an object.
pub fn deep_of<'d>(deep: Option<&'d Value>, field: &str) -> Option<&'d Value> {
    deep.and_then(|d| d.get(field)).filter(|v| v.is_object())
}

/// The query a `deep` entry gives its relation: its `_`-prefixed keys without the prefix.
pub fn deep_query(deep: Option<&Value>) -> Result<Query, ApiError> {
    let Some(Value::Object(d)) = deep else {
        return Ok(Query::default());
    };
    let mut params = Map::new();
    for (k, v) in d {
        if let Some(name) = k.strip_prefix('_') {
            if !matches!(
                name,
                "filter" | "sort" | "limit" | "offset" | "page" | "search"
            ) {
                return Err(ApiError::invalid_query(format!(
                    "\"{k}\" is not a valid deep query parameter"
                )));
            }
            params.insert(name.to_owned(), v.clone());
        }
    }
    Query::from_params(&params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree(list: &[&str]) -> FieldTree {
        let owned: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        FieldTree::parse(Some(&owned), 10).unwrap()
    }

    #[test]
    fn dotted_paths_and_wildcards_make_a_tree() {
        let t = tree(&["*", "operations.*", "author.name", "author.id"]);
        assert!(t.all);
        assert!(t.subtree("operations").unwrap().all);
        assert_eq!(t.subtree("author").unwrap().names, vec!["name", "id"]);
        assert!(t.subtree("other").is_none());
        let t = tree(&["*.*"]);
        assert!(t.subtree("anything").unwrap().all);
        assert!(tree(&["id"]).names == vec!["id"] && !tree(&["id"]).expands());
    }

    #[test]
    fn depth_and_empty_segments_are_refused() {
        let deep = vec!["a.b.c".to_owned()];
        assert_eq!(
            FieldTree::parse(Some(&deep), 1).unwrap_err().code(),
            "INVALID_QUERY"
        );
        let empty = vec!["a..b".to_owned()];
        assert!(FieldTree::parse(Some(&empty), 10).is_err());
    }

    #[test]
    fn deep_entries_become_queries() {
        let d =
            json!({"operations": {"_limit": 2, "_sort": "-key", "_filter": {"key": {"_eq": "x"}}}});
        let q = deep_query(deep_of(Some(&d), "operations")).unwrap();
        assert_eq!(q.limit, Some(2));
        assert_eq!(q.sort, Some(vec!["-key".to_owned()]));
        assert!(q.filter.is_some());
        assert!(deep_query(Some(&json!({"_bogus": 1}))).is_err());
    }
}
