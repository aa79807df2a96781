//! The HTTP inference server (`leadcast serve`): axum on tokio.
//!
//! Handlers only translate JSON to library calls and back — the CLI and the API share every
//! number. One layer (`guard.rs`) fronts every route: request ID, structured log, latency
//! metrics, and for `/v1` the announced body size (413), a global concurrency limit that sheds
//! load with 429 instead of queueing, and a per-request timeout (503); axum's body limit
//! catches chunked bodies as they stream. Errors share one JSON
//! shape (`error.rs`); keys and roles are checked in each handler (`auth.rs`); the models sit
//! behind an `ArcSwap` so a reload never blocks or fails a request (`models.rs`).

mod analytics;
pub mod auth;
pub mod config;
pub mod dashboard;
mod dashboard_sections;
mod drift;
pub mod error;
mod forecast;
mod guard;
pub mod models;
mod openapi;
mod scoring;
pub mod state;
pub mod store;
mod svg;
pub mod talktrack;
mod typed;

use self::auth::{Keys, Role};
use self::error::{ApiError, ErrorBody};
use self::models::{KindStatus, Models};
use self::state::{AppState, Inner, Sample};
use self::store::Store;
use crate::registry::Registry;
use crate::{Error, Result};
use arc_swap::ArcSwap;
use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use tokio::sync::mpsc;
use utoipa::OpenApi;

pub use self::config::{Config, Flags};
use self::openapi::Contract;

#[derive(OpenApi)]
#[openapi(
    info(title = "leadcast", description = "Lead scoring, talk-track recommendation and revenue/quota forecasting for sales teams. Every protected call carries `Authorization: Bearer <api key>`; roles: scorer, planner, admin (admin may do everything)."),
    paths(
        scoring::score_leads,
        scoring::score_opportunities,
        list_models,
        reload,
        healthz,
        readyz,
        metrics_route,
        dashboard::dashboard,
        dashboard::rep,
        talktrack::recommend,
        talktrack::feedback,
        forecast::revenue,
        forecast::revenue_what_if,
        forecast::quota,
        forecast::plan,
        analytics::funnel,
        analytics::channels,
        analytics::teams,
        analytics::scorecard,
        analytics::tiers,
        analytics::collections,
    ),
    components(schemas(ErrorBody, KindStatus, ModelsList, ModelInfo, Reloaded)),
    modifiers(&Security, &Contract),
    tags(
        (name = "scoring", description = "Lead and opportunity scores"),
        (name = "talk tracks", description = "Next-best talk track (话术) and outcome feedback"),
        (name = "forecasts", description = "Revenue and quota forecasts, quota plans (目标分解)"),
        (name = "analytics", description = "Funnel, channels, teams, scorecard, tiers, collections"),
        (name = "dashboard", description = "The dashboard's data (the page itself is GET /)"),
        (name = "ops", description = "Models, health, metrics")
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("API key").build()),
        );
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ModelInfo {
    pub kind: String,
    pub version: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ModelsList {
    pub models: Vec<ModelInfo>,
    /// The model directory's `CURRENT` versions not (yet) served: reload to load them.
    pub pending: Vec<ModelInfo>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reloaded {
    pub kinds: Vec<KindStatus>,
}

/// The versions served.
#[utoipa::path(get, path = "/v1/models", tag = "ops",
    responses((status = 200, body = ModelsList), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
async fn list_models(State(st): State<AppState>, headers: HeaderMap) -> Result<Json<ModelsList>, ApiError> {
    if st.keys.check(&headers, Role::Scorer).is_err() && st.keys.check(&headers, Role::Planner).is_err() {
        st.keys.check(&headers, Role::Scorer)?;
    }
    let served = st.models.load().versions();
    let mut pending = Vec::new();
    for kind in crate::registry::KINDS {
        if let Ok(Some(v)) = st.registry.current(kind)
            && !served.iter().any(|(k, sv)| *k == kind && *sv == v)
            && served.iter().any(|(k, _)| *k == kind)
        {
            pending.push(ModelInfo { kind: kind.into(), version: v });
        }
    }
    let models = served.into_iter().map(|(k, v)| ModelInfo { kind: k.into(), version: v }).collect();
    Ok(Json(ModelsList { models, pending }))
}

/// Loads every kind's `CURRENT` version; a version that fails to load is refused and the
/// previous one keeps serving.
#[utoipa::path(post, path = "/v1/admin/reload", tag = "ops",
    responses((status = 200, body = Reloaded), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
async fn reload(State(st): State<AppState>, headers: HeaderMap) -> Result<Json<Reloaded>, ApiError> {
    st.keys.check(&headers, Role::Admin)?;
    Ok(Json(Reloaded { kinds: do_reload(&st).await }))
}

/// Reloads off the runtime's threads (model files can be large), one reload at a time.
pub async fn do_reload(st: &AppState) -> Vec<KindStatus> {
    let _guard = st.reload_lock.lock().await;
    let current = st.models.load_full();
    let registry = st.registry.clone();
    let result = tokio::task::spawn_blocking(move || current.reload(&registry)).await;
    match result {
        Ok((models, statuses)) => {
            for s in &statuses {
                match s.status.as_str() {
                    "failed" => tracing::error!(
                        kind = %s.kind, serving = ?s.version, error = ?s.error,
                        "reload refused a model version; the previous one keeps serving"
                    ),
                    "loaded" => tracing::info!(kind = %s.kind, version = ?s.version, "model loaded"),
                    _ => {}
                }
            }
            publish_versions(&models);
            st.models.store(Arc::new(models));
            dashboard::warm(st);
            statuses
        }
        Err(e) => {
            tracing::error!(error = %e, "reload task failed; models unchanged");
            Vec::new()
        }
    }
}

fn publish_versions(models: &Models) {
    for (kind, version) in models.versions() {
        metrics::gauge!("leadcast_model_info", "kind" => kind, "version" => version).set(1.0);
    }
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "Alive")))]
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: a scoring model is loaded and the database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, description = "Ready"), (status = 503, description = "Not ready", body = ErrorBody)))]
async fn readyz(State(st): State<AppState>) -> Response {
    let models = st.models.load();
    let db = st.store.ping().await;
    let ready = models.scoring.is_some() && db;
    let body = json!({
        "ready": ready,
        "database": { "backend": st.store.backend(), "ok": db },
        "models": models.versions().into_iter().map(|(k, v)| json!({"kind": k, "version": v})).collect::<Vec<_>>(),
    });
    if ready {
        Json(body).into_response()
    } else {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "no scoring model loaded or the database does not answer",
        )
        .with_details(body)
        .into_response()
    }
}

/// Prometheus metrics (text format). On the main listener it needs an admin key; with
/// `--metrics-addr` it is also served, open, on that separate listener.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
async fn metrics_route(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    st.keys.check(&headers, Role::Admin)?;
    Ok(render_metrics(&st))
}

fn render_metrics(st: &AppState) -> Response {
    let text = st.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; GET /openapi.json lists them all")
}

/// The application's routes with their layers.
pub fn router(st: AppState) -> axum::Router {
    let api = axum::Router::new()
        .route("/v1/leads/score", post(scoring::score_leads))
        .route("/v1/opportunities/score", post(scoring::score_opportunities))
        .route("/v1/models", get(list_models))
        .route("/v1/admin/reload", post(reload))
        .route("/v1/talk-tracks/recommend", post(talktrack::recommend))
        .route("/v1/talk-tracks/feedback", post(talktrack::feedback))
        .route("/v1/forecasts/revenue", get(forecast::revenue).post(forecast::revenue_what_if))
        .route("/v1/forecasts/quota", get(forecast::quota))
        .route("/v1/quotas/plan", post(forecast::plan))
        .route("/v1/analytics/funnel", get(analytics::funnel))
        .route("/v1/analytics/channels", get(analytics::channels))
        .route("/v1/analytics/teams", get(analytics::teams))
        .route("/v1/analytics/scorecard", get(analytics::scorecard))
        .route("/v1/analytics/tiers", get(analytics::tiers))
        .route("/v1/analytics/collections", get(analytics::collections))
        .route("/v1/dashboard", get(dashboard::dashboard))
        .route("/v1/dashboard/reps/{rep_id}", get(dashboard::rep));
    let docs = utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi());
    axum::Router::new()
        .merge(api)
        .route("/", get(dashboard::page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_route))
        .merge(docs)
        .fallback(not_found)
        .with_state(st)
}

/// The routes with the guard (`guard.rs`) and the body limit wrapped around them, as served.
pub fn app(st: AppState) -> guard::Guard<<DefaultBodyLimit as tower::Layer<axum::Router>>::Service> {
    use tower::Layer;
    let limit = DefaultBodyLimit::max(st.limits.max_body_bytes);
    guard::GuardLayer(st.clone()).layer(limit.layer(router(st)))
}

/// Every route's path template, for the guard's metric labels: the API's from the OpenAPI
/// document (a test checks it lists every route), and the rest.
fn templates() -> Vec<String> {
    let mut t: Vec<String> = ApiDoc::openapi().paths.paths.keys().cloned().collect();
    t.extend(["/", "/docs", "/docs/", "/docs/{*rest}", "/openapi.json"].map(String::from));
    t
}

/// Writes sampled predictions to the store and feeds the drift counts. Samples are gathered
/// for up to `LOG_FLUSH` (or `LOG_BATCH` of them) per transaction: with `synchronous=FULL` each
/// commit is an fsync, and one per sampled request cost a fifth of the scoring route's time.
async fn prediction_log(st: AppState, mut rx: mpsc::Receiver<Sample>, drift: Arc<std::sync::Mutex<drift::Drift>>) {
    const LOG_FLUSH: Duration = Duration::from_millis(500);
    const LOG_BATCH: usize = 256;
    let mut buf: Vec<Sample> = Vec::new();
    let mut open = true;
    while open {
        if rx.recv_many(&mut buf, LOG_BATCH).await == 0 {
            return;
        }
        let deadline = tokio::time::Instant::now() + LOG_FLUSH;
        while buf.len() < LOG_BATCH {
            let room = LOG_BATCH - buf.len();
            match tokio::time::timeout_at(deadline, rx.recv_many(&mut buf, room)).await {
                Ok(0) => {
                    open = false;
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let rows: Vec<_> = buf.iter().flat_map(state::log_rows).collect();
        {
            let reg = st.registry.clone();
            let mut d = drift.lock().unwrap_or_else(|p| p.into_inner());
            for s in &buf {
                d.add(&reg, s.kind, &s.model.version, &s.model.model, &s.table);
            }
        }
        if let Err(e) = st.store.insert_predictions(&rows).await {
            metrics::counter!("leadcast_prediction_log_failed_total").increment(rows.len() as u64);
            tracing::warn!(error = %e, rows = rows.len(), "prediction log write failed");
        }
        buf.clear();
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEADCAST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(|| LogSink).with_ansi(ansi);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// stderr for the logs, whose write never fails: when stderr is a closed pipe, tracing-subscriber
/// reports the failed write with `eprintln!`, which panics on the same closed stderr and takes
/// the server down. A log line that cannot be written is lost; the server goes on.
struct LogSink;

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// Runs the server until SIGTERM or Ctrl-C; in-flight requests finish first.
pub async fn run(cfg: Config) -> Result<()> {
    init_logging(cfg.log_json);
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&[0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0])
        .ok()
        .and_then(|b| b.install_recorder().ok());
    if let Some(handle) = metrics.clone() {
        spawn_metrics_upkeep(handle);
    }
    if let Some(dir) = cfg.db.strip_prefix("sqlite://").map(std::path::Path::new).and_then(|p| p.parent())
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let data = match &cfg.data {
        Some(dir) => Some(Arc::new(dashboard::DataCtx::load(dir)?)),
        None => None,
    };
    let store = Store::connect(&cfg.db).await?;
    let registry = Registry::new(&cfg.models);
    let (models, statuses) = Models::default().reload(&registry);
    for s in &statuses {
        if let Some(e) = &s.error {
            tracing::error!(kind = %s.kind, error = %e, "model not loaded");
        }
    }
    publish_versions(&models);
    let (log_tx, log_rx) = mpsc::channel(cfg.prediction_log_buffer);
    let log_every =
        if cfg.prediction_log_rate <= 0.0 { 0 } else { (1.0 / cfg.prediction_log_rate).round().max(1.0) as u64 };
    let replica = format!("{}-{}", std::process::id(), auth::to_hex(&auth::random_bytes::<4>()));
    let st = AppState(Arc::new(Inner {
        keys: Keys { keys: cfg.keys.clone() },
        models: ArcSwap::from_pointee(models),
        registry,
        limits: cfg.limits.clone(),
        store,
        replica,
        metrics,
        log_tx,
        log_every,
        log_counter: AtomicU64::new(0),
        reload_lock: tokio::sync::Mutex::new(()),
        data,
        exploration: cfg.exploration,
        dashboard_cache: Default::default(),
        guards: guard::Guards::new(&cfg.limits, templates().iter().map(String::as_str)),
        grade_counters: state::GradeCounters::new(),
    }));
    let drift = Arc::new(std::sync::Mutex::new(drift::Drift::default()));
    tokio::spawn(prediction_log(st.clone(), log_rx, drift.clone()));
    spawn_drift_gauges(drift);
    spawn_sighup(st.clone());
    spawn_feedback_refresh(st.clone(), cfg.refresh_secs);
    dashboard::warm(&st);

    let listener = tokio::net::TcpListener::bind(&cfg.addr)
        .await
        .map_err(|e| Error::InvalidArgument(format!("cannot listen on {}: {e}", cfg.addr)))?;
    let local = listener.local_addr().map_err(|e| Error::InvalidArgument(e.to_string()))?;
    if let Some(maddr) = &cfg.metrics_addr {
        let ml = tokio::net::TcpListener::bind(maddr)
            .await
            .map_err(|e| Error::InvalidArgument(format!("cannot listen on {maddr} (metrics): {e}")))?;
        let mst = st.clone();
        let app = axum::Router::new().route("/metrics", get(move || async move { render_metrics(&mst) }));
        tokio::spawn(async move { axum::serve(ml, app).await });
        tracing::info!(addr = %maddr, "metrics listener (open)");
    }
    match (&cfg.keys, &cfg.new_admin_key, &cfg.admin_key_file) {
        (None, _, _) => {
            tracing::warn!("authentication is OFF (--no-auth): anyone who can reach the port can use every endpoint")
        }
        (Some(_), Some(k), Some(f)) => {
            let _ = writeln!(
                std::io::stderr(),
                "\n  leadcast made an admin API key (shown once; saved in {}):\n\n      {k}\n\n  send it as `Authorization: Bearer <key>`\n",
                f.display()
            );
        }
        (Some(_), None, Some(f)) => tracing::info!(file = %f.display(), "using the saved admin key"),
        _ => {}
    }
    tracing::info!(addr = %local, db = st.store.backend(), models = %cfg.models.display(), "leadcast serving; docs at /docs");
    // Written, not printed: a closed stdout or stderr (`leadcast serve | head -1`, a supervisor
    // that drops the pipe) must not stop the server, as `println!` would by panicking.
    let _ = writeln!(std::io::stdout(), "listening on http://{local}");
    axum::serve(listener, axum::ServiceExt::<axum::extract::Request>::into_make_service(app(st)))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| Error::InvalidArgument(format!("server error: {e}")))?;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Folds the histograms' recorded samples into their buckets every 5 s. `install_recorder`
/// leaves this to the caller; without it every latency sample is kept until the next scrape
/// (memory growing with traffic when nobody scrapes). On its own thread, off the runtime's.
fn spawn_metrics_upkeep(handle: metrics_exporter_prometheus::PrometheusHandle) {
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(5));
            handle.run_upkeep();
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "metrics upkeep thread not started; histograms fold at each scrape");
    }
}

fn spawn_drift_gauges(drift: Arc<std::sync::Mutex<drift::Drift>>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let report = drift.lock().unwrap_or_else(|p| p.into_inner()).report();
            for (kind, feature, psi) in report {
                metrics::gauge!("leadcast_input_psi", "kind" => kind, "feature" => feature).set(psi);
            }
        }
    });
}

/// Applies talk-track feedback stored by any replica (this one's own rows are already applied)
/// every `secs`; also the first replay after start or reload.
fn spawn_feedback_refresh(st: AppState, secs: f64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs_f64(secs));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match talktrack::refresh(&st).await {
                Ok(n) if n > 0 => tracing::debug!(applied = n, "talk-track feedback from the store"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reading talk-track feedback failed"),
            }
        }
    });
}

fn spawn_sighup(st: AppState) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else { return };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading models");
            do_reload(&st).await;
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
