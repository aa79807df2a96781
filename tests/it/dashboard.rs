//! The dashboard in a real headless Chromium (driven over WebDriver by chromedriver, both from
//! Debian's packages, installed by scripts/test.sh), served by a real `leadcast serve` on
//! `data/sample`: log in with a planner key, check every chart and table is there and not
//! empty, switch language, drill into a rep, and save 1280×800 screenshots for the README.

use super::server::{PLANNER, Server, agent, copy_dir};
use super::util::repo;
use leadcast::forecast::Level;
use leadcast::forecast::model::ForecastModel;
use leadcast::registry::Registry;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Driver {
    child: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = agent().delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wd(method: &str, url: &str, body: Option<Value>) -> Value {
    let a = agent();
    let mut res = match method {
        "GET" => a.get(url).call(),
        _ => a.post(url).send_json(body.unwrap_or(json!({}))),
    }
    .unwrap_or_else(|e| panic!("webdriver {url}: {e}"));
    let v: Value = res.body_mut().read_json().unwrap();
    assert!(v["value"].get("error").is_none(), "webdriver {url}: {v}");
    v["value"].clone()
}

fn find(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        let out = Command::new("sh").arg("-c").arg(format!("command -v {n}")).output().ok()?;
        let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (!p.is_empty()).then_some(p)
    })
}

impl Driver {
    fn start() -> Driver {
        let driver = find(&["chromedriver"]).expect(
            "chromedriver is not installed: run `bash scripts/test.sh` (it installs chromium and chromium-driver)",
        );
        let browser = find(&["chromium", "chromium-browser", "google-chrome"]).expect("chromium is not installed");
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while agent().get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": browser,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     "--window-size=1280,800", "--hide-scrollbars", format!("--user-data-dir={}", profile.path().display())]}}}});
        let v = wd("POST", &format!("{base}/session"), Some(caps));
        let session = v["sessionId"].as_str().unwrap().to_string();
        Driver { child, base, session, _profile: profile }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn go(&self, url: &str) {
        wd("POST", &self.url("/url"), Some(json!({"url": url})));
    }

    fn js(&self, script: &str, args: Value) -> Value {
        wd("POST", &self.url("/execute/sync"), Some(json!({"script": script, "args": args})))
    }

    fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.js(script, json!([]));
            if v.as_bool() != Some(false) && !v.is_null() {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn screenshot(&self, path: &std::path::Path) {
        let v = wd("GET", &self.url("/screenshot"), None);
        let png = base64(v.as_str().unwrap());
        assert_eq!(&png[1..4], b"PNG");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

/// Standard base64 (the screenshot's encoding), decoded.
fn base64(text: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let v: Vec<u32> = chunk.iter().map(|&c| val(c) as u32).collect();
        let n = v.iter().enumerate().fold(0u32, |acc, (i, x)| acc | (x << (18 - 6 * i)));
        out.extend(n.to_be_bytes()[1..chunk.len()].iter());
    }
    out
}

/// The sections the dashboard must show.
const EXPECTED: [&str; 7] = ["forecast", "attainment", "funnel", "channels", "scores", "tiers", "reps"];

/// Every section: its id, whether it has a drawn chart (an SVG with shapes, not the
/// "no data" placeholder) and how many table rows it shows.
const SECTIONS: &str = r#"return Array.from(document.querySelectorAll('#board section[data-section]')).map(s => ({
    id: s.dataset.section,
    title: s.querySelector('h2').textContent,
    chart: !!s.querySelector('svg.chart') && !s.querySelector('svg.chart [data-empty]') && s.querySelectorAll('svg.chart rect, svg.chart path').length > 0,
    has_chart: !!s.querySelector('svg.chart'),
    rows: s.querySelectorAll('table tbody tr').length,
    has_table: !!s.querySelector('table'),
    notes: Array.from(s.querySelectorAll('ul.notes li')).map(li => li.textContent)
}));"#;

fn check_sections(d: &Driver, expected: &[&str]) -> Vec<Value> {
    let sections = d.js(SECTIONS, json!([]));
    let sections = sections.as_array().unwrap().clone();
    let ids: Vec<&str> = sections.iter().map(|s| s["id"].as_str().unwrap()).collect();
    for e in expected {
        assert!(ids.contains(e), "section {e} missing: {ids:?}");
    }
    for s in &sections {
        if s["has_chart"] == true {
            assert_eq!(s["chart"], true, "chart of {} is empty", s["id"]);
        }
        if s["has_table"] == true {
            assert!(s["rows"].as_u64().unwrap() > 0, "table of {} is empty", s["id"]);
        }
        assert!(s["has_chart"] == true || s["has_table"] == true, "section {} shows nothing", s["id"]);
    }
    sections
}

#[test]
fn dashboard_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    copy_dir(&repo().join("models"), &models);
    let db = format!("sqlite://{}", dir.path().join("state/leadcast.db").display());
    let data = repo().join("data/sample");
    let s = Server::start_with(dir, models, db, &["--data", data.to_str().unwrap()]);
    let d = Driver::start();

    d.go(&format!("{}/?lang=zh", s.base));
    d.wait_for("the login form", "return !document.getElementById('login').classList.contains('hidden')");
    // A wrong key is refused and the form stays.
    d.js(
        "document.getElementById('key').value = 'wrong'; document.getElementById('login').requestSubmit();",
        json!([]),
    );
    d.wait_for("the refusal", "return document.getElementById('error').textContent.length > 0");
    let start = Instant::now();
    d.js(
        "document.getElementById('key').value = arguments[0]; document.getElementById('login').requestSubmit();",
        json!([PLANNER]),
    );
    d.wait_for("the dashboard", "return document.body.dataset.ready === '1'");
    println!("dashboard loaded in {} ms after login", start.elapsed().as_millis());
    let expected = EXPECTED;
    let zh = check_sections(&d, &expected);
    assert!(
        zh.iter().any(|s| s["title"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "Chinese titles"
    );
    // The README's screenshots are rewritten only when asked (LEADCAST_UPDATE_SCREENSHOTS=1): a
    // test run leaves the tracked files alone and writes its own under target/.
    let shots = if std::env::var_os("LEADCAST_UPDATE_SCREENSHOTS").is_some() {
        repo().join("docs/screenshots")
    } else {
        repo().join("target/screenshots")
    };
    d.screenshot(&shots.join("dashboard-zh.png"));
    // Under the fan chart, what the forecast rests on, in the page's language: every note the
    // model gives this quarter, shown as it is or under the quarter's name.
    let m = ForecastModel::load(&Registry::new(&s.models)).unwrap();
    let quarter = m.revenue("2026Q4", Level::Company).unwrap();
    assert!(!quarter.notes.is_empty());
    let shows_notes = |sections: &[Value], zh: bool| {
        let forecast = sections.iter().find(|s| s["id"] == "forecast").unwrap();
        let shown: Vec<&str> = forecast["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
        for n in &quarter.notes {
            let text = n.text(zh);
            assert!(
                shown.iter().any(|s| *s == text || *s == format!("2026Q4 · {text}")),
                "{text:?} is not among {shown:?}"
            );
        }
    };
    shows_notes(&zh, true);

    d.js("document.getElementById('lang').click();", json!([]));
    d.wait_for("English", "return document.documentElement.lang === 'en' && document.body.dataset.ready === '1'");
    let en = check_sections(&d, &expected);
    let cjk = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(en.iter().all(|s| !cjk(s["title"].as_str().unwrap())), "English titles: {en:?}");
    shows_notes(&en, false);
    d.screenshot(&shots.join("dashboard-en.png"));

    // Drill into the first rep of the rep table.
    d.js("document.querySelector('#s-reps tbody tr').click();", json!([]));
    let drilled = d.wait_for(
        "the rep drill-down",
        "const e = document.getElementById('drill'); return !e.classList.contains('hidden') && e.querySelectorAll('svg.chart, table').length > 0 && e.textContent",
    );
    assert!(drilled.as_str().unwrap().len() > 20);
}

/// Names come from a CRM's export and are shown as text: a rep named like an HTML element with
/// an event handler does not run in the page that keeps the API key (before 2026-12-07 the
/// tables and the drill-down's title were inserted as markup).
#[test]
fn names_from_the_data_are_shown_as_text_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    copy_dir(&repo().join("models"), &models);
    let data = dir.path().join("data");
    copy_dir(&repo().join("data/sample"), &data);
    const EVIL: &str = "<img src=x onerror=document.body.dataset.pwned=1>";
    let reps = std::fs::read_to_string(data.join("reps.csv")).unwrap();
    let mut lines: Vec<String> = reps.lines().map(str::to_string).collect();
    for l in lines.iter_mut().skip(1) {
        let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
        f[1] = format!("{}{EVIL}", f[1]);
        *l = f.join(",");
    }
    std::fs::write(data.join("reps.csv"), lines.join("\n") + "\n").unwrap();
    let db = format!("sqlite://{}", dir.path().join("state/leadcast.db").display());
    let s = Server::start_with(dir, models, db, &["--data", data.to_str().unwrap()]);
    let d = Driver::start();
    d.go(&format!("{}/?lang=en", s.base));
    d.wait_for("the login form", "return !document.getElementById('login').classList.contains('hidden')");
    d.js(
        "document.getElementById('key').value = arguments[0]; document.getElementById('login').requestSubmit();",
        json!([PLANNER]),
    );
    d.wait_for("the dashboard", "return document.body.dataset.ready === '1'");
    let shown = d.js("return document.getElementById('board').textContent", json!([]));
    assert!(shown.as_str().unwrap().contains(EVIL), "the names are shown, as text");
    d.js("document.querySelector('#s-reps tbody tr').click();", json!([]));
    let drill = d.wait_for(
        "the rep drill-down",
        "const e = document.getElementById('drill'); return !e.classList.contains('hidden') && e.querySelector('h2') && e.querySelector('h2').textContent",
    );
    assert!(drill.as_str().unwrap().contains(EVIL), "the drill-down's title names the rep as text: {drill}");
    // No element was made from a name, and no handler ran (a broken image fires at once; the
    // wait for the drill-down gave it time).
    let imgs = d.js("return document.querySelectorAll('img').length", json!([]));
    assert_eq!(imgs, json!(0));
    let pwned = d.js("return document.body.dataset.pwned || null", json!([]));
    assert_eq!(pwned, Value::Null);
}
