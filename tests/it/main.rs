//! leadcast's integration tests: one binary, a module per area. They run the real `leadcast`
//! binary on real files (and the real shared data sets beside the project).

mod analytics;
mod bad_input;
mod catalog;
mod dashboard;
mod forecast;
mod forecast_series;
mod generate;
mod help;
mod import;
mod loader_fuzz;
mod notebooks;
mod scoring;
mod serve;
mod serve_fuzz;
mod server;
mod talktrack;
mod util;
