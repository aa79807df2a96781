//! leadcast: lead scoring, revenue forecasting and talk-track recommendation for sales teams.
//!
//! The library is layered one way: `domain` (the contract's types) → `data` (loading,
//! validating and writing contract tables, importing real CRM exports) → `sim` (a simulated
//! sales organisation with ground truth). The CLI in `src/main.rs` is a thin shell over these
//! calls; see README.md, "Architecture", for the codemap and its invariants.

pub mod analytics;
pub mod catalog;
pub mod data;
pub mod domain;
pub mod error;
pub mod forecast;
pub mod registry;
pub mod score;
pub mod serve;
pub mod sim;
pub mod talktrack;

pub use error::{Error, Result};
