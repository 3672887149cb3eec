//! The business of account recovery, as pure decisions: states and labels,
//! what intake does with a form, what a command does in a state, and every
//! word the bot writes. No I/O here; `crate::jobs` carries the decisions out.

pub mod auto;
pub mod bound;
pub mod branch;
pub mod echo;
pub mod effects;
pub mod indexes;
pub mod intake;
pub mod messages;
pub mod moves;
mod outcome;
pub mod ownership;
pub mod replies;
pub mod rounds;
pub mod secrets;
mod situation;
pub mod state;
pub mod timers;
pub mod transitions;
