//! The store's one error type, and how DynamoDB's answers map onto it:
//! throttling, failed conditions, cancelled transactions.

use aws_sdk_dynamodb::{
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::transact_write_items::TransactWriteItemsError,
};

use crate::domain::{AccountId, ApiKeyId, CustomerId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such customer: {0}")]
    CustomerNotFound(CustomerId),
    #[error("no such account: {0}")]
    AccountNotFound(AccountId),
    #[error("no active API key {0}")]
    KeyNotFound(ApiKeyId),
    /// A list cursor that names no object of the tenant.
    #[error("no such object for {param}: {id}")]
    CursorNotFound { param: &'static str, id: String },
    /// A refund lost a race: the payment changed (another refund took the
    /// balance, or its status moved) between the read and the write.
    #[error("the payment changed while the refund was being written")]
    RefundConflict,
    /// The idempotency claim this request held was taken over (it outlived
    /// its lock), so its result was not recorded and nothing was written.
    #[error("the idempotency key's claim was lost")]
    IdempotencyLost,
    /// A confirmation named a payment method that another payment took
    /// first (one attached to nobody serves one payment).
    #[error("the payment method was used for another payment")]
    PaymentMethodConsumed,
    /// A conditional replace lost to a concurrent write.
    #[error("the object changed while it was being written")]
    Conflict,
    #[error("an item with this id already exists")]
    AlreadyExists,
    /// The item to change does not exist (or no longer).
    #[error("no such item")]
    Missing,
    /// A payout for more than the stored available balance holds.
    #[error("the available balance does not cover the payout")]
    BalanceInsufficient,
    /// The tenant has as many webhook endpoints as it may.
    #[error("the webhook endpoint limit is reached")]
    WebhookEndpointLimit,
    #[error("the stored item could not be read: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
    /// DynamoDB throttled the request (even after the SDK's retries):
    /// nothing was written, and the caller should back off (a 429).
    #[error("DynamoDB {operation} was throttled: {message}")]
    Throttled { operation: &'static str, message: String },
    /// DynamoDB itself failed (unreachable, timed out, ...): a 500.
    #[error("DynamoDB {operation} failed: {message}")]
    Dynamo { operation: &'static str, message: String },
}

/// DynamoDB's error codes for "too many requests": a table or index over its
/// capacity, the account's request limit, or on-demand throttling.
const THROTTLING_CODES: [&str; 3] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
];

/// The cancellation reasons of a transaction cancelled by throttling.
pub(super) const THROTTLED_CANCELLATIONS: [&str; 2] = ["ThrottlingError", "ProvisionedThroughputExceeded"];

impl StoreError {
    /// The error of a failed DynamoDB call: [`StoreError::Throttled`] if
    /// DynamoDB answered with a throttling code, else [`StoreError::Dynamo`].
    pub(super) fn dynamo<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        let message = DisplayErrorContext(&err).to_string();
        if err.code().is_some_and(|c| THROTTLING_CODES.contains(&c)) {
            StoreError::Throttled { operation, message }
        } else {
            StoreError::Dynamo { operation, message }
        }
    }
}

/// The result of a conditional write: `true` if it applied, `false` if its
/// condition did not hold.
pub(super) fn applied<O, E>(
    result: Result<O, SdkError<E, HttpResponse>>,
    operation: &'static str,
) -> Result<bool, StoreError>
where
    E: std::error::Error + ConditionFailure + ProvideErrorMetadata + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(ConditionFailure::is_condition_failure) => Ok(false),
        Err(e) => Err(StoreError::dynamo(operation, e)),
    }
}

/// A conditional write that must apply: `refused` when its condition did
/// not hold.
pub(super) fn applied_or<O, E>(
    result: Result<O, SdkError<E, HttpResponse>>,
    operation: &'static str,
    refused: StoreError,
) -> Result<(), StoreError>
where
    E: std::error::Error + ConditionFailure + ProvideErrorMetadata + 'static,
{
    if applied(result, operation)? {
        Ok(())
    } else {
        Err(refused)
    }
}

/// Errors that can say "the condition did not hold".
pub(super) trait ConditionFailure {
    fn is_condition_failure(&self) -> bool;
}

impl ConditionFailure for aws_sdk_dynamodb::operation::update_item::UpdateItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailure for aws_sdk_dynamodb::operation::delete_item::DeleteItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailure for aws_sdk_dynamodb::operation::put_item::PutItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

pub(super) type HttpResponse = aws_sdk_dynamodb::config::http::HttpResponse;

/// Which items of a cancelled transaction failed their condition.
pub(super) fn failed_conditions(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> Option<Vec<bool>> {
    cancellation_codes(err).map(|codes| codes.iter().map(|c| c == "ConditionalCheckFailed").collect())
}

/// The cancellation reason of each item of a cancelled transaction.
pub(super) fn cancellation_codes(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> Option<Vec<String>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect(),
        ),
        _ => None,
    }
}

/// True when a transaction was cancelled because DynamoDB throttled one of
/// its items.
pub(super) fn transaction_throttled(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> bool {
    cancellation_codes(err).is_some_and(|c| c.iter().any(|c| THROTTLED_CANCELLATIONS.contains(&c.as_str())))
}

/// True when a transaction was cancelled because another transaction was
/// writing the same item at the same moment: safe to retry.
/// Another transaction held one of the items: nothing of ours was written,
/// so deciding again from a fresh read is safe. Not so for
/// TransactionInProgressException: it answers the SDK's retry of *our* own
/// transaction (same client request token) while the first attempt is still
/// committing, which may well succeed. Deciding again could then refund
/// twice; it stays an opaque 500 (outcome unknown), and a retry with the
/// same Idempotency-Key replays the committed answer.
pub(super) fn transaction_conflict(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> bool {
    cancellation_codes(err).is_some_and(|c| c.iter().any(|c| c == "TransactionConflict"))
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::{
        error::ErrorMetadata,
        operation::{get_item::GetItemError, transact_write_items::TransactWriteItemsError},
        types::{error::TransactionCanceledException, CancellationReason},
    };

    use super::*;

    fn get_item_error(code: &str) -> SdkError<GetItemError, ()> {
        let meta = ErrorMetadata::builder().code(code).message("from DynamoDB").build();
        SdkError::service_error(GetItemError::generic(meta), ())
    }

    #[test]
    fn dynamodb_throttling_is_throttled_not_a_failure() {
        for code in THROTTLING_CODES {
            assert!(
                matches!(
                    StoreError::dynamo("GetItem(payment)", get_item_error(code)),
                    StoreError::Throttled { .. }
                ),
                "{code}"
            );
        }
        for code in [
            "InternalServerError",
            "ResourceNotFoundException",
            "ValidationException",
        ] {
            assert!(
                matches!(
                    StoreError::dynamo("GetItem(payment)", get_item_error(code)),
                    StoreError::Dynamo { .. }
                ),
                "{code}"
            );
        }
        // No answer at all (DynamoDB unreachable) is a failure, not a throttle.
        let timeout: SdkError<GetItemError, ()> = SdkError::timeout_error("operation timed out");
        assert!(matches!(
            StoreError::dynamo("GetItem(payment)", timeout),
            StoreError::Dynamo { .. }
        ));
    }

    fn cancelled(codes: &[&str]) -> SdkError<TransactWriteItemsError, ()> {
        let e = TransactionCanceledException::builder()
            .set_cancellation_reasons(Some(
                codes
                    .iter()
                    .map(|c| CancellationReason::builder().code(*c).build())
                    .collect(),
            ))
            .build();
        SdkError::service_error(TransactWriteItemsError::TransactionCanceledException(e), ())
    }

    #[test]
    fn cancelled_transactions_are_told_apart() {
        assert!(transaction_throttled(&cancelled(&["None", "ThrottlingError"])));
        assert!(transaction_throttled(&cancelled(&[
            "ProvisionedThroughputExceeded",
            "None"
        ])));
        assert!(!transaction_throttled(&cancelled(&["None", "TransactionConflict"])));
        assert!(transaction_conflict(&cancelled(&["None", "TransactionConflict"])));
        // Our own transaction still committing (the SDK retried it with the
        // same token): not a conflict to decide again from, the outcome is
        // unknown.
        let in_progress: SdkError<TransactWriteItemsError, ()> = SdkError::service_error(
            TransactWriteItemsError::TransactionInProgressException(
                aws_sdk_dynamodb::types::error::TransactionInProgressException::builder().build(),
            ),
            (),
        );
        assert!(!transaction_conflict(&in_progress));
        assert!(!transaction_throttled(&in_progress));
        assert_eq!(
            failed_conditions(&cancelled(&["None", "ConditionalCheckFailed"])),
            Some(vec![false, true])
        );
    }
}
