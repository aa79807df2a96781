//! Notes on a forecast — a fallback taken, an assumption made — in English and in Chinese.
//!
//! A note is written once, in both languages, where it arises; the CLI's `--lang zh` tables
//! show the Chinese. On the wire (the API's JSON, saved models) a note is its English text
//! alone, as it was before notes had a Chinese side: read back, the Chinese is the English.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub en: String,
    pub zh: String,
}

impl Note {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Note {
        Note { en: en.into(), zh: zh.into() }
    }

    /// The note under a heading: what it is about (`new business: `, `新增商机：`).
    pub fn within(self, en: &str, zh: &str) -> Note {
        Note { en: format!("{en}{}", self.en), zh: format!("{zh}{}", self.zh) }
    }

    /// The text in Chinese (`zh`) or English.
    pub fn text(&self, zh: bool) -> &str {
        if zh { &self.zh } else { &self.en }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl Serialize for Note {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.en)
    }
}

impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Note, D::Error> {
        let en = String::deserialize(d)?;
        Ok(Note { zh: en.clone(), en })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_its_english_text_on_the_wire() {
        let n = Note::new("values ≤ 0", "存在 ≤ 0 的值").within("new business: ", "新增商机：");
        assert_eq!(n.text(true), "新增商机：存在 ≤ 0 的值");
        assert_eq!(n.to_string(), "new business: values ≤ 0");
        let json = serde_json::to_string(&vec![n]).unwrap();
        assert_eq!(json, r#"["new business: values ≤ 0"]"#);
        let back: Vec<Note> = serde_json::from_str(&json).unwrap();
        assert_eq!(back[0].en, "new business: values ≤ 0");
        assert_eq!(back[0].zh, back[0].en);
    }
}
