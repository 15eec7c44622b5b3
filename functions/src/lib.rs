//! Every Lambda handler, one module per resource as in the other layers
//! (`payments::capture` is `POST /v1/payments/{id}/capture`), besides the
//! authorizer and the hosted page. Each function's binary,
//! `src/bin/<function>.rs`, is one line over its handler. The handlers hold
//! only what differs between endpoints: parsing the request into a command,
//! and calling the service.

pub mod authorizer;
pub mod balance;
pub mod customers;
pub mod dashboard;
pub mod deliveries;
pub mod events;
pub mod hosted_page;
pub mod payment_methods;
pub mod payments;
pub mod payouts;
pub mod receipts;
pub mod refunds;
pub mod webhook_endpoints;

/// A stream batch's response: the records (by sequence number) to retry.
fn stream_failures(
    failed: impl IntoIterator<Item = Option<String>>,
) -> aws_lambda_events::streams::DynamoDbEventResponse {
    let mut response = aws_lambda_events::streams::DynamoDbEventResponse::default();
    for item_identifier in failed {
        let mut failure = aws_lambda_events::streams::DynamoDbBatchItemFailure::default();
        failure.item_identifier = item_identifier;
        response.batch_item_failures.push(failure);
    }
    response
}

/// The `answer_refunds` function's stream handler: the simulated card
/// network answers new refunds ([`refunds::answer`]) and the balance writer
/// applies new balance transactions ([`balance::apply`]); one mapping for
/// both, as a stream shard allows two readers and the webhook fan-out is
/// the other. The failures of both are retried.
pub async fn settle(
    app: &paynectra::service::App,
    batch: aws_lambda_events::dynamodb::Event,
) -> aws_lambda_events::streams::DynamoDbEventResponse {
    let (answered, applied) = tokio::join!(refunds::answer(app, batch.clone()), balance::apply(app, &batch));
    let mut response = answered;
    response.batch_item_failures.extend(applied.batch_item_failures);
    response
}
