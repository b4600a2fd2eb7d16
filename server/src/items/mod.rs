//! The generic items service (Directus's ItemsService): read by query, one or many keys;
//! create, update and delete with permissions, presets, validation, specials and audit rows.
//! Used for user collections and for the system collections behind `/users`, `/roles`, …

mod batch;
pub mod dberr;
pub mod events;
mod nested;
mod payload;
mod read;
pub mod txn;
mod write;

use std::sync::Arc;

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Map, Value, json};

use crate::access::{AccessSnapshot, Accountability};
use crate::config::Config;
use crate::error::{ApiError, Result};
use crate::permissions::{self, Action, Grant};
use crate::query::fields::FieldTree;
use crate::query::filter::{self, DynamicContext, SqlTarget};
use crate::query::select::{self, AggField, AggregateSpec, SelectSpec, Selected, SortKey};
use crate::query::values::{self, to_sql};
use crate::query::{AggFunc, Query};
use crate::schema::{Collection, Schema};

pub use batch::Batcher;
pub use txn::{Conn, GateGuard, begin_write};
pub use write::WriteOptions;

/// What a caller reads: rows (or aggregate rows) and optional `meta`.
#[derive(Debug)]
pub struct ReadOutput {
    pub data: Vec<Value>,
    pub meta: Option<Value>,
}

/// Everything the service needs besides the connection.
#[derive(Clone)]
pub struct ItemsContext {
    pub schema: Arc<Schema>,
    pub access: Arc<AccessSnapshot>,
    pub acc: Arc<Accountability>,
    pub config: Arc<Config>,
    pub gate: crate::db::WriteGate,
    /// Group commit for creates (SQLite; `None` inside an outer transaction).
    pub batcher: Option<Batcher>,
    /// Item event listeners (`None`: writes emit no events, e.g. flow item operations
    /// without `emitEvents`).
    pub events: Option<Arc<dyn events::EventSink>>,
    /// How many listeners' writes led to this one (0 for a request).
    pub event_depth: u32,
    /// What a create records in its own transaction (a queued run's journal step), so the
    /// items and the record commit together — group-committed with other creates or not.
    pub record: Option<Arc<dyn WriteRecord>>,
}

/// A row written in the same transaction as a create, given the created keys.
pub trait WriteRecord: Send + Sync {
    fn statement(&self, backend: sea_orm::DatabaseBackend, keys: &[Value]) -> sea_orm::Statement;
}

/// The service for one collection.
pub struct Items<'a, C> {
    conn: &'a C,
    ctx: &'a ItemsContext,
    pub collection: Arc<Collection>,
    postgres: bool,
}

/// The 400 for a query that would reveal a concealed field through `sort` or `groupBy`.
fn concealed_use(what: &str, name: &str) -> ApiError {
    ApiError::invalid_query(format!("Can't {what} the concealed field \"{name}\""))
}

/// Replaces concealed values with Directus's mask.
fn mask_concealed(collection: &Collection, item: &mut Map<String, Value>) {
    for f in collection.fields.iter().filter(|f| f.concealed()) {
        if let Some(v) = item.get_mut(&f.name)
            && !Value::is_null(v)
        {
            *v = json!(MASK);
        }
    }
    // A value concealed inside a JSON field: a flow's webhook signature secret.
    if collection.name == "directus_flows" {
        crate::flows::ingress::conceal::flow(item);
    }
}

/// What a concealed value reads as.
pub const MASK: &str = "**********";

/// The 403 Directus gives for a missing collection (same for admins).
pub fn unknown_collection(name: &str) -> ApiError {
    ApiError::forbidden_reason(format!(
        "You don't have permission to access collection \"{name}\" or it does not exist. \
         Queried in root."
    ))
}

impl<'a, C: Conn> Items<'a, C> {
    pub fn new(conn: &'a C, ctx: &'a ItemsContext, collection: &str) -> Result<Self> {
        let coll = ctx
            .schema
            .collection(collection)
            .cloned()
            .ok_or_else(|| unknown_collection(collection))?;
        Ok(Items {
            postgres: crate::db::is_postgres(conn),
            conn,
            ctx,
            collection: coll,
        })
    }

    fn acc(&self) -> &Accountability {
        &self.ctx.acc
    }

    /// Dynamic variables for this caller, fetching user/role fields only when `needs` asks.
    /// Concealed user fields read as the mask, as through `/users` (a filter comparing a
    /// column with `$CURRENT_USER.token` must not be an oracle for the token).
    async fn dynamic(&self, needs: (bool, bool)) -> Result<DynamicContext> {
        let acc = self.acc();
        let mut ctx = permissions::dynamic_context(acc);
        if needs.0
            && let Some(user) = acc.user
            && let Some(u) = entity::prelude::DirectusUsers::find_by_id(user)
                .one(self.conn)
                .await?
        {
            ctx.user_fields = match serde_json::to_value(u) {
                Ok(Value::Object(mut fields)) => {
                    match self.ctx.schema.collection("directus_users") {
                        Some(users) => mask_concealed(users, &mut fields),
                        None => {
                            for name in ["password", "token", "tfa_secret"] {
                                if let Some(v) = fields.get_mut(name).filter(|v| !Value::is_null(v))
                                {
                                    *v = json!(MASK);
                                }
                            }
                        }
                    }
                    Some(fields)
                }
                _ => None,
            };
        }
        if needs.1
            && let Some(role) = acc.role
            && let Some(r) = entity::prelude::DirectusRoles::find_by_id(role)
                .one(self.conn)
                .await?
        {
            ctx.role_fields = serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_object().cloned());
        }
        Ok(ctx)
    }

    /// The caller's grant for an action, with dynamic variables resolved. `wide`: the query
    /// reaches related collections, whose permission rules may need the user's fields too.
    async fn grant(
        &self,
        action: Action,
        extra: Option<&Value>,
        wide: bool,
    ) -> Result<(Grant, DynamicContext)> {
        let acc = self.acc();
        let mut needs = extra.map(filter::needs_fetch).unwrap_or((false, false));
        if !acc.admin {
            let own =
                self.ctx
                    .access
                    .permissions(&acc.policies, &self.collection.name, action.as_str());
            let rows: Box<dyn Iterator<Item = _>> = if wide {
                Box::new(self.ctx.access.all_permissions(&acc.policies))
            } else {
                Box::new(own)
            };
            for row in rows {
                for v in [&row.permissions, &row.validation, &row.presets]
                    .into_iter()
                    .flatten()
                {
                    let n = filter::needs_fetch(v);
                    needs = (needs.0 || n.0, needs.1 || n.1);
                }
            }
        }
        let dynamic = self.dynamic(needs).await?;
        let grant = permissions::grant(
            &self.ctx.access,
            acc,
            &self.collection.name,
            action,
            &dynamic,
        )?;
        Ok((grant, dynamic))
    }

    fn field_error(&self, name: &str) -> ApiError {
        filter::field_forbidden(name, &self.collection.name, "")
    }

    /// The user filter (+ search) as SQL, fields checked against the grant; relational rules
    /// see the related collections through the caller's permissions there.
    fn query_condition(
        &self,
        q: &Query,
        grant: &Grant,
        dynamic: &DynamicContext,
        path: &str,
    ) -> Result<Condition> {
        let allowed = |f: &str| grant.field_allowed(f);
        let guards = grant.partial_fields(&self.collection, &self.ctx.schema, self.postgres)?;
        let scope = self.read_scope(dynamic);
        let target = SqlTarget {
            collection: &self.collection,
            postgres: self.postgres,
            allowed: &allowed,
            guards: &guards,
            relations: Some(&scope),
            path,
        };
        let mut cond = Condition::all();
        if let Some(f) = &q.filter {
            let mut f = f.clone();
            filter::resolve_dynamic(&mut f, dynamic);
            let parsed = filter::parse(&f)?;
            cond = cond.add(filter::to_condition(&parsed, &target)?);
        }
        if let Some(term) = &q.search {
            cond = cond.add(select::search_condition(&target, term));
        }
        Ok(cond)
    }

    /// The sort keys (default: the primary key), relational paths included.
    fn sort(
        &self,
        q: &Query,
        grant: &Grant,
        dynamic: &DynamicContext,
        path: &str,
    ) -> Result<Vec<SortKey>> {
        let Some(sort) = &q.sort else {
            return Ok(vec![SortKey {
                name: self.collection.primary.clone(),
                desc: false,
                only_when: None,
                related: None,
            }]);
        };
        sort.iter()
            .map(|s| self.sort_key(s, grant, dynamic, path))
            .collect()
    }

    /// `(limit, offset)` from the query and the configured defaults.
    fn paging(&self, q: &Query) -> (Option<u64>, Option<u64>) {
        let config = &self.ctx.config;
        let limit = match q.limit {
            Some(-1) => config.query_limit_max,
            Some(n) => Some(Ord::min(
                u64::try_from(n).unwrap_or(0),
                config.query_limit_max.unwrap_or(u64::MAX),
            )),
            None => Some(config.query_limit_default),
        };
        let offset = match (q.page, limit) {
            (Some(p), Some(l)) if p > 0 => Some(l.saturating_mul(p - 1)),
            _ => q.offset,
        };
        // The databases take signed 64-bit limits: a page far beyond the end reads nothing
        // rather than failing to bind.
        let bound = |n: u64| Ord::min(n, i64::MAX as u64);
        (limit.map(bound), offset.map(bound).filter(|o| *o > 0))
    }

    /// Replaces concealed values with Directus's mask.
    fn conceal(&self, item: &mut Map<String, Value>) {
        mask_concealed(&self.collection, item);
    }

    /// Reads by query (directus.md §6.2), with meta and aggregates.
    pub async fn read_by_query(&self, q: &Query) -> Result<ReadOutput> {
        let wide = read::reaches_relations(q, &self.collection);
        let (grant, dynamic) = self.grant(Action::Read, q.filter.as_ref(), wide).await?;
        let base = grant.condition(&self.collection, &self.ctx.schema, self.postgres)?;
        let cond = Condition::all()
            .add(base.clone())
            .add(self.query_condition(q, &grant, &dynamic, "")?);
        let (limit, offset) = self.paging(q);
        let data = if q.aggregate.is_empty() {
            let tree = self.tree(q)?;
            let plan = self.plan(&tree, &grant, "")?;
            let spec = SelectSpec {
                collection: &self.collection,
                columns: plan.columns.clone(),
                condition: cond.clone(),
                sort: self.sort(q, &grant, &dynamic, "")?,
                limit,
                offset,
                per_group: None,
            };
            let mut rows = select::fetch(self.conn, &spec).await?;
            rows.iter_mut().for_each(|r| self.conceal(r));
            self.expand(&mut rows, &plan, q.deep.as_ref(), "").await?;
            rows.into_iter().map(Value::Object).collect()
        } else {
            self.aggregate(q, &grant, &dynamic, cond.clone(), limit, offset)
                .await?
        };
        let meta = if q.meta.is_empty() {
            None
        } else {
            let mut m = Map::new();
            if q.wants_meta("total_count") {
                m.insert(
                    "total_count".into(),
                    json!(select::count(self.conn, &self.collection, base).await?),
                );
            }
            if q.wants_meta("filter_count") {
                m.insert(
                    "filter_count".into(),
                    json!(select::count(self.conn, &self.collection, cond).await?),
                );
            }
            Some(Value::Object(m))
        };
        Ok(ReadOutput { data, meta })
    }

    /// The `fields` tree of a query.
    fn tree(&self, q: &Query) -> Result<FieldTree> {
        FieldTree::parse(q.fields.as_deref(), self.ctx.config.max_relational_depth)
    }

    async fn aggregate(
        &self,
        q: &Query,
        grant: &Grant,
        dynamic: &DynamicContext,
        cond: Condition,
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> Result<Vec<Value>> {
        let mut aggregates = Vec::new();
        for (func, name) in &q.aggregate {
            if name == "*" {
                if !matches!(func, AggFunc::Count | AggFunc::CountAll) {
                    return Err(ApiError::invalid_query(format!(
                        "\"{}\" needs a field, not \"*\"",
                        func.as_str()
                    )));
                }
                aggregates.push((*func, None));
                continue;
            }
            let f = self
                .collection
                .field(name)
                .filter(|_| grant.field_allowed(name))
                .ok_or_else(|| self.field_error(name))?;
            // Counting set values says no more than `_nnull`; every other function would
            // answer the values themselves (`min`, `max`) or facts about them.
            if f.concealed() && *func != AggFunc::Count {
                return Err(ApiError::invalid_query(format!(
                    "\"{}\" can't be used on the concealed field \"{name}\"",
                    func.as_str()
                )));
            }
            if matches!(
                func,
                AggFunc::Sum | AggFunc::SumDistinct | AggFunc::Avg | AggFunc::AvgDistinct
            ) && !f.kind.is_numeric()
            {
                return Err(ApiError::invalid_query(format!(
                    "\"{}\" can only be used on numeric fields",
                    func.as_str()
                )));
            }
            aggregates.push((
                *func,
                Some(AggField {
                    field: f,
                    only_when: grant.field_condition(
                        name,
                        &self.collection,
                        &self.ctx.schema,
                        self.postgres,
                    )?,
                }),
            ));
        }
        let mut group_by = Vec::new();
        for g in &q.group_by {
            let f = self
                .collection
                .field(g)
                .filter(|_| grant.field_allowed(g))
                .ok_or_else(|| self.field_error(g))?;
            if f.concealed() {
                return Err(concealed_use("group by", g));
            }
            group_by.push(AggField {
                field: f,
                only_when: grant.field_condition(
                    g,
                    &self.collection,
                    &self.ctx.schema,
                    self.postgres,
                )?,
            });
        }
        let sort = match &q.sort {
            Some(_) => self.sort(q, grant, dynamic, "")?,
            None => Vec::new(),
        };
        let spec = AggregateSpec {
            collection: &self.collection,
            aggregates,
            group_by,
            condition: cond,
            sort,
            limit: if q.group_by.is_empty() { None } else { limit },
            offset: if q.group_by.is_empty() { None } else { offset },
        };
        select::aggregate(self.conn, &spec).await
    }

    /// A key from a path segment or JSON, typed by the primary key; `None` when it cannot be a
    /// key of this collection (answered as FORBIDDEN by callers).
    pub fn parse_key(&self, raw: &Value) -> Option<Value> {
        let pk = self.collection.primary_field()?;
        match raw {
            Value::String(s) => values::key_from_text(pk, s),
            Value::Number(n) if pk.kind.is_integer() => n.as_i64().map(|i| json!(i)),
            _ => None,
        }
    }

    fn pk_condition(&self, keys: &[Value]) -> Result<Condition> {
        let pk = self
            .collection
            .primary_field()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("collection without primary key")))?;
        let mut vals = Vec::with_capacity(keys.len());
        for k in keys {
            vals.push(to_sql(pk, k).map_err(|_| ApiError::forbidden())?);
        }
        let col = Expr::col((
            Alias::new(self.collection.name.as_str()),
            Alias::new(pk.name.as_str()),
        ));
        Ok(Condition::all().add(col.is_in(vals)))
    }

    /// Reads one item; missing or forbidden → FORBIDDEN (existence is not revealed).
    pub async fn read_one(&self, key: &Value, q: &Query) -> Result<Value> {
        let key = self.parse_key(key).ok_or_else(ApiError::forbidden)?;
        let mut rows = self.read_keys(std::slice::from_ref(&key), q).await?;
        rows.pop().ok_or_else(ApiError::forbidden)
    }

    /// Reads several items (missing ones silently absent), in key order.
    pub async fn read_many(&self, keys: &[Value], q: &Query) -> Result<Vec<Value>> {
        let keys: Vec<Value> = keys.iter().filter_map(|k| self.parse_key(k)).collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.read_keys(&keys, q).await
    }

    async fn read_keys(&self, keys: &[Value], q: &Query) -> Result<Vec<Value>> {
        let wide = read::reaches_relations(q, &self.collection);
        let (grant, dynamic) = self.grant(Action::Read, q.filter.as_ref(), wide).await?;
        let cond = Condition::all()
            .add(grant.condition(&self.collection, &self.ctx.schema, self.postgres)?)
            .add(self.query_condition(q, &grant, &dynamic, "")?)
            .add(self.pk_condition(keys)?);
        let tree = self.tree(q)?;
        let plan = self.plan(&tree, &grant, "")?;
        let spec = SelectSpec {
            collection: &self.collection,
            columns: plan.columns.clone(),
            condition: cond,
            sort: self.sort(q, &grant, &dynamic, "")?,
            limit: None,
            offset: None,
            per_group: None,
        };
        let mut rows = select::fetch(self.conn, &spec).await?;
        rows.iter_mut().for_each(|r| self.conceal(r));
        // Stitched before reordering: the helper key columns go once relations are followed.
        let pk = &self.collection.primary;
        let order: Vec<Value> = rows
            .iter()
            .map(|r| r.get(pk).cloned().unwrap_or(Value::Null))
            .collect();
        self.expand(&mut rows, &plan, q.deep.as_ref(), "").await?;
        let mut rows: Vec<(Value, Map<String, Value>)> = order.into_iter().zip(rows).collect();
        let mut out: Vec<Value> = Vec::with_capacity(rows.len());
        for k in keys {
            if let Some(pos) = rows.iter().position(|(key, _)| key == k) {
                out.push(Value::Object(rows.swap_remove(pos).1));
            }
        }
        out.extend(rows.into_iter().map(|(_, r)| Value::Object(r)));
        Ok(out)
    }

    /// Primary keys matching a query, read without permissions (Directus's by-query updates and
    /// deletes check permissions on the keys afterwards), honouring the default limit.
    pub async fn keys_by_query(&self, q: &Query) -> Result<Vec<Value>> {
        let full = Grant::Full;
        let dynamic = self
            .dynamic(
                q.filter
                    .as_ref()
                    .map(filter::needs_fetch)
                    .unwrap_or_default(),
            )
            .await?;
        let (limit, offset) = self.paging(q);
        let pk = self
            .collection
            .primary_field()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("collection without primary key")))?;
        let spec = SelectSpec {
            collection: &self.collection,
            columns: vec![Selected {
                name: pk.name.clone(),
                kind: pk.kind,
                only_when: None,
            }],
            condition: self.query_condition(q, &full, &dynamic, "")?,
            sort: self.sort(q, &full, &dynamic, "")?,
            limit,
            offset,
            per_group: None,
        };
        let rows = select::fetch(self.conn, &spec).await?;
        Ok(rows
            .into_iter()
            .filter_map(|mut r| r.remove(&pk.name))
            .collect())
    }
}

/// Convenience: a context for a request or flow step.
pub fn context(
    schema: Arc<Schema>,
    access: Arc<AccessSnapshot>,
    acc: Arc<Accountability>,
    config: Arc<Config>,
) -> ItemsContext {
    ItemsContext {
        schema,
        access,
        acc,
        config,
        gate: crate::db::WriteGate::none(),
        batcher: None,
        events: None,
        event_depth: 0,
        record: None,
    }
}

/// Type alias for the common case.
pub type DbItems<'a> = Items<'a, DatabaseConnection>;
