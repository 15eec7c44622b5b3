//! Key formats: the only place that builds `pk`, `sk` and GSI keys.
//! `docs/data-model.md` describes them and the access patterns they serve.
//!
//! Every tenant-owned item's partition key starts with `T#{account}#{mode}#`,
//! and ids can only contain `[A-Za-z0-9_]`, so no key of one tenant can equal
//! or prefix-match another tenant's.

use crate::domain::{
    AccountId, ApiKeyId, CustomerId, EventId, EventType, EventTypeFilter, KeyHash, PaymentFilter, PaymentId,
    PaymentMethodId, PaymentStatus, PayoutId, PayoutStatus, ReceiptId, RefundId, RefundStatus, Tenant, TxnId,
    WebhookEndpointId,
};

pub(super) const PK: &str = "pk";
pub(super) const PK_ATTR: &str = PK;
pub(super) const SK_ATTR: &str = SK;
pub(super) const SK: &str = "sk";
pub(super) const GSI1PK: &str = "gsi1pk";
pub(super) const GSI1SK: &str = "gsi1sk";
pub(super) const GSI2PK: &str = "gsi2pk";
pub(super) const GSI2SK: &str = "gsi2sk";
pub(super) const GSI3PK: &str = "gsi3pk";
pub(super) const GSI3SK: &str = "gsi3sk";

/// Keys of one item: the table's own and any GSI keys it projects into.
/// Public only as what [`super::transact::NewItem::keys`] returns: its
/// fields, and every function that builds one, stay in the store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keys {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) gsi1: Option<(String, String)>,
    pub(super) gsi2: Option<(String, String)>,
    pub(super) gsi3: Option<(String, String)>,
}

/// The key of the init-time warm-up read ([`super::Store::warm_up`]): no
/// item ever has it (not tenant-shaped, not an id), so the read finds nothing.
pub(super) fn warm_up() -> Keys {
    Keys {
        pk: "WARMUP".into(),
        sk: "WARMUP".into(),
        ..Keys::default()
    }
}

fn tenant_prefix(t: &Tenant) -> String {
    format!("T#{}#{}", t.account_id, t.mode.as_str())
}

/// An object's own item: its partition (the tenant and the id), and the
/// sort key that names its kind.
fn object_keys(t: &Tenant, id: &impl std::fmt::Display, kind: &str) -> Keys {
    Keys {
        pk: format!("{}#{id}", tenant_prefix(t)),
        sk: kind.into(),
        ..Keys::default()
    }
}

/// An id whose object has an item of its own: that item's keys (for a
/// GetItem, or to resolve a list cursor).
pub(super) trait ObjectKey: std::fmt::Display {
    fn keys(&self, t: &Tenant) -> Keys;
}

macro_rules! object_key {
    ($($id:ty => $keys:ident),* $(,)?) => {
        $(impl ObjectKey for $id {
            fn keys(&self, t: &Tenant) -> Keys {
                $keys(t, self)
            }
        })*
    };
}

object_key! {
    PaymentId => payment,
    CustomerId => customer,
    RefundId => refund,
    PaymentMethodId => payment_method,
    EventId => event,
    WebhookEndpointId => webhook_endpoint,
    TxnId => balance_transaction,
    PayoutId => payout,
    ReceiptId => receipt,
}

/// Sort key for "newest first" lists: zero-padded created time, then the id
/// (UUIDv7, so later ids sort later within one second): a total order.
pub(super) fn created_sort_key(created: i64, id: &str) -> String {
    format!("{created:012}#{id}")
}

/// The partition of a sharded list index (`base`) that holds the item `id`:
/// a tenant with [`Tenant::list_shards`] `n` spreads each of its busiest
/// lists over `n` partitions by a stable hash of the id. Shard 0 is `base`
/// itself (so a tenant that never grew keeps its keys, and items written
/// before a count grew are still in a partition that is read); shard `k` is
/// `{base}#s{k}`. No id or name a list partition ends with starts `s` and a
/// digit after a `#`, so no shard equals another list's partition.
fn sharded(t: &Tenant, base: String, id: &str) -> String {
    shard_pk(base, stable_hash(id) % u32::from(t.list_shards()))
}

/// Every partition of the sharded list index `base`, shard 0 first.
fn shards(t: &Tenant, base: String) -> Vec<String> {
    (0..u32::from(t.list_shards()))
        .map(|k| shard_pk(base.clone(), k))
        .collect()
}

/// Shard `k` of the list index `base`.
fn shard_pk(base: String, k: u32) -> String {
    match k {
        0 => base,
        k => format!("{base}#s{k}"),
    }
}

/// An account's own item's sort key (under `A#{id}`).
const ACCOUNT_SK: &str = "ACCOUNT";

pub(super) fn account(id: &AccountId) -> Keys {
    Keys {
        pk: format!("A#{id}"),
        sk: ACCOUNT_SK.into(),
        ..Keys::default()
    }
}

/// What a Scan for every account's item matches: a partition key that
/// begins with the first, and the sort key the second (`paynectra-admin
/// limits sync` only; never on a request path).
pub(super) fn accounts_scan() -> (&'static str, &'static str) {
    ("A#", ACCOUNT_SK)
}

/// An API key's record under its account (for listing, rolling, revoking).
pub(super) fn api_key_record(account: &AccountId, id: &ApiKeyId) -> Keys {
    Keys {
        pk: format!("A#{account}"),
        sk: format!("KEY#{id}"),
        ..Keys::default()
    }
}

pub(super) fn api_key_records_prefix(account: &AccountId) -> (String, &'static str) {
    (format!("A#{account}"), "KEY#")
}

/// An API key's lookup item, found by the hash of the presented secret.
pub(super) fn api_key_lookup(hash: &KeyHash) -> Keys {
    Keys {
        pk: format!("K#{}", hash.to_hex()),
        sk: "KEY".into(),
        ..Keys::default()
    }
}

pub(super) fn payment(t: &Tenant, id: &PaymentId) -> Keys {
    object_keys(t, id, "payment")
}

/// A payment with its list keys: all payments (GSI1), payments of one
/// customer (GSI2), payments in one status (GSI3), each newest first.
pub(super) fn payment_item(
    t: &Tenant,
    id: &PaymentId,
    created: i64,
    customer: Option<&CustomerId>,
    status: &str,
) -> Keys {
    let p = tenant_prefix(t);
    let sort = created_sort_key(created, id.as_str());
    Keys {
        gsi1: Some((sharded(t, format!("{p}#payment"), id.as_str()), sort.clone())),
        gsi2: customer.map(|c| (format!("{p}#customer#{c}#payment"), sort.clone())),
        gsi3: Some((sharded(t, format!("{p}#payment#status#{status}"), id.as_str()), sort)),
        ..payment(t, id)
    }
}

/// An index to list from: its name, key attribute names, and the
/// partitions to read (one, or every shard of a sharded list, merged by
/// sort key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ListIndex {
    pub index: &'static str,
    pub pk_attr: &'static str,
    pub sk_attr: &'static str,
    pub pks: Vec<String>,
}

/// The narrowest index for a payment filter: a customer's payments (gsi2),
/// else one status (gsi3), else all payments (gsi1). Returns the status
/// still to filter on when both customer and status are given.
pub(super) fn payment_list_index(t: &Tenant, filter: &PaymentFilter) -> (ListIndex, Option<PaymentStatus>) {
    let p = tenant_prefix(t);
    let customer = filter.customer.as_ref().map(|c| format!("{p}#customer#{c}#payment"));
    let status = filter.status.map(|s| (s, s.as_str()));
    narrowest_list(t, format!("{p}#payment"), customer, ("status", status))
}

/// The narrowest list of a kind for a filter: one owner's (gsi2, `owner`,
/// unsharded), one status's (gsi3, `{all}#{facet}#{status}`, sharded; the
/// facet names the attribute: `status`, `type`), or all (gsi1, `all`,
/// sharded). An owner and a status together: the owner's list, and the
/// status returned as the residual filter.
fn narrowest_list<S>(
    t: &Tenant,
    all: String,
    owner: Option<String>,
    (facet, status): (&str, Option<(S, &str)>),
) -> (ListIndex, Option<S>) {
    match (owner, status) {
        (Some(pk), status) => (
            ListIndex {
                index: "gsi2",
                pk_attr: GSI2PK,
                sk_attr: GSI2SK,
                pks: vec![pk],
            },
            status.map(|(s, _)| s),
        ),
        (None, Some((_, name))) => (
            ListIndex {
                index: "gsi3",
                pk_attr: GSI3PK,
                sk_attr: GSI3SK,
                pks: shards(t, format!("{all}#{facet}#{name}")),
            },
            None,
        ),
        (None, None) => (
            ListIndex {
                index: "gsi1",
                pk_attr: GSI1PK,
                sk_attr: GSI1SK,
                pks: shards(t, all),
            },
            None,
        ),
    }
}

/// The smallest sort key with `created >= t`.
pub(super) fn created_lower(t: i64) -> String {
    format!("{t:012}#")
}

/// The largest sort key with `created <= t` (`~` sorts after every id
/// character).
pub(super) fn created_upper(t: i64) -> String {
    format!("{t:012}#~")
}

pub(super) fn customer(t: &Tenant, id: &CustomerId) -> Keys {
    object_keys(t, id, "customer")
}

/// A customer with its list keys: all customers (GSI1), customers by email
/// (GSI3).
pub(super) fn customer_item(t: &Tenant, id: &CustomerId, created: i64, email: Option<&str>) -> Keys {
    let p = tenant_prefix(t);
    let sort = created_sort_key(created, id.as_str());
    Keys {
        gsi1: Some((sharded(t, format!("{p}#customer"), id.as_str()), sort.clone())),
        gsi3: email.map(|e| (customer_email_pk(t, e), sort)),
        ..customer(t, id)
    }
}

/// Emails are matched case-insensitively: the index key is lower-cased.
fn customer_email_pk(t: &Tenant, email: &str) -> String {
    format!("{}#customer#email#{}", tenant_prefix(t), email.to_lowercase())
}

/// All customers (gsi1), or those with one email (gsi3).
pub(super) fn customer_list_index(t: &Tenant, email: Option<&str>) -> ListIndex {
    match email {
        Some(e) => ListIndex {
            index: "gsi3",
            pk_attr: GSI3PK,
            sk_attr: GSI3SK,
            pks: vec![customer_email_pk(t, e)],
        },
        None => ListIndex {
            index: "gsi1",
            pk_attr: GSI1PK,
            sk_attr: GSI1SK,
            pks: shards(t, format!("{}#customer", tenant_prefix(t))),
        },
    }
}

/// An idempotency record, by the SHA-256 of the client's key (keys are
/// arbitrary strings; the hash keeps them out of our key grammar).
pub(super) fn idempotency(t: &Tenant, key_hash: &str) -> Keys {
    Keys {
        pk: format!("{}#idem#{key_hash}", tenant_prefix(t)),
        sk: "idempotency".into(),
        ..Keys::default()
    }
}

pub(super) fn payment_method(t: &Tenant, id: &PaymentMethodId) -> Keys {
    object_keys(t, id, "payment_method")
}

fn customer_payment_methods_pk(t: &Tenant, customer: &CustomerId) -> String {
    format!("{}#customer#{customer}#payment_method", tenant_prefix(t))
}

/// The gsi2 keys of a payment method attached to a customer.
pub(super) fn attached_payment_method(
    t: &Tenant,
    customer: &CustomerId,
    created: i64,
    id: &PaymentMethodId,
) -> (String, String) {
    (
        customer_payment_methods_pk(t, customer),
        created_sort_key(created, id.as_str()),
    )
}

/// A customer's payment methods (gsi2).
pub(super) fn customer_payment_methods_index(t: &Tenant, customer: &CustomerId) -> ListIndex {
    ListIndex {
        index: "gsi2",
        pk_attr: GSI2PK,
        sk_attr: GSI2SK,
        pks: vec![customer_payment_methods_pk(t, customer)],
    }
}

/// The two sweep indexes: entries written by every merchant, so each is
/// spread over time buckets and, within a bucket, over shards (the arithmetic
/// is in `docs/data-model.md`). A partition is `{PREFIX}#{bucket}#{shard}`,
/// the bucket `due time / bucket_seconds`, the shard a stable hash of the
/// entry's id; entries sort by due time within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepIndex {
    /// Manual-capture holds, by `capture_before`: `HOLD#{hour}#{0..15}`.
    Holds,
    /// Webhook deliveries waiting for their next attempt:
    /// `WHRETRY#{hour}#{0..63}`.
    Retries,
    /// Pending refunds whose network answer is overdue (the backstop of
    /// the stream): `REFUND#{hour}#{0..15}`.
    Refunds,
    /// Balances with a bucket of funds coming due, by the midnight it is
    /// due: `AVAIL#{hour}#{0..15}`.
    Balances,
    /// Payouts whose next move by the (simulated) bank is due:
    /// `PAYOUT#{hour}#{0..15}`.
    Payouts,
}

impl SweepIndex {
    fn prefix(self) -> &'static str {
        match self {
            Self::Holds => "HOLD",
            Self::Retries => "WHRETRY",
            Self::Refunds => "REFUND",
            Self::Balances => "AVAIL",
            Self::Payouts => "PAYOUT",
        }
    }

    /// Seconds of due time per bucket.
    pub fn bucket_seconds(self) -> i64 {
        3_600
    }

    /// Shards per bucket.
    pub fn shards(self) -> u32 {
        match self {
            Self::Holds => 16,
            Self::Retries => 64,
            Self::Refunds | Self::Balances | Self::Payouts => 16,
        }
    }

    /// The bucket of an entry due at `at`.
    pub fn bucket(self, at: i64) -> i64 {
        at.div_euclid(self.bucket_seconds())
    }

    /// The first second after bucket `b`.
    pub fn bucket_end(self, b: i64) -> i64 {
        (b + 1) * self.bucket_seconds()
    }

    fn shard_of(self, id: &str) -> u32 {
        stable_hash(id) % self.shards()
    }

    /// The partitions of bucket `b`, one per shard.
    pub(super) fn partitions(self, b: i64) -> Vec<String> {
        (0..self.shards())
            .map(|shard| format!("{}#{b}#{shard}", self.prefix()))
            .collect()
    }

    /// The partitions of the format before sharding (`{PREFIX}#{day}`) that
    /// can still hold entries at `now`: entries are no longer written there,
    /// but those written before are swept until they are gone.
    pub(super) fn legacy_partitions(self, now: i64) -> Vec<String> {
        let today = now.div_euclid(86_400);
        let days = match self {
            Self::Holds => crate::domain::payment::HOLD_SECONDS / 86_400 + 1,
            Self::Retries => 4,
            // Born sharded: no day partitions.
            Self::Refunds | Self::Balances | Self::Payouts => return Vec::new(),
        };
        ((today - days)..=today)
            .map(|day| self.legacy_partition(day * 86_400))
            .collect()
    }

    /// The partition of the format before sharding of an entry due at `at`
    /// (`HOLD#{day}`, `WHRETRY#{day}`).
    pub(super) fn legacy_partition(self, at: i64) -> String {
        format!("{}#{}", self.prefix(), at.div_euclid(86_400))
    }

    /// The sort key bound of entries due by `now`.
    pub(super) fn due_by(now: i64) -> String {
        format!("{now:012}#~")
    }

    /// The sweep's own state item (the last bucket it swept whole), in the
    /// index's key space (`HOLD#swept`, `WHRETRY#swept`: no bucket is
    /// called `swept`).
    pub(super) fn state(self) -> Keys {
        Keys {
            pk: format!("{}#swept", self.prefix()),
            sk: "swept".into(),
            ..Keys::default()
        }
    }

    fn entry(self, id: &str, at: i64, sk: String) -> Keys {
        Keys {
            pk: format!("{}#{}#{}", self.prefix(), self.bucket(at), self.shard_of(id)),
            sk,
            ..Keys::default()
        }
    }
}

/// FNV-1a (32 bits): stable across builds and platforms, unlike std's
/// `DefaultHasher`, so an entry's shard never changes.
fn stable_hash(s: &str) -> u32 {
    s.bytes()
        .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// A hold's entry in the hold index, for the scheduled function that
/// cancels it: by the hour it expires, sharded by the payment.
pub(super) fn hold(t: &Tenant, payment: &PaymentId, capture_before: i64) -> Keys {
    SweepIndex::Holds.entry(
        payment.as_str(),
        capture_before,
        format!("{capture_before:012}#{}#{}#{payment}", t.account_id, t.mode.as_str()),
    )
}

pub(super) fn event(t: &Tenant, id: &EventId) -> Keys {
    object_keys(t, id, "event")
}

/// An event's count of unfinished deliveries (`pending_webhooks`): an item
/// of its own in the event's partition, with no index keys, so the writes of
/// every delivery's start and end touch nothing else (on the event item
/// they rewrote it in its three indexes).
pub(super) fn event_pending(t: &Tenant, id: &EventId) -> Keys {
    Keys {
        sk: "pending".into(),
        ..event(t, id)
    }
}

/// An event's body: the object it carries and its previous attributes, an
/// item of its own in the event's partition with no index keys, so the three
/// list indexes project only the event's small head (an index write costs
/// by the item's size: a 2 KB event took 2 WCU in each, doubled in the
/// transaction that writes it).
pub(super) fn event_body(t: &Tenant, id: &EventId) -> Keys {
    Keys {
        sk: "body".into(),
        ..event(t, id)
    }
}

/// An event with its list keys: all events (gsi1), one group such as
/// `payment.*` (gsi2), one type (gsi3).
pub(super) fn event_item(t: &Tenant, id: &EventId, created: i64, kind: EventType) -> Keys {
    let p = tenant_prefix(t);
    let sort = created_sort_key(created, id.as_str());
    Keys {
        gsi1: Some((sharded(t, format!("{p}#event"), id.as_str()), sort.clone())),
        gsi2: Some((
            sharded(t, format!("{p}#event#group#{}", kind.group()), id.as_str()),
            sort.clone(),
        )),
        gsi3: Some((
            sharded(t, format!("{p}#event#type#{}", kind.as_str()), id.as_str()),
            sort,
        )),
        ..event(t, id)
    }
}

/// An event's entry in the timeline of the payment it is about: a copy of
/// its head in the event's partition, listed by gsi1 in one partition per
/// payment (a payment has a handful of events: never hot).
pub(super) fn event_timeline(t: &Tenant, id: &EventId, created: i64, payment: &PaymentId) -> Keys {
    Keys {
        sk: "timeline".into(),
        gsi1: Some((payment_timeline_pk(t, payment), created_sort_key(created, id.as_str()))),
        ..event(t, id)
    }
}

fn payment_timeline_pk(t: &Tenant, payment: &PaymentId) -> String {
    format!("{}#payment#{payment}#event", tenant_prefix(t))
}

/// The events about one payment (gsi1), newest first.
pub(super) fn payment_timeline_index(t: &Tenant, payment: &PaymentId) -> ListIndex {
    ListIndex {
        index: "gsi1",
        pk_attr: GSI1PK,
        sk_attr: GSI1SK,
        pks: vec![payment_timeline_pk(t, payment)],
    }
}

pub(super) fn event_list_index(t: &Tenant, filter: Option<EventTypeFilter>) -> ListIndex {
    let p = tenant_prefix(t);
    match filter {
        None => ListIndex {
            index: "gsi1",
            pk_attr: GSI1PK,
            sk_attr: GSI1SK,
            pks: shards(t, format!("{p}#event")),
        },
        Some(EventTypeFilter::Group(g)) => ListIndex {
            index: "gsi2",
            pk_attr: GSI2PK,
            sk_attr: GSI2SK,
            pks: shards(t, format!("{p}#event#group#{g}")),
        },
        Some(EventTypeFilter::Exact(kind)) => ListIndex {
            index: "gsi3",
            pk_attr: GSI3PK,
            sk_attr: GSI3SK,
            pks: shards(t, format!("{p}#event#type#{}", kind.as_str())),
        },
    }
}

pub(super) fn webhook_endpoint(t: &Tenant, id: &WebhookEndpointId) -> Keys {
    object_keys(t, id, "webhook_endpoint")
}

/// A webhook endpoint with its list key (gsi1): the delivery function reads
/// a tenant's endpoints with one Query.
pub(super) fn webhook_endpoint_item(t: &Tenant, id: &WebhookEndpointId, created: i64) -> Keys {
    Keys {
        gsi1: Some((webhook_endpoints_pk(t), created_sort_key(created, id.as_str()))),
        ..webhook_endpoint(t, id)
    }
}

/// An endpoint's circuit breaker, in the endpoint's partition: whoever may
/// reach the endpoint's partition (`T#*#we_*`) reaches its breaker.
pub(super) fn breaker(t: &Tenant, id: &WebhookEndpointId) -> Keys {
    object_keys(t, id, "breaker")
}

/// The count of a tenant's live webhook endpoints (the limit is checked
/// against it in the creation's transaction).
pub(super) fn webhook_endpoint_count(t: &Tenant) -> Keys {
    Keys {
        pk: format!("{}#webhook_endpoints", tenant_prefix(t)),
        sk: "count".into(),
        ..Keys::default()
    }
}

fn webhook_endpoints_pk(t: &Tenant) -> String {
    format!("{}#webhook_endpoint", tenant_prefix(t))
}

pub(super) fn webhook_endpoint_list_index(t: &Tenant) -> ListIndex {
    ListIndex {
        index: "gsi1",
        pk_attr: GSI1PK,
        sk_attr: GSI1SK,
        pks: vec![webhook_endpoints_pk(t)],
    }
}

/// A delivery of an event to one endpoint, under the event's partition:
/// one Query reads an event and all its deliveries.
pub(super) fn delivery(t: &Tenant, event: &EventId, endpoint: &WebhookEndpointId) -> Keys {
    Keys {
        pk: self::event(t, event).pk,
        sk: format!("delivery#{endpoint}"),
        ..Keys::default()
    }
}

pub(super) fn deliveries_prefix(t: &Tenant, event: &EventId) -> (String, &'static str) {
    (self::event(t, event).pk, "delivery#")
}

/// A delivery waiting for a retry in the retry index, for the scheduled
/// retry function: by the hour of its next attempt, sharded by the event and
/// endpoint.
pub(super) fn retry(t: &Tenant, event: &EventId, endpoint: &WebhookEndpointId, at: i64) -> Keys {
    SweepIndex::Retries.entry(
        &format!("{event}#{endpoint}"),
        at,
        format!("{at:012}#{}#{}#{event}#{endpoint}", t.account_id, t.mode.as_str()),
    )
}

/// The tenant and id of an event item, from its partition key (for the
/// stream, which delivers items, not requests).
pub(super) fn event_of_pk(pk: &str) -> Option<(Tenant, EventId)> {
    tenant_object_of_pk(pk)
}

/// The tenant and id of an object's own item, from its partition key
/// (`T#{account}#{mode}#{id}`); the tenant with one list shard.
pub(super) fn tenant_object_of_pk<I: std::str::FromStr>(pk: &str) -> Option<(Tenant, I)> {
    let mut parts = pk.split('#');
    let (Some("T"), Some(account), Some(mode), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let tenant = Tenant::new(account.parse().ok()?, crate::domain::Mode::parse(mode)?);
    Some((tenant, id.parse().ok()?))
}

/// A refund's own item's sort key (the stream's filter and the admin
/// backfill's Scan match it too).
pub(super) const REFUND_SK: &str = "refund";

pub(super) fn refund(t: &Tenant, id: &RefundId) -> Keys {
    object_keys(t, id, REFUND_SK)
}

/// A refund with its list keys: all refunds (gsi1), one payment's (gsi2),
/// those in one status (gsi3).
pub(super) fn refund_item(t: &Tenant, id: &RefundId, created: i64, payment: &PaymentId, status: &str) -> Keys {
    let p = tenant_prefix(t);
    let sort = created_sort_key(created, id.as_str());
    Keys {
        gsi1: Some((sharded(t, format!("{p}#refund"), id.as_str()), sort.clone())),
        gsi2: Some((refunds_of_payment_pk(t, payment), sort.clone())),
        gsi3: Some((sharded(t, format!("{p}#refund#status#{status}"), id.as_str()), sort)),
        ..refund(t, id)
    }
}

/// A pending refund's entry in the refund index, due when the network's
/// answer is overdue (the stream normally answers first): by the hour it is
/// due, sharded by the refund.
pub(super) fn refund_due(t: &Tenant, id: &RefundId, due: i64) -> Keys {
    SweepIndex::Refunds.entry(
        id.as_str(),
        due,
        format!("{due:012}#{}#{}#{id}", t.account_id, t.mode.as_str()),
    )
}

fn refunds_of_payment_pk(t: &Tenant, payment: &PaymentId) -> String {
    format!("{}#payment#{payment}#refund", tenant_prefix(t))
}

pub(super) fn receipt(t: &Tenant, id: &ReceiptId) -> Keys {
    object_keys(t, id, "receipt")
}

fn receipts_of_payment_pk(t: &Tenant, payment: &PaymentId) -> String {
    format!("{}#payment#{payment}#receipt", tenant_prefix(t))
}

/// A receipt with its list keys: the outbox, all of the tenant's receipts
/// (gsi1, sharded: one per payment and refund at a busy merchant's rate),
/// and one payment's (gsi2).
pub(super) fn receipt_item(t: &Tenant, id: &ReceiptId, created: i64, payment: &PaymentId) -> Keys {
    let sort = created_sort_key(created, id.as_str());
    Keys {
        gsi1: Some((
            sharded(t, format!("{}#receipt", tenant_prefix(t)), id.as_str()),
            sort.clone(),
        )),
        gsi2: Some((receipts_of_payment_pk(t, payment), sort)),
        ..receipt(t, id)
    }
}

/// All receipts (gsi1), or one payment's (gsi2).
pub(super) fn receipt_list_index(t: &Tenant, payment: Option<&PaymentId>) -> ListIndex {
    let owner = payment.map(|pay| receipts_of_payment_pk(t, pay));
    narrowest_list::<()>(t, format!("{}#receipt", tenant_prefix(t)), owner, ("status", None)).0
}

/// All refunds (gsi1), one payment's (gsi2), or those in one status
/// (gsi3). One payment's in one status: its list, and the status as a
/// residual filter (the second value).
pub(super) fn refund_list_index(
    t: &Tenant,
    payment: Option<&PaymentId>,
    status: Option<RefundStatus>,
) -> (ListIndex, Option<RefundStatus>) {
    let owner = payment.map(|pay| refunds_of_payment_pk(t, pay));
    let status = status.map(|s| (s, s.as_str()));
    narrowest_list(t, format!("{}#refund", tenant_prefix(t)), owner, ("status", status))
}

/// A balance transaction's own item's sort key (the stream's filter
/// matches it too).
pub(super) const BALANCE_TRANSACTION_SK: &str = "balance_transaction";

pub(super) fn balance_transaction(t: &Tenant, id: &TxnId) -> Keys {
    object_keys(t, id, BALANCE_TRANSACTION_SK)
}

/// The balance writer's mark that it applied a balance transaction: under
/// the transaction's partition, with no index keys (a mark on the
/// transaction's own item would be written to each of its three indexes
/// too).
pub(super) fn balance_applied(t: &Tenant, id: &TxnId) -> Keys {
    object_keys(t, id, "applied")
}

/// A balance transaction with its list keys: all (gsi1), one source's
/// (gsi2: a payment's or a refund's), one type's (gsi3).
pub(super) fn balance_transaction_item(t: &Tenant, id: &TxnId, created: i64, source: &str, kind: &str) -> Keys {
    let p = tenant_prefix(t);
    let sort = created_sort_key(created, id.as_str());
    let all = format!("{p}#balance_transaction");
    Keys {
        gsi1: Some((sharded(t, all.clone(), id.as_str()), sort.clone())),
        gsi2: Some((format!("{all}#source#{source}"), sort.clone())),
        gsi3: Some((sharded(t, format!("{all}#type#{kind}"), id.as_str()), sort)),
        ..balance_transaction(t, id)
    }
}

/// A tenant's balance partition: its available amount per currency and its
/// buckets of funds not yet folded into it (one Query reads the balance).
fn balance_pk(t: &Tenant) -> String {
    format!("{}#balance", tenant_prefix(t))
}

/// The stored available amount of one currency (payouts are conditioned
/// on it).
pub(super) fn balance_available(t: &Tenant, currency: &str) -> Keys {
    Keys {
        pk: balance_pk(t),
        sk: format!("{currency}#available"),
        ..Keys::default()
    }
}

/// Bucket shards per balance partition: the writer's transactions spread
/// over them (each shard is an item; two transactions on one item clash).
pub const BALANCE_SUBSHARDS: u32 = 8;

/// Shard `shard` (of `BALANCE_SUBSHARDS` x the tenant's list shards) of the
/// bucket of one currency's funds available on `day`: in balance partition
/// `shard / BALANCE_SUBSHARDS` (the balance partition itself for a tenant
/// with unsharded lists; `{balance}#s{k}` beside it for a big merchant, so
/// its writes spread over as many partitions as its lists').
pub(super) fn balance_bucket(t: &Tenant, currency: &str, day: i64, shard: u32) -> Keys {
    let partition = (shard / BALANCE_SUBSHARDS) % u32::from(t.list_shards());
    Keys {
        pk: shard_pk(balance_pk(t), partition),
        sk: format!("{currency}#{BALANCE_BUCKET}#{day:08}#{shard:03}"),
        ..Keys::default()
    }
}

/// A tenant's settlement ledger: per currency and settlement day, the net
/// of every balance transaction whose funds count for that day, in shards
/// beside the balance's (the balance writer adds to them as it fills the
/// buckets; nothing ever folds or deletes them). An automatic payout sums
/// the days it settles here.
fn ledger_pk(t: &Tenant) -> String {
    format!("{}#ledger", tenant_prefix(t))
}

/// Shard `shard` of one currency's ledger entry for settlement day `day`
/// (in the partition of the bucket shard of the same number).
pub(super) fn ledger_entry(t: &Tenant, currency: &str, day: i64, shard: u32) -> Keys {
    day_entry(t, ledger_pk(t), currency, day, shard)
}

/// Shard `shard` of a per-day entry (the ledger's, the volume's) under
/// `base`: in the partition of the bucket shard of the same number.
fn day_entry(t: &Tenant, base: String, currency: &str, day: i64, shard: u32) -> Keys {
    let partition = (shard / BALANCE_SUBSHARDS) % u32::from(t.list_shards());
    Keys {
        pk: shard_pk(base, partition),
        sk: ledger_sort_key(currency, day, &format!("{shard:03}")),
        ..Keys::default()
    }
}

/// A ledger entry's sort key: the currency, the day, then the shard (`~`
/// sorts after every shard: the upper bound of a day).
pub(super) fn ledger_sort_key(currency: &str, day: i64, shard: &str) -> String {
    format!("{currency}#{day:08}#{shard}")
}

/// Every partition of the tenant's ledger.
pub(super) fn ledger_partitions(t: &Tenant) -> Vec<String> {
    shards(t, ledger_pk(t))
}

/// A tenant's gross volume: per currency and UTC day of the money's
/// movement, what was captured and what was refunded, in shards beside the
/// balance's (the balance writer adds to them as it fills the buckets).
/// The dashboard's chart reads days x 8 entries, never the payments.
fn volume_pk(t: &Tenant) -> String {
    format!("{}#volume", tenant_prefix(t))
}

/// Shard `shard` of one currency's volume entry for `day`.
pub(super) fn volume_entry(t: &Tenant, currency: &str, day: i64, shard: u32) -> Keys {
    day_entry(t, volume_pk(t), currency, day, shard)
}

/// Every partition of the tenant's volume.
pub(super) fn volume_partitions(t: &Tenant) -> Vec<String> {
    shards(t, volume_pk(t))
}

/// The word between a bucket's currency and day in its sort key.
pub(super) const BALANCE_BUCKET: &str = "day";

/// Every partition of the tenant's balance (the first holds the available
/// amounts), and the sort key prefix of one currency's part of each (or
/// all: empty).
pub(super) fn balance_partitions(t: &Tenant, currency: Option<&str>) -> (Vec<String>, String) {
    (
        shards(t, balance_pk(t)),
        currency.map(|c| format!("{c}#")).unwrap_or_default(),
    )
}

/// A tenant's settings partition: its bank account.
pub(super) fn bank_account(t: &Tenant) -> Keys {
    Keys {
        pk: format!("{}#settings", tenant_prefix(t)),
        sk: "bank_account".into(),
        ..Keys::default()
    }
}

/// A tenant's settings partition: its settlement terms (pricing, delay).
pub(super) fn settlement(t: &Tenant) -> Keys {
    Keys {
        sk: "settlement".into(),
        ..bank_account(t)
    }
}

/// A payout's own item's sort key.
pub(super) const PAYOUT_SK: &str = "payout";

pub(super) fn payout(t: &Tenant, id: &PayoutId) -> Keys {
    object_keys(t, id, PAYOUT_SK)
}

fn payouts_pk(t: &Tenant, status: Option<&str>) -> String {
    match status {
        None => format!("{}#payout", tenant_prefix(t)),
        Some(s) => format!("{}#payout#status#{s}", tenant_prefix(t)),
    }
}

/// A payout with its list keys: all payouts (gsi1), those in one status
/// (gsi3). Not sharded: an account pays out a few times a day at most.
pub(super) fn payout_item(t: &Tenant, id: &PayoutId, created: i64, status: &str) -> Keys {
    let sort = created_sort_key(created, id.as_str());
    Keys {
        gsi1: Some((payouts_pk(t, None), sort.clone())),
        gsi3: Some((payouts_pk(t, Some(status)), sort)),
        ..payout(t, id)
    }
}

/// All payouts (gsi1) or those in one status (gsi3).
pub(super) fn payout_list_index(t: &Tenant, status: Option<PayoutStatus>) -> ListIndex {
    let (index, pk_attr, sk_attr) = match status {
        None => ("gsi1", GSI1PK, GSI1SK),
        Some(_) => ("gsi3", GSI3PK, GSI3SK),
    };
    ListIndex {
        index,
        pk_attr,
        sk_attr,
        pks: vec![payouts_pk(t, status.map(PayoutStatus::as_str))],
    }
}

/// A payout's entry in the payout index, due at its next move: by the hour
/// it is due, sharded by the payout.
pub(super) fn payout_due(t: &Tenant, id: &PayoutId, due: i64) -> Keys {
    SweepIndex::Payouts.entry(
        id.as_str(),
        due,
        format!("{due:012}#{}#{}#{id}", t.account_id, t.mode.as_str()),
    )
}

/// Shards of the automatic payout index.
pub const AUTOPAY_SHARDS: u32 = 16;

/// An account (in one mode) with a daily payout schedule, in the automatic
/// payout index: `AUTOPAY#{shard}` (a stable hash of the tenant), so the
/// daily run reads every such account in 16 Queries, never a Scan.
pub(super) fn autopay(t: &Tenant) -> Keys {
    let id = format!("{}#{}", t.account_id, t.mode.as_str());
    Keys {
        pk: autopay_partition(stable_hash(&id) % AUTOPAY_SHARDS),
        sk: id,
        ..Keys::default()
    }
}

/// Shard `shard` of the automatic payout index.
pub(super) fn autopay_partition(shard: u32) -> String {
    format!("AUTOPAY#{shard}")
}

/// A balance's entry in the balance index, due when a bucket of its funds
/// becomes available: by the hour it is due, sharded by the tenant and
/// currency (one entry per due time, so the writers of a day's bucket all
/// write the same one).
pub(super) fn balance_due(t: &Tenant, currency: &str, due: i64) -> Keys {
    let (account, mode) = (&t.account_id, t.mode.as_str());
    SweepIndex::Balances.entry(
        &format!("{account}#{mode}#{currency}"),
        due,
        format!("{due:012}#{account}#{mode}#{currency}"),
    )
}

/// All balance transactions (gsi1), one source's (gsi2), one type's (gsi3);
/// a source's of one type filters the source's list.
pub(super) fn balance_transaction_list_index(
    t: &Tenant,
    source: Option<&str>,
    kind: Option<crate::domain::BalanceTransactionType>,
) -> (ListIndex, Option<crate::domain::BalanceTransactionType>) {
    let all = format!("{}#balance_transaction", tenant_prefix(t));
    let owner = source.map(|s| format!("{all}#source#{s}"));
    narrowest_list(t, all, owner, ("type", kind.map(|k| (k, k.as_str()))))
}

/// One partition of the table, or of an index, that the code reads or
/// writes, with an example key built by the builders above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionExample {
    /// What the partition holds (`payment`, `api_key`, `retry`, ...; list
    /// partitions of an index are named `index:...`).
    pub name: &'static str,
    /// The index whose partition key this is (`gsi1`..`gsi3`); `None` for the
    /// table's own partition key.
    pub index: Option<&'static str>,
    pub pk: String,
}

/// An example of every partition the store builds: the table's item
/// partitions and the list partitions of its indexes, each built by the
/// same builder the store uses. `template.yaml` scopes each function's
/// DynamoDB actions to partition-key patterns (`dynamodb:LeadingKeys`);
/// the template test matches these examples against those patterns, so a
/// key format that changes here and not there fails a test.
pub fn partition_examples() -> Vec<PartitionExample> {
    use crate::domain::Mode;
    let pay: PaymentId = "pay_0example".parse().expect("a valid id");
    let cus: CustomerId = "cus_0example".parse().expect("a valid id");
    let pm: PaymentMethodId = "pm_0example".parse().expect("a valid id");
    let re: RefundId = "re_0example".parse().expect("a valid id");
    let txn: TxnId = "txn_0example".parse().expect("a valid id");
    let po: PayoutId = "po_0example".parse().expect("a valid id");
    let evt: EventId = "evt_0example".parse().expect("a valid id");
    let rcpt: ReceiptId = "rcpt_0example".parse().expect("a valid id");
    let we: WebhookEndpointId = "we_0example".parse().expect("a valid id");
    let key: ApiKeyId = "key_0example".parse().expect("a valid id");
    let account: AccountId = "acct_0example".parse().expect("a valid id");
    let hash = KeyHash::from_hex(&"ab".repeat(32)).expect("64 hex digits");
    let table = |name, keys: Keys| PartitionExample {
        name,
        index: None,
        pk: keys.pk,
    };
    let index = |name, l: ListIndex| PartitionExample {
        name,
        index: Some(l.index),
        pk: l.pks[0].clone(),
    };
    // A sharded list's other partitions, one with a one-digit shard and one
    // with two, under the name of its shard 0 plus `_shards`.
    let shards = |name, l: ListIndex| {
        [7, 42].map(|k| PartitionExample {
            name,
            index: Some(l.index),
            pk: l.pks[k].clone(),
        })
    };
    let mut out = vec![
        table("warm_up", warm_up()),
        table("account", self::account(&account)),
        table("api_key_record", api_key_record(&account, &key)),
        table("api_key", api_key_lookup(&hash)),
        table("hold_sweep", SweepIndex::Holds.state()),
        table("retry_sweep", SweepIndex::Retries.state()),
        table("refund_sweep", SweepIndex::Refunds.state()),
        table("balance_sweep", SweepIndex::Balances.state()),
        table("payout_sweep", SweepIndex::Payouts.state()),
        PartitionExample {
            name: "hold_legacy",
            index: None,
            pk: SweepIndex::Holds.legacy_partitions(86_400 * 30).remove(0),
        },
        PartitionExample {
            name: "retry_legacy",
            index: None,
            pk: SweepIndex::Retries.legacy_partitions(86_400 * 30).remove(0),
        },
    ];
    for mode in [Mode::Test, Mode::Live] {
        let t = Tenant::new(account.clone(), mode);
        let status = PaymentFilter {
            status: Some(PaymentStatus::RequiresCapture),
            ..PaymentFilter::default()
        };
        let of_customer = PaymentFilter {
            customer: Some(cus.clone()),
            ..PaymentFilter::default()
        };
        let kind = EventType::PaymentCreated;
        out.extend([
            table("payment", payment_item(&t, &pay, 0, Some(&cus), "pending")),
            table("customer", customer_item(&t, &cus, 0, Some("jenny@example.com"))),
            table("payment_method", payment_method(&t, &pm)),
            table("refund", refund_item(&t, &re, 0, &pay, "pending")),
            table("refund_due", refund_due(&t, &re, 60)),
            table("receipt", receipt_item(&t, &rcpt, 0, &pay)),
            index("index:receipts", receipt_list_index(&t, None)),
            index("index:receipts_of_payment", receipt_list_index(&t, Some(&pay))),
            table("balance", balance_available(&t, "usd")),
            table("balance_due", balance_due(&t, "usd", 86_400)),
            table("ledger", ledger_entry(&t, "usd", 1, 3)),
            table("volume", volume_entry(&t, "usd", 1, 3)),
            table("settings", bank_account(&t)),
            table("autopay", autopay(&t)),
            table("payout", payout_item(&t, &po, 0, "pending")),
            table("payout_due", payout_due(&t, &po, 60)),
            index("index:payouts", payout_list_index(&t, None)),
            index(
                "index:payouts_by_status",
                payout_list_index(&t, Some(PayoutStatus::Pending)),
            ),
            table(
                "balance_transaction",
                balance_transaction_item(&t, &txn, 0, pay.as_str(), "payment"),
            ),
            table("event", event_item(&t, &evt, 0, kind)),
            table("delivery", delivery(&t, &evt, &we)),
            table("webhook_endpoint", webhook_endpoint_item(&t, &we, 0)),
            table("breaker", breaker(&t, &we)),
            table("webhook_endpoint_count", webhook_endpoint_count(&t)),
            table("idempotency", idempotency(&t, &"cd".repeat(32))),
            table("hold", hold(&t, &pay, 86_400 * 7)),
            table("retry", retry(&t, &evt, &we, 60)),
            index("index:payments", payment_list_index(&t, &PaymentFilter::default()).0),
            index("index:payments_of_customer", payment_list_index(&t, &of_customer).0),
            index("index:payments_by_status", payment_list_index(&t, &status).0),
            index("index:customers", customer_list_index(&t, None)),
            index(
                "index:customers_by_email",
                customer_list_index(&t, Some("jenny@example.com")),
            ),
            index(
                "index:customer_payment_methods",
                customer_payment_methods_index(&t, &cus),
            ),
            index("index:refunds", refund_list_index(&t, None, None).0),
            index("index:refunds_of_payment", refund_list_index(&t, Some(&pay), None).0),
            index(
                "index:refunds_by_status",
                refund_list_index(&t, None, Some(RefundStatus::Pending)).0,
            ),
            index(
                "index:balance_transactions",
                balance_transaction_list_index(&t, None, None).0,
            ),
            index(
                "index:balance_transactions_of_source",
                balance_transaction_list_index(&t, Some(pay.as_str()), None).0,
            ),
            index(
                "index:balance_transactions_by_type",
                balance_transaction_list_index(&t, None, Some(crate::domain::BalanceTransactionType::Payment)).0,
            ),
            index("index:events", event_list_index(&t, None)),
            index(
                "index:events_by_group",
                event_list_index(&t, Some(EventTypeFilter::Group(kind.group()))),
            ),
            index(
                "index:events_by_type",
                event_list_index(&t, Some(EventTypeFilter::Exact(kind))),
            ),
            index("index:payment_timeline", payment_timeline_index(&t, &pay)),
            index("index:webhook_endpoints", webhook_endpoint_list_index(&t)),
        ]);
        let t = t.with_list_shards(crate::domain::MAX_LIST_SHARDS);
        for k in [7, 42] {
            out.push(table(
                "balance_shards",
                balance_bucket(&t, "usd", 0, k * BALANCE_SUBSHARDS),
            ));
            out.push(table(
                "ledger_shards",
                ledger_entry(&t, "usd", 0, k * BALANCE_SUBSHARDS),
            ));
            out.push(table(
                "volume_shards",
                volume_entry(&t, "usd", 0, k * BALANCE_SUBSHARDS),
            ));
        }
        for (name, l) in [
            (
                "index:payments_shards",
                payment_list_index(&t, &PaymentFilter::default()).0,
            ),
            ("index:payments_by_status_shards", payment_list_index(&t, &status).0),
            ("index:customers_shards", customer_list_index(&t, None)),
            ("index:refunds_shards", refund_list_index(&t, None, None).0),
            ("index:receipts_shards", receipt_list_index(&t, None)),
            (
                "index:refunds_by_status_shards",
                refund_list_index(&t, None, Some(RefundStatus::Pending)).0,
            ),
            (
                "index:balance_transactions_shards",
                balance_transaction_list_index(&t, None, None).0,
            ),
            (
                "index:balance_transactions_by_type_shards",
                balance_transaction_list_index(&t, None, Some(crate::domain::BalanceTransactionType::Payment)).0,
            ),
            ("index:events_shards", event_list_index(&t, None)),
            (
                "index:events_by_group_shards",
                event_list_index(&t, Some(EventTypeFilter::Group(kind.group()))),
            ),
            (
                "index:events_by_type_shards",
                event_list_index(&t, Some(EventTypeFilter::Exact(kind))),
            ),
        ] {
            out.extend(shards(name, l));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Mode, MAX_LIST_SHARDS};

    fn tenant(mode: Mode) -> Tenant {
        Tenant::new("acct_1".parse().unwrap(), mode)
    }

    #[test]
    fn keys_are_scoped_by_account_and_mode() {
        let id: PaymentId = "pay_1".parse().unwrap();
        let test = payment(&tenant(Mode::Test), &id);
        let live = payment(&tenant(Mode::Live), &id);
        assert_eq!(test.pk, "T#acct_1#test#pay_1");
        assert_ne!(test.pk, live.pk);
        let other = Tenant::new("acct_11".parse().unwrap(), Mode::Test);
        assert!(!payment(&other, &id).pk.starts_with(&test.pk));
    }

    #[test]
    fn list_indexes_agree_with_item_keys() {
        let t = tenant(Mode::Test);
        let cus: CustomerId = "cus_1".parse().unwrap();
        let item = payment_item(&t, &"pay_1".parse().unwrap(), 5, Some(&cus), "failed");
        let all = payment_list_index(&t, &PaymentFilter::default()).0;
        assert_eq!(Some(all.pks[0].clone()), item.gsi1.map(|g| g.0));
        let by_status = PaymentFilter {
            status: Some(PaymentStatus::Failed),
            ..PaymentFilter::default()
        };
        assert_eq!(
            Some(payment_list_index(&t, &by_status).0.pks[0].clone()),
            item.gsi3.map(|g| g.0)
        );
        let both = PaymentFilter {
            customer: Some(cus),
            status: Some(PaymentStatus::Failed),
            ..PaymentFilter::default()
        };
        let (index, residual) = payment_list_index(&t, &both);
        assert_eq!(Some(index.pks[0].clone()), item.gsi2.map(|g| g.0));
        assert_eq!(residual, Some(PaymentStatus::Failed));
        let refund = refund_item(&t, &"re_1".parse().unwrap(), 5, &"pay_1".parse().unwrap(), "failed");
        let of_payment = refund_list_index(&t, Some(&"pay_1".parse().unwrap()), Some(RefundStatus::Failed));
        assert_eq!(Some(of_payment.0.pks[0].clone()), refund.gsi2.map(|g| g.0));
        assert_eq!(of_payment.1, Some(RefundStatus::Failed), "a payment's list, filtered");
        assert_eq!(
            Some(refund_list_index(&t, None, None).0.pks[0].clone()),
            refund.gsi1.map(|g| g.0)
        );
        let by_status = refund_list_index(&t, None, Some(RefundStatus::Failed));
        assert_eq!(Some(by_status.0.pks[0].clone()), refund.gsi3.map(|g| g.0));
        assert_eq!(by_status.1, None);
        let customer = customer_item(&t, &"cus_1".parse().unwrap(), 5, Some("Jenny@Example.com"));
        assert_eq!(
            Some(customer_list_index(&t, Some("jenny@example.COM")).pks[0].clone()),
            customer.gsi3.map(|g| g.0)
        );
        assert_eq!(
            Some(customer_list_index(&t, None).pks[0].clone()),
            customer.gsi1.map(|g| g.0)
        );
        let sort = created_sort_key(5, "pay_zzz");
        assert!(created_lower(5) < sort && sort < created_upper(5));
        assert!(created_upper(4) < created_lower(5));
    }

    #[test]
    fn sweep_entries_are_sharded_by_a_stable_hash_within_time_buckets() {
        let t = tenant(Mode::Test);
        let pay: PaymentId = "pay_1".parse().unwrap();
        let at = 1_800_000_000;
        let h = hold(&t, &pay, at);
        // FNV-1a of "pay_1" is fixed: the shard never moves between builds.
        assert_eq!(stable_hash("pay_1"), 0x7336_b229);
        assert_eq!(h.pk, format!("HOLD#{}#{}", at / 3_600, 0x7336_b229_u32 % 16));
        assert_eq!(h.sk, format!("{at:012}#acct_1#test#pay_1"));
        assert!(SweepIndex::Holds.partitions(at / 3_600).contains(&h.pk));
        let r = retry(&t, &"evt_1".parse().unwrap(), &"we_1".parse().unwrap(), at);
        assert!(SweepIndex::Retries.partitions(at / 3_600).contains(&r.pk));
        // Ids spread over every shard.
        let shards: std::collections::BTreeSet<u32> = (0..2_000)
            .map(|i| SweepIndex::Retries.shard_of(&format!("evt_{i}#we_1")))
            .collect();
        assert_eq!(shards.len(), 64);
        // The old format's partitions, the sweep's state: never a bucket's.
        assert_eq!(SweepIndex::Holds.legacy_partition(at), format!("HOLD#{}", at / 86_400));
        assert_eq!(SweepIndex::Retries.state().pk, "WHRETRY#swept");
    }

    #[test]
    fn a_sharded_tenants_list_items_land_in_the_partitions_its_lists_read() {
        let one = tenant(Mode::Test);
        let four = tenant(Mode::Test).with_list_shards(4);
        let all = PaymentFilter::default();
        assert_eq!(payment_list_index(&one, &all).0.pks, ["T#acct_1#test#payment"]);
        assert_eq!(
            payment_list_index(&four, &all).0.pks,
            [
                "T#acct_1#test#payment",
                "T#acct_1#test#payment#s1",
                "T#acct_1#test#payment#s2",
                "T#acct_1#test#payment#s3"
            ]
        );
        let mut used = std::collections::BTreeSet::new();
        for i in 0..200 {
            let id: PaymentId = format!("pay_{i}").parse().unwrap();
            let evt: EventId = format!("evt_{i}").parse().unwrap();
            let gsi = |k: Keys| [k.gsi1.unwrap().0, k.gsi3.unwrap().0];
            // Unsharded, every item is in the one partition; sharded, in one
            // of the partitions read, the same for the payment's every status
            // (a status change moves it within its shard).
            let [list, status] = gsi(payment_item(&one, &id, 5, None, "pending"));
            assert_eq!(list, payment_list_index(&one, &all).0.pks[0]);
            assert_eq!(status, "T#acct_1#test#payment#status#pending");
            let [list, pending] = gsi(payment_item(&four, &id, 5, None, "pending"));
            let [_, succeeded] = gsi(payment_item(&four, &id, 5, None, "succeeded"));
            let k = payment_list_index(&four, &all)
                .0
                .pks
                .iter()
                .position(|p| *p == list)
                .unwrap();
            assert_eq!(pending, shards(&four, "T#acct_1#test#payment#status#pending".into())[k]);
            assert_eq!(
                succeeded,
                shards(&four, "T#acct_1#test#payment#status#succeeded".into())[k]
            );
            used.insert(k);
            let e = event_item(&four, &evt, 5, EventType::PaymentCreated);
            assert!(event_list_index(&four, None).pks.contains(&e.gsi1.unwrap().0));
            assert!(event_list_index(&four, Some(EventTypeFilter::Group("payment")))
                .pks
                .contains(&e.gsi2.unwrap().0));
            let refund = refund_item(&four, &format!("re_{i}").parse().unwrap(), 5, &id, "pending");
            assert!(refund_list_index(&four, None, None)
                .0
                .pks
                .contains(&refund.gsi1.unwrap().0));
            assert!(refund_list_index(&four, None, Some(RefundStatus::Pending))
                .0
                .pks
                .contains(&refund.gsi3.unwrap().0));
            // A payment's own refunds are not sharded.
            assert_eq!(
                refund_list_index(&four, Some(&id), None).0.pks,
                [refund.gsi2.unwrap().0]
            );
        }
        assert_eq!(used.len(), 4, "ids spread over every shard");
        // The count is clamped to what a list may fan out to.
        assert_eq!(tenant(Mode::Test).with_list_shards(0).list_shards(), 1);
        assert_eq!(tenant(Mode::Test).with_list_shards(200).list_shards(), MAX_LIST_SHARDS);
    }

    #[test]
    fn list_keys_sort_by_created_then_id() {
        let t = tenant(Mode::Test);
        let a = payment_item(&t, &"pay_a".parse().unwrap(), 99, None, "pending");
        let b = payment_item(&t, &"pay_b".parse().unwrap(), 99, None, "pending");
        let c = payment_item(&t, &"pay_0".parse().unwrap(), 100, None, "pending");
        let s = |k: &Keys| k.gsi1.clone().unwrap().1;
        assert!(s(&a) < s(&b) && s(&b) < s(&c));
        assert_eq!(s(&a), "000000000099#pay_a");
        assert!(a.gsi2.is_none());
        assert_eq!(a.gsi3.unwrap().0, "T#acct_1#test#payment#status#pending");
    }
}
