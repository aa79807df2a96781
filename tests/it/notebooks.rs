//! The notebooks for data teams run headlessly (nbclient, in the venv scripts/test.sh makes)
//! against the sample data and a real `leadcast serve`, and git holds them without outputs.

use super::server::{PLANNER, Server, copy_dir};
use super::util::repo;
use std::process::Command;

#[test]
fn notebooks_are_stored_without_outputs() {
    let mut n = 0;
    for e in std::fs::read_dir(repo().join("notebooks")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "ipynb") {
            n += 1;
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            for c in v["cells"].as_array().unwrap() {
                if c["cell_type"] == "code" {
                    assert_eq!(c["outputs"], serde_json::json!([]), "{} keeps outputs", p.display());
                    assert!(c["execution_count"].is_null(), "{} keeps execution counts", p.display());
                }
            }
        }
    }
    assert!(n >= 3, "at least three notebooks, found {n}");
}

#[test]
fn notebooks_run_headless_against_a_real_server() {
    let python = repo().join("target/nb-venv/bin/python");
    assert!(
        python.exists(),
        "no notebook runner: run the tests with `bash scripts/test.sh` (it installs nbclient into target/nb-venv)"
    );
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    copy_dir(&repo().join("models"), &models);
    let db = format!("sqlite://{}", dir.path().join("state/leadcast.db").display());
    let data = repo().join("data/sample");
    let s = Server::start_with(dir, models, db, &["--data", data.to_str().unwrap()]);
    let out = Command::new(python)
        .arg(repo().join("scripts/run_notebooks.py"))
        .env("LEADCAST_ROOT", repo())
        .env("LEADCAST_BIN", env!("CARGO_BIN_EXE_leadcast"))
        .env("LEADCAST_URL", &s.base)
        .env("LEADCAST_KEY", PLANNER)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "a notebook failed:\n{stdout}\n{stderr}");
    assert!(stdout.matches("ok ").count() >= 3, "{stdout}");
}
