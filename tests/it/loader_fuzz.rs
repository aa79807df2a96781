//! Property tests: random bytes and random mutations of valid CSVs never make the loader
//! panic; they load or they produce problems.

use leadcast::data::check_dir;
use proptest::prelude::*;
use std::sync::OnceLock;

/// A valid leads.csv and opportunities.csv to mutate (small, made once).
fn seeds() -> &'static (Vec<u8>, Vec<u8>) {
    static S: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    S.get_or_init(|| {
        let dir = crate::util::small_world(5);
        let cut = |name: &str| {
            let b = std::fs::read(dir.path().join(name)).unwrap();
            let end = b.iter().enumerate().filter(|(_, c)| **c == b'\n').nth(40).map_or(b.len(), |(i, _)| i + 1);
            b[..end].to_vec()
        };
        (cut("leads.csv"), cut("opportunities.csv"))
    })
}

fn load(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    let checked = check_dir(dir.path(), None);
    // Missing tables are always reported; the loader returned instead of panicking.
    assert!(checked.problems.has_errors());
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let special = prop::sample::select(vec![
        b",".to_vec(),
        b"\"".to_vec(),
        b"\n".to_vec(),
        b"\r\n".to_vec(),
        vec![0xff],
        vec![0xe4, 0xb8],
        b"NaN".to_vec(),
        b"-1".to_vec(),
        b"9999-99-99".to_vec(),
        vec![0],
        b";".to_vec(),
        b"2024/1/31".to_vec(),
        "2024年1月31日".as_bytes().to_vec(),
        "￥1,234.50".as_bytes().to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), 1usize..20).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), special).prop_map(|(i, s)| Edit::Insert(i, s)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if b.is_empty() {
            break;
        }
        match e {
            Edit::Flip(i, x) => {
                let i = i % b.len();
                b[i] = *x;
            }
            Edit::Delete(i, n) => {
                let i = i % b.len();
                let j = (i + n).min(b.len());
                b.drain(i..j);
            }
            Edit::Insert(i, s) => {
                let i = i % b.len();
                b.splice(i..i, s.iter().copied());
            }
            Edit::Truncate(i) => {
                let i = i % b.len();
                b.truncate(i);
            }
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        load("leads.csv", &bytes);
        load("reps.parquet", &bytes);
    }

    #[test]
    fn mutated_csvs_never_panic(edits in prop::collection::vec(edit(), 1..8), which in 0usize..2) {
        let (leads, opps) = seeds();
        let (name, base) = if which == 0 { ("leads.csv", leads) } else { ("opportunities.csv", opps) };
        load(name, &apply(base.clone(), &edits));
    }

    #[test]
    fn dates_and_numbers_as_spreadsheets_write_them_never_panic(
        date in "[0-9/.\\-年月日 T:Z+]{0,24}",
        number in "[0-9,. \\-+$€￥%e]{0,16}",
    ) {
        use leadcast::data::load::{DateOrder, DecimalMark, parse_date, parse_number};
        let _ = parse_date(&date);
        for o in [DateOrder::Iso, DateOrder::DayFirst, DateOrder::MonthFirst] {
            let _ = o.parse(&date);
        }
        let _ = parse_number(&number);
        for m in [DecimalMark::Point, DecimalMark::ThousandsComma, DecimalMark::Comma] {
            if let Some(x) = m.parse(&number) {
                prop_assert!(x.is_finite(), "{number:?} read as {x} with {m:?}");
            }
        }
    }

    #[test]
    fn random_mappings_never_panic(text in "[a-z_\\[\\]=\". \n{}]{0,200}") {
        let _ = leadcast::data::mapping::Mapping::parse(&text, std::path::Path::new("m.toml"));
    }
}
