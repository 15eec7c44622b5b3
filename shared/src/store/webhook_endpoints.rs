//! Webhook endpoints: their list, and tombstones when deleted.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    error::{applied, StoreError},
    item::{from_item, key_of, to_item},
    keys,
    transact::Writes,
    ReadStats, Store,
};
use crate::domain::{CreatedRange, ListWindow, Page, Tenant, WebhookEndpoint, WebhookEndpointId};

impl Store {
    pub async fn insert_webhook_endpoint(
        &self,
        tenant: &Tenant,
        endpoint: &WebhookEndpoint,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let keys = keys::webhook_endpoint_item(tenant, &endpoint.id, endpoint.created);
        let item = to_item(&keys, endpoint)?;
        self.insert_new("PutItem(webhook endpoint)", item, tenant, writes).await
    }

    pub async fn list_webhook_endpoints(
        &self,
        tenant: &Tenant,
        window: &ListWindow<WebhookEndpointId>,
    ) -> Result<(Page<WebhookEndpoint>, ReadStats), StoreError> {
        let index = keys::webhook_endpoint_list_index(tenant);
        let cursor_keys = window.cursor.as_ref().map(|c| keys::webhook_endpoint(tenant, c.id()));
        self.list(index, None, &CreatedRange::default(), window, cursor_keys)
            .await
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
    /// deliveries). False if there was none.
    pub async fn delete_webhook_endpoint(&self, tenant: &Tenant, id: &WebhookEndpointId) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::webhook_endpoint(tenant, id))))
            .update_expression("SET deleted = :true REMOVE gsi1pk, gsi1sk")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await;
        applied(result, "UpdateItem(delete webhook endpoint)")
    }

    pub async fn get_webhook_endpoint(
        &self,
        tenant: &Tenant,
        id: &WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let item = self
            .get(&keys::webhook_endpoint(tenant, id), "GetItem(webhook endpoint)")
            .await?;
        match item {
            Some(i) if !i.contains_key("deleted") => Ok(Some(from_item(i)?)),
            _ => Ok(None),
        }
    }
}
