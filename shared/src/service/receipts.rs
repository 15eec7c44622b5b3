//! Receipts: when a payment succeeds (`payment.succeeded`,
//! `payment.captured`) or a refund of it does (`refund.created` or
//! `refund.updated` with status `succeeded`), a receipt goes to the
//! payment's `receipt_email`, else its customer's email (none without
//! either). In live mode it is sent through SES ([`super::mail`]); in test
//! mode nothing is sent, and the receipt waits in the test-mode outbox
//! (`GET /v1/receipts`, the dashboard's Receipts page). Either way it is
//! recorded, once per event: the stream handler that fans new events out
//! to webhooks calls [`on_event`] for each, and a redelivered event finds
//! its receipt already made.

use serde_json::Value;

use super::App;
use crate::{
    domain::{
        receipt::ReceiptFacts, EventHead, EventType, PaymentId, Receipt, ReceiptStatus, RefundId, RefundStatus, Tenant,
    },
    store::{Recorded, StoreError},
};

/// Whether an event of this type can call for a receipt.
pub fn may_call_for_receipt(kind: EventType) -> bool {
    matches!(
        kind,
        EventType::PaymentSucceeded | EventType::PaymentCaptured | EventType::RefundCreated | EventType::RefundUpdated
    )
}

/// What the event is a receipt for: the payment, and the refund for a
/// refund's receipt. `None` if it calls for none (a refund event that is
/// not its success).
fn subject_of(kind: EventType, object: &Value, previous: Option<&Value>) -> Option<(String, Option<String>)> {
    let field = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
    match kind {
        EventType::PaymentSucceeded | EventType::PaymentCaptured => Some((field("id")?, None)),
        EventType::RefundCreated | EventType::RefundUpdated => {
            let succeeded = field("status").as_deref() == Some(RefundStatus::Succeeded.as_str());
            // An update's receipt is for the change to succeeded, not for a
            // later change of a succeeded refund's metadata.
            let became = kind == EventType::RefundCreated || previous.is_some_and(|p| p.get("status").is_some());
            (succeeded && became).then(|| Some((field("payment_id")?, Some(field("id")?))))?
        }
        _ => None,
    }
}

/// The receipt `head` calls for, made (and sent, in live mode) unless it
/// was before; `None` if it calls for none (the wrong event, no address to
/// send to, the payment gone).
pub async fn on_event(app: &App, tenant: &Tenant, head: &EventHead) -> Result<Option<Receipt>, StoreError> {
    if !may_call_for_receipt(head.kind) {
        return Ok(None);
    }
    let Some(event) = app.store.get_event_any_age(tenant, &head.id).await? else {
        return Ok(None);
    };
    let unreadable = |what: &str| StoreError::Corrupt(format!("event {}: {what}", head.id));
    let object: Value = serde_json::from_str(&event.object_json).map_err(|_| unreadable("object is not JSON"))?;
    let previous: Option<Value> = event
        .previous_attributes_json
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let Some((payment_id, refund_id)) = subject_of(head.kind, &object, previous.as_ref()) else {
        return Ok(None);
    };
    let payment_id: PaymentId = payment_id.parse().map_err(|_| unreadable("no payment id"))?;
    let refund_id: Option<RefundId> = refund_id
        .map(|r| r.parse())
        .transpose()
        .map_err(|_| unreadable("no refund id"))?;
    let (payment, merchant, refund) = tokio::try_join!(
        app.store.get_payment(tenant, &payment_id),
        app.store.merchant_name(&tenant.account_id),
        async {
            match &refund_id {
                Some(id) => app.store.get_refund(tenant, id).await,
                None => Ok(None),
            }
        },
    )?;
    let Some(payment) = payment else { return Ok(None) };
    if refund_id.is_some() && refund.is_none() {
        return Ok(None);
    }
    let (to, method) = tokio::try_join!(
        async {
            match (&payment.receipt_email, &payment.customer_id) {
                (Some(email), _) => Ok(Some(email.clone())),
                (None, Some(c)) => Ok(app
                    .store
                    .get_customer(tenant, c)
                    .await?
                    .filter(|c| !c.deleted)
                    .and_then(|c| c.email)),
                (None, None) => Ok(None),
            }
        },
        async {
            match &payment.payment_method {
                Some(pm) => app.store.get_payment_method(tenant, pm).await,
                None => Ok(None),
            }
        },
    )?;
    let Some(to) = to else {
        tracing::debug!(payment_id = %payment.id, "no receipt: the payment has no receipt email");
        return Ok(None);
    };
    let facts = ReceiptFacts {
        merchant: &merchant,
        payment: &payment,
        card: method.as_ref().map(|m| &m.card),
        refund: refund.as_ref(),
    };
    let receipt = Receipt::compose(&head.id, &facts, to, event.created);
    let receipt = match app.store.record_receipt(tenant, &receipt).await? {
        Recorded::New => receipt,
        // Recorded, and then the send was cut off: sent again (a message
        // can go twice if the cut came after SES took it; never not at all).
        Recorded::Before(before) if before.status == ReceiptStatus::Sending => *before,
        Recorded::Before(before) => return Ok(Some(*before)),
    };
    if receipt.status != ReceiptStatus::Sending {
        tracing::info!(receipt_id = %receipt.id, payment_id = %receipt.payment_id, "test-mode receipt kept in the outbox");
        return Ok(Some(receipt));
    }
    send(app, tenant, receipt).await.map(Some)
}

/// Sends a live receipt and records what became of it.
async fn send(app: &App, tenant: &Tenant, mut receipt: Receipt) -> Result<Receipt, StoreError> {
    let sent = match &app.mailer {
        Some(mailer) => mailer
            .send(receipt.to.as_str(), &receipt.subject, &receipt.body)
            .await
            .map_err(|e| {
                tracing::warn!(receipt_id = %receipt.id, error_code = %e.code, "the mail service refused a receipt");
                format!("The mail service refused it ({}): {}", e.code, e.message)
            }),
        None => {
            tracing::warn!(receipt_id = %receipt.id, "no receipt sender is configured: live receipt not sent");
            Err("No receipt sender is configured: the stack's ReceiptSender parameter names the address live receipts are sent from.".into())
        }
    };
    match sent {
        Ok(message_id) => {
            app.store
                .set_receipt_outcome(tenant, &receipt.id, ReceiptStatus::Sent, Some(&message_id), None)
                .await?;
            tracing::info!(receipt_id = %receipt.id, payment_id = %receipt.payment_id, "receipt sent");
            receipt.status = ReceiptStatus::Sent;
            receipt.message_id = Some(message_id);
        }
        Err(why) => {
            app.store
                .set_receipt_outcome(tenant, &receipt.id, ReceiptStatus::Failed, None, Some(&why))
                .await?;
            receipt.status = ReceiptStatus::Failed;
            receipt.failure_message = Some(why);
        }
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn which_events_call_for_a_receipt() {
        let payment = json!({"id": "pay_1", "status": "succeeded"});
        assert_eq!(
            subject_of(EventType::PaymentSucceeded, &payment, None),
            Some(("pay_1".into(), None))
        );
        assert_eq!(
            subject_of(EventType::PaymentCaptured, &payment, None),
            Some(("pay_1".into(), None))
        );
        let refund = |status: &str| json!({"id": "re_1", "payment_id": "pay_1", "status": status});
        let refunded = Some(("pay_1".into(), Some("re_1".into())));
        assert_eq!(
            subject_of(EventType::RefundCreated, &refund("succeeded"), None),
            refunded
        );
        assert_eq!(subject_of(EventType::RefundCreated, &refund("pending"), None), None);
        let was_pending = json!({"status": "pending"});
        assert_eq!(
            subject_of(EventType::RefundUpdated, &refund("succeeded"), Some(&was_pending)),
            refunded
        );
        let metadata_only = json!({"metadata": {}});
        assert_eq!(
            subject_of(EventType::RefundUpdated, &refund("succeeded"), Some(&metadata_only)),
            None,
            "a later update of a succeeded refund sends no second receipt"
        );
        assert_eq!(
            subject_of(EventType::RefundUpdated, &refund("failed"), Some(&was_pending)),
            None
        );
        assert!(!may_call_for_receipt(EventType::PaymentCreated));
        assert!(!may_call_for_receipt(EventType::PaymentUpdated));
    }
}
