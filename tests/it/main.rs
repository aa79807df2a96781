//! leadcast's integration tests: one binary, a module per area. They run the real `leadcast`
//! binary on real files (and the real shared data sets beside the project).

mod bad_input;
mod catalog;
mod generate;
mod import;
mod loader_fuzz;
mod scoring;
mod talktrack;
mod util;
