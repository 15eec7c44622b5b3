//! Structured JSON logs through `tracing`.
//!
//! Each line is one JSON object; fields of the current span (the request
//! span opened by [`crate::http::serve`], which carries `request_id`) are
//! included on every line.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the JSON subscriber once. The level comes from `RUST_LOG`
/// (default `info`). Lambda's `AWS_LAMBDA_LOG_LEVEL` is honoured too.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().map(|l| l.to_lowercase()))
        .unwrap_or_else(|| "info".into());
    let _ = fmt()
        .json()
        .with_env_filter(EnvFilter::new(filter))
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}

/// The same JSON logs, written through the test harness's capture (shown
/// only for failing tests).
pub fn init_for_tests() {
    let _ = fmt()
        .json()
        .with_env_filter(EnvFilter::new(
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        ))
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_test_writer()
        .try_init();
}
