//! The `leadcast` binary: parse the command line, run it, exit with its code. All work is done
//! by the library; see `cli` for the thin layer in between.

mod cli;

/// mimalloc instead of glibc's malloc: the server allocates small, short-lived buffers on
/// every request (JSON values, cells, results), and under load glibc's malloc and free were
/// about a sixth of the server's CPU (perf, `benches/serve_load.sh`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
