//! Playing a world forward: leads arrive, convert, become deals that move stage by stage
//! through touches (each with a talk track), are won or lost, invoiced and collected. The
//! history is drawn from the seed; the probabilities written to `truth/` come from the laws.

use super::world::{DISCOUNTS, MAX_TOUCHES, World, sigmoid, touch_advance};
use super::{SimConfig, Simulation, Truth, TruthLead, TruthOpportunity};
use crate::domain::*;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Normal, Poisson};
use std::collections::BTreeMap;

fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    Poisson::new(mean.max(1e-9)).map(|d| d.sample(rng) as u32).unwrap_or(0)
}

/// A lead as simulated, with what the data will not show.
struct SimLead {
    created: NaiveDate,
    account: usize,
    source: usize,
    industry: usize,
    size: usize,
    region: usize,
    persona: usize,
    rep: usize,
    product: usize,
    signals: [u32; 4],
    p: f64,
    converts: bool,
    converted_at: NaiveDate,
}

struct Touch {
    at: NaiveDate,
    stage: Stage,
    channel: &'static str,
    outcome: Outcome,
    track: usize,
    persona: usize,
    objection: Option<Objection>,
}

struct SimDeal {
    lead: usize,
    created: NaiveDate,
    product: usize,
    list_price: f64,
    discount: f64,
    p_win: f64,
    /// The owner's advance multiplier on every touch of the deal (skill and ramp-up).
    advance_multiplier: f64,
    /// Stage entries in order.
    stages: Vec<(Stage, NaiveDate)>,
    /// (won?, when), if the deal ended within the horizon.
    end: Option<(bool, NaiveDate)>,
    expected_close: NaiveDate,
    touches: Vec<Touch>,
    invoices: Vec<(f64, NaiveDate, Option<NaiveDate>)>,
}

fn channel(rng: &mut ChaCha8Rng, stage: Stage) -> &'static str {
    let options: &[&'static str] = match stage {
        Stage::Lead => &["phone", "email", "visit"],
        Stage::Discovery => &["phone", "visit", "video"],
        Stage::Qualification => &["meeting", "video", "email"],
        Stage::Negotiation => &["meeting", "visit", "email", "wechat"],
        Stage::Contract => &["email", "meeting", "wechat"],
        Stage::Collection => &["phone", "email", "wechat"],
    };
    options[rng.random_range(0..options.len())]
}

fn gap_days(rng: &mut ChaCha8Rng, stage: Stage, at: NaiveDate) -> i64 {
    let mean = match stage {
        Stage::Discovery => 7.0,
        Stage::Qualification => 8.0,
        Stage::Negotiation => 9.0,
        Stage::Contract => 6.0,
        _ => 9.0,
    };
    let closing = matches!(stage, Stage::Negotiation | Stage::Contract);
    let mut m: f64 = mean;
    match at.month() {
        1 => m *= 1.25,
        2 => m *= 1.7,                   // Chinese New Year: nothing moves
        11 | 12 if closing => m *= 0.55, // year-end budgets: buyers sign before December 31
        _ => {}
    }
    let q_end = Period::quarter_of(at).last_day();
    if closing && (q_end - at).num_days() < 21 {
        m *= 0.7; // quarter-end push
    }
    let e = Exp::new(1.0 / m).expect("positive rate");
    1 + e.sample(rng).round() as i64
}

pub fn run(cfg: &SimConfig) -> Simulation {
    let as_of = cfg.as_of;
    let history_start = Period::quarter_of(as_of).offset(-(cfg.quarters as i32 - 1)).start();
    let first_truth = Period::quarter_of(as_of + Duration::days(1));
    let last_truth = Period::quarter_of(as_of).offset(2);
    let horizon_end = last_truth.last_day();
    let warmup_start = history_start - Duration::days(150);

    let world = World::new(cfg.world, cfg.reps, as_of, history_start);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ cfg.world.rotate_left(17));
    // With a future seed, every draw taken once the clock is past as_of (a touch, a new lead or
    // deal, the collection of a deal won later) comes from a second stream. The first stream
    // then carries only the history's draws, and how many there are depends on the history
    // alone: every future seed shares it. (The delay to a deal's first touch after as_of is
    // drawn at the touch before, from the first stream: the next appointment is known.)
    let mut future = cfg.future_seed.map(|f| {
        ChaCha8Rng::seed_from_u64(f.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ cfg.seed.rotate_left(29) ^ cfg.world)
    });
    let after = |at: NaiveDate| at > as_of;
    let normal = Normal::new(0.0, 1.0).expect("unit normal");

    // Lead arrival density over days: season × trend × weekday.
    let days: Vec<NaiveDate> = warmup_start.iter_days().take_while(|d| *d <= horizon_end).collect();
    let weight = |d: &NaiveDate| {
        let years = (*d - history_start).num_days() as f64 / 365.25;
        let wd = if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) { 0.3 } else { 1.0 };
        World::lead_season(*d) * (1.0 + 0.12 * years).max(0.5) * wd
    };
    let weights: Vec<f64> = days.iter().map(weight).collect();
    let in_history: f64 =
        days.iter().zip(&weights).filter(|(d, _)| **d >= history_start && **d <= as_of).map(|(_, w)| w).sum();
    let total_w: f64 = weights.iter().sum();
    let n_total = ((cfg.leads as f64) * total_w / in_history.max(1e-9)).round() as usize;
    let mut cum = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w;
        cum.push(acc);
    }
    let mut lead_days: Vec<NaiveDate> = (0..n_total)
        .map(|_| {
            let u = rng.random::<f64>() * acc;
            days[cum.partition_point(|c| *c < u).min(days.len() - 1)]
        })
        .collect();
    lead_days.sort();

    // Accounts: a pool with skewed popularity, so some companies come back again and again.
    let n_accounts = (n_total / 3).max(50);
    let share = |v: &[super::world::Level]| v.iter().map(|l| l.share).collect::<Vec<_>>();
    let (ind_w, reg_w, size_w, src_w, per_w) = (
        share(&world.industries),
        share(&world.regions),
        share(&world.sizes),
        share(&world.sources),
        share(&world.personas),
    );
    let accounts: Vec<(usize, usize, usize)> =
        (0..n_accounts).map(|_| (pick(&mut rng, &ind_w), pick(&mut rng, &reg_w), pick(&mut rng, &size_w))).collect();
    let mut acc_cum = Vec::with_capacity(n_accounts);
    let mut a = 0.0;
    for i in 0..n_accounts {
        a += 1.0 / ((i + 10) as f64).powf(0.7);
        acc_cum.push(a);
    }

    let reps_in_region: Vec<Vec<usize>> = world
        .regions
        .iter()
        .map(|r| (0..world.reps.len()).filter(|&i| world.reps[i].region == r.name).collect())
        .collect();
    let product_by_size: [[f64; 6]; 5] = [
        [0.45, 0.25, 0.05, 0.0, 0.1, 0.15],
        [0.25, 0.35, 0.12, 0.03, 0.13, 0.12],
        [0.1, 0.3, 0.22, 0.13, 0.15, 0.1],
        [0.05, 0.2, 0.25, 0.27, 0.15, 0.08],
        [0.02, 0.12, 0.25, 0.4, 0.15, 0.06],
    ];

    // Leads.
    let mut leads = Vec::with_capacity(n_total);
    for &created in &lead_days {
        let rng = stream(&mut rng, &mut future, after(created));
        let u = rng.random::<f64>() * a;
        let account = acc_cum.partition_point(|c| *c < u).min(n_accounts - 1);
        let (industry, region, size) = accounts[account];
        let source = pick(rng, &src_w);
        let persona = pick(rng, &per_w);
        let pool = &reps_in_region[region];
        let active: Vec<usize> = pool.iter().copied().filter(|&r| world.reps[r].hired_at <= created).collect();
        let rep = if !active.is_empty() {
            active[rng.random_range(0..active.len())]
        } else {
            *pool.iter().min_by_key(|&&r| world.reps[r].hired_at).unwrap_or(&0)
        };
        let product = pick(rng, &product_by_size[size.min(4)]);
        let src = world.sources[source].name;
        let interest: f64 = normal.sample(rng);
        let signals = [
            poisson(rng, (0.7 + 0.45 * interest + if src == "paid_ads" { 0.3 } else { 0.0 }).exp()),
            poisson(rng, (0.1 + 0.5 * interest + if src == "inbound" { 0.6 } else { 0.0 }).exp()),
            poisson(rng, (0.2 + 0.25 * interest + if src == "cold_visit" { 0.5 } else { 0.0 }).exp()),
            poisson(rng, (-1.3 + 0.7 * interest + 0.15 * size as f64).exp()),
        ];
        let p = lead_probability(&world, created, source, industry, size, region, persona, rep, signals);
        let converts = rng.random::<f64>() < p;
        let wait: f64 = Exp::new(1.0 / 12.0).expect("rate").sample(rng);
        let delay = 1 + wait.round().min(89.0) as i64;
        leads.push(SimLead {
            created,
            account,
            source,
            industry,
            size,
            region,
            persona,
            rep,
            product,
            signals,
            p,
            converts,
            converted_at: created + Duration::days(delay),
        });
    }

    // Deals.
    let mut deals: Vec<SimDeal> = Vec::new();
    for (li, l) in leads.iter().enumerate() {
        if !l.converts || l.converted_at > horizon_end {
            continue;
        }
        let created = l.converted_at;
        let r = stream(&mut rng, &mut future, after(created));
        let product = if r.random::<f64>() < 0.85 { l.product } else { pick(r, &product_by_size[l.size.min(4)]) };
        let pr = &world.products[product];
        let size_shift = 0.18 * (l.size as f64 - 2.0);
        let price_z = normal.sample(r);
        let list_price =
            (pr.log_price + world.industry_size[l.industry].ln() + size_shift + pr.sigma * price_z).exp().max(100.0);
        let law = world.deal_law(l.rep, l.persona, l.industry, l.size, l.source, product, price_z, created);
        let p_win = world.win_probability(&law);
        let discount = DISCOUNTS[pick(r, &law.discount_probs)];
        let cycle = 30.0 + 45.0 * (pr.log_price - 8_000f64.ln()) / (140_000f64.ln() - 8_000f64.ln());
        let expected_close = created + Duration::days((cycle * world.reps[l.rep].optimism).round() as i64 + 14);
        let mut d = SimDeal {
            lead: li,
            created,
            product,
            list_price,
            discount,
            p_win,
            advance_multiplier: law.mult,
            stages: vec![(Stage::Discovery, created)],
            end: None,
            expected_close,
            touches: Vec::new(),
            invoices: Vec::new(),
        };
        let mut t = created;
        'stages: for &stage in Stage::PIPELINE {
            let disc = if matches!(stage, Stage::Negotiation | Stage::Contract) { discount } else { 0.0 };
            let lose = world.loss_probability(stage, &law, disc);
            for _ in 0..MAX_TOUCHES {
                t += Duration::days(gap_days(stream(&mut rng, &mut future, after(t)), stage, t));
                if t > horizon_end {
                    break 'stages;
                }
                let r = stream(&mut rng, &mut future, after(t));
                let touch = touch(&world, r, stage, l.persona, l.industry, l.rep, law.mult, lose, t);
                let outcome = touch.outcome;
                d.touches.push(touch);
                match outcome {
                    Outcome::Advanced => {
                        match Stage::PIPELINE.iter().position(|s| *s == stage).and_then(|i| Stage::PIPELINE.get(i + 1))
                        {
                            Some(&next) => d.stages.push((next, t)),
                            None => d.end = Some((true, t)),
                        }
                        continue 'stages;
                    }
                    Outcome::Lost => {
                        d.end = Some((false, t));
                        break 'stages;
                    }
                    Outcome::NoChange => {}
                }
            }
            // Gone stale: the rep closes it as lost two weeks after the last touch.
            let closed = t + Duration::days(14);
            if closed <= horizon_end {
                d.end = Some((false, closed));
            }
            break;
        }
        if let Some((true, won)) = d.end {
            let amount = list_price * (1.0 - discount / 100.0);
            let parts: &[(f64, i64)] = if amount > 60_000.0 { &[(0.5, 30), (0.5, 120)] } else { &[(1.0, 30)] };
            for &(frac, due_in) in parts {
                let due = won + Duration::days(due_in);
                let paid = collect(
                    &world,
                    stream(&mut rng, &mut future, after(won)),
                    &mut d.touches,
                    l.persona,
                    l.industry,
                    l.rep,
                    law.mult,
                    won,
                    due,
                    horizon_end,
                );
                d.invoices.push((amount * frac, due, paid));
            }
        }
        deals.push(d);
    }

    assemble(cfg, &world, &accounts, &leads, &deals, history_start, first_truth, last_truth)
}

/// The stream to draw from: the future's (when there is a future seed) for a draw taken after
/// the as-of date, else the history's.
fn stream<'a>(history: &'a mut ChaCha8Rng, future: &'a mut Option<ChaCha8Rng>, after: bool) -> &'a mut ChaCha8Rng {
    match future {
        Some(f) if after => f,
        _ => history,
    }
}

/// The true probability that a lead converts, from what the CRM records about it.
#[allow(clippy::too_many_arguments)]
fn lead_probability(
    w: &World,
    created: NaiveDate,
    source: usize,
    industry: usize,
    size: usize,
    region: usize,
    persona: usize,
    rep: usize,
    s: [u32; 4],
) -> f64 {
    let [opens, visits, calls, meetings] = s.map(f64::from);
    let src = w.sources[source].name;
    let exec = w.personas[persona].name == "executive";
    let season = match created.month() {
        1 | 2 => -0.2,
        10..=12 => 0.12,
        _ => 0.0,
    };
    let tenure = (created - w.reps[rep].hired_at).num_days().max(0) as f64;
    let x = -3.55
        + w.sources[source].effect
        + w.industries[industry].effect
        + w.sizes[size].effect
        + w.personas[persona].effect
        + w.regions[region].effect
        + 0.3 * w.reps[rep].skill
        - 0.4 * (1.0 - (tenure / 180.0).min(1.0))
        + season
        + 1.0 * meetings.ln_1p() * if exec { 1.6 } else { 1.0 }
        + 0.4 * visits.ln_1p()
        + 0.1 * opens.min(8.0)
        + if calls >= 1.0 { 0.45 } else { 0.0 }
        - 0.12 * (calls - 3.0).max(0.0)
        + if src == "inbound" && visits >= 3.0 { 0.45 } else { 0.0 }
        + if src == "cold_visit" && meetings >= 1.0 { 0.5 } else { 0.0 }
        - if src == "paid_ads" && opens == 0.0 { 0.35 } else { 0.0 };
    sigmoid(x)
}

#[allow(clippy::too_many_arguments)]
fn touch(
    w: &World,
    rng: &mut ChaCha8Rng,
    stage: Stage,
    main_persona: usize,
    industry: usize,
    rep: usize,
    mult: f64,
    lose: f64,
    at: NaiveDate,
) -> Touch {
    let persona = pick(rng, &w.touch_persona_probs(stage, main_persona));
    let objs = w.objection_probs(stage, persona);
    let objection = objs[pick(rng, &objs.iter().map(|x| x.1).collect::<Vec<_>>())].0;
    let cands = w.candidates(stage, objection);
    let track = cands[pick(rng, &w.policy(rep, &cands))];
    let adv = touch_advance(w.advance_probability(track, persona, industry, objection), mult);
    let u = rng.random::<f64>();
    let outcome = if u < adv {
        Outcome::Advanced
    } else if u < adv + lose {
        Outcome::Lost
    } else {
        Outcome::NoChange
    };
    Touch { at, stage, channel: channel(rng, stage), outcome, track, persona, objection }
}

/// Collecting one invoice: most pay on time; the rest need reminders, and a few never pay.
#[allow(clippy::too_many_arguments)]
fn collect(
    w: &World,
    rng: &mut ChaCha8Rng,
    touches: &mut Vec<Touch>,
    persona: usize,
    industry: usize,
    rep: usize,
    mult: f64,
    won: NaiveDate,
    due: NaiveDate,
    horizon_end: NaiveDate,
) -> Option<NaiveDate> {
    let on_time = 0.62 + 0.06 * w.industries[industry].effect.clamp(-1.0, 1.0);
    if rng.random::<f64>() < on_time {
        let paid = (due - Duration::days(rng.random_range(0..10))).max(won);
        return (paid <= horizon_end).then_some(paid);
    }
    let mut t = due + Duration::days(rng.random_range(1..6));
    for _ in 0..MAX_TOUCHES {
        if t > horizon_end {
            return None;
        }
        let tc = touch(w, rng, Stage::Collection, persona, industry, rep, mult, 0.0, t);
        let paid = tc.outcome == Outcome::Advanced;
        touches.push(tc);
        if paid {
            return Some(t);
        }
        t += Duration::days(gap_days(rng, Stage::Collection, t));
    }
    None
}

/// Cuts the simulated history at `as_of` into contract tables, and writes down the truth.
#[allow(clippy::too_many_arguments)] // one private call site; the parts are distinct inputs
fn assemble(
    cfg: &SimConfig,
    w: &World,
    accounts: &[(usize, usize, usize)],
    leads: &[SimLead],
    deals: &[SimDeal],
    history_start: NaiveDate,
    first_truth: Period,
    last_truth: Period,
) -> Simulation {
    let as_of = cfg.as_of;
    let mut ds = Dataset::default();
    let mut truth = Truth { talk_track_effects: w.talk_track_effects(), ..Truth::default() };

    ds.reps = w
        .reps
        .iter()
        .map(|r| Rep {
            rep_id: r.rep_id.clone(),
            name: r.name.clone(),
            team: r.team.clone(),
            region: r.region.to_string(),
            manager_id: Some(r.manager_id.clone()),
            hired_at: Some(r.hired_at),
        })
        .collect();

    // Leads in the history window, numbered in order of arrival.
    let mut lead_ids: Vec<Option<String>> = vec![None; leads.len()];
    let mut n = 0;
    for (i, l) in leads.iter().enumerate() {
        if l.created < history_start || l.created > as_of {
            continue;
        }
        n += 1;
        let id = format!("L{n:07}");
        let converted = l.converts && l.converted_at <= as_of;
        ds.leads.push(Lead {
            lead_id: id.clone(),
            created_at: l.created,
            source: w.sources[l.source].name.into(),
            industry: w.industries[l.industry].name.into(),
            company_size: w.sizes[l.size].name.into(),
            region: w.regions[l.region].name.into(),
            persona: w.personas[l.persona].name.into(),
            owner_id: w.reps[l.rep].rep_id.clone(),
            product_interest: Some(w.products[l.product].name.into()),
            email_opens: Some(l.signals[0]),
            web_visits: Some(l.signals[1]),
            calls: Some(l.signals[2]),
            meetings: Some(l.signals[3]),
            converted: Some(converted),
            converted_at: converted.then_some(l.converted_at),
        });
        truth.leads.push(TruthLead { lead_id: id.clone(), true_probability: l.p, converted_eventually: l.converts });
        lead_ids[i] = Some(id);
    }

    // Deals created by as_of that were in the window: numbered in order of creation.
    let mut accounts_used = BTreeMap::new();
    let mut acts: Vec<(NaiveDate, usize, usize, Activity)> = Vec::new();
    let mut won_by_rep_period: BTreeMap<(usize, Period), f64> = BTreeMap::new();
    let mut on = 0;
    let mut inv = 0;
    let mut payments = Vec::new();
    for d in deals {
        let l = &leads[d.lead];
        if let Some((true, when)) = d.end {
            *won_by_rep_period.entry((l.rep, Period::quarter_of(when))).or_default() +=
                d.list_price * (1.0 - d.discount / 100.0);
        }
        let ended_before_window = matches!(d.end, Some((_, e)) if e < history_start);
        if d.created > as_of || ended_before_window {
            continue;
        }
        on += 1;
        let oid = format!("O{on:06}");
        let account_id = format!("A{:05}", l.account + 1);
        accounts_used.insert(l.account, account_id.clone());
        let stages: Vec<&(Stage, NaiveDate)> = d.stages.iter().filter(|(_, at)| *at <= as_of).collect();
        let reached_negotiation = stages.iter().any(|(s, _)| *s >= Stage::Negotiation);
        let closed = d.end.filter(|(_, at)| *at <= as_of);
        let status = match closed {
            Some((true, _)) => Status::Won,
            Some((false, _)) => Status::Lost,
            None => Status::Open,
        };
        let amount = if reached_negotiation { d.list_price * (1.0 - d.discount / 100.0) } else { d.list_price };
        ds.opportunities.push(Opportunity {
            opportunity_id: oid.clone(),
            owner_id: w.reps[l.rep].rep_id.clone(),
            product: w.products[d.product].name.into(),
            amount: (amount * 100.0).round() / 100.0,
            created_at: d.created,
            stage: stages.last().map_or(Stage::Discovery, |s| s.0),
            status,
            lead_id: lead_ids[d.lead].clone(),
            account_id: Some(account_id),
            industry: Some(w.industries[l.industry].name.into()),
            expected_close: Some(d.expected_close),
            closed_at: closed.map(|c| c.1),
            discount_pct: reached_negotiation.then_some(d.discount),
        });
        for (s, at) in &stages {
            ds.stage_history.push(StageEntry { opportunity_id: oid.clone(), stage: *s, entered_at: *at });
        }
        for (k, t) in d.touches.iter().enumerate().filter(|(_, t)| t.at <= as_of) {
            acts.push((
                t.at,
                on,
                k,
                Activity {
                    activity_id: String::new(),
                    opportunity_id: oid.clone(),
                    at: t.at,
                    stage: t.stage,
                    channel: t.channel.into(),
                    outcome: t.outcome,
                    talk_track_id: Some(w.catalog.tracks()[t.track].id.clone()),
                    persona: Some(w.personas[t.persona].name.into()),
                    industry: Some(w.industries[l.industry].name.into()),
                    objection: t.objection,
                },
            ));
        }
        if let Some((true, _)) = closed {
            for (amt, due, paid) in &d.invoices {
                inv += 1;
                payments.push(Payment {
                    invoice_id: format!("INV{inv:06}"),
                    opportunity_id: oid.clone(),
                    amount: (amt * 100.0).round() / 100.0,
                    due_at: *due,
                    paid_at: paid.filter(|p| *p <= as_of),
                });
            }
        }
        truth.opportunities.push(TruthOpportunity {
            opportunity_id: oid,
            true_win_probability: d.p_win,
            advance_multiplier: d.advance_multiplier,
            final_status: match d.end {
                Some((true, _)) => Status::Won,
                Some((false, _)) => Status::Lost,
                None => Status::Open,
            },
            final_closed_at: d.end.map(|e| e.1),
        });
    }
    acts.sort_by_key(|a| (a.0, a.1, a.2));
    ds.activities = acts
        .into_iter()
        .enumerate()
        .map(|(i, (_, _, _, mut a))| {
            a.activity_id = format!("T{:07}", i + 1);
            a
        })
        .collect();
    ds.payments = Some(payments);
    ds.accounts = Some(
        accounts_used
            .iter()
            .map(|(&i, id)| {
                let (industry, region, _) = accounts[i];
                Account {
                    account_id: id.clone(),
                    industry: w.industries[industry].name.into(),
                    region: w.regions[region].name.into(),
                    tier: None,
                }
            })
            .collect(),
    );

    // Quotas: last year's mean bookings per active rep in the same quarter (a little under the
    // mean, as bookings per rep are skewed), adjusted for what managers know of each rep and for
    // ramp-up. Quotas never look at the quarter they are for.
    let first_q = Period::quarter_of(history_start);
    let quarters: Vec<Period> = (0..).map(|k| first_q.offset(k)).take_while(|q| *q <= last_truth).collect();
    let active = |r: &super::world::RepLaw, q: Period| r.hired_at <= q.last_day();
    let per_rep = |q: Period| {
        let total: f64 = won_by_rep_period.iter().filter(|((_, p), _)| *p == q).map(|(_, v)| v).sum();
        let n = w.reps.iter().filter(|r| active(r, q)).count().max(1);
        total / n as f64
    };
    let first_year: f64 = quarters.iter().take(4).map(|&q| per_rep(q)).sum::<f64>() / 4.0;
    for r in &w.reps {
        for &q in &quarters {
            if !active(r, q) {
                continue;
            }
            let basis = if q.offset(-4) >= first_q { per_rep(q.offset(-4)) * 0.92 } else { first_year * 0.9 };
            let tenure_q = (q.start() - r.hired_at).num_days() / 91;
            let ramp = match tenure_q {
                i64::MIN..=0 => 0.5,
                1 => 0.8,
                _ => 1.0,
            };
            let quota = (basis * (1.0 + 0.25 * r.skill.tanh()) * ramp / 1000.0).round() * 1000.0;
            ds.quotas.push(Quota { rep_id: r.rep_id.clone(), period: q, quota: quota.max(0.0) });
        }
    }

    let mut q = first_truth;
    while q <= last_truth {
        for (ri, r) in w.reps.iter().enumerate() {
            truth.bookings.push((r.rep_id.clone(), q, won_by_rep_period.get(&(ri, q)).copied().unwrap_or(0.0)));
        }
        q = q.next();
    }
    Simulation { dataset: ds, truth }
}
