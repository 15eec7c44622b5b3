//! Cold starts: every function's release binary, executed under the
//! Runtime API stand-in, against DynamoDB Local through the recording
//! proxy; beside a hello-world `lambda_http` binary of the same profile.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use hyper::body::Bytes;

use crate::{
    proxy::{Capacity, Proxy, Twin},
    runtime::RuntimeApi,
    world::{median, ms, round_order, World},
};

pub const HELLO: &str = "hello-lambda";

/// The functions of the workspace (their binaries, `functions/src/bin/<name>.rs`).
pub fn functions() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(crate::world::repo_root().join("functions/src/bin"))
        .expect("functions/src/bin/")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".rs").map(str::to_owned))
        .collect();
    names.sort();
    if let Ok(only) = std::env::var("BENCH_FUNCTIONS") {
        let only: Vec<&str> = only.split(',').map(str::trim).collect();
        names.retain(|n| only.contains(&n.as_str()));
    }
    names
}

/// A way to start a binary: a label and the environment it adds.
#[derive(Clone, Debug)]
pub struct Variant {
    pub label: &'static str,
    pub env: Vec<(&'static str, &'static str)>,
    /// Another build's binaries (`cold-builds`); default: `BENCH_BIN_DIR`.
    pub bin_dir: Option<PathBuf>,
}

pub const ON: &str = "warm-up on";
pub const OFF: &str = "warm-up off";
pub const PLAIN: &str = "-";

/// The default pair: with and without the init-time warm-up.
pub fn warm_up_variants() -> Vec<Variant> {
    vec![
        Variant {
            label: ON,
            env: vec![("PAYNECTRA_WARM_DYNAMODB", "1")],
            bin_dir: None,
        },
        Variant {
            label: OFF,
            env: vec![("PAYNECTRA_WARM_DYNAMODB", "0")],
            bin_dir: None,
        },
    ]
}

/// One function's cold start and the warm invocations after it
/// (milliseconds).
#[derive(Debug, Default, Clone)]
pub struct Run {
    /// From the process's start to its first poll for an event.
    pub init: f64,
    /// The first invocation, handed out to answered.
    pub cold: f64,
    pub warm: Vec<f64>,
    pub status: String,
    pub warm_status: Vec<String>,
    /// DynamoDB calls the init made (connection warming).
    pub init_calls: usize,
    /// The first request's DynamoDB operations.
    pub ops: Vec<String>,
    /// Those operations replayed on a warm raw SDK client.
    pub raw_cold: f64,
    pub capacity: Capacity,
    /// TCP connections the process opened to DynamoDB (through the proxy)
    /// over init, the first request and the warm ones.
    pub connections: usize,
    pub failed: Option<String>,
}

fn status_of(ok: bool, body: &Bytes) -> String {
    if !ok {
        return "error".into();
    }
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["statusCode"].as_u64())
        .map(|s| s.to_string())
        .unwrap_or_else(|| "ok".into())
}

pub struct Cold<'a> {
    pub bin_dir: PathBuf,
    pub world: &'a World,
    pub proxy: &'a Proxy,
    pub twin: &'a mut Twin,
    pub warm_invocations: usize,
    pub log: std::fs::File,
}

impl Cold<'_> {
    async fn run(&mut self, name: &str, variant: &Variant) -> Run {
        let event = if name == HELLO {
            std::fs::read_to_string(crate::world::repo_root().join("events/get_payment.json")).unwrap()
        } else {
            self.world.event_for(name).await
        };
        let event = Bytes::from(event);
        self.twin.catch_up(self.proxy).await;
        let mark = self.proxy.len();
        let connections = self.proxy.connections();
        let mut rt = RuntimeApi::start().await;
        let first = rt.invoke(event.clone());
        let mut cmd = tokio::process::Command::new(variant.bin_dir.as_ref().unwrap_or(&self.bin_dir).join(name));
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("AWS_LAMBDA_RUNTIME_API", &rt.addr)
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_SESSION_TOKEN", "local")
            .env("AWS_ENDPOINT_URL_DYNAMODB", &self.proxy.url)
            .env("TABLE_NAME", self.world.table())
            // The keys come from Secrets Manager at init, as on AWS (the
            // local one here: loopback, no TLS, so what it adds on AWS is
            // this plus one round trip in the region).
            .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", &self.world.secrets_url)
            .env(
                "CARD_FINGERPRINT_KEY_SECRET",
                paynectra_local::secrets::CARD_FINGERPRINT_KEY,
            )
            .env(
                "REQUEST_FINGERPRINT_KEY_SECRET",
                paynectra_local::secrets::REQUEST_FINGERPRINT_KEY,
            )
            .env(
                "WEBHOOK_SECRET_KEY_SECRET",
                paynectra_local::secrets::WEBHOOK_SECRET_KEY,
            )
            .env("PAYNECTRA_ALLOW_LOCAL_WEBHOOK_URLS", "1")
            .env("RUST_LOG", "warn")
            .envs(variant.env.iter().copied())
            .stdin(Stdio::null())
            .stdout(self.log.try_clone().unwrap())
            .stderr(self.log.try_clone().unwrap())
            .kill_on_drop(true);
        let t0 = Instant::now();
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return Run {
                    failed: Some(format!("{name}: {e}")),
                    ..Run::default()
                }
            }
        };
        let mut run = Run::default();
        let outcome = tokio::select! {
            o = tokio::time::timeout(Duration::from_secs(20), first) => o,
            exit = child.wait() => {
                run.failed = Some(format!("{name} exited during init ({exit:?}): {:?}", rt.init_error()));
                return run;
            }
        };
        let Ok(Ok(outcome)) = outcome else {
            run.failed = Some(format!("{name}: no answer in 20 s; init error: {:?}", rt.init_error()));
            return run;
        };
        run.init = ms(rt.first_next().expect("polled") - t0);
        run.cold = ms(outcome.took);
        run.status = status_of(outcome.ok, &outcome.body);
        for _ in 0..self.warm_invocations {
            let rx = rt.invoke(event.clone());
            if let Ok(Ok(o)) = tokio::time::timeout(Duration::from_secs(20), rx).await {
                run.warm.push(ms(o.took));
                run.warm_status.push(status_of(o.ok, &o.body));
            }
        }
        let _ = child.kill().await;
        drop(rt);
        run.connections = self.proxy.connections() - connections;
        // Which recorded calls were the init's, which the first request's.
        let calls = self.proxy.since(mark);
        let init_calls = calls.iter().take_while(|c| c.at < outcome.handed_out).count();
        let request: Vec<_> = calls[init_calls..]
            .iter()
            .take_while(|c| c.at < outcome.answered)
            .cloned()
            .collect();
        run.init_calls = init_calls;
        self.twin.catch_up_to(self.proxy, mark + init_calls).await;
        let replayed = self.twin.replay(mark + init_calls, &request, true).await;
        run.raw_cold = ms(replayed.total);
        run.capacity = replayed.capacity;
        run.ops = replayed.ops;
        self.twin.catch_up(self.proxy).await;
        run
    }

    /// `runs` fresh processes per binary and variant, alternating: every
    /// round runs each (hello world, each function with and without the
    /// init warm-up) once, in an order that rotates between rounds.
    pub async fn measure(
        &mut self,
        functions: &[String],
        variants: &[Variant],
        runs: usize,
    ) -> BTreeMap<(String, &'static str), Vec<Run>> {
        let plain = Variant {
            label: PLAIN,
            env: vec![],
            bin_dir: None,
        };
        let mut jobs: Vec<(String, Variant)> = vec![(HELLO.to_owned(), plain)];
        for f in functions {
            for v in variants {
                jobs.push((f.clone(), v.clone()));
            }
        }
        let mut results: BTreeMap<(String, &'static str), Vec<Run>> = BTreeMap::new();
        for round in 0..runs {
            let order = round_order(&jobs, round, 7);
            let started = Instant::now();
            for (name, variant) in order {
                let r = self.run(&name, &variant).await;
                if let Some(f) = &r.failed {
                    eprintln!("  {f}");
                }
                results.entry((name, variant.label)).or_default().push(r);
            }
            eprintln!("cold start round {}/{runs} in {:.1?}", round + 1, started.elapsed());
        }
        results
    }
}

/// Stripped binary size and the size of a zip holding it as `bootstrap`
/// (deflate, as `sam build`/`cargo lambda build --output-format zip` ship
/// it), in bytes.
pub fn sizes(bin_dir: &Path, names: &[String]) -> BTreeMap<String, (u64, u64)> {
    let script = r#"
import io, os, sys, zipfile
for p in sys.argv[1:]:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, open(p, "rb").read())
    print(os.path.getsize(p), len(b.getvalue()))
"#;
    let paths: Vec<PathBuf> = names.iter().map(|n| bin_dir.join(n)).collect();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(&paths)
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    names
        .iter()
        .cloned()
        .zip(text.lines().map(|l| {
            let mut it = l.split_whitespace().map(|n| n.parse::<u64>().unwrap_or(0));
            (it.next().unwrap_or(0), it.next().unwrap_or(0))
        }))
        .collect()
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_000_000.0
}

fn ops_summary(ops: &[String]) -> String {
    if ops.is_empty() {
        return "none".into();
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in ops {
        *counts.entry(o).or_default() += 1;
    }
    counts
        .iter()
        .map(|(o, n)| if *n > 1 { format!("{n}×{o}") } else { (*o).to_owned() })
        .collect::<Vec<_>>()
        .join(" + ")
}

type Results = BTreeMap<(String, &'static str), Vec<Run>>;

fn col(results: &Results, name: &str, label: &'static str, f: &dyn Fn(&Run) -> f64) -> f64 {
    let v: Vec<f64> = results
        .get(&(name.to_owned(), label))
        .map(|r| r.iter().filter(|r| r.failed.is_none()).map(f).collect())
        .unwrap_or_default();
    median(&v)
}

/// A table per variant: init and first request (the TLS experiment).
pub fn report_variants(results: &Results, runs: usize) {
    println!("\n### Cold start by variant ({runs} fresh processes each, medians in ms)\n");
    println!("| binary | variant | init | cold request | init + cold request |");
    println!("|---|---|---|---|---|");
    for (name, label) in results.keys() {
        let init = col(results, name, label, &|r| r.init);
        let cold = col(results, name, label, &|r| r.cold);
        let total = col(results, name, label, &|r| r.init + r.cold);
        println!("| {name} | {label} | {init:.2} | {cold:.2} | {total:.2} |");
    }
}

pub fn report(results: &Results, sizes: &BTreeMap<String, (u64, u64)>, runs: usize) {
    let col = |name: &str, label: &'static str, f: &dyn Fn(&Run) -> f64| -> f64 {
        let v: Vec<f64> = results
            .get(&(name.to_owned(), label))
            .map(|r| r.iter().filter(|r| r.failed.is_none()).map(f).collect())
            .unwrap_or_default();
        median(&v)
    };
    let hello_init = col(HELLO, PLAIN, &|r| r.init);
    let hello_cold = col(HELLO, PLAIN, &|r| r.cold);
    let hello_warm = col(HELLO, PLAIN, &|r| median(&r.warm));
    println!("\n### Cold start ({runs} fresh processes per binary and variant, medians in ms)\n");
    println!(
        "hello world (`hello-lambda`): init {hello_init:.2}, cold request {hello_cold:.2}, warm request {hello_warm:.2}; {:.2} MB stripped, {:.2} MB zipped\n",
        mb(sizes.get(HELLO).map(|s| s.0).unwrap_or(0)),
        mb(sizes.get(HELLO).map(|s| s.1).unwrap_or(0)),
    );
    println!("| function | status | DynamoDB calls (first request) | init: warm-up on / off | cold request: warm-up on / off | raw calls, new connection | goal: 1.3 × (hello + raw) | ratio on / off | warm request | connections | stripped MB | zipped MB |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut names: Vec<&String> = results.keys().map(|(n, _)| n).filter(|n| *n != HELLO).collect();
    names.dedup();
    let (mut moved, mut added, mut totals, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for name in names {
        let runs_on = &results[&(name.clone(), ON)];
        let failed = runs_on.iter().filter(|r| r.failed.is_some()).count()
            + results
                .get(&(name.clone(), OFF))
                .map(|r| r.iter().filter(|r| r.failed.is_some()).count())
                .unwrap_or(0);
        let sample = runs_on.iter().find(|r| r.failed.is_none()).cloned().unwrap_or_default();
        let init_on = col(name, ON, &|r| r.init);
        let init_off = col(name, OFF, &|r| r.init);
        let cold_on = col(name, ON, &|r| r.cold);
        let cold_off = col(name, OFF, &|r| r.cold);
        let raw = col(name, ON, &|r| r.raw_cold);
        let bound = hello_cold + raw;
        let warm = col(name, ON, &|r| median(&r.warm));
        let (size, zipped) = sizes.get(name).copied().unwrap_or_default();
        let mut statuses: Vec<String> = runs_on.iter().map(|r| r.status.clone()).collect();
        statuses.sort();
        statuses.dedup();
        let warm_statuses: Vec<String> = {
            let mut s: Vec<String> = runs_on.iter().flat_map(|r| r.warm_status.clone()).collect();
            s.sort();
            s.dedup();
            s
        };
        let warm_cell = if warm_statuses == statuses {
            format!("{warm:.2}")
        } else {
            format!("{warm:.2} ({})", warm_statuses.join("/"))
        };
        // Connections per process, over init and every invocation.
        let ok = || runs_on.iter().filter(|r| r.failed.is_none());
        let (cmin, cmax) = (
            ok().map(|r| r.connections).min().unwrap_or(0),
            ok().map(|r| r.connections).max().unwrap_or(0),
        );
        let conns = if cmin == cmax {
            cmin.to_string()
        } else {
            format!("{cmin}–{cmax}")
        };
        moved.push(cold_off - cold_on);
        added.push(init_on - init_off);
        totals.push((init_on + cold_on) - (init_off + cold_off));
        ratios.push(cold_on / bound);
        println!(
            "| {name}{} | {} | {} | {init_on:.1} / {init_off:.1} | {cold_on:.2} / {cold_off:.2} | {raw:.2} | {:.2} | {:.2}x / {:.2}x | {warm_cell} | {conns} | {:.2} | {:.2} |",
            if failed > 0 { format!(" ({failed} runs failed)") } else { String::new() },
            statuses.join("/"),
            ops_summary(&sample.ops),
            1.3 * bound,
            cold_on / bound,
            cold_off / bound,
            mb(size),
            mb(zipped),
        );
    }
    println!(
        "\nWarm-up, median over functions: first request {:.2} ms faster, init {:.2} ms longer, init + first request {:+.2} ms. \
         Ratio to (hello + raw calls), warm-up on: median {:.2}x, max {:.2}x; {} of {} within 1.3x.",
        median(&moved),
        median(&added),
        median(&totals),
        median(&ratios),
        ratios.iter().cloned().fold(f64::MIN, f64::max),
        ratios.iter().filter(|r| **r <= 1.3).count(),
        ratios.len()
    );
}
