//! The confirmation page behind the emailed link.

/// What the confirmation page shows.
pub enum VerifyPage<'a> {
    /// The link is good: explain, and offer the Confirm button (a POST).
    Ask {
        index_name: &'a str,
        username: &'a str,
        issue: &'a str,
    },
    Confirmed {
        index_name: &'a str,
        issue: &'a str,
    },
    /// Unknown, used, expired, revoked or no longer waited for: one neutral
    /// answer that reveals nothing.
    NoLongerValid,
    Unavailable,
    /// The request is being worked on this very moment: press again.
    Busy,
}

/// The page's only style, inline; `http::verify_page` allows exactly this in its
/// Content-Security-Policy.
pub const VERIFY_PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;\
padding:0 1rem;line-height:1.5}button{font-size:1.1rem;padding:.6rem 1.6rem;cursor:pointer}";

/// The confirmation page, as HTML; every value is escaped.
pub fn verify_page(page: &VerifyPage<'_>) -> String {
    let e = |s: &str| html_escape::encode_text(s).into_owned();
    let a = |s: &str| html_escape::encode_double_quoted_attribute(s).into_owned();
    let (title, body) = match page {
        VerifyPage::Ask {
            index_name,
            username,
            issue,
        } => (
            format!("{}: confirm your account recovery request", e(index_name)),
            format!(
                "<p>Someone asked {} to recover the account <strong id=\"username\">{}</strong> on the support \
                 tracker (<a href=\"{}\" rel=\"noreferrer\">{}</a>).</p>\n\
                 <p>If that was you, press <strong>Confirm</strong>. If it was not, close this page: \
                 nothing happens unless you press the button, and you can tell the admins on the issue.</p>\n\
                 <form method=\"post\"><button type=\"submit\" id=\"confirm\">Confirm</button></form>",
                e(index_name),
                e(username),
                a(issue),
                e(issue)
            ),
        ),
        VerifyPage::Confirmed { index_name, issue } => (
            format!("{}: confirmed", e(index_name)),
            format!(
                "<p id=\"result\">Thank you: your request is confirmed. The {} admins will continue on \
                 <a href=\"{}\" rel=\"noreferrer\">{}</a>.</p>",
                e(index_name),
                a(issue),
                e(issue)
            ),
        ),
        VerifyPage::NoLongerValid => (
            "Link no longer valid".to_owned(),
            "<p id=\"result\">This link is no longer valid; ask on the issue for a new one.</p>".to_owned(),
        ),
        VerifyPage::Unavailable => (
            "Try again later".to_owned(),
            "<p id=\"result\">The confirmation could not be recorded right now. Please try again in a few minutes.</p>".to_owned(),
        ),
        VerifyPage::Busy => (
            "Try again in a moment".to_owned(),
            "<p id=\"result\">Your request is being updated right now, so the confirmation was not recorded. \
             Please press Confirm again in a moment.</p>\n\
             <form method=\"post\"><button type=\"submit\" id=\"confirm\">Confirm</button></form>".to_owned(),
        ),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>{VERIFY_PAGE_STYLE}</style></head>\n\
         <body><h1>{title}</h1>\n{body}\n</body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;

    #[test]
    fn every_page() {
        let issue = "https://github.com/pypi/support/issues/42";
        let pages = [
            (
                "ask",
                VerifyPage::Ask {
                    index_name: "PyPI",
                    // Every value is escaped.
                    username: "<script>alert(1)</script>",
                    issue,
                },
            ),
            (
                "confirmed",
                VerifyPage::Confirmed {
                    index_name: "PyPI",
                    issue: "https://github.com/pypi/support/issues/42?a=\"b\"&c",
                },
            ),
            ("no_longer_valid", VerifyPage::NoLongerValid),
            ("unavailable", VerifyPage::Unavailable),
            ("busy", VerifyPage::Busy),
        ];
        for (name, page) in pages {
            assert_snapshot!(format!("verify_page_{name}"), verify_page(&page));
        }
    }
}
