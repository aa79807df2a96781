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
/// fixed by the data contract.
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $wire:literal),+ $(,)? }) => {
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

            /// The accepted names, for error messages.
            pub fn expected() -> String {
                [$($wire),+].join(", ")
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
                    _ => Err(format!("unknown {} {:?} (expected one of: {})",
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
        /// 线索获取
        Lead = "lead",
        /// 需求挖掘
        Discovery = "discovery",
        /// 商机转化
        Qualification = "qualification",
        /// 谈判审核
        Negotiation = "negotiation",
        /// 合同签订
        Contract = "contract",
        /// 回款管理
        Collection = "collection",
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
        match self {
            Stage::Lead => "线索获取",
            Stage::Discovery => "需求挖掘",
            Stage::Qualification => "商机转化",
            Stage::Negotiation => "谈判审核",
            Stage::Contract => "合同签订",
            Stage::Collection => "回款管理",
        }
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
        Price = "price",
        Budget = "budget",
        Timing = "timing",
        Competitor = "competitor",
        Authority = "authority",
        Trust = "trust",
    }
}

impl Objection {
    /// The Chinese name of the objection (价格异议 is "a price objection").
    pub fn name_zh(self) -> &'static str {
        match self {
            Objection::Price => "价格",
            Objection::Budget => "预算",
            Objection::Timing => "时机",
            Objection::Competitor => "竞品",
            Objection::Authority => "决策权",
            Objection::Trust => "信任",
        }
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
        let err = "Won".parse::<Status>().unwrap_err();
        assert!(err.contains("\"Won\"") && err.contains("open, won, lost"), "{err}");
        assert!("closing".parse::<Stage>().is_err());
    }
}
