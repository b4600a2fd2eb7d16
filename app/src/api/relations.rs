//! `/relations` and the reads the relational controls of the Data pages need: which fields
//! link to another collection, how a related item is labelled, and the few items a picker,
//! a table column or an o2m list shows. Only plain item queries (`filter`, `search`,
//! `fields`, `limit`): nothing here depends on the server expanding `author.*`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ApiError, ApiRequest,
    schema::{self, Field},
};
use crate::util::template;

/// A relation as `/relations` answers it (Directus's shape; unknown keys are ignored).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Relation {
    /// The many side: the collection holding the foreign key.
    pub collection: String,
    /// The foreign key field of `collection`.
    pub field: String,
    /// The one side (null for a many-to-any).
    #[serde(default)]
    pub related_collection: Option<String>,
    /// Directus meta (`one_field`, `junction_field`, …; null without a meta row).
    #[serde(default)]
    pub meta: Option<Value>,
}

impl Relation {
    fn meta_str(&self, key: &str) -> Option<&str> {
        self.meta
            .as_ref()
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The o2m alias on the related collection that lists this relation's items.
    pub fn one_field(&self) -> Option<&str> {
        self.meta_str("one_field")
    }

    /// Part of a many-to-many junction: shown as a plain key, not as a picker.
    pub fn is_junction(&self) -> bool {
        self.meta_str("junction_field").is_some()
    }
}

/// A many-to-one field of a collection: its value is a key of `related`.
#[derive(Clone, Debug, PartialEq)]
pub struct M2o {
    /// The foreign key field.
    pub field: String,
    /// The related collection.
    pub related: String,
}

/// A one-to-many alias of a collection: the items of `many` whose `many_field` holds this
/// item's key.
#[derive(Clone, Debug, PartialEq)]
pub struct O2m {
    /// The alias field's name on this collection.
    pub field: String,
    /// The collection of the listed items.
    pub many: String,
    /// Their foreign key field.
    pub many_field: String,
}

/// The m2o fields of `collection` among `all` relations.
pub fn m2o_of(all: &[Relation], collection: &str) -> Vec<M2o> {
    all.iter()
        .filter(|r| r.collection == collection && !r.is_junction())
        .filter_map(|r| {
            Some(M2o {
                field: r.field.clone(),
                related: r.related_collection.clone()?,
            })
        })
        .collect()
}

/// The o2m aliases of `collection` among `all` relations.
pub fn o2m_of(all: &[Relation], collection: &str) -> Vec<O2m> {
    all.iter()
        .filter(|r| r.related_collection.as_deref() == Some(collection) && !r.is_junction())
        .filter_map(|r| {
            Some(O2m {
                field: r.one_field()?.to_owned(),
                many: r.collection.clone(),
                many_field: r.field.clone(),
            })
        })
        .collect()
}

/// `GET /relations`: every relation, so that both sides of this collection's relations (its
/// m2o fields and the o2m aliases pointing at it) come from one request.
pub async fn list(token: String) -> Result<Vec<Relation>, ApiError> {
    ApiRequest::get("/relations").bearer(&token).send().await
}

/// `POST /relations`.
pub async fn create(token: String, body: Value) -> Result<Value, ApiError> {
    ApiRequest::post("/relations")
        .bearer(&token)
        .json(&body)?
        .send()
        .await
}

/// How the items of one collection are labelled: its display template, else its first text
/// field, else its key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labeller {
    /// The collection.
    pub collection: String,
    /// Its primary key field.
    pub pk: String,
    /// Its primary key's type (`integer`, `uuid`, …): the type of a field that points at it.
    pub pk_kind: String,
    /// `meta.display_template` (`{{name}} ({{email}})`), when set.
    pub template: Option<String>,
    /// The first text column other than the key.
    pub text_field: Option<String>,
}

impl Labeller {
    /// From a collection's `/collections/{c}` meta and its `/fields/{c}`.
    pub fn new(collection: &str, meta: Option<&Value>, fields: &[Field]) -> Self {
        let pk_field = fields.iter().find(|f| f.is_column() && f.is_primary_key());
        let template = meta
            .and_then(|m| m.get("display_template"))
            .and_then(Value::as_str)
            .filter(|t| !template::placeholders(t).is_empty())
            .map(str::to_owned);
        let text_field = fields
            .iter()
            .find(|f| f.is_column() && !f.is_primary_key() && f.kind == "string")
            .map(|f| f.field.clone());
        Self {
            collection: collection.to_owned(),
            pk: pk_field.map_or_else(|| "id".to_owned(), |f| f.field.clone()),
            pk_kind: pk_field.map_or_else(|| "integer".to_owned(), |f| f.kind.clone()),
            template,
            text_field,
        }
    }

    /// The `fields` query that reads enough of an item to label it (top-level names only: a
    /// template path into another relation is left empty rather than asked for).
    pub fn fields_query(&self) -> String {
        let mut names = vec![self.pk.clone()];
        if let Some(t) = &self.template {
            for (_, path) in template::placeholders(t) {
                if !path.contains('.') && !path.is_empty() {
                    names.push(path.to_owned());
                }
            }
        }
        if let Some(f) = &self.text_field {
            names.push(f.clone());
        }
        let mut seen = Vec::new();
        names.retain(|n| {
            let fresh = !seen.contains(n);
            seen.push(n.clone());
            fresh
        });
        names.join(",")
    }

    /// The item's key as text (what the form's value holds).
    pub fn key(&self, item: &Value) -> String {
        key_text(item.get(&self.pk).unwrap_or(&Value::Null))
    }

    /// The readable label of an item.
    pub fn label(&self, item: &Value) -> String {
        if let Some(t) = &self.template {
            let shown = render(t, item);
            if !shown.trim().is_empty() {
                return shown;
            }
        }
        if let Some(text) = self
            .text_field
            .as_ref()
            .and_then(|f| item.get(f))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
        {
            return text.to_owned();
        }
        self.key(item)
    }
}

/// A key as the form and the URLs hold it (`7`, `9b1d…`).
pub fn key_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A display template with the item's values (missing values are left empty).
fn render(t: &str, item: &Value) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (range, path) in template::placeholders(t) {
        out.push_str(&t[last..range.start]);
        match template::lookup(item, path) {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Null) | None => {}
            Some(other) => out.push_str(&other.to_string()),
        }
        last = range.end;
    }
    out.push_str(&t[last..]);
    out
}

/// `GET /collections/{c}` and `GET /fields/{c}`: how `collection`'s items are labelled.
pub async fn labeller(token: String, collection: String) -> Result<Labeller, ApiError> {
    let meta: Value = ApiRequest::get(&format!("/collections/{collection}"))
        .bearer(&token)
        .send::<Value>()
        .await
        .map(|c| c.get("meta").cloned().unwrap_or(Value::Null))?;
    let fields = schema::fields(token, collection.clone()).await?;
    Ok(Labeller::new(&collection, Some(&meta), &fields))
}

/// What a picker lists: up to `limit` items of the labeller's collection matching `search`.
pub async fn search(
    token: String,
    l: Labeller,
    search: String,
    limit: u32,
) -> Result<Vec<Value>, ApiError> {
    ApiRequest::get(&format!("/items/{}", l.collection))
        .query("fields", l.fields_query())
        .query("limit", limit.to_string())
        .query("sort", l.pk.clone())
        .query_opt("search", Some(search).filter(|s| !s.trim().is_empty()))
        .bearer(&token)
        .send()
        .await
}

/// The labels of the items with these keys, in one request (`filter[pk][_in]=…`).
pub async fn labels(
    token: String,
    l: Labeller,
    keys: Vec<String>,
) -> Result<HashMap<String, String>, ApiError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Value> = ApiRequest::get(&format!("/items/{}", l.collection))
        .query("fields", l.fields_query())
        .query(&format!("filter[{}][_in]", l.pk), keys.join(","))
        .query("limit", "-1")
        .bearer(&token)
        .send()
        .await?;
    Ok(rows.iter().map(|r| (l.key(r), l.label(r))).collect())
}

/// The items of an o2m list: those of `l.collection` whose `many_field` is `key`.
pub async fn children(
    token: String,
    l: Labeller,
    many_field: String,
    key: String,
    limit: u32,
) -> Result<Vec<Value>, ApiError> {
    ApiRequest::get(&format!("/items/{}", l.collection))
        .query("fields", l.fields_query())
        .query(&format!("filter[{many_field}][_eq]"), key)
        .query("limit", limit.to_string())
        .query("sort", l.pk.clone())
        .bearer(&token)
        .send()
        .await
}

/// What the add-field forms send for a many-to-one field: the field (typed like the related
/// key), then optionally the o2m alias on the related collection, then the relation.
#[derive(Clone, Debug, PartialEq)]
pub struct M2oPlan {
    /// The collection getting the field.
    pub collection: String,
    /// The new field.
    pub field: String,
    /// The related collection.
    pub related: String,
    /// Type of the related primary key.
    pub related_pk_kind: String,
    /// The field may not be empty.
    pub required: bool,
    /// The o2m alias to add on `related` (listing this collection's items), if any.
    pub one_field: Option<String>,
}

impl M2oPlan {
    /// The field's type: the related key's (`integer`, `uuid`, …).
    fn kind(&self) -> &str {
        match self.related_pk_kind.as_str() {
            "" => "integer",
            k => k,
        }
    }

    /// `POST /fields/{collection}` (or a `fields` entry of `POST /collections`).
    pub fn field_body(&self) -> Value {
        json!({
            "field": self.field,
            "type": self.kind(),
            "schema": {"is_nullable": !self.required},
            "meta": {
                "special": ["m2o"],
                "interface": "select-dropdown-m2o",
                "required": self.required,
            },
        })
    }

    /// `POST /fields/{related}` for the o2m alias, when asked for.
    pub fn alias_body(&self) -> Option<Value> {
        self.one_field.as_ref().map(|name| {
            json!({
                "field": name,
                "type": "alias",
                "schema": null,
                "meta": {"special": ["o2m"], "interface": "list-o2m"},
            })
        })
    }

    /// `POST /relations`. Deleting a related item empties the field (`SET NULL`), except for
    /// a required field, which cannot be emptied: there the delete is refused (`NO ACTION`).
    pub fn relation_body(&self) -> Value {
        let on_delete = if self.required {
            "NO ACTION"
        } else {
            "SET NULL"
        };
        json!({
            "collection": self.collection,
            "field": self.field,
            "related_collection": self.related,
            "schema": {"on_delete": on_delete},
            "meta": {"one_field": self.one_field, "one_deselect_action": "nullify"},
        })
    }

    /// The calls after the field exists, in order.
    pub fn steps_after_field(&self) -> Vec<Step> {
        let mut out = Vec::new();
        if let Some(body) = self.alias_body() {
            out.push(Step::Field {
                collection: self.related.clone(),
                body,
            });
        }
        out.push(Step::Relation(self.relation_body()));
        out
    }

    /// Every call, the field first.
    pub fn steps(&self) -> Vec<Step> {
        let mut out = vec![Step::Field {
            collection: self.collection.clone(),
            body: self.field_body(),
        }];
        out.extend(self.steps_after_field());
        out
    }
}

/// One schema call of a form that takes several; a form remembers how many succeeded so a
/// retry after a failure goes on from the failed one instead of repeating what exists.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `POST /collections`.
    Collection(Value),
    /// `POST /fields/{collection}`.
    Field {
        /// Where.
        collection: String,
        /// The field.
        body: Value,
    },
    /// `POST /relations`.
    Relation(Value),
}

impl Step {
    /// What the step does, for the error's context ("Couldn't add field 'author'").
    pub fn describe(&self) -> String {
        let name = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        match self {
            Step::Collection(b) => {
                format!("Couldn't create collection '{}'", name(b, "collection"))
            }
            Step::Field { collection, body } => format!(
                "Couldn't add field '{}' to '{collection}'",
                name(body, "field")
            ),
            Step::Relation(b) => format!(
                "Couldn't link '{}.{}' to '{}'",
                name(b, "collection"),
                name(b, "field"),
                name(b, "related_collection")
            ),
        }
    }

    /// Sends it.
    pub async fn run(self, token: String) -> Result<(), ApiError> {
        match self {
            Step::Collection(body) => ApiRequest::post("/collections")
                .bearer(&token)
                .json(&body)?
                .send::<Value>()
                .await
                .map(drop),
            Step::Field { collection, body } => ApiRequest::post(&format!("/fields/{collection}"))
                .bearer(&token)
                .json(&body)?
                .send::<Value>()
                .await
                .map(drop),
            Step::Relation(body) => create(token, body).await.map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: &str, pk: bool) -> Field {
        Field {
            collection: "authors".into(),
            field: name.into(),
            kind: kind.into(),
            schema: Some(json!({"is_primary_key": pk, "has_auto_increment": pk})),
            meta: None,
        }
    }

    fn rel(c: &str, f: &str, related: &str, meta: Value) -> Relation {
        Relation {
            collection: c.into(),
            field: f.into(),
            related_collection: Some(related.into()),
            meta: Some(meta),
        }
    }

    #[test]
    fn both_sides_of_a_relation_are_found_from_the_whole_list() {
        let all = vec![
            rel(
                "articles",
                "author",
                "authors",
                json!({"one_field": "articles"}),
            ),
            rel("articles", "editor", "authors", json!({"one_field": null})),
            rel(
                "tags_links",
                "tag",
                "tags",
                json!({"junction_field": "article"}),
            ),
        ];
        let m2o = m2o_of(&all, "articles");
        assert_eq!(m2o.len(), 2);
        assert_eq!(m2o[0].related, "authors");
        assert!(
            m2o_of(&all, "tags_links").is_empty(),
            "junctions stay plain keys"
        );
        let o2m = o2m_of(&all, "authors");
        assert_eq!(
            o2m,
            vec![O2m {
                field: "articles".into(),
                many: "articles".into(),
                many_field: "author".into()
            }]
        );
    }

    #[test]
    fn labels_prefer_the_template_then_the_first_text_then_the_key() {
        let fields = vec![
            field("id", "integer", true),
            field("age", "integer", false),
            field("name", "string", false),
        ];
        let plain = Labeller::new("authors", None, &fields);
        assert_eq!(plain.fields_query(), "id,name");
        assert_eq!(plain.label(&json!({"id": 3, "name": "Ada"})), "Ada");
        assert_eq!(plain.label(&json!({"id": 3, "name": ""})), "3");
        let meta = json!({"display_template": "{{name}} ({{age}}) {{org.name}}"});
        let t = Labeller::new("authors", Some(&meta), &fields);
        assert_eq!(t.fields_query(), "id,name,age");
        assert_eq!(
            t.label(&json!({"id": 3, "name": "Ada", "age": 36})),
            "Ada (36) "
        );
        assert_eq!(t.pk_kind, "integer");
        let none = Labeller::new("x", None, &[field("code", "uuid", true)]);
        assert_eq!(none.label(&json!({"code": "9b1d"})), "9b1d");
        assert_eq!(none.pk_kind, "uuid");
    }

    #[test]
    fn an_m2o_field_is_typed_like_the_related_key_and_linked_after_its_alias() {
        let plan = M2oPlan {
            collection: "articles".into(),
            field: "author".into(),
            related: "authors".into(),
            related_pk_kind: "uuid".into(),
            required: false,
            one_field: Some("articles".into()),
        };
        let steps = plan.steps();
        assert_eq!(steps.len(), 3);
        let Step::Field { collection, body } = &steps[0] else {
            panic!("the field first")
        };
        assert_eq!(collection, "articles");
        assert_eq!(body["type"], "uuid");
        assert_eq!(body["meta"]["special"], json!(["m2o"]));
        assert_eq!(body["meta"]["interface"], "select-dropdown-m2o");
        let Step::Field { collection, body } = &steps[1] else {
            panic!("then the alias")
        };
        assert_eq!(collection, "authors");
        assert_eq!(body["type"], "alias");
        assert_eq!(body["meta"]["special"], json!(["o2m"]));
        let Step::Relation(r) = &steps[2] else {
            panic!("then the relation")
        };
        assert_eq!(r["schema"]["on_delete"], "SET NULL");
        assert_eq!(r["meta"]["one_field"], "articles");
        assert_eq!(
            steps[2].describe(),
            "Couldn't link 'articles.author' to 'authors'"
        );
        let bare = M2oPlan {
            one_field: None,
            required: true,
            ..plan
        };
        assert_eq!(bare.steps().len(), 2);
        assert_eq!(bare.relation_body()["meta"]["one_field"], Value::Null);
        assert_eq!(
            bare.relation_body()["schema"]["on_delete"],
            "NO ACTION",
            "a required field cannot be set to null"
        );
        assert_eq!(bare.field_body()["schema"]["is_nullable"], false);
    }
}
