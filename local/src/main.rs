//! `paynectra-local`: serves the whole API locally, routes taken from
//! `template.yaml`. `make run` starts it with DynamoDB Local; see README.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use clap::{CommandFactory, Parser};
use paynectra::service::App;
use paynectra_local::{serve, LocalApi, Template, ThrottleLimits, Throttling, UsageLimits};

#[derive(Parser)]
#[command(name = "paynectra-local", version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "PAYNECTRA_HOST", default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Port to listen on.
    #[arg(long, env = "PAYNECTRA_PORT", default_value_t = 3000)]
    port: u16,
    /// The SAM template to take routes, authorizer and gateway responses from.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Throttle every method at this many requests per second instead of
    /// the template's MethodSettings (with --throttle-burst).
    #[arg(long, env = "PAYNECTRA_THROTTLE_RATE", requires = "throttle_burst", value_parser = positive_rate)]
    throttle_rate: Option<f64>,
    /// The burst (bucket size) that goes with --throttle-rate.
    #[arg(long, env = "PAYNECTRA_THROTTLE_BURST", requires = "throttle_rate")]
    throttle_burst: Option<u32>,
    /// No throttle at all, neither the stage's nor the per-account limits
    /// (for load runs against the local stack). PAYNECTRA_NO_THROTTLE takes
    /// 1/0, true/false (or yes/no, on/off).
    #[arg(long, env = "PAYNECTRA_NO_THROTTLE", value_parser = clap::builder::BoolishValueParser::new())]
    no_throttle: bool,
}

impl Cli {
    /// The throttle asked for. Not clap's `conflicts_with`: it would also
    /// refuse `PAYNECTRA_NO_THROTTLE=0` (throttle on) beside a rate.
    fn throttling(&self) -> Result<Throttling, clap::Error> {
        match (self.no_throttle, self.throttle_rate, self.throttle_burst) {
            (true, Some(_), _) => Err(Cli::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                "--no-throttle (PAYNECTRA_NO_THROTTLE) cannot be used with --throttle-rate",
            )),
            (true, None, _) => Ok(Throttling::Off),
            (false, Some(rate), Some(burst)) => Ok(Throttling::Limits(ThrottleLimits { rate, burst })),
            _ => Ok(Throttling::Template),
        }
    }
}

/// A rate is a finite number of requests per second above zero (NaN would
/// never throttle, a negative rate would throttle for good).
fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("{s:?} is not a number of requests per second above 0")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    paynectra::lambda::telemetry::init();
    let cli = Cli::parse();
    let throttling = cli.throttling().unwrap_or_else(|e| e.exit());

    let template = match Template::load(&cli.template) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("paynectra-local: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The keys come through the same GetSecretValue as on AWS, from the
    // local stack's own Secrets Manager over PAYNECTRA_LOCAL_SECRETS (a JSON
    // file: secret name to value; scripts/run.sh writes it).
    let secrets = match std::env::var("PAYNECTRA_LOCAL_SECRETS") {
        Ok(path) => match paynectra_local::secrets::load(std::path::Path::new(&path)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("paynectra-local: PAYNECTRA_LOCAL_SECRETS: {e}");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => {
            eprintln!("paynectra-local: PAYNECTRA_LOCAL_SECRETS is not set: cards cannot be tokenised nor webhook endpoints created");
            Default::default()
        }
    };
    let ids = if secrets.is_empty() {
        paynectra::service::secrets::SecretIds::default()
    } else {
        paynectra_local::secrets::local_ids()
    };
    let secrets_url = match paynectra_local::secrets::serve(secrets).await {
        Ok(url) => url,
        Err(e) => {
            eprintln!("paynectra-local: cannot serve the local secrets: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Webhooks: follow DynamoDB Local's stream into the consumer, which
    // enqueues on the delivery queue in moto, whose batches the workers
    // take, as the event source mappings do on AWS.
    // PAYNECTRA_LOCAL_WEBHOOKS=off leaves them undelivered
    // (scripts/schemathesis.sh: its generated endpoint URLs name hosts on
    // the internet).
    let webhooks_off = std::env::var("PAYNECTRA_LOCAL_WEBHOOKS").is_ok_and(|v| v == "off");
    let dynamodb = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok();
    let sqs = std::env::var("AWS_ENDPOINT_URL_SQS").ok();
    let queues = match (&dynamodb, &sqs) {
        _ if webhooks_off => {
            eprintln!("paynectra-local: PAYNECTRA_LOCAL_WEBHOOKS=off: webhooks will not be delivered");
            None
        }
        (None, _) => {
            eprintln!("paynectra-local: AWS_ENDPOINT_URL_DYNAMODB is not set: webhooks will not be delivered");
            None
        }
        (Some(_), None) => {
            eprintln!("paynectra-local: AWS_ENDPOINT_URL_SQS is not set (start moto: scripts/moto.sh): webhooks will not be delivered");
            None
        }
        (Some(_), Some(endpoint)) => {
            let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| "paynectra".into());
            let client = paynectra_local::queue::sqs_client(endpoint).await;
            match paynectra_local::queue::create(client, &queue_prefix(&table), 60).await {
                Ok(q) => Some(q),
                Err(e) => {
                    eprintln!("paynectra-local: webhooks will not be delivered: {e}");
                    None
                }
            }
        }
    };
    let app: &'static App = match App::load(&ids, Some(&secrets_url)).await {
        // The local stack delivers webhooks to receivers on this machine.
        Ok(app) => Box::leak(Box::new(App {
            allow_local_webhook_urls: true,
            queue: queues.as_ref().map(|q| q.delivery_queue()),
            ..app
        })),
        Err(e) => {
            eprintln!("paynectra-local: {e}");
            return ExitCode::FAILURE;
        }
    };
    let api = match LocalApi::new(template, app) {
        Ok(api) => api.with_throttling(throttling),
        Err(e) => {
            eprintln!("paynectra-local: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The per-account limits: the usage plans in the local API Gateway
    // (moto, which make run starts), as on AWS.
    let api = if throttling == Throttling::Off {
        api
    } else if std::env::var_os("AWS_ENDPOINT_URL_API_GATEWAY").is_none() {
        eprintln!(
            "paynectra-local: AWS_ENDPOINT_URL_API_GATEWAY is not set: the per-account rate limits need the local \
             API Gateway (moto: source scripts/moto.sh; make run starts it), or pass --no-throttle"
        );
        return ExitCode::FAILURE;
    } else {
        api.with_usage_limits(UsageLimits::from_env().await)
    };
    let api = Arc::new(api);
    if let (Some(queues), Some(endpoint)) = (queues, dynamodb) {
        let streams = paynectra_local::stream::streams_client(&endpoint).await;
        match paynectra_local::stream::follow(app, streams).await {
            Ok(_) => {
                paynectra_local::queue::map(app, queues);
                eprintln!("Delivering webhooks: the table's stream -> the delivery queue (moto) -> the workers.");
            }
            Err(e) => eprintln!("paynectra-local: webhooks will not be delivered: {e}"),
        }
    }
    let addr = SocketAddr::new(cli.host, cli.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("paynectra-local: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "Paynectra API listening on http://{addr} ({} routes from {}):",
        api.routes().len(),
        cli.template.display()
    );
    for r in api.routes() {
        eprintln!("  {:<6} {}  ->  {}", r.method, r.path, r.function);
    }
    match throttling {
        Throttling::Template => {
            eprintln!("Throttled per method as template.yaml's MethodSettings say (429 past them).")
        }
        Throttling::Limits(l) => eprintln!("Throttled per method at {} requests/s, bursts of {}.", l.rate, l.burst),
        Throttling::Off => eprintln!("Not throttled."),
    }
    if api.usage_limits_apply() {
        eprintln!("Each account held to its usage plans' limits (paynectra-admin limits show; 429 past them).");
    }
    // Until here SIGINT and SIGTERM kill the process (nothing to finish, and
    // a start-up stuck on DynamoDB stays killable); from here they stop the
    // server.
    let stop = match stop_signal() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("paynectra-local: cannot handle SIGINT/SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    serve(listener, api, async {
        let by = stop.await;
        eprintln!("paynectra-local: {by}: stopping");
    })
    .await;
    eprintln!("paynectra-local: stopped");
    ExitCode::SUCCESS
}

/// The queues' name prefix for a table: the table name in the characters
/// queue names may have.
fn queue_prefix(table: &str) -> String {
    table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect()
}

/// Listens for SIGINT (Ctrl-C) and SIGTERM (`kill`, `make run`'s clean-up,
/// a supervisor) from now on (not from the future's first poll); the future
/// completes, with the signal's name, on the first of them.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `PAYNECTRA_NO_THROTTLE=1` (as the README says) and `true` turn the
    /// throttle off, `0` and `false` leave it on, as `--no-throttle` and its
    /// absence do. The only test of this binary, so the only one that sets
    /// these variables.
    #[test]
    fn no_throttle_from_the_environment() {
        for var in [
            "PAYNECTRA_THROTTLE_RATE",
            "PAYNECTRA_THROTTLE_BURST",
            "PAYNECTRA_NO_THROTTLE",
        ] {
            std::env::remove_var(var);
        }
        let throttling = |args: &[&str]| {
            Cli::try_parse_from(args)
                .and_then(|c| c.throttling())
                .map_err(|e| e.to_string())
        };
        let limits = Throttling::Limits(ThrottleLimits { rate: 5.0, burst: 10 });
        let with_rate = ["paynectra-local", "--throttle-rate", "5", "--throttle-burst", "10"];
        assert_eq!(throttling(&["paynectra-local"]), Ok(Throttling::Template));
        assert_eq!(throttling(&["paynectra-local", "--no-throttle"]), Ok(Throttling::Off));
        assert_eq!(throttling(&with_rate), Ok(limits));
        assert!(throttling(&[&with_rate[..], &["--no-throttle"]].concat()).is_err());
        for (value, off) in [
            ("1", true),
            ("true", true),
            ("TRUE", true),
            ("True", true),
            ("0", false),
            ("false", false),
            ("FALSE", false),
        ] {
            std::env::set_var("PAYNECTRA_NO_THROTTLE", value);
            let (plain, rated) = if off {
                (Ok(Throttling::Off), false)
            } else {
                (Ok(Throttling::Template), true)
            };
            assert_eq!(throttling(&["paynectra-local"]), plain, "PAYNECTRA_NO_THROTTLE={value}");
            assert_eq!(
                throttling(&with_rate).is_ok(),
                rated,
                "PAYNECTRA_NO_THROTTLE={value} with --throttle-rate"
            );
        }
        std::env::set_var("PAYNECTRA_NO_THROTTLE", "maybe");
        assert!(throttling(&["paynectra-local"]).is_err(), "an unknown value is refused");
        std::env::remove_var("PAYNECTRA_NO_THROTTLE");
    }
}
