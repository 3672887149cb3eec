//! Property: any response GitHub can render from the form parses back to
//! the same fields, whatever the reason text holds (its own `###` headings,
//! code fences, task lists, quotes), with LF or CRLF line endings.

use proptest::prelude::*;
use recovery_bot::form::{self, Rules, Template};

const OPTIONS: [&str; 3] = [
    "I never generated or have lost access to the recovery codes for my account",
    "I agree to follow the PSF Code of Conduct",
    "I understand that it may take a significant amount of time to process my account recovery request.",
];

fn reason_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 ,.!?'()-]{1,60}",
        "### [A-Z][a-z]{2,10}( [a-z]{2,8})?".prop_map(|s| s),
        "#{1,6} [a-z]{1,10}",
        Just("```\n### Recovery Codes\n- [X] fenced\n```".to_owned()),
        Just("~~~python\nprint('### Code of Conduct')\n~~~".to_owned()),
        "- \\[[ xX]\\] [a-z ]{1,20}",
        "> [a-z ]{1,20}",
        "C### [a-z]{1,10}",
        Just("<!-- note -->".to_owned()),
        Just(String::new()),
    ]
}

fn reason() -> impl Strategy<Value = String> {
    prop::collection::vec(reason_line(), 1..12).prop_filter_map("non-empty reason", |lines| {
        let r = lines.join("\n");
        let r = r
            .trim_matches(|c: char| c == '\n' || c == ' ' || c == '\t')
            .to_owned();
        (!r.is_empty() && !r.eq_ignore_ascii_case("_no response_")).then_some(r)
    })
}

fn render(username: &str, reason: &str, ticks: [bool; 3]) -> String {
    let mut s =
        format!("### PyPI Username\n\n{username}\n\n### Reason for request\n\n{reason}\n\n");
    for ((label, option), ticked) in ["Recovery Codes", "Code of Conduct", "Acknowledgement"]
        .iter()
        .zip(OPTIONS)
        .zip(ticks)
    {
        s.push_str(&format!(
            "### {label}\n\n- [{}] {option}\n\n",
            if ticked { "X" } else { " " }
        ));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn rendered_responses_parse_back(
        username in "[A-Za-z0-9]([A-Za-z0-9._-]{0,30}[A-Za-z0-9])?",
        reason in reason(),
        ticks in prop::array::uniform3(any::<bool>()),
        crlf in any::<bool>(),
        backticks in any::<bool>(),
    ) {
        let t = Template::default_recovery();
        let shown = if backticks { format!("`{username}`") } else { username.clone() };
        let mut body = render(&shown, &reason, ticks);
        if crlf {
            body = body.replace('\n', "\r\n");
        }
        let v = form::validate(&t, &form::parse(&t, Some(&body)), &Rules::default());
        prop_assert_eq!(v.fields["username"].text(), Some(username.as_str()));
        prop_assert_eq!(v.fields["reason"].text(), Some(reason.as_str()));
        let ids = ["recovery-codes", "code-of-conduct", "acknowledgement"];
        for ((id, option), ticked) in ids.iter().zip(OPTIONS).zip(ticks) {
            let expected: Vec<String> = if ticked { vec![option.to_owned()] } else { vec![] };
            prop_assert_eq!(v.fields[*id].ticked(), expected.as_slice());
        }
        prop_assert_eq!(v.is_valid(), ticks.iter().all(|t| *t));
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in "(?s).{0,400}") {
        let t = Template::default_recovery();
        let _ = form::validate(&t, &form::parse(&t, Some(&body)), &Rules::default());
    }
}
