//! `Core`: the narrow handle that the flow engine, its operations, sessions and the background
//! tasks receive instead of the whole application — the database and its write gate, the
//! configuration, the access and schema pictures, group commit, the run-log writer, background
//! tasks and shutdown, the item-event sink, what outgoing requests and scripts share, and
//! `invalidate`, the one call that follows a write to a system collection. The HTTP layer
//! (`state::AppState`) holds a `Core` and adds only what requests need.

use std::future::Future;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::{AccessStore, Accountability};
use crate::config::Config;
use crate::db::WriteGate;
use crate::flows::chain::cast_env;
use crate::flows::log::RunLogger;
use crate::flows::net::{DenyList, client};
use crate::flows::queue::Queue;
use crate::flows::redact::Redactor;
use crate::items::events::EventSink;
use crate::items::{Batcher, ItemsContext};
use crate::schema::SchemaStore;
use crate::sync::Versions;
pub use crate::sync::{Cache, caches_for};

/// Something kept in step with a picture: reloaded (the compiled flows) or emptied (token and
/// answer caches) whenever it changes, here or on another instance.
#[async_trait]
pub trait Follower: Send + Sync {
    /// Whether it is in step again (a failed reload is tried again at the next poll).
    async fn reloaded(&self, cache: Cache) -> bool;
}

/// How long runs cut short at the end of the shutdown's grace get to stop at their step.
const HALT_WAIT: Duration = Duration::from_secs(2);

/// The shared handle (one `Arc`: clones are cheap).
#[derive(Clone)]
pub struct Core(Arc<CoreInner>);

/// What `Core` holds.
pub struct CoreInner {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub access: AccessStore,
    pub schema: SchemaStore,
    /// One writer at a time on SQLite (none on PostgreSQL).
    pub gate: WriteGate,
    /// Group commit for item creates (SQLite).
    pub batcher: Option<Batcher>,
    /// Cancelled when the server begins a graceful shutdown: nothing new is claimed or started.
    pub shutdown: CancellationToken,
    /// Cancelled when the shutdown's grace for flow runs (`FLOWS_SHUTDOWN_TIMEOUT`) has
    /// passed: waits (`sleep`) end, and a queued run stops before its next step, to be handed
    /// back to the queue.
    pub halt: CancellationToken,
    /// One reload at a time per picture (indexed by `Cache`).
    reloading: [tokio::sync::Mutex<()>; 3],
    /// Run logs, written in batches off the request path.
    pub logger: RunLogger,
    /// Background runs and sends, waited for at shutdown.
    pub tasks: TaskTracker,
    /// `$env` (the allow-listed variables, cast as Directus casts them).
    pub env: Arc<Value>,
    pub redactor: Arc<Redactor>,
    /// The client of `request` operations (deny list applied to every address it connects to).
    pub http: reqwest::Client,
    pub deny: Arc<DenyList>,
    /// Turns for `exec` sandboxes (`FLOWS_RUN_SCRIPT_CONCURRENCY`).
    scripts: Arc<Semaphore>,
    /// The durable run queue (async webhook, event action and schedule runs, replays,
    /// retries), bounded by `FLOWS_QUEUE_MAX`.
    pub queue: Queue,
    /// Versions of the pictures, shared with other instances.
    pub versions: Versions,
    events: OnceLock<Arc<dyn EventSink>>,
    followers: RwLock<Vec<Arc<dyn Follower>>>,
}

impl std::ops::Deref for Core {
    type Target = CoreInner;

    fn deref(&self) -> &CoreInner {
        &self.0
    }
}

impl Core {
    /// A core on a prepared (migrated, bootstrapped) database whose pictures are loaded.
    pub fn new(config: Arc<Config>, db: DatabaseConnection) -> Core {
        let gate = WriteGate::for_backend(&db);
        let env: Map<String, Value> = config
            .flows_env
            .iter()
            .map(|(k, v)| (k.clone(), cast_env(v)))
            .collect();
        let redactor = Arc::new(Redactor::new(&config.flows_env));
        let deny = Arc::new(DenyList::new(&config.import_ip_deny_list));
        let batcher =
            (!crate::db::is_postgres(&db)).then(|| Batcher::start(db.clone(), gate.clone()));
        Core(Arc::new(CoreInner {
            logger: RunLogger::start(db.clone(), gate.clone(), redactor.clone()),
            http: client(deny.clone(), config.flows_request_timeout),
            scripts: Arc::new(Semaphore::new(config.flows_run_script_concurrency.max(1))),
            queue: Queue::new(db.clone(), gate.clone(), config.flows_queue_max),
            env: Arc::new(Value::Object(env)),
            access: AccessStore::default(),
            schema: SchemaStore::default(),
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            halt: CancellationToken::new(),
            reloading: Default::default(),
            versions: Versions::default(),
            events: OnceLock::new(),
            followers: RwLock::new(Vec::new()),
            redactor,
            deny,
            batcher,
            gate,
            config,
            db,
        }))
    }

    /// Loads the access and schema pictures from the database (the versions of every
    /// picture first, so a change made meanwhile by another instance is not missed).
    pub async fn load(&self) -> Result<(), sea_orm::DbErr> {
        if let Err(e) = self.versions.snapshot(&self.db).await {
            tracing::warn!(error = %e, "could not read the pictures' versions; each is reloaded at the first poll");
        }
        self.access.reload(&self.db).await?;
        self.schema.reload(&self.db).await
    }

    /// Where item events go (set once, by the flow engine).
    pub fn set_events(&self, sink: Arc<dyn EventSink>) {
        let _ = self.0.events.set(sink);
    }

    /// The item-event sink, when something listens at all.
    pub fn events(&self) -> Option<&Arc<dyn EventSink>> {
        self.0.events.get().filter(|s| s.any())
    }

    /// Announces a non-item event (`auth.login`, `server.start`) to action flows.
    pub fn announce(&self, event: &str, meta: Map<String, Value>, acc: Arc<Accountability>) {
        if let Some(sink) = self.events() {
            sink.action(event, meta, &acc, 0);
        }
    }

    /// Keeps `follower` in step with the pictures.
    pub fn follow(&self, follower: Arc<dyn Follower>) {
        self.0
            .followers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(follower);
    }

    /// The items-service context for one caller.
    pub fn items_ctx(&self, acc: Arc<Accountability>) -> ItemsContext {
        ItemsContext {
            schema: self.schema.get(),
            access: self.access.get(),
            acc,
            config: self.config.clone(),
            gate: self.gate.clone(),
            batcher: self.batcher.clone(),
            events: self.events().cloned(),
            event_depth: 0,
            record: None,
        }
    }

    /// After a write to `collection`: refreshes what it made stale here. Other instances
    /// sharing the database learn of it from the version the write's own transaction stored
    /// (a database trigger), so a write that committed is announced even if this process
    /// dies now.
    pub async fn invalidate(&self, collection: &str) {
        let caches = caches_for(collection);
        if caches.is_empty() {
            return;
        }
        // On a task of its own: the write has committed, so a caller that goes away (a client
        // disconnecting drops its handler) must not leave the pictures stale.
        let core = self.clone();
        let done = self.tasks.spawn(async move {
            for cache in caches {
                core.refresh(*cache).await;
            }
        });
        if let Err(e) = done.await {
            tracing::error!(error = %e, "cache invalidation task failed");
        }
    }

    /// Brings one picture up to the version stored now: reloads it unless that version was
    /// already reloaded here (this instance's poll, woken by the write's own notification,
    /// may have been first), and records the version once the reload succeeded. One refresh
    /// per picture at a time, so the last to end read the newest rows; the version is read
    /// before the rows, so a change committed meanwhile is reloaded once more, never missed.
    pub async fn refresh(&self, cache: Cache) {
        let _one = self.0.reloading[cache as usize].lock().await;
        let stored = match self.versions.stored(&self.db, cache).await {
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(error = %e, ?cache, "could not read a picture's version");
                None
            }
        };
        if let Some(v) = &stored
            && self.versions.has_seen(cache, v)
        {
            return;
        }
        if self.reload(cache).await
            && let Some(v) = stored
        {
            self.versions.saw(cache, v);
        }
    }

    /// Reloads one picture from the database and tells its followers; false when any part
    /// failed. Callers hold the picture's reload lock ([`Core::refresh`]).
    async fn reload(&self, cache: Cache) -> bool {
        let result = match cache {
            Cache::Access => self.access.reload(&self.db).await,
            Cache::Schema => self.schema.reload(&self.db).await,
            Cache::Flows => Ok(()),
        };
        let mut ok = true;
        if let Err(e) = result {
            tracing::error!(error = %e, ?cache, "cache reload failed");
            ok = false;
        }
        let followers: Vec<Arc<dyn Follower>> = self
            .0
            .followers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for f in followers {
            ok &= f.reloaded(cache).await;
        }
        ok
    }

    /// Reloads what other instances sharing the database change, until shutdown.
    pub fn follow_other_instances(&self) {
        let core = self.clone();
        crate::sync::spawn_poller(
            self.db.clone(),
            self.versions.clone(),
            self.shutdown.clone(),
            move |cache| {
                let core = core.clone();
                async move {
                    tracing::debug!(?cache, "reloading after a change on another instance");
                    core.refresh(cache).await;
                }
            },
        );
    }

    /// Runs a future in the background, tracked so shutdown can wait for it.
    pub fn spawn<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(fut);
    }

    /// Waits up to `wait` for a turn to run an `exec` sandbox; `None` when none came.
    pub async fn script_turn(&self, wait: Duration) -> Option<OwnedSemaphorePermit> {
        tokio::time::timeout(wait, self.0.scripts.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// Waits for background work (up to `grace`), flushes pending run logs, and hands the
    /// queued runs still executing back to the queue for the next start.
    pub async fn close(&self, grace: Duration) {
        self.shutdown.cancel();
        self.tasks.close();
        if tokio::time::timeout(grace, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "flow runs still going when the shutdown's grace ended: handing them back to the queue"
            );
            // Cut short, queued runs stop at their step and are left to the queue's release.
            self.halt.cancel();
            let _ = tokio::time::timeout(HALT_WAIT, self.tasks.wait()).await;
        }
        self.logger.close().await;
        crate::flows::queue::release(&self.queue, &self.db, &self.gate).await;
    }

    /// A core on a fresh in-memory SQLite database (migrated, with the admin, its role and
    /// the public policy), for unit tests of operations and the engine without a server.
    #[cfg(test)]
    pub async fn for_tests() -> Core {
        Core::for_tests_with(|_| {}).await
    }

    /// [`Core::for_tests`] with the configuration adjusted first.
    #[cfg(test)]
    pub async fn for_tests_with(tweak: impl FnOnce(&mut Config)) -> Core {
        let mut config = Config::for_tests();
        tweak(&mut config);
        let db = match crate::db::connect(&config).await {
            Ok(db) => db,
            Err(e) => panic!("test database: {e}"),
        };
        if let Err(e) = crate::db::prepare(&db, &config).await {
            panic!("test database: {e}");
        }
        let core = Core::new(Arc::new(config), db);
        if let Err(e) = core.load().await {
            panic!("test pictures: {e}");
        }
        core
    }
}
