//! The issue form, read back from the issue body: the template YAML says
//! which fields exist (`template`), the body is parsed into their values
//! (`parse`), the account name is read as the bare name (`username`), and the
//! values are checked (`validate`). All pure: no I/O.

pub mod parse;
pub mod template;
pub mod username;
pub mod validate;

pub use parse::{FieldValue, FormResponse, parse};
pub use template::{Field, FieldKind, Template, TemplateError};
pub use validate::{Problem, ProblemKind, Rules, Validation, validate};
