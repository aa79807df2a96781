//! Importing the real CRM export through the shipped mapping.

use crate::util::*;

fn args<'a>(mapping: &'a str, data: &'a str) -> Vec<&'a str> {
    vec!["--data", data, "--mapping", mapping]
}

#[test]
fn crm_export_validates_with_counted_warnings_and_imports() {
    let data = shared_data().join("crm-opportunities");
    let mapping = repo().join("data/mappings/crm-opportunities.toml");
    let (d, m) = (data.to_str().unwrap(), mapping.to_str().unwrap());
    let mut a = vec!["validate"];
    a.extend(args(m, d));
    let r = leadcast(&a);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The quirks named in the export's README come out as warnings with their counts.
    assert!(r.stderr.contains("opportunities.account_id: 1425 of 8800 rows"), "{}", r.stderr);
    assert!(
        r.stderr.contains("opportunities.amount:") && r.stderr.contains("products.csv:sales_price"),
        "{}",
        r.stderr
    );
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
    let won_value_src: f64 = src.iter().filter(|r| r[4] == "Won").map(|r| r[7].parse::<f64>().unwrap()).sum();
    let won_value_out: f64 =
        opps.iter().filter(|r| r[col("status")] == "won").map(|r| r[col("amount")].parse::<f64>().unwrap()).sum();
    assert!((won_value_src - won_value_out).abs() < 0.01);
}

#[test]
fn a_broken_mapping_names_what_is_wrong_and_writes_nothing() {
    let data = shared_data().join("crm-opportunities");
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(repo().join("data/mappings/crm-opportunities.toml")).unwrap();
    let broken = shipped.replace("owner_id = \"sales_agent\"", "owner_id = \"salesagent\"");
    let m = dir.path().join("m.toml");
    std::fs::write(&m, broken).unwrap();
    let out = dir.path().join("out");
    let r = leadcast(&[
        "import",
        "--data",
        data.to_str().unwrap(),
        "--mapping",
        m.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
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
    let shipped = std::fs::read_to_string(repo().join("data/mappings/crm-opportunities.toml")).unwrap();
    // Forget to map "Lost": the export's own rows must be named.
    let broken = shipped.replace(", Lost = \"lost\" }", " }");
    let m = dir.path().join("m.toml");
    std::fs::write(&m, broken).unwrap();
    let r = leadcast(&["validate", "--data", data.to_str().unwrap(), "--mapping", m.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    let (_, src) = read_csv(&data.join("sales_pipeline.csv"));
    let first_lost = src.iter().position(|r| r[4] == "Lost").unwrap() + 1;
    let want = format!(
        "sales_pipeline.csv (as opportunities), row {first_lost} (line {}), column status: unknown status \"Lost\"",
        first_lost + 1
    );
    assert!(r.stderr.contains(&want), "want {want}\n{}", r.stderr);
}
