//! Customers on the wire: create, update (patches), list, delete.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::list::{list_filter, ListRequest};
use crate::domain::{
    customer::parse_name, Address, Country, Customer, CustomerId, CustomerUpdate, Email, Metadata, MetadataPatch,
    NewCustomer, Patch, Phone, ValidationError,
};

/// `GET /v1/customers`: optionally those with one email.
pub type ListCustomersRequest = ListRequest<CustomersFilter, CustomerId>;

list_filter!(CustomersFilter {
    email: String = "email" via crate::domain::customer::bounded_email_filter,
});

/// A customer's `address` in an update: an object replaces it, `""` clears
/// it.
/// `address` on update: an object to set, or an empty string to clear.
#[derive(Debug)]
pub enum AddressPatch {
    Clear(String),
    Set(AddressRequest),
}

// By hand rather than `#[serde(untagged)]`: an untagged enum buffers its
// input, so an unknown key inside the object (`address[county]`) never
// reached the unknown-parameter check and was silently dropped. Handing the
// map straight to `AddressRequest` keeps the check (and the parameter path).
impl<'de> Deserialize<'de> for AddressPatch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AddressPatch;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an address object, or an empty string to clear it")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AddressPatch, E> {
                Ok(AddressPatch::Clear(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<AddressPatch, A::Error> {
                AddressRequest::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(AddressPatch::Set)
            }
        }
        d.deserialize_any(V)
    }
}

/// `POST /v1/customers/{id}`: the fields of create; `""` clears a field, and
/// metadata merges key by key (`""` removes a key).
#[derive(Debug, Deserialize)]
pub struct UpdateCustomerRequest {
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<AddressPatch>,
    pub metadata: Option<BTreeMap<String, String>>,
}

pub(crate) fn patch<T>(
    v: Option<String>,
    parse: impl FnOnce(String) -> Result<T, ValidationError>,
) -> Result<Patch<T>, ValidationError> {
    match v {
        None => Ok(Patch::Keep),
        Some(s) if s.is_empty() => Ok(Patch::Clear),
        Some(s) => parse(s).map(Patch::Set),
    }
}

impl TryFrom<UpdateCustomerRequest> for CustomerUpdate {
    type Error = ValidationError;

    fn try_from(r: UpdateCustomerRequest) -> Result<Self, ValidationError> {
        let address = match r.address {
            None => Patch::Keep,
            Some(AddressPatch::Clear(s)) if s.is_empty() => Patch::Clear,
            Some(AddressPatch::Clear(_)) => {
                return Err(ValidationError::invalid(
                    "address",
                    "Invalid address: send an object, or an empty string to clear it.",
                ))
            }
            Some(AddressPatch::Set(a)) => {
                let a = Address::try_from(a).map_err(|e| e.nested_in("address"))?;
                if a.is_empty() {
                    Patch::Clear
                } else {
                    Patch::Set(a)
                }
            }
        };
        let metadata = MetadataPatch::parse("metadata", r.metadata.unwrap_or_default())?;
        Ok(CustomerUpdate {
            email: patch(r.email, |e| Email::parse("email", e))?,
            name: patch(r.name, |n| parse_name("name", n))?,
            phone: patch(r.phone, |p| Phone::parse("phone", p))?,
            address,
            metadata,
        })
    }
}

/// What a deleted customer looks like: `{"id", "object": "customer",
/// "deleted": true}`.
#[derive(Debug, Serialize)]
pub struct DeletedObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub deleted: bool,
}

impl<'a> DeletedObject<'a> {
    /// The object `id` of type `object`, deleted.
    pub fn new(id: &'a str, object: &'static str) -> Self {
        Self {
            id,
            object,
            deleted: true,
        }
    }
}

/// An address as the API accepts it.
#[derive(Debug, Deserialize)]
pub struct AddressRequest {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

impl TryFrom<AddressRequest> for Address {
    type Error = ValidationError;

    fn try_from(r: AddressRequest) -> Result<Self, ValidationError> {
        let field = |name: &str, v: Option<String>| v.map(|v| Address::address_field(name, v)).transpose();
        Ok(Address {
            line1: field("line1", r.line1)?,
            line2: field("line2", r.line2)?,
            city: field("city", r.city)?,
            state: field("state", r.state)?,
            postal_code: field("postal_code", r.postal_code)?,
            country: r.country.map(|c| Country::parse("country", &c)).transpose()?,
        })
    }
}

/// `POST /v1/customers`.
#[derive(Debug, Deserialize)]
pub struct CreateCustomerRequest {
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<AddressRequest>,
    pub metadata: Option<BTreeMap<String, String>>,
}

impl TryFrom<CreateCustomerRequest> for NewCustomer {
    type Error = ValidationError;

    fn try_from(r: CreateCustomerRequest) -> Result<Self, ValidationError> {
        let address = r
            .address
            .map(|a| Address::try_from(a).map_err(|e| e.nested_in("address")))
            .transpose()?
            .filter(|a| !a.is_empty());
        Ok(NewCustomer {
            email: r.email.map(|e| Email::parse("email", e)).transpose()?,
            name: r.name.map(|n| parse_name("name", n)).transpose()?,
            phone: r.phone.map(|p| Phone::parse("phone", p)).transpose()?,
            address,
            metadata: Metadata::parse("metadata", r.metadata.unwrap_or_default())?,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct AddressObject<'a> {
    pub line1: Option<&'a str>,
    pub line2: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
}

/// The customer object.
#[derive(Debug, Serialize)]
pub struct CustomerObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub address: Option<AddressObject<'a>>,
    pub metadata: &'a BTreeMap<String, String>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a Customer> for CustomerObject<'a> {
    fn from(c: &'a Customer) -> Self {
        Self {
            id: c.id.as_str(),
            object: "customer",
            email: c.email.as_ref().map(Email::as_str),
            name: c.name.as_deref(),
            phone: c.phone.as_ref().map(Phone::as_str),
            address: c.address.as_ref().map(|a| AddressObject {
                line1: a.line1.as_deref(),
                line2: a.line2.as_deref(),
                city: a.city.as_deref(),
                state: a.state.as_deref(),
                postal_code: a.postal_code.as_deref(),
                country: a.country.as_ref().map(Country::as_str),
            }),
            metadata: c.metadata.as_map(),
            created: c.created,
            livemode: c.mode.livemode(),
        }
    }
}
