use clap::Parser;

/// The server allocates many small short-lived values per request (rows, JSON); mimalloc's
/// per-thread heaps measurably beat the system allocator here (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = slotline::cli::Cli::parse();
    slotline::telemetry::init_logs(cli.log_format);
    match slotline::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
