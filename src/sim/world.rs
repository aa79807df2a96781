//! The laws of a simulated sales organisation: who sells, what converts, what a talk track
//! does where. Drawn once from the world number (`--world`), identical for every `--seed`, so a
//! model trained on one seed's history can be judged against another seed's truth.

use crate::catalog::Catalog;
use crate::domain::{Objection, Stage};
use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::collections::BTreeMap;

/// A category with its share of volume and its effect on the log-odds of conversion.
#[derive(Debug, Clone)]
pub struct Level {
    pub name: &'static str,
    pub share: f64,
    pub effect: f64,
}

/// A product: list price distribution (log-normal) and how hard it is to win.
#[derive(Debug, Clone)]
pub struct Product {
    pub name: &'static str,
    pub log_price: f64,
    pub sigma: f64,
    pub loss_effect: f64,
}

/// A rep: where they sit, when they joined, how good they are.
#[derive(Debug, Clone)]
pub struct RepLaw {
    pub rep_id: String,
    pub name: String,
    pub team: String,
    pub region: &'static str,
    pub manager_id: String,
    pub hired_at: NaiveDate,
    /// Standardised skill: raises lead conversion, advance rates, lowers losses.
    pub skill: f64,
    /// Tendency to discount (0 = never, 1 = often and deep).
    pub discounting: f64,
    /// How optimistic the rep's close-date estimates are (< 1 = too early).
    pub optimism: f64,
    /// The rep's beliefs about each track (true logit + a personal error): their logging policy.
    pub track_belief: Vec<f64>,
}

pub const STAGES_WORKED: [Stage; 5] =
    [Stage::Discovery, Stage::Qualification, Stage::Negotiation, Stage::Contract, Stage::Collection];
pub const MAX_TOUCHES: u32 = 10;
pub const DISCOUNTS: [f64; 6] = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0];

/// The laws of one simulated world.
#[derive(Debug, Clone)]
pub struct World {
    pub id: u64,
    pub sources: Vec<Level>,
    pub industries: Vec<Level>,
    pub sizes: Vec<Level>,
    pub personas: Vec<Level>,
    pub regions: Vec<Level>,
    pub products: Vec<Product>,
    pub reps: Vec<RepLaw>,
    pub catalog: Catalog,
    /// Track index → (base, per-persona, per-industry) effects on the advance log-odds.
    track_base: Vec<f64>,
    track_persona: Vec<Vec<f64>>,
    track_industry: Vec<Vec<f64>>,
    /// Per-industry multiplier of deal size (index into `industries`).
    pub industry_size: Vec<f64>,
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn lv(name: &'static str, share: f64, effect: f64) -> Level {
    Level { name, share, effect }
}

impl World {
    /// The world number `id` with `n_reps` reps; `as_of` anchors hire dates.
    pub fn new(id: u64, n_reps: usize, as_of: NaiveDate, history_start: NaiveDate) -> World {
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_0f1a_u64 ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let n = Normal::new(0.0, 1.0).expect("unit normal");
        let jitter = |rng: &mut ChaCha8Rng, x: f64, sd: f64| if id == 0 { x } else { x + sd * n.sample(rng) };
        let levels = |rng: &mut ChaCha8Rng, v: Vec<Level>| -> Vec<Level> {
            v.into_iter().map(|l| Level { effect: jitter(rng, l.effect, 0.25), ..l }).collect()
        };
        // Channel quality: referrals convert best, cold visits and paid ads worst.
        let sources = levels(
            &mut rng,
            vec![
                lv("cold_visit", 0.20, -0.9),
                lv("referral", 0.12, 1.0),
                lv("inbound", 0.22, 0.45),
                lv("event", 0.14, 0.1),
                lv("partner", 0.12, 0.55),
                lv("paid_ads", 0.20, -0.55),
            ],
        );
        let industries = levels(
            &mut rng,
            vec![
                lv("manufacturing", 0.26, 0.15),
                lv("retail", 0.18, -0.2),
                lv("finance", 0.14, 0.25),
                lv("technology", 0.16, 0.3),
                lv("healthcare", 0.10, -0.1),
                lv("education", 0.08, -0.35),
                lv("logistics", 0.08, 0.0),
            ],
        );
        let sizes = levels(
            &mut rng,
            vec![
                lv("1-50", 0.30, -0.35),
                lv("51-200", 0.28, 0.0),
                lv("201-1000", 0.22, 0.2),
                lv("1001-5000", 0.13, 0.1),
                lv("5000+", 0.07, -0.15),
            ],
        );
        let personas = levels(
            &mut rng,
            vec![
                lv("manager", 0.32, 0.2),
                lv("end_user", 0.24, -0.3),
                lv("executive", 0.14, 0.45),
                lv("procurement", 0.15, -0.1),
                lv("finance", 0.15, 0.0),
            ],
        );
        let regions =
            vec![lv("east", 0.32, 0.1), lv("south", 0.26, 0.0), lv("north", 0.24, -0.05), lv("west", 0.18, -0.1)];
        let products = vec![
            Product { name: "CRM Starter", log_price: 8_000f64.ln(), sigma: 0.35, loss_effect: -0.3 },
            Product { name: "CRM Pro", log_price: 28_000f64.ln(), sigma: 0.45, loss_effect: 0.0 },
            Product { name: "Analytics Suite", log_price: 55_000f64.ln(), sigma: 0.5, loss_effect: 0.15 },
            Product { name: "Enterprise Platform", log_price: 140_000f64.ln(), sigma: 0.6, loss_effect: 0.45 },
            Product { name: "Implementation Services", log_price: 24_000f64.ln(), sigma: 0.55, loss_effect: -0.1 },
            Product { name: "Support Plus", log_price: 11_000f64.ln(), sigma: 0.4, loss_effect: -0.2 },
        ];
        let industry_size = industries.iter().map(|_| (0.25 * n.sample(&mut rng)).exp()).collect();

        let catalog = Catalog::builtin();
        let k = catalog.len();
        let track_base: Vec<f64> = (0..k).map(|_| 0.45 * n.sample(&mut rng)).collect();
        let track_persona: Vec<Vec<f64>> =
            (0..k).map(|_| (0..personas.len()).map(|_| 0.4 * n.sample(&mut rng)).collect()).collect();
        let track_industry: Vec<Vec<f64>> =
            (0..k).map(|_| (0..industries.len()).map(|_| 0.3 * n.sample(&mut rng)).collect()).collect();

        // Reps: spread over the regions and two teams per region; most hired before the history
        // starts, a fifth hired during it (they ramp up).
        let span = (as_of - history_start).num_days().max(1);
        let mut reps = Vec::with_capacity(n_reps);
        for i in 0..n_reps {
            let region = regions[i % regions.len()].name;
            let team_no = (i / regions.len()) % 2 + 1;
            let hired_at = if rng.random::<f64>() < 0.2 {
                history_start + chrono::Duration::days(rng.random_range(0..span * 3 / 4))
            } else {
                history_start - chrono::Duration::days(rng.random_range(200..2500))
            };
            let skill = n.sample(&mut rng);
            let belief_noise: Vec<f64> = (0..k).map(|_| 0.6 * n.sample(&mut rng)).collect();
            reps.push(RepLaw {
                rep_id: format!("R{:03}", i + 1),
                name: rep_name(i),
                team: format!("{region}-{team_no}"),
                region,
                manager_id: format!("M-{region}-{team_no}"),
                hired_at,
                skill,
                discounting: rng.random::<f64>(),
                optimism: 0.65 + 0.35 * rng.random::<f64>(),
                track_belief: belief_noise,
            });
        }
        let mut w = World {
            id,
            sources,
            industries,
            sizes,
            personas,
            regions,
            products,
            reps,
            catalog,
            track_base,
            track_persona,
            track_industry,
            industry_size,
        };
        for r in 0..w.reps.len() {
            for t in 0..k {
                w.reps[r].track_belief[t] += w.track_logit_mean(t);
            }
        }
        w
    }

    fn track_logit_mean(&self, t: usize) -> f64 {
        let tr = &self.catalog.tracks()[t];
        stage_base(tr.stage) + self.track_base[t]
    }

    /// The true probability that track `t` advances a deal in this context, for a fully
    /// ramped rep of average skill.
    pub fn advance_probability(&self, t: usize, persona: usize, industry: usize, objection: Option<Objection>) -> f64 {
        let tr = &self.catalog.tracks()[t];
        let obj = if objection.is_some() { -0.35 } else { 0.0 };
        sigmoid(
            stage_base(tr.stage)
                + obj
                + self.track_base[t]
                + self.track_persona[t][persona]
                + self.track_industry[t][industry],
        )
    }

    /// Candidate track indices for a stage and objection.
    pub fn candidates(&self, stage: Stage, objection: Option<Objection>) -> Vec<usize> {
        self.catalog.tracks().iter().enumerate().filter(|(_, t)| t.applies(stage, objection)).map(|(i, _)| i).collect()
    }

    /// How likely each objection (and none, as `None`) is at a stage for a persona.
    pub fn objection_probs(&self, stage: Stage, persona: usize) -> Vec<(Option<Objection>, f64)> {
        use Objection::*;
        let p = self.personas[persona].name;
        let base: &[(Objection, f64)] = match stage {
            Stage::Lead => &[(Trust, 0.2), (Timing, 0.2)],
            Stage::Discovery => &[(Timing, 0.15), (Competitor, 0.15)],
            Stage::Qualification => &[(Authority, 0.16), (Budget, 0.16)],
            Stage::Negotiation => &[(Price, 0.24), (Budget, 0.1), (Competitor, 0.12)],
            Stage::Contract => &[(Timing, 0.15), (Authority, 0.15)],
            Stage::Collection => &[(Budget, 0.22)],
        };
        let mut out: Vec<(Option<Objection>, f64)> = base
            .iter()
            .map(|&(o, q)| {
                let m = match (p, o) {
                    ("finance" | "procurement", Price | Budget) => 1.6,
                    ("executive", Timing) => 1.4,
                    ("executive", Authority) => 0.4,
                    ("end_user", Authority | Trust) => 1.5,
                    _ => 1.0,
                };
                (Some(o), q * m)
            })
            .collect();
        let total: f64 = out.iter().map(|x| x.1).sum();
        out.push((None, (1.0 - total).max(0.2)));
        let z: f64 = out.iter().map(|x| x.1).sum();
        out.iter_mut().for_each(|x| x.1 /= z);
        out
    }

    /// The rep's logging policy over candidate tracks: softmax of their beliefs.
    pub fn policy(&self, rep: usize, candidates: &[usize]) -> Vec<f64> {
        let b = &self.reps[rep].track_belief;
        let m = candidates.iter().map(|&t| b[t]).fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = candidates.iter().map(|&t| (1.5 * (b[t] - m)).exp()).collect();
        let z: f64 = w.iter().sum();
        w.into_iter().map(|x| x / z).collect()
    }

    /// A rep's advance multiplier at a date: skill, and ramp-up over the first six months.
    pub fn rep_multiplier(&self, rep: usize, at: NaiveDate) -> f64 {
        let r = &self.reps[rep];
        let tenure = (at - r.hired_at).num_days().max(0) as f64;
        let ramp = 0.7 + 0.3 * (tenure / 180.0).min(1.0);
        (0.12 * r.skill).exp() * ramp
    }

    /// Which persona a touch at `stage` reaches, given the deal's main persona: mostly the
    /// main contact; procurement and finance join late.
    pub fn touch_persona_probs(&self, stage: Stage, main: usize) -> Vec<f64> {
        let mut p = vec![0.0; self.personas.len()];
        let stay = match stage {
            Stage::Negotiation | Stage::Contract => 0.6,
            Stage::Collection => 0.4,
            _ => 0.85,
        };
        p[main] += stay;
        let late: &[&str] = match stage {
            Stage::Negotiation | Stage::Contract => &["procurement", "finance", "executive"],
            Stage::Collection => &["finance"],
            _ => &["manager", "end_user"],
        };
        let idx: Vec<usize> = late.iter().filter_map(|n| self.personas.iter().position(|x| x.name == *n)).collect();
        for &i in &idx {
            p[i] += (1.0 - stay) / idx.len() as f64;
        }
        p
    }

    /// The expected per-touch advance probability at a stage for a deal, over the personas it
    /// reaches, the objections they raise and the tracks the rep picks.
    pub fn mean_advance(&self, stage: Stage, main_persona: usize, industry: usize, rep: usize, mult: f64) -> f64 {
        let mut total = 0.0;
        for (persona, pp) in self.touch_persona_probs(stage, main_persona).into_iter().enumerate() {
            if pp == 0.0 {
                continue;
            }
            for (obj, po) in self.objection_probs(stage, persona) {
                let cands = self.candidates(stage, obj);
                let pol = self.policy(rep, &cands);
                let a: f64 = cands
                    .iter()
                    .zip(&pol)
                    .map(|(&t, &w)| w * touch_advance(self.advance_probability(t, persona, industry, obj), mult))
                    .sum();
                total += pp * po * a;
            }
        }
        total
    }

    /// Season multiplier of lead volume in a month: strong Q4, Chinese New Year dip in Q1.
    pub fn lead_season(date: NaiveDate) -> f64 {
        match date.month() {
            1 => 0.8,
            2 => 0.6,
            3 => 1.05,
            4..=6 => 1.0,
            7 | 8 => 0.9,
            9 => 1.1,
            10 => 1.2,
            11 => 1.15,
            12 => 0.95,
            _ => 1.0,
        }
    }

    /// Per-touch loss probability of a deal at a stage.
    pub fn loss_probability(&self, stage: Stage, x: &DealLaw, discount: f64) -> f64 {
        let base = match stage {
            Stage::Discovery => -2.05,
            Stage::Qualification => -2.0,
            Stage::Negotiation => -2.0,
            Stage::Contract => -2.5,
            _ => -9.0,
        };
        let disc = if matches!(stage, Stage::Negotiation | Stage::Contract) { -0.04 * discount } else { 0.0 };
        sigmoid(base + x.loss_shift + disc)
    }
}

/// Per-touch advance probability of a track for a rep with multiplier `mult`.
pub fn touch_advance(p: f64, mult: f64) -> f64 {
    (p * mult).min(0.8)
}

fn stage_base(stage: Stage) -> f64 {
    match stage {
        Stage::Lead => -1.6,
        Stage::Discovery => -1.05,
        Stage::Qualification => -1.2,
        Stage::Negotiation => -1.3,
        Stage::Contract => -0.95,
        Stage::Collection => -0.7,
    }
}

/// What fixes a deal's chances when it is created.
#[derive(Debug, Clone)]
pub struct DealLaw {
    pub rep: usize,
    pub persona: usize,
    pub industry: usize,
    pub mult: f64,
    /// Added to every stage's loss log-odds: product, size, channel, rep skill.
    pub loss_shift: f64,
    /// Probability of each discount in [`DISCOUNTS`].
    pub discount_probs: [f64; 6],
}

impl World {
    /// The law of a deal from what is known when it is created.
    /// `price_z` is how many standard deviations the deal's list price is above its product's
    /// typical price.
    #[allow(clippy::too_many_arguments)]
    pub fn deal_law(
        &self,
        rep: usize,
        persona: usize,
        industry: usize,
        size: usize,
        source: usize,
        product: usize,
        price_z: f64,
        created: NaiveDate,
    ) -> DealLaw {
        let p = &self.products[product];
        let loss_shift = 1.4 * p.loss_effect + 0.25 * price_z.clamp(-3.0, 3.0)
            - 0.6 * self.sources[source].effect.clamp(-1.5, 1.5)
            - 0.8 * self.sizes[size].effect
            - 0.35 * self.reps[rep].skill
            - 0.3 * self.industries[industry].effect;
        let d = self.reps[rep].discounting;
        let mut w = [1.0 - 0.6 * d, 0.8, 0.6 + 0.4 * d, 0.3 + 0.5 * d, 0.1 + 0.4 * d, 0.05 + 0.3 * d * d];
        let z: f64 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= z);
        DealLaw { rep, persona, industry, mult: self.rep_multiplier(rep, created), loss_shift, discount_probs: w }
    }

    /// Probability that a deal advances out of `stage` before it is lost or goes stale, given
    /// its mean per-touch advance probability `a` there. Touches are independent given the
    /// deal, so this is a race of `a` against the loss probability over at most
    /// [`MAX_TOUCHES`] touches.
    pub fn stage_pass(&self, stage: Stage, x: &DealLaw, a: f64, discount: f64) -> f64 {
        let l = self.loss_probability(stage, x, discount);
        let n = (1.0 - a - l).max(0.0);
        a * (1.0 - n.powi(MAX_TOUCHES as i32)) / (1.0 - n).max(1e-12)
    }

    /// The true probability, at creation, that a deal is eventually won: the product of its
    /// stage passes, averaged over the discount it will be given.
    pub fn win_probability(&self, x: &DealLaw) -> f64 {
        let a = |s: Stage| self.mean_advance(s, x.persona, x.industry, x.rep, x.mult);
        let early = self.stage_pass(Stage::Discovery, x, a(Stage::Discovery), 0.0)
            * self.stage_pass(Stage::Qualification, x, a(Stage::Qualification), 0.0);
        let (a_neg, a_con) = (a(Stage::Negotiation), a(Stage::Contract));
        let late: f64 = DISCOUNTS
            .iter()
            .zip(x.discount_probs)
            .map(|(&d, p)| {
                p * self.stage_pass(Stage::Negotiation, x, a_neg, d) * self.stage_pass(Stage::Contract, x, a_con, d)
            })
            .sum();
        early * late
    }

    /// Every (context, track) advance probability, for `truth/talk_track_effects.csv`, ordered.
    pub fn talk_track_effects(&self) -> Vec<super::TalkTrackEffect> {
        let mut out = Vec::new();
        let mut stages: BTreeMap<Stage, ()> = BTreeMap::new();
        for t in self.catalog.tracks() {
            stages.insert(t.stage, ());
        }
        for &stage in stages.keys() {
            let mut objections: Vec<Option<Objection>> = vec![None];
            for t in self.catalog.tracks().iter().filter(|t| t.stage == stage) {
                if t.objection.is_some() && !objections.contains(&t.objection) {
                    objections.push(t.objection);
                }
            }
            for (pi, p) in self.personas.iter().enumerate() {
                for (ii, ind) in self.industries.iter().enumerate() {
                    for &obj in &objections {
                        for t in self.candidates(stage, obj) {
                            let id = self.catalog.tracks()[t].id.clone();
                            out.push((stage, p.name, ind.name, obj, id, self.advance_probability(t, pi, ii, obj)));
                        }
                    }
                }
            }
        }
        out
    }
}

fn rep_name(i: usize) -> String {
    const SURNAMES: [&str; 20] = [
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林",
        "高", "罗",
    ];
    const GIVEN: [&str; 16] =
        ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "晨"];
    format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i * 7 + i / SURNAMES.len()) % GIVEN.len()])
}
