//! Balance transactions: written only inside the transaction of the change
//! that moves the money ([`super::Writes::moving`]), then read and listed.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::{
    error::StoreError,
    item::{to_item, NOT_EXISTS},
    keys,
    transact::put_item,
    ReadStats, Store,
};
use crate::domain::{
    BalanceTransaction, BalanceTransactionType, CreatedRange, Currency, ListWindow, Page, Tenant, TxnId,
};

/// Which balance transactions a list returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BalanceTransactionFilter {
    /// The `pay_` or `re_` id that moved the money.
    pub source: Option<String>,
    pub kind: Option<BalanceTransactionType>,
    pub currency: Option<Currency>,
    pub created: CreatedRange,
}

impl Store {
    /// A new balance transaction, as an item of a change's transaction.
    pub(super) fn balance_transaction_put(
        &self,
        tenant: &Tenant,
        txn: &BalanceTransaction,
    ) -> Result<TransactWriteItem, StoreError> {
        let keys = keys::balance_transaction_item(tenant, &txn.id, txn.created, &txn.source, txn.kind.as_str());
        Ok(put_item(self.put(to_item(&keys, txn)?, NOT_EXISTS)))
    }

    pub async fn get_balance_transaction(
        &self,
        tenant: &Tenant,
        id: &TxnId,
    ) -> Result<Option<BalanceTransaction>, StoreError> {
        self.get_as(&keys::balance_transaction(tenant, id), "GetItem(balance transaction)")
            .await
    }

    /// One page of the tenant's balance transactions matching `filter`,
    /// newest first: one Query on the narrowest index (per shard of a
    /// sharded list), plus one GetItem for a cursor; a currency (and a type
    /// with a source) filters that list, and may take more than one Query.
    pub async fn list_balance_transactions(
        &self,
        tenant: &Tenant,
        filter: &BalanceTransactionFilter,
        window: &ListWindow<TxnId>,
    ) -> Result<(Page<BalanceTransaction>, ReadStats), StoreError> {
        let (index, residual) = keys::balance_transaction_list_index(tenant, filter.source.as_deref(), filter.kind);
        // The currency is no list's key: it filters the narrowest list.
        let residual = residual
            .map(|k| ("type", k.as_str().to_owned()))
            .into_iter()
            .chain(filter.currency.map(|c| ("currency", c.code().to_owned())));
        self.list(tenant, index, residual, &filter.created, window).await
    }
}
