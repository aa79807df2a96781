//! End-to-end tests of `leadcast serve` over a real socket, against SQLite and a real
//! PostgreSQL: every endpoint with its success and error cases, the OpenAPI document, the
//! CLI and the API agreeing, reload (corrupt artifacts refused, none dropped under load), and
//! random bodies that must never produce a 5xx.

use super::server::{ADMIN, Db, PLANNER, SCORER, Server, call, error_code, get, post};
use super::util::{leadcast, read_csv, repo, write_csv};
use leadcast::forecast::Level;
use leadcast::forecast::model::ForecastModel;
use leadcast::registry::Registry;
use serde_json::{Value, json};

fn lead() -> Value {
    json!({"lead_id": "L-1", "source": "referral", "industry": "manufacturing", "company_size": "201-1000",
           "region": "east", "persona": "finance", "email_opens": 4, "web_visits": 2, "calls": 1, "meetings": 0,
           "created_at": "2026-09-01"})
}

fn opportunity() -> Value {
    json!({"opportunity_id": "O-1", "stage": "negotiation", "amount": 48000, "discount_pct": 5, "product": "suite",
           "industry": "manufacturing", "owner_id": "R001", "created_at": "2026-08-01", "stage_entered_at": "2026-09-10",
           "expected_close": "2026-11-15", "activities": 6, "as_of": "2026-09-30"})
}

/// Every route the server has, as OpenAPI must list it.
const ROUTES: [(&str, &str); 22] = [
    ("post", "/v1/leads/score"),
    ("post", "/v1/opportunities/score"),
    ("post", "/v1/talk-tracks/recommend"),
    ("post", "/v1/talk-tracks/feedback"),
    ("get", "/v1/forecasts/revenue"),
    ("post", "/v1/forecasts/revenue"),
    ("get", "/v1/forecasts/quota"),
    ("post", "/v1/quotas/plan"),
    ("get", "/v1/analytics/funnel"),
    ("get", "/v1/analytics/channels"),
    ("get", "/v1/analytics/teams"),
    ("get", "/v1/analytics/scorecard"),
    ("get", "/v1/analytics/tiers"),
    ("get", "/v1/analytics/collections"),
    ("get", "/v1/dashboard"),
    ("get", "/v1/dashboard/reps/{rep_id}"),
    ("get", "/v1/models"),
    ("post", "/v1/admin/reload"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/forecasts/quota"),
];

/// Announces a 64 MiB body and sends none: the server must answer 413 from the header alone
/// (a client streaming the whole body would race the server closing the connection).
fn oversized(s: &Server) -> (u16, Value) {
    use std::io::{Read, Write};
    let addr = s.base.trim_start_matches("http://");
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    write!(
        c,
        "POST /v1/leads/score HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {SCORER}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        64 << 20
    )
    .unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    let status = text.split(' ').nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    // The body may be chunked: take the JSON object inside.
    let json = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
    (status, serde_json::from_str(json).unwrap_or(Value::String(body.into())))
}

fn suite(db: Db) {
    let mut s = Server::start(db);

    // Open endpoints.
    assert_eq!(get(&s, "/healthz", None).0, 200);
    let (st, ready) = get(&s, "/readyz", None);
    assert_eq!(st, 200, "{ready}");
    assert_eq!(ready["database"]["backend"], if db == Db::Sqlite { "sqlite" } else { "postgres" });

    // OpenAPI lists every route, and the docs page is served with no internet.
    let (st, doc) = get(&s, "/openapi.json", None);
    assert_eq!(st, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path) in ROUTES {
        assert!(doc["paths"][path][method].is_object(), "OpenAPI lacks {method} {path}");
    }
    let paths = doc["paths"].as_object().unwrap();
    let known: std::collections::BTreeSet<&str> = ROUTES.iter().map(|r| r.1).collect();
    assert_eq!(paths.len(), known.len(), "OpenAPI lists routes this test does not know: {:?}", paths.keys());
    let (st, docs) = get(&s, "/docs/", None);
    assert_eq!(st, 200);
    assert!(docs.as_str().unwrap().contains("swagger"), "docs page");

    // Lead scoring: one lead, a batch, explanations on and off.
    let (st, one) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"lead": lead()}));
    assert_eq!(st, 200, "{one}");
    let r = &one["results"][0];
    let p = r["probability"].as_f64().unwrap();
    assert!(p > 0.0 && p < 1.0);
    assert_eq!(r["score"].as_u64().unwrap(), (p * 100.0).round() as u64);
    assert!(["A", "B", "C", "D"].contains(&r["grade"].as_str().unwrap()));
    assert!(!r["top_factors"].as_array().unwrap().is_empty());
    assert_eq!(one["model"]["kind"], "scoring");
    let mut other = lead();
    other["source"] = json!("carrier pigeon");
    other["lead_id"] = json!("L-2");
    let (st, batch) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"leads": [lead(), other], "explain": false}));
    assert_eq!(st, 200, "{batch}");
    assert_eq!(batch["results"].as_array().unwrap().len(), 2);
    assert_eq!(batch["results"][0]["probability"], r["probability"], "same lead, same probability");
    assert!(batch["results"][0]["top_factors"].as_array().unwrap().is_empty());
    let w = batch["results"][1]["warnings"].as_array().unwrap();
    assert!(w.iter().any(|w| w.as_str().unwrap().contains("carrier pigeon")), "unknown category warned: {w:?}");

    // Errors: no key, wrong role, bad key, malformed JSON, wrong types, oversized batch and body.
    let (st, e) = post(&s, "/v1/leads/score", None, &json!({"lead": lead()}));
    assert_eq!((st, error_code(&e).as_str()), (401, "unauthorized"));
    let (st, e) = post(&s, "/v1/leads/score", Some("nope"), &json!({"lead": lead()}));
    assert_eq!((st, error_code(&e).as_str()), (401, "unauthorized"));
    let (st, e) = post(&s, "/v1/leads/score", Some(PLANNER), &json!({"lead": lead()}));
    assert_eq!((st, error_code(&e).as_str()), (403, "forbidden"));
    let (st, e) = call("POST", &s.url("/v1/leads/score"), Some(SCORER), Some("{\"leads\": [ {"));
    assert_eq!((st, error_code(&e).as_str()), (400, "malformed_json"));
    let mut bad = lead();
    bad["company_size"] = json!({"n": 5});
    let (st, e) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"leads": [lead(), lead(), lead(), bad]}));
    assert_eq!((st, error_code(&e).as_str()), (422, "invalid_field"), "{e}");
    assert_eq!(e["error"]["details"]["path"], "leads[3].company_size");
    let mut bad = lead();
    bad["email_opens"] = json!("many");
    let (st, e) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"leads": [bad]}));
    assert_eq!((st, e["error"]["details"]["path"].as_str()), (422, Some("leads[0].email_opens")));
    let many: Vec<Value> = (0..1001).map(|_| lead()).collect();
    let (st, e) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"leads": many}));
    assert_eq!((st, error_code(&e).as_str()), (422, "batch_too_large"));
    let (st, e) = oversized(&s);
    assert_eq!((st, error_code(&e).as_str()), (413, "body_too_large"));
    let (st, e) = post(&s, "/v1/leads/score", Some(SCORER), &json!([1, 2]));
    assert_eq!(st, 422, "{e}");
    let (st, e) = get(&s, "/v1/nothing-here", Some(SCORER));
    assert_eq!((st, error_code(&e).as_str()), (404, "not_found"));

    // Opportunity scoring.
    let (st, o) = post(&s, "/v1/opportunities/score", Some(SCORER), &json!({"opportunities": [opportunity()]}));
    assert_eq!(st, 200, "{o}");
    let r = &o["results"][0];
    assert!(r["probability"].as_f64().unwrap() > 0.0);
    assert_eq!(r["expected_close_period"], "2026Q4");
    assert!(r["risk_factors"].as_array().unwrap().iter().all(|f| f["impact"].as_f64().unwrap() < 0.0));
    let mut bad = opportunity();
    bad["expected_close"] = json!("next week");
    let (st, e) = post(&s, "/v1/opportunities/score", Some(SCORER), &json!({"opportunities": [bad]}));
    assert_eq!((st, e["error"]["details"]["path"].as_str()), (422, Some("opportunities[0].expected_close")));
    // A placeholder date means missing, as in every other field.
    let mut blank = opportunity();
    blank["expected_close"] = json!("");
    blank["last_activity_at"] = json!("NA");
    let (st, o) = post(&s, "/v1/opportunities/score", Some(SCORER), &json!({"opportunity": blank}));
    assert_eq!((st, &o["results"][0]["expected_close_period"]), (200, &Value::Null), "{o}");

    // Models, reload, metrics.
    let (st, m) = get(&s, "/v1/models", Some(PLANNER));
    assert_eq!(st, 200);
    let kinds: Vec<&str> = m["models"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"scoring") && kinds.contains(&"opportunity"), "{m}");
    assert_eq!(post(&s, "/v1/admin/reload", Some(SCORER), &json!({})).0, 403);
    let (st, r) = post(&s, "/v1/admin/reload", Some(ADMIN), &json!({}));
    assert_eq!(st, 200, "{r}");
    assert!(r["kinds"].as_array().unwrap().iter().all(|k| k["status"] != "failed"), "{r}");
    assert_eq!(get(&s, "/metrics", None).0, 401);
    assert_eq!(get(&s, "/metrics", Some(SCORER)).0, 403);
    let (st, text) = get(&s, "/metrics", Some(ADMIN));
    assert_eq!(st, 200);
    let text = text.as_str().unwrap();
    for name in ["leadcast_http_request_duration_seconds_bucket", "leadcast_scores_total", "leadcast_model_info"] {
        assert!(text.contains(name), "metrics lack {name}");
    }
    assert!(text.contains("route=\"/v1/leads/score\""));
    suite_more(&s);
    assert!(!s.stderr.lock().unwrap().contains(SCORER), "a key reached the log");
    let status = s.terminate();
    assert!(status.success(), "SIGTERM ends the server cleanly: {status:?}");
}

#[test]
fn api_end_to_end_on_sqlite() {
    suite(Db::Sqlite);
}

#[test]
fn api_end_to_end_on_postgres() {
    suite(Db::Postgres);
}

#[test]
fn cli_and_api_give_the_same_scores() {
    let s = Server::start(Db::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let (h, rows) = read_csv(&repo().join("data/sample/leads.csv"));
    let rows: Vec<Vec<String>> = rows.into_iter().step_by(997).take(40).collect();
    let input = dir.path().join("in.csv");
    write_csv(&input, &h, &rows);
    let out = dir.path().join("out.csv");
    let r = leadcast(&[
        "score",
        "--models",
        s.models.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--explain",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (oh, orows) = read_csv(&out);
    let col = |n: &str| oh.iter().position(|x| x == n).unwrap();
    // The API gets the same rows as JSON: numbers as numbers, text as text.
    let numeric = ["email_opens", "web_visits", "calls", "meetings"];
    let leads: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            for (k, v) in h.iter().zip(r) {
                let v = if numeric.contains(&k.as_str()) && !v.is_empty() {
                    json!(v.parse::<f64>().unwrap())
                } else if v.is_empty() {
                    Value::Null
                } else {
                    json!(v)
                };
                m.insert(k.clone(), v);
            }
            Value::Object(m)
        })
        .collect();
    let (st, api) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"leads": leads}));
    assert_eq!(st, 200, "{api}");
    for (i, (cli, res)) in orows.iter().zip(api["results"].as_array().unwrap()).enumerate() {
        let p: f64 = cli[col("probability")].parse().unwrap();
        assert!((p - res["probability"].as_f64().unwrap()).abs() < 1e-6, "row {i}: {p} vs {}", res["probability"]);
        assert_eq!(cli[col("score")], res["score"].to_string(), "row {i}");
        assert_eq!(cli[col("grade")], res["grade"].as_str().unwrap(), "row {i}");
        let f1 = &res["top_factors"][0];
        assert_eq!(cli[col("factor_1")], f1["feature"].as_str().unwrap(), "row {i}");
        let impact: f64 = cli[col("impact_1")].parse().unwrap();
        assert!((impact - f1["impact"].as_f64().unwrap()).abs() < 1e-4, "row {i}");
    }

    // The typed fast path and the general path (taken when anything in the body is unusual,
    // here an extra `lead` that is not an object) answer the same leads identically, warnings
    // included; the metric counts only the second request as a general-path one.
    let general_count = || {
        let (_, text) = get(&s, "/metrics", Some(ADMIN));
        let text = text.as_str().unwrap().to_string();
        let line = text.lines().find(|l| l.starts_with("leadcast_scoring_general_path_total "));
        line.map_or(0.0, |l| l.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap())
    };
    let mut odd = leads.clone();
    odd[0]["source"] = json!("carrier pigeon");
    odd[1]["calls"] = json!("2");
    odd[2]["industry"] = json!(42);
    odd[3]["lead_id"] = json!(17);
    let before = general_count();
    let (st, fast) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"leads": odd, "explain": true}));
    assert_eq!(st, 200, "{fast}");
    assert_eq!(general_count(), before, "a well-formed body takes the fast path");
    let (st, general) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"leads": odd, "lead": 5}));
    assert_eq!(st, 200, "{general}");
    assert_eq!(general_count(), before + 1.0);
    assert_eq!(fast["results"], general["results"]);
    assert!(fast["results"][0]["warnings"][0].as_str().unwrap().contains("carrier pigeon"), "{fast}");
    assert_eq!(fast["results"][3]["lead_id"], "17");
}

#[test]
fn reload_refuses_a_corrupt_model_and_keeps_serving() {
    let s = Server::start(Db::Sqlite);
    let (_, before) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"lead": lead()}));
    let old = before["model"]["version"].as_str().unwrap().to_string();
    let bad = s.models.join("scoring/29990101-000000");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("model.json"), "{ not a model").unwrap();
    let r = leadcast(&["models", "promote", "--models", s.models.to_str().unwrap(), "scoring", "29990101-000000"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let (st, rep) = post(&s, "/v1/admin/reload", Some(ADMIN), &json!({}));
    assert_eq!(st, 200);
    let scoring = rep["kinds"].as_array().unwrap().iter().find(|k| k["kind"] == "scoring").unwrap().clone();
    assert_eq!(scoring["status"], "failed", "{rep}");
    assert_eq!(scoring["version"], old.as_str());
    let (st, after) = post(&s, "/v1/leads/score", Some(SCORER), &json!({"lead": lead()}));
    assert_eq!(st, 200);
    assert_eq!(after["model"]["version"], old.as_str());
    assert_eq!(after["results"][0]["probability"], before["results"][0]["probability"]);
    let (_, m) = get(&s, "/v1/models", Some(ADMIN));
    assert!(m["pending"].as_array().unwrap().iter().any(|p| p["version"] == "29990101-000000"), "{m}");
}

#[test]
fn reload_under_load_fails_no_request() {
    let s = Server::start(Db::Sqlite);
    let versions = leadcast(&["models", "list", "--models", s.models.to_str().unwrap()]);
    assert_eq!(versions.code, 0);
    // A second scoring version to swap between: a copy of the current one.
    let cur = std::fs::read_to_string(s.models.join("scoring/CURRENT")).unwrap().trim().to_string();
    super::server::copy_dir(&s.models.join("scoring").join(&cur), &s.models.join("scoring/29990101-000001"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let url = s.url("/v1/leads/score");
    let body = json!({"leads": [lead(), lead()]}).to_string();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, url, body) = (stop.clone(), url.clone(), body.clone());
            std::thread::spawn(move || {
                let (mut ok, mut failed) = (0u32, Vec::new());
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (st, v) = call("POST", &url, Some(SCORER), Some(&body));
                    if st == 200 { ok += 1 } else { failed.push((st, v)) }
                }
                (ok, failed)
            })
        })
        .collect();
    let models = s.models.to_str().unwrap().to_string();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..20 {
        let v = if i % 2 == 0 { "29990101-000001".to_string() } else { cur.clone() };
        let r = leadcast(&["models", "promote", "--models", &models, "scoring", &v]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let (st, rep) = post(&s, "/v1/admin/reload", Some(ADMIN), &json!({}));
        assert_eq!(st, 200, "{rep}");
        let (_, m) = get(&s, "/v1/models", Some(ADMIN));
        seen.extend(m["models"].as_array().unwrap().iter().map(|m| m["version"].as_str().unwrap().to_string()));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut ok, mut failed) = (0, Vec::new());
    for w in workers {
        let (o, f) = w.join().unwrap();
        ok += o;
        failed.extend(f);
    }
    assert!(seen.contains("29990101-000001") && seen.contains(&cur), "both versions were served: {seen:?}");
    assert!(ok > 50, "the load ran ({ok} requests)");
    assert!(
        failed.is_empty(),
        "{} of {} requests failed during reloads: {:?}",
        failed.len(),
        ok as usize + failed.len(),
        &failed[..failed.len().min(3)]
    );
}

#[test]
fn without_configured_keys_serve_makes_an_admin_key_and_no_auth_needs_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    super::server::copy_dir(&repo().join("models"), &models);
    let state = dir.path().join("state");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_leadcast"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .arg("--models")
        .arg(&models)
        .arg("--state-dir")
        .arg(&state)
        .env_remove("LEADCAST_API_KEYS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("listening line").to_string();
    let key = std::fs::read_to_string(state.join("admin.key")).unwrap().trim().to_string();
    assert!(key.starts_with("lc_"));
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(state.join("admin.key")).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "the key file is private");
    let url = format!("{base}/v1/admin/reload");
    assert_eq!(call("POST", &url, None, Some("{}")).0, 401);
    assert_eq!(call("POST", &url, Some(&key), Some("{}")).0, 200);
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains(&key), "the new key is printed once at start");
}

/// Talk tracks, forecasts, plans and analytics over HTTP (the server runs with --data).
fn suite_more(s: &Server) {
    // Talk tracks: recommend, feedback for the decision, unknown decision, unknown stage.
    let ctx = json!({"stage": "negotiation", "persona": "finance", "industry": "manufacturing", "objection": "price", "language": "en", "k": 3});
    let (st, rec) = post(s, "/v1/talk-tracks/recommend", Some(SCORER), &ctx);
    assert_eq!(st, 200, "{rec}");
    let recs = rec["recommendations"].as_array().unwrap();
    assert!(!recs.is_empty() && recs.len() <= 3);
    // JSON has one number type: `k` may come as 2.0.
    let mut ctx2 = ctx.clone();
    ctx2["k"] = json!(2.0);
    let (st, two) = post(s, "/v1/talk-tracks/recommend", Some(SCORER), &ctx2);
    assert_eq!((st, two["recommendations"].as_array().map(Vec::len)), (200, Some(2)), "{two}");
    for r in recs {
        let (lo, hi, e) = (
            r["interval"][0].as_f64().unwrap(),
            r["interval"][1].as_f64().unwrap(),
            r["expected_advance"].as_f64().unwrap(),
        );
        assert!(lo <= e && e <= hi, "{r}");
        assert!(!r["script"].as_str().unwrap().is_empty() && !r["title"].as_str().unwrap().is_empty());
    }
    let id = rec["decision_id"].as_str().unwrap().to_string();
    let chosen = recs[0]["talk_track_id"].as_str().unwrap().to_string();
    let (st, fb) = post(
        s,
        "/v1/talk-tracks/feedback",
        Some(SCORER),
        &json!({"decision_id": id, "talk_track_id": chosen, "outcome": "advanced"}),
    );
    assert_eq!(st, 202, "{fb}");
    assert_eq!(fb["stored"], true);
    let before = feedback_rows(&s.db_url);
    let (st, e) =
        post(s, "/v1/talk-tracks/feedback", Some(SCORER), &json!({"decision_id": "d-nope", "outcome": "advanced"}));
    assert_eq!((st, error_code(&e).as_str()), (404, "not_found"));
    assert_eq!(feedback_rows(&s.db_url), before, "nothing stored for an unknown decision");
    let (st, e) = post(s, "/v1/talk-tracks/feedback", Some(SCORER), &json!({"decision_id": id, "outcome": "maybe"}));
    assert_eq!((st, e["error"]["details"]["path"].as_str()), (422, Some("outcome")));
    let (st, e) =
        post(s, "/v1/talk-tracks/recommend", Some(SCORER), &json!({"stage": "partying", "persona": "finance"}));
    assert_eq!((st, e["error"]["details"]["path"].as_str()), (422, Some("stage")));
    let (st, r) =
        post(s, "/v1/talk-tracks/recommend", Some(SCORER), &json!({"stage": "negotiation", "persona": "astronaut"}));
    assert_eq!(st, 200, "{r}");
    assert!(!r["fallbacks"].as_array().unwrap().is_empty(), "an unknown persona is flagged: {r}");
    assert_eq!(post(s, "/v1/talk-tracks/recommend", Some(PLANNER), &ctx).0, 403);

    // Forecasts.
    let (st, f) = get(s, "/v1/forecasts/revenue?period=2026Q4&by=region", Some(PLANNER));
    assert_eq!(st, 200, "{f}");
    let rows = f["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let (p10, p50, p90) = (r["p10"].as_f64().unwrap(), r["p50"].as_f64().unwrap(), r["p90"].as_f64().unwrap());
        assert!(p10 <= p50 && p50 <= p90, "{r}");
    }
    let (st, e) = get(s, "/v1/forecasts/revenue?period=2019Q1", Some(PLANNER));
    assert_eq!((st, error_code(&e).as_str()), (404, "not_found"));
    let (st, _) = get(s, "/v1/forecasts/revenue?period=soon", Some(PLANNER));
    assert_eq!(st, 422);
    assert_eq!(get(s, "/v1/forecasts/revenue?period=2026Q4", Some(SCORER)).0, 403);
    let (st, q) = get(s, "/v1/forecasts/quota?period=2026Q4&level=team", Some(PLANNER));
    assert_eq!(st, 200, "{q}");
    assert!(
        q["rows"].as_array().unwrap().iter().all(|r| r["p_attain"].as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)))
    );
    let (st, e) = get(s, "/v1/forecasts/quota?period=2026Q4&level=rep&key=R-NOBODY", Some(PLANNER));
    assert_eq!((st, error_code(&e).as_str()), (404, "not_found"));
    // A rep by name as by ID (managers know reps by name; the name percent-encoded as a
    // browser sends it).
    let (_, all) = get(s, "/v1/forecasts/quota?period=2026Q4&level=rep", Some(PLANNER));
    let first = &all["rows"][0];
    let name = first["name"].as_str().expect("rows by rep carry the rep's name");
    let encoded: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    for key in [first["key"].as_str().unwrap().to_string(), encoded] {
        for path in ["quota?period=2026Q4&level=rep", "revenue?period=2026Q4&by=rep"] {
            let (st, one) = get(s, &format!("/v1/forecasts/{path}&key={key}"), Some(PLANNER));
            assert_eq!(st, 200, "{key}: {one}");
            let rows = one["rows"].as_array().unwrap();
            assert!(rows.len() == 1 && rows[0]["key"] == first["key"], "{key}: {one}");
        }
    }
    let (st, w) = post(
        s,
        "/v1/forecasts/revenue",
        Some(PLANNER),
        &json!({"period": "2026Q4", "open": [
        {"opportunity_id": "W-1", "owner_id": rows_owner(s), "product": "suite", "amount": 50000, "stage": "contract", "created_at": "2026-09-01", "win_probability": 0.9}]}),
    );
    assert_eq!(st, 200, "{w}");
    let (st, e) = post(
        s,
        "/v1/forecasts/revenue",
        Some(PLANNER),
        &json!({"period": "2026Q4", "open": [{"opportunity_id": "W-1", "amount": "lots"}]}),
    );
    assert_eq!(st, 422, "{e}");
    // An owner who is not a rep of the model is an unknown entity.
    let (st, e) = post(
        s,
        "/v1/forecasts/revenue",
        Some(PLANNER),
        &json!({"period": "2026Q4", "open": [
        {"opportunity_id": "W-1", "owner_id": rows_owner(s), "product": "suite", "amount": 50000, "stage": "contract", "created_at": "2026-09-01"},
        {"opportunity_id": "W-2", "owner_id": "R-NOBODY", "product": "suite", "amount": 50000, "stage": "contract", "created_at": "2026-09-01"}]}),
    );
    assert_eq!(
        (st, error_code(&e).as_str(), e["error"]["details"]["path"].as_str()),
        (404, "not_found", Some("open[1].owner_id")),
        "{e}"
    );
    let (st, plan) = post(s, "/v1/quotas/plan", Some(PLANNER), &json!({"period": "2026Q4", "target": 9000000}));
    assert_eq!(st, 200, "{plan}");
    let reps: f64 = plan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "rep")
        .map(|r| r["quota"].as_f64().unwrap())
        .sum();
    assert!((reps - 9_000_000.0).abs() < 1.0, "rep quotas add up to the target: {reps}");
    let (st, e) = post(s, "/v1/quotas/plan", Some(PLANNER), &json!({"period": "2026Q4", "target": -5}));
    assert_eq!((st, e["error"]["details"]["path"].as_str()), (422, Some("target")));
    // The notes in Chinese (`lang=zh`): the same answer, each note in the words the CLI's
    // `--lang zh` prints, from the served model itself.
    let m = ForecastModel::load(&Registry::new(&s.models)).unwrap();
    let zh_of = |notes: &[leadcast::forecast::note::Note]| notes.iter().map(|n| json!(n.zh)).collect::<Vec<_>>();
    let cases = [
        (
            get(s, "/v1/forecasts/revenue?period=2026Q4&by=region", Some(PLANNER)),
            get(s, "/v1/forecasts/revenue?period=2026Q4&by=region&lang=zh", Some(PLANNER)),
            zh_of(&m.revenue("2026Q4", Level::Region).unwrap().notes),
        ),
        (
            get(s, "/v1/forecasts/quota?period=2026-11&level=team", Some(PLANNER)),
            get(s, "/v1/forecasts/quota?period=2026-11&level=team&lang=zh", Some(PLANNER)),
            zh_of(&m.quota("2026-11", Level::Team).unwrap().notes),
        ),
        (
            post(s, "/v1/quotas/plan", Some(PLANNER), &json!({"period": "2026Q4", "target": 9000000})),
            post(s, "/v1/quotas/plan", Some(PLANNER), &json!({"period": "2026Q4", "target": 9000000, "lang": "zh"})),
            zh_of(&m.plan("2026Q4", 9_000_000.0, &Default::default()).unwrap().notes),
        ),
    ];
    for ((st_en, mut en), (st_zh, mut zh), expected) in cases {
        assert_eq!((st_en, st_zh), (200, 200), "{en}\n{zh}");
        assert!(!expected.is_empty() && expected.len() == en["notes"].as_array().unwrap().len(), "{en}");
        assert_eq!(zh["notes"].as_array().unwrap(), &expected);
        assert_ne!(en["notes"], zh["notes"]);
        en["notes"] = json!(null);
        zh["notes"] = json!(null);
        assert_eq!(en, zh);
    }
    let (st, e) = get(s, "/v1/forecasts/revenue?period=2026Q4&lang=fr", Some(PLANNER));
    assert_eq!((st, e["error"]["details"]["path"].as_str()), (422, Some("lang")), "{e}");

    // Analytics.
    for kind in ["funnel", "channels", "teams", "scorecard", "tiers", "collections"] {
        let (st, a) = get(s, &format!("/v1/analytics/{kind}?period=2026Q3"), Some(PLANNER));
        assert_eq!(st, 200, "{kind}: {a}");
    }
    let (st, e) = get(s, "/v1/analytics/channels?sort=nonsense", Some(PLANNER));
    assert_eq!((st, e["error"]["details"]["path"].as_str()), (422, Some("sort")));
    // A malformed query string is answered in the API's error shape, not as plain text.
    let (st, e) = get(s, "/v1/analytics/channels?sort=leads&sort=won_deals", Some(PLANNER));
    assert_eq!((st, error_code(&e).as_str()), (400, "malformed_query"), "{e}");
    let (st, _) = get(s, "/v1/analytics/funnel?period=2001Q1", Some(PLANNER));
    assert_eq!(st, 404);
}

/// Any rep of the sample (for a what-if deal).
fn rows_owner(s: &Server) -> String {
    let (_, q) = get(s, "/v1/forecasts/quota?period=2026Q4&level=rep", Some(PLANNER));
    q["rows"][0]["key"].as_str().unwrap().to_string()
}

/// Feedback rows in a server's database.
fn feedback_rows(url: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = leadcast::serve::store::Store::connect(url).await.unwrap();
        store.feedback_after(0, 1_000_000).await.unwrap().len() as i64
    })
}

#[test]
fn two_replicas_share_talk_track_feedback_through_postgres() {
    let db = super::server::fresh_pg_database();
    let shared = tempfile::tempdir().unwrap();
    let models = shared.path().join("models");
    super::server::copy_dir(&repo().join("models"), &models);
    let cfg = shared.path().join("leadcast.toml");
    std::fs::write(&cfg, "refresh_secs = 0.2\nexploration = 0.0\n").unwrap();
    let args = ["--config", cfg.to_str().unwrap()];
    let a = Server::start_with(tempfile::tempdir().unwrap(), models.clone(), db.clone(), &args);
    let b = Server::start_with(tempfile::tempdir().unwrap(), models.clone(), db.clone(), &args);
    let ctx = json!({"stage": "negotiation", "persona": "finance", "industry": "manufacturing", "objection": "price", "k": 10, "language": "en"});
    let advance = |s: &Server, track: &str| -> f64 {
        let (st, r) = post(s, "/v1/talk-tracks/recommend", Some(SCORER), &ctx);
        assert_eq!(st, 200, "{r}");
        r["recommendations"].as_array().unwrap().iter().find(|x| x["talk_track_id"] == track).unwrap()["expected_advance"].as_f64().unwrap()
    };
    let (_, r) = post(&b, "/v1/talk-tracks/recommend", Some(SCORER), &ctx);
    let best = r["recommendations"][0]["talk_track_id"].as_str().unwrap().to_string();
    let before = advance(&b, &best);
    for _ in 0..150 {
        let (st, v) = post(
            &a,
            "/v1/talk-tracks/feedback",
            Some(SCORER),
            &json!({"stage": "negotiation", "persona": "finance",
            "industry": "manufacturing", "objection": "price", "talk_track_id": best, "outcome": "lost"}),
        );
        assert_eq!(st, 202, "{v}");
    }
    let on_a = advance(&a, &best);
    assert!(on_a < before - 0.01, "feedback moved the replica that took it: {before} -> {on_a}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let on_b = advance(&b, &best);
        if (on_b - on_a).abs() < 1e-9 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "replica B never caught up: {on_b} vs {on_a} (before {before})");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // And no double counting: a few refreshes later B still equals A.
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!((advance(&b, &best) - advance(&a, &best)).abs() < 1e-9);
}

/// What reps reported through the server is replayed into the next `train talktrack --db`.
#[test]
fn stored_feedback_is_replayed_by_the_next_training() {
    let mut s = Server::start(Db::Sqlite);
    let ctx = json!({"stage": "negotiation", "persona": "finance", "industry": "manufacturing", "objection": "price"});
    for outcome in ["advanced", "lost", "no_change"] {
        let (st, rec) = post(&s, "/v1/talk-tracks/recommend", Some(SCORER), &ctx);
        assert_eq!(st, 200, "{rec}");
        let id = rec["decision_id"].as_str().unwrap();
        let (st, fb) =
            post(&s, "/v1/talk-tracks/feedback", Some(SCORER), &json!({"decision_id": id, "outcome": outcome}));
        assert_eq!(st, 202, "{fb}");
    }
    let (_, rec) = post(&s, "/v1/talk-tracks/recommend", Some(SCORER), &ctx);
    let track = rec["recommendations"][0]["talk_track_id"].as_str().unwrap().to_string();
    let mut bare = ctx.clone();
    bare["talk_track_id"] = json!(track);
    bare["outcome"] = json!("advanced");
    assert_eq!(post(&s, "/v1/talk-tracks/feedback", Some(SCORER), &bare).0, 202);
    assert!(s.terminate().success());

    let models = tempfile::tempdir().unwrap();
    let data = repo().join("data/sample");
    let (data, m) = (data.to_str().unwrap(), models.path().to_str().unwrap());
    let missing = format!("sqlite://{}", models.path().join("nope.db").display());
    let r = leadcast(&["train", "talktrack", "--data", data, "--models", m, "--db", &missing]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("no such SQLite file"), "{}", r.stderr);
    assert!(!models.path().join("talktrack").exists(), "a refused training writes no model");

    let r = leadcast(&["train", "talktrack", "--data", data, "--models", m, "--db", &s.db_url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("feedback replayed 4"), "{}", r.stdout);
}

/// The dashboard is drawn once per set of model versions: the same answer until a reload
/// brings a new forecast model, then the new model's figures.
#[test]
fn the_dashboard_is_redrawn_after_a_reload() {
    let s = Server::start(Db::Sqlite);
    let forecast_sections = |v: &Value| -> Vec<Value> {
        v["sections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["id"].as_str().unwrap().contains("forecast"))
            .cloned()
            .collect()
    };
    let (st, before) = get(&s, "/v1/dashboard?lang=en", Some(PLANNER));
    assert_eq!(st, 200, "{before}");
    assert!(!forecast_sections(&before).is_empty(), "{before}");
    assert_eq!(get(&s, "/v1/dashboard?lang=en", Some(PLANNER)).1, before, "the cached answer");
    // In Chinese the tables name the sample's lead sources and the RFM segments in Chinese.
    let (st, zh) = get(&s, "/v1/dashboard?lang=zh", Some(PLANNER));
    assert_eq!(st, 200, "{zh}");
    let first_column = |v: &Value, id: &str| -> Vec<String> {
        let section = v["sections"].as_array().unwrap().iter().find(|x| x["id"] == id).unwrap().clone();
        section["table"]["rows"].as_array().unwrap().iter().map(|r| r[0].as_str().unwrap().to_string()).collect()
    };
    let (channels, segments) = (first_column(&zh, "channels"), first_column(&zh, "tiers"));
    assert!(channels.contains(&"转介绍".to_string()) && segments.contains(&"重要价值客户".to_string()), "{zh}");
    assert!(channels.iter().chain(&segments).all(|c| !c.contains('_') && !c.is_ascii()), "{channels:?} {segments:?}");
    assert!(first_column(&before, "channels").contains(&"referral".to_string()), "English keeps the keys");

    let w = super::util::small_world(3);
    let r =
        leadcast(&["train", "forecast", "--data", w.path().to_str().unwrap(), "--models", s.models.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (st, r) = post(&s, "/v1/admin/reload", Some(ADMIN), &json!({}));
    assert_eq!(st, 200, "{r}");
    let (st, after) = get(&s, "/v1/dashboard?lang=en", Some(PLANNER));
    assert_eq!(st, 200, "{after}");
    assert_ne!(forecast_sections(&after), forecast_sections(&before), "drawn from the new forecast model");
}

/// Prediction-log rows in a server's database.
fn prediction_rows(url: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = leadcast::serve::store::Store::connect(url).await.unwrap();
        store.prediction_count().await.unwrap()
    })
}

#[test]
fn the_prediction_log_and_the_drift_gauges_see_sampled_scores() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    super::server::copy_dir(&repo().join("models"), &models);
    let config = dir.path().join("leadcast.toml");
    std::fs::write(&config, "prediction_log_rate = 1.0\n").unwrap();
    let db = format!("sqlite://{}", dir.path().join("state/leadcast.db").display());
    let s = Server::start_with(dir, models, db.clone(), &["--config", config.to_str().unwrap()]);
    // Drift needs 100 rows before it reports (`drift::MIN_ROWS`).
    let batch: Vec<Value> = (0..100).map(|i| dict_with(lead(), "lead_id", json!(format!("B-{i}")))).collect();
    assert_eq!(post(&s, "/v1/leads/score", Some(SCORER), &json!({ "leads": batch })).0, 200);
    for _ in 0..2 {
        assert_eq!(post(&s, "/v1/leads/score", Some(SCORER), &json!({ "lead": lead(), "explain": false })).0, 200);
    }
    // Written off the request path, in batches: wait for them (at most 10 s).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while prediction_rows(&db) < 102 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(prediction_rows(&db), 102, "every scored lead is logged at rate 1.0");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (_, text) = get(&s, "/metrics", Some(ADMIN));
        if text.as_str().unwrap().contains("leadcast_input_psi{kind=\"scoring\"") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no drift gauge after 15 s");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

fn dict_with(mut v: Value, k: &str, x: Value) -> Value {
    v[k] = x;
    v
}

/// A server on the shipped models with `config` as its configuration file.
fn start_configured(config: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    super::server::copy_dir(&repo().join("models"), &models);
    let file = dir.path().join("leadcast.toml");
    std::fs::write(&file, config).unwrap();
    let db = format!("sqlite://{}", dir.path().join("state/leadcast.db").display());
    Server::start_with(dir, models, db, &["--config", file.to_str().unwrap()])
}

#[test]
fn over_the_concurrency_limit_requests_get_429_and_slots_are_given_back() {
    let s = start_configured("[limits]\nmax_concurrency = 1\n");
    let url = s.url("/v1/forecasts/quota?period=2026Q4&level=rep");
    let statuses: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..12).map(|_| scope.spawn(|| call("GET", &url, Some(PLANNER), None))).collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let shed: Vec<&Value> = statuses.iter().filter(|(st, _)| *st == 429).map(|(_, v)| v).collect();
    assert!(!shed.is_empty(), "twelve concurrent forecasts under a limit of one: {statuses:?}");
    assert!(statuses.iter().any(|(st, _)| *st == 200), "{statuses:?}");
    assert_eq!(error_code(shed[0]), "overloaded");
    // Every slot came back: one request at a time still gets through, again and again.
    for _ in 0..3 {
        assert_eq!(call("GET", &url, Some(PLANNER), None).0, 200);
    }
}

#[test]
fn a_request_over_the_time_limit_gets_503_and_the_server_goes_on() {
    let s = start_configured("[limits]\ntimeout_ms = 1\n");
    let (st, v) = get(&s, "/v1/forecasts/quota?period=2026Q4&level=rep", Some(PLANNER));
    assert_eq!((st, error_code(&v).as_str()), (503, "timeout"), "{v}");
    assert_eq!(get(&s, "/healthz", None).0, 200, "health is not under the limits");
}

/// The OpenAPI document is the API's full truth (DESIGN.md): schemathesis (installed into
/// target/nb-venv by scripts/test.sh) generates requests from it for every operation and checks
/// the live server's answers — no 5xx, only documented statuses and content types, bodies that
/// match the document's schema for their status, auth enforced, and no request the document
/// allows refused. Its settings and the two exceptions, with their reasons, are in
/// `tests/it/schemathesis.toml`; generation is deterministic, so a failure reproduces.
#[test]
fn the_api_keeps_to_its_openapi_document() {
    let st = repo().join("target/nb-venv/bin/schemathesis");
    assert!(
        st.exists(),
        "no schemathesis: run the tests with `bash scripts/test.sh` (it installs it into target/nb-venv)"
    );
    let s = Server::start(Db::Sqlite);
    // schemathesis keeps its example database and reports in the working directory.
    let work = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(st)
        .arg("--config-file")
        .arg(repo().join("tests/it/schemathesis.toml"))
        .arg("run")
        .arg(s.url("/openapi.json"))
        .args(["-H", &format!("Authorization: Bearer {ADMIN}")])
        .args(["--max-examples", "50", "--workers", "1", "--generation-deterministic", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(work.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the server strays from its OpenAPI document:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every operation of the document was tested (none skipped for want of a schema).
    let count = |label: &str| -> Option<String> {
        let line = stdout.lines().find(|l| l.trim_start().starts_with(label))?;
        Some(line.trim_start()[label.len()..].trim().split('/').next()?.trim().to_string())
    };
    let (selected, tested) = (count("Selected:"), count("Tested:"));
    assert!(selected.is_some() && selected == tested, "selected {selected:?}, tested {tested:?}:\n{stdout}");
    assert!(!s.stderr.lock().unwrap().contains("panicked"), "{}", s.stderr.lock().unwrap());
}

#[test]
fn a_closed_stdout_or_stderr_does_not_stop_the_server() {
    // `leadcast serve | head -1`, or a supervisor that drops the pipes: the startup lines
    // cannot be written, and the server goes on serving (before, it panicked at
    // "listening on").
    let dir = tempfile::tempdir().unwrap();
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_leadcast"))
        .args(["serve", "--addr", &addr.to_string()])
        .arg("--models")
        .arg(repo().join("models"))
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .env_remove("LEADCAST_API_KEYS") // a new admin key is printed to stderr, too
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let url = format!("http://{addr}/healthz");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            panic!("serve stopped: {exit:?}");
        }
        match super::server::agent().get(&url).call() {
            Ok(r) => break r.status().as_u16(),
            Err(_) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(100)),
            Err(e) => panic!("serve did not answer: {e}"),
        }
    };
    assert_eq!(status, 200);
    // Still up after the lines it could not write.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "serve stopped after starting");
    assert_eq!(super::server::agent().get(&url).call().unwrap().status().as_u16(), 200);
    let _ = child.kill();
    let _ = child.wait();
}
