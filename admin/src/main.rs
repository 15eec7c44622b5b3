//! `paynectra-admin`: the operators' command line.
//!
//! It talks to the table named by `--table` (or `TABLE_NAME`) wherever the
//! AWS environment points: a deployed table with normal AWS credentials, or
//! DynamoDB Local with `AWS_ENDPOINT_URL_DYNAMODB`. Output is JSON on stdout;
//! secret keys are printed once, when created, and never again.
//!
//! Rate limits live in API Gateway (usage plans and API keys of the REST API
//! `--api-id` / `PAYNECTRA_API_ID`, stage `--stage` / `PAYNECTRA_STAGE`),
//! wherever the AWS environment points (`AWS_ENDPOINT_URL_API_GATEWAY` for
//! moto); see README, Rate limits.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use paynectra::{
    domain::{AccountId, ApiKey, ApiKeyId, Mode, RateLimits, Tenant, UsageKey},
    service::{
        accounts,
        limits::{self, UsagePlans},
        now_unix,
    },
    store::{dynamodb_client, schema, Store, StoreError},
};
use serde_json::json;

#[derive(Parser)]
#[command(name = "paynectra-admin", version, about)]
struct Cli {
    /// The DynamoDB table.
    #[arg(long, env = "TABLE_NAME", global = true, default_value = "paynectra")]
    table: String,
    /// The REST API whose usage plans hold the rate limits (the stack's
    /// RestApiId output; `local` for the local stack). Without it, `accounts
    /// create` provisions no usage keys.
    #[arg(long, env = "PAYNECTRA_API_ID", global = true)]
    api_id: Option<String>,
    /// The API's stage (the stack's StageName output; `local` locally).
    #[arg(long, env = "PAYNECTRA_STAGE", global = true, default_value = "prod")]
    stage: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Accounts (merchants).
    #[command(subcommand)]
    Accounts(AccountsCmd),
    /// Secret API keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// The table itself (for DynamoDB Local; on AWS the SAM template owns it).
    #[command(subcommand)]
    Table(TableCmd),
    /// Accounts' rate limits (API Gateway usage plans; needs --api-id).
    #[command(subcommand)]
    Limits(LimitsCmd),
    /// Refunds across every account.
    #[command(subcommand)]
    Refunds(RefundsCmd),
}

#[derive(Subcommand)]
enum RefundsCmd {
    /// Puts the refunds written before refunds had states (all succeeded)
    /// on their status lists, so `GET /v1/refunds?status=succeeded` lists
    /// them. Run once after deploying refund states; a Scan of the table,
    /// safe to repeat and to run under traffic.
    IndexStatuses,
}

#[derive(Subcommand)]
enum LimitsCmd {
    /// Prints an account's read and write limits in both modes.
    Show {
        #[arg(long)]
        account: AccountId,
    },
    /// Sets an account's read and/or write limits in one mode (requests per
    /// second; the burst defaults to twice the rate, at most 5,000). A class
    /// not given keeps its limits. Applies within seconds.
    Set {
        #[arg(long)]
        account: AccountId,
        #[arg(long, value_enum)]
        mode: ModeArg,
        /// Read (GET) requests per second.
        #[arg(long)]
        read: Option<u32>,
        /// Write (POST, DELETE) requests per second.
        #[arg(long)]
        write: Option<u32>,
        #[arg(long, requires = "read")]
        burst_read: Option<u32>,
        #[arg(long, requires = "write")]
        burst_write: Option<u32>,
    },
    /// Makes every account's usage keys (and the hosted page's anonymous
    /// key) exist and be in a usage plan, the default one if in none; limits
    /// already set are kept. Idempotent: run it after a deploy, for accounts
    /// created before rate limits, and at each local start.
    Sync,
}

/// `rate` with `burst`, or with the default burst.
fn limits_arg(rate: Option<u32>, burst: Option<u32>) -> Result<Option<RateLimits>, Box<dyn std::error::Error>> {
    let Some(rate) = rate else { return Ok(None) };
    let limits = match burst {
        Some(b) => RateLimits::new(rate, b),
        None => RateLimits::with_default_burst(rate),
    };
    Ok(Some(limits?))
}

fn limits_json(l: Option<RateLimits>) -> serde_json::Value {
    l.map_or(
        serde_json::Value::Null,
        |l| json!({ "rate": l.rate(), "burst": l.burst() }),
    )
}

fn class_json((key, l): &(UsageKey, Option<RateLimits>)) -> serde_json::Value {
    json!({ "usage_key": key.as_str(), "limits": limits_json(*l) })
}

#[derive(Subcommand)]
enum AccountsCmd {
    /// Creates an account with a secret and a publishable key per mode, and
    /// prints {"id", "name", "test_secret_key", "live_secret_key",
    /// "test_publishable_key", "live_publishable_key"}; with --api-id, also
    /// its four usage keys in the default usage plans.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Grows the account's list shard count: its busiest list indexes
    /// (payments, payments by status, customers, refunds, events) are
    /// spread over this many partitions, for a merchant whose writes would
    /// pass one partition's 1,000 WCU/s (docs/data-model.md, "Sharded
    /// lists"). Only grows (lists read every shard below the count); prints
    /// {"account_id", "list_shards"}. Takes effect for each key when API
    /// Gateway's authorizer cache (60 s) lets it go.
    ShardLists {
        #[arg(long)]
        account: AccountId,
        /// 1 to 64.
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=i64::from(paynectra::domain::MAX_LIST_SHARDS)))]
        shards: u8,
    },
    /// Sets the account's settlement terms, in one mode or (without --mode)
    /// both: the fee on each capture (a percentage in basis points, plus a
    /// fixed part in the currency's minor unit, by default the currency's
    /// table in the README) and the days a capture's funds are pending.
    /// Takes effect within a minute (each function caches them that long).
    /// Prints {"account_id", "modes", "percent_basis_points", "fixed_fee",
    /// "delay_days"}.
    Settlement {
        #[arg(long)]
        account: AccountId,
        /// 290 = 2.9% (the default).
        #[arg(long, default_value_t = 290)]
        percent_basis_points: i64,
        /// The fixed part for every currency; without it, each currency's
        /// default (30 for usd).
        #[arg(long)]
        fixed_fee: Option<i64>,
        /// 0 to 30 (the default: 2).
        #[arg(long, default_value_t = paynectra::domain::balance::DEFAULT_DELAY_DAYS)]
        delay_days: i64,
        /// `daily`: each UTC day's net is paid out an hour after the day
        /// ends (automatic payouts; POST /v1/payouts is refused); `manual`
        /// (the default): only by POST /v1/payouts.
        #[arg(long, value_enum, default_value_t = ScheduleArg::Manual)]
        payout_schedule: ScheduleArg,
        #[arg(long, value_enum)]
        mode: Option<ModeArg>,
    },
    /// Sets the bank account the account's payouts go to, in one mode or
    /// (without --mode) both. Stored masked: the last four digits, and (in
    /// test mode) whether Stripe's failing test number 000111111116 (or
    /// 000111111113) was given, whose payouts fail. Prints {"account_id",
    /// "modes", "bank_account": {"last4", "routing_number", "currency"}}.
    BankAccount {
        #[arg(long)]
        account: AccountId,
        /// 9 digits (the test routing number: 110000000).
        #[arg(long)]
        routing_number: String,
        /// 4 to 17 digits (000123456789 pays out; 000111111116 fails).
        #[arg(long)]
        account_number: String,
        #[arg(long, default_value = "usd")]
        currency: String,
        #[arg(long, value_enum)]
        mode: Option<ModeArg>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ScheduleArg {
    Manual,
    Daily,
}

impl From<ScheduleArg> for paynectra::domain::balance::PayoutSchedule {
    fn from(s: ScheduleArg) -> Self {
        match s {
            ScheduleArg::Manual => Self::Manual,
            ScheduleArg::Daily => Self::Daily,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Test,
    Live,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Test => Mode::Test,
            ModeArg::Live => Mode::Live,
        }
    }
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Lists an account's keys (ids, modes, status; never the secrets).
    List {
        #[arg(long)]
        account: AccountId,
    },
    /// Issues a new secret key for a mode and revokes that mode's active
    /// keys, atomically. Prints the new key once.
    Roll {
        #[arg(long)]
        account: AccountId,
        #[arg(long, value_enum)]
        mode: ModeArg,
    },
    /// Issues a restricted key (rk_...) for a mode: it reads everything of
    /// the account in that mode and writes nothing (403
    /// secret_key_required). The account's other keys stay. Prints it once.
    Restricted {
        #[arg(long)]
        account: AccountId,
        #[arg(long, value_enum)]
        mode: ModeArg,
    },
    /// Revokes one key.
    Revoke {
        #[arg(long)]
        account: AccountId,
        /// The key's id (key_...), as `keys list` shows it.
        #[arg(long)]
        key: ApiKeyId,
    },
}

#[derive(Subcommand)]
enum TableCmd {
    /// Creates the table with its indexes and TTL, if it does not exist.
    Create,
}

fn key_json(k: &ApiKey) -> serde_json::Value {
    json!({
        "id": k.id,
        "account_id": k.account_id,
        "mode": k.mode.as_str(),
        "kind": k.kind.as_str(),
        "redacted": k.redacted,
        "status": k.status,
        "created": k.created,
        "list_shards": k.list_shards,
    })
}

async fn run(cli: Cli) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let client = dynamodb_client().await;
    let store = Store::new(client.clone(), &cli.table);
    let plans = match &cli.api_id {
        Some(id) => Some(UsagePlans::from_env(id, &cli.stage).await),
        None => None,
    };
    let need_plans = || {
        plans
            .as_ref()
            .ok_or("rate limits need the REST API: --api-id or PAYNECTRA_API_ID")
    };
    Ok(match cli.command {
        Command::Table(TableCmd::Create) => {
            schema::create_table(&client, &cli.table).await?;
            json!({ "table": cli.table, "status": "active" })
        }
        Command::Accounts(AccountsCmd::Create { name }) => {
            let created = accounts::create_account(&store, &name, now_unix()).await?;
            let Some(plans) = &plans else {
                eprintln!("paynectra-admin: no --api-id: no usage keys provisioned (run `limits sync` with it)");
                return Ok(created.to_json());
            };
            if let Err(e) = limits::provision_account(plans, &created.account.id).await {
                // The keys are shown once: print them, then fail.
                println!("{}", serde_json::to_string_pretty(&created.to_json())?);
                return Err(format!(
                    "account created, but its usage keys are not provisioned ({e}): run `limits sync`"
                )
                .into());
            }
            created.to_json()
        }
        Command::Accounts(AccountsCmd::Settlement {
            account,
            percent_basis_points,
            fixed_fee,
            delay_days,
            payout_schedule,
            mode,
        }) => {
            let shards = store.list_shards(&account).await?;
            let schedule: paynectra::domain::balance::PayoutSchedule = payout_schedule.into();
            let terms = paynectra::domain::Settlement::new(percent_basis_points, fixed_fee, delay_days)
                .map_err(|e| e.message)?
                .paid_out(schedule);
            let modes: Vec<Mode> = match mode {
                Some(m) => vec![m.into()],
                None => vec![Mode::Test, Mode::Live],
            };
            for m in &modes {
                let tenant = Tenant::new(account.clone(), *m).with_list_shards(shards);
                store.set_settlement(&tenant, &terms).await?;
                let daily = schedule == paynectra::domain::balance::PayoutSchedule::Daily;
                store.set_automatic_payouts(&tenant, daily).await?;
            }
            json!({
                "account_id": account,
                "modes": modes.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                "percent_basis_points": percent_basis_points,
                "fixed_fee": fixed_fee,
                "delay_days": delay_days,
                "payout_schedule": schedule.as_str(),
            })
        }
        Command::Accounts(AccountsCmd::BankAccount {
            account,
            routing_number,
            account_number,
            currency,
            mode,
        }) => {
            // The account must exist (an unknown one is an error).
            store.list_shards(&account).await?;
            let currency = paynectra::domain::Currency::parse("currency", &currency).map_err(|e| e.message)?;
            let bank = paynectra::domain::BankAccount::parse(&routing_number, &account_number, currency)
                .map_err(|e| e.message)?;
            let modes: Vec<Mode> = match mode {
                Some(m) => vec![m.into()],
                None => vec![Mode::Test, Mode::Live],
            };
            for m in &modes {
                store.set_bank_account(&Tenant::new(account.clone(), *m), &bank).await?;
            }
            json!({
                "account_id": account,
                "modes": modes.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                "bank_account": {
                    "last4": bank.last4,
                    "routing_number": bank.routing_number,
                    "currency": currency.code(),
                },
            })
        }
        Command::Accounts(AccountsCmd::ShardLists { account, shards }) => {
            match store.set_list_shards(&account, shards).await {
                Err(StoreError::Conflict) => {
                    let now = store.list_shards(&account).await?;
                    return Err(format!(
                        "the account's lists have {now} shards and the count only grows \
                         (if that is {shards} or fewer, a key changed meanwhile: run it again)"
                    )
                    .into());
                }
                done => done?,
            }
            json!({ "account_id": account, "list_shards": shards })
        }
        Command::Refunds(RefundsCmd::IndexStatuses) => {
            json!({ "indexed": store.index_refund_statuses().await? })
        }
        Command::Limits(LimitsCmd::Show { account }) => {
            let shown = limits::show(need_plans()?, &store, &account).await?;
            let mut out = json!({ "account_id": account });
            for s in shown {
                out[s.mode.as_str()] = json!({ "read": class_json(&s.read), "write": class_json(&s.write) });
            }
            out
        }
        Command::Limits(LimitsCmd::Set {
            account,
            mode,
            read,
            write,
            burst_read,
            burst_write,
        }) => {
            let (read, write) = (limits_arg(read, burst_read)?, limits_arg(write, burst_write)?);
            if read.is_none() && write.is_none() {
                return Err("give --read and/or --write".into());
            }
            let tenant = Tenant::new(account.clone(), mode.into());
            let now = limits::set(need_plans()?, &store, &tenant, read, write).await?;
            json!({
                "account_id": account,
                "mode": tenant.mode.as_str(),
                "read": limits_json(Some(now.read)),
                "write": limits_json(Some(now.write)),
            })
        }
        Command::Limits(LimitsCmd::Sync) => {
            let plans = need_plans()?;
            let done = limits::sync(plans, &store).await?;
            json!({ "rest_api_id": plans.rest_api_id(), "stage": plans.stage(), "synced": done })
        }
        Command::Keys(KeysCmd::List { account }) => {
            if store.get_account(&account).await?.is_none() {
                return Err(StoreError::AccountNotFound(account).into());
            }
            let keys = store.list_api_keys(&account).await?;
            json!({ "account_id": account, "keys": keys.iter().map(key_json).collect::<Vec<_>>() })
        }
        Command::Keys(KeysCmd::Roll { account, mode }) => {
            let (secret, key, revoked) = accounts::roll_key(&store, &account, mode.into(), now_unix()).await?;
            json!({ "key": key_json(&key), "secret_key": secret.expose(), "revoked": revoked })
        }
        Command::Keys(KeysCmd::Restricted { account, mode }) => {
            let (secret, key) = accounts::issue_restricted_key(&store, &account, mode.into(), now_unix()).await?;
            json!({ "key": key_json(&key), "restricted_key": secret.expose() })
        }
        Command::Keys(KeysCmd::Revoke { account, key }) => {
            key_json(&accounts::revoke_key(&store, &account, &key).await?)
        }
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(out) => {
            println!("{}", serde_json::to_string_pretty(&out).expect("JSON values serialise"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("paynectra-admin: {e}");
            ExitCode::FAILURE
        }
    }
}
