//! The `sluice` binary: read the command line, load the configuration, then serve (stopping
//! gracefully on SIGTERM or Ctrl-C) or run a one-off command (`server::cli`).

use std::process::ExitCode;

use clap::Parser;
use server::cli::{Cli, Command};
use server::config::Config;

/// mimalloc: per-request allocations are a fifth of a webhook call's CPU with the system
/// allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sluice: {e}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(&config.log);
    match cli.command {
        None | Some(Command::Serve) => serve(config).await,
        Some(command) => match server::cli::run(config, command).await {
            Ok(done) => {
                println!("{done}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sluice: {e}");
                ExitCode::from(1)
            }
        },
    }
}

async fn serve(config: Config) -> ExitCode {
    let db = config.db.describe();
    let server = match server::start(config, None).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("sluice: {e}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(
        address = %server.addr,
        database = %db,
        "Sluice is listening: API at http://{}, app at http://{}/admin",
        server.addr,
        server.addr
    );
    wait_for_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    server.shutdown();
    match server.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::from(1)
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
