//! Every word the bot writes: on the tracker, in mail and on the
//! confirmation page, one file per surface. Text that came from someone
//! else goes through `echo` first.

mod email;
mod form;
mod notices;
mod page;
mod replies;
mod status_comment;
mod status_reply;
mod words;

pub use email::{VerificationEmail, repo_email, verification_email};
pub use form::{form_skeleton, no_such_account, problem};
pub use notices::{
    NotMailed, SecretPlace, approval_abandoned, branch_found, branch_not_counted, link_expired,
    not_mailed, recover_failed, reminder, secret_warning,
};
pub use page::{VERIFY_PAGE_STYLE, VerifyPage, verify_page};
pub use replies::{DEFAULT_APPROVE_MESSAGE, combined, default_replies, help, reply};
pub use status_comment::{CheckLine, ProblemLine, STATUS_MARKER, StatusView, status_comment};
pub use status_reply::{HistoryLine, requester_status, status_reply};
pub use words::{human, utc};
