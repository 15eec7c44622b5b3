//! Money: integer amounts in a currency's minor unit, and the currencies we
//! support with their exponents and minimum charge amounts. No floats.

use std::fmt;

use super::ValidationError;

/// A supported currency: its lowercase ISO 4217 code, how many decimal
/// places its minor unit has, and the smallest amount that can be charged
/// (in minor units).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(&'static CurrencyInfo);

#[derive(PartialEq, Eq, Hash)]
struct CurrencyInfo {
    code: &'static str,
    exponent: u8,
    minimum: i64,
}

macro_rules! currencies {
    ($($code:literal => ($exponent:literal, $minimum:literal)),* $(,)?) => {
        const CURRENCIES: &[CurrencyInfo] = &[
            $(CurrencyInfo { code: $code, exponent: $exponent, minimum: $minimum }),*
        ];
    };
}

// Minimums follow the card networks' usual floor (about US$0.50), as Stripe's
// do; zero-decimal currencies (jpy, krw) have exponent 0.
currencies! {
    "aud" => (2, 50),
    "brl" => (2, 50),
    "cad" => (2, 50),
    "chf" => (2, 50),
    "czk" => (2, 1500),
    "dkk" => (2, 250),
    "eur" => (2, 50),
    "gbp" => (2, 30),
    "hkd" => (2, 400),
    "huf" => (2, 17500),
    "inr" => (2, 50),
    "jpy" => (0, 50),
    "krw" => (0, 700),
    "mxn" => (2, 1000),
    "nok" => (2, 300),
    "nzd" => (2, 50),
    "pln" => (2, 200),
    "sek" => (2, 300),
    "sgd" => (2, 50),
    "usd" => (2, 50),
}

impl Currency {
    pub fn code(self) -> &'static str {
        self.0.code
    }

    /// Decimal places of the minor unit: 2 for usd (cents), 0 for jpy.
    pub fn exponent(self) -> u8 {
        self.0.exponent
    }

    /// The smallest chargeable amount, in minor units.
    pub fn minimum_amount(self) -> i64 {
        self.0.minimum
    }

    /// Every supported currency code, in alphabetical order.
    pub fn supported_codes() -> impl Iterator<Item = &'static str> {
        CURRENCIES.iter().map(|c| c.code)
    }

    /// Looks a lowercase ISO 4217 code up in the supported list.
    pub fn from_code(code: &str) -> Option<Self> {
        CURRENCIES.iter().find(|c| c.code == code).map(Currency)
    }

    pub fn parse(param: &str, code: &str) -> Result<Self, ValidationError> {
        if let Some(c) = Self::from_code(code) {
            return Ok(c);
        }
        let hint = if Self::from_code(&code.to_ascii_lowercase()).is_some() {
            format!(" Currency codes are lowercase: use '{}'.", code.to_ascii_lowercase())
        } else {
            format!(
                " Supported currencies: {}.",
                Self::supported_codes().collect::<Vec<_>>().join(", ")
            )
        };
        Err(ValidationError::new(
            param,
            "currency_invalid",
            format!("Invalid currency: '{code}'.{hint}"),
        ))
    }

    /// Formats minor units as a decimal major-unit string: 4999 usd is
    /// "49.99", 500 jpy is "500".
    pub fn format_minor(self, minor: i64) -> String {
        let exp = u32::from(self.exponent());
        if exp == 0 {
            return minor.to_string();
        }
        let scale = 10_i64.pow(exp);
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = exp as usize)
    }

    /// The amount as a customer reads it: `$49.99`, `€15.00`, `¥500`, or
    /// `12.50 CHF` for a currency without a symbol here.
    pub fn display(self, minor: i64) -> String {
        let major = self.format_minor(minor);
        match self.code() {
            "usd" | "cad" | "aud" | "nzd" | "sgd" | "hkd" | "mxn" => format!("${major}"),
            "eur" => format!("€{major}"),
            "gbp" => format!("£{major}"),
            "jpy" => format!("¥{major}"),
            "inr" => format!("₹{major}"),
            "krw" => format!("₩{major}"),
            other => format!("{major} {}", other.to_ascii_uppercase()),
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).ok_or_else(|| serde::de::Error::custom(format!("unsupported currency '{code}'")))
    }
}

/// A positive amount in a currency's minor unit, within our limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    /// The largest amount a single payment may have, in minor units.
    pub const MAX: i64 = 99_999_999;

    /// An amount to charge in `currency`: at least the currency's minimum,
    /// at most [`Amount::MAX`].
    pub fn for_charge(param: &str, value: i64, currency: Currency) -> Result<Self, ValidationError> {
        if value <= 0 {
            return Err(ValidationError::new(
                param,
                "parameter_invalid_integer",
                format!(
                    "Invalid {param}: it must be a positive integer in the currency's smallest unit (got {value})."
                ),
            ));
        }
        if value > Self::MAX {
            return Err(ValidationError::new(
                param,
                "amount_too_large",
                format!(
                    "Amount must be no more than {} {} ({} {}).",
                    Self::MAX,
                    currency,
                    currency.format_minor(Self::MAX),
                    currency.code().to_ascii_uppercase()
                ),
            ));
        }
        let min = currency.minimum_amount();
        if value < min {
            return Err(ValidationError::new(
                param,
                "amount_too_small",
                format!(
                    "Amount must be at least {min} {currency} ({} {}).",
                    currency.format_minor(min),
                    currency.code().to_ascii_uppercase()
                ),
            ));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A non-negative quantity of a currency's minor unit: what is still
/// capturable or refundable, what was received or refunded, the amount of a
/// capture or a refund. It cannot go below zero: subtraction is checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct MinorUnits(i64);

impl MinorUnits {
    pub const ZERO: Self = Self(0);

    /// `value`, if it is not negative.
    pub fn new(value: i64) -> Option<Self> {
        (value >= 0).then_some(Self(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self - other`, unless that would be negative.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).and_then(Self::new)
    }

    /// `self - other`, or zero.
    pub fn saturating_sub(self, other: Self) -> Self {
        self.checked_sub(other).unwrap_or(Self::ZERO)
    }

    /// `self + other`, unless that overflows.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }
}

impl From<Amount> for MinorUnits {
    fn from(a: Amount) -> Self {
        Self(a.0)
    }
}

impl TryFrom<i64> for MinorUnits {
    type Error = String;

    fn try_from(value: i64) -> Result<Self, String> {
        Self::new(value).ok_or_else(|| format!("a negative amount: {value}"))
    }
}

impl From<MinorUnits> for i64 {
    fn from(m: MinorUnits) -> i64 {
        m.0
    }
}

impl std::fmt::Display for MinorUnits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::from_code("usd").unwrap()
    }

    #[test]
    fn exponents_and_formatting() {
        let jpy = Currency::from_code("jpy").unwrap();
        assert_eq!(usd().exponent(), 2);
        assert_eq!(jpy.exponent(), 0);
        assert_eq!(usd().format_minor(4999), "49.99");
        assert_eq!(usd().format_minor(5), "0.05");
        assert_eq!(usd().format_minor(-150), "-1.50");
        assert_eq!(jpy.format_minor(500), "500");
    }

    #[test]
    fn parsing_is_strict_and_helpful() {
        assert_eq!(Currency::parse("currency", "usd").unwrap(), usd());
        let e = Currency::parse("currency", "USD").unwrap_err();
        assert!(e.message.contains("use 'usd'"), "{}", e.message);
        let e = Currency::parse("currency", "xyz").unwrap_err();
        assert!(e.message.contains("Supported currencies: aud"), "{}", e.message);
        assert_eq!(e.param, "currency");
    }

    #[test]
    fn supported_list_is_sorted_and_unique() {
        let codes: Vec<_> = Currency::supported_codes().collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert!(codes
            .iter()
            .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase())));
    }

    #[test]
    fn minor_units_never_go_negative() {
        let five = MinorUnits::new(5).unwrap();
        let three = MinorUnits::new(3).unwrap();
        assert_eq!(MinorUnits::new(-1), None);
        assert_eq!(five.checked_sub(three).map(MinorUnits::get), Some(2));
        assert_eq!(three.checked_sub(five), None);
        assert_eq!(three.saturating_sub(five), MinorUnits::ZERO);
        assert_eq!(five.checked_add(three).map(MinorUnits::get), Some(8));
        assert_eq!(MinorUnits::new(i64::MAX).unwrap().checked_add(five), None);
        assert_eq!(
            MinorUnits::from(Amount::for_charge("amount", 50, usd()).unwrap()).get(),
            50
        );
        // On the wire and in the table it is a bare number; a negative one is refused.
        assert_eq!(serde_json::to_string(&five).unwrap(), "5");
        assert_eq!(serde_json::from_str::<MinorUnits>("7").unwrap().get(), 7);
        assert!(serde_json::from_str::<MinorUnits>("-7").is_err());
    }

    #[test]
    fn amount_bounds() {
        assert_eq!(Amount::for_charge("amount", 50, usd()).unwrap().get(), 50);
        assert_eq!(
            Amount::for_charge("amount", 49, usd()).unwrap_err().code,
            "amount_too_small"
        );
        assert_eq!(
            Amount::for_charge("amount", 0, usd()).unwrap_err().code,
            "parameter_invalid_integer"
        );
        assert_eq!(
            Amount::for_charge("amount", -1, usd()).unwrap_err().code,
            "parameter_invalid_integer"
        );
        assert!(Amount::for_charge("amount", Amount::MAX, usd()).is_ok());
        let e = Amount::for_charge("amount", Amount::MAX + 1, usd()).unwrap_err();
        assert_eq!(e.code, "amount_too_large");
        let jpy = Currency::from_code("jpy").unwrap();
        assert!(Amount::for_charge("amount", 50, jpy).is_ok());
        let e = Amount::for_charge("amount", 49, jpy).unwrap_err();
        assert_eq!(e.message, "Amount must be at least 50 jpy (50 JPY).");
    }
}
