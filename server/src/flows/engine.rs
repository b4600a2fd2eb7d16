//! The flow engine: the operation types, and the active flows compiled in memory — recompiled
//! whenever a flow or operation changes, here or on another instance — with the index of event
//! flows by event name. Runs themselves are `run`'s; the engine is what they look flows up in.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use arc_swap::ArcSwap;
use async_trait::async_trait;
use entity::prelude::{DirectusFlows, DirectusOperations};
use entity::{directus_flows, directus_operations};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::model::FlowDef;
use super::operations::Registry;
use crate::core::{Cache, Core, Follower};

/// Event name → (filter flows, action flows).
type EventIndex = HashMap<String, (Vec<Arc<FlowDef>>, Vec<Arc<FlowDef>>)>;

struct Inner {
    core: Core,
    /// Operation types; swapped whole when embedding code registers one.
    registry: ArcSwap<Registry>,
    flows: ArcSwap<HashMap<Uuid, Arc<FlowDef>>>,
    /// Saved flows that are not active (a call to one is logged as refused, `inactive`).
    inactive: ArcSwap<HashSet<Uuid>>,
    /// Event name → (filter flows, action flows), rebuilt with the flows.
    events: ArcSwap<EventIndex>,
    /// How many times the flows were read and compiled (each write should cost one).
    reloads: AtomicU64,
}

/// The engine handle (cheap to clone).
#[derive(Clone)]
pub struct FlowEngine(Arc<Inner>);

/// The engine, held without keeping it alive (by what the core holds: its followers and its
/// event sink).
#[derive(Clone)]
pub struct WeakEngine(Weak<Inner>);

impl WeakEngine {
    pub fn upgrade(&self) -> Option<FlowEngine> {
        self.0.upgrade().map(FlowEngine)
    }
}

/// Recompiles the flows when another instance, or a write here, changed them. Holds the
/// engine weakly: the core outlives nothing it follows.
struct Recompile(WeakEngine);

#[async_trait]
impl Follower for Recompile {
    async fn reloaded(&self, cache: Cache) -> bool {
        if cache != Cache::Flows {
            return true;
        }
        if let Some(engine) = self.0.upgrade()
            && let Err(e) = engine.reload().await
        {
            tracing::error!(error = %e, "flow reload failed");
            return false;
        }
        true
    }
}

impl FlowEngine {
    /// The engine on `core`: it recompiles whenever flows change. Flows are loaded by the first
    /// [`FlowEngine::reload`]; `flows::start` also makes it the core's event sink.
    pub fn new(core: Core) -> FlowEngine {
        let engine = FlowEngine(Arc::new(Inner {
            core: core.clone(),
            registry: ArcSwap::from_pointee(Registry::builtin()),
            flows: ArcSwap::from_pointee(HashMap::new()),
            inactive: ArcSwap::from_pointee(HashSet::new()),
            events: ArcSwap::from_pointee(HashMap::new()),
            reloads: AtomicU64::new(0),
        }));
        core.follow(Arc::new(Recompile(engine.downgrade())));
        engine
    }

    pub fn core(&self) -> &Core {
        &self.0.core
    }

    /// A handle that does not keep the engine alive.
    pub fn downgrade(&self) -> WeakEngine {
        WeakEngine(Arc::downgrade(&self.0))
    }

    /// How many times the flows were read and compiled since start.
    pub fn reloads(&self) -> u64 {
        self.0.reloads.load(Ordering::Relaxed)
    }

    /// The operation types flows may use.
    pub fn registry(&self) -> Arc<Registry> {
        self.0.registry.load_full()
    }

    /// Adds (or replaces) an operation type, as a Directus operation extension does: for code
    /// embedding the server. Flows saved afterwards may use it; stored flows pick it up at
    /// their next reload.
    pub fn register_operation(&self, id: &'static str, op: Arc<dyn super::operations::Operation>) {
        self.0.registry.rcu(|current| {
            let mut next = Registry::clone(current);
            next.insert(id, op.clone());
            next
        });
    }

    /// An active flow by id.
    pub fn get(&self, id: Uuid) -> Option<Arc<FlowDef>> {
        self.0.flows.load().get(&id).cloned()
    }

    /// Whether a flow is saved but not active.
    pub fn is_inactive(&self, id: Uuid) -> bool {
        self.0.inactive.load().contains(&id)
    }

    /// Every active flow.
    pub fn all(&self) -> Vec<Arc<FlowDef>> {
        self.0.flows.load().values().cloned().collect()
    }

    /// Reads all active flows and their operations and swaps the compiled set in.
    pub async fn reload(&self) -> Result<(), DbErr> {
        let db = &self.0.core.db;
        self.0.reloads.fetch_add(1, Ordering::Relaxed);
        let flows = DirectusFlows::find()
            .filter(directus_flows::Column::Status.eq("active"))
            .all(db)
            .await?;
        let inactive: HashSet<Uuid> = DirectusFlows::find()
            .select_only()
            .column(directus_flows::Column::Id)
            .filter(directus_flows::Column::Status.ne("active"))
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let ops = DirectusOperations::find()
            .order_by_asc(directus_operations::Column::DateCreated)
            .all(db)
            .await?;
        let mut by_flow: HashMap<Uuid, Vec<directus_operations::Model>> = HashMap::new();
        for op in ops {
            by_flow.entry(op.flow).or_default().push(op);
        }
        let registry = self.0.registry.load();
        let compiled: HashMap<Uuid, Arc<FlowDef>> = flows
            .iter()
            .map(|f| {
                let ops = by_flow.get(&f.id).map(Vec::as_slice).unwrap_or(&[]);
                (f.id, Arc::new(FlowDef::compile(f, ops, &registry)))
            })
            .collect();
        let mut events: EventIndex = HashMap::new();
        let mut sorted: Vec<&Arc<FlowDef>> = compiled.values().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        for flow in sorted {
            if let Some(spec) = &flow.events {
                for name in &spec.names {
                    let entry = events.entry(name.clone()).or_default();
                    if spec.filter {
                        entry.0.push(flow.clone());
                    } else {
                        entry.1.push(flow.clone());
                    }
                }
            }
        }
        self.0.events.store(Arc::new(events));
        self.0.flows.store(Arc::new(compiled));
        self.0.inactive.store(Arc::new(inactive));
        Ok(())
    }

    /// Whether filter / action flows listen to an event.
    pub fn listeners(&self, event: &str) -> (bool, bool) {
        self.0
            .events
            .load()
            .get(event)
            .map_or((false, false), |(f, a)| (!f.is_empty(), !a.is_empty()))
    }

    /// Whether any event flow exists (writes skip event work otherwise).
    pub fn has_event_flows(&self) -> bool {
        !self.0.events.load().is_empty()
    }

    /// The filter (or action) flows of an event, in name order.
    pub fn event_flows(&self, event: &str, filter: bool) -> Vec<Arc<FlowDef>> {
        self.0
            .events
            .load()
            .get(event)
            .map(|(f, a)| if filter { f.clone() } else { a.clone() })
            .unwrap_or_default()
    }

    /// Waits until every run log queued so far is written.
    pub async fn flush_logs(&self) {
        self.0.core.logger.flush().await;
    }
}
