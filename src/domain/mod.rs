//! The data contract's types: enums for stages, statuses and outcomes, reporting periods, and
//! one typed record per contract table. Values of these types are valid by construction; the
//! parsing that gets them there lives in `data`.

mod period;
mod records;
pub mod zh;

pub use period::Period;
pub use records::*;

use std::fmt;
use std::str::FromStr;

/// Implements `as_str`, `Display`, `FromStr` and `ALL` for a fieldless enum whose wire names are
/// fixed by the data contract. A variant may also have a Chinese name (`Negotiation =
/// "negotiation" | "谈判审核"`). Parsing takes the wire name in any letter case (`Won`) and the
/// Chinese name, so a spreadsheet's capitalised or Chinese values read as what they mean.
macro_rules! wire_enum {
    (@zh) => { None };
    (@zh $zh:literal) => { Some($zh) };
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $wire:literal $(| $zh:literal)?),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in contract order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The name used in files and on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $wire),+ }
            }

            /// The Chinese name, where the contract gives one.
            pub fn chinese(self) -> Option<&'static str> {
                match self { $($name::$var => wire_enum!(@zh $($zh)?)),+ }
            }

            /// The accepted names, for error messages.
            pub fn expected() -> String {
                let zh: Vec<&str> = $name::ALL.iter().filter_map(|v| v.chinese()).collect();
                let en = [$($wire),+].join(", ");
                if zh.is_empty() { en } else { format!("{en}; or {}", zh.join(", ")) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        // The OpenAPI schema: a string of one of the wire names.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($wire => Ok($name::$var),)+
                    _ => $name::ALL
                        .iter()
                        .copied()
                        .find(|v| s.eq_ignore_ascii_case(v.as_str()) || v.chinese() == Some(s))
                        .ok_or_else(|| format!("unknown {} {:?} (expected one of: {})",
                            stringify!($name).to_lowercase(), s, $name::expected())),
                }
            }
        }
    };
}

wire_enum! {
    /// A step of the funnel from lead to cash. Opportunities move through `Discovery` to
    /// `Contract`; activities may also happen at `Lead` and `Collection`.
    Stage {
        Lead = "lead" | "线索获取",
        Discovery = "discovery" | "需求挖掘",
        Qualification = "qualification" | "商机转化",
        Negotiation = "negotiation" | "谈判审核",
        Contract = "contract" | "合同签订",
        Collection = "collection" | "回款管理",
    }
}

impl Stage {
    /// The stages an opportunity record can be in, in order.
    pub const PIPELINE: &'static [Stage] =
        &[Stage::Discovery, Stage::Qualification, Stage::Negotiation, Stage::Contract];

    /// Whether an opportunity's `stage` field may hold this value.
    pub fn is_pipeline(self) -> bool {
        Stage::PIPELINE.contains(&self)
    }

    /// The Chinese name a sales director uses for the stage.
    pub fn name_zh(self) -> &'static str {
        self.chinese().unwrap_or(self.as_str())
    }
}

wire_enum! {
    /// Where an opportunity stands.
    Status { Open = "open", Won = "won", Lost = "lost" }
}

impl Status {
    /// Won or lost: the deal is over and must carry `closed_at`.
    pub fn is_closed(self) -> bool {
        self != Status::Open
    }
}

wire_enum! {
    /// What a single activity (a call, a visit, an email) achieved.
    Outcome { Advanced = "advanced", NoChange = "no_change", Lost = "lost" }
}

wire_enum! {
    /// The objections a buyer raises, as the talk-track catalog names them.
    Objection {
        Price = "price" | "价格",
        Budget = "budget" | "预算",
        Timing = "timing" | "时机",
        Competitor = "competitor" | "竞品",
        Authority = "authority" | "决策权",
        Trust = "trust" | "信任",
    }
}

impl Objection {
    /// The Chinese name of the objection (价格异议 is "a price objection").
    pub fn name_zh(self) -> &'static str {
        self.chinese().unwrap_or(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>().unwrap(), *s);
        }
        for s in Status::ALL {
            assert_eq!(s.to_string().parse::<Status>().unwrap(), *s);
        }
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), *o);
        }
    }

    #[test]
    fn unknown_names_say_what_is_expected() {
        let err = "Closed Won".parse::<Status>().unwrap_err();
        assert!(err.contains("\"Closed Won\"") && err.contains("open, won, lost"), "{err}");
        let err = "closing".parse::<Stage>().unwrap_err();
        assert!(err.contains("negotiation") && err.contains("谈判审核"), "{err}");
    }

    #[test]
    fn any_letter_case_and_chinese_names_read() {
        assert_eq!("Won".parse::<Status>(), Ok(Status::Won));
        assert_eq!("NO_CHANGE".parse::<Outcome>(), Ok(Outcome::NoChange));
        assert_eq!("Negotiation".parse::<Stage>(), Ok(Stage::Negotiation));
        for s in Stage::ALL {
            assert_eq!(s.name_zh().parse::<Stage>(), Ok(*s));
        }
        assert_eq!("价格".parse::<Objection>(), Ok(Objection::Price));
        assert!("谈判".parse::<Stage>().is_err() && "won ".parse::<Status>().is_err());
    }
}
