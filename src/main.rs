//! The `leadcast` binary: parse the command line, run it, exit with its code. All work is done
//! by the library; see `cli` for the thin layer in between.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
