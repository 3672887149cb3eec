//! What the requester must change in the form, and the empty form.

use std::fmt::Write as _;

use crate::form::template::FieldKind;
use crate::form::{Problem, ProblemKind, Template};
use crate::recovery::echo::{code, plain};

/// What the requester must change, for one form problem.
pub fn problem(p: &Problem, template: &Template) -> String {
    let field = template.field(&p.field);
    match &p.kind {
        ProblemKind::Missing => match field.map(|f| f.kind) {
            Some(FieldKind::Checkboxes) => {
                "this section is missing; tick its box(es) in the form.".to_owned()
            }
            _ if p.field == template.username_field() => {
                "write the username of the account you want to recover (your username, not your email address).".to_owned()
            }
            _ => "this field is empty; please fill it in.".to_owned(),
        },
        ProblemKind::UsernameIsEmail => {
            "a username is not an email address: write the account's username instead \
             (it is shown on the account's profile page). Please remove the email address from this public issue."
                .to_owned()
        }
        ProblemKind::UsernameInvalid { value } => format!(
            "{} is not a valid username: usernames have only letters, digits, `.`, `_` and `-`, \
             and start and end with a letter or digit. Write just the username, for example `my-name`.",
            code(value)
        ),
        ProblemKind::UsernameTooLong { max } => {
            format!("this is longer than any username can be (at most {max} characters); write just the username.")
        }
        ProblemKind::Unticked { option } => {
            // An option that is a sentence already ends with its own stop.
            let stop = if option.trim_end().ends_with(['.', '!', '?']) {
                ""
            } else {
                "."
            };
            format!("tick “{}”{stop}", plain(option))
        }
        ProblemKind::NotAChoice { value } => format!(
            "{} is not one of the choices; pick one from the list.",
            code(value)
        ),
    }
}

/// The empty form, as GitHub renders it, to paste into an issue body.
pub fn form_skeleton(template: &Template) -> String {
    let mut s = String::new();
    for f in &template.fields {
        let _ = writeln!(
            s,
            "### {}
",
            f.label
        );
        match f.kind {
            FieldKind::Checkboxes => {
                for o in &f.options {
                    let _ = writeln!(s, "- [ ] {}", o.label);
                }
                s.push('\n');
            }
            _ => s.push_str("_No response_\n\n"),
        }
    }
    s.trim_end().to_owned()
}

/// The form problem of a username the account directory does not know.
pub fn no_such_account(username: &str) -> String {
    format!(
        "there is no account named {}. Check the spelling on your profile page and write the account's username.",
        code(username)
    )
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;

    fn problem_for(field: &str, kind: ProblemKind) -> String {
        problem(
            &Problem {
                field: field.to_owned(),
                kind,
            },
            &Template::default_recovery(),
        )
    }

    #[test]
    fn every_problem_kind() {
        let cases = [
            (
                "missing_checkboxes",
                "code-of-conduct",
                ProblemKind::Missing,
            ),
            ("missing_username", "username", ProblemKind::Missing),
            ("missing_text", "reason", ProblemKind::Missing),
            (
                "username_is_email",
                "username",
                ProblemKind::UsernameIsEmail,
            ),
            (
                "username_invalid",
                "username",
                // The requester's text, in a code span that holds.
                ProblemKind::UsernameInvalid {
                    value: "`@al ice`".to_owned(),
                },
            ),
            (
                "username_too_long",
                "username",
                ProblemKind::UsernameTooLong { max: 50 },
            ),
            (
                "unticked_sentence",
                "acknowledgement",
                ProblemKind::Unticked {
                    option:
                        "I understand that it may take a significant amount of time to process \
                             my account recovery request."
                            .to_owned(),
                },
            ),
            (
                "unticked",
                "code-of-conduct",
                ProblemKind::Unticked {
                    option: "I agree to follow the PSF Code of Conduct".to_owned(),
                },
            ),
            (
                "not_a_choice",
                "index",
                ProblemKind::NotAChoice {
                    value: "CondaForge".to_owned(),
                },
            ),
        ];
        for (name, field, kind) in cases {
            assert_snapshot!(format!("problem_{name}"), problem_for(field, kind));
        }
    }

    #[test]
    fn skeleton_of_the_default_form() {
        assert_snapshot!(form_skeleton(&Template::default_recovery()));
    }

    #[test]
    fn no_such_account_problem() {
        assert_snapshot!(no_such_account("alice"));
    }
}
