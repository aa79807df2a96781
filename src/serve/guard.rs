//! The one layer in front of the router: request ID, latency and status metrics per route, the
//! log line, and for `/v1/…` the limits — a body announced larger than allowed (413, before
//! any of it is read), a global concurrency limit that sheds load with 429 rather than
//! queueing, and a per-request timeout (503).
//!
//! Hand-written rather than stacked from tower's `LoadShed`, `ConcurrencyLimit`, `Timeout` and
//! two `from_fn` middlewares, and wrapped around the router rather than layered onto each route:
//! axum boxes a layered route again, and a boxed route clones every box inside it per request,
//! so those layers cost a third of the scoring route's time (`benches/serve_load.sh`). Here a
//! request costs one boxed future, two atomic adds for the concurrency limit, one timer, one
//! lookup of its route template (`matchit`, the router axum itself uses, over the same
//! templates) and metric handles made once per route rather than from label strings every time.

use super::error::ApiError;
use super::state::AppState;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram};
use rustc_hash::FxHashMap;
use serde_json::json;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::{Layer, Service, ServiceExt};

static X_REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// The shared part of the layer: limits, the requests in flight, the metric handles.
pub struct Guards {
    max_body: u64,
    timeout: Duration,
    max_in_flight: usize,
    /// `/v1` requests being served. Over the limit a request is refused at once, never queued,
    /// so a counter is all the limit needs (a semaphore would take a lock on every release).
    in_flight: AtomicUsize,
    next_id: AtomicU64,
    /// Path → route template, for the metrics' `route` label.
    templates: matchit::Router<Box<str>>,
    routes: RwLock<FxHashMap<Box<str>, RouteMetrics>>,
}

/// One route's metric handles: a latency histogram per method, a counter per status.
#[derive(Default)]
struct RouteMetrics {
    latency: Vec<(Method, Histogram)>,
    responses: Vec<(u16, Counter)>,
}

impl Guards {
    /// `templates`: every route's path template in axum's syntax (`/v1/dashboard/reps/{rep_id}`).
    pub fn new<'a>(limits: &super::state::Limits, templates: impl IntoIterator<Item = &'a str>) -> Guards {
        let mut router = matchit::Router::new();
        for t in templates {
            // A template that overlaps one already there keeps the first's label.
            let _ = router.insert(t, t.into());
        }
        Guards {
            templates: router,
            max_body: limits.max_body_bytes as u64,
            timeout: Duration::from_millis(limits.timeout_ms),
            max_in_flight: limits.max_concurrency,
            in_flight: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            routes: RwLock::new(FxHashMap::default()),
        }
    }

    /// Records one response; handles are made on a route's first use of a method or status
    /// (the metrics recorder is installed before the server starts).
    fn record(&self, route: &str, method: &Method, status: u16, secs: f64) {
        {
            let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(m) = routes.get(route) {
                let h = m.latency.iter().find(|(k, _)| k == method);
                let c = m.responses.iter().find(|(k, _)| *k == status);
                if let (Some((_, h)), Some((_, c))) = (h, c) {
                    h.record(secs);
                    c.increment(1);
                    return;
                }
            }
        }
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        let m = routes.entry(route.into()).or_default();
        if !m.latency.iter().any(|(k, _)| k == method) {
            let h = metrics::histogram!("leadcast_http_request_duration_seconds",
                "route" => route.to_string(), "method" => method.to_string());
            m.latency.push((method.clone(), h));
        }
        if !m.responses.iter().any(|(k, _)| *k == status) {
            let c = metrics::counter!("leadcast_http_responses_total",
                "route" => route.to_string(), "status" => status.to_string());
            m.responses.push((status, c));
        }
        let h = m.latency.iter().find(|(k, _)| k == method).map(|(_, h)| h);
        let c = m.responses.iter().find(|(k, _)| *k == status).map(|(_, c)| c);
        if let (Some(h), Some(c)) = (h, c) {
            h.record(secs);
            c.increment(1);
        }
    }
}

#[derive(Clone)]
pub struct GuardLayer(pub AppState);

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;
    fn layer(&self, inner: S) -> Guard<S> {
        Guard { st: self.0.clone(), inner }
    }
}

#[derive(Clone)]
pub struct Guard<S> {
    st: AppState,
    inner: S,
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Readiness is awaited on the clone that serves the request (`oneshot` below).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let inner = self.inner.clone();
        let st = self.st.clone();
        Box::pin(async move {
            let start = Instant::now();
            let g = &st.guards;
            let id = match req.headers().get(&X_REQUEST_ID).filter(|v| v.len() <= 64 && v.to_str().is_ok()) {
                Some(v) => v.clone(),
                None => request_id(g.next_id.fetch_add(1, Ordering::Relaxed)),
            };
            let route = g.templates.at(req.uri().path()).map_or("unmatched", |m| &**m.value);
            let method = req.method().clone();
            let mut res = if route.starts_with("/v1/") { limited(g, inner, req).await } else { run(inner, req).await };
            let status = res.status().as_u16();
            let secs = start.elapsed().as_secs_f64();
            g.record(route, &method, status, secs);
            // Successes at debug (a log write per request would cost more than scoring it);
            // client errors at info, server errors at warn. Never the headers: a key is one.
            let id_text = id.to_str().unwrap_or("");
            match status {
                500.. => {
                    tracing::warn!(request_id = id_text, method = %method, route, status, ms = secs * 1e3, "request")
                }
                400..=499 => {
                    tracing::info!(request_id = id_text, method = %method, route, status, ms = secs * 1e3, "request")
                }
                _ => tracing::debug!(request_id = id_text, method = %method, route, status, ms = secs * 1e3, "request"),
            }
            res.headers_mut().insert(X_REQUEST_ID.clone(), id);
            Ok(res)
        })
    }
}

/// One request's place among those in flight, given back when dropped (also when the request
/// is cancelled: its future is dropped with the slot in it).
struct Slot<'a>(&'a AtomicUsize);

impl<'a> Slot<'a> {
    fn take(g: &'a Guards) -> Option<Slot<'a>> {
        let before = g.in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(&g.in_flight);
        (before < g.max_in_flight).then_some(slot)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `r<n>`, written without the formatting machinery (this runs for every request).
fn request_id(mut n: u64) -> HeaderValue {
    let mut buf = [0u8; 21];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    at -= 1;
    buf[at] = b'r';
    HeaderValue::from_bytes(&buf[at..]).unwrap_or_else(|_| HeaderValue::from_static("r"))
}

async fn run<S>(inner: S, req: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    match inner.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// The `/v1` limits around the route.
async fn limited<S>(g: &Guards, inner: S, req: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = announced.filter(|n| *n > g.max_body) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body ({n} bytes) is larger than the server accepts ({} bytes; `limits.max_body_bytes`)",
                g.max_body
            ),
        )
        .with_details(json!({ "limit": g.max_body, "got": n }))
        .into_response();
    }
    let Some(_slot) = Slot::take(g) else {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "overloaded",
            "too many requests in flight; retry shortly",
        )
        .into_response();
    };
    match tokio::time::timeout(g.timeout, run(inner, req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took longer than the server allows (see `limits.timeout_ms`)",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_read_r_and_the_number() {
        for n in [0, 7, 10, 123_456, u64::MAX] {
            assert_eq!(super::request_id(n).to_str().unwrap(), format!("r{n}"));
        }
    }
}
