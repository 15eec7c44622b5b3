//! Settlement: the balance transactions every movement of money writes, and
//! the fees a capture pays.

use super::{Currency, Mode, Payment, Payout, Refund, TxnId};

/// Days after a capture before its funds are available (Stripe's default
/// for a new account).
pub const DEFAULT_DELAY_DAYS: i64 = 2;

/// The longest an account's funds may wait after a capture.
pub const MAX_DELAY_DAYS: i64 = 30;

/// Seconds per day: funds become available at a UTC midnight.
pub const DAY: i64 = 86_400;

/// When the funds of a capture at `now` become available: `delay_days`
/// later, at the UTC midnight that ends that day (Stripe's `available_on`
/// is a midnight too). Every capture of one day becomes available at one
/// moment, which is what lets the balance move a day's funds in one write
/// per shard rather than one per capture (`docs/settlement.md`).
pub fn funds_available_on(now: i64, delay_days: i64) -> i64 {
    let at = now + delay_days * DAY;
    (at + DAY - 1).div_euclid(DAY) * DAY
}

/// The settlement day of funds available at `available_on`: the day whose
/// end (the next UTC midnight, or this one if it is one) they are available
/// by.
pub fn settlement_day(available_on: i64) -> i64 {
    (available_on + DAY - 1).div_euclid(DAY)
}

/// When a refund's debit is counted as available: at once (`now`) when the
/// available balance covers it; else it is taken from pending, with the
/// funds of the payment it refunds (at their `available_on`), or at once
/// if those are available already (and the available balance may go below
/// zero, as Stripe allows).
pub fn refund_available_on(available: i64, amount: i64, payment_funds_on: Option<i64>, now: i64) -> i64 {
    if available >= amount {
        return now;
    }
    payment_funds_on.filter(|on| *on > now).unwrap_or(now)
}

/// What moved the money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceTransactionType {
    /// A capture (positive).
    Payment,
    /// A refund (negative).
    Refund,
    /// A refund that failed or was cancelled gives its amount back (positive).
    RefundFailure,
    /// A payout takes its amount off the available balance (negative).
    Payout,
    /// A payout cancelled before the bank took it gives it back (positive).
    PayoutCancel,
    /// A payout the bank refused gives it back (positive).
    PayoutFailure,
}

impl BalanceTransactionType {
    pub const ALL: [Self; 6] = [
        Self::Payment,
        Self::Refund,
        Self::RefundFailure,
        Self::Payout,
        Self::PayoutCancel,
        Self::PayoutFailure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Refund => "refund",
            Self::RefundFailure => "refund_failure",
            Self::Payout => "payout",
            Self::PayoutCancel => "payout_cancel",
            Self::PayoutFailure => "payout_failure",
        }
    }

    /// Whether the change that writes it moves the stored available amount
    /// itself (a payout's conditioned debit, and its return): the balance
    /// writer leaves those alone.
    pub fn settles_itself(self) -> bool {
        matches!(self, Self::Payout | Self::PayoutCancel | Self::PayoutFailure)
    }

    pub fn parse(param: &str, value: &str) -> Result<Self, super::ValidationError> {
        Self::ALL.into_iter().find(|t| t.as_str() == value).ok_or_else(|| {
            super::ValidationError::invalid(
                param,
                format!(
                    "Invalid {param}: '{value}'. It must be one of: payment, refund, refund_failure, payout, payout_cancel, payout_failure."
                ),
            )
        })
    }
}

/// Whether the funds can be paid out yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceStatus {
    /// Until `available_on`.
    Pending,
    Available,
}

/// One part of a transaction's fee.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeeDetail {
    pub amount: i64,
    pub currency: Currency,
    /// `stripe_fee` in Stripe's terms: ours is `paynectra_fee`.
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
}

/// What an account pays per capture: a percentage (in basis points) plus a
/// fixed amount in the currency's minor unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pricing {
    /// 290 = 2.9%.
    pub percent_basis_points: i64,
    /// `None`: [`fixed_fee`]'s table for the currency.
    pub fixed: Option<i64>,
}

impl Default for Pricing {
    /// 2.9% + the currency's fixed fee (30 cents for usd).
    fn default() -> Self {
        Self {
            percent_basis_points: 290,
            fixed: None,
        }
    }
}

/// An account's settlement terms in one mode: its pricing and how long a
/// capture's funds are pending. Set by `paynectra-admin accounts
/// settlement`; these defaults otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Settlement {
    pub pricing: Pricing,
    pub delay_days: i64,
    #[serde(default)]
    pub payout_schedule: PayoutSchedule,
}

/// When an account's available balance is paid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutSchedule {
    /// Only by `POST /v1/payouts`.
    #[default]
    Manual,
    /// Once a day, all of it (an automatic payout).
    Daily,
}

impl PayoutSchedule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Daily => "daily",
        }
    }
}

impl Default for Settlement {
    fn default() -> Self {
        Self {
            pricing: Pricing::default(),
            delay_days: DEFAULT_DELAY_DAYS,
            payout_schedule: PayoutSchedule::Manual,
        }
    }
}

impl Settlement {
    /// Terms from an operator's input: a percentage of 0 to 100% (in basis
    /// points), a fixed fee of 0 or more (`None`: the currency's default),
    /// 0 to 30 days.
    pub fn new(percent_basis_points: i64, fixed: Option<i64>, delay_days: i64) -> Result<Self, super::ValidationError> {
        if !(0..=10_000).contains(&percent_basis_points) {
            return Err(super::ValidationError::invalid(
                "percent_basis_points",
                "Invalid percent_basis_points: it must be 0 to 10000 (100%).",
            ));
        }
        if fixed.is_some_and(|f| !(0..=100_000).contains(&f)) {
            return Err(super::ValidationError::invalid(
                "fixed_fee",
                "Invalid fixed_fee: it must be 0 to 100000 in the currency's minor unit.",
            ));
        }
        if !(0..=MAX_DELAY_DAYS).contains(&delay_days) {
            return Err(super::ValidationError::invalid(
                "delay_days",
                "Invalid delay_days: it must be 0 to 30.",
            ));
        }
        Ok(Self {
            pricing: Pricing {
                percent_basis_points,
                fixed,
            },
            delay_days,
            payout_schedule: PayoutSchedule::Manual,
        })
    }

    /// These terms, paid out on `schedule`.
    pub fn paid_out(self, schedule: PayoutSchedule) -> Self {
        Self {
            payout_schedule: schedule,
            ..self
        }
    }
}

/// The default fixed fee per capture, in the currency's minor unit: 30 for
/// the currencies whose minor unit is a cent of a dollar, pound or euro sized
/// unit, and about US$0.30 for the others.
pub fn fixed_fee(currency: Currency) -> i64 {
    match currency.code() {
        "eur" => 25,
        "gbp" => 20,
        "brl" => 39,
        "czk" => 700,
        "dkk" => 180,
        "hkd" => 235,
        "huf" => 10_000,
        "inr" => 300,
        "jpy" => 40,
        "krw" => 400,
        "mxn" => 300,
        "nok" => 200,
        "pln" => 100,
        "sek" => 180,
        "sgd" => 50,
        // aud, cad, chf, nzd, usd
        _ => 30,
    }
}

impl Pricing {
    /// The fee on a capture of `amount` (minor units, not negative): the
    /// percentage rounded half up, plus the fixed part; never more than the
    /// amount itself.
    pub fn fee(&self, amount: i64, currency: Currency) -> i64 {
        let percent = (amount * self.percent_basis_points + 5_000) / 10_000;
        let fixed = self.fixed.unwrap_or_else(|| fixed_fee(currency));
        (percent + fixed).min(amount)
    }
}

/// A movement of money on an account's balance, written in the same
/// transaction as the change that causes it.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BalanceTransaction {
    pub id: TxnId,
    pub mode: Mode,
    #[serde(rename = "type")]
    pub kind: BalanceTransactionType,
    /// Signed: what the movement adds to the balance before fees.
    pub amount: i64,
    pub currency: Currency,
    pub fee: i64,
    // Empty lists are not stored, as empty maps are not: with them, the heat
    // benchmark's stream follower (through its recording proxy) stopped
    // delivering half-way (810 of 1,716 webhooks); without, it delivers all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_details: Vec<FeeDetail>,
    /// `amount - fee`.
    pub net: i64,
    pub status: BalanceStatus,
    pub available_on: i64,
    /// The `pay_` or `re_` id that moved it.
    pub source: String,
    pub description: Option<String>,
    pub created: i64,
}

impl BalanceTransaction {
    /// Its status at `now`: available from `available_on` on. The stored
    /// status is the one it was written with; a balance transaction's funds
    /// become available by time alone (the balance moves them the same way,
    /// [`BalanceParts::at`]), so reads show this one.
    pub fn status_at(&self, now: i64) -> BalanceStatus {
        if self.available_on <= now {
            BalanceStatus::Available
        } else {
            BalanceStatus::Pending
        }
    }

    /// What it adds to the gross volume of the day it moved: (captured,
    /// refunded). A refund that failed or was cancelled takes its amount
    /// off the refunded; payouts move no volume.
    pub fn volume(&self) -> (i64, i64) {
        match self.kind {
            BalanceTransactionType::Payment => (self.amount, 0),
            BalanceTransactionType::Refund | BalanceTransactionType::RefundFailure => (0, -self.amount),
            _ => (0, 0),
        }
    }

    /// This transaction as it stands at `now` ([`Self::status_at`]).
    pub fn as_of(self, now: i64) -> Self {
        Self {
            status: self.status_at(now),
            ..self
        }
    }

    /// The day whose balance bucket holds its net until it is available
    /// (`available_on`'s UTC day).
    pub fn day(&self) -> i64 {
        self.available_on.div_euclid(DAY)
    }

    /// The settlement day its funds count for: the one at whose end
    /// (midnight, UTC) they are available, so a capture available at a
    /// midnight counts for the day that midnight ends. The automatic payout
    /// of day `d` settles the settlement days up to `d` ([`Payout::settles`]).
    ///
    /// [`Payout::settles`]: super::Payout::settles
    pub fn settlement_day(&self) -> i64 {
        settlement_day(self.available_on)
    }

    fn new(
        kind: BalanceTransactionType,
        mode: Mode,
        amount: i64,
        currency: Currency,
        source: String,
        now: i64,
    ) -> Self {
        Self {
            id: TxnId::generate(),
            mode,
            kind,
            amount,
            currency,
            fee: 0,
            fee_details: Vec::new(),
            net: amount,
            status: BalanceStatus::Available,
            available_on: now,
            source,
            description: None,
            created: now,
        }
    }

    /// A capture of `payment` (as it is once captured): its received amount
    /// less the fee, available `delay_days` later (at once for a card that
    /// bypasses the pending period, test card `4000 0000 0000 0077`).
    pub fn for_capture(payment: &Payment, pricing: &Pricing, delay_days: i64, now: i64) -> Self {
        let amount = payment.amount_received.get();
        let fee = pricing.fee(amount, payment.currency);
        Self {
            fee,
            fee_details: vec![FeeDetail {
                amount: fee,
                currency: payment.currency,
                kind: "paynectra_fee".into(),
                description: "Paynectra processing fees".into(),
            }],
            net: amount - fee,
            status: if payment.bypass_pending {
                BalanceStatus::Available
            } else {
                BalanceStatus::Pending
            },
            available_on: if payment.bypass_pending {
                now
            } else {
                funds_available_on(now, delay_days)
            },
            description: payment.description.clone(),
            ..Self::new(
                BalanceTransactionType::Payment,
                payment.mode,
                amount,
                payment.currency,
                payment.id.to_string(),
                now,
            )
        }
    }

    /// A refund taking its amount off the balance (the fee of the capture is
    /// not returned): off the available balance from `available_on` on
    /// ([`refund_available_on`]), off pending until then.
    pub fn for_refund(refund: &Refund, available_on: i64, now: i64) -> Self {
        Self {
            description: Some("REFUND FOR PAYMENT".into()),
            status: if available_on <= now {
                BalanceStatus::Available
            } else {
                BalanceStatus::Pending
            },
            available_on,
            ..Self::new(
                BalanceTransactionType::Refund,
                refund.mode,
                -refund.amount.get(),
                refund.currency,
                refund.id.to_string(),
                now,
            )
        }
    }

    /// A payout taking its amount off the available balance at once.
    pub fn for_payout(payout: &Payout, now: i64) -> Self {
        Self {
            description: payout.description.clone().or_else(|| Some("PAYOUT".into())),
            ..Self::new(
                BalanceTransactionType::Payout,
                payout.mode,
                -payout.amount.get(),
                payout.currency,
                payout.id.to_string(),
                now,
            )
        }
    }

    /// An automatic payout's, dated the end of the period it settles
    /// (`available_on` = `through`, before its `created`): the period's
    /// transactions, its own included, net to zero.
    pub fn for_automatic_payout(payout: &Payout, through: i64, now: i64) -> Self {
        Self {
            available_on: through,
            ..Self::for_payout(payout, now)
        }
    }

    /// A payout that failed (`PayoutFailure`) or was cancelled
    /// (`PayoutCancel`), giving its amount back to available at once.
    pub fn for_payout_return(payout: &Payout, kind: BalanceTransactionType, now: i64) -> Self {
        Self {
            description: Some(if kind == BalanceTransactionType::PayoutCancel {
                "PAYOUT CANCELLED".into()
            } else {
                "PAYOUT FAILURE".into()
            }),
            ..Self::new(
                kind,
                payout.mode,
                payout.amount.get(),
                payout.currency,
                payout.id.to_string(),
                now,
            )
        }
    }

    /// A refund that failed or was cancelled, giving its amount back.
    pub fn for_refund_failure(refund: &Refund, now: i64) -> Self {
        Self {
            description: Some("REFUND FAILURE".into()),
            ..Self::new(
                BalanceTransactionType::RefundFailure,
                refund.mode,
                refund.amount.get(),
                refund.currency,
                refund.id.to_string(),
                now,
            )
        }
    }
}

/// One currency's amount of a balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceAmount {
    pub amount: i64,
    pub currency: Currency,
}

/// An account's balance in one mode, per currency: what can be paid out
/// and what is still on its way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    pub mode: Mode,
    pub available: Vec<BalanceAmount>,
    pub pending: Vec<BalanceAmount>,
}

/// The currency a balance with no money shows (as Stripe shows an empty
/// balance in the account's default currency).
pub const DEFAULT_BALANCE_CURRENCY: &str = "usd";

/// What is stored of a tenant's balance: per currency, the available amount
/// (moved only by the fold of due buckets and by payouts, so a payout can be
/// conditioned on it), and the buckets of funds by the day they become
/// available (each the sum of its shards).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BalanceParts {
    /// `(currency, amount)`.
    pub available: Vec<(Currency, i64)>,
    /// `(currency, day, amount)`: a day's funds, available from that day's
    /// midnight.
    pub buckets: Vec<(Currency, i64, i64)>,
}

impl BalanceParts {
    /// The balance at `now`: a bucket whose day has begun counts as
    /// available whether or not it was folded into the stored amount yet,
    /// so the balance always agrees with its transactions' statuses
    /// ([`BalanceTransaction::status_at`]).
    pub fn at(&self, mode: Mode, now: i64) -> Balance {
        let mut available: std::collections::BTreeMap<&'static str, (Currency, i64)> = Default::default();
        let mut pending: std::collections::BTreeMap<&'static str, (Currency, i64)> = Default::default();
        for &(currency, amount) in &self.available {
            available.entry(currency.code()).or_insert((currency, 0)).1 += amount;
        }
        for &(currency, day, amount) in &self.buckets {
            let side = if day * DAY <= now { &mut available } else { &mut pending };
            side.entry(currency.code()).or_insert((currency, 0)).1 += amount;
        }
        // Every currency the account has money in shows on both sides.
        for (code, (currency, _)) in available.clone() {
            pending.entry(code).or_insert((currency, 0));
        }
        for (code, (currency, _)) in pending.clone() {
            available.entry(code).or_insert((currency, 0));
        }
        if available.is_empty() {
            let usd = Currency::from_code(DEFAULT_BALANCE_CURRENCY).expect("usd is supported");
            available.insert(usd.code(), (usd, 0));
            pending.insert(usd.code(), (usd, 0));
        }
        let amounts = |m: std::collections::BTreeMap<&'static str, (Currency, i64)>| {
            m.into_values()
                .map(|(currency, amount)| BalanceAmount { amount, currency })
                .collect()
        };
        Balance {
            mode,
            available: amounts(available),
            pending: amounts(pending),
        }
    }

    /// The buckets of `currency` due at `now` (their day has begun): what a
    /// fold moves into the stored available amount.
    pub fn due(&self, currency: Currency, now: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.buckets
            .iter()
            .filter(move |(c, day, _)| *c == currency && day * DAY <= now)
            .map(|&(_, day, amount)| (day, amount))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::from_code(code).unwrap()
    }

    #[test]
    fn fees_are_the_percentage_rounded_half_up_plus_the_fixed_part() {
        let p = Pricing::default();
        assert_eq!(p.fee(10_000, c("usd")), 320, "2.9% of 100.00 + 0.30");
        assert_eq!(p.fee(50, c("usd")), 31, "1.45 rounds down to 1, + 30");
        assert_eq!(p.fee(1_000, c("usd")), 59);
        // 2.9% of 150 is 4.35: rounds to 4; of 155, 4.495: 4; of 156, 4.524: 5.
        assert_eq!(p.fee(150, c("usd")) - 30, 4);
        assert_eq!(p.fee(156, c("usd")) - 30, 5);
        // Exactly half rounds up: 2.9% of 50/29*... use 1% to see it.
        let one = Pricing {
            percent_basis_points: 100,
            fixed: Some(0),
        };
        assert_eq!(one.fee(150, c("usd")), 2, "1.5 rounds up");
        assert_eq!(one.fee(149, c("usd")), 1);
        assert_eq!(p.fee(10_000, c("eur")), 315);
        assert_eq!(p.fee(1_000, c("jpy")), 69);
        assert_eq!(p.fee(10, c("usd")), 10, "never more than the amount");
    }

    #[test]
    fn funds_count_for_the_day_whose_end_makes_them_available() {
        // A capture available at midnight counts for the day that midnight
        // ends; funds available during a day count for that day.
        assert_eq!(settlement_day(10 * DAY), 10);
        assert_eq!(settlement_day(10 * DAY + 1), 11);
        assert_eq!(settlement_day(11 * DAY - 1), 11);
        // A capture of day 8 (delay 2) and one available at once on day 10
        // are both settled by the automatic payout of day 11.
        assert_eq!(settlement_day(funds_available_on(8 * DAY + 50_000, 2)), 11);
        let period = super::super::payout::SettledPeriod {
            after: 10 * DAY,
            through: 11 * DAY,
        };
        assert!(!period.contains(10 * DAY));
        assert!(period.contains(10 * DAY + 1));
        assert!(period.contains(11 * DAY));
        assert!(!period.contains(11 * DAY + 1));
    }

    #[test]
    fn a_capture_nets_its_fee_and_refunds_move_without_one() {
        use super::super::{Amount, CaptureMethod, Metadata, NewPayment};
        let usd = c("usd");
        let payment = Payment::create(
            NewPayment {
                amount: Amount::for_charge("amount", 10_000, usd).unwrap(),
                currency: usd,
                customer_id: None,
                description: Some("Order 42".into()),
                capture_method: CaptureMethod::Automatic,
                metadata: Metadata::default(),
                return_url: None,
                receipt_email: None,
            },
            Mode::Test,
            0,
        )
        .captured();
        let t = BalanceTransaction::for_capture(&payment, &Pricing::default(), DEFAULT_DELAY_DAYS, 1_000);
        assert_eq!((t.amount, t.fee, t.net), (10_000, 320, 9_680));
        assert_eq!(
            (t.status, t.available_on),
            (BalanceStatus::Pending, 3 * DAY),
            "the midnight after two days"
        );
        assert_eq!(t.status_at(3 * DAY - 1), BalanceStatus::Pending);
        assert_eq!(t.clone().as_of(3 * DAY).status, BalanceStatus::Available);
        assert_eq!(t.day(), 3);
        assert_eq!(t.fee_details[0].amount, 320);
        assert_eq!(t.source, payment.id.as_str());
        let new = super::super::NewRefund {
            payment_id: payment.id.clone(),
            amount: super::super::MinorUnits::new(2_500),
            reason: None,
            metadata: Metadata::default(),
        };
        let refund = Refund::against(&new, &payment, 5).unwrap();
        let r = BalanceTransaction::for_refund(&refund, 5, 5);
        assert_eq!(r.status, BalanceStatus::Available);
        assert_eq!(
            BalanceTransaction::for_refund(&refund, 3 * DAY, 5).status,
            BalanceStatus::Pending
        );
        assert_eq!(
            (r.kind, r.amount, r.fee, r.net),
            (BalanceTransactionType::Refund, -2_500, 0, -2_500)
        );
        let back = BalanceTransaction::for_refund_failure(&refund, 6);
        assert_eq!((back.kind, back.net), (BalanceTransactionType::RefundFailure, 2_500));
        assert!(r.id.as_str().starts_with("txn_") && r.id != back.id);
    }

    #[test]
    fn funds_become_available_at_the_midnight_after_the_delay() {
        assert_eq!(
            funds_available_on(0, 2),
            2 * DAY,
            "a capture at midnight: exactly two days"
        );
        assert_eq!(funds_available_on(1, 2), 3 * DAY);
        assert_eq!(funds_available_on(DAY - 1, 2), 3 * DAY);
        assert_eq!(funds_available_on(10 * DAY + 5, 0), 11 * DAY);
    }

    #[test]
    fn a_refund_is_taken_from_available_when_it_covers_it_else_from_pending() {
        assert_eq!(
            refund_available_on(500, 500, Some(9 * DAY), 100),
            100,
            "covered: at once"
        );
        assert_eq!(
            refund_available_on(499, 500, Some(9 * DAY), 100),
            9 * DAY,
            "with the payment's funds"
        );
        assert_eq!(
            refund_available_on(0, 500, Some(50), 100),
            100,
            "those are available: at once, below zero"
        );
        assert_eq!(refund_available_on(0, 500, None, 100), 100);
    }

    #[test]
    fn the_balance_counts_begun_days_as_available_and_shows_each_currency_on_both_sides() {
        let (usd, eur) = (c("usd"), c("eur"));
        let parts = BalanceParts {
            available: vec![(usd, 1_000)],
            buckets: vec![(usd, 3, 200), (usd, 3, 50), (usd, 5, 700), (eur, 4, 90)],
        };
        let amounts = |v: &[BalanceAmount]| v.iter().map(|a| (a.currency.code(), a.amount)).collect::<Vec<_>>();
        let before = parts.at(Mode::Test, 3 * DAY - 1);
        assert_eq!(amounts(&before.available), [("eur", 0), ("usd", 1_000)]);
        assert_eq!(amounts(&before.pending), [("eur", 90), ("usd", 950)]);
        let on_day_three = parts.at(Mode::Test, 3 * DAY);
        assert_eq!(amounts(&on_day_three.available), [("eur", 0), ("usd", 1_250)]);
        assert_eq!(amounts(&on_day_three.pending), [("eur", 90), ("usd", 700)]);
        assert_eq!(parts.due(usd, 3 * DAY).collect::<Vec<_>>(), [(3, 200), (3, 50)]);
        let empty = BalanceParts::default().at(Mode::Live, 0);
        assert_eq!(
            (amounts(&empty.available), amounts(&empty.pending)),
            (vec![("usd", 0)], vec![("usd", 0)])
        );
    }
}
