//! The emails: the confirmation link and the `/verify-repo` token.

use super::words::human;

/// The `/verify-repo` email: subject and plain-text body. The token is on a
/// line of its own, and nowhere else.
pub fn repo_email(m: &VerificationEmail<'_>, repositories: &[String]) -> (String, String) {
    let VerificationEmail {
        index_name,
        username,
        issue_url,
        link: token,
        valid_for,
        contact,
    } = m;
    let valid_for = human(*valid_for);
    let subject = format!("{index_name}: prove you own the projects of your account {username}");
    let repos: String = repositories
        .iter()
        .map(|r| format!("    https://github.com/{r}\n"))
        .collect();
    let body = format!(
        "Hello,\n\n\
         someone asked {index_name} to recover the account \"{username}\", which lists this email address \
         as its primary address, on the support tracker:\n\n    {issue_url}\n\n\
         If that was you, prove that you own the account's projects: push a branch with exactly this name\n\n\
         {token}\n\n\
         to the source repository of one of the account's projects:\n\n{repos}\n\
         For example: git push origin HEAD:refs/heads/{token}\n\n\
         Do not post this name on the tracker. The bot looks for the branch by itself regularly and \
         says so on the issue; you may delete the branch afterwards. The name works only for this request \
         and expires in {valid_for}.\n\n\
         If you did NOT ask for this, do nothing: your account stays as it is. Please tell the admins that \
         the request is not yours: comment on the issue above, or write to {contact}.\n\n\
         This message was sent by the {index_name} support tracker's recovery bot.\n"
    );
    (subject, body)
}

/// What the confirmation email says, and where it points.
pub struct VerificationEmail<'a> {
    pub index_name: &'a str,
    pub username: &'a str,
    /// The issue's web address.
    pub issue_url: &'a str,
    pub link: &'a str,
    /// How long the link (or token) works.
    pub valid_for: std::time::Duration,
    pub contact: &'a str,
}

/// The confirmation email: subject and plain-text body. The link is the only
/// place the token exists.
pub fn verification_email(m: &VerificationEmail<'_>) -> (String, String) {
    let VerificationEmail {
        index_name,
        username,
        issue_url,
        link,
        valid_for,
        contact,
    } = m;
    let valid_for = human(*valid_for);
    let subject = format!("{index_name}: confirm the recovery request for your account {username}");
    let body = format!(
        "Hello,\n\n\
         someone asked {index_name} to recover the account \"{username}\", which lists this email address \
         as its primary address, on the support tracker:\n\n    {issue_url}\n\n\
         If that was you, open this link and press Confirm:\n\n    {link}\n\n\
         The link works once, only for this request and this account, and expires in {valid_for}.\n\n\
         If you did NOT ask for this, do not open the link and do not press Confirm. \
         Your account stays as it is. Please tell the admins that the request is not yours: \
         comment on the issue above, or write to {contact}.\n\n\
         This message was sent by the {index_name} support tracker's recovery bot; replies reach the admins.\n"
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use insta::assert_snapshot;

    use super::*;

    /// The placeholders stand where the real link and token go; no address
    /// appears in a message (the mail's envelope carries it).
    fn mail<'a>(link: &'a str) -> VerificationEmail<'a> {
        VerificationEmail {
            index_name: "PyPI",
            username: "alice",
            issue_url: "https://github.com/pypi/support/issues/42",
            link,
            valid_for: Duration::from_secs(72 * 3_600),
            contact: "the index's support address",
        }
    }

    #[test]
    fn confirmation_email() {
        let (subject, body) =
            verification_email(&mail("https://recovery.example/verify/LINK-TOKEN"));
        assert_snapshot!(format!("Subject: {subject}\n\n{body}"));
    }

    #[test]
    fn verify_repo_email() {
        let (subject, body) = repo_email(
            &mail("branchtokenplaceholder"),
            &["alice/alice-tools".to_owned(), "alice/other".to_owned()],
        );
        assert_snapshot!(format!("Subject: {subject}\n\n{body}"));
    }
}
