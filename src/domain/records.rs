//! One typed record per contract table, and the table specs (names and columns) that the
//! loader and the writer share.

use super::{Objection, Outcome, Period, Stage, Status};
use chrono::NaiveDate;

/// A contract table: its name and its required and optional columns, in file order.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// Whether a data directory must contain the table.
    pub mandatory: bool,
}

impl TableSpec {
    /// Every column, required first.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.required.iter().chain(self.optional.iter()).copied()
    }
}

pub const REPS: TableSpec = TableSpec {
    name: "reps",
    required: &["rep_id", "name", "team", "region"],
    optional: &["manager_id", "hired_at"],
    mandatory: true,
};
pub const QUOTAS: TableSpec =
    TableSpec { name: "quotas", required: &["rep_id", "period", "quota"], optional: &[], mandatory: true };
pub const LEADS: TableSpec = TableSpec {
    name: "leads",
    required: &["lead_id", "created_at", "source", "industry", "company_size", "region", "persona", "owner_id"],
    optional: &["product_interest", "email_opens", "web_visits", "calls", "meetings", "converted", "converted_at"],
    mandatory: true,
};
pub const OPPORTUNITIES: TableSpec = TableSpec {
    name: "opportunities",
    required: &["opportunity_id", "owner_id", "product", "amount", "created_at", "stage", "status"],
    optional: &["lead_id", "account_id", "industry", "expected_close", "closed_at", "discount_pct"],
    mandatory: true,
};
pub const STAGE_HISTORY: TableSpec = TableSpec {
    name: "stage_history",
    required: &["opportunity_id", "stage", "entered_at"],
    optional: &[],
    mandatory: true,
};
pub const ACTIVITIES: TableSpec = TableSpec {
    name: "activities",
    required: &["activity_id", "opportunity_id", "at", "stage", "channel", "outcome"],
    optional: &["talk_track_id", "persona", "industry", "objection"],
    mandatory: true,
};
pub const ACCOUNTS: TableSpec = TableSpec {
    name: "accounts",
    required: &["account_id", "industry", "region"],
    optional: &["tier"],
    mandatory: false,
};
pub const PAYMENTS: TableSpec = TableSpec {
    name: "payments",
    required: &["invoice_id", "opportunity_id", "amount", "due_at"],
    optional: &["paid_at"],
    mandatory: false,
};

/// The contract's date columns (ISO dates, read with `data::load::parse_date`), in any table.
pub const DATE_COLUMNS: &[&str] =
    &["hired_at", "created_at", "converted_at", "expected_close", "closed_at", "entered_at", "at", "due_at", "paid_at"];

/// The contract's number columns (plain numbers with a decimal point), in any table.
pub const NUMBER_COLUMNS: &[&str] =
    &["quota", "amount", "discount_pct", "email_opens", "web_visits", "calls", "meetings"];

/// Every contract table, in dependency order (a table only refers to tables before it).
pub const TABLES: &[TableSpec] = &[REPS, QUOTAS, ACCOUNTS, LEADS, OPPORTUNITIES, STAGE_HISTORY, ACTIVITIES, PAYMENTS];

/// A sales rep (销售代表) and where they sit in the organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Rep {
    pub rep_id: String,
    pub name: String,
    pub team: String,
    pub region: String,
    pub manager_id: Option<String>,
    pub hired_at: Option<NaiveDate>,
}

/// A rep's target for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    pub rep_id: String,
    pub period: Period,
    pub quota: f64,
}

/// A lead (线索) and what is known about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub lead_id: String,
    pub created_at: NaiveDate,
    pub source: String,
    pub industry: String,
    pub company_size: String,
    pub region: String,
    pub persona: String,
    pub owner_id: String,
    pub product_interest: Option<String>,
    pub email_opens: Option<u32>,
    pub web_visits: Option<u32>,
    pub calls: Option<u32>,
    pub meetings: Option<u32>,
    pub converted: Option<bool>,
    pub converted_at: Option<NaiveDate>,
}

/// An opportunity (商机) in the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    pub opportunity_id: String,
    pub owner_id: String,
    pub product: String,
    pub amount: f64,
    pub created_at: NaiveDate,
    pub stage: Stage,
    pub status: Status,
    pub lead_id: Option<String>,
    pub account_id: Option<String>,
    pub industry: Option<String>,
    pub expected_close: Option<NaiveDate>,
    pub closed_at: Option<NaiveDate>,
    /// Discount in percent of list price, 0 ≤ d < 100.
    pub discount_pct: Option<f64>,
}

/// The moment an opportunity entered a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageEntry {
    pub opportunity_id: String,
    pub stage: Stage,
    pub entered_at: NaiveDate,
}

/// One touch with a buyer: a call, a visit, an email, a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub activity_id: String,
    pub opportunity_id: String,
    pub at: NaiveDate,
    pub stage: Stage,
    pub channel: String,
    pub outcome: Outcome,
    pub talk_track_id: Option<String>,
    pub persona: Option<String>,
    pub industry: Option<String>,
    pub objection: Option<Objection>,
}

/// A customer company.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub account_id: String,
    pub industry: String,
    pub region: String,
    pub tier: Option<String>,
}

/// An invoice for a won opportunity and when it was paid.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub invoice_id: String,
    pub opportunity_id: String,
    pub amount: f64,
    pub due_at: NaiveDate,
    pub paid_at: Option<NaiveDate>,
}

/// A complete data directory in memory: every contract table, typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    pub reps: Vec<Rep>,
    pub quotas: Vec<Quota>,
    pub leads: Vec<Lead>,
    pub opportunities: Vec<Opportunity>,
    pub stage_history: Vec<StageEntry>,
    pub activities: Vec<Activity>,
    /// `None` when the directory has no `accounts` table.
    pub accounts: Option<Vec<Account>>,
    /// `None` when the directory has no `payments` table.
    pub payments: Option<Vec<Payment>>,
}

impl Dataset {
    /// Number of rows in a table, by contract name.
    pub fn rows(&self, table: &str) -> usize {
        match table {
            "reps" => self.reps.len(),
            "quotas" => self.quotas.len(),
            "leads" => self.leads.len(),
            "opportunities" => self.opportunities.len(),
            "stage_history" => self.stage_history.len(),
            "activities" => self.activities.len(),
            "accounts" => self.accounts.as_ref().map_or(0, Vec::len),
            "payments" => self.payments.as_ref().map_or(0, Vec::len),
            _ => 0,
        }
    }
}
