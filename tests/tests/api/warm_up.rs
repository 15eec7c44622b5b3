//! The init-time DynamoDB warm-up (`Store::warm_up`, run by every
//! function's main before its first poll): it writes nothing, and a
//! DynamoDB that does not answer cannot hold the init phase past its bound.

use std::time::{Duration, Instant};

use paynectra::store::{Store, WarmUp};
use paynectra_tests::{fresh_store, local_client};

#[tokio::test]
async fn warm_up_reads_a_missing_key_and_writes_nothing() {
    let store = fresh_store().await;
    let count = || async {
        store
            .client()
            .scan()
            .table_name(store.table())
            .select(aws_sdk_dynamodb::types::Select::Count)
            .send()
            .await
            .expect("scan")
            .count()
    };
    // A fresh table holds only its sweeps' cursors (holds, retries,
    // balances, payouts).
    let before = count().await;
    assert_eq!(before, 4);
    assert_eq!(
        store.warm_up(Duration::from_secs(5)).await,
        WarmUp::Warmed { found: false },
        "the warm-up read answers, and finds nothing"
    );
    assert_eq!(count().await, before, "the warm-up is a read");
}

#[tokio::test]
async fn warm_up_gives_up_at_its_bound_when_dynamodb_does_not_answer() {
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let store = Store::new(local_client(&url).await, "nowhere");
    let started = Instant::now();
    let outcome = store.warm_up(Duration::from_millis(200)).await;
    let took = started.elapsed();
    assert_eq!(outcome, WarmUp::TimedOut);
    assert!(took < Duration::from_secs(2), "bounded by its timeout, took {took:?}");
    drop(silent);
}
