//! Importing the real CRM export through the shipped mapping.

use crate::util::*;

fn args<'a>(mapping: &'a str, data: &'a str) -> Vec<&'a str> {
    vec!["--data", data, "--mapping", mapping]
}

#[test]
fn crm_export_validates_with_counted_warnings_and_imports() {
    let data = shared_data().join("crm-opportunities");
    let mapping = crm_mapping();
    let (d, m) = (data.to_str().unwrap(), mapping.to_str().unwrap());
    let mut a = vec!["validate"];
    a.extend(args(m, d));
    let r = leadcast(&a);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The quirks named in the export's README come out as warnings with their counts.
    assert!(r.stderr.contains("opportunities.account_id: 1425 of 8800 rows"), "{}", r.stderr);
    assert!(r.stderr.contains("table quotas: not in this export"), "{}", r.stderr);
    assert!(r.stdout.contains("opportunities 8800"), "{}", r.stdout);

    let out = tempfile::tempdir().unwrap();
    let mut a = vec!["import"];
    a.extend(args(m, d));
    a.extend(["--out", out.path().to_str().unwrap()]);
    let r = leadcast(&a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = leadcast(&["validate", "--data", out.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Cross-check the import against the export itself.
    let (_, src) = read_csv(&data.join("sales_pipeline.csv"));
    let (h, opps) = read_csv(&out.path().join("opportunities.csv"));
    assert_eq!(src.len(), opps.len());
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let won_src = src.iter().filter(|r| r[4] == "Won").count();
    let won_out = opps.iter().filter(|r| r[col("status")] == "won").count();
    assert_eq!(won_src, won_out);
    assert!(opps.iter().all(|r| r[col("product")] != "GTXPro"));
    // Every deal's amount is its product's list price, won or not (close_value is known only
    // for won deals, so taking it would tell the models which deals were won).
    let (_, products) = read_csv(&data.join("products.csv"));
    let list: std::collections::HashMap<&str, f64> =
        products.iter().map(|p| (p[0].as_str(), p[2].parse().unwrap())).collect();
    for r in &opps {
        assert_eq!(r[col("amount")].parse::<f64>().unwrap(), list[r[col("product")].as_str()], "{r:?}");
    }
}

/// The export's outcome must not reach the models through the mapping. With the amount taken
/// from close_value where the export has one (as the mapping did before 2026-12-08), a won
/// deal's amount was the only one off the list price: the opportunity model scored AUC 0.995
/// on its held-out deals, and 4% for the open pipeline. Imported as shipped, the export
/// carries no signal (every model is at AUC ≈ 0.5 on it, see README); with the old rule the
/// leakage guard names `amount`. And the forecast says how much of the pipeline is stale.
#[test]
fn the_crm_export_does_not_leak_its_outcome_and_its_stale_pipeline_is_named() {
    let shipped = std::fs::read_to_string(crm_mapping()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let amount_line = shipped.lines().find(|l| l.starts_with("amount = ")).unwrap();
    let leaky = dir.path().join("leaky.toml");
    std::fs::write(&leaky, shipped.replace(amount_line, AMOUNT_FROM_CLOSE_VALUE)).unwrap();
    // Import through `mapping`, train the opportunity model: its held-out AUC and stdout.
    let train = |name: &str, mapping: &std::path::Path| {
        let (out, models) = (dir.path().join(name), dir.path().join(format!("{name}-models")));
        let r = import_crm(mapping, &out);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r =
            leadcast(&["train", "opportunity", "--data", out.to_str().unwrap(), "--models", models.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let auc: f64 = r.stdout.split("held out: AUC ").nth(1).unwrap()[..6].parse().unwrap();
        (auc, r.stdout + &r.stderr, out, models)
    };
    let (auc, said, _, _) = train("leaky", &leaky);
    assert!(auc > 0.95, "{auc}");
    assert!(said.contains("possible leakage: \"amount\""), "{said}");
    let (auc, said, out, models) = train("shipped", &crm_mapping());
    assert!(auc < 0.6, "{auc}\n{said}");
    assert!(!said.contains("possible leakage"), "{said}");

    // Scoring the open pipeline names the stale deals as well (once on stderr, per deal in the
    // file's warnings column).
    let scored = dir.path().join("open.csv");
    let (m, o, s) = (models.to_str().unwrap(), out.to_str().unwrap(), scored.to_str().unwrap());
    let r = leadcast(&["score", "--models", m, "--kind", "opportunity", "--data", o, "--output", s]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("are stale: open for more than"), "{}", r.stdout);
    let (h, rows) = read_csv(&scored);
    let warnings = h.iter().position(|c| c == "warnings").unwrap();
    let stale = rows.iter().filter(|r| r[warnings].contains("stale: open for more than")).count();
    assert!(stale > 1000 && stale < rows.len(), "{stale} of {}", rows.len());
    assert_eq!(r.stderr.matches("stale: open for more than").count(), 1, "{}", r.stderr);
    let r = leadcast(&["train", "forecast", "--data", out.to_str().unwrap(), "--models", models.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = leadcast(&["forecast", "--models", models.to_str().unwrap(), "--period", "2018-01"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("have been open for more than") && r.stdout.contains("as stale deals"), "{}", r.stdout);

    // The opportunity API warns of a stale deal as `score --data` does (by the served forecast's
    // rule), and of no other.
    let state = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", state.path().join("state/leadcast.db").display());
    let server = crate::server::Server::start_with(state, models.clone(), db, &[]);
    let deal = |id: &str, created: &str| {
        serde_json::json!({"opportunity_id": id, "owner_id": "Darcel Schlecht", "product": "GTX Pro", "amount": 4821,
            "stage": "qualification", "created_at": created, "as_of": "2017-12-31"})
    };
    let (status, body) = crate::server::post(
        &server,
        "/v1/opportunities/score",
        Some(crate::server::SCORER),
        &serde_json::json!({"opportunities": [deal("OLD", "2017-01-15"), deal("NEW", "2017-12-01")]}),
    );
    assert_eq!(status, 200, "{body}");
    let warned = |i: usize| body["results"][i]["warnings"].to_string().contains("stale: open for more than");
    assert!(warned(0) && !warned(1), "{body}");
}

#[test]
fn a_broken_mapping_names_what_is_wrong_and_writes_nothing() {
    let data = shared_data().join("crm-opportunities");
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(crm_mapping()).unwrap();
    let broken = shipped.replace("owner_id = \"sales_agent\"", "owner_id = \"salesagent\"");
    let m = dir.path().join("m.toml");
    std::fs::write(&m, broken).unwrap();
    let out = dir.path().join("out");
    let r = import_crm(&m, &out);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("source column \"salesagent\" is not in sales_pipeline.csv"), "{}", r.stderr);
    assert!(!out.exists(), "import wrote despite errors");

    std::fs::write(&m, "[tables.deals]\nfrom = \"x.csv\"\n").unwrap();
    let r = leadcast(&["validate", "--data", data.to_str().unwrap(), "--mapping", m.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("m.toml") && r.stderr.contains("not a contract table"), "{}", r.stderr);
}

#[test]
fn unmapped_values_are_contract_errors_located_in_the_export() {
    let data = shared_data().join("crm-opportunities");
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(crm_mapping()).unwrap();
    // Forget to map "Engaging" to a status: the export's own rows must be named. ("Lost"
    // would need no mapping: a status reads in any letter case.)
    assert!(shipped.contains("Engaging = \"open\", "));
    let broken = shipped.replace("Engaging = \"open\", ", "");
    let m = dir.path().join("m.toml");
    std::fs::write(&m, broken).unwrap();
    let r = leadcast(&["validate", "--data", data.to_str().unwrap(), "--mapping", m.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    let (_, src) = read_csv(&data.join("sales_pipeline.csv"));
    let first = src.iter().position(|r| r[4] == "Engaging").unwrap() + 1;
    let want = format!(
        "sales_pipeline.csv (as opportunities), row {first} (line {}), column status: unknown status \"Engaging\"",
        first + 1
    );
    assert!(r.stderr.contains(&want), "want {want}\n{}", r.stderr);
}

/// A copy of the CRM export in `dir/export` with each `sales_pipeline.csv` cell of the named
/// columns passed through `rewrite`: an export written the way another CRM writes it.
fn export_written(dir: &std::path::Path, columns: &[&str], rewrite: impl Fn(&str) -> String) -> std::path::PathBuf {
    let src = shared_data().join("crm-opportunities");
    let data = dir.join("export");
    std::fs::create_dir(&data).unwrap();
    for f in ["sales_pipeline.csv", "sales_teams.csv", "products.csv", "accounts.csv"] {
        std::fs::copy(src.join(f), data.join(f)).unwrap();
    }
    let (h, rows) = read_csv(&src.join("sales_pipeline.csv"));
    let at: Vec<usize> = columns.iter().map(|c| h.iter().position(|x| x == c).unwrap()).collect();
    let mut w = csv::Writer::from_path(data.join("sales_pipeline.csv")).unwrap();
    w.write_record(&h).unwrap();
    for mut r in rows {
        for &i in &at {
            r[i] = rewrite(&r[i]);
        }
        w.write_record(&r).unwrap();
    }
    w.flush().unwrap();
    data
}

/// The amount rule of the CRM mapping before 2026-12-08: close_value where the export has one
/// (won deals), else the product's list price.
const AMOUNT_FROM_CLOSE_VALUE: &str = r#"amount = { from = "close_value", missing = ["0"], or = { from = "product", map = { GTXPro = "GTX Pro" }, lookup = { file = "products.csv", key = "product", value = "sales_price" } } }"#;

/// `leadcast import` of `data` through `mapping` into `out`, and of the real export through
/// the shipped mapping into `iso`: the opportunities and stage history written must be equal.
fn imports_as_the_shipped_export(data: &str, mapping: &std::path::Path, dir: &std::path::Path) -> crate::util::Run {
    imports_as_the_export(data, mapping, &crm_mapping(), dir)
}

/// As [`imports_as_the_shipped_export`], the real export imported through `reference`.
fn imports_as_the_export(
    data: &str,
    mapping: &std::path::Path,
    reference: &std::path::Path,
    dir: &std::path::Path,
) -> crate::util::Run {
    let (ours, iso) = (dir.join("ours"), dir.join("iso"));
    let r =
        leadcast(&["import", "--data", data, "--mapping", mapping.to_str().unwrap(), "--out", ours.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = import_crm(reference, &iso);
    assert_eq!(s.code, 0, "{}", s.stderr);
    for t in ["opportunities.csv", "stage_history.csv"] {
        assert_eq!(read_csv(&ours.join(t)), read_csv(&iso.join(t)), "{t} differs");
    }
    r
}

/// `validate` of the export in `data` with a copy of the shipped mapping at `dir/m.toml`,
/// which must fail: (the mapping's text, its path, the run).
fn validate_with_the_shipped_mapping(
    dir: &std::path::Path,
    data: &str,
) -> (String, std::path::PathBuf, crate::util::Run) {
    let shipped = std::fs::read_to_string(crm_mapping()).unwrap();
    let m = dir.join("m.toml");
    std::fs::write(&m, &shipped).unwrap();
    let r = leadcast(&["validate", "--data", data, "--mapping", m.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    (shipped, m, r)
}

#[test]
fn an_export_with_day_first_dates_imports_once_the_mapping_says_so() {
    // The CRM export with every date rewritten as DD/MM/YYYY, as many European CRMs write them.
    let dir = tempfile::tempdir().unwrap();
    let data =
        export_written(dir.path(), &["engage_date", "close_date"], |v| match v.split('-').collect::<Vec<_>>()[..] {
            [y, m, d] => format!("{d}/{m}/{y}"),
            _ => v.to_string(),
        });
    let d = data.to_str().unwrap();

    // The shipped mapping (ISO dates): the rows are errors, and a warning says what to add.
    let (shipped, m, r) = validate_with_the_shipped_mapping(dir.path(), d);
    assert!(r.stderr.contains("row 1 (line 2), column closed_at: cannot parse \"01/03/2017\""), "{}", r.stderr);
    assert!(
        r.stderr.contains("opportunities.closed_at: 6711 of 8800 values are dates written like \"01/03/2017\", not ISO (they read as day-first)")
            && r.stderr.contains("write it `closed_at = { from = \"close_date\", dates = \"day-first\" }`"),
        "{}",
        r.stderr
    );

    // Saying so imports exactly what the ISO export imports.
    let told = shipped
        .replace(
            "created_at = { from = \"engage_date\",",
            "created_at = { from = \"engage_date\", dates = \"day-first\",",
        )
        .replace(
            "entered_at = { from = \"engage_date\",",
            "entered_at = { from = \"engage_date\", dates = \"day-first\",",
        )
        .replace("closed_at = \"close_date\"", "closed_at = { from = \"close_date\", dates = \"day-first\" }");
    assert_eq!(told.matches("day-first").count(), 3);
    std::fs::write(&m, &told).unwrap();
    let r = imports_as_the_shipped_export(d, &m, dir.path());
    assert!(!r.stderr.contains("not ISO"), "{}", r.stderr);

    // A value the mapping cannot read that way is still an error on its row; a misspelt
    // `dates` is an error naming the value and what is allowed.
    std::fs::write(&m, told.replace("dates = \"day-first\" }", "dates = \"dd/mm/yyyy\" }")).unwrap();
    let r = leadcast(&["validate", "--data", d, "--mapping", m.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("unknown variant `dd/mm/yyyy`, expected `day-first` or `month-first`"), "{}", r.stderr);
    std::fs::write(
        &m,
        told.replace(
            "closed_at = { from = \"close_date\", dates = \"day-first\"",
            "closed_at = { from = \"close_date\", dates = \"month-first\"",
        ),
    )
    .unwrap();
    let r = leadcast(&["validate", "--data", d, "--mapping", m.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("column closed_at: cannot parse \"18/03/2017\""), "{}", r.stderr);
}

#[test]
fn an_export_with_formatted_amounts_imports_once_the_mapping_says_so() {
    // The CRM export with its deal values written as a US spreadsheet shows them: $1,054.00.
    let dir = tempfile::tempdir().unwrap();
    let data = export_written(dir.path(), &["close_value"], |v| match v.parse::<u64>() {
        Ok(x) if x >= 1000 => format!("${},{:03}.00", x / 1000, x % 1000),
        Ok(x) if x > 0 => format!("${x}.00"),
        _ => v.to_string(),
    });
    let d = data.to_str().unwrap();
    // A mapping that takes the amount of won deals from close_value (the shipped one takes the
    // list price, not to leak the outcome; see the test below).
    let shipped = std::fs::read_to_string(crm_mapping()).unwrap();
    let amount_line = shipped.lines().find(|l| l.starts_with("amount = ")).unwrap();
    let base = shipped.replace(amount_line, AMOUNT_FROM_CLOSE_VALUE);
    let reference = dir.path().join("reference.toml");
    std::fs::write(&reference, &base).unwrap();
    let m = dir.path().join("m.toml");
    std::fs::write(&m, &base).unwrap();
    let r = leadcast(&["validate", "--data", d, "--mapping", m.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("column amount: cannot parse \"$1,054.00\" as a number"), "{}", r.stderr);
    assert!(
        r.stderr.contains("opportunities.amount: 4238 of 8800 values are numbers written like \"$1,054.00\", not plain (they read with commas between thousands")
            && r.stderr.contains("add `numbers = \"thousands-comma\"` to its rule"),
        "{}",
        r.stderr
    );
    let told = base.replace(
        "amount = { from = \"close_value\", missing",
        "amount = { from = \"close_value\", numbers = \"thousands-comma\", missing",
    );
    assert_ne!(told, base);
    std::fs::write(&m, &told).unwrap();
    let r = imports_as_the_export(d, &m, &reference, dir.path());
    assert!(!r.stderr.contains("not plain"), "{}", r.stderr);
}

#[test]
fn a_chinese_spreadsheet_export_imports_through_a_mapping() {
    // What a CRM export saved by Excel on a Chinese Windows looks like: GBK, CRLF, Chinese
    // headers and values, amounts as `￥51,993.00`, dates as `2024/4/25`. A mapping in Chinese
    // names it; the imported tables are the contract's.
    let dir = tempfile::tempdir().unwrap();
    let gbk = |name: &str, text: &str| {
        let (bytes, _, lossy) = encoding_rs::GBK.encode(text);
        assert!(!lossy, "{name} must be expressible in GBK");
        std::fs::write(dir.path().join(name), bytes).unwrap();
    };
    gbk("销售人员.csv", "工号,姓名,团队,大区\r\nS01,王伟,华东一组,华东\r\nS02,李娜,华南一组,华南\r\n");
    gbk(
        "商机.csv",
        "商机编号,负责人,产品,金额,创建日期,阶段,状态,成交日期\r\n\
         O001,S01,CRM专业版,\"￥51,993.00\",2024/4/25,谈判审核,赢单,2024/9/3\r\n\
         O002,S02,CRM专业版,\"￥8,250.50\",2024/1/2,需求挖掘,跟进中,\r\n\
         O003,S01,数据分析套件,\"￥120,000.00\",2024/12/31,商机转化,输单,2025/1/15\r\n",
    );
    let mapping = dir.path().join("导入.toml");
    std::fs::write(
        &mapping,
        r#"description = "中文 CRM 导出"
[tables.reps]
from = "销售人员.csv"
[tables.reps.columns]
rep_id = "工号"
name = "姓名"
team = "团队"
region = "大区"
[tables.opportunities]
from = "商机.csv"
[tables.opportunities.columns]
opportunity_id = "商机编号"
owner_id = "负责人"
product = "产品"
amount = { from = "金额", numbers = "thousands-comma" }
created_at = "创建日期"
stage = { from = "阶段", map = { "需求挖掘" = "discovery", "商机转化" = "qualification", "谈判审核" = "negotiation" } }
status = { from = "状态", map = { "赢单" = "won", "输单" = "lost", "跟进中" = "open" } }
closed_at = "成交日期"
[tables.quotas]
empty = true
[tables.leads]
empty = true
[tables.stage_history]
empty = true
[tables.activities]
empty = true
"#,
    )
    .unwrap();
    let out = dir.path().join("contract");
    let (d, m, o) = (dir.path().to_str().unwrap(), mapping.to_str().unwrap(), out.to_str().unwrap());
    let r = leadcast(&["import", "--data", d, "--mapping", m, "--out", o]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let (h, rows) = read_csv(&out.join("opportunities.csv"));
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let got: Vec<[&str; 6]> = rows
        .iter()
        .map(|r| {
            [
                &r[col("opportunity_id")],
                &r[col("amount")],
                &r[col("created_at")],
                &r[col("stage")],
                &r[col("status")],
                &r[col("closed_at")],
            ]
            .map(String::as_str)
        })
        .collect();
    assert_eq!(
        got,
        [
            ["O001", "51993", "2024-04-25", "negotiation", "won", "2024-09-03"],
            ["O002", "8250.5", "2024-01-02", "discovery", "open", ""],
            ["O003", "120000", "2024-12-31", "qualification", "lost", "2025-01-15"],
        ]
    );
    assert_eq!(cell(&out.join("reps.csv"), 1, "name"), "王伟");
    // A problem in it names the file with its encoding, the row and the line.
    let broken = std::fs::read(dir.path().join("商机.csv")).unwrap();
    let broken = encoding_rs::GBK.decode(&broken).0.replace("输单", "丢单");
    gbk("商机.csv", &broken);
    let r = leadcast(&["validate", "--data", d, "--mapping", m]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("商机.csv (GBK) (as opportunities), row 3 (line 4), column status"), "{}", r.stderr);
}

#[test]
fn a_contract_table_saved_as_xlsx_reads_like_its_csv() {
    // data/sample with reps.csv swapped for the same table saved by a spreadsheet
    // (tests/fixtures/sample_reps.xlsx: hire dates as date cells shown `2024/3/1`, empty
    // manager cells): validated and analysed exactly as the CSV.
    let root = tempfile::tempdir().unwrap();
    let (csv_dir, xlsx_dir) = (root.path().join("csv"), root.path().join("xlsx"));
    crate::server::copy_dir(&repo().join("data/sample"), &csv_dir);
    crate::server::copy_dir(&repo().join("data/sample"), &xlsx_dir);
    std::fs::remove_file(xlsx_dir.join("reps.csv")).unwrap();
    std::fs::copy(repo().join("tests/fixtures/sample_reps.xlsx"), xlsx_dir.join("reps.xlsx")).unwrap();
    let teams = |dir: &std::path::Path| {
        let r = leadcast(&["analytics", "teams", "--by", "rep", "--data", dir.to_str().unwrap(), "--format", "csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    assert_eq!(teams(&csv_dir), teams(&xlsx_dir));
    let v = leadcast(&["validate", "--data", xlsx_dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    let doc: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(doc["rows"]["reps"], 40, "{doc}");
    // Two files for one table: which one is meant? An error naming both.
    std::fs::copy(csv_dir.join("reps.csv"), xlsx_dir.join("reps.csv")).unwrap();
    let v = leadcast(&["validate", "--data", xlsx_dir.to_str().unwrap()]);
    assert_eq!(v.code, 1);
    assert!(v.stderr.contains("both reps.csv and reps.xlsx exist; keep one"), "{}", v.stderr);
    // Spreadsheets are read, not written: an .xlsx output is an error, and nothing is written.
    let out = root.path().join("scored.xlsx");
    let leads = repo().join("data/sample/leads.csv");
    let models = repo().join("models");
    let r = leadcast(&[
        "score",
        "--models",
        models.to_str().unwrap(),
        "--input",
        leads.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("leadcast writes CSV (or Parquet), not .xlsx; name the output .csv"), "{}", r.stderr);
    assert!(!out.exists());
}

#[test]
fn a_named_sheet_of_a_workbook_scores_like_its_csv() {
    // tests/fixtures/leads_book.xlsx: a README sheet first, then the first 30 leads of
    // data/sample on sheet `leads` (numbers as number cells).
    let root = tempfile::tempdir().unwrap();
    let csv = root.path().join("leads30.csv");
    let text = std::fs::read_to_string(repo().join("data/sample/leads.csv")).unwrap();
    std::fs::write(&csv, text.lines().take(31).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let book = repo().join("tests/fixtures/leads_book.xlsx");
    let models = repo().join("models");
    let score = |input: &std::path::Path, out: &str, extra: &[&str]| {
        let out = root.path().join(out);
        let mut args = vec![
            "score",
            "--models",
            models.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let r = leadcast(&args);
        (r, std::fs::read_to_string(&out).unwrap_or_default())
    };
    let (r, from_csv) = score(&csv, "csv.csv", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(from_csv.lines().count(), 31);
    for sheet in ["leads", "LEADS", "2"] {
        let (r, from_book) = score(&book, "book.csv", &["--sheet", sheet]);
        assert_eq!(r.code, 0, "{sheet}: {}", r.stderr);
        assert_eq!(from_book, from_csv, "--sheet {sheet}");
    }
    // The first sheet has no lead columns: the error lists the missing ones and says which
    // sheet it read of which.
    let (r, _) = score(&book, "first.csv", &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("leads_book.xlsx (first of sheets README, leads)"), "{}", r.stderr);
    // How to read --input means nothing without one: an error, not ignored.
    let m = root.path().join("m");
    for flag in ["--sheet", "--sep"] {
        let r = leadcast(&[
            "train",
            "scoring",
            "--data",
            repo().join("data/sample").to_str().unwrap(),
            "--models",
            m.to_str().unwrap(),
            flag,
            "2",
        ]);
        assert_eq!(r.code, 1, "{flag}");
        assert!(r.stderr.contains(&format!("{flag} is for --input")), "{}", r.stderr);
        assert!(!m.exists(), "nothing trained");
    }
}

/// `train all` on an export that starts at the opportunity (no leads) trains the opportunity,
/// talk-track and forecast models and says the lead model was skipped; a lead model already
/// served stays as it was. (Before 2026-12-08 it stopped with "the leads table has no rows".)
#[test]
fn train_all_on_an_export_without_leads_trains_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (out, models) = (dir.path().join("crm"), dir.path().join("models"));
    let (o, m) = (out.to_str().unwrap(), models.to_str().unwrap());
    let r = import_crm(&crm_mapping(), &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = leadcast(&["train", "all", "--data", o, "--models", m]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("lead scoring skipped: the leads table") && r.stdout.contains("no lead model is served"));
    for kind in ["opportunity", "talktrack", "forecast"] {
        assert!(models.join(kind).join("CURRENT").is_file(), "{kind}: {}", r.stdout);
    }
    assert!(!models.join("scoring").join("CURRENT").exists());
    // With a lead model already there (the shipped one), it stays current.
    let shipped = repo().join("models/scoring");
    let version = std::fs::read_to_string(shipped.join("CURRENT")).unwrap();
    crate::server::copy_dir(&shipped, &models.join("scoring"));
    let r = leadcast(&["train", "all", "--data", o, "--models", m]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&format!("the current lead model, {}, stays as it was", version.trim())), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(models.join("scoring/CURRENT")).unwrap(), version);
}
