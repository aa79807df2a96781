//! Revenue and quota forecasting.
//!
//! `ts` forecasts any univariate series (bookings per group, or a user's own series through
//! `leadcast forecast-series`) with intervals; the pipeline, quota and plan modules build on it.

pub mod ts;
