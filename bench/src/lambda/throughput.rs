//! Throughput: create payment and get payment through the local stack
//! (straight to DynamoDB Local, no proxy) with 1, 4 and 16 clients, in short
//! alternating rounds.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::world::{median, percentile, round_order, HttpCall, World};

pub struct Cell {
    pub rps: Vec<f64>,
    pub latencies: Vec<f64>,
    pub errors: usize,
}

pub async fn measure(world: &World, clients: &[usize], rounds: usize, seconds: f64) -> BTreeMap<(String, usize), Cell> {
    let create = Arc::new(HttpCall::from_event(&world.event_for("create_payment").await));
    let get = Arc::new(HttpCall::from_event(&world.event_for("get_payment").await));
    let mut jobs = Vec::new();
    for c in clients {
        jobs.push(("create_payment".to_owned(), *c, create.clone()));
        jobs.push(("get_payment".to_owned(), *c, get.clone()));
    }
    let mut out: BTreeMap<(String, usize), Cell> = BTreeMap::new();
    for round in 0..rounds {
        let order = round_order(&jobs, round, 1);
        for (name, c, call) in order {
            let until = Instant::now() + Duration::from_secs_f64(seconds);
            let started = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..c {
                let call = call.clone();
                let http = world.http.clone();
                let base = world.base.clone();
                tasks.spawn(async move {
                    let mut lat = Vec::new();
                    let mut errors = 0;
                    while Instant::now() < until {
                        let t = Instant::now();
                        match call.request(&http, &base).send().await {
                            Ok(r) if r.status().is_success() => {
                                let _ = r.bytes().await;
                                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                            }
                            _ => errors += 1,
                        }
                    }
                    (lat, errors)
                });
            }
            let cell = out.entry((name, c)).or_insert(Cell {
                rps: vec![],
                latencies: vec![],
                errors: 0,
            });
            let mut done = 0;
            while let Some(r) = tasks.join_next().await {
                let (lat, errors) = r.expect("client task");
                done += lat.len();
                cell.latencies.extend(lat);
                cell.errors += errors;
            }
            cell.rps.push(done as f64 / started.elapsed().as_secs_f64());
        }
        eprintln!("throughput round {}/{rounds}", round + 1);
    }
    out
}

pub fn report(cells: &BTreeMap<(String, usize), Cell>, rounds: usize, seconds: f64) {
    println!("\n### Throughput ({rounds} rounds of {seconds} s per cell, alternating cells)\n");
    println!("| endpoint | clients | requests/s (median of rounds) | min–max | latency median / p99 ms | errors |");
    println!("|---|---|---|---|---|---|");
    for ((name, c), cell) in cells {
        let min = cell.rps.iter().cloned().fold(f64::MAX, f64::min);
        let max = cell.rps.iter().cloned().fold(f64::MIN, f64::max);
        println!(
            "| {name} | {c} | {:.0} | {min:.0}–{max:.0} | {:.2} / {:.2} | {} |",
            median(&cell.rps),
            median(&cell.latencies),
            percentile(&cell.latencies, 0.99),
            cell.errors
        );
    }
}
