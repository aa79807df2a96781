//! Progress for long work: a spinner with elapsed time on a terminal, plain log lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    pub fn start(msg: String) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").expect("valid template"));
            b.enable_steady_tick(Duration::from_millis(120));
            b.set_message(msg.clone());
            b
        });
        if bar.is_none() {
            eprintln!("{msg}");
        }
        Progress { bar, started: Instant::now() }
    }

    pub fn step(&self, msg: String) {
        match &self.bar {
            Some(b) => b.set_message(msg),
            None => eprintln!("{msg}"),
        }
    }

    pub fn finish(self) {
        let took = format!("done in {:.1}s", self.started.elapsed().as_secs_f64());
        match self.bar {
            Some(b) => b.finish_with_message(took),
            None => eprintln!("{took}"),
        }
    }
}
