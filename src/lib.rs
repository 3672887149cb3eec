//! recovery-bot: runs account-recovery requests on a GitHub support tracker.
//!
//! Intake (`http::webhook`) stores each delivery and its job in PostgreSQL
//! (`store`) before acknowledging it; workers (`jobs`) process them and act
//! on GitHub (`github`).

pub mod app;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod config_check;
pub mod directory_show;
pub mod form;
pub mod github;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod labels_sync;
pub mod observe;
pub mod recovery;
pub mod report;
pub mod store;
pub mod telemetry;
pub mod triage;
pub mod verify;

// The paths these modules had before they moved under `http`.
pub use http as server;
pub use http::webhook;
