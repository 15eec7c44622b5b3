//! The table's definition, for DynamoDB Local, tests and the admin tool's
//! `table create`. `template.yaml` declares the same table for AWS; a test
//! (`tests/tests/template.rs`) checks that the two agree.

use aws_sdk_dynamodb::{
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
        ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
    },
    Client,
};

use super::{keys, StoreError};

/// The global secondary indexes: (name, partition key, sort key). All
/// project every attribute, so a list is one Query with no follow-up reads.
pub const GSIS: [(&str, &str, &str); 3] = [
    ("gsi1", keys::GSI1PK, keys::GSI1SK),
    ("gsi2", keys::GSI2PK, keys::GSI2SK),
    ("gsi3", keys::GSI3PK, keys::GSI3SK),
];

/// The table's own key: (partition key, sort key).
pub const TABLE_KEY: (&str, &str) = (keys::PK, keys::SK);

/// The attribute DynamoDB's TTL deletes expired items by.
pub const TTL_ATTRIBUTE: &str = "expires_at";

fn key_schema(pk: &str, sk: &str) -> Vec<KeySchemaElement> {
    [(pk, KeyType::Hash), (sk, KeyType::Range)]
        .into_iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .expect("name and type are set")
        })
        .collect()
}

/// Creates the table (on-demand billing) with its indexes and TTL, and waits
/// until it is active. Succeeds if it already exists.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let attrs: Vec<&str> = [TABLE_KEY.0, TABLE_KEY.1]
        .into_iter()
        .chain(GSIS.iter().flat_map(|(_, pk, sk)| [*pk, *sk]))
        .collect();
    let mut req = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        // New images feed webhook delivery (the event items).
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .expect("enabled is set"),
        )
        .set_key_schema(Some(key_schema(TABLE_KEY.0, TABLE_KEY.1)));
    for a in attrs {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set"),
        );
    }
    for (name, pk, sk) in GSIS {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .set_key_schema(Some(key_schema(pk, sk)))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .expect("name, keys and projection are set"),
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_in_use_exception()) => return Ok(()),
        Err(e) => return Err(StoreError::dynamo("CreateTable", e)),
    }
    for _ in 0..120 {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DescribeTable", e))?;
        let status = out
            .table()
            .and_then(|t| t.table_status())
            .map(|s| s.as_str().to_owned());
        if status.as_deref() == Some("ACTIVE") {
            client
                .update_time_to_live()
                .table_name(table)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .enabled(true)
                        .attribute_name(TTL_ATTRIBUTE)
                        .build()
                        .expect("enabled and attribute are set"),
                )
                .send()
                .await
                .map_err(|e| StoreError::dynamo("UpdateTimeToLive", e))?;
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    Err(StoreError::Config(format!("table {table} did not become active")))
}

pub async fn delete_table(client: &Client, table: &str) -> Result<(), StoreError> {
    client
        .delete_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| StoreError::dynamo("DeleteTable", e))?;
    Ok(())
}
