//! Webhook endpoints in the store.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{key_of, keys, to_item, ReadStats, Store, StoreError, NOT_EXISTS};
use crate::domain::{CreatedRange, ListWindow, Page, Tenant, WebhookEndpoint, WebhookEndpointId};

impl Store {
    pub async fn insert_webhook_endpoint(&self, tenant: &Tenant, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        let keys = keys::webhook_endpoint_item(tenant, &endpoint.id, endpoint.created);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys, endpoint)?))
            .condition_expression(NOT_EXISTS)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem(webhook endpoint)", e))?;
        Ok(())
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
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StoreError::dynamo("UpdateItem(delete webhook endpoint)", e)),
        }
    }
}
