//! The load test's yardstick: a bare axum route that parses a JSON body and echoes it back,
//! on the same runtime settings as `leadcast serve`. `benches/serve_load.sh` measures it and
//! the scoring route in the same run, so the ratio between them is the cost of scoring.
//!
//! `cargo run --release --example echo_server -- 127.0.0.1:8090`

use axum::Json;
use axum::routing::post;

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".into());
    let app = axum::Router::new().route("/echo", post(|Json(v): Json<serde_json::Value>| async move { Json(v) }));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!("listening on http://{}", listener.local_addr().expect("addr"));
    axum::serve(listener, app).await.expect("serve");
}
