//! Payouts: the available balance sent to the account's bank account.

use super::{Currency, Metadata, MinorUnits, Mode, PayoutId, TxnId, ValidationError};

/// Where a payout is: created (`pending`, and cancellable), sent to the bank
/// (`in_transit`), then `paid` at its `arrival_date` or `failed` (the bank
/// refused it, and the funds came back); or `cancelled` while pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    Pending,
    InTransit,
    Paid,
    Failed,
    Cancelled,
}

impl PayoutStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::InTransit,
        Self::Paid,
        Self::Failed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InTransit => "in_transit",
            Self::Paid => "paid",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(param: &str, value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
            ValidationError::invalid(
                param,
                format!("Invalid {param}: '{value}'. It must be one of: pending, in_transit, paid, failed, cancelled."),
            )
        })
    }

    /// Whether a payout in this status keeps its amount off the balance:
    /// a failed or cancelled one gave it back.
    pub fn holds_amount(self) -> bool {
        !matches!(self, Self::Failed | Self::Cancelled)
    }
}

/// Why the bank refused a payout (Stripe's codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutFailureCode {
    /// The account number names no account.
    NoAccount,
    AccountClosed,
}

impl PayoutFailureCode {
    pub fn message(self) -> &'static str {
        match self {
            Self::NoAccount => "The bank account details on file are probably incorrect. No bank account could be located with those details.",
            Self::AccountClosed => "The bank account has been closed.",
        }
    }
}

/// Seconds after its creation at which the simulated bank (test mode)
/// takes a payout (`in_transit`): until then it can be cancelled.
pub const IN_TRANSIT_AFTER_SECONDS: i64 = 60;

/// Seconds after its creation at which a payout arrives (test mode's
/// simulated bank): its `arrival_date`, when it is `paid` or `failed`.
pub const ARRIVAL_AFTER_SECONDS: i64 = 120;

/// An account's bank account, as stored: masked (the last four digits),
/// with what the simulated bank will answer for it (decided from the full
/// number when it is set, which is then dropped).
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BankAccount {
    pub routing_number: String,
    pub last4: String,
    pub country: String,
    pub currency: Currency,
    /// Stripe's failing test account numbers fail every payout.
    pub simulated_failure: Option<PayoutFailureCode>,
}

impl BankAccount {
    /// A bank account from its routing and account numbers (digits only: 9
    /// and 4 to 17); `000111111116` is Stripe's test number whose payouts
    /// fail with `no_account`, `000111111113` with `account_closed`.
    pub fn parse(routing_number: &str, account_number: &str, currency: Currency) -> Result<Self, ValidationError> {
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if routing_number.len() != 9 || !digits(routing_number) {
            return Err(ValidationError::invalid(
                "routing_number",
                "Invalid routing_number: it must be 9 digits.",
            ));
        }
        if !(4..=17).contains(&account_number.len()) || !digits(account_number) {
            return Err(ValidationError::invalid(
                "account_number",
                "Invalid account_number: it must be 4 to 17 digits.",
            ));
        }
        let simulated_failure = match account_number {
            "000111111116" => Some(PayoutFailureCode::NoAccount),
            "000111111113" => Some(PayoutFailureCode::AccountClosed),
            _ => None,
        };
        Ok(Self {
            routing_number: routing_number.to_owned(),
            last4: account_number[account_number.len() - 4..].to_owned(),
            country: "US".into(),
            currency,
            simulated_failure,
        })
    }
}

/// A validated request to pay out.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPayout {
    pub amount: MinorUnits,
    pub currency: Currency,
    pub description: Option<String>,
    pub metadata: Metadata,
}

/// An action on a payout that takes no parameters (cancel).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PayoutAction;

/// Why a payout cannot move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutTransitionRefused {
    /// Not in the status the move starts from.
    Status(PayoutStatus),
}

/// The funds an automatic payout settled: those of every balance
/// transaction with `after < available_on <= through` (UTC midnights; the
/// payout's own transaction is dated `through`, so the period nets to zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SettledPeriod {
    pub after: i64,
    pub through: i64,
}

impl SettledPeriod {
    pub fn contains(&self, available_on: i64) -> bool {
        self.after < available_on && available_on <= self.through
    }
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Payout {
    pub id: PayoutId,
    pub mode: Mode,
    pub amount: MinorUnits,
    pub currency: Currency,
    pub description: Option<String>,
    pub status: PayoutStatus,
    /// When it arrives (or arrived) at the bank.
    pub arrival_date: i64,
    /// The bank account's last four digits.
    pub destination_last4: String,
    pub routing_number: String,
    /// What the simulated bank will answer, copied from the bank account
    /// when the payout was created. Never shown.
    pub simulated_failure: Option<PayoutFailureCode>,
    pub failure_code: Option<PayoutFailureCode>,
    /// The balance transaction that took its amount.
    pub balance_transaction: Option<TxnId>,
    /// The one that gave it back, once it failed or was cancelled.
    pub failure_balance_transaction: Option<TxnId>,
    /// Made by the account's daily payout schedule, not a request.
    #[serde(default)]
    pub automatic: bool,
    /// What an automatic payout settled: every balance transaction whose
    /// funds became available in this period (`?payout=` lists them).
    pub settles: Option<SettledPeriod>,
    /// Moved by every change: each write is conditioned on the one read.
    #[serde(default)]
    pub revision: u32,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub created: i64,
}

impl Payout {
    /// A new (pending) payout of `new` to `bank`.
    pub fn create(new: &NewPayout, bank: &BankAccount, mode: Mode, now: i64) -> Self {
        Self {
            id: PayoutId::generate(),
            mode,
            amount: new.amount,
            currency: new.currency,
            description: new.description.clone(),
            status: PayoutStatus::Pending,
            arrival_date: now + ARRIVAL_AFTER_SECONDS,
            destination_last4: bank.last4.clone(),
            routing_number: bank.routing_number.clone(),
            simulated_failure: bank.simulated_failure,
            failure_code: None,
            balance_transaction: None,
            failure_balance_transaction: None,
            automatic: false,
            settles: None,
            revision: 0,
            metadata: new.metadata.clone(),
            created: now,
        }
    }

    fn moved(
        &self,
        from: PayoutStatus,
        to: PayoutStatus,
        failure_code: Option<PayoutFailureCode>,
    ) -> Result<Self, PayoutTransitionRefused> {
        if self.status != from {
            return Err(PayoutTransitionRefused::Status(self.status));
        }
        Ok(Self {
            status: to,
            failure_code,
            revision: self.revision + 1,
            ..self.clone()
        })
    }

    /// Cancelled before the bank took it.
    pub fn cancelled(&self) -> Result<Self, PayoutTransitionRefused> {
        self.moved(PayoutStatus::Pending, PayoutStatus::Cancelled, None)
    }

    /// The payout's next move by the simulated bank at `now`, if one is
    /// due: taken (`in_transit`), then arrived (`paid`, or `failed` for a
    /// failing account).
    pub fn advanced(&self, now: i64) -> Option<Self> {
        match self.status {
            PayoutStatus::Pending if now >= self.created + IN_TRANSIT_AFTER_SECONDS => {
                self.moved(PayoutStatus::Pending, PayoutStatus::InTransit, None).ok()
            }
            PayoutStatus::InTransit if now >= self.arrival_date => match self.simulated_failure {
                None => self.moved(PayoutStatus::InTransit, PayoutStatus::Paid, None).ok(),
                Some(code) => self
                    .moved(PayoutStatus::InTransit, PayoutStatus::Failed, Some(code))
                    .ok(),
            },
            _ => None,
        }
    }

    /// When its next move is due, if it has one (its entry in the payout
    /// index).
    pub fn next_due(&self) -> Option<i64> {
        match self.status {
            PayoutStatus::Pending => Some(self.created + IN_TRANSIT_AFTER_SECONDS),
            PayoutStatus::InTransit => Some(self.arrival_date),
            _ => None,
        }
    }

    /// Whether the change from `self` to `after` gives the amount back to
    /// the available balance (it failed or was cancelled).
    pub fn gives_back(&self, after: &Payout) -> bool {
        self.status.holds_amount() && !after.status.holds_amount()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::from_code("usd").unwrap()
    }

    fn payout(account: &str) -> Payout {
        let bank = BankAccount::parse("110000000", account, usd()).unwrap();
        let new = NewPayout {
            amount: MinorUnits::new(500).unwrap(),
            currency: usd(),
            description: None,
            metadata: Metadata::default(),
        };
        Payout::create(&new, &bank, Mode::Test, 1_000)
    }

    #[test]
    fn bank_accounts_are_masked_and_stripes_failing_numbers_fail() {
        let ok = BankAccount::parse("110000000", "000123456789", usd()).unwrap();
        assert_eq!((ok.last4.as_str(), ok.simulated_failure), ("6789", None));
        let bad = BankAccount::parse("110000000", "000111111116", usd()).unwrap();
        assert_eq!(bad.simulated_failure, Some(PayoutFailureCode::NoAccount));
        assert!(!serde_json::to_string(&bad).unwrap().contains("000111111116"));
        for (routing, account, param) in [
            ("11000000", "000123456789", "routing_number"),
            ("11000000x", "000123456789", "routing_number"),
            ("110000000", "123", "account_number"),
            ("110000000", "12345678901234567890", "account_number"),
            ("110000000", "0001-2345", "account_number"),
        ] {
            assert_eq!(BankAccount::parse(routing, account, usd()).unwrap_err().param, param);
        }
    }

    #[test]
    fn the_simulated_bank_takes_a_payout_then_pays_or_fails_it() {
        let p = payout("000123456789");
        assert_eq!((p.status, p.next_due()), (PayoutStatus::Pending, Some(1_060)));
        assert!(p.advanced(1_059).is_none());
        let taken = p.advanced(1_060).unwrap();
        assert_eq!((taken.status, taken.revision), (PayoutStatus::InTransit, 1));
        assert_eq!(taken.next_due(), Some(1_120));
        assert!(taken.cancelled().is_err(), "too late to cancel");
        assert!(taken.advanced(1_119).is_none());
        let paid = taken.advanced(1_120).unwrap();
        assert_eq!((paid.status, paid.next_due()), (PayoutStatus::Paid, None));
        assert!(!taken.gives_back(&paid));

        let failing = payout("000111111116").advanced(2_000).unwrap();
        let failed = failing.advanced(2_000).unwrap();
        assert_eq!(
            (failed.status, failed.failure_code),
            (PayoutStatus::Failed, Some(PayoutFailureCode::NoAccount))
        );
        assert!(failing.gives_back(&failed));

        let p = payout("000123456789");
        let cancelled = p.cancelled().unwrap();
        assert!(p.gives_back(&cancelled));
        assert!(cancelled.advanced(9_999).is_none());
    }
}
