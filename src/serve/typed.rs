//! The scoring routes' fast path: a body in the expected shape is read straight from its bytes
//! into the model's input cells (strings borrowed from the body, numbers as numbers, fields the
//! model does not read skipped unparsed), then encoded without building a table of strings.
//!
//! It only ever says "this body is fine, here are its rows" or "not sure": anything unusual — a
//! value of the wrong JSON type, text in a numeric field that does not parse, a non-object item,
//! both or neither of the list and the single item, malformed JSON — returns `None`, and the
//! handler takes the general path (`serde_json::Value` and `Fields`), which scores the same body
//! to the same numbers or names the exact JSON path of what is wrong. So errors have one source,
//! and the fast path needs no error messages of its own.

use super::scoring::Expect;
use crate::score::features::{Code, Encoded, Encoder};
use crate::score::table::{Table, is_missing};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// One input value as sent.
#[derive(Debug, Clone)]
pub enum Cell<'a> {
    Missing,
    Number(serde_json::Number),
    Text(Cow<'a, str>),
    Flag(bool),
}

impl Cell<'_> {
    /// The text the general path would have made of this value (`cell` in `scoring.rs`).
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Missing => Cow::Borrowed(""),
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Flag(b) => Cow::Borrowed(if *b { "1" } else { "0" }),
        }
    }

    /// Whether the general path would accept this value for a column expecting `e`.
    fn fits(&self, e: Expect) -> bool {
        match (self, e) {
            (Cell::Missing, _) => true,
            (Cell::Number(_), Expect::Number(_) | Expect::Text | Expect::Flag) => true,
            (Cell::Flag(_), Expect::Flag | Expect::Text) => true,
            (Cell::Text(_), Expect::Text | Expect::Flag) => true,
            (Cell::Text(s), Expect::Number(decimal)) => is_missing(s) || decimal.read(s).is_some(),
            (Cell::Text(s), Expect::Date(order)) => is_missing(s) || order.parse(s).is_some(),
            _ => false,
        }
    }
}

/// The rows of a body: `cells[i * width + j]` is row `i`'s value of input column `j`.
pub struct Rows<'a> {
    pub ids: Vec<Option<Cow<'a, str>>>,
    pub cells: Vec<Cell<'a>>,
    pub width: usize,
    pub explain: Option<bool>,
}

impl<'a> Rows<'a> {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn cell(&self, i: usize, j: usize) -> &Cell<'a> {
        &self.cells[i * self.width + j]
    }

    /// The rows as the general path's table (for the sampled prediction log).
    pub fn table(&self, inputs: &[(String, Expect)], file: &str) -> Table {
        let columns = (0..self.width).map(|j| (0..self.len()).map(|i| self.cell(i, j).text().into_owned()).collect());
        Table {
            file: file.to_string(),
            names: inputs.iter().map(|(c, _)| c.clone()).collect(),
            columns: columns.collect(),
            rows: self.len(),
        }
    }

    /// Encodes the rows for the model; `feature_input[k]` is feature `k`'s input column.
    pub fn encode(&self, enc: &Encoder, feature_input: &[usize]) -> Encoded {
        let n = self.len();
        let d = enc.features.len();
        let mut tree = vec![0.0; n * d];
        let mut unseen = vec![Vec::new(); n];
        for (k, &j) in feature_input.iter().enumerate().take(d) {
            let numeric = matches!(enc.features[k].code, Code::Numeric { .. });
            for i in 0..n {
                let mut u = false;
                tree[k * n + i] = match self.cell(i, j) {
                    // Exactly what parsing the number's text gives (Rust floats round-trip).
                    Cell::Number(x) if numeric => x.as_f64().unwrap_or(f64::NAN),
                    c => enc.tree_value(k, &c.text(), &mut u),
                };
                if u {
                    unseen[i].push(k);
                }
            }
        }
        Encoded { rows: n, tree, unseen }
    }
}

/// Reads a scoring body `{"<list>": [row, …], "explain": b}` or `{"<one>": row}`; `None` when
/// anything is not as expected (the general path then answers).
pub fn read<'a>(
    bytes: &'a [u8],
    inputs: &[(String, Expect)],
    id_field: &str,
    list: &str,
    one: &str,
) -> Option<Rows<'a>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = BodySeed { inputs, id_field, list, one };
    let rows = seed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(rows)
}

struct BodySeed<'s> {
    inputs: &'s [(String, Expect)],
    id_field: &'s str,
    list: &'s str,
    one: &'s str,
}

fn fail<E: de::Error>() -> E {
    E::custom("not the fast path")
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = Rows<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Rows<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = Rows<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scoring body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rows<'de>, A::Error> {
        let width = self.inputs.len();
        let mut listed: Option<Rows<'de>> = None;
        let mut single: Option<Rows<'de>> = None;
        let mut explain = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let fresh = || Rows { ids: Vec::new(), cells: Vec::new(), width, explain: None };
            if key == self.list {
                if listed.is_some() {
                    return Err(fail());
                }
                let mut rows = fresh();
                map.next_value_seed(ListSeed {
                    row: RowSeed { inputs: self.inputs, id_field: self.id_field },
                    rows: &mut rows,
                })?;
                listed = Some(rows);
            } else if key == self.one {
                if single.is_some() {
                    return Err(fail());
                }
                let mut rows = fresh();
                map.next_value_seed(RowInto {
                    row: RowSeed { inputs: self.inputs, id_field: self.id_field },
                    rows: &mut rows,
                })?;
                single = Some(rows);
            } else if key == "explain" {
                explain = map.next_value::<Option<bool>>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        // With both, the list is scored (as the general path does).
        let mut rows = listed.or(single).ok_or_else(fail)?;
        if rows.len() == 0 {
            return Err(fail());
        }
        rows.explain = explain;
        Ok(rows)
    }
}

/// An object key, borrowed from the body when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor).map(Key)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

#[derive(Clone, Copy)]
struct RowSeed<'s> {
    inputs: &'s [(String, Expect)],
    id_field: &'s str,
}

struct ListSeed<'s, 'r, 'de> {
    row: RowSeed<'s>,
    rows: &'r mut Rows<'de>,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(n) = seq.size_hint() {
            self.rows.cells.reserve(n * self.rows.width);
        }
        while seq.next_element_seed(RowInto { row: self.row, rows: self.rows })?.is_some() {}
        Ok(())
    }
}

/// Appends one row object to `rows`.
struct RowInto<'s, 'r, 'de> {
    row: RowSeed<'s>,
    rows: &'r mut Rows<'de>,
}

impl<'de> DeserializeSeed<'de> for RowInto<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowInto<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inputs = self.row.inputs;
        let start = self.rows.cells.len();
        self.rows.cells.extend(std::iter::repeat_n(Cell::Missing, inputs.len()));
        let mut id = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == self.row.id_field {
                id = match map.next_value::<Value<'de>>()?.0 {
                    Cell::Missing => None,
                    Cell::Text(s) => Some(s),
                    Cell::Number(n) => Some(Cow::Owned(n.to_string())),
                    Cell::Flag(_) => return Err(fail()),
                };
            } else if let Some(j) = inputs.iter().position(|(c, _)| *c == key) {
                let Value(v) = map.next_value()?;
                if !v.fits(inputs[j].1) {
                    return Err(fail());
                }
                self.rows.cells[start + j] = v;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        self.rows.ids.push(id);
        Ok(())
    }
}

/// A scalar JSON value as a cell; objects and arrays are refused.
struct Value<'a>(Cell<'a>);

impl<'de> de::Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CellVisitor).map(Value)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Missing)
    }
    fn visit_none<E: de::Error>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Missing)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Cell<'de>, E> {
        Ok(Cell::Flag(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell<'de>, E> {
        Ok(Cell::Number(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell<'de>, E> {
        Ok(Cell::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cell<'de>, E> {
        serde_json::Number::from_f64(v).map(Cell::Number).ok_or_else(fail)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Owned(v.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Vec<(String, Expect)> {
        vec![
            ("source".into(), Expect::Text),
            ("calls".into(), Expect::Number(Default::default())),
            ("created_at".into(), Expect::Date(Default::default())),
        ]
    }

    #[test]
    fn a_well_formed_body_is_read_with_its_ids_and_cells() {
        let body = br#"{"explain": false, "leads": [
            {"lead_id": "L-1", "source": "web", "calls": 3, "noise": {"a": [1, 2]}, "created_at": "2026-09-01"},
            {"lead_id": 7, "source": "w\u00e9b", "calls": "2.5", "created_at": null}]}"#;
        let rows = read(body, &inputs(), "lead_id", "leads", "lead").expect("fast path");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows.explain, Some(false));
        assert_eq!(rows.ids[0].as_deref(), Some("L-1"));
        assert_eq!(rows.ids[1].as_deref(), Some("7"));
        assert_eq!(rows.cell(0, 1).text(), "3");
        assert_eq!(rows.cell(1, 0).text(), "wéb");
        assert_eq!(rows.cell(1, 1).text(), "2.5");
        assert_eq!(rows.cell(1, 2).text(), "");
        let t = rows.table(&inputs(), "leads");
        assert_eq!(t.columns[2], vec!["2026-09-01".to_string(), String::new()]);
    }

    #[test]
    fn anything_unusual_is_left_to_the_general_path() {
        let i = inputs();
        for body in [
            r#"{"leads": [{"calls": "three"}]}"#,
            r#"{"leads": [{"created_at": "yesterday"}]}"#,
            r#"{"leads": [{"created_at": 20260901}]}"#,
            r#"{"leads": [{"source": {"x": 1}}]}"#,
            r#"{"leads": [{"lead_id": true}]}"#,
            r#"{"leads": [3]}"#,
            r#"{"leads": []}"#,
            r#"{"leads": {"source": "web"}}"#,
            r#"{"explain": "yes", "lead": {}}"#,
            r#"{"other": 1}"#,
            r#"{"lead": {}} trailing"#,
            r#"{"lead": {"source": "web"}"#,
            r#"[]"#,
        ] {
            assert!(read(body.as_bytes(), &i, "lead_id", "leads", "lead").is_none(), "{body}");
        }
        let one = read(br#"{"lead": {"source": "web"}}"#, &i, "lead_id", "leads", "lead").expect("one lead");
        assert_eq!((one.len(), one.explain), (1, None));
    }

    #[test]
    fn a_number_string_is_read_as_the_model_column_wrote_numbers() {
        use crate::score::table::DecimalMark;
        let body = br#"{"lead": {"calls": "1.234,5"}}"#;
        let comma = vec![("calls".to_string(), Expect::Number(DecimalMark::Comma))];
        let rows = read(body, &comma, "lead_id", "leads", "lead").expect("a decimal comma in a comma column");
        assert_eq!(rows.cell(0, 0).text(), "1.234,5");
        // A column of points leaves it to the general path, which names the field.
        assert!(read(body, &inputs(), "lead_id", "leads", "lead").is_none());
    }
}
