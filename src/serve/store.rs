//! The server's database: talk-track decisions and feedback (written before the answer), and
//! the sampled prediction log. One interface over two real databases through sqlx, each with
//! its migrations (`migrations/sqlite`, `migrations/postgres`, embedded in the binary):
//! SQLite in a file by default (WAL, `synchronous=FULL` so an acknowledged write survives a
//! crash) and PostgreSQL for several replicas sharing one database.
//!
//! Queries are written once with `?` placeholders; for PostgreSQL they are renumbered `$1…`.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Row};
use std::str::FromStr;

/// A database connection pool.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A stored talk-track decision: its context and the whole decision as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRow {
    pub decision_id: String,
    pub at: String,
    pub model_version: String,
    pub context: String,
    pub payload: String,
}

/// Reported outcome of a talk track in a context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRow {
    pub decision_id: Option<String>,
    pub at: String,
    pub stage: String,
    pub persona: Option<String>,
    pub industry: Option<String>,
    pub objection: Option<String>,
    pub talk_track_id: String,
    pub outcome: String,
    /// Which server process stored it (replicas skip their own when refreshing).
    pub replica: String,
}

/// One sampled prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionRow {
    pub at: String,
    pub kind: String,
    pub model_version: String,
    pub entity_id: Option<String>,
    pub probability: f64,
    pub grade: String,
    pub input: String,
}

fn db(e: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("database: {e}"))
}

/// `?` placeholders renumbered `$1, $2, …` (PostgreSQL).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

macro_rules! execute {
    ($store:expr, $sql:expr $(, $b:expr)*) => {
        match $store {
            Store::Sqlite(p) => sqlx::query($sql)$(.bind($b))*.execute(p).await.map(|r| r.rows_affected()).map_err(db),
            Store::Postgres(p) => {
                sqlx::query(AssertSqlSafe(numbered($sql)))$(.bind($b))*.execute(p).await.map(|r| r.rows_affected()).map_err(db)
            }
        }
    };
}

macro_rules! fetch {
    ($store:expr, $map:expr, $sql:expr $(, $b:expr)*) => {
        match $store {
            Store::Sqlite(p) => sqlx::query($sql)$(.bind($b))*.fetch_all(p).await.map_err(db)?.iter().map($map).collect::<Result<Vec<_>>>(),
            Store::Postgres(p) => sqlx::query(AssertSqlSafe(numbered($sql)))$(.bind($b))*.fetch_all(p).await.map_err(db)?.iter().map($map).collect::<Result<Vec<_>>>(),
        }
    };
}

fn get<'r, R: Row, T>(row: &'r R, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    row.try_get(col).map_err(db)
}

fn decision<R: Row>(r: &R) -> Result<DecisionRow>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(DecisionRow {
        decision_id: get(r, "decision_id")?,
        at: get(r, "at")?,
        model_version: get(r, "model_version")?,
        context: get(r, "context")?,
        payload: get(r, "payload")?,
    })
}

fn feedback<R: Row>(r: &R) -> Result<(i64, FeedbackRow)>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok((
        get(r, "id")?,
        FeedbackRow {
            decision_id: get(r, "decision_id")?,
            at: get(r, "at")?,
            stage: get(r, "stage")?,
            persona: get(r, "persona")?,
            industry: get(r, "industry")?,
            objection: get(r, "objection")?,
            talk_track_id: get(r, "talk_track_id")?,
            outcome: get(r, "outcome")?,
            replica: get(r, "replica")?,
        },
    ))
}

impl Store {
    /// Connects to `url` (`sqlite://path` — the file is created — or `postgres://…`) and runs
    /// the migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(|e| Error::InvalidArgument(format!("cannot connect to PostgreSQL: {e}")))?;
            sqlx::migrate!("migrations/postgres").run(&pool).await.map_err(db)?;
            Ok(Store::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::InvalidArgument(format!("bad SQLite URL {url:?}: {e}")))?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(std::time::Duration::from_secs(5));
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await
                .map_err(|e| Error::InvalidArgument(format!("cannot open SQLite database {url:?}: {e}")))?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await.map_err(db)?;
            Ok(Store::Sqlite(pool))
        } else {
            Err(Error::InvalidArgument(format!("--db {url:?}: expected sqlite://PATH or postgres://USER@HOST/DB")))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        execute!(self, "SELECT 1").is_ok()
    }

    pub async fn insert_decision(&self, d: &DecisionRow) -> Result<()> {
        execute!(
            self,
            "INSERT INTO decisions (decision_id, at, model_version, context, payload) VALUES (?, ?, ?, ?, ?)",
            &d.decision_id,
            &d.at,
            &d.model_version,
            &d.context,
            &d.payload
        )?;
        Ok(())
    }

    pub async fn decision(&self, id: &str) -> Result<Option<DecisionRow>> {
        let rows = fetch!(
            self,
            decision,
            "SELECT decision_id, at, model_version, context, payload FROM decisions WHERE decision_id = ?",
            id
        )?;
        Ok(rows.into_iter().next())
    }

    /// Stores one feedback row; returns its ID. Committed when this returns.
    pub async fn insert_feedback(&self, f: &FeedbackRow) -> Result<i64> {
        let sql = "INSERT INTO feedback (decision_id, at, stage, persona, industry, objection, talk_track_id, outcome, replica) \
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
        let ids = fetch!(
            self,
            |r| get::<_, i64>(r, "id"),
            sql,
            &f.decision_id,
            &f.at,
            &f.stage,
            &f.persona,
            &f.industry,
            &f.objection,
            &f.talk_track_id,
            &f.outcome,
            &f.replica
        )?;
        ids.into_iter().next().ok_or_else(|| db("insert returned no id"))
    }

    /// Feedback rows with an ID above `after`, oldest first, at most `limit`.
    pub async fn feedback_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, FeedbackRow)>> {
        fetch!(
            self,
            feedback,
            "SELECT id, decision_id, at, stage, persona, industry, objection, talk_track_id, outcome, replica \
             FROM feedback WHERE id > ? ORDER BY id LIMIT ?",
            after,
            limit
        )
    }

    /// Appends sampled predictions in one transaction.
    pub async fn insert_predictions(&self, rows: &[PredictionRow]) -> Result<()> {
        let sql = "INSERT INTO predictions (at, kind, model_version, entity_id, probability, grade, input) VALUES (?, ?, ?, ?, ?, ?, ?)";
        match self {
            Store::Sqlite(p) => {
                let mut tx = p.begin().await.map_err(db)?;
                for r in rows {
                    sqlx::query(sql)
                        .bind(&r.at)
                        .bind(&r.kind)
                        .bind(&r.model_version)
                        .bind(&r.entity_id)
                        .bind(r.probability)
                        .bind(&r.grade)
                        .bind(&r.input)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
                tx.commit().await.map_err(db)
            }
            Store::Postgres(p) => {
                let sql = numbered(sql);
                let mut tx = p.begin().await.map_err(db)?;
                for r in rows {
                    sqlx::query(AssertSqlSafe(sql.clone()))
                        .bind(&r.at)
                        .bind(&r.kind)
                        .bind(&r.model_version)
                        .bind(&r.entity_id)
                        .bind(r.probability)
                        .bind(&r.grade)
                        .bind(&r.input)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
                tx.commit().await.map_err(db)
            }
        }
    }

    /// How many predictions are logged (for tests and the models page).
    pub async fn prediction_count(&self) -> Result<i64> {
        let v = fetch!(self, |r| get::<_, i64>(r, "n"), "SELECT COUNT(*) AS n FROM predictions")?;
        Ok(v.into_iter().next().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_for_postgres() {
        assert_eq!(numbered("a = ? AND b = ?"), "a = $1 AND b = $2");
    }
}
