//! The hold sweep: every hold in the hold index whose time ran out, still
//! `requires_capture`, is cancelled with reason `automatic`. Each
//! cancellation is the same conditional transition an API call makes, so a
//! capture racing the sweep either wins (and the sweep skips it) or loses.

use paynectra::{lifecycle::load_payment, App};

/// Returns `{"due", "cancelled"}`. `load_payment` cancels an expired hold
/// as it reads it; a payment captured or cancelled meanwhile is left alone.
pub async fn sweep(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let due = app.store.due_holds(now).await?;
    let mut cancelled = 0;
    for hold in &due {
        let tenant = hold.tenant();
        // One payment's failure must not stop the sweep of the others.
        let before = match app.store.get_payment(&tenant, &hold.payment_id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(payment_id = %hold.payment_id, error = %e, "hold not swept");
                continue;
            }
        };
        let was_held = before.is_some_and(|p| p.hold_expired(now));
        match load_payment(app, &tenant, &hold.payment_id, now).await {
            Ok(p) if was_held && p.status == paynectra::domain::PaymentStatus::Cancelled => cancelled += 1,
            Ok(_) => {}
            Err(e) => tracing::warn!(payment_id = %hold.payment_id, error = %e.message, "hold not swept"),
        }
    }
    tracing::info!(due = due.len(), cancelled, "hold sweep done");
    Ok(serde_json::json!({ "due": due.len(), "cancelled": cancelled }))
}
