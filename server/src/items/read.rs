//! Relational reads (directus.md §6.2, issue 15): a `fields` tree becomes the columns of one
//! collection plus one statement per relation it follows — never one per row — and the
//! related rows are stitched into their parents: an m2o's key replaced by the related
//! object, an o2m alias answered as the children's keys or objects. Every level applies the
//! caller's permissions on its own collection; `deep` gives each relation its own filter,
//! sort and per-parent page.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;

use sea_orm::sea_query::{Alias, Condition, Expr};
use serde_json::{Map, Value};

use super::{Conn, Items, mask_concealed};
use crate::error::{ApiError, Result};
use crate::permissions::{Action, Grant, ReadScope};
use crate::query::Query;
use crate::query::fields::{FieldTree, deep_of, deep_query};
use crate::query::filter::{self, DynamicContext, collection_forbidden};
use crate::query::select::{self, SelectSpec, Selected, SortKey};
use crate::query::values::key_text;
use crate::schema::{Collection, Link, Relation};

/// A boxed future: relational reads recurse, one level per relation followed.
type Boxed<'f, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'f>>;

/// What to read from one collection: the columns to answer, the columns read only to stitch
/// relations (removed before answering), and the relations to follow.
pub(super) struct Plan<'s> {
    pub columns: Vec<Selected>,
    pub helpers: Vec<String>,
    pub nodes: Vec<Node<'s>>,
}

/// One relation to follow from a level.
pub(super) struct Node<'s> {
    pub field: String,
    pub link: Link<'s>,
    /// `None`: an o2m answered as its children's keys.
    pub tree: Option<FieldTree>,
}

/// `parent.child` (or `child` at the root).
fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// The related collection at the other end of a link.
fn other_side<'r>(link: &Link<'r>) -> Option<&'r str> {
    match link {
        Link::M2o(r) => r.one_collection.as_deref(),
        Link::O2m(r) => Some(r.many_collection.as_str()),
    }
}

impl<'a, C: Conn> Items<'a, C> {
    /// The caller's read access to related collections, for filters and sorts.
    pub(super) fn read_scope<'d>(&'d self, dynamic: &'d DynamicContext) -> ReadScope<'d> {
        ReadScope {
            schema: &self.ctx.schema,
            access: &self.ctx.access,
            acc: &self.ctx.acc,
            dynamic,
            postgres: self.postgres,
            max_depth: self.ctx.config.max_relational_depth,
        }
    }

    /// Whether the caller may read anything of a collection (wildcards skip the relations
    /// they may not follow; an explicit path to one is refused).
    fn may_read(&self, collection: &str) -> bool {
        let acc = &self.ctx.acc;
        acc.admin
            || self
                .ctx
                .access
                .permissions(&acc.policies, collection, "read")
                .next()
                .is_some()
    }

    /// Turns a fields tree into columns and relations, each checked against the grant.
    pub(super) fn plan(&self, tree: &FieldTree, grant: &Grant, path: &str) -> Result<Plan<'a>> {
        let schema: &'a crate::schema::Schema = &self.ctx.schema;
        let c = &self.collection;
        let mut names: Vec<&str> = Vec::new();
        let mut nodes: Vec<Node<'a>> = Vec::new();
        fn push<'n>(names: &mut Vec<&'n str>, n: &'n str) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        // Columns and o2m aliases by name (explicit or through `*`).
        let mut o2m: Vec<(&str, &'a Relation, bool)> = Vec::new();
        if tree.all {
            for f in &self.collection.fields {
                if grant.field_allowed(&f.name) {
                    names.push(f.name.as_str());
                }
            }
            for a in &self.collection.aliases {
                if let Some(r) = schema.o2m(&c.name, &a.name)
                    && grant.field_allowed(&a.name)
                    && self.may_read(&r.many_collection)
                {
                    o2m.push((a.name.as_str(), r, false));
                }
            }
        }
        let plain = tree
            .names
            .iter()
            .map(String::as_str)
            .chain(tree.nested.iter().map(|(n, _)| n.as_str()));
        for n in plain {
            let explicit_tree = tree.nested.iter().any(|(x, _)| x == n);
            if let Some(f) = c.field(n) {
                if !grant.field_allowed(n) {
                    return Err(filter::field_forbidden(n, &c.name, path));
                }
                push(&mut names, f.name.as_str());
                if explicit_tree && schema.m2o(&c.name, n).is_none() {
                    // `title.x` on a plain column.
                    return Err(filter::field_forbidden(n, &c.name, path));
                }
            } else if let Some(r) = schema.o2m(&c.name, n) {
                if !grant.field_allowed(n) {
                    return Err(filter::field_forbidden(n, &c.name, path));
                }
                match o2m.iter_mut().find(|(x, _, _)| *x == n) {
                    Some(entry) => entry.2 = true,
                    None => o2m.push((n, r, true)),
                }
            } else {
                return Err(filter::field_forbidden(n, &c.name, path));
            }
        }
        for &n in &names {
            let Some(r) = schema.m2o(&c.name, n) else {
                continue;
            };
            let explicit = tree.nested.iter().any(|(x, _)| x == n);
            let Some(sub) = tree.subtree(n) else {
                continue;
            };
            // A wildcard never follows into what the caller may not read; a path names it.
            let target = r.one_collection.as_deref().unwrap_or_default();
            if !explicit && !self.may_read(target) {
                continue;
            }
            if self.collection.field(n).is_some_and(|f| f.concealed()) {
                return Err(ApiError::invalid_query(format!(
                    "Can't expand the concealed field \"{n}\""
                )));
            }
            nodes.push(Node {
                field: n.to_owned(),
                link: Link::M2o(r),
                tree: Some(sub.clone()),
            });
        }
        for (n, r, explicit) in o2m {
            let sub = tree.subtree(n);
            if sub.is_some() && !explicit && !self.may_read(&r.many_collection) {
                continue;
            }
            nodes.push(Node {
                field: n.to_owned(),
                link: Link::O2m(r),
                tree: sub.cloned(),
            });
        }
        let mut helpers = Vec::new();
        if nodes.iter().any(|n| matches!(n.link, Link::O2m(_)))
            && !names.contains(&c.primary.as_str())
        {
            helpers.push(c.primary.clone());
        }
        let mut columns = Vec::with_capacity(names.len() + helpers.len());
        for n in names
            .iter()
            .copied()
            .chain(helpers.iter().map(String::as_str))
        {
            let f = c
                .field(n)
                .ok_or_else(|| filter::field_forbidden(n, &c.name, path))?;
            columns.push(Selected {
                name: f.name.clone(),
                kind: f.kind,
                only_when: if helpers.iter().any(|h| h == n) {
                    None
                } else {
                    grant.field_condition(n, c, schema, self.postgres)?
                },
            });
        }
        Ok(Plan {
            columns,
            helpers,
            nodes,
        })
    }

    /// One `sort` key; a dotted path (`author.name`) follows many-to-one relations through
    /// a correlated subquery, each level's permissions applied.
    pub(super) fn sort_key(
        &self,
        s: &str,
        grant: &Grant,
        dynamic: &DynamicContext,
        path: &str,
    ) -> Result<SortKey> {
        let (name, desc) = match s.strip_prefix('-') {
            Some(n) => (n, true),
            None => (s, false),
        };
        let c = &self.collection;
        let schema = &self.ctx.schema;
        let segments: Vec<&str> = name.split('.').collect();
        let first = segments[0];
        if segments.len() > 1 && schema.o2m(&c.name, first).is_some() {
            return Err(ApiError::invalid_query(format!(
                "Can't sort by \"{name}\": \"{first}\" is a one-to-many field"
            )));
        }
        let field = c
            .field(first)
            .filter(|_| grant.field_allowed(first))
            .ok_or_else(|| filter::field_forbidden(first, &c.name, path))?;
        let only_when = grant.field_condition(first, c, schema, self.postgres)?;
        if segments.len() == 1 {
            if field.concealed() {
                // The order of rows would reveal the hidden values.
                return Err(super::concealed_use("sort by", name));
            }
            return Ok(SortKey {
                name: name.to_owned(),
                desc,
                only_when,
                related: None,
            });
        }
        let max = self.ctx.config.max_relational_depth;
        if segments.len() - 1 > max {
            return Err(filter::too_deep(max));
        }
        let scope = self.read_scope(dynamic);
        // Walk the many-to-one chain: the collection reached at each step, the field read
        // from it, and the rows (and that field) the caller may see there.
        let mut steps: Vec<(std::sync::Arc<Collection>, String, Option<Condition>)> = Vec::new();
        let mut from = c.clone();
        let mut via = first;
        let mut at = path.to_owned();
        for (i, next) in segments.iter().enumerate().skip(1) {
            let relation = schema.m2o(&from.name, via).ok_or_else(|| {
                if schema.o2m(&from.name, via).is_some() {
                    ApiError::invalid_query(format!(
                        "Can't sort by \"{name}\": \"{via}\" is a one-to-many field"
                    ))
                } else {
                    filter::field_forbidden(via, &from.name, &at)
                }
            })?;
            at = join(&at, via);
            let target = relation.one_collection.as_deref().unwrap_or_default();
            let g = scope.read_grant(target, &at)?;
            let related = schema
                .collection(target)
                .cloned()
                .ok_or_else(|| collection_forbidden(target, &at))?;
            let f = related
                .field(next)
                .filter(|_| g.field_allowed(next))
                .ok_or_else(|| filter::field_forbidden(next, &related.name, &at))?;
            if i == segments.len() - 1 && f.concealed() {
                return Err(super::concealed_use("sort by", name));
            }
            let mut visible = Condition::all();
            let mut restricted = false;
            if !g.is_full() {
                visible = visible.add(g.condition(&related, schema, self.postgres)?);
                restricted = true;
            }
            if let Some(fc) = g.field_condition(next, &related, schema, self.postgres)? {
                visible = visible.add(fc);
                restricted = true;
            }
            steps.push((
                related.clone(),
                (*next).to_owned(),
                restricted.then_some(visible),
            ));
            from = related;
            via = next;
        }
        let mut value: Option<Expr> = None;
        for (depth, (related, read, visible)) in steps.iter().enumerate().rev() {
            let alias = format!("s{}", depth + 1);
            let inner = match value.take() {
                None => select::aliased_col(&alias, read),
                Some(v) => v,
            };
            let outer = if depth == 0 {
                let col = Expr::col((Alias::new(c.name.as_str()), Alias::new(first)));
                match &only_when {
                    Some(cond) => Expr::case(cond.clone(), col).finally(Expr::null()).into(),
                    None => col,
                }
            } else {
                select::aliased_col(&format!("s{depth}"), &steps[depth - 1].1)
            };
            value = Some(select::related_value(
                outer,
                related,
                inner,
                visible.clone(),
                &alias,
            ));
        }
        Ok(SortKey {
            name: name.to_owned(),
            desc,
            only_when: None,
            related: value,
        })
    }

    /// Follows the plan's relations from rows already read (one statement per relation),
    /// then removes the helper columns.
    pub(super) fn expand<'f>(
        &'f self,
        rows: &'f mut [Map<String, Value>],
        plan: &'f Plan<'a>,
        deep: Option<&'f Value>,
        path: &'f str,
    ) -> Boxed<'f, ()> {
        Box::pin(async move {
            for node in &plan.nodes {
                let target = other_side(&node.link).unwrap_or_default();
                let at = join(path, &node.field);
                let child = Items::new(self.conn, self.ctx, target)
                    .map_err(|_| collection_forbidden(target, &at))?;
                let sub_deep = deep_of(deep, &node.field);
                match node.link {
                    Link::M2o(_) => {
                        let mut seen = HashSet::new();
                        let keys: Vec<Value> = rows
                            .iter()
                            .filter_map(|r| r.get(&node.field))
                            .filter(|v| !v.is_null() && seen.insert(key_text(v)))
                            .cloned()
                            .collect();
                        if keys.is_empty() {
                            continue;
                        }
                        let tree = node.tree.as_ref().cloned().unwrap_or_else(FieldTree::star);
                        let related = child
                            .related_rows(&keys, None, &tree, sub_deep, &at)
                            .await?;
                        let by_key: HashMap<String, Map<String, Value>> = related
                            .into_iter()
                            .map(|(k, row)| (key_text(&k), row))
                            .collect();
                        for row in rows.iter_mut() {
                            if let Some(v) = row.get_mut(&node.field)
                                && !v.is_null()
                            {
                                *v = by_key
                                    .get(&key_text(v))
                                    .cloned()
                                    .map_or(Value::Null, Value::Object);
                            }
                        }
                    }
                    Link::O2m(r) => {
                        let pk = &self.collection.primary;
                        let mut seen = HashSet::new();
                        let keys: Vec<Value> = rows
                            .iter()
                            .filter_map(|row| row.get(pk))
                            .filter(|v| !v.is_null() && seen.insert(key_text(v)))
                            .cloned()
                            .collect();
                        let mut groups: HashMap<String, Vec<Value>> = HashMap::new();
                        if !keys.is_empty() {
                            let child_pk = child.collection.primary.clone();
                            let (tree, keys_only) = match &node.tree {
                                Some(t) => (t.clone(), false),
                                None => (FieldTree::only(&child_pk), true),
                            };
                            let children = child
                                .related_rows(&keys, Some(&r.many_field), &tree, sub_deep, &at)
                                .await?;
                            for (parent, mut item) in children {
                                let v = if keys_only {
                                    item.remove(&child_pk).unwrap_or(Value::Null)
                                } else {
                                    Value::Object(item)
                                };
                                groups.entry(key_text(&parent)).or_default().push(v);
                            }
                        }
                        for row in rows.iter_mut() {
                            let list = row
                                .get(pk)
                                .and_then(|k| groups.remove(&key_text(k)))
                                .unwrap_or_default();
                            row.insert(node.field.clone(), Value::Array(list));
                        }
                    }
                }
            }
            for row in rows.iter_mut() {
                for h in &plan.helpers {
                    row.shift_remove(h);
                }
            }
            Ok(())
        })
    }

    /// The rows of this collection related to `keys`: by primary key (`by: None`, an m2o's
    /// targets) or by a foreign key column (an o2m's children, paged per parent). Each row
    /// comes with the key it links by.
    fn related_rows<'f>(
        &'f self,
        keys: &'f [Value],
        by: Option<&'f str>,
        tree: &'f FieldTree,
        deep: Option<&'f Value>,
        path: &'f str,
    ) -> Boxed<'f, Vec<(Value, Map<String, Value>)>> {
        Box::pin(async move {
            let c = &self.collection;
            let q = deep_query(deep)?;
            let (grant, dynamic) = self
                .grant(Action::Read, q.filter.as_ref(), true)
                .await
                .map_err(|e| {
                    if e.code() == "FORBIDDEN" {
                        collection_forbidden(&c.name, path)
                    } else {
                        e
                    }
                })?;
            let mut plan = self.plan(tree, &grant, path)?;
            let link = by.unwrap_or(&c.primary);
            let link_field = c
                .field(link)
                .ok_or_else(|| filter::field_forbidden(link, &c.name, path))?;
            if !plan.columns.iter().any(|s| s.name == link) {
                plan.columns.push(Selected {
                    name: link_field.name.clone(),
                    kind: link_field.kind,
                    only_when: None,
                });
                plan.helpers.push(link_field.name.clone());
            }
            let condition = Condition::all()
                .add(grant.condition(c, &self.ctx.schema, self.postgres)?)
                .add(self.query_condition(&q, &grant, &dynamic, path)?)
                .add(select::keys_in(c, link_field, keys, self.postgres));
            let (sort, limit, offset) = match by {
                None => (Vec::new(), None, None),
                Some(_) => {
                    let relation = self.ctx.schema.m2o(&c.name, link);
                    let default_sort = relation.and_then(|r| r.sort_field.clone());
                    let mut q2 = q.clone();
                    if q2.sort.is_none() {
                        q2.sort = default_sort.map(|s| vec![s]);
                    }
                    let sort = self.sort(&q2, &grant, &dynamic, path)?;
                    let (limit, offset) = self.paging(&q);
                    (sort, limit, offset)
                }
            };
            let spec = SelectSpec {
                collection: c,
                columns: plan.columns.clone(),
                condition,
                sort,
                limit,
                offset,
                per_group: by.map(str::to_owned),
            };
            let mut rows = select::fetch(self.conn, &spec).await?;
            rows.iter_mut().for_each(|r| mask_concealed(c, r));
            let linked: Vec<Value> = rows
                .iter()
                .map(|r| r.get(link).cloned().unwrap_or(Value::Null))
                .collect();
            self.expand(&mut rows, &plan, deep, path).await?;
            Ok(linked.into_iter().zip(rows).collect())
        })
    }
}

/// Whether a query reaches beyond its collection (so permission rules of other collections
/// may need the caller's user and role fields).
pub(super) fn reaches_relations(q: &Query, c: &Collection) -> bool {
    let dotted = |list: &Option<Vec<String>>| {
        list.as_ref()
            .is_some_and(|l| l.iter().any(|x| x.contains('.')))
    };
    // `*` (the default) answers the o2m aliases, read from their own collections.
    let star = q.fields.as_ref().is_none_or(|f| f.iter().any(|x| x == "*"));
    q.deep.is_some()
        || dotted(&q.fields)
        || dotted(&q.sort)
        || (star && !c.aliases.is_empty())
        || q.filter.as_ref().is_some_and(filter_nests)
}

/// A filter with a relational rule (an object value whose keys are not all operators).
fn filter_nests(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.iter().any(|(k, v)| {
            if k == "_and" || k == "_or" {
                v.as_array().is_some_and(|a| a.iter().any(filter_nests))
            } else if k.starts_with('_') {
                false
            } else {
                v.as_object().is_some_and(|inner| {
                    inner
                        .keys()
                        .any(|ik| !ik.starts_with('_') || ik == "_some" || ik == "_none")
                })
            }
        }),
        _ => false,
    }
}
