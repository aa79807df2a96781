//! Channel effectiveness (评估渠道引流效能): per lead source, what the period's leads became and
//! what the channel booked.
//!
//! Two kinds of figure sit side by side, each with a clear base:
//!
//! - *leads*, *converted*, *conversion*: the leads **created in the period** and how many had
//!   converted (to a deal) by the as-of date;
//! - *opportunities*: deals created in the period from the channel's leads;
//! - *won_deals*, *won_revenue*, *average_deal*, *win_rate*, *median_days_to_close*: the deals
//!   **closed in the period** whose lead came from the channel (bookings by channel); time to
//!   close runs from the lead's creation to `closed_at`;
//! - *revenue_per_lead*: the period's won revenue over the period's leads.
//!
//! Deals with no lead form the channel `(no lead)`: they book revenue but have no leads.

use super::{Analytics, NO_LEAD, SortKey, Sortable, Window, days, median, ratio};
use crate::domain::{Period, Status};
use std::collections::BTreeMap;

/// One channel's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChannelRow {
    /// The lead source (or `(no lead)`, or `total`).
    pub source: String,
    pub leads: u64,
    pub converted: u64,
    /// converted / leads.
    pub conversion: Option<f64>,
    pub opportunities: u64,
    pub won_deals: u64,
    pub lost_deals: u64,
    /// won / (won + lost), of deals closed in the period.
    pub win_rate: Option<f64>,
    pub won_revenue: f64,
    /// won_revenue / leads.
    pub revenue_per_lead: Option<f64>,
    /// won_revenue / won_deals.
    pub average_deal: Option<f64>,
    /// Median days from the lead's creation to the deal's win.
    pub median_days_to_close: Option<f64>,
}

/// Channel effectiveness for a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Channels {
    pub window: Window,
    pub rows: Vec<ChannelRow>,
    /// Every channel together.
    pub total: ChannelRow,
}

#[derive(Default)]
struct Acc {
    leads: u64,
    converted: u64,
    opportunities: u64,
    won: u64,
    lost: u64,
    revenue: f64,
    days: Vec<f64>,
}

impl Acc {
    fn row(mut self, source: &str) -> ChannelRow {
        ChannelRow {
            source: source.to_string(),
            leads: self.leads,
            converted: self.converted,
            conversion: ratio(self.converted as f64, self.leads as f64),
            opportunities: self.opportunities,
            won_deals: self.won,
            lost_deals: self.lost,
            win_rate: ratio(self.won as f64, (self.won + self.lost) as f64),
            won_revenue: self.revenue,
            revenue_per_lead: ratio(self.revenue, self.leads as f64),
            average_deal: ratio(self.revenue, self.won as f64),
            median_days_to_close: median(&mut self.days),
        }
    }
}

impl Analytics<'_> {
    /// Channel effectiveness for a period, one row per lead source.
    pub fn channels(&self, period: Period) -> Channels {
        let mut by: BTreeMap<&str, Acc> = BTreeMap::new();
        let mut total = Acc::default();
        for (li, l) in self.ds.leads.iter().enumerate() {
            if !self.in_span(period, l.created_at) {
                continue;
            }
            let conv = self.lead_conversion[li].0;
            for a in [by.entry(l.source.as_str()).or_default(), &mut total] {
                a.leads += 1;
                a.converted += conv as u64;
            }
        }
        for (oi, o) in self.ds.opportunities.iter().enumerate() {
            let source = self.opp_source(oi);
            let created = self.in_span(period, o.created_at) && source != NO_LEAD;
            let closed = o.closed_at.filter(|&d| o.status.is_closed() && self.in_span(period, d));
            if !created && closed.is_none() {
                continue;
            }
            let lead_created = self.opp_lead[oi].map(|li| self.ds.leads[li].created_at);
            for a in [by.entry(source).or_default(), &mut total] {
                a.opportunities += created as u64;
                if let Some(c) = closed {
                    if o.status == Status::Won {
                        a.won += 1;
                        a.revenue += o.amount;
                        if let Some(lc) = lead_created {
                            a.days.push(days(lc, c));
                        }
                    } else {
                        a.lost += 1;
                    }
                }
            }
        }
        Channels {
            window: self.window(period),
            rows: by.into_iter().map(|(k, a)| a.row(k)).collect(),
            total: total.row("total"),
        }
    }
}

impl Sortable for ChannelRow {
    const COLUMNS: &'static [&'static str] = &[
        "source",
        "leads",
        "converted",
        "conversion",
        "opportunities",
        "won_deals",
        "lost_deals",
        "win_rate",
        "won_revenue",
        "revenue_per_lead",
        "average_deal",
        "median_days_to_close",
    ];

    fn sort_key(&self, column: &str) -> SortKey {
        let n = |x: f64| SortKey::Number(Some(x));
        match column {
            "source" => SortKey::Text(self.source.clone()),
            "leads" => n(self.leads as f64),
            "converted" => n(self.converted as f64),
            "conversion" => SortKey::Number(self.conversion),
            "opportunities" => n(self.opportunities as f64),
            "won_deals" => n(self.won_deals as f64),
            "lost_deals" => n(self.lost_deals as f64),
            "win_rate" => SortKey::Number(self.win_rate),
            "won_revenue" => n(self.won_revenue),
            "revenue_per_lead" => SortKey::Number(self.revenue_per_lead),
            "average_deal" => SortKey::Number(self.average_deal),
            _ => SortKey::Number(self.median_days_to_close),
        }
    }

    fn id(&self) -> &str {
        &self.source
    }
}
