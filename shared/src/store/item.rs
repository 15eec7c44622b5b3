//! Items: domain values to DynamoDB attribute maps and back, with the keys
//! of [`super::keys`] added.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{de::DeserializeOwned, Serialize};

use super::{
    error::StoreError,
    keys::{self, Keys},
};

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Serialises `data` and adds its keys.
pub(super) fn to_item<T: Serialize>(keys: &Keys, data: &T) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    item.insert(keys::PK.into(), s(&keys.pk));
    item.insert(keys::SK.into(), s(&keys.sk));
    for (names, value) in [
        ((keys::GSI1PK, keys::GSI1SK), &keys.gsi1),
        ((keys::GSI2PK, keys::GSI2SK), &keys.gsi2),
        ((keys::GSI3PK, keys::GSI3SK), &keys.gsi3),
    ] {
        if let Some((pk, sk)) = value {
            item.insert(names.0.into(), s(pk));
            item.insert(names.1.into(), s(sk));
        }
    }
    Ok(item)
}

pub(super) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn key_of(keys: &Keys) -> Item {
    HashMap::from([(keys::PK.into(), s(&keys.pk)), (keys::SK.into(), s(&keys.sk))])
}

pub(super) const NOT_EXISTS: &str = "attribute_not_exists(pk)";

/// A condition that attribute `name` still holds `value`; `is_default`: the
/// value is the one an absent attribute means (items written before it).
pub(super) fn unchanged(name: &str, value: &str, is_default: bool) -> String {
    if is_default {
        format!("(attribute_not_exists({name}) OR {name} = {value})")
    } else {
        format!("{name} = {value}")
    }
}
