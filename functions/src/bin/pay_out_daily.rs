//! Scheduled (EventBridge): pays out the available balance of each account with a daily payout schedule.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_schedule(paynectra_functions::payouts::pay_out_daily).await
}
