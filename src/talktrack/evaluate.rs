//! How good the talk-track policy is:
//!
//! - **Off policy, on logs** (`off_policy`): the value (advance rate) of the model's greedy
//!   policy estimated from touches the reps logged under their own policy, by inverse
//!   propensity scoring (IPS; Horvitz & Thompson 1952) and doubly robust estimation (DR;
//!   Dudík, Langford & Li, "Doubly Robust Policy Evaluation and Learning", ICML 2011), each with
//!   a normal 95% interval. The logging propensities are estimated from the data: per rep and
//!   stage × objection, the share of each track, shrunk towards the stage × objection share
//!   (reps pick tracks by their own habits, so the rep is the logging policy's context).
//! - **Against the truth** (`against_truth`, simulated worlds): in every context of
//!   `truth/talk_track_effects.csv`, whether the model's top track is the true best (or within
//!   1 percentage point of it) and the regret in advance probability.
//! - **Online** (`simulate_online`): a seeded run of decisions drawn from the data's contexts,
//!   rewarded by the true probabilities, for the learned model (Thompson sampling, learning as
//!   it goes), a cold-start bandit, uniform random and the oracle; cumulative expected regret.
//!
//! Nothing here reads files: the truth arrives as rows, the logs as activities.

use super::model::{TalkTrackModel, advanced};
use super::recommend::{Context, sample_scaled};
use crate::domain::{Activity, Objection, Stage};
use crate::{Error, Result};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One row of `truth/talk_track_effects.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthRow {
    pub stage: Stage,
    pub persona: String,
    pub industry: String,
    pub objection: Option<Objection>,
    pub talk_track_id: String,
    pub advance_probability: f64,
}

type Key = (Stage, String, String, Option<Objection>);

/// The truth by context: (track index, true advance probability) per candidate, for a fully
/// ramped rep of average skill; and, when the world records it, each deal's multiplier on
/// those probabilities (its owner's skill and ramp-up: a touch advances with
/// min(probability × multiplier, 0.8), the simulator's law).
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub contexts: BTreeMap<Key, Vec<(usize, f64)>>,
    pub multipliers: HashMap<String, f64>,
}

/// The simulator's cap on a touch's advance probability.
const MAX_ADVANCE: f64 = 0.8;

impl Truth {
    /// Indexes truth rows by the model's tracks; a track the model does not know is an error
    /// (the truth belongs to another catalog).
    pub fn new(model: &TalkTrackModel, rows: &[TruthRow]) -> Result<Truth> {
        let mut t = Truth::default();
        for r in rows {
            let i = model.track_index(&r.talk_track_id).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "the truth names talk track {:?}, which the model's catalog lacks (another catalog?)",
                    r.talk_track_id
                ))
            })?;
            t.contexts
                .entry((r.stage, r.persona.clone(), r.industry.clone(), r.objection))
                .or_default()
                .push((i, r.advance_probability));
        }
        Ok(t)
    }

    /// Adds the deals' advance multipliers (`truth/opportunities.csv`).
    pub fn with_multipliers(mut self, multipliers: HashMap<String, f64>) -> Truth {
        self.multipliers = multipliers;
        self
    }

    /// The true advance probability of track `p`'s effect in the deal `opportunity_id`
    /// (an average rep's when the deal's multiplier is unknown).
    fn for_deal(&self, p: f64, opportunity_id: &str) -> f64 {
        match self.multipliers.get(opportunity_id) {
            Some(m) => (p * m).min(MAX_ADVANCE),
            None => p,
        }
    }

    fn get(
        &self,
        stage: Stage,
        persona: &str,
        industry: &str,
        objection: Option<Objection>,
    ) -> Option<&Vec<(usize, f64)>> {
        self.contexts.get(&(stage, persona.to_string(), industry.to_string(), objection))
    }
}

impl TalkTrackModel {
    /// The context the model answers for a logged or simulated one (unknown values dropped).
    pub fn known_context(
        &self,
        stage: Stage,
        persona: Option<&str>,
        industry: Option<&str>,
        objection: Option<Objection>,
    ) -> Context {
        Context {
            stage,
            persona: persona.filter(|p| self.personas.contains(*p)).map(String::from),
            industry: industry.filter(|i| self.industries.contains(*i)).map(String::from),
            objection,
        }
    }

    /// The greedy policy's track in a context (None when no track applies).
    pub fn best_track(&self, ctx: &Context) -> Option<usize> {
        self.rank(ctx).first().map(|s| s.track)
    }
}

/// A point estimate with a 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Estimate {
    fn of(xs: &[f64]) -> Estimate {
        let n = xs.len().max(1) as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0).max(1.0);
        let h = 1.96 * (v / n).sqrt();
        Estimate { value: m, lo: m - h, hi: m + h }
    }

    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// A logged touch usable for evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub stage: Stage,
    pub persona: Option<String>,
    pub industry: Option<String>,
    pub objection: Option<Objection>,
    pub track: usize,
    pub reward: f64,
    pub rep: Option<String>,
    pub opportunity_id: String,
    pub at: NaiveDate,
}

/// The activities that name a catalog track used at its own stage, with their rep.
pub fn logged(model: &TalkTrackModel, activities: &[Activity], owner: &HashMap<String, String>) -> Vec<Logged> {
    activities
        .iter()
        .filter_map(|a| {
            let t = model.track_index(a.talk_track_id.as_deref()?)?;
            let tr = &model.tracks[t];
            (tr.stage == a.stage && tr.objection == a.objection).then(|| Logged {
                stage: a.stage,
                persona: a.persona.clone(),
                industry: a.industry.clone(),
                objection: a.objection,
                track: t,
                reward: if advanced(a.outcome) { 1.0 } else { 0.0 },
                rep: owner.get(&a.opportunity_id).cloned(),
                opportunity_id: a.opportunity_id.clone(),
                at: a.at,
            })
        })
        .collect()
}

/// The reps' logging policy, estimated from logged touches: per rep and stage × objection,
/// track shares shrunk towards the stage × objection shares with `SHRINK` pseudo-touches.
#[derive(Debug, Clone, Default)]
pub struct LoggingPolicy {
    track: HashMap<usize, f64>,
    group: HashMap<(Stage, Option<Objection>), f64>,
    rep_track: HashMap<(String, usize), f64>,
    rep_group: HashMap<(String, Stage, Option<Objection>), f64>,
    n_candidates: HashMap<(Stage, Option<Objection>), f64>,
}

const SHRINK: f64 = 5.0;

impl LoggingPolicy {
    pub fn estimate(model: &TalkTrackModel, logs: &[Logged]) -> LoggingPolicy {
        let mut p = LoggingPolicy::default();
        for l in logs {
            *p.track.entry(l.track).or_default() += 1.0;
            *p.group.entry((l.stage, l.objection)).or_default() += 1.0;
            if let Some(r) = &l.rep {
                *p.rep_track.entry((r.clone(), l.track)).or_default() += 1.0;
                *p.rep_group.entry((r.clone(), l.stage, l.objection)).or_default() += 1.0;
            }
            p.n_candidates
                .entry((l.stage, l.objection))
                .or_insert_with(|| model.candidates(l.stage, l.objection).len() as f64);
        }
        p
    }

    /// The estimated probability that the logging policy picked `l.track` for `l`.
    pub fn propensity(&self, l: &Logged) -> f64 {
        let g = (l.stage, l.objection);
        let k = self.n_candidates.get(&g).copied().unwrap_or(1.0).max(1.0);
        let marginal =
            (self.track.get(&l.track).copied().unwrap_or(0.0) + 1.0) / (self.group.get(&g).copied().unwrap_or(0.0) + k);
        match &l.rep {
            Some(r) => {
                let c = self.rep_track.get(&(r.clone(), l.track)).copied().unwrap_or(0.0);
                let n = self.rep_group.get(&(r.clone(), l.stage, l.objection)).copied().unwrap_or(0.0);
                (c + SHRINK * marginal) / (n + SHRINK)
            }
            None => marginal,
        }
    }
}

/// Off-policy estimates of the greedy policy's advance rate on logged touches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffPolicy {
    pub touches: usize,
    /// Share of logged touches where the rep used the policy's track.
    pub matched: f64,
    /// What the reps achieved (on-policy mean of the logs).
    pub logging: Estimate,
    pub ips: Estimate,
    /// Self-normalised IPS (ratio estimator).
    pub snips: f64,
    pub dr: Estimate,
    /// On a simulated world: the policy's and the logging policy's true advance rates on these
    /// touches — each touch's true probability for the deal's own rep (skill, ramp-up) when the
    /// truth has the deals' multipliers (`truth_per_deal`), else for an average ramped rep.
    pub truth_policy: Option<f64>,
    pub truth_logging: Option<f64>,
    pub truth_per_deal: bool,
    /// The policy's true value for an average, fully ramped rep on these contexts.
    pub truth_policy_average_rep: Option<f64>,
    pub dr_covers_truth: Option<bool>,
    pub ips_covers_truth: Option<bool>,
}

/// Estimates the value of `model`'s greedy policy on `logs` (which it must not have been
/// trained on), with propensities from `policy`. `truth` adds the true values.
pub fn off_policy(
    model: &TalkTrackModel,
    logs: &[Logged],
    policy: &LoggingPolicy,
    truth: Option<&Truth>,
) -> Result<OffPolicy> {
    if logs.is_empty() {
        return Err(Error::InvalidArgument("no logged touches with a catalog talk track to evaluate on".into()));
    }
    let (mut ips, mut dr, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let (mut matched, mut wsum, mut wr) = (0usize, 0.0, 0.0);
    let (mut tp, mut tl, mut ta, mut tn) = (0.0, 0.0, 0.0, 0usize);
    let mut cache: HashMap<Key, (usize, Vec<(usize, f64)>)> = HashMap::new();
    for l in logs {
        let key: Key =
            (l.stage, l.persona.clone().unwrap_or_default(), l.industry.clone().unwrap_or_default(), l.objection);
        let (best, means) = cache
            .entry(key)
            .or_insert_with(|| {
                let ctx = model.known_context(l.stage, l.persona.as_deref(), l.industry.as_deref(), l.objection);
                let ranked = model.rank(&ctx);
                let means = ranked.iter().map(|s| (s.track, s.mean)).collect::<Vec<_>>();
                (ranked.first().map(|s| s.track).unwrap_or(l.track), means)
            })
            .clone();
        let q = |t: usize| means.iter().find(|x| x.0 == t).map(|x| x.1).unwrap_or(0.0);
        let p0 = policy.propensity(l).max(1e-3);
        let w = if l.track == best { 1.0 / p0 } else { 0.0 };
        if l.track == best {
            matched += 1;
        }
        ips.push(w * l.reward);
        dr.push(q(best) + w * (l.reward - q(l.track)));
        r.push(l.reward);
        wsum += w;
        wr += w * l.reward;
        if let Some(tr) = truth
            && let (Some(p), Some(i)) = (&l.persona, &l.industry)
            && let Some(c) = tr.get(l.stage, p, i, l.objection)
        {
            let tv = |t: usize| c.iter().find(|x| x.0 == t).map(|x| x.1);
            if let (Some(a), Some(b)) = (tv(best), tv(l.track)) {
                tp += tr.for_deal(a, &l.opportunity_id);
                tl += tr.for_deal(b, &l.opportunity_id);
                ta += a;
                tn += 1;
            }
        }
    }
    let (ips, dr, logging) = (Estimate::of(&ips), Estimate::of(&dr), Estimate::of(&r));
    let truth_policy = (tn > 0).then(|| tp / tn as f64);
    let truth_logging = (tn > 0).then(|| tl / tn as f64);
    Ok(OffPolicy {
        touches: logs.len(),
        matched: matched as f64 / logs.len() as f64,
        logging,
        ips,
        snips: if wsum > 0.0 { wr / wsum } else { 0.0 },
        dr,
        truth_policy,
        truth_logging,
        truth_per_deal: truth.is_some_and(|t| !t.multipliers.is_empty()),
        truth_policy_average_rep: (tn > 0).then(|| ta / tn as f64),
        dr_covers_truth: truth_policy.map(|t| dr.contains(t)),
        ips_covers_truth: truth_policy.map(|t| ips.contains(t)),
    })
}

/// One context of the truth, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextResult {
    #[serde(with = "super::wire::stage")]
    pub stage: Stage,
    pub persona: String,
    pub industry: String,
    #[serde(with = "super::wire::objection")]
    pub objection: Option<Objection>,
    pub touches: f64,
    pub chosen: String,
    pub best: String,
    pub chosen_p: f64,
    pub best_p: f64,
    pub regret: f64,
    /// Mean true probability over the candidates (uniform random's value).
    pub uniform_p: f64,
}

/// The model against the truth of a simulated world.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruthAgreement {
    pub min_touches: f64,
    pub contexts: usize,
    pub top1_exact: f64,
    /// Share of contexts where the top track is the best or within 1 pp of it.
    pub top1_within_1pp: f64,
    pub mean_regret: f64,
    pub mean_regret_uniform: f64,
    pub supported_contexts: usize,
    pub supported_top1_exact: f64,
    pub supported_top1_within_1pp: f64,
    pub supported_mean_regret: f64,
    pub per_context: Vec<ContextResult>,
}

pub fn against_truth(model: &TalkTrackModel, truth: &Truth, min_touches: f64) -> TruthAgreement {
    let mut per = Vec::new();
    for ((stage, persona, industry, objection), cands) in &truth.contexts {
        let ctx = model.known_context(*stage, Some(persona.as_str()), Some(industry.as_str()), *objection);
        let Some(pick) = model.best_track(&ctx) else { continue };
        let (bt, bp) =
            cands.iter().copied().fold((cands[0].0, f64::NEG_INFINITY), |a, x| if x.1 > a.1 { x } else { a });
        let cp = cands.iter().find(|x| x.0 == pick).map(|x| x.1).unwrap_or(0.0);
        per.push(ContextResult {
            stage: *stage,
            persona: persona.clone(),
            industry: industry.clone(),
            objection: *objection,
            touches: model.context_touches(*stage, *objection, persona, industry),
            chosen: model.tracks[pick].id.clone(),
            best: model.tracks[bt].id.clone(),
            chosen_p: cp,
            best_p: bp,
            regret: bp - cp,
            uniform_p: cands.iter().map(|x| x.1).sum::<f64>() / cands.len() as f64,
        });
    }
    let share = |v: &[&ContextResult], f: &dyn Fn(&ContextResult) -> bool| {
        if v.is_empty() { 0.0 } else { v.iter().filter(|c| f(c)).count() as f64 / v.len() as f64 }
    };
    let mean = |v: &[&ContextResult], f: &dyn Fn(&ContextResult) -> f64| {
        if v.is_empty() { 0.0 } else { v.iter().map(|c| f(c)).sum::<f64>() / v.len() as f64 }
    };
    let all: Vec<&ContextResult> = per.iter().collect();
    let sup: Vec<&ContextResult> = per.iter().filter(|c| c.touches >= min_touches).collect();
    let exact = |c: &ContextResult| c.chosen == c.best || c.regret <= 0.0;
    let near = |c: &ContextResult| c.regret <= 0.01 + 1e-9;
    TruthAgreement {
        min_touches,
        contexts: all.len(),
        top1_exact: share(&all, &exact),
        top1_within_1pp: share(&all, &near),
        mean_regret: mean(&all, &|c| c.regret),
        mean_regret_uniform: mean(&all, &|c| c.best_p - c.uniform_p),
        supported_contexts: sup.len(),
        supported_top1_exact: share(&sup, &exact),
        supported_top1_within_1pp: share(&sup, &near),
        supported_mean_regret: mean(&sup, &|c| c.regret),
        per_context: per,
    }
}

/// What to simulate online.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OnlineSpec {
    pub decisions: usize,
    pub seed: u64,
    /// Exploration level of the bandits.
    pub exploration: f64,
    /// Points per curve.
    pub points: usize,
}

impl Default for OnlineSpec {
    fn default() -> Self {
        OnlineSpec { decisions: 50_000, seed: 42, exploration: 1.0, points: 200 }
    }
}

/// One policy's cumulative expected regret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    pub policy: String,
    /// (decisions so far, cumulative expected regret).
    pub points: Vec<(f64, f64)>,
    pub total_regret: f64,
    /// Mean true advance probability of the tracks picked.
    pub mean_advance: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Online {
    pub spec: OnlineSpec,
    pub contexts: usize,
    pub curves: Vec<Curve>,
    /// The learned bandit's cumulative regret over uniform random's.
    pub regret_ratio_vs_uniform: f64,
}

/// Simulates `spec.decisions` decisions in contexts drawn (with their logged frequency) from
/// `contexts`, rewarded from the truth. Policies: the learned model (Thompson sampling,
/// updating online), the learned model frozen and greedy, a cold-start bandit (`cold`, also
/// updating), uniform random, and the oracle.
pub fn simulate_online(
    model: &TalkTrackModel,
    cold: &TalkTrackModel,
    truth: &Truth,
    contexts: &[(Key, f64)],
    spec: &OnlineSpec,
) -> Result<Online> {
    #[allow(clippy::type_complexity)] // local (context, weight, truth row) triples
    let ctxs: Vec<(&Key, f64, &Vec<(usize, f64)>)> =
        contexts.iter().filter_map(|(k, w)| truth.contexts.get(k).map(|c| (k, *w, c))).filter(|x| x.1 > 0.0).collect();
    if ctxs.is_empty() {
        return Err(Error::InvalidArgument("no logged context has a truth row to simulate against".into()));
    }
    let mut cum = Vec::with_capacity(ctxs.len());
    let mut acc = 0.0;
    for c in &ctxs {
        acc += c.1;
        cum.push(acc);
    }
    let mut ctx_rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let draws: Vec<usize> = (0..spec.decisions)
        .map(|_| {
            let u = ctx_rng.random::<f64>() * acc;
            cum.partition_point(|&c| c <= u).min(ctxs.len() - 1)
        })
        .collect();
    let names = [
        "learned (Thompson, learning online)",
        "learned (greedy, frozen)",
        "cold start (Thompson)",
        "uniform random",
        "oracle",
    ];
    let mut curves = Vec::new();
    for (pi, name) in names.iter().enumerate() {
        let mut m = match pi {
            0 | 1 => model.clone(),
            2 => cold.clone(),
            _ => model.clone(),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed.wrapping_add(1 + pi as u64));
        let every = (spec.decisions / spec.points.max(1)).max(1);
        let (mut total, mut adv) = (0.0, 0.0);
        let mut pts = vec![(0.0, 0.0)];
        for (d, &ci) in draws.iter().enumerate() {
            let ((stage, persona, industry, objection), _, cands) = ctxs[ci];
            let best = cands.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
            let (t, p) = match pi {
                3 => cands[rng.random_range(0..cands.len())],
                4 => *cands.iter().find(|x| x.1 >= best).unwrap_or(&cands[0]),
                _ => {
                    let ctx = m.known_context(*stage, Some(persona.as_str()), Some(industry.as_str()), *objection);
                    let g = m.group_mean(ctx.stage, ctx.objection);
                    let vals: Vec<(usize, f64)> = cands
                        .iter()
                        .map(|&(t, _)| {
                            let post = m.posterior_with_group(t, g, ctx.persona.as_deref(), ctx.industry.as_deref());
                            (t, if pi == 1 { post.mean() } else { sample_scaled(&post, spec.exploration, &mut rng) })
                        })
                        .collect();
                    let pick = vals.iter().copied().fold(vals[0], |a, x| if x.1 > a.1 { x } else { a }).0;
                    (pick, cands.iter().find(|x| x.0 == pick).map(|x| x.1).unwrap_or(0.0))
                }
            };
            total += best - p;
            adv += p;
            if pi == 0 || pi == 2 {
                let won = rng.random::<f64>() < p;
                m.count(t, Some(persona.as_str()), Some(industry.as_str()), won);
            }
            if (d + 1) % every == 0 || d + 1 == draws.len() {
                pts.push(((d + 1) as f64, total));
            }
        }
        curves.push(Curve {
            policy: name.to_string(),
            points: pts,
            total_regret: total,
            mean_advance: adv / draws.len().max(1) as f64,
        });
    }
    let uni = curves[3].total_regret;
    Ok(Online {
        spec: *spec,
        contexts: ctxs.len(),
        regret_ratio_vs_uniform: if uni > 0.0 { curves[0].total_regret / uni } else { 0.0 },
        curves,
    })
}

/// The logged contexts with their frequencies (for the online simulation).
pub fn context_weights(logs: &[Logged]) -> Vec<(Key, f64)> {
    let mut m: BTreeMap<Key, f64> = BTreeMap::new();
    for l in logs {
        if let (Some(p), Some(i)) = (&l.persona, &l.industry) {
            *m.entry((l.stage, p.clone(), i.clone(), l.objection)).or_default() += 1.0;
        }
    }
    m.into_iter().collect()
}
