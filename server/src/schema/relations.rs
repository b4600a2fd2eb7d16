//! Relations between collections (directus.md §6, issue 15): the system relations Directus
//! declares for the tables Sluice has, plus the rows of `directus_relations`, indexed so the
//! query engine can ask "is `articles.author` a many-to-one?" and "is `authors.articles` a
//! one-to-many alias?" in one hash lookup.

use serde_json::{Value, json};

/// What happens to the children an o2m write leaves out (`one_deselect_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deselect {
    /// The child's foreign key is set to null.
    Nullify,
    /// The child is deleted.
    Delete,
}

impl Deselect {
    pub fn parse(s: &str) -> Option<Deselect> {
        match s {
            "nullify" => Some(Deselect::Nullify),
            "delete" => Some(Deselect::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Deselect::Nullify => "nullify",
            Deselect::Delete => "delete",
        }
    }
}

/// The database side of a many-to-one: its foreign key constraint, when there is one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ForeignKey {
    pub constraint_name: Option<String>,
    pub on_update: Option<String>,
    pub on_delete: Option<String>,
}

/// One relation: `many_collection.many_field` holds a key of `one_collection`; when
/// `one_field` is set, `one_collection.one_field` is the o2m alias listing the children.
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    /// The `directus_relations` id (`None` for a system relation).
    pub id: Option<i64>,
    pub many_collection: String,
    pub many_field: String,
    pub one_collection: Option<String>,
    pub one_field: Option<String>,
    pub one_collection_field: Option<String>,
    pub one_allowed_collections: Option<Vec<String>>,
    pub junction_field: Option<String>,
    pub sort_field: Option<String>,
    pub one_deselect_action: Deselect,
    pub system: bool,
    /// The foreign key constraint (`None`: none exists, e.g. system relations).
    pub foreign_key: Option<ForeignKey>,
}

impl Relation {
    /// A many-to-any relation (no single related collection): listed, not queried.
    pub fn is_m2a(&self) -> bool {
        self.one_collection.is_none()
    }

    /// The `meta` object of `/relations`.
    pub fn meta_json(&self) -> Value {
        json!({
            "id": self.id,
            "many_collection": self.many_collection,
            "many_field": self.many_field,
            "one_collection": self.one_collection,
            "one_field": self.one_field,
            "one_collection_field": self.one_collection_field,
            "one_allowed_collections": self.one_allowed_collections,
            "junction_field": self.junction_field,
            "sort_field": self.sort_field,
            "one_deselect_action": self.one_deselect_action.as_str(),
            "system": self.system.then_some(true),
        })
    }

    /// The relation as `/relations` answers it: `collection`, `field`, `related_collection`,
    /// `schema` (the foreign key, `null` without one) and `meta`.
    pub fn to_json(&self, related_primary: Option<&str>) -> Value {
        let schema = match (&self.foreign_key, &self.one_collection) {
            (Some(fk), Some(one)) => json!({
                "table": self.many_collection,
                "column": self.many_field,
                "foreign_key_table": one,
                "foreign_key_column": related_primary.unwrap_or("id"),
                "foreign_key_schema": null,
                "constraint_name": fk.constraint_name,
                "on_update": fk.on_update.as_deref().unwrap_or("NO ACTION"),
                "on_delete": fk.on_delete.as_deref().unwrap_or("NO ACTION"),
            }),
            _ => Value::Null,
        };
        json!({
            "collection": self.many_collection,
            "field": self.many_field,
            "related_collection": self.one_collection,
            "schema": schema,
            "meta": self.meta_json(),
        })
    }
}

/// `(many_collection, many_field, one_collection, one_field, one_deselect_action,
/// junction_field)` of one system relation.
type SystemRelation = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Deselect,
    Option<&'static str>,
);

/// The system relations Directus declares, for the tables Sluice has.
const SYSTEM: &[SystemRelation] = &[
    (
        "directus_users",
        "role",
        "directus_roles",
        Some("users"),
        Deselect::Nullify,
        None,
    ),
    (
        "directus_roles",
        "parent",
        "directus_roles",
        Some("children"),
        Deselect::Nullify,
        None,
    ),
    (
        "directus_access",
        "role",
        "directus_roles",
        Some("policies"),
        Deselect::Delete,
        Some("policy"),
    ),
    (
        "directus_access",
        "user",
        "directus_users",
        Some("policies"),
        Deselect::Delete,
        Some("policy"),
    ),
    (
        "directus_access",
        "policy",
        "directus_policies",
        Some("roles"),
        Deselect::Delete,
        Some("role"),
    ),
    (
        "directus_permissions",
        "policy",
        "directus_policies",
        Some("permissions"),
        Deselect::Delete,
        None,
    ),
    (
        "directus_activity",
        "user",
        "directus_users",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_revisions",
        "activity",
        "directus_activity",
        Some("revisions"),
        Deselect::Nullify,
        None,
    ),
    (
        "directus_revisions",
        "parent",
        "directus_revisions",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_notifications",
        "recipient",
        "directus_users",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_notifications",
        "sender",
        "directus_users",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_sessions",
        "user",
        "directus_users",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_settings",
        "public_registration_role",
        "directus_roles",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_flows",
        "operation",
        "directus_operations",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_flows",
        "user_created",
        "directus_users",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_operations",
        "flow",
        "directus_flows",
        Some("operations"),
        Deselect::Delete,
        None,
    ),
    (
        "directus_operations",
        "resolve",
        "directus_operations",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_operations",
        "reject",
        "directus_operations",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "directus_operations",
        "user_created",
        "directus_users",
        None,
        Deselect::Nullify,
        None,
    ),
    (
        "sluice_runs",
        "flow",
        "directus_flows",
        None,
        Deselect::Nullify,
        None,
    ),
];

/// The system relations (callers keep those whose columns exist).
pub fn system() -> Vec<Relation> {
    SYSTEM
        .iter()
        .map(
            |&(many_collection, many_field, one, one_field, deselect, junction)| Relation {
                id: None,
                many_collection: many_collection.to_owned(),
                many_field: many_field.to_owned(),
                one_collection: Some(one.to_owned()),
                one_field: one_field.map(str::to_owned),
                one_collection_field: None,
                one_allowed_collections: None,
                junction_field: junction.map(str::to_owned),
                sort_field: None,
                one_deselect_action: deselect,
                system: true,
                foreign_key: None,
            },
        )
        .collect()
}

/// Reads a `one_allowed_collections` value (a CSV string or a JSON array).
pub fn allowed_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) if s.trim_start().starts_with('[') => serde_json::from_str::<Value>(s)
            .ok()
            .as_ref()
            .and_then(allowed_list),
        Value::String(s) if !s.is_empty() => Some(
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_relations_name_their_alias_sides() {
        let all = system();
        let ops = all
            .iter()
            .find(|r| r.many_collection == "directus_operations" && r.many_field == "flow")
            .unwrap();
        assert_eq!(ops.one_collection.as_deref(), Some("directus_flows"));
        assert_eq!(ops.one_field.as_deref(), Some("operations"));
        assert_eq!(ops.to_json(Some("id"))["schema"], Value::Null);
        assert_eq!(ops.meta_json()["system"], true);
    }

    #[test]
    fn allowed_collections_parse_from_csv_or_json() {
        assert_eq!(
            allowed_list(&json!("a, b")),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(allowed_list(&json!("[\"a\"]")), Some(vec!["a".to_owned()]));
        assert_eq!(allowed_list(&Value::Null), None);
    }
}
