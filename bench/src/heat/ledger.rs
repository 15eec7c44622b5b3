//! The ledger's charging rules: which partitions a DynamoDB call touches and
//! how many capacity units each is charged, from the call and the images of
//! the items it wrote (before and after) or read. Pure functions over
//! DynamoDB's JSON wire format, so they are tested without DynamoDB.
//!
//! Sizes follow DynamoDB's documented rules: an item is the sum of its
//! attribute names' UTF-8 lengths and its values' sizes (strings: UTF-8
//! length; numbers: 1 byte per 2 significant digits, plus 1; binary: its
//! bytes; booleans and nulls: 1; lists and maps: 3 bytes, plus 1 per
//! element, plus the elements; sets: their elements). Writes: 1 WCU per KB
//! rounded up (the larger of the images before and after), 2 inside a
//! transaction. Reads: 1 RCU per 4 KB rounded up, half eventually
//! consistent, 2 inside a transaction; a Query by the total size it read.

use serde_json::{Map, Value};

/// An item as DynamoDB's wire format spells it: attribute name to typed value.
pub type Item = Map<String, Value>;

/// The table's key and its global secondary indexes (all projecting every
/// attribute, as `schema::create_table` makes them).
#[derive(Clone, Debug)]
pub struct Schema {
    pub pk: String,
    pub sk: String,
    /// (index name, partition key attribute, sort key attribute).
    pub gsis: Vec<(String, String, String)>,
}

impl Schema {
    /// The table as `paynectra::store::schema` creates it.
    pub fn paynectra() -> Schema {
        use paynectra::store::schema::{GSIS, TABLE_KEY};
        Schema {
            pk: TABLE_KEY.0.to_owned(),
            sk: TABLE_KEY.1.to_owned(),
            gsis: GSIS
                .iter()
                .map(|(n, p, s)| ((*n).to_owned(), (*p).to_owned(), (*s).to_owned()))
                .collect(),
        }
    }

    /// The partition key attribute of `index` (`None`: the table's).
    pub fn hash_attr(&self, index: Option<&str>) -> Option<&str> {
        match index {
            None => Some(&self.pk),
            Some(i) => self.gsis.iter().find(|g| g.0 == i).map(|g| g.1.as_str()),
        }
    }
}

/// Read or write capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Read,
    Write,
}

/// Units charged to one partition: the table's (`index` `None`) or an index's.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    pub index: Option<String>,
    pub pk: String,
    pub kind: Kind,
    pub units: f64,
}

fn value_size(v: &Value) -> usize {
    let Some((t, inner)) = v.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    match t.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => number_size(inner.as_str().unwrap_or("0")),
        // Base64 on the wire: the size is the decoded bytes.
        "B" => inner.as_str().map_or(0, |s| s.trim_end_matches('=').len() * 3 / 4),
        "BOOL" | "NULL" => 1,
        "SS" => inner
            .as_array()
            .map_or(0, |a| a.iter().filter_map(Value::as_str).map(str::len).sum()),
        "NS" => inner
            .as_array()
            .map_or(0, |a| a.iter().filter_map(Value::as_str).map(number_size).sum()),
        "BS" => inner.as_array().map_or(0, |a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim_end_matches('=').len() * 3 / 4)
                .sum()
        }),
        "L" => {
            3 + inner
                .as_array()
                .map_or(0, |a| a.iter().map(|e| 1 + value_size(e)).sum())
        }
        "M" => {
            3 + inner
                .as_object()
                .map_or(0, |m| m.iter().map(|(k, e)| 1 + k.len() + value_size(e)).sum())
        }
        _ => 0,
    }
}

fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len().max(1);
    significant.div_ceil(2) + 1
}

/// An item's size in bytes.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// Write units for an item of `bytes` (1 per KB, at least 1; 2 per KB in a
/// transaction).
pub fn write_units(bytes: usize, transactional: bool) -> f64 {
    let units = bytes.div_ceil(1024).max(1) as f64;
    if transactional {
        2.0 * units
    } else {
        units
    }
}

/// Read units for `bytes` read (1 per 4 KB, at least 1; half eventually
/// consistent; 2 per 4 KB in a transaction).
pub fn read_units(bytes: usize, consistent: bool, transactional: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if transactional {
        2.0 * units
    } else if consistent {
        units
    } else {
        units / 2.0
    }
}

fn string_attr<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.get("S")?.as_str()
}

/// The item's key in one index: present only if both its key attributes are.
fn index_key<'a>(item: Option<&'a Item>, pk: &str, sk: &str) -> Option<(&'a str, &'a str)> {
    let item = item?;
    Some((string_attr(item, pk)?, string_attr(item, sk)?))
}

/// What one write (a Put, Update or Delete, alone or in a transaction)
/// charges, from the item's images before and after (`None`: absent).
/// The table's partition: the larger image's units. Each index: key
/// unchanged, a write sized by the item after (none if the item did not
/// change); key changed, a delete on the old key (the item before) and a put
/// on the new (the item after); absent both times, nothing.
pub fn charge_write(schema: &Schema, before: Option<&Item>, after: Option<&Item>, transactional: bool) -> Vec<Charge> {
    let mut out = Vec::new();
    let Some(pk) = after
        .or(before)
        .and_then(|i| string_attr(i, &schema.pk))
        .map(str::to_owned)
    else {
        return out;
    };
    let size = before.map_or(0, item_size).max(after.map_or(0, item_size));
    out.push(Charge {
        index: None,
        pk,
        kind: Kind::Write,
        units: write_units(size, transactional),
    });
    for (name, gpk, gsk) in &schema.gsis {
        let old = index_key(before, gpk, gsk);
        let new = index_key(after, gpk, gsk);
        let mut charge = |key: (&str, &str), item: Option<&Item>| {
            out.push(Charge {
                index: Some(name.clone()),
                pk: key.0.to_owned(),
                kind: Kind::Write,
                units: write_units(item.map_or(0, item_size), transactional),
            })
        };
        match (old, new) {
            (None, None) => {}
            (Some(o), Some(n)) if o == n => {
                if before != after {
                    charge(n, after);
                }
            }
            (o, n) => {
                if let Some(o) = o {
                    charge(o, before);
                }
                if let Some(n) = n {
                    charge(n, after);
                }
            }
        }
    }
    out
}

/// A write whose condition failed: DynamoDB still charges the table's
/// partition for the item it evaluated (no index is written).
pub fn charge_refused_write(schema: &Schema, key: &Item, before: Option<&Item>, transactional: bool) -> Vec<Charge> {
    let Some(pk) = string_attr(key, &schema.pk) else {
        return Vec::new();
    };
    vec![Charge {
        index: None,
        pk: pk.to_owned(),
        kind: Kind::Write,
        units: write_units(before.map_or(0, item_size), transactional),
    }]
}

/// A read of `items` from one partition (a GetItem: at most one item; a
/// Query: what it read before any filter).
pub fn charge_read(index: Option<&str>, pk: &str, items: &[Item], consistent: bool, transactional: bool) -> Charge {
    Charge {
        index: index.map(str::to_owned),
        pk: pk.to_owned(),
        kind: Kind::Read,
        units: read_units(items.iter().map(item_size).sum(), consistent, transactional),
    }
}

/// The partition key value a Query names in its key condition
/// (`pk = :pk AND ...`, the attribute possibly behind a `#name`).
pub fn queried_partition(schema: &Schema, request: &Value) -> Option<String> {
    let index = request.get("IndexName").and_then(Value::as_str);
    let attr = schema.hash_attr(index)?;
    let names = request.get("ExpressionAttributeNames").and_then(Value::as_object);
    let values = request.get("ExpressionAttributeValues")?;
    let expr = request.get("KeyConditionExpression")?.as_str()?;
    for clause in expr.split(" AND ").chain(expr.split(" and ")) {
        let Some((lhs, rhs)) = clause.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim().trim_start_matches('(');
        let named = names.and_then(|n| n.get(lhs)).and_then(Value::as_str).unwrap_or(lhs);
        if named == attr {
            let placeholder = rhs.trim().trim_end_matches(')');
            return values.get(placeholder)?.get("S")?.as_str().map(str::to_owned);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(v: Value) -> Item {
        v.as_object().unwrap().clone()
    }

    fn schema() -> Schema {
        Schema::paynectra()
    }

    #[test]
    fn sizes_follow_the_documented_rules() {
        // "pk" (2) + "abc" (3); "n" (1) + 12345 (5 digits: 3 + 1).
        assert_eq!(
            item_size(&item(json!({"pk": {"S": "abc"}, "n": {"N": "12345"}}))),
            5 + 5
        );
        // Trailing and leading zeros are not significant: 1000 is one digit.
        assert_eq!(item_size(&item(json!({"n": {"N": "1000"}}))), 1 + 2);
        assert_eq!(item_size(&item(json!({"b": {"BOOL": true}, "z": {"NULL": true}}))), 4);
        // A map: 3 + per entry 1 + name + value; a list: 3 + per element 1 + value.
        assert_eq!(
            item_size(&item(json!({"m": {"M": {"ab": {"S": "xyz"}}}}))),
            1 + 3 + 1 + 2 + 3
        );
        assert_eq!(
            item_size(&item(json!({"l": {"L": [{"S": "a"}, {"S": "bc"}]}}))),
            1 + 3 + 2 + 3
        );
        assert_eq!(item_size(&item(json!({"s": {"SS": ["a", "bc"]}}))), 1 + 3);
    }

    #[test]
    fn units_round_up_and_transactions_double() {
        assert_eq!(write_units(0, false), 1.0);
        assert_eq!(write_units(1024, false), 1.0);
        assert_eq!(write_units(1025, false), 2.0);
        assert_eq!(write_units(1025, true), 4.0);
        assert_eq!(read_units(4096, true, false), 1.0);
        assert_eq!(read_units(4097, true, false), 2.0);
        assert_eq!(read_units(4097, false, false), 1.0);
        assert_eq!(read_units(100, false, true), 2.0);
    }

    fn payment(status: &str, pad: usize) -> Item {
        item(json!({
            "pk": {"S": "T#acct_1#test#pay_1"}, "sk": {"S": "payment"},
            "gsi1pk": {"S": "T#acct_1#test#payment"}, "gsi1sk": {"S": "000000000001#pay_1"},
            "gsi3pk": {"S": format!("T#acct_1#test#payment#status#{status}")}, "gsi3sk": {"S": "000000000001#pay_1"},
            "pad": {"S": "x".repeat(pad)},
        }))
    }

    #[test]
    fn a_put_charges_the_table_and_every_index_it_is_in() {
        let p = payment("pending", 1500);
        let c = charge_write(&schema(), None, Some(&p), false);
        let parts: Vec<(Option<&str>, &str, f64)> =
            c.iter().map(|c| (c.index.as_deref(), c.pk.as_str(), c.units)).collect();
        assert_eq!(
            parts,
            vec![
                (None, "T#acct_1#test#pay_1", 2.0),
                (Some("gsi1"), "T#acct_1#test#payment", 2.0),
                (Some("gsi3"), "T#acct_1#test#payment#status#pending", 2.0),
            ],
            "no gsi2: the payment has no customer"
        );
    }

    #[test]
    fn a_changed_index_key_is_a_delete_and_a_put_in_a_transaction_doubled() {
        let before = payment("pending", 10);
        let after = payment("succeeded", 1500);
        let c = charge_write(&schema(), Some(&before), Some(&after), true);
        let gsi3: Vec<(&str, f64)> = c
            .iter()
            .filter(|c| c.index.as_deref() == Some("gsi3"))
            .map(|c| (c.pk.as_str(), c.units))
            .collect();
        // The delete is sized by the item before (1 KB), the put by the item after (2 KB); both doubled.
        assert_eq!(
            gsi3,
            vec![
                ("T#acct_1#test#payment#status#pending", 2.0),
                ("T#acct_1#test#payment#status#succeeded", 4.0)
            ]
        );
        // gsi1's key did not change: one write, sized by the item after.
        let gsi1: Vec<f64> = c
            .iter()
            .filter(|c| c.index.as_deref() == Some("gsi1"))
            .map(|c| c.units)
            .collect();
        assert_eq!(gsi1, vec![4.0]);
        // The table: the larger image.
        assert_eq!(c[0].units, 4.0);
    }

    #[test]
    fn removing_an_index_key_deletes_and_an_unchanged_item_writes_no_index() {
        let before = payment("pending", 10);
        let mut after = before.clone();
        after.remove("gsi3pk");
        let c = charge_write(&schema(), Some(&before), Some(&after), false);
        assert_eq!(c.iter().filter(|c| c.index.as_deref() == Some("gsi3")).count(), 1);
        let same = charge_write(&schema(), Some(&before), Some(&before), false);
        assert_eq!(same.len(), 1, "only the table's partition: {same:?}");
        let deleted = charge_write(&schema(), Some(&before), None, false);
        assert_eq!(deleted.len(), 3, "a delete removes the item from each index it was in");
    }

    #[test]
    fn queries_charge_the_partition_named_in_the_key_condition() {
        let q = json!({
            "IndexName": "gsi1", "KeyConditionExpression": "#pk = :pk AND sk <= :sk",
            "ExpressionAttributeNames": {"#pk": "gsi1pk"},
            "ExpressionAttributeValues": {":pk": {"S": "T#a#test#payment"}, ":sk": {"S": "9"}},
        });
        assert_eq!(queried_partition(&schema(), &q).as_deref(), Some("T#a#test#payment"));
        let t = json!({"KeyConditionExpression": "pk = :pk AND sk <= :now",
            "ExpressionAttributeValues": {":pk": {"S": "HOLD#1"}, ":now": {"S": "2"}}});
        assert_eq!(queried_partition(&schema(), &t).as_deref(), Some("HOLD#1"));
        let items = vec![payment("pending", 3000), payment("pending", 3000)];
        assert_eq!(charge_read(Some("gsi1"), "p", &items, false, false).units, 1.0);
    }
}
