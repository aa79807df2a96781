//! Serde for the contract enums (`Stage`, `Objection`, `Outcome`) by their wire names, so the
//! model file and the decision log read like the data contract.

macro_rules! by_name {
    ($modname:ident, $t:ty) => {
        pub mod $modname {
            use serde::{Deserialize, Deserializer, Serializer};
            use std::str::FromStr;

            pub fn serialize<S: Serializer>(v: &$t, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(v.as_str())
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::from_str(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

by_name!(stage, crate::domain::Stage);
by_name!(outcome, crate::domain::Outcome);

/// `Option<Objection>`: `null` (or an empty string) when no objection was raised.
pub mod objection {
    use crate::domain::Objection;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    pub fn serialize<S: Serializer>(v: &Option<Objection>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(o) => s.serialize_str(o.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Objection>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => Objection::from_str(&s).map(Some).map_err(serde::de::Error::custom),
        }
    }
}
