//! The simulator: a complete, valid data directory of a simulated B2B sales organisation, with
//! `truth/` holding what no real CRM has — each lead's true conversion probability, each
//! opportunity's true win probability, each talk track's true effect in each context, and the
//! bookings that actually closed after `--as-of`.
//!
//! `world` holds the laws (fixed by `--world`), `history` plays them forward (drawn from
//! `--seed`). The same configuration gives the same bytes on every run and every machine: one
//! seeded ChaCha stream, no hash-map iteration on the output path, fixed number formatting.
//! Training never reads `truth/`.

mod history;
pub mod world;

use crate::data::write::{money, write_csv, write_dir};
use crate::domain::{Dataset, Objection, Period, Stage, Status};
use crate::{Error, Result};
use chrono::NaiveDate;
use std::path::Path;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Draws the history (leads, deals, touches, outcomes).
    pub seed: u64,
    /// Fixes the laws (conversion function, channel and rep quality, talk-track effects).
    pub world: u64,
    /// About how many leads arrive between the start of the history and `as_of`.
    pub leads: usize,
    pub reps: usize,
    /// Quarters of history ending with the quarter of `as_of`.
    pub quarters: u32,
    /// The day the export is taken: nothing after it is in the data.
    pub as_of: NaiveDate,
    /// Re-draws only what happens after `as_of`, from this seed: runs with the same `seed` and
    /// different future seeds share their history (every contract table is the same) and differ
    /// in `truth/` — the spread of outcomes that no model of that history could foresee. The
    /// history is not the one drawn without a future seed (the stream of the history no longer
    /// carries the future's draws). What was drawn when a lead or deal was created stays fixed
    /// (whether the lead converts, the deal's eventual discount), so the spread is a lower bound.
    pub future_seed: Option<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            world: 0,
            leads: 50_000,
            reps: 40,
            quarters: 12,
            as_of: NaiveDate::from_ymd_opt(2026, 9, 30).expect("valid date"),
            future_seed: None,
        }
    }
}

impl SimConfig {
    /// Rejects configurations that cannot make a sensible world.
    pub fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidArgument(m.to_string()));
        if self.reps < 4 {
            return bad("--reps must be at least 4 (one per region)");
        }
        if self.reps > 10_000 {
            return bad("--reps must be at most 10,000");
        }
        if self.leads == 0 || self.leads > 50_000_000 {
            return bad("--leads must be between 1 and 50,000,000");
        }
        if !(1..=80).contains(&self.quarters) {
            return bad("--quarters must be between 1 and 80");
        }
        if self.as_of.year_ce().1 < 1900 || self.as_of.year_ce().1 > 9000 {
            return bad("--as-of must be between 1900 and 9000");
        }
        Ok(())
    }
}

use chrono::Datelike as _;

#[derive(Debug, Clone, PartialEq)]
pub struct TruthLead {
    pub lead_id: String,
    pub true_probability: f64,
    /// Whether the lead converts at some point (the data may not show it yet at `as_of`).
    pub converted_eventually: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TruthOpportunity {
    pub opportunity_id: String,
    /// The probability, when the deal was created, that it would be won.
    pub true_win_probability: f64,
    /// How the deal ended (or `open` if still open at the end of the truth horizon).
    pub final_status: Status,
    pub final_closed_at: Option<NaiveDate>,
    /// The owner's multiplier on every talk track's advance probability in this deal (skill,
    /// ramp-up at creation): a touch advances with min(effect × multiplier, 0.8), where effect
    /// is the track's row in `talk_track_effects.csv`.
    pub advance_multiplier: f64,
}

/// (stage, persona, industry, objection, talk_track_id, advance probability).
pub type TalkTrackEffect = (Stage, &'static str, &'static str, Option<Objection>, String, f64);

/// What the simulator knows and a CRM never does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Truth {
    pub leads: Vec<TruthLead>,
    pub opportunities: Vec<TruthOpportunity>,
    /// (stage, persona, industry, objection, talk_track_id, advance probability).
    pub talk_track_effects: Vec<TalkTrackEffect>,
    /// (rep_id, quarter, closed-won amount in the whole quarter), for the quarters after as_of.
    pub bookings: Vec<(String, Period, f64)>,
}

/// A simulated data directory and its truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub dataset: Dataset,
    pub truth: Truth,
}

/// Simulates a sales organisation.
pub fn simulate(cfg: &SimConfig) -> Result<Simulation> {
    cfg.check()?;
    Ok(history::run(cfg))
}

/// Writes the contract tables to `dir` and the truth to `dir/truth/`.
pub fn write(dir: &Path, sim: &Simulation) -> Result<()> {
    write_dir(dir, &sim.dataset)?;
    let t = dir.join("truth");
    std::fs::create_dir_all(&t).map_err(|e| Error::io(&t, e))?;
    let p = |x: f64| format!("{x:.6}");
    write_csv(
        &t.join("leads.csv"),
        &["lead_id", "true_probability", "converted_eventually"],
        sim.truth
            .leads
            .iter()
            .map(|l| vec![l.lead_id.clone(), p(l.true_probability), (l.converted_eventually as u8).to_string()]),
    )?;
    write_csv(
        &t.join("opportunities.csv"),
        &["opportunity_id", "true_win_probability", "final_status", "final_closed_at", "advance_multiplier"],
        sim.truth.opportunities.iter().map(|o| {
            vec![
                o.opportunity_id.clone(),
                p(o.true_win_probability),
                o.final_status.to_string(),
                o.final_closed_at.map(|d| d.to_string()).unwrap_or_default(),
                p(o.advance_multiplier),
            ]
        }),
    )?;
    write_csv(
        &t.join("talk_track_effects.csv"),
        &["stage", "persona", "industry", "objection", "talk_track_id", "advance_probability"],
        sim.truth.talk_track_effects.iter().map(|(s, pe, i, o, id, a)| {
            vec![
                s.to_string(),
                pe.to_string(),
                i.to_string(),
                o.map(|o| o.to_string()).unwrap_or_default(),
                id.clone(),
                p(*a),
            ]
        }),
    )?;
    write_csv(
        &t.join("bookings.csv"),
        &["rep_id", "period", "amount"],
        sim.truth.bookings.iter().map(|(r, q, a)| vec![r.clone(), q.to_string(), money(*a)]),
    )
}
