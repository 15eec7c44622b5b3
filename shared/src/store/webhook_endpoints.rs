//! Webhook endpoints: their list, and tombstones when deleted.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::{
    error::StoreError,
    item::{from_item, key_of},
    keys,
    list::SortKeys,
    transact::{NewItem, Writes},
    ReadStats, Store,
};
use crate::domain::{
    delivery::Breaker, webhook_endpoint::MAX_ENDPOINTS, CreatedRange, ListWindow, Page, Tenant, WebhookEndpoint,
    WebhookEndpointId,
};

/// A new endpoint is counted in the same transaction, refused
/// ([`StoreError::WebhookEndpointLimit`]) when the tenant has
/// [`MAX_ENDPOINTS`] already: the count's condition makes concurrent
/// creations take the last places one at a time.
impl NewItem for WebhookEndpoint {
    const OPERATION: &'static str = "insert(webhook endpoint)";

    fn keys(&self, tenant: &Tenant) -> keys::Keys {
        keys::webhook_endpoint_item(tenant, &self.id, self.created)
    }

    fn beside(&self, store: &Store, tenant: &Tenant) -> Vec<TransactWriteItem> {
        vec![store.endpoint_count(tenant, 1, Some(MAX_ENDPOINTS))]
    }

    fn refused(&self, _: usize) -> StoreError {
        StoreError::WebhookEndpointLimit
    }
}

impl Store {
    /// Adds `n` to the tenant's endpoint count, only while it is below
    /// `below` if given.
    fn endpoint_count(&self, tenant: &Tenant, n: i64, below: Option<usize>) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::webhook_endpoint_count(tenant))))
            .update_expression("ADD endpoints :n")
            .expression_attribute_values(":n", AttributeValue::N(n.to_string()));
        let update = match below {
            Some(max) => update
                .condition_expression("attribute_not_exists(endpoints) OR endpoints < :max")
                .expression_attribute_values(":max", AttributeValue::N(max.to_string())),
            None => update,
        };
        TransactWriteItem::builder()
            .update(update.build().expect("table, key and expression are set"))
            .build()
    }

    pub async fn list_webhook_endpoints(
        &self,
        tenant: &Tenant,
        window: &ListWindow<WebhookEndpointId>,
    ) -> Result<(Page<WebhookEndpoint>, ReadStats), StoreError> {
        let index = keys::webhook_endpoint_list_index(tenant);
        self.list(tenant, index, None, &CreatedRange::default(), window).await
    }

    /// Every live endpoint of the tenant (for delivery): pages of 100.
    pub async fn all_webhook_endpoints(&self, tenant: &Tenant) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let mut out = Vec::new();
        let mut window = ListWindow::new(Some(100), None, None).expect("100 is a valid limit");
        loop {
            let (page, _) = self.list_webhook_endpoints(tenant, &window).await?;
            let last = page.data.last().map(|e| e.id.clone());
            out.extend(page.data);
            match (page.has_more, last) {
                (true, Some(id)) => window = ListWindow::new(Some(100), Some(id), None).expect("valid"),
                _ => return Ok(out),
            }
        }
    }

    /// Deletes an endpoint: a tombstone that leaves the list (and so stops
    /// deliveries), and one less in the tenant's count, in one transaction.
    /// False if there was none.
    pub async fn delete_webhook_endpoint(&self, tenant: &Tenant, id: &WebhookEndpointId) -> Result<bool, StoreError> {
        let items = vec![
            self.tombstone(&keys::webhook_endpoint(tenant, id), "gsi1pk, gsi1sk"),
            self.endpoint_count(tenant, -1, None),
        ];
        let op = "TransactWriteItems(delete webhook endpoint)";
        self.transact_applied(op, items, tenant, Writes::NONE, || StoreError::Missing)
            .await
    }

    /// An endpoint (unless deleted) and its circuit breaker (closed if it
    /// has none), for a delivery attempt: one eventually consistent Query
    /// of the endpoint's partition, half a read unit for both, where two
    /// strongly consistent GetItems took two. A big merchant's one endpoint
    /// is read for every attempt (about 5,000 a second at 2,000 payments a
    /// second), so this is its partition's whole read load. A breaker read
    /// a moment stale is safe: a probe is claimed by a conditional write,
    /// and a stale version only retries [`Self::put_breaker`].
    pub async fn endpoint_with_breaker(
        &self,
        tenant: &Tenant,
        id: &WebhookEndpointId,
    ) -> Result<(Option<WebhookEndpoint>, Breaker), StoreError> {
        let endpoint_keys = keys::webhook_endpoint(tenant, id);
        let breaker_keys = keys::breaker(tenant, id);
        let items = self
            .query_all(
                endpoint_keys.pk.clone(),
                SortKeys::All,
                false,
                "Query(endpoint and breaker)",
            )
            .await?;
        let (mut endpoint, mut breaker) = (None, Breaker::default());
        for item in items {
            let sk = item.get(keys::SK).and_then(|v| v.as_s().ok()).cloned();
            match sk {
                Some(sk) if sk == endpoint_keys.sk && !item.contains_key("deleted") => {
                    endpoint = Some(from_item(item)?)
                }
                Some(sk) if sk == breaker_keys.sk => breaker = from_item(item)?,
                _ => {}
            }
        }
        Ok((endpoint, breaker))
    }
}
