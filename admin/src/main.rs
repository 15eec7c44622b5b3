//! `paynectra-admin`: the operators' command line.
//!
//! It talks to the table named by `--table` (or `TABLE_NAME`) wherever the
//! AWS environment points: a deployed table with normal AWS credentials, or
//! DynamoDB Local with `AWS_ENDPOINT_URL_DYNAMODB`. Output is JSON on stdout;
//! secret keys are printed once, when created, and never again.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use paynectra::{
    domain::{AccountId, ApiKey, ApiKeyId, Mode},
    service::{accounts, now_unix},
    store::{dynamodb_client, schema, Store, StoreError},
};
use serde_json::json;

#[derive(Parser)]
#[command(name = "paynectra-admin", version, about)]
struct Cli {
    /// The DynamoDB table.
    #[arg(long, env = "TABLE_NAME", global = true, default_value = "paynectra")]
    table: String,
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
}

#[derive(Subcommand)]
enum AccountsCmd {
    /// Creates an account with one test and one live secret key, and prints
    /// {"id", "name", "test_secret_key", "live_secret_key"}.
    Create {
        #[arg(long)]
        name: String,
    },
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
    })
}

async fn run(cli: Cli) -> Result<serde_json::Value, StoreError> {
    let client = dynamodb_client().await;
    let store = Store::new(client.clone(), &cli.table);
    Ok(match cli.command {
        Command::Table(TableCmd::Create) => {
            schema::create_table(&client, &cli.table).await?;
            json!({ "table": cli.table, "status": "active" })
        }
        Command::Accounts(AccountsCmd::Create { name }) => {
            accounts::create_account(&store, &name, now_unix()).await?.to_json()
        }
        Command::Keys(KeysCmd::List { account }) => {
            if store.get_account(&account).await?.is_none() {
                return Err(StoreError::AccountNotFound(account));
            }
            let keys = store.list_api_keys(&account).await?;
            json!({ "account_id": account, "keys": keys.iter().map(key_json).collect::<Vec<_>>() })
        }
        Command::Keys(KeysCmd::Roll { account, mode }) => {
            let (secret, key, revoked) = accounts::roll_key(&store, &account, mode.into(), now_unix()).await?;
            json!({ "key": key_json(&key), "secret_key": secret.expose(), "revoked": revoked })
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
