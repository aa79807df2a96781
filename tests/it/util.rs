//! Helpers shared by the tests: running the binary, making small valid data directories,
//! editing one cell of a CSV.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leadcast"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real public data sets, beside the project.
pub fn shared_data() -> PathBuf {
    repo().join("../shared/data")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let Output { status, stdout, stderr } = cmd.output().expect("the leadcast binary runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into(),
        stderr: String::from_utf8_lossy(&stderr).into(),
    }
}

pub fn leadcast(args: &[&str]) -> Run {
    run(bin().args(args))
}

/// `leadcast import` of the real CRM export (`../shared/data/crm-opportunities`) through
/// `mapping` into `out`.
pub fn import_crm(mapping: &Path, out: &Path) -> Run {
    let export = shared_data().join("crm-opportunities");
    leadcast(&[
        "import",
        "--data",
        export.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

/// The shipped mapping of the CRM export.
pub fn crm_mapping() -> PathBuf {
    repo().join("data/mappings/crm-opportunities.toml")
}

/// A small valid simulated data directory in a fresh temp dir.
pub fn small_world(seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cfg = leadcast::sim::SimConfig { seed, leads: 1500, reps: 8, quarters: 4, ..Default::default() };
    let s = leadcast::sim::simulate(&cfg).unwrap();
    leadcast::sim::write(dir.path(), &s).unwrap();
    dir
}

/// Reads a CSV file as header + rows of fields (the files the simulator writes have no
/// quoted newlines).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    (h, rows)
}

pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

/// Sets one cell (`row` is 1-based, header excluded) and returns the old value.
pub fn set_cell(path: &Path, row: usize, column: &str, value: &str) -> String {
    let (h, mut rows) = read_csv(path);
    let c = h.iter().position(|x| x == column).unwrap_or_else(|| panic!("{column} not in {}", path.display()));
    let old = std::mem::replace(&mut rows[row - 1][c], value.to_string());
    write_csv(path, &h, &rows);
    old
}

/// The first data row (1-based) whose `column` satisfies `pred`.
pub fn find_row(path: &Path, column: &str, pred: impl Fn(&str) -> bool) -> usize {
    let (h, rows) = read_csv(path);
    let c = h.iter().position(|x| x == column).unwrap();
    rows.iter()
        .position(|r| pred(&r[c]))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no row of {} matches", path.display()))
}

pub fn cell(path: &Path, row: usize, column: &str) -> String {
    let (h, rows) = read_csv(path);
    let c = h.iter().position(|x| x == column).unwrap();
    rows[row - 1][c].clone()
}
