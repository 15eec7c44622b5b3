//! From the ledger to the tables: partition keys grouped by pattern (ids
//! replaced by placeholders), each pattern's cost per payment of the traffic
//! that feeds it, and its projected rate at the platform's target load,
//! hottest first (by the larger share of a partition's WCU or RCU limit).

use std::{collections::HashMap, fmt::Write};

use super::{
    ledger::Kind,
    proxy::Ledger,
    workload::{Config, Hooks, Run},
};

/// Payments per second platform-wide, and the big merchant's share.
pub const PLATFORM_RATE: f64 = 5000.0;
pub const BIG_RATE: f64 = 2000.0;
/// DynamoDB's per-partition limits.
pub const WCU_LIMIT: f64 = 1000.0;
pub const RCU_LIMIT: f64 = 3000.0;

/// Which payments feed a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feeder {
    /// Every payment of the platform (`HOLD#{time}#{shard}`, `WHRETRY#{time}#{shard}`).
    Platform,
    /// The big merchant's payments.
    Big,
    /// One small merchant's payments.
    Small,
    /// One object's life (a payment, an event, an idempotency record).
    Item,
    /// A sweep's own cursor (`HOLD#swept`, `WHRETRY#swept`): written by the
    /// sweep's runs (at most once per hour bucket finished), not by
    /// payments, so not projected by the payment rate.
    Sweep,
}

/// A sharded list's shard in a pattern.
const LIST_SHARD: &str = "{list shard}";

/// A partition key's pattern and what feeds it: ids become `{pay}`, `{evt}`,
/// ...; the big merchant's account `{big}`, another `{acct}`; hashes
/// `{hash}`; time buckets `{time}`, and the shard after one `{shard}`; a
/// sharded list's shards `{list shard}`.
pub fn pattern(pk: &str, big: &str, keys: &HashMap<&str, bool>) -> (String, Feeder) {
    if pk.ends_with("#swept") {
        return (pk.into(), Feeder::Sweep);
    }
    if let Some(&is_big) = keys.get(pk) {
        let p = if is_big { "K#{big's key hash}" } else { "K#{key hash}" };
        return (p.into(), if is_big { Feeder::Big } else { Feeder::Small });
    }
    let (mut item, mut merchant, mut after_time) = (false, None, false);
    let segments: Vec<String> = pk
        .split('#')
        .map(|s| {
            let numeric = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
            // A sharded list's partition (`{list}#s{k}`): one row with the
            // list's shard 0 (the list's own key), divided by their count.
            if s.len() > 1 && s.starts_with('s') && s[1..].chars().all(|c| c.is_ascii_digit()) {
                return LIST_SHARD.into();
            }
            // A time bucket's shard (`HOLD#{hour}#{0..15}`): writes spread
            // over the shards, so they are one row, divided by their count.
            if std::mem::take(&mut after_time) && numeric {
                return "{shard}".into();
            }
            if s == big {
                merchant = Some(Feeder::Big);
                return "{big}".into();
            }
            if s.starts_with("acct_") {
                merchant = Some(Feeder::Small);
                return "{acct}".into();
            }
            if let Some((prefix, rest)) = s.split_once('_') {
                if rest.len() == 32 && prefix.chars().all(|c| c.is_ascii_lowercase()) {
                    // A webhook endpoint (and its breaker) lives as long as
                    // the merchant and is read for every delivery: fed by
                    // the merchant's payments, not one object's life.
                    item |= prefix != "we";
                    return format!("{{{prefix}}}");
                }
            }
            if s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()) {
                item = true;
                return "{hash}".into();
            }
            if numeric {
                after_time = true;
                return "{time}".into();
            }
            s.to_owned()
        })
        .collect();
    let feeder = match (item, merchant) {
        (true, _) => Feeder::Item,
        (false, Some(m)) => m,
        (false, None) => Feeder::Platform,
    };
    (segments.join("#"), feeder)
}

/// One pattern's figures.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub index: String,
    pub pattern: String,
    pub feeder: Option<Feeder>,
    pub keys: usize,
    pub write: f64,
    pub read: f64,
    pub max_write: f64,
    pub max_read: f64,
    /// Projected units per second on one such key at the target load.
    pub wcu_s: f64,
    pub rcu_s: f64,
    /// Units per payment feeding one such key.
    pub wcu_per_payment: f64,
    pub rcu_per_payment: f64,
}

fn flag(v: f64, limit: f64) -> &'static str {
    if v > limit {
        "**over**"
    } else if v > limit / 2.0 {
        "over half"
    } else {
        ""
    }
}

pub fn rows(cfg: &Config, run: &Run, ledger: &Ledger) -> Vec<Row> {
    let big = &run.merchants[0].account;
    let keys: HashMap<&str, bool> = run
        .merchants
        .iter()
        .map(|m| (m.key_partition.as_str(), m.big))
        .collect();
    let mut by: HashMap<(String, String), Row> = HashMap::new();
    let mut per_key: HashMap<(String, String, String), (f64, f64)> = HashMap::new();
    let patterns: HashMap<&String, (String, Feeder)> = ledger
        .by_key
        .keys()
        .map(|(_, pk, _)| (pk, pattern(pk, big, &keys)))
        .collect();
    // A sharded list's shard 0 is the list's own key: it joins its shards'
    // row when there is one.
    let list_shards: std::collections::HashSet<(&String, &String)> = ledger
        .by_key
        .keys()
        .filter(|(_, pk, _)| patterns[pk].0.ends_with(LIST_SHARD))
        .map(|(index, pk, _)| (index, &patterns[pk].0))
        .collect();
    for ((index, pk, kind), units) in &ledger.by_key {
        let (mut p, feeder) = patterns[pk].clone();
        let shard_row = format!("{p}#{LIST_SHARD}");
        if list_shards.contains(&(index, &shard_row)) {
            p = shard_row;
        }
        let row = by.entry((index.clone(), p.clone())).or_insert_with(|| Row {
            index: index.clone(),
            pattern: p.clone(),
            feeder: Some(feeder),
            ..Row::default()
        });
        let k = per_key.entry((index.clone(), p, pk.clone())).or_default();
        match kind {
            Kind::Write => {
                row.write += units;
                k.0 += units;
            }
            Kind::Read => {
                row.read += units;
                k.1 += units;
            }
        }
    }
    let mut shards: HashMap<(String, String), std::collections::HashSet<String>> = HashMap::new();
    for (index, p, pk) in per_key.keys() {
        if p.contains("{shard}") || p.ends_with(LIST_SHARD) {
            let shard = pk.rsplit('#').next().unwrap_or_default().to_owned();
            shards.entry((index.clone(), p.clone())).or_default().insert(shard);
        }
    }
    for ((index, p, _), (w, r)) in per_key {
        let row = by.get_mut(&(index, p)).expect("a row per pattern");
        row.keys += 1;
        row.max_write = row.max_write.max(w);
        row.max_read = row.max_read.max(r);
    }
    let big_payments = run.merchants[0].payments.max(1) as f64;
    let small_payments = (run.payments as f64 - run.merchants[0].payments as f64).max(1.0);
    let small_rate = (PLATFORM_RATE - BIG_RATE) / (cfg.target_merchants.max(2) - 1) as f64;
    let mut out: Vec<Row> = by
        .into_values()
        .map(|mut r| {
            let (payments, rate) = match r.feeder {
                Some(Feeder::Platform) => (run.payments.max(1) as f64, PLATFORM_RATE),
                Some(Feeder::Big) => (big_payments, BIG_RATE),
                Some(Feeder::Small) => (small_payments, small_rate),
                // One object: at most everything it ever gets, within one second.
                _ => (1.0, 1.0),
            };
            if matches!(r.feeder, Some(Feeder::Item | Feeder::Sweep)) {
                (r.wcu_per_payment, r.rcu_per_payment) = (
                    r.write / run.payments.max(1) as f64,
                    r.read / run.payments.max(1) as f64,
                );
                (r.wcu_s, r.rcu_s) = (r.max_write, r.max_read);
            } else {
                // One shard's share of what the pattern takes (the shard is a
                // stable hash: the writes spread evenly).
                let n = shards
                    .get(&(r.index.clone(), r.pattern.clone()))
                    .map_or(1, |s| s.len().max(1)) as f64;
                (r.wcu_per_payment, r.rcu_per_payment) = (r.write / payments / n, r.read / payments / n);
                (r.wcu_s, r.rcu_s) = (r.wcu_per_payment * rate, r.rcu_per_payment * rate);
            }
            r
        })
        .collect();
    // Hottest first: by the larger share of a partition's limits.
    let heat = |r: &Row| (r.wcu_s / WCU_LIMIT).max(r.rcu_s / RCU_LIMIT);
    out.sort_by(|a, b| heat(b).total_cmp(&heat(a)));
    out
}

fn feeder_name(f: Option<Feeder>) -> &'static str {
    match f {
        Some(Feeder::Platform) => "all payments",
        Some(Feeder::Big) => "big merchant",
        Some(Feeder::Small) => "one small merchant",
        Some(Feeder::Sweep) => "a sweep's runs",
        _ => "one object",
    }
}

pub fn render(cfg: &Config, run: &Run, ledger: &Ledger) -> String {
    let mut s = String::new();
    let rows = rows(cfg, run, ledger);
    let small_rate = (PLATFORM_RATE - BIG_RATE) / (cfg.target_merchants.max(2) - 1) as f64;
    let _ = writeln!(
        s,
        "## Partition heat: {} payments over {} merchants (seed {}), projected to {PLATFORM_RATE:.0} payments/s, \
         {BIG_RATE:.0}/s from the big merchant, {:.3}/s from each of {} others\n",
        run.payments,
        run.merchants.len(),
        cfg.seed,
        small_rate,
        cfg.target_merchants - 1
    );
    let _ = writeln!(
        s,
        "| partition key | index | fed by | keys seen | WCU/payment | RCU/payment | WCU/s | RCU/s | WCU flag | RCU flag |"
    );
    let _ = writeln!(s, "|---|---|---|--:|--:|--:|--:|--:|---|---|");
    let shown = std::env::var("BENCH_HEAT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    for r in rows.iter().take(shown) {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {:.2} | {:.2} | {:.0} | {:.0} | {} | {} |",
            r.pattern,
            r.index,
            feeder_name(r.feeder),
            r.keys,
            r.wcu_per_payment,
            r.rcu_per_payment,
            r.wcu_s,
            r.rcu_s,
            flag(r.wcu_s, WCU_LIMIT),
            flag(r.rcu_s, RCU_LIMIT)
        );
    }
    let over: Vec<&Row> = rows
        .iter()
        .filter(|r| r.wcu_s > WCU_LIMIT / 2.0 || r.rcu_s > RCU_LIMIT / 2.0)
        .collect();
    let _ = writeln!(
        s,
        "\n{} of {} patterns over half a partition's limit ({WCU_LIMIT:.0} WCU/s, {RCU_LIMIT:.0} RCU/s); \
         rows for one object or a sweep's cursor: the most one such key received in the whole run, as if within one second.\n",
        over.len(),
        rows.len()
    );
    // WCU per payment, in total and by the merchant's endpoints.
    let total = |kind| -> f64 {
        ledger
            .by_owner
            .iter()
            .filter(|(k, _)| k.1 == kind)
            .map(|(_, v)| v)
            .sum()
    };
    let (total_w, total_r) = (total(Kind::Write), total(Kind::Read));
    let _ = writeln!(s, "| payments of | payments | WCU/payment | RCU/payment |");
    let _ = writeln!(s, "|---|--:|--:|--:|");
    let p = run.payments.max(1) as f64;
    let _ = writeln!(
        s,
        "| every merchant (sweeps' reads included) | {} | {:.1} | {:.1} |",
        run.payments,
        total_w / p,
        total_r / p
    );
    type Pick = dyn Fn(&super::workload::Merchant) -> bool;
    let groups: [(&str, &Pick); 4] = [
        ("the big merchant (one endpoint, 200)", &|m| m.big),
        ("small merchants, no endpoint", &|m| !m.big && m.hooks == Hooks::None),
        ("small merchants, one endpoint (200)", &|m| {
            !m.big && m.hooks == Hooks::Ok
        }),
        ("small merchants, one endpoint (500)", &|m| {
            !m.big && m.hooks == Hooks::Failing
        }),
    ];
    for (name, pick) in groups {
        let ms: Vec<_> = run.merchants.iter().filter(|m| pick(m)).collect();
        let n: usize = ms.iter().map(|m| m.payments).sum();
        let units = |kind| -> f64 {
            ms.iter()
                .map(|m| ledger.by_owner.get(&(m.account.clone(), kind)).copied().unwrap_or(0.0))
                .sum()
        };
        let d = n.max(1) as f64;
        let _ = writeln!(
            s,
            "| {name} | {n} | {:.1} | {:.1} |",
            units(Kind::Write) / d,
            units(Kind::Read) / d
        );
    }
    // The cross-check.
    let _ = writeln!(s, "\n| cross-check | ledger | DynamoDB Local | difference |");
    let _ = writeln!(s, "|---|--:|--:|--:|");
    let mut names: Vec<&(String, Kind)> = ledger.charged.keys().chain(ledger.reported.keys()).collect();
    names.sort();
    names.dedup();
    for k in names {
        let a = ledger.charged.get(k).copied().unwrap_or(0.0);
        let b = ledger.reported.get(k).copied().unwrap_or(0.0);
        let kind = if k.1 == Kind::Write { "WCU" } else { "RCU" };
        if a == 0.0 && b == 0.0 {
            continue;
        }
        let diff = if b > 0.0 {
            format!("{:+.1}%", (a - b) / b * 100.0)
        } else {
            "-".into()
        };
        let _ = writeln!(s, "| {} {kind} | {a:.1} | {b:.1} | {diff} |", k.0);
    }
    let _ = writeln!(
        s,
        "\nRun: {} API calls ({} not 2xx: {:?}), {} webhook deliveries answered 200 and {} answered 500, \
         {} holds expired by the sweep, {} simulated hours; DynamoDB calls {:?}; {} writes refused by their \
         condition, {} transactions cancelled.",
        run.calls.values().sum::<usize>(),
        run.failed_calls,
        run.calls,
        run.deliveries_ok,
        run.deliveries_failed,
        run.holds_expired,
        run.simulated_seconds / 3600,
        ledger.ops,
        ledger.refused,
        ledger.cancelled
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_hide_ids_and_name_who_feeds_them() {
        let big = "acct_0123456789abcdef0123456789abcdef";
        let other = "acct_fedcba9876543210fedcba9876543210";
        let keys = HashMap::from([("K#ab", true)]);
        let p = |pk: &str| pattern(pk, big, &keys);
        assert_eq!(
            p(&format!("T#{big}#test#payment")),
            ("T#{big}#test#payment".into(), Feeder::Big)
        );
        assert_eq!(
            p(&format!("T#{other}#test#payment#status#pending")),
            ("T#{acct}#test#payment#status#pending".into(), Feeder::Small)
        );
        assert_eq!(
            p(&format!("T#{big}#test#pay_0123456789abcdef0123456789abcdef")),
            ("T#{big}#test#{pay}".into(), Feeder::Item)
        );
        assert_eq!(p("HOLD#20431"), ("HOLD#{time}".into(), Feeder::Platform));
        assert_eq!(
            p("WHRETRY#491234#17"),
            ("WHRETRY#{time}#{shard}".into(), Feeder::Platform)
        );
        assert_eq!(
            p(&format!("T#{big}#test#we_0123456789abcdef0123456789abcdef")),
            ("T#{big}#test#{we}".into(), Feeder::Big)
        );
        assert_eq!(p("K#ab"), ("K#{big's key hash}".into(), Feeder::Big));
        assert_eq!(p("HOLD#swept"), ("HOLD#swept".into(), Feeder::Sweep));
        assert_eq!(
            p(&format!("T#{big}#test#event#type#payment.created#s17")),
            (
                "T#{big}#test#event#type#payment.created#{list shard}".into(),
                Feeder::Big
            )
        );
    }
}
