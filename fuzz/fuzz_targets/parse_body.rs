//! Any issue body: parsing and validating never panic, and whatever is read
//! as the username passes the rule it was checked against.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recovery_bot::form::{self, Rules, Template};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let template = Template::default_recovery();
    let rules = Rules::default();
    let response = form::parse(&template, Some(body));
    let validation = form::validate(&template, &response, &rules);
    if let Some(name) = &validation.username {
        assert!(rules.username_pattern.is_match(name));
        assert!(name.chars().count() <= rules.username_max_len);
    }
    let _ = recovery_bot::recovery::intake::read_form(&template, &rules, Some(body));
});
