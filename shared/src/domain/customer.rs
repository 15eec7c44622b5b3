//! Customers.

use super::{error::bounded_string, CustomerId, Metadata, MetadataPatch, Mode, ValidationError};

pub const MAX_NAME_CHARS: usize = 256;
pub const MAX_EMAIL_CHARS: usize = 512;
pub const MAX_ADDRESS_FIELD_CHARS: usize = 200;

/// An email address, checked for the shape mail systems accept: one `@`, a
/// local part of at most 64 characters without spaces, and a domain of
/// dot-separated labels (letters, digits, hyphens; at least two labels).
/// Stored as given; the domain is compared case-insensitively by mail
/// systems, so we do not rewrite it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(param: &str, raw: String) -> Result<Self, ValidationError> {
        let raw = bounded_string(param, raw, MAX_EMAIL_CHARS)?;
        let invalid = || ValidationError::new(param, "email_invalid", format!("Invalid email address: '{raw}'."));
        let (local, domain) = raw.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(raw))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164: `+`, then 2 to 15 digits, not starting with 0.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(param: &str, raw: String) -> Result<Self, ValidationError> {
        let digits = raw.strip_prefix('+').unwrap_or("");
        let ok =
            (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if ok {
            Ok(Self(raw))
        } else {
            Err(ValidationError::new(
                param,
                "phone_invalid",
                format!("Invalid {param}: '{raw}'. Phone numbers must be in E.164 format, e.g. +14155550123."),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every officially assigned ISO 3166-1 alpha-2 code.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An ISO 3166-1 alpha-2 country code, stored in upper case (`us` is
/// accepted as `US`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Country(String);

impl Country {
    pub fn parse(param: &str, raw: &str) -> Result<Self, ValidationError> {
        let upper = raw.to_ascii_uppercase();
        if upper.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|c| c == upper) {
            Ok(Self(upper))
        } else {
            Err(ValidationError::new(
                param,
                "country_invalid",
                format!("Invalid {param}: '{raw}'. Use a two-letter ISO 3166-1 alpha-2 country code, e.g. US."),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<Country>,
}

impl Address {
    pub fn address_field(param: &str, raw: String) -> Result<String, ValidationError> {
        bounded_string(param, raw, MAX_ADDRESS_FIELD_CHARS)
    }

    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// An email to look customers up by: any non-empty string up to the email
/// length limit (a filter that matches nothing is an empty list, not an
/// error).
pub fn bounded_email_filter(param: &str, raw: String) -> Result<String, ValidationError> {
    bounded_string(param, raw, MAX_EMAIL_CHARS)
}

pub fn parse_name(param: &str, raw: String) -> Result<String, ValidationError> {
    bounded_string(param, raw, MAX_NAME_CHARS)
}

/// A validated request to create a customer. Every field is optional, as on
/// Stripe.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewCustomer {
    pub email: Option<Email>,
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub address: Option<Address>,
    pub metadata: Metadata,
}

/// A customer as stored. (The API shows it through
/// [`crate::http::wire::CustomerObject`].)
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub mode: Mode,
    pub email: Option<Email>,
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub address: Option<Address>,
    // Empty maps are not stored: DynamoDB Local's stream renders them as an
    // attribute value without a type, which no client can read.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub created: i64,
    /// Bumped by every update; updates are conditioned on it, so two
    /// concurrent updates cannot silently lose one another's changes.
    #[serde(default)]
    pub version: u64,
    /// Deleted customers are kept as tombstones: their payments still name
    /// them, but no new payment, update or list sees them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// One field of an update: leave it, set it, or clear it (Stripe clears a
/// field sent as an empty string).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

impl<T> Patch<T> {
    pub(crate) fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Set(v) => Some(v),
            Patch::Clear => None,
        }
    }
}

/// A validated update of a customer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerUpdate {
    pub email: Patch<Email>,
    pub name: Patch<String>,
    pub phone: Patch<Phone>,
    pub address: Patch<Address>,
    pub metadata: MetadataPatch,
}

impl Customer {
    /// The customer after `update`: fields replaced or cleared, metadata
    /// merged key by key, the result checked against the metadata limits.
    pub fn updated(&self, update: CustomerUpdate) -> Result<Customer, ValidationError> {
        Ok(Customer {
            email: update.email.apply(self.email.clone()),
            name: update.name.apply(self.name.clone()),
            phone: update.phone.apply(self.phone.clone()),
            address: update.address.apply(self.address.clone()),
            metadata: self.metadata.merged("metadata", &update.metadata)?,
            version: self.version + 1,
            ..self.clone()
        })
    }

    pub fn create(new: NewCustomer, mode: Mode, created: i64) -> Self {
        Self {
            id: CustomerId::generate(),
            mode,
            email: new.email,
            name: new.name,
            phone: new.phone,
            address: new.address,
            metadata: new.metadata,
            created,
            version: 0,
            deleted: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "jenny@example.com",
            "a.b+tag@sub.example.co.uk",
            "x@b-c.io",
            "ü@exämple.de",
        ] {
            assert!(Email::parse("email", ok.into()).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@exa mple.com",
            "a@-x.com",
            "a@x..com",
            ".a@x.com",
            "a..b@x.com",
            "a@b@c.com",
        ] {
            let e = Email::parse("email", bad.into()).unwrap_err();
            assert_eq!(e.param, "email", "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(Phone::parse("phone", "+14155550123".into()).is_ok());
        assert!(Phone::parse("phone", "+447911123456".into()).is_ok());
        for bad in [
            "14155550123",
            "+0123",
            "+1",
            "+1234567890123456",
            "+1 415 555",
            "+1-415",
            "",
        ] {
            assert!(Phone::parse("phone", bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn updates_replace_clear_and_merge() {
        let mut new = NewCustomer {
            name: Some("Jenny".into()),
            phone: Some(Phone::parse("phone", "+14155550123".into()).unwrap()),
            ..NewCustomer::default()
        };
        new.metadata = Metadata::parse(
            "metadata",
            [("a".to_string(), "1".to_string()), ("b".into(), "2".into())].into(),
        )
        .unwrap();
        let c = Customer::create(new, Mode::Test, 0);
        let u = c
            .updated(CustomerUpdate {
                name: Patch::Set("Jenny Rosen".into()),
                phone: Patch::Clear,
                metadata: MetadataPatch::parse(
                    "metadata",
                    [("a".to_string(), String::new()), ("c".to_string(), "3".to_string())].into(),
                )
                .unwrap(),
                ..CustomerUpdate::default()
            })
            .unwrap();
        assert_eq!(u.name.as_deref(), Some("Jenny Rosen"));
        assert!(u.phone.is_none());
        assert_eq!(u.metadata.as_map().keys().collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(u.version, 1);
        assert_eq!(u.id, c.id);
        let too_many = MetadataPatch::parse(
            "metadata",
            (0..49).map(|i| (format!("k{i}"), "v".to_string())).collect(),
        )
        .unwrap();
        let e = c
            .updated(CustomerUpdate {
                metadata: too_many,
                ..CustomerUpdate::default()
            })
            .unwrap_err();
        assert_eq!(e.param, "metadata");
    }

    #[test]
    fn countries() {
        assert_eq!(Country::parse("country", "us").unwrap().as_str(), "US");
        assert_eq!(Country::parse("country", "GB").unwrap().as_str(), "GB");
        for bad in ["USA", "XX", "", "U", "Ü"] {
            assert!(Country::parse("country", bad).is_err(), "{bad}");
        }
        assert_eq!(ISO_3166_ALPHA2.split(' ').count(), 249);
    }
}
