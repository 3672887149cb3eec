//! The one status comment on each request: where it stands, what the
//! requester must do, and the facts admins need.

use std::fmt::Write as _;

use crate::recovery::echo::{self, cell, code, plain};
use crate::recovery::ownership::{
    self, ADMIN_MUST_LOOK, AccountFacts, Evidence, Linked, MAX_JUDGED_REPOSITORIES, Verdict,
};
use crate::recovery::secrets::SecretKind;
use crate::recovery::state::{Labels, State};
use crate::recovery::transitions::CheckStatus;

use super::words::{ahead, checks_table, secret_names};

/// Hidden marker that finds the bot's one status comment on an issue.
pub const STATUS_MARKER: &str = "<!-- recovery-bot:status -->";

/// One form problem, already worded, and the label of its field.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProblemLine {
    /// The template id of the field.
    pub field: String,
    pub label: String,
    pub message: String,
}

/// A recorded check, for the tables.
#[derive(Debug, Clone)]
pub struct CheckLine {
    pub name: String,
    pub status: CheckStatus,
    pub actor: Option<String>,
    pub note: Option<String>,
    pub when: String,
}

/// What the status comment shows.
#[derive(Debug, Clone)]
pub struct StatusView<'a> {
    pub state: State,
    pub awaiting_email: bool,
    /// Waits for the `/verify-repo` branch.
    pub awaiting_repo: bool,
    /// The bot started the round it waits for itself (`auto_verify`).
    pub round_by_bot: bool,
    /// `/approve` waits until then (`YYYY-MM-DD HH:MM UTC`).
    pub waiting_until: Option<String>,
    /// The newest emailed link expired unused.
    pub link_expired: bool,
    pub author: &'a str,
    pub from_form: bool,
    pub problems: &'a [ProblemLine],
    /// The empty form, to paste into an issue that was not made from it.
    pub skeleton: Option<&'a str>,
    pub duplicate_of: Option<u64>,
    /// Open requests opened before this one that no admin has answered
    /// yet, when it was written (`None`: `queue_position = false`, the
    /// tracker's own workflow posts it).
    pub ahead: Option<i64>,
    /// The username as read from the form (valid or not; never an address).
    pub username_read: Option<&'a str>,
    /// The username field holds an email address (not repeated here).
    pub username_is_email: bool,
    /// The username (or the index) changed; shown until an admin's next
    /// command.
    pub username_changed: bool,
    /// The index the request is for, when the tracker serves several.
    pub index: Option<&'a str>,
    /// The account's projects and whose their repositories are.
    pub ownership: Option<&'a Evidence>,
    /// What the account directory said (when it was asked).
    pub account: Option<&'a AccountFacts>,
    /// Secrets pasted in public on the issue, and whether all were redacted.
    pub secrets: &'a [SecretKind],
    pub secrets_redacted: bool,
    pub checks: &'a [CheckLine],
    pub required: &'a [String],
    pub labels: &'a Labels,
}

/// The status comment: its marker, where the request stands, the notes for
/// requester and admins, the checks, the triage facts and the state label.
pub fn status_comment(v: &StatusView<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{STATUS_MARKER}");
    let _ = writeln!(s, "### Account recovery: {}\n", state_title(v.state));
    if v.from_form {
        username_read(&mut s, v);
    }
    if let Some(index) = v.index {
        let _ = writeln!(s, "**Index:** {}\n", echo::plain(index));
    }
    what_happens(&mut s, v);
    notes(&mut s, v);
    if !v.checks.is_empty() || v.state != State::Incomplete {
        let _ = writeln!(s, "\n{}", checks_table(v.checks, v.required));
    }
    if v.account.is_some() || v.ownership.is_some() {
        let _ = writeln!(s, "\n{}", triage_details(v));
    }
    let _ = writeln!(
        s,
        "\n<sub>State label: `{}`. Admins: comment `/help` for the commands.</sub>",
        v.labels.for_state(v.state)
    );
    echo::fit(s)
}

/// Which username the form gave (an email address is never repeated).
fn username_read(s: &mut String, v: &StatusView<'_>) {
    match (v.username_read, v.username_is_email) {
        (_, true) => {
            let _ = writeln!(
                s,
                "**Username read from the form:** none (the field holds an email address, not repeated here).\n"
            );
        }
        (Some(name), false) => {
            let _ = writeln!(s, "**Username read from the form:** {}\n", code(name));
        }
        (None, false) => {
            let _ = writeln!(s, "**Username read from the form:** none.\n");
        }
    }
}

/// An incomplete request: what the requester must change, or the form to
/// paste when the issue was not made from it.
fn what_to_fix(s: &mut String, v: &StatusView<'_>) {
    if !v.from_form {
        let _ = writeln!(
            s,
            "@{}, this issue does not follow the account-recovery form, so it cannot be processed yet. \
             Please **edit the issue** (the `···` menu at its top right → *Edit*) and replace its text \
             with the form below, answering under each heading.",
            v.author
        );
        if let Some(skeleton) = v.skeleton {
            let _ = writeln!(s, "\n````markdown\n{skeleton}\n````");
        }
    } else {
        let _ = writeln!(
            s,
            "@{}, thank you for your request. Before an admin can look at it, please **edit the issue** \
             (the `···` menu at its top right → *Edit*) and fix the following:\n",
            v.author
        );
        for p in v.problems {
            let _ = writeln!(s, "- **{}**: {}", plain(&p.label), p.message);
        }
        let _ = writeln!(
            s,
            "\nI check the form again every time the issue is saved; this comment will say when it is complete."
        );
    }
}

/// Where the request stands and who acts next.
fn what_happens(s: &mut String, v: &StatusView<'_>) {
    let author = v.author;
    match v.state {
        State::Incomplete => what_to_fix(s, v),
        State::Pending => {
            let _ = writeln!(
                s,
                "Thank you, @{author}. Your request is complete and waits for an admin to verify it. \
                 You do not need to do anything now; you will be told here what happens next."
            );
            if let Some(n) = v.ahead {
                let _ = writeln!(s, "\nWhen this was written, {}", ahead(n));
            }
        }
        State::AwaitingUser if v.awaiting_repo && v.round_by_bot => {
            let _ = writeln!(
                s,
                "@{author}, I emailed instructions to the address registered on the account: push a branch named \
                 after the token in that email to the source repository of one of the account's projects. \
                 I look for it regularly and say here when I find it."
            );
        }
        State::AwaitingUser if v.awaiting_repo => {
            let _ = writeln!(
                s,
                "@{author}, instructions were emailed to the address registered on the account: push a branch named \
                 after the token in that email to the source repository of one of the account's projects. \
                 I look for it regularly and say here when I find it."
            );
        }
        State::AwaitingUser if v.awaiting_email && v.round_by_bot => {
            let _ = writeln!(
                s,
                "@{author}, I emailed a confirmation link to the address registered on the account, \
                 without waiting for an admin. Open it and press **Confirm**. The link works once and expires. \
                 An admin still decides the request."
            );
        }
        State::AwaitingUser if v.awaiting_email => {
            let _ = writeln!(
                s,
                "@{author}, a confirmation link was emailed to the address registered on the account. \
                 Open it and press **Confirm**. The link works once and expires."
            );
        }
        State::AwaitingUser => {
            let _ = writeln!(
                s,
                "@{author}, an admin asked you a question below. Please answer it in a comment on this issue."
            );
        }
        State::Verified => {
            let _ = writeln!(
                s,
                "Every required check passed. The request waits for an admin's decision."
            );
        }
        State::Approved => {
            let _ = writeln!(s, "This request was approved and is closed.");
        }
        State::Denied => {
            let _ = writeln!(s, "This request was denied and is closed.");
        }
        State::Withdrawn => {
            let _ = writeln!(
                s,
                "@{author}, you withdrew this request and it is closed. To continue it, reopen the issue."
            );
        }
        State::NoResponse => {
            let _ = writeln!(
                s,
                "@{author}, this request was closed because there was no answer after a reminder. To continue \
                 it, comment on this issue: it reopens where it was."
            );
        }
    }
}

/// The notes under the state's words: a reason for admins to look first,
/// the waiting period, an expired link, unused recovery codes, pasted
/// secrets, a duplicate, a changed username.
fn notes(s: &mut String, v: &StatusView<'_>) {
    let open = !v.state.is_closed();
    // Neutral words: the reason is not published (`requests show` has it).
    if open && !ownership::cautions(v.ownership, v.account).is_empty() {
        let _ = writeln!(
            s,
            "\n> [!IMPORTANT]\n> Admins: {ADMIN_MUST_LOOK} (`recovery-bot requests show` gives the reason)."
        );
    }
    if let (Some(until), true) = (&v.waiting_until, open) {
        let _ = writeln!(
            s,
            "\n**Waiting period:** without a proof of project ownership, the request can be approved from \
             **{until}** (admins: `/verify-repo` asks for the proof; `/approve --now <reason>` overrides)."
        );
    }
    if v.link_expired && open {
        let _ = writeln!(
            s,
            "\n> [!NOTE]\n> Admins: the last emailed link expired without being used. `/verify-email` sends a new one."
        );
    }
    if v.account.is_some_and(AccountFacts::has_unused_codes) && open {
        let _ = writeln!(
            s,
            "\n> [!IMPORTANT]\n> @{}, the account still has unused recovery codes. If you can find one (they were \
             shown when you set up two-factor authentication, often saved as a file), use it to log in instead: \
             it is much faster than a recovery. If you have truly lost all of them, say so in a comment.",
            v.author
        );
    }
    if !v.secrets.is_empty() {
        let _ = writeln!(
            s,
            "\n> [!CAUTION]\n> Admins: a secret was pasted in public on this issue ({}). The requester was told \
             to revoke it{}. It is never repeated here.",
            secret_names(v.secrets),
            if v.secrets_redacted {
                "; it was replaced with `[redacted]`, but GitHub's edit history still shows it"
            } else {
                ""
            }
        );
    }
    if let Some(n) = v.duplicate_of {
        let _ = writeln!(
            s,
            "\n> [!NOTE]\n> Another open request names the same account: #{n}. An admin will look at both; \
             if you opened both, you can close the newer one."
        );
    }
    if v.username_changed {
        let _ = writeln!(
            s,
            "\n> [!WARNING]\n> The {} in this request changed. Every check was reset, every link already \
             emailed was revoked and the ownership evidence was removed. Admins: the verification starts again \
             for the account named now. This note stays until an admin's next command.",
            if v.index.is_some() {
                "username or the index"
            } else {
                "username"
            }
        );
    }
}

fn state_title(state: State) -> &'static str {
    match state {
        State::Incomplete => "the form needs a fix",
        State::Pending => "waiting for verification",
        State::AwaitingUser => "waiting for the requester",
        State::Verified => "verified",
        State::Approved => "approved",
        State::Denied => "denied",
        State::Withdrawn => "withdrawn",
        State::NoResponse => "closed for no response",
    }
}

/// The most projects listed one per row in the status comment; the rest
/// are counted, so that the comment stays readable and whole (its state
/// footer never cut) for an account with thousands of projects.
const MAX_PROJECT_ROWS: usize = 100;

/// What a project's repository says about the author, in a table cell.
fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Counts => "✅ yes",
        Verdict::OwnerOnly => {
            "❌ no: owned by the author's id today, but the index recorded no such owner (proves nothing by itself)"
        }
        Verdict::Organization => "❌ no: an organization's (never counts by itself)",
        Verdict::NotTheAuthors | Verdict::NoRepository => "❌ no",
        Verdict::NotJudged => "⏸ not judged",
    }
}

/// The projects, their repositories and what each says about the author.
fn ownership_table(s: &mut String, v: &StatusView<'_>, e: &Evidence) {
    let _ = write!(
        s,
        "\nThe account's projects and their source repositories. A repository counts as the author's (the \
         issue's author is {}) only when GitHub's owner id is the author's **and** the index recorded that id \
         for the project (a trusted publisher). A verified URL is one the index matched to a trusted publisher.\n\n\
         | project | repository | URL | the author's |\n|---|---|---|---|\n",
        code(v.author)
    );
    for r in e.rows.iter().take(MAX_PROJECT_ROWS) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            cell(&r.project),
            r.repository_url
                .as_deref()
                .map(cell)
                .unwrap_or_else(|| "(none)".to_owned()),
            match (&r.repository_url, r.verified) {
                (None, _) => "",
                (Some(_), true) => "verified",
                (Some(_), false) => "unverified",
            },
            verdict_words(r.verdict)
        );
    }
    if let Some(more) = e
        .rows
        .len()
        .checked_sub(MAX_PROJECT_ROWS)
        .filter(|&n| n > 0)
    {
        let owned = e.rows[MAX_PROJECT_ROWS..]
            .iter()
            .filter(|r| r.owned())
            .count();
        let _ = writeln!(
            s,
            "| … and {more} more projects | | | {owned} of them the author's |"
        );
    }
    let not_judged = e.not_judged();
    if not_judged > 0 {
        let _ = write!(
            s,
            "\nProjects not judged: {not_judged} (at most {MAX_JUDGED_REPOSITORIES} repositories are looked at \
             per request), so this is not the fast path.\n"
        );
    }
    let conclusion = match (e.linked, e.all_owned()) {
        (Linked::Other, _) => format!(
            "\nNothing here passes a check by itself for this account: {ADMIN_MUST_LOOK}.\n"
        ),
        (Linked::Author, _) => String::new(),
        (Linked::None, true) => format!(
            "\nEvery project's repository belongs to the author: check `project-ownership` recorded as \
             passed, label {} added.\n",
            code(&v.labels.fasttrack)
        ),
        (Linked::None, false) => "\nNot every project's repository counts as the author's: ownership needs \
             another check (`/verify-repo`, or `/confirm project-ownership <note>`), else the waiting period \
             applies.\n"
            .to_owned(),
    };
    s.push_str(&conclusion);
}

/// The recovery codes, with the date they were generated when known.
fn recovery_codes(s: &mut String, facts: &AccountFacts) {
    let generated = facts
        .codes_generated
        .map(|at| format!(", generated {}", at.format("%Y-%m-%d")))
        .unwrap_or_default();
    match facts.unused_recovery_codes {
        Some(0) => s.push_str("- Recovery codes: none unused.\n"),
        Some(n) => {
            let codes = if n == 1 { "code" } else { "codes" };
            let _ = writeln!(
                s,
                "- Recovery codes: **{n} unused recovery {codes}{generated}**. The requester was told to use one \
                 (`/reply unused-recovery-codes` says it again); no round starts by itself."
            );
        }
        None => s.push_str("- Recovery codes: the directory does not say.\n"),
    }
}

/// The triage facts for admins, folded in the status comment: what the
/// account directory said, and the ownership evidence.
fn triage_details(v: &StatusView<'_>) -> String {
    let mut s = String::from("<details><summary>Triage facts (for admins)</summary>\n\n");
    if let Some(facts) = v.account {
        s.push_str("- Account: found in the account directory.\n");
        recovery_codes(&mut s, facts);
    }
    if let Some(e) = v.ownership {
        if e.linked == Linked::Author {
            let _ = writeln!(
                s,
                "- The requester is the GitHub account linked to this account: check `project-ownership` \
                 recorded as passed, label {} added.",
                code(&v.labels.fasttrack)
            );
        }
        if e.rows.is_empty() && e.linked == Linked::Other {
            let _ = writeln!(s, "- The account has no projects; {ADMIN_MUST_LOOK}.");
        } else if e.rows.is_empty() {
            let _ = writeln!(
                s,
                "- The account has no projects: PyPI's fast path, label {} added (not a failed check).",
                code(&v.labels.fasttrack)
            );
        } else {
            ownership_table(&mut s, v, e);
        }
    }
    s.push_str("\n</details>");
    s
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::form::Template;
    use crate::recovery::messages::form_skeleton;
    use crate::recovery::ownership::Row;

    fn required() -> Vec<String> {
        vec!["email".to_owned()]
    }

    /// A request with nothing to say yet: the form's author `octocat`, in
    /// `state`, read from the form with the username `alice`.
    fn view<'a>(
        state: State,
        labels: &'a Labels,
        checks: &'a [CheckLine],
        required: &'a [String],
    ) -> StatusView<'a> {
        StatusView {
            state,
            awaiting_email: false,
            awaiting_repo: false,
            round_by_bot: false,
            waiting_until: None,
            link_expired: false,
            author: "octocat",
            from_form: true,
            problems: &[],
            skeleton: None,
            duplicate_of: None,
            ahead: Some(0),
            username_read: Some("alice"),
            username_is_email: false,
            username_changed: false,
            index: None,
            ownership: None,
            account: None,
            secrets: &[],
            secrets_redacted: false,
            checks,
            required,
            labels,
        }
    }

    fn email_sent() -> Vec<CheckLine> {
        vec![CheckLine {
            name: "email".to_owned(),
            status: CheckStatus::Sent,
            actor: Some("admin-ann".to_owned()),
            note: None,
            when: "2026-12-01 09:30 UTC".to_owned(),
        }]
    }

    fn all_passed() -> Vec<CheckLine> {
        vec![
            CheckLine {
                name: "email".to_owned(),
                status: CheckStatus::Passed,
                actor: Some("admin-ann".to_owned()),
                note: Some("confirmed from the emailed link".to_owned()),
                when: "2026-12-01 10:00 UTC".to_owned(),
            },
            CheckLine {
                name: "project-ownership".to_owned(),
                status: CheckStatus::Passed,
                actor: Some("admin-bob".to_owned()),
                // An admin's note is user text: escaped, never a ping.
                note: Some("@everyone saw <b>it</b> | #12".to_owned()),
                when: "2026-12-01 10:05 UTC".to_owned(),
            },
        ]
    }

    #[test]
    fn incomplete_not_from_form() {
        let labels = Labels::default();
        let skeleton = form_skeleton(&Template::default_recovery());
        let v = StatusView {
            from_form: false,
            username_read: None,
            skeleton: Some(&skeleton),
            ..view(State::Incomplete, &labels, &[], &[])
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn a_request_on_one_of_several_indexes_names_it() {
        let labels = Labels::default();
        let required = required();
        let v = StatusView {
            username_changed: true,
            index: Some("TestPyPI"),
            ..view(State::Pending, &labels, &[], &required)
        };
        let text = status_comment(&v);
        assert!(text.contains("**Index:** TestPyPI"), "{text}");
        assert!(text.contains("The username or the index in this request changed"));
        assert_snapshot!(text);
    }

    #[test]
    fn incomplete_with_problems() {
        let labels = Labels::default();
        let problems = [
            ProblemLine {
                field: "username".to_owned(),
                label: "PyPI Username".to_owned(),
                message: "`al ice` is not a valid username.".to_owned(),
            },
            ProblemLine {
                field: "code-of-conduct".to_owned(),
                // A label from the template, escaped like any text.
                label: "Code of <em>Conduct</em>".to_owned(),
                message: "tick “I agree to follow the PSF Code of Conduct”.".to_owned(),
            },
        ];
        let v = StatusView {
            problems: &problems,
            username_read: Some("al ice"),
            ..view(State::Incomplete, &labels, &[], &[])
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn incomplete_username_is_email() {
        let labels = Labels::default();
        let problems = [ProblemLine {
            field: "username".to_owned(),
            label: "PyPI Username".to_owned(),
            message: "a username is not an email address.".to_owned(),
        }];
        let v = StatusView {
            problems: &problems,
            username_read: None,
            username_is_email: true,
            ..view(State::Incomplete, &labels, &[], &[])
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn incomplete_no_username() {
        let labels = Labels::default();
        let problems = [ProblemLine {
            field: "username".to_owned(),
            label: "PyPI Username".to_owned(),
            message: "write the username of the account you want to recover.".to_owned(),
        }];
        let v = StatusView {
            problems: &problems,
            username_read: None,
            ..view(State::Incomplete, &labels, &[], &[])
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn pending() {
        let labels = Labels::default();
        let required = required();
        for (name, ahead) in [
            ("pending_none_ahead", 0),
            ("pending_one_ahead", 1),
            ("pending_many_ahead", 7),
        ] {
            let v = StatusView {
                ahead: Some(ahead),
                ..view(State::Pending, &labels, &[], &required)
            };
            assert_snapshot!(name, status_comment(&v));
        }
    }

    #[test]
    fn awaiting_email_link_expired() {
        let labels = Labels::default();
        let required = required();
        let checks = email_sent();
        let v = StatusView {
            awaiting_email: true,
            link_expired: true,
            ..view(State::AwaitingUser, &labels, &checks, &required)
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn awaiting_the_bots_own_rounds() {
        let labels = Labels::default();
        let required = required();
        let checks = vec![CheckLine {
            actor: Some("recovery-bot[bot]".to_owned()),
            ..email_sent().remove(0)
        }];
        for (name, email, repo) in [
            ("awaiting_email_sent_by_the_bot", true, false),
            ("awaiting_repo_sent_by_the_bot", false, true),
        ] {
            let v = StatusView {
                awaiting_email: email,
                awaiting_repo: repo,
                round_by_bot: true,
                ..view(State::AwaitingUser, &labels, &checks, &required)
            };
            assert_snapshot!(name, status_comment(&v));
        }
    }

    #[test]
    fn awaiting_repo_waiting_period() {
        let labels = Labels::default();
        let required = required();
        let checks = email_sent();
        let v = StatusView {
            awaiting_repo: true,
            waiting_until: Some("2026-12-08 09:30 UTC".to_owned()),
            ..view(State::AwaitingUser, &labels, &checks, &required)
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn awaiting_info() {
        let labels = Labels::default();
        let required = required();
        let v = view(State::AwaitingUser, &labels, &[], &required);
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn verified() {
        let labels = Labels::default();
        let required = required();
        let checks = all_passed();
        let v = view(State::Verified, &labels, &checks, &required);
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn closed() {
        let labels = Labels::default();
        let required = required();
        let checks = all_passed();
        for (name, state) in [
            ("closed_approved", State::Approved),
            ("closed_denied", State::Denied),
            ("closed_withdrawn", State::Withdrawn),
            ("closed_no_response", State::NoResponse),
        ] {
            // Closed: no waiting period and no notes for the open request.
            let v = StatusView {
                waiting_until: Some("2026-12-08 09:30 UTC".to_owned()),
                link_expired: true,
                ..view(state, &labels, &checks, &required)
            };
            assert_snapshot!(name, status_comment(&v));
        }
    }

    #[test]
    fn every_notice() {
        let labels = Labels::default();
        let required = required();
        let account = AccountFacts {
            unused_recovery_codes: Some(3),
            ..AccountFacts::default()
        };
        let secrets = [SecretKind::RecoveryCode, SecretKind::PypiToken];
        let v = StatusView {
            duplicate_of: Some(41),
            username_changed: true,
            account: Some(&account),
            secrets: &secrets,
            secrets_redacted: true,
            ..view(State::Pending, &labels, &[], &required)
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn secret_not_redacted() {
        let labels = Labels::default();
        let required = required();
        let secrets = [SecretKind::GithubToken, SecretKind::PrivateKey];
        let v = StatusView {
            secrets: &secrets,
            ..view(State::Pending, &labels, &[], &required)
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn triage_no_projects() {
        let labels = Labels::default();
        let required = required();
        let account = AccountFacts {
            unused_recovery_codes: Some(0),
            ..AccountFacts::default()
        };
        let evidence = Evidence::default();
        let v = StatusView {
            account: Some(&account),
            ownership: Some(&evidence),
            ..view(State::Pending, &labels, &[], &required)
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn triage_projects_all_owned() {
        let labels = Labels::default();
        let required = required();
        let account = AccountFacts {
            unused_recovery_codes: None,
            ..AccountFacts::default()
        };
        let evidence = alice(vec![
            row(
                "alice-tools",
                Some("https://github.com/alice/alice-tools"),
                true,
                Verdict::Counts,
            ),
            row(
                "pipe|name",
                Some("https://github.com/alice/pipe"),
                true,
                Verdict::Counts,
            ),
        ]);
        let v = StatusView {
            account: Some(&account),
            ownership: Some(&evidence),
            ..view(State::Pending, &labels, &[], &required)
        };
        assert_snapshot!(status_comment(&v));
    }

    #[test]
    fn triage_projects_not_all_owned() {
        let evidence = alice(vec![
            row(
                "alice-tools",
                Some("https://github.com/alice/alice-tools"),
                true,
                Verdict::Counts,
            ),
            row("old-thing", None, false, Verdict::NoRepository),
        ]);
        assert_snapshot!(pending_with(&evidence, None));
    }

    /// Each verdict in its words; projects past the judging limit are
    /// said to be no fast path.
    #[test]
    fn triage_projects_every_verdict() {
        let unverified = |project: &str, verdict| {
            let url = format!("https://github.com/alice/{project}");
            row(project, Some(&url), false, verdict)
        };
        let evidence = alice(vec![
            unverified("counts", Verdict::Counts),
            unverified("owner-only", Verdict::OwnerOnly),
            unverified("org", Verdict::Organization),
            unverified("someone", Verdict::NotTheAuthors),
            unverified("elsewhere", Verdict::NoRepository),
            unverified("late", Verdict::NotJudged),
        ]);
        assert_snapshot!(pending_with(&evidence, None));
    }

    /// Past `MAX_PROJECT_ROWS` the rest are counted; the snapshot keeps the
    /// table's end, from the last listed rows on.
    #[test]
    fn triage_many_projects() {
        let labels = Labels::default();
        let required = required();
        let evidence = alice(
            (0..MAX_PROJECT_ROWS + 3)
                .map(|i| {
                    let verdict = if i % 2 == 0 {
                        Verdict::Counts
                    } else {
                        Verdict::OwnerOnly
                    };
                    let url = format!("https://github.com/alice/p{i}");
                    row(&format!("p{i}"), Some(&url), false, verdict)
                })
                .collect(),
        );
        let v = StatusView {
            ownership: Some(&evidence),
            ..view(State::Pending, &labels, &[], &required)
        };
        let text = status_comment(&v);
        let tail = &text[text.find("| `p98` ").expect("row 98 listed")..];
        assert!(!text.contains("`p100`"));
        assert_snapshot!(tail);
    }

    /// `queue_position = false`: the tracker's workflow posts the count.
    #[test]
    fn pending_without_queue_position() {
        let labels = Labels::default();
        let required = required();
        let v = StatusView {
            ahead: None,
            ..view(State::Pending, &labels, &[], &required)
        };
        let text = status_comment(&v);
        assert!(!text.contains("ahead"), "{text}");
        assert_snapshot!(text);
    }

    /// The status comment of a pending request with `ownership` (and the
    /// directory's `account` facts).
    fn pending_with(ownership: &Evidence, account: Option<&AccountFacts>) -> String {
        let labels = Labels::default();
        let required = required();
        status_comment(&StatusView {
            ownership: Some(ownership),
            account,
            ..view(State::Pending, &labels, &[], &required)
        })
    }

    /// One project's row of the ownership table.
    fn row(project: &str, repository_url: Option<&str>, verified: bool, verdict: Verdict) -> Row {
        Row {
            project: project.to_owned(),
            repository_url: repository_url.map(str::to_owned),
            verified,
            verdict,
        }
    }

    /// alice's evidence: `rows`, no linked account.
    fn alice(rows: Vec<Row>) -> Evidence {
        Evidence {
            rows,
            username: Some("alice".to_owned()),
            linked: Linked::None,
        }
    }

    fn one_project(linked: Linked, verified: bool) -> Evidence {
        Evidence {
            linked,
            ..alice(vec![row(
                "alice-tools",
                Some("https://github.com/alice/alice-tools"),
                verified,
                Verdict::Counts,
            )])
        }
    }

    /// Linked to another GitHub account, or frozen, or without a verified
    /// primary address: the same neutral line, never the reason.
    #[test]
    fn triage_admin_must_look() {
        let labels = Labels::default();
        let required = required();
        let other = one_project(Linked::Other, true);
        let frozen = AccountFacts {
            unused_recovery_codes: Some(3),
            codes_generated: "2023-10-27T09:00:00Z".parse().ok(),
            frozen: true,
            no_verified_address: true,
        };
        let v = StatusView {
            account: Some(&frozen),
            ownership: Some(&other),
            ..view(State::Pending, &labels, &[], &required)
        };
        let text = status_comment(&v);
        assert!(!text.to_lowercase().contains("frozen"), "{text}");
        assert!(!text.to_lowercase().contains("linked"), "{text}");
        assert!(text.contains("3 unused recovery codes, generated 2023-10-27"));
        assert_snapshot!(text);
    }

    #[test]
    fn triage_linked_to_the_author() {
        let mut mine = one_project(Linked::Author, false);
        mine.rows[0].verdict = Verdict::NotTheAuthors;
        assert_snapshot!(pending_with(&mine, None));
    }
}
