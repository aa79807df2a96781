//! Every command has `--help` with an example (DESIGN.md), every option says what it is, and the
//! README's examples run.

use std::process::Command;

fn help(path: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_leadcast")).args(path).arg("-h").output().unwrap();
    assert!(out.status.success(), "leadcast {} -h failed", path.join(" "));
    String::from_utf8(out.stdout).unwrap()
}

/// The names listed under `Commands:` (without clap's own `help`).
fn subcommands(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn every_command_explains_its_options_and_shows_an_example() {
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    let mut leaves = 0;
    while let Some(path) = todo.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        let subs = subcommands(&text);
        if !path.is_empty() {
            assert!(text.contains("Example"), "`leadcast {} -h` shows no example:\n{text}", args.join(" "));
        }
        // Short help puts an option and its description on one line: a line with the option
        // alone is one nobody described.
        let bare: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("Options:") && !l.starts_with("Arguments:"))
            .filter(|l| l.starts_with("  "))
            .filter(|l| l.split_whitespace().all(|w| w.starts_with('-') || w.starts_with('<') || w.starts_with('[')))
            .collect();
        assert!(bare.is_empty(), "`leadcast {} -h` leaves these undescribed: {bare:?}\n{text}", args.join(" "));
        if subs.is_empty() {
            leaves += 1;
        }
        for s in subs {
            let mut p = path.clone();
            p.push(s);
            todo.push(p);
        }
    }
    // 17 today: the walk must have reached them (a broken parse of `Commands:` would not).
    assert!(leaves >= 15, "only {leaves} commands found");
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    // `leadcast forecast … | head`: the reader goes away before the output is written. Like
    // `cat` and `grep`, the command ends by SIGPIPE without a word; before, every print to the
    // closed pipe panicked with a backtrace.
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let root = crate::util::repo();
    let (models, data) = (root.join("models"), root.join("data/sample"));
    let (models, data) = (models.to_str().unwrap(), data.to_str().unwrap());
    for args in [
        vec!["quota-plan", "--models", models, "--period", "2026Q4", "--target", "9000000"],
        vec!["forecast", "--models", models, "--period", "2026Q4", "--by", "rep", "--format", "csv"],
        vec!["analytics", "scorecard", "--data", data],
        vec!["models", "list", "--models", models],
    ] {
        // The reader is gone before the command starts: closing it after the spawn raced with a
        // quick command, which could write its few lines into the pipe first and exit 0.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let child = crate::util::bin().args(&args).stdout(writer).stderr(Stdio::piped()).spawn().unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{args:?}: {:?} {stderr}", out.status);
    }
}

/// The README's examples that read the shipped data, models and `../shared/data` run as
/// written (outputs under `/tmp/` go to a temporary directory instead). Examples that train,
/// generate worlds or serve, and those that read a file of the reader's own (`leads.csv`,
/// `bank-full.csv`) or one an earlier example makes (`/tmp/world`), are run by the tests of
/// their commands. The quota plan with rep floors shown there failed
/// until 2026-12-07 without any test noticing.
#[test]
fn the_readmes_examples_run_as_written() {
    let readme = std::fs::read_to_string(crate::util::repo().join("README.md")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_prefix = format!("{}/", tmp.path().display());
    let mut in_sh = false;
    let mut ran = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        let Some(cmd) = line.strip_prefix("leadcast ").filter(|_| in_sh) else { continue };
        let cmd = cmd.split(" #").next().unwrap().trim();
        let args: Vec<String> = cmd.split_whitespace().map(|a| a.replace("/tmp/", &tmp_prefix)).collect();
        // What the example reads must be there: shipped, or in ../shared.
        let reads_own_file = args.windows(2).any(|w| {
            matches!(w[0].as_str(), "--data" | "--models" | "--input" | "--mapping")
                && !crate::util::repo().join(&w[1]).exists()
        });
        let skip = matches!(args[0].as_str(), "train" | "generate" | "serve") || cmd.contains('[') || reads_own_file;
        if skip {
            continue;
        }
        let out =
            Command::new(env!("CARGO_BIN_EXE_leadcast")).args(&args).current_dir(crate::util::repo()).output().unwrap();
        assert!(
            out.status.success(),
            "README: leadcast {cmd}\n{}",
            String::from_utf8_lossy(&out.stderr).lines().take(5).collect::<Vec<_>>().join("\n")
        );
        ran.push(cmd.to_string());
    }
    // The kinds of example this test is for are all there.
    for kind in ["analytics ", "forecast ", "quota-plan ", "recommend ", "score ", "backtest ", "import ", "validate "]
    {
        assert!(ran.iter().any(|c| c.starts_with(kind)), "no README example of `{kind}` ran: {ran:?}");
    }
}
