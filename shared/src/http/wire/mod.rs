//! Wire DTOs: what the API accepts and returns, one file per resource.
//! Requests turn into domain commands through `TryFrom`, which names the
//! offending parameter; objects are built from domain types explicitly.

pub mod customers;
pub mod events;
pub mod list;
pub mod payment_methods;
pub mod payments;
pub mod refunds;
#[cfg(test)]
mod tests;
pub mod webhook_endpoints;

pub use customers::*;
pub use events::*;
pub use list::*;
pub use payment_methods::*;
pub use payments::*;
pub use refunds::*;
pub use webhook_endpoints::*;
