//! A real `leadcast serve` process for end-to-end tests: its own copy of the shipped models,
//! its own state directory, SQLite or a fresh PostgreSQL database, three API keys (one per
//! role), and a plain HTTP client over a real socket.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SCORER: &str = "test-scorer-key";
pub const PLANNER: &str = "test-planner-key";
pub const ADMIN: &str = "test-admin-key";

/// Which database a server uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct Server {
    child: Child,
    pub base: String,
    /// Holds the temp directory (state, models) alive as long as the server.
    pub _dir: tempfile::TempDir,
    pub models: PathBuf,
    pub db_url: String,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &p);
        } else {
            std::fs::copy(e.path(), &p).unwrap();
        }
    }
}

/// A fresh database on the test PostgreSQL (started by scripts/test.sh).
pub fn fresh_pg_database() -> String {
    let base = std::env::var("LEADCAST_TEST_PG").expect(
        "LEADCAST_TEST_PG is not set: run the tests with `bash scripts/test.sh`, which starts a PostgreSQL server",
    );
    let name = format!("t{}", leadcast::serve::auth::to_hex(&leadcast::serve::auth::random_bytes::<6>()));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&base).await.expect("connect to the test PostgreSQL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut c).await.unwrap();
    });
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

impl Server {
    /// Starts a server on the shipped models (copied) and waits until it answers.
    pub fn start(db: Db) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path().join("models");
        copy_dir(&super::util::repo().join("models"), &models);
        let db_url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("state/leadcast.db").display()),
            Db::Postgres => fresh_pg_database(),
        };
        let data = super::util::repo().join("data/sample");
        Server::start_with(dir, models, db_url, &["--data", data.to_str().unwrap()])
    }

    pub fn start_with(dir: tempfile::TempDir, models: PathBuf, db_url: String, extra: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadcast"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--db", &db_url])
            .arg("--models")
            .arg(&models)
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .args(extra)
            .env("LEADCAST_API_KEYS", format!("crm:scorer:{SCORER},fin:planner:{PLANNER},ops:admin:{ADMIN}"))
            .env("LEADCAST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("leadcast serve starts");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            line.clear();
            if out.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.wait();
                panic!("serve exited before listening; stderr:\n{}", stderr.lock().unwrap());
            }
            if let Some(rest) = line.trim().strip_prefix("listening on ") {
                break rest.to_string();
            }
            assert!(Instant::now() < deadline, "serve did not start in time");
        };
        std::thread::spawn(move || for _ in out.lines() {});
        Server { child, base, _dir: dir, models, db_url, stderr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that returns every status (errors included) as a value.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// `(status, body as JSON or as a string)`.
pub fn call(method: &str, url: &str, key: Option<&str>, body: Option<&str>) -> (u16, Value) {
    let a = agent();
    let auth = key.map(|k| format!("Bearer {k}"));
    let res = match method {
        "GET" => {
            let mut r = a.get(url);
            if let Some(h) = &auth {
                r = r.header("Authorization", h);
            }
            r.call()
        }
        _ => {
            let mut r = a.post(url).header("Content-Type", "application/json");
            if let Some(h) = &auth {
                r = r.header("Authorization", h);
            }
            r.send(body.unwrap_or("").as_bytes())
        }
    };
    let mut res = res.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap_or_default();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

pub fn post(s: &Server, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    call("POST", &s.url(path), key, Some(&body.to_string()))
}

pub fn get(s: &Server, path: &str, key: Option<&str>) -> (u16, Value) {
    call("GET", &s.url(path), key, None)
}

/// Asserts the error shape and returns the code.
pub fn error_code(v: &Value) -> String {
    let e = v.get("error").unwrap_or_else(|| panic!("not an error body: {v}"));
    assert!(e.get("message").and_then(Value::as_str).is_some_and(|m| !m.is_empty()), "{v}");
    assert!(e.get("details").is_some(), "{v}");
    e["code"].as_str().unwrap().to_string()
}
