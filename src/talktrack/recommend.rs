//! Recommendations and decisions: resolve a context (unknown persona, industry or objection →
//! the broader context, flagged; unknown stage → error), rank the candidate tracks by their
//! posterior, pick one by Thompson sampling (Thompson 1933; Chapelle & Li, "An Empirical
//! Evaluation of Thompson Sampling", NIPS 2011) at a chosen exploration level, and log the
//! decision with the probability of the pick (Monte Carlo), so policies can be evaluated off
//! policy (Li et al., "Unbiased offline evaluation of contextual-bandit-based news article
//! recommendation algorithms", WSDM 2011).
//!
//! Exploration level λ: each candidate's Beta(α, β) posterior is sampled as Beta(α/λ², β/λ²)
//! — same mean, standard deviation about λ times the posterior's. λ = 0 is pure exploitation
//! (the highest posterior mean, ties to catalog order, propensity 1); λ = 1 is plain Thompson
//! sampling; larger λ explores more. Invariants: propensities are in (0, 1] and sum to 1 over
//! the candidates; the chosen track is always a candidate of the context used.

use super::model::{Level, Posterior, TalkTrackModel};
use super::stats::beta_quantile;
use super::wire;
use crate::domain::{Objection, Outcome, Stage, zh};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use rand::Rng;
use rand_distr::{Beta, Distribution};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The credible level of the reported intervals.
pub const CREDIBLE: f64 = 0.95;
/// Largest exploration level accepted.
pub const MAX_EXPLORATION: f64 = 5.0;

/// A context as asked (free text: it may name values the model does not know).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContextIn {
    pub stage: String,
    pub persona: Option<String>,
    pub industry: Option<String>,
    pub objection: Option<String>,
}

/// A context the model answers for: a stage it has tracks for, and only personas,
/// industries and objections it knows (the others are `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Context {
    #[serde(with = "wire::stage")]
    pub stage: Stage,
    pub persona: Option<String>,
    pub industry: Option<String>,
    #[serde(with = "wire::objection", default)]
    pub objection: Option<Objection>,
}

/// A value of the context that was not used as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fallback {
    /// `persona`, `industry` or `objection`.
    pub field: String,
    pub value: String,
    pub message: String,
}

/// A context resolved against a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolved {
    pub requested: ContextIn,
    pub used: Context,
    pub fallbacks: Vec<Fallback>,
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

impl TalkTrackModel {
    /// Resolves a context: an unknown stage (or one without tracks) is an error; an unknown
    /// persona, industry or objection is dropped to the broader context, with a fallback note.
    pub fn resolve(&self, ctx: &ContextIn) -> Result<Resolved> {
        let stage_s = ctx.stage.trim();
        let stage = Stage::from_str(stage_s).map_err(Error::InvalidArgument)?;
        if !self.has_stage(stage) {
            return Err(Error::InvalidArgument(format!("the talk-track catalog has no tracks for stage {stage}")));
        }
        let mut fallbacks = Vec::new();
        let mut known = |field: &str, v: Option<String>, set: &std::collections::BTreeSet<String>| match v {
            Some(x) if set.contains(&x) => Some(x),
            Some(x) => {
                fallbacks.push(Fallback {
                    field: field.into(),
                    message: format!("{field} {x:?} is not known to the model; answered for any {field}"),
                    value: x,
                });
                None
            }
            None => None,
        };
        let persona = known("persona", clean(&ctx.persona), &self.personas);
        let industry = known("industry", clean(&ctx.industry), &self.industries);
        let objection = match clean(&ctx.objection) {
            None => None,
            Some(o) => match Objection::from_str(&o) {
                Ok(ob) if !self.candidates(stage, Some(ob)).is_empty() => Some(ob),
                Ok(_) => {
                    fallbacks.push(Fallback {
                        field: "objection".into(),
                        message: format!(
                            "no track answers objection {o:?} at stage {stage}; answered as if none was raised"
                        ),
                        value: o,
                    });
                    None
                }
                Err(e) => {
                    fallbacks.push(Fallback {
                        field: "objection".into(),
                        message: format!("{e}; answered as if none was raised"),
                        value: o,
                    });
                    None
                }
            },
        };
        Ok(Resolved { requested: ctx.clone(), used: Context { stage, persona, industry, objection }, fallbacks })
    }
}

/// The language of titles, scripts and explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" => Ok(Lang::Zh),
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            _ => Err(format!("unknown language {s:?} (expected zh or en)")),
        }
    }
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// How to pick among the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// 0 = pure exploitation, 1 = Thompson sampling, more = wider exploration.
    pub exploration: f64,
    /// Monte Carlo draws used to estimate the pick's probability.
    pub mc_draws: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { exploration: 0.0, mc_draws: 2000 }
    }
}

impl Policy {
    pub fn check(&self) -> Result<()> {
        if !(0.0..=MAX_EXPLORATION).contains(&self.exploration) || !self.exploration.is_finite() {
            return Err(Error::InvalidArgument(format!(
                "exploration must be between 0 and {MAX_EXPLORATION} (0 = always the best estimate), got {}",
                self.exploration
            )));
        }
        if self.mc_draws == 0 {
            return Err(Error::InvalidArgument("mc_draws must be at least 1".into()));
        }
        Ok(())
    }
}

/// One candidate as the decision log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateLog {
    pub talk_track_id: String,
    pub expected_advance: f64,
    /// Probability that the policy picks this track in this context.
    pub propensity: f64,
}

/// What the server stores for every recommendation: enough to judge any other policy on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub decision_id: String,
    pub at: DateTime<Utc>,
    pub model_version: String,
    /// The context as asked.
    pub context: ContextIn,
    /// The context answered (after fallbacks).
    pub context_used: Context,
    pub candidates: Vec<CandidateLog>,
    /// The track shown first.
    pub chosen: String,
    /// Probability with which `chosen` was picked (Monte Carlo estimate for λ > 0).
    pub propensity: f64,
    pub exploration: f64,
    /// `thompson` (λ > 0) or `greedy` (λ = 0).
    pub policy: String,
}

/// One ranked track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recommendation {
    pub rank: usize,
    pub talk_track_id: String,
    pub kind: String,
    pub title: String,
    pub script: String,
    /// The language of `title` and `script`.
    pub language: Lang,
    /// True when the requested language's text was missing and the other one is shown.
    pub language_fallback: bool,
    pub expected_advance: f64,
    /// The central credible interval ([`CREDIBLE`]).
    pub interval: [f64; 2],
    /// Expected advance minus the stage's baseline in this context.
    pub uplift: f64,
    /// Touches behind the estimate at the most specific level used.
    pub evidence: u64,
    /// Touches of the track in every context.
    pub evidence_track: u64,
    /// The level of the hierarchy the estimate comes from.
    pub level: Level,
    pub propensity: f64,
    pub why: String,
}

/// A recommendation answer: the ranked tracks and the decision to log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendations {
    pub decision_id: String,
    pub context_used: Context,
    pub fallbacks: Vec<Fallback>,
    /// What the logged mix of tracks achieves in this context.
    pub baseline: f64,
    pub recommendations: Vec<Recommendation>,
    pub decision: Decision,
}

/// One scored candidate (no text): the batch and evaluation path.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub track: usize,
    pub posterior: Posterior,
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Draws one value from the exploration-scaled posterior.
pub fn sample_scaled<R: Rng + ?Sized>(p: &Posterior, lambda: f64, rng: &mut R) -> f64 {
    let s = 1.0 / (lambda * lambda);
    let (a, b) = ((p.alpha * s).max(1e-3), (p.beta * s).max(1e-3));
    match Beta::new(a, b) {
        Ok(d) => d.sample(rng),
        Err(_) => p.mean(),
    }
}

/// Index of the largest value, ties to the first.
fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

impl TalkTrackModel {
    /// The candidates of a resolved context with their posteriors, in catalog order.
    pub fn score_context(&self, ctx: &Context) -> Vec<Scored> {
        let g = self.group_mean(ctx.stage, ctx.objection);
        self.candidates(ctx.stage, ctx.objection)
            .into_iter()
            .map(|t| {
                let p = self.posterior_with_group(t, g, ctx.persona.as_deref(), ctx.industry.as_deref());
                let a = (1.0 - CREDIBLE) / 2.0;
                Scored {
                    track: t,
                    mean: p.mean(),
                    lo: beta_quantile(a, p.alpha, p.beta),
                    hi: beta_quantile(1.0 - a, p.alpha, p.beta),
                    posterior: p,
                }
            })
            .collect()
    }

    /// Candidates ranked by posterior mean (ties: catalog order).
    pub fn rank(&self, ctx: &Context) -> Vec<Scored> {
        let mut s = self.score_context(ctx);
        s.sort_by(|a, b| b.mean.total_cmp(&a.mean).then(a.track.cmp(&b.track)));
        s
    }

    /// Picks one candidate index (into `scored`) and the pick probabilities of every candidate.
    pub fn pick<R: Rng + ?Sized>(&self, scored: &[Scored], policy: &Policy, rng: &mut R) -> (usize, Vec<f64>) {
        let k = scored.len();
        let means: Vec<f64> = scored.iter().map(|s| s.mean).collect();
        if policy.exploration == 0.0 || k == 1 {
            let best = argmax(&means);
            let mut p = vec![0.0; k];
            p[best] = 1.0;
            return (best, p);
        }
        let draw = |rng: &mut R| -> usize {
            let v: Vec<f64> = scored.iter().map(|s| sample_scaled(&s.posterior, policy.exploration, rng)).collect();
            argmax(&v)
        };
        let chosen = draw(rng);
        let mut wins = vec![0usize; k];
        for _ in 0..policy.mc_draws {
            wins[draw(rng)] += 1;
        }
        // Add-one smoothing keeps every propensity above zero (a pick the draws never saw).
        let total = (policy.mc_draws + k) as f64;
        (chosen, wins.iter().map(|&w| (w as f64 + 1.0) / total).collect())
    }

    /// Ranked recommendations for a context, with the decision to log. `rng` draws the
    /// exploration and the decision ID; `at` is the decision's time.
    #[allow(clippy::too_many_arguments)]
    pub fn recommend<R: Rng + ?Sized>(
        &self,
        ctx: &ContextIn,
        lang: Lang,
        k: usize,
        policy: &Policy,
        model_version: &str,
        at: DateTime<Utc>,
        rng: &mut R,
    ) -> Result<Recommendations> {
        policy.check()?;
        let r = self.resolve(ctx)?;
        let used = r.used.clone();
        let scored = self.score_context(&used);
        if scored.is_empty() {
            return Err(Error::InvalidArgument(format!("no talk track applies at stage {}", used.stage)));
        }
        let (chosen, props) = self.pick(&scored, policy, rng);
        let baseline = self.baseline(used.stage, used.objection, used.persona.as_deref(), used.industry.as_deref());
        let mut order: Vec<usize> = (0..scored.len()).collect();
        order.sort_by(|&a, &b| {
            (b == chosen).cmp(&(a == chosen)).then(scored[b].mean.total_cmp(&scored[a].mean)).then(a.cmp(&b))
        });
        let decision_id = format!("d-{:016x}{:016x}", rng.random::<u64>(), rng.random::<u64>());
        let recs = order
            .iter()
            .take(k.max(1))
            .enumerate()
            .map(|(rank, &i)| self.describe(&scored[i], rank + 1, lang, baseline, props[i], &used))
            .collect();
        let decision = Decision {
            decision_id: decision_id.clone(),
            at,
            model_version: model_version.to_string(),
            context: r.requested.clone(),
            context_used: used.clone(),
            candidates: scored
                .iter()
                .zip(&props)
                .map(|(s, &p)| CandidateLog {
                    talk_track_id: self.tracks[s.track].id.clone(),
                    expected_advance: s.mean,
                    propensity: p,
                })
                .collect(),
            chosen: self.tracks[scored[chosen].track].id.clone(),
            propensity: props[chosen],
            exploration: policy.exploration,
            policy: if policy.exploration == 0.0 { "greedy".into() } else { "thompson".into() },
        };
        Ok(Recommendations {
            decision_id,
            context_used: used,
            fallbacks: r.fallbacks,
            baseline,
            recommendations: recs,
            decision,
        })
    }

    fn describe(
        &self,
        s: &Scored,
        rank: usize,
        lang: Lang,
        baseline: f64,
        propensity: f64,
        ctx: &Context,
    ) -> Recommendation {
        let tr = &self.tracks[s.track];
        let (zh, en) = ((&tr.title_zh, &tr.script_zh), (&tr.title_en, &tr.script_en));
        let (want, other, other_lang) = match lang {
            Lang::Zh => (zh, en, Lang::En),
            Lang::En => (en, zh, Lang::Zh),
        };
        let fallback = want.0.is_empty() || want.1.is_empty();
        let ((title, script), language) = if fallback { (other, other_lang) } else { (want, lang) };
        let uplift = s.mean - baseline;
        Recommendation {
            rank,
            talk_track_id: tr.id.clone(),
            kind: tr.kind.clone(),
            title: title.clone(),
            script: script.clone(),
            language,
            language_fallback: fallback,
            expected_advance: s.mean,
            interval: [s.lo, s.hi],
            uplift,
            evidence: s.posterior.evidence.round() as u64,
            evidence_track: s.posterior.evidence_track.round() as u64,
            level: s.posterior.level,
            propensity,
            why: why(lang, s, uplift, ctx),
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

/// `s` inside Chinese text: a space before and after where it begins or ends with a Latin
/// letter or digit (`面对 CFO 的`).
fn spaced(s: &str) -> String {
    let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let before = if latin(s.chars().next()) { " " } else { "" };
    let after = if latin(s.chars().last()) { " " } else { "" };
    format!("{before}{s}{after}")
}

/// A short explanation of an estimate, in Chinese or English.
pub fn why(lang: Lang, s: &Scored, uplift: f64, ctx: &Context) -> String {
    let p = &s.posterior;
    let n = p.evidence.round() as u64;
    let nt = p.evidence_track.round() as u64;
    let pp = (100.0 * uplift).round() as i64;
    // Each language builds only its own words (this runs for every recommendation served).
    match lang {
        Lang::En => {
            let obj_en = ctx.objection.map(|o| format!(", {o} objection")).unwrap_or_default();
            let who_en = match (&ctx.persona, &ctx.industry) {
                (Some(pe), Some(i)) => format!("{pe} in {i}"),
                (Some(pe), None) => pe.clone(),
                (None, Some(i)) => format!("buyers in {i}"),
                (None, None) => "any buyer".into(),
            };
            let seen = match p.observed {
                Some(r) if n > 0 => format!("advanced {} of {n} touches with {who_en}", pct(r)),
                _ => format!("no touches yet with {who_en}"),
            };
            format!(
                "At {}{obj_en}: {seen}; pooled with all {nt} touches of this track, expect {} ({:+} pp vs the stage's usual mix).",
                ctx.stage,
                pct(s.mean),
                pp
            )
        }
        Lang::Zh => {
            let obj_zh = ctx.objection.map(|o| format!("（{}异议）", o.name_zh())).unwrap_or_default();
            let (persona, industry) =
                (ctx.persona.as_deref().map(zh::persona), ctx.industry.as_deref().map(zh::industry));
            let who_zh = spaced(&match (persona, industry) {
                (Some(pe), Some(i)) => format!("{i}的{pe}"),
                (Some(pe), None) => pe.to_string(),
                (None, Some(i)) => format!("{i}的客户"),
                (None, None) => "所有客户".into(),
            });
            let seen = match p.observed {
                Some(r) if n > 0 => format!("面对{who_zh}的 {n} 次接触中推进 {}", pct(r)),
                _ => format!("面对{who_zh}尚无接触记录"),
            };
            let dir = if pp >= 0 { format!("高 {pp}") } else { format!("低 {}", -pp) };
            format!(
                "{}阶段{obj_zh}：{seen}；结合该话术全部 {nt} 次接触，预计推进率 {}，比本阶段常规做法{dir} 个百分点。",
                ctx.stage.name_zh(),
                pct(s.mean)
            )
        }
    }
}

/// A reported outcome: for a logged decision (`decision_id`) or a bare context and track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub decision_id: Option<String>,
    pub context: Context,
    pub talk_track_id: String,
    #[serde(with = "wire::outcome")]
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
}

impl Feedback {
    /// Feedback for a stored decision: the context is the decision's (as asked, with the
    /// stage and objection answered); the track defaults to the one chosen and must be one of
    /// its candidates.
    pub fn for_decision(
        d: &Decision,
        talk_track_id: Option<&str>,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> Result<Feedback> {
        let id = talk_track_id.unwrap_or(&d.chosen);
        if !d.candidates.iter().any(|c| c.talk_track_id == id) {
            return Err(Error::InvalidArgument(format!(
                "talk track {id:?} was not a candidate of decision {} (candidates: {})",
                d.decision_id,
                d.candidates.iter().map(|c| c.talk_track_id.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(Feedback {
            decision_id: Some(d.decision_id.clone()),
            context: Context {
                stage: d.context_used.stage,
                persona: clean(&d.context.persona),
                industry: clean(&d.context.industry),
                objection: d.context_used.objection,
            },
            talk_track_id: id.to_string(),
            outcome,
            at,
        })
    }
}

impl TalkTrackModel {
    /// Checks feedback before it is stored: a `decision_id` must name the stored decision the
    /// caller looked up (`None`: no such decision → error), the track must be one of its
    /// candidates and the stage must match; any feedback's track must exist and apply to its
    /// stage and objection. Nothing is changed.
    pub fn check_feedback(&self, fb: &Feedback, stored: Option<&Decision>) -> Result<()> {
        if let Some(id) = &fb.decision_id {
            let Some(d) = stored else {
                return Err(Error::InvalidArgument(format!(
                    "unknown decision_id {id:?}: no such decision was logged (feedback not stored)"
                )));
            };
            if &d.decision_id != id {
                return Err(Error::InvalidArgument(format!(
                    "decision_id {id:?} does not match the stored decision {:?}",
                    d.decision_id
                )));
            }
            if d.context_used.stage != fb.context.stage {
                return Err(Error::InvalidArgument(format!(
                    "feedback is for stage {} but decision {id} was at stage {}",
                    fb.context.stage, d.context_used.stage
                )));
            }
            if !d.candidates.iter().any(|c| c.talk_track_id == fb.talk_track_id) {
                return Err(Error::InvalidArgument(format!(
                    "talk track {:?} was not a candidate of decision {id}",
                    fb.talk_track_id
                )));
            }
        }
        self.check_feedback_track(fb).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::domain::Activity;
    use chrono::NaiveDate;
    use rand::SeedableRng;

    fn model() -> TalkTrackModel {
        // Negotiation, price objection: NEG-PRICE-02 advances 40%, the others 20%.
        let mut acts = Vec::new();
        for k in 0..600 {
            for (id, rate) in [("NEG-PRICE-01", 2), ("NEG-PRICE-02", 4), ("NEG-PRICE-03", 2)] {
                acts.push(Activity {
                    activity_id: String::new(),
                    opportunity_id: "O1".into(),
                    at: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                    stage: Stage::Negotiation,
                    channel: "call".into(),
                    outcome: if k % 10 < rate { Outcome::Advanced } else { Outcome::NoChange },
                    talk_track_id: Some(id.into()),
                    persona: Some(["finance", "procurement"][k % 2].into()),
                    industry: Some(["retail", "finance", "logistics"][k % 3].into()),
                    objection: Some(Objection::Price),
                });
            }
        }
        TalkTrackModel::fit(&Catalog::builtin(), &acts)
    }

    fn ctx(stage: &str, persona: &str, industry: &str, objection: &str) -> ContextIn {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ContextIn { stage: stage.into(), persona: o(persona), industry: o(industry), objection: o(objection) }
    }

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    #[test]
    fn greedy_ranks_by_posterior_and_logs_a_certain_pick() {
        let m = model();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let r = m
            .recommend(
                &ctx("negotiation", "finance", "retail", "price"),
                Lang::En,
                3,
                &Policy::default(),
                "v1",
                at(),
                &mut rng,
            )
            .unwrap();
        assert!(r.fallbacks.is_empty());
        assert_eq!(r.recommendations[0].talk_track_id, "NEG-PRICE-02");
        assert_eq!(r.decision.chosen, "NEG-PRICE-02");
        assert_eq!(r.decision.propensity, 1.0);
        assert_eq!(r.decision.candidates.len(), 3);
        let means: Vec<f64> = r.recommendations.iter().map(|x| x.expected_advance).collect();
        assert!(means.windows(2).all(|w| w[0] >= w[1]));
        for x in &r.recommendations {
            assert!(x.interval[0] < x.expected_advance && x.expected_advance < x.interval[1]);
            assert!(!x.why.is_empty() && !x.title.is_empty() && !x.language_fallback);
        }
        assert!(r.recommendations[0].uplift > 0.0 && r.recommendations[2].uplift < 0.0);
    }

    #[test]
    fn chinese_reasons_name_the_context_in_chinese() {
        let m = model();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let c = ctx("negotiation", "finance", "retail", "price");
        let r = m.recommend(&c, Lang::Zh, 1, &Policy::default(), "v1", at(), &mut rng).unwrap();
        let why = &r.recommendations[0].why;
        assert!(why.starts_with("谈判审核阶段（价格异议）：面对零售行业的财务负责人的 "), "{why}");
        assert!(!why.chars().any(|c| c.is_ascii_alphabetic()), "English words in {why}");
    }

    #[test]
    fn unknown_values_fall_back_and_unknown_stage_is_an_error() {
        let m = model();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let r = m
            .recommend(
                &ctx("negotiation", "cfo", "space", "cheap"),
                Lang::Zh,
                2,
                &Policy::default(),
                "v1",
                at(),
                &mut rng,
            )
            .unwrap();
        let fields: Vec<&str> = r.fallbacks.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["persona", "industry", "objection"]);
        assert_eq!(r.context_used.persona, None);
        assert_eq!(r.context_used.objection, None);
        assert!(
            r.recommendations.iter().all(|x| x.talk_track_id.starts_with("NEG-") && !x.talk_track_id.contains("PRICE"))
        );
        let e = m.recommend(&ctx("closing", "finance", "", ""), Lang::Zh, 2, &Policy::default(), "v1", at(), &mut rng);
        assert!(e.unwrap_err().to_string().contains("unknown stage \"closing\""));
    }

    /// P(X > Y) for independent Betas by numerical integration: ∫ f_X(x) F_Y(x) dx.
    fn p_greater(a1: f64, b1: f64, a2: f64, b2: f64) -> f64 {
        let n = 20_000;
        let lb = super::super::stats::ln_beta(a1, b1);
        (0..n)
            .map(|i| {
                let x = (i as f64 + 0.5) / n as f64;
                let f = ((a1 - 1.0) * x.ln() + (b1 - 1.0) * (1.0 - x).ln() - lb).exp();
                f * super::super::stats::beta_cdf(x, a2, b2) / n as f64
            })
            .sum()
    }

    #[test]
    fn thompson_propensities_match_the_exact_probability() {
        let m = model();
        // The price context's two weaker arms: close posteriors, so the pick is uncertain.
        let c = m.resolve(&ctx("negotiation", "procurement", "logistics", "price")).unwrap().used;
        let scored: Vec<Scored> =
            m.score_context(&c).into_iter().filter(|s| m.tracks[s.track].id != "NEG-PRICE-02").collect();
        assert_eq!(scored.len(), 2);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let pol = Policy { exploration: 1.0, mc_draws: 20_000 };
        let (_, props) = m.pick(&scored, &pol, &mut rng);
        let (p0, p1) = (&scored[0].posterior, &scored[1].posterior);
        let exact = p_greater(p0.alpha, p0.beta, p1.alpha, p1.beta);
        assert!((props[0] - exact).abs() < 0.015, "MC {} vs exact {exact}", props[0]);
        assert!((props.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // More exploration moves the picks towards uniform: arms Beta(30, 70) and Beta(40, 60)
        // (P(second best) ≈ 0.93 at λ = 1, ≈ 0.65 at λ = 4).
        let mut two = scored.clone();
        (two[0].posterior.alpha, two[0].posterior.beta) = (30.0, 70.0);
        (two[1].posterior.alpha, two[1].posterior.beta) = (40.0, 60.0);
        let top = |l: f64, rng: &mut rand_chacha::ChaCha8Rng| {
            m.pick(&two, &Policy { exploration: l, mc_draws: 20_000 }, rng).1.into_iter().fold(0.0, f64::max)
        };
        let (narrow, wide) = (top(1.0, &mut rng), top(4.0, &mut rng));
        assert!(wide < narrow - 0.05, "λ=1: {narrow}, λ=4: {wide}");
        assert!(Policy { exploration: -1.0, mc_draws: 10 }.check().is_err());
    }

    #[test]
    fn feedback_needs_its_decision_and_moves_the_posterior() {
        let mut m = model();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let r = m
            .recommend(
                &ctx("negotiation", "finance", "retail", "price"),
                Lang::En,
                3,
                &Policy::default(),
                "v1",
                at(),
                &mut rng,
            )
            .unwrap();
        let fb = Feedback::for_decision(&r.decision, Some("NEG-PRICE-01"), Outcome::Advanced, at()).unwrap();
        // Unknown decision: an error, and nothing changes.
        let before = m.stats.clone();
        let err = m.check_feedback(&fb, None).unwrap_err().to_string();
        assert!(err.contains("unknown decision_id"), "{err}");
        assert_eq!(m.stats, before);
        m.check_feedback(&fb, Some(&r.decision)).unwrap();
        assert!(Feedback::for_decision(&r.decision, Some("DISC-SPIN-P"), Outcome::Lost, at()).is_err());
        let t = m.track_index("NEG-PRICE-01").unwrap();
        let p0 = m.posterior(t, Some("finance"), Some("retail")).mean();
        for _ in 0..50 {
            m.update(&fb).unwrap();
        }
        let p1 = m.posterior(t, Some("finance"), Some("retail")).mean();
        assert!(p1 > p0 + 0.05, "{p0} → {p1}");
        // A track that does not apply to the context is refused.
        let mut bad = fb.clone();
        bad.talk_track_id = "DISC-SPIN-P".into();
        assert!(m.update(&bad).is_err());
        // Serde round trip of the decision (what the server stores).
        let json = serde_json::to_string(&r.decision).unwrap();
        assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), r.decision);
    }
}
