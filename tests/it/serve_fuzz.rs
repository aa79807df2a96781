//! Random and mutated JSON bodies to every POST endpoint of a running server: never a 5xx,
//! never a crash (the server still answers afterwards).

use super::server::{ADMIN, Db, SCORER, Server, call};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Every POST endpoint with a valid body to mutate.
fn endpoints() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/v1/leads/score",
            json!({"leads": [{"lead_id": "L-1", "source": "referral", "industry": "manufacturing", "company_size": "201-1000",
                   "region": "east", "persona": "finance", "email_opens": 4, "web_visits": 2, "calls": 1, "meetings": 0,
                   "created_at": "2026-09-01"}], "explain": true}),
        ),
        (
            "/v1/opportunities/score",
            json!({"opportunities": [{"opportunity_id": "O-1", "stage": "negotiation", "amount": 48000, "discount_pct": 5,
                   "product": "suite", "owner_id": "R001", "created_at": "2026-08-01", "expected_close": "2026-11-15",
                   "as_of": "2026-09-30"}]}),
        ),
        ("/v1/admin/reload", json!({})),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(|x| json!(x)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value at a random path of `v` with `with`.
fn mutate(v: &mut Value, mut choice: usize, with: Value) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = &keys[choice % keys.len()];
            choice /= keys.len().max(1);
            let child = m.get_mut(k).unwrap();
            if choice.is_multiple_of(3) { *child = with } else { mutate(child, choice, with) }
        }
        Value::Array(a) if !a.is_empty() => {
            let n = a.len();
            let child = &mut a[choice % n];
            if choice.is_multiple_of(2) { *child = with } else { mutate(child, choice / n, with) }
        }
        other => *other = with,
    }
}

#[test]
fn random_and_mutated_bodies_never_get_a_5xx() {
    let s = Server::start(Db::Sqlite);
    let eps = endpoints();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 300, ..ProptestConfig::default() });
    let strategy = (0..eps.len(), any::<usize>(), any_json(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..64));
    runner
        .run(&strategy, |(e, choice, value, raw, bytes)| {
            let (path, valid) = &eps[e];
            let body = if raw {
                // Bytes that are mostly not JSON at all.
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                let mut b = valid.clone();
                mutate(&mut b, choice, value);
                b.to_string()
            };
            let key = if *path == "/v1/admin/reload" { ADMIN } else { SCORER };
            let (st, v) = call("POST", &s.url(path), Some(key), Some(&body));
            prop_assert!(st < 500, "{path} answered {st} to {body}: {v}");
            if st >= 400 {
                prop_assert!(v.get("error").is_some(), "{path}: error in another shape: {v}");
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(call("GET", &s.url("/healthz"), None, None).0, 200, "the server is still up");
}
