//! Writing contract tables as CSV, byte-for-byte deterministic for the same dataset, and
//! writing any output file atomically: a temporary file beside it renamed into place, so a
//! crash or a full disk never leaves a half-written file where a whole one was expected.

use crate::domain::*;
use crate::{Error, Result};
use chrono::NaiveDate;
use std::path::Path;

/// Writes every table of `ds` as `DIR/NAME.csv` (creating `DIR`). Optional tables that are
/// `None` are not written.
pub fn write_dir(dir: &Path, ds: &Dataset) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    write_table(dir, &REPS, &ds.reps, |r| {
        vec![
            r.rep_id.clone(),
            r.name.clone(),
            r.team.clone(),
            r.region.clone(),
            opt(&r.manager_id),
            date_opt(r.hired_at),
        ]
    })?;
    write_table(dir, &QUOTAS, &ds.quotas, |q| vec![q.rep_id.clone(), q.period.to_string(), money(q.quota)])?;
    if let Some(a) = &ds.accounts {
        write_table(dir, &ACCOUNTS, a, |a| {
            vec![a.account_id.clone(), a.industry.clone(), a.region.clone(), opt(&a.tier)]
        })?;
    }
    write_table(dir, &LEADS, &ds.leads, lead_record)?;
    write_table(dir, &OPPORTUNITIES, &ds.opportunities, |o| {
        vec![
            o.opportunity_id.clone(),
            o.owner_id.clone(),
            o.product.clone(),
            money(o.amount),
            date(o.created_at),
            o.stage.to_string(),
            o.status.to_string(),
            opt(&o.lead_id),
            opt(&o.account_id),
            opt(&o.industry),
            date_opt(o.expected_close),
            date_opt(o.closed_at),
            o.discount_pct.map(|d| format!("{d:.1}")).unwrap_or_default(),
        ]
    })?;
    write_table(dir, &STAGE_HISTORY, &ds.stage_history, |s| {
        vec![s.opportunity_id.clone(), s.stage.to_string(), date(s.entered_at)]
    })?;
    write_table(dir, &ACTIVITIES, &ds.activities, |a| {
        vec![
            a.activity_id.clone(),
            a.opportunity_id.clone(),
            date(a.at),
            a.stage.to_string(),
            a.channel.clone(),
            a.outcome.to_string(),
            opt(&a.talk_track_id),
            opt(&a.persona),
            opt(&a.industry),
            a.objection.map(|o| o.to_string()).unwrap_or_default(),
        ]
    })?;
    if let Some(p) = &ds.payments {
        write_table(dir, &PAYMENTS, p, |p| {
            vec![p.invoice_id.clone(), p.opportunity_id.clone(), money(p.amount), date(p.due_at), date_opt(p.paid_at)]
        })?;
    }
    Ok(())
}

/// A lead's fields as text, in the contract's column order (`LEADS.columns()`).
pub fn lead_record(l: &Lead) -> Vec<String> {
    vec![
        l.lead_id.clone(),
        date(l.created_at),
        l.source.clone(),
        l.industry.clone(),
        l.company_size.clone(),
        l.region.clone(),
        l.persona.clone(),
        l.owner_id.clone(),
        opt(&l.product_interest),
        count(l.email_opens),
        count(l.web_visits),
        count(l.calls),
        count(l.meetings),
        l.converted.map(|c| if c { "1" } else { "0" }.to_string()).unwrap_or_default(),
        date_opt(l.converted_at),
    ]
}

/// Writes one table with the contract's column order.
pub fn write_table<T>(dir: &Path, spec: &TableSpec, rows: &[T], to_fields: impl Fn(&T) -> Vec<String>) -> Result<()> {
    let header: Vec<&str> = spec.columns().collect();
    write_csv(&dir.join(format!("{}.csv", spec.name)), &header, rows.iter().map(to_fields))
}

/// Replaces `path` with `bytes` atomically. On an error the temporary file is removed and the
/// error names `path` (the temporary file is ours, not the user's).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    if let Err(e) = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// Writes a report's files into `dir` (created), each with [`write_file`], in the order given:
/// the page that links the others comes last, so it never shows a chart still being written.
pub fn write_files(dir: &Path, files: Vec<(String, Vec<u8>)>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (name, bytes) in files {
        write_file(&dir.join(name), &bytes)?;
    }
    Ok(())
}

/// The UTF-8 byte-order mark a CSV for Excel starts with (`--bom`): Excel reads a CSV without
/// one in the machine's legacy encoding (GBK on a Chinese Windows).
pub const BOM: &str = "\u{feff}";

/// `path` with `.tmp` added to its file name (`out.csv` → `out.csv.tmp`).
fn tmp_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes a CSV file atomically: a temporary file renamed into place, so a crash never leaves
/// a half-written table; on an error the temporary file is removed.
pub fn write_csv(path: &Path, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<()> {
    write_csv_with(path, header, rows, false)
}

/// [`write_csv`], starting the file with a UTF-8 byte-order mark when `bom` is set: Excel reads
/// a CSV without one in the machine's legacy encoding (GBK on a Chinese Windows), which garbles
/// every Chinese name. leadcast's own readers skip the mark.
pub fn write_csv_with(path: &Path, header: &[&str], rows: impl Iterator<Item = Vec<String>>, bom: bool) -> Result<()> {
    // Spreadsheets are read, not written: CSV text under an `.xlsx` name would not open.
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if crate::data::raw::SPREADSHEETS.contains(&ext.as_str()) {
        return Err(Error::InvalidArgument(format!(
            "{}: leadcast writes CSV (or Parquet), not .{ext}; name the output .csv — a spreadsheet program opens it (--bom for Excel with Chinese text)",
            path.display()
        )));
    }
    let tmp = tmp_path(path);
    let written = write_then_rename(path, &tmp, header, rows, bom);
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn write_then_rename(
    path: &Path,
    tmp: &Path,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
    bom: bool,
) -> Result<()> {
    use std::io::Write;
    // Named by the file asked for: the temporary one is ours, not the user's.
    let file = std::fs::File::create(tmp).map_err(|e| Error::io(path, e))?;
    let mut buf = std::io::BufWriter::with_capacity(1 << 16, file);
    if bom {
        buf.write_all(BOM.as_bytes()).map_err(|e| Error::io(path, e))?;
    }
    let mut w = csv::WriterBuilder::new().from_writer(buf);
    let io = |e: csv::Error| Error::io(path, std::io::Error::other(e));
    w.write_record(header).map_err(io)?;
    for r in rows {
        w.write_record(&r).map_err(io)?;
    }
    w.flush().map_err(|e| Error::io(path, e))?;
    drop(w);
    std::fs::rename(tmp, path).map_err(|e| Error::io(path, e))
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn date_opt(d: Option<NaiveDate>) -> String {
    d.map(date).unwrap_or_default()
}

fn count(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// Money with two decimals, trailing zeros trimmed (`1200`, `99.5`).
pub fn money(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_replaced_whole_and_a_failed_write_leaves_nothing_behind() {
        let d = tempfile::tempdir().unwrap();
        let report = d.path().join("report");
        write_files(&report, vec![("a.svg".into(), b"old".to_vec())]).unwrap();
        write_files(&report, vec![("a.svg".into(), b"new".to_vec()), ("index.html".into(), b"<p>".to_vec())]).unwrap();
        assert_eq!(std::fs::read(report.join("a.svg")).unwrap(), b"new");
        // `index.html` cannot be written (a directory is in its place): the error names it, the
        // files before it are whole, and no temporary file is left.
        std::fs::remove_file(report.join("index.html")).unwrap();
        std::fs::create_dir(report.join("index.html")).unwrap();
        let e = write_files(&report, vec![("a.svg".into(), b"newer".to_vec()), ("index.html".into(), b"<p>".to_vec())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("index.html: ") && !e.contains("index.html.tmp"), "{e}");
        assert_eq!(std::fs::read(report.join("a.svg")).unwrap(), b"newer");
        let mut left: Vec<String> = std::fs::read_dir(&report)
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["a.svg", "index.html"]);
    }
}
