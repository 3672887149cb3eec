//! `[indexes.<key>]` tables and `default_index`: the indexes one tracker
//! serves. Without tables, the top-level settings (`index_name`,
//! `ACCOUNT_DIRECTORY_URL`, `ACCOUNT_DIRECTORY_TOKEN`, `index_recover`,
//! `[form] profile_url_prefix`) describe the one index, as before; with
//! tables, setting any of those as well is refused.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

use super::SettingsArgs;
use super::file::FileSettings;
use crate::recovery::indexes::{Index, Indexes, SINGLE_INDEX_KEY};
use crate::recovery::state::Labels;

/// One `[indexes.<key>]` table.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct IndexTable {
    pub(super) index_name: Option<String>,
    pub(super) directory_url: Option<String>,
    pub(super) directory_token: Option<SecretString>,
    pub(super) profile_url_prefix: Option<String>,
    pub(super) index_recover: Option<bool>,
    pub(super) label: Option<String>,
}

/// Whether a directory can take the recover call (only an HTTP one can).
pub(super) fn is_http(url: Option<&str>) -> bool {
    url.is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"))
}

/// The indexes of `[indexes.*]` tables (`None`: there are none, and the
/// top-level settings describe the one index), or every problem with them.
pub(super) fn tables(
    args: &SettingsArgs,
    file: &FileSettings,
) -> Result<Option<Indexes>, Vec<String>> {
    if file.indexes.is_empty() {
        if file.default_index.is_some() {
            return Err(vec![
                "default_index names an [indexes.<key>] table, and there are none".to_owned(),
            ]);
        }
        return Ok(None);
    }
    let mut problems = mixed(args, file);
    let list: Vec<Index> = file
        .indexes
        .iter()
        .map(|(key, t)| table(key, t, &file.labels, &mut problems))
        .collect();
    problems.extend(clashes(&list));
    let default = match (&file.default_index, list.len()) {
        (Some(d), _) => d.clone(),
        (None, 1) => list[0].key.clone(),
        (None, _) => {
            problems.push(
                "default_index is required with two or more [indexes.*] tables: name the key of the index used when nothing picks another".to_owned(),
            );
            list[0].key.clone()
        }
    };
    let indexes = Indexes::tables(list, &default);
    if indexes.is_none() {
        let keys: Vec<&String> = file.indexes.keys().collect();
        problems.push(format!(
            "default_index = \"{default}\" names no [indexes.*] table (there are: {keys:?})"
        ));
    }
    match (indexes, problems.is_empty()) {
        (Some(i), true) => Ok(Some(i)),
        _ => Err(problems),
    }
}

/// The one index the top-level settings describe (no tables).
pub(super) fn single(s: &super::Settings) -> Indexes {
    Indexes::single(Index {
        key: SINGLE_INDEX_KEY.to_owned(),
        name: s.index_name.clone(),
        directory_url: s.account_directory_url.clone(),
        directory_token: s.account_directory_token.clone(),
        profile_url_prefix: s.form.profile_url_prefix.clone(),
        recover: s.index_recover,
        label: None,
    })
}

/// A top-level index setting beside `[indexes.*]` tables.
fn mixed(args: &SettingsArgs, file: &FileSettings) -> Vec<String> {
    [
        ("index_name", file.index_name.is_some()),
        (
            "ACCOUNT_DIRECTORY_URL (account_directory_url)",
            args.account_directory_url.is_some() || file.account_directory_url.is_some(),
        ),
        (
            "ACCOUNT_DIRECTORY_TOKEN (account_directory_token)",
            args.account_directory_token.is_some() || file.account_directory_token.is_some(),
        ),
        ("index_recover", file.index_recover.is_some()),
        (
            "[form] profile_url_prefix",
            file.form.profile_url_prefix.is_some(),
        ),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| {
        format!(
            "{name} is set beside [indexes.*] tables: with tables, each index's settings live in its own table (remove {name})"
        )
    })
    .collect()
}

/// One table as an index, its problems pushed.
fn table(key: &str, t: &IndexTable, labels: &Labels, problems: &mut Vec<String>) -> Index {
    let at = format!("[indexes.{key}]");
    let key_ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !key_ok {
        problems.push(format!(
            "{at}: a key is letters, digits, `-` and `_` (it is what --index takes)"
        ));
    }
    let name = non_blank(t.index_name.clone());
    if name.is_none() {
        problems.push(format!(
            "{at}: index_name is required (the index's name in mails, the page and comments)"
        ));
    }
    let recover = t.index_recover.unwrap_or(false);
    if recover && !is_http(t.directory_url.as_deref()) {
        problems.push(format!(
            "{at}: index_recover = true needs directory_url to be the index's HTTP directory (a local file or a Warehouse database cannot reset accounts)"
        ));
    }
    let label = non_blank(t.label.clone());
    if let Some(l) = &label {
        if l.chars().count() > super::MAX_LABEL_CHARS {
            problems.push(format!(
                "{at}: label is longer than GitHub's {} characters",
                super::MAX_LABEL_CHARS
            ));
        }
        if let Some((which, _)) = labels
            .all()
            .into_iter()
            .find(|(_, b)| b.eq_ignore_ascii_case(l))
        {
            problems.push(format!(
                "{at}: label `{l}` is the bot's own [labels] {which} label"
            ));
        }
    }
    Index {
        key: key.to_owned(),
        name: name.unwrap_or_else(|| key.to_owned()),
        directory_url: t.directory_url.clone(),
        directory_token: t.directory_token.clone(),
        profile_url_prefix: t.profile_url_prefix.clone(),
        recover,
        label,
    }
}

/// Two indexes the form or a label could not tell apart.
fn clashes(list: &[Index]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, a) in list.iter().enumerate() {
        for b in &list[..i] {
            if a.name.eq_ignore_ascii_case(&b.name) {
                problems.push(format!(
                    "[indexes.{}] and [indexes.{}] have the same index_name `{}`",
                    b.key, a.key, a.name
                ));
            }
            if let (Some(x), Some(y)) = (&a.label, &b.label)
                && x.eq_ignore_ascii_case(y)
            {
                problems.push(format!(
                    "[indexes.{}] and [indexes.{}] have the same label `{x}`",
                    b.key, a.key
                ));
            }
        }
    }
    problems
}

/// What the issue form must offer for the indexes: a field keyed `index`
/// is a single-choice dropdown whose options are the index names; without
/// one, every index but the default needs a label (else no request could
/// ever be for it). `field` is the form's `index` field: its kind's name
/// and its options.
pub fn form_problems(indexes: &Indexes, field: Option<(&str, bool, Vec<&str>)>) -> Vec<String> {
    if !indexes.from_tables() {
        return Vec::new();
    }
    let names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
    match field {
        Some((kind, multiple, options)) => {
            let mut problems = Vec::new();
            if kind != "dropdown" || multiple {
                problems.push(format!(
                    "the form's field keyed `index` is of type {kind}{}: it must be a dropdown of one choice whose options are the index names ({names:?})",
                    if multiple { " of several choices" } else { "" }
                ));
            }
            let same = |a: &&str, b: &&str| a.trim().eq_ignore_ascii_case(b.trim());
            for o in &options {
                if !names.iter().any(|n| same(n, o)) {
                    problems.push(format!(
                        "the form's `index` dropdown offers `{o}`, which is no index's index_name ({names:?})"
                    ));
                }
            }
            for n in &names {
                if !options.iter().any(|o| same(n, o)) {
                    problems.push(format!(
                        "the form's `index` dropdown does not offer the index_name `{n}`"
                    ));
                }
            }
            problems
        }
        None => indexes
            .iter()
            .filter(|i| i.key != indexes.default_index().key && i.label.is_none())
            .map(|i| {
                format!(
                    "[indexes.{}]: no request can be for it: give it a label, or add a dropdown keyed `index` to the form",
                    i.key
                )
            })
            .collect(),
    }
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// `FileSettings`' `[indexes.*]`, by key.
pub(super) type Tables = BTreeMap<String, IndexTable>;

#[cfg(test)]
mod tests {
    use super::super::{Problems, Settings, SettingsArgs};
    use super::*;

    const TWO: &str = "default_index = \"pypi\"\n\
        [indexes.pypi]\nindex_name = \"PyPI\"\ndirectory_url = \"https://pypi.example/dir\"\n\
        [indexes.testpypi]\nindex_name = \"TestPyPI\"\ndirectory_url = \"https://test.pypi.example/dir\"\nlabel = \"test pypi issue\"\n";

    fn resolve(file: &str, args: SettingsArgs) -> Result<Settings, Vec<String>> {
        Settings::resolve(args, toml::from_str(file).unwrap()).map_err(|e| {
            e.downcast_ref::<Problems>()
                .map(|p| p.0.clone())
                .unwrap_or_else(|| vec![e.to_string()])
        })
    }

    fn problems(file: &str) -> Vec<String> {
        resolve(file, SettingsArgs::default()).unwrap_err()
    }

    #[test]
    fn tables_are_the_indexes() {
        let s = resolve(TWO, SettingsArgs::default()).unwrap();
        let i = s.indexes();
        assert!(i.from_tables() && i.several());
        assert_eq!(i.default_index().key, "pypi");
        assert_eq!(
            i.get("testpypi").unwrap().label.as_deref(),
            Some("test pypi issue")
        );
        // Without tables, the top-level settings are the one index.
        let s = resolve("index_name = \"Crates\"\n", SettingsArgs::default()).unwrap();
        let i = s.indexes();
        assert!(!i.from_tables() && !i.several());
        assert_eq!(i.default_index().name, "Crates");
        assert_eq!(i.default_index().key, SINGLE_INDEX_KEY);
    }

    #[test]
    fn a_top_level_index_setting_beside_tables_is_refused() {
        for (extra, name) in [
            ("index_name = \"PyPI\"\n", "index_name"),
            (
                "account_directory_url = \"https://x.example\"\n",
                "ACCOUNT_DIRECTORY_URL",
            ),
            ("index_recover = false\n", "index_recover"),
            (
                "[form]\nprofile_url_prefix = \"https://x.example/u/\"\n",
                "profile_url_prefix",
            ),
        ] {
            let file = match extra.starts_with('[') {
                true => format!("{TWO}{extra}"),
                false => format!("{extra}{TWO}"),
            };
            let p = problems(&file);
            assert!(
                p.iter().any(|p| p.contains(name) && p.contains("beside")),
                "{name}: {p:?}"
            );
        }
        // The environment's directory counts too.
        let args = SettingsArgs {
            account_directory_url: Some("https://env.example/dir".into()),
            ..SettingsArgs::default()
        };
        let p = resolve(TWO, args).unwrap_err();
        assert!(
            p.iter().any(|p| p.contains("ACCOUNT_DIRECTORY_URL")),
            "{p:?}"
        );
    }

    #[test]
    fn every_table_problem_is_named() {
        let p = problems(
            "[indexes.a]\nindex_name = \"PyPI\"\n[indexes.b]\nindex_name = \"pypi\"\nlabel = \"needs-fix\"\n",
        );
        assert!(
            p.iter().any(|p| p.contains("default_index is required")),
            "{p:?}"
        );
        assert!(p.iter().any(|p| p.contains("same index_name")), "{p:?}");
        assert!(
            p.iter().any(|p| p.contains("the bot's own [labels]")),
            "{p:?}"
        );
        let p = problems("default_index = \"c\"\n[indexes.a]\nindex_name = \"A\"\n");
        assert!(
            p.iter().any(|p| p.contains("names no [indexes.*] table")),
            "{p:?}"
        );
        let p = problems(
            "[indexes.\"a b\"]\ndirectory_url = \"accounts.json\"\nindex_recover = true\n",
        );
        assert!(p.iter().any(|p| p.contains("a key is letters")), "{p:?}");
        assert!(
            p.iter().any(|p| p.contains("index_name is required")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|p| p.contains("needs directory_url to be the index's HTTP directory")),
            "{p:?}"
        );
        let p = problems("default_index = \"a\"\n");
        assert!(p.iter().any(|p| p.contains("there are none")), "{p:?}");
        let p = problems(
            "default_index = \"a\"\n[indexes.a]\nindex_name = \"A\"\nlabel = \"x\"\n[indexes.b]\nindex_name = \"B\"\nlabel = \"X\"\n",
        );
        assert!(p.iter().any(|p| p.contains("same label")), "{p:?}");
        // One table needs no default_index.
        resolve(
            "[indexes.only]\nindex_name = \"Only\"\n",
            SettingsArgs::default(),
        )
        .unwrap();
    }

    #[test]
    fn the_form_must_let_every_index_be_picked() {
        let s = resolve(TWO, SettingsArgs::default()).unwrap();
        let i = s.indexes();
        // The label reaches TestPyPI; without it, nothing would.
        assert!(form_problems(&i, None).is_empty());
        let mut unlabelled = resolve(TWO, SettingsArgs::default()).unwrap();
        let mut list: Vec<Index> = i.iter().cloned().collect();
        list[1].label = None;
        unlabelled.index_tables = Indexes::tables(list, "pypi");
        let p = form_problems(&unlabelled.indexes(), None);
        assert!(
            p.len() == 1 && p[0].contains("[indexes.testpypi]: no request can be for it"),
            "{p:?}"
        );
        // A dropdown of exactly the index names (any case) is right.
        assert!(form_problems(&i, Some(("dropdown", false, vec!["PyPI", "testpypi"]))).is_empty());
        let p = form_problems(&i, Some(("dropdown", true, vec!["PyPI", "npm"])));
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].contains("of several choices"));
        assert!(p[1].contains("`npm`"));
        assert!(p[2].contains("`TestPyPI`"));
        let p = form_problems(&i, Some(("input", false, vec![])));
        assert!(p[0].contains("is of type input"), "{p:?}");
        // One index without tables: the form is not judged.
        let one = resolve("", SettingsArgs::default()).unwrap();
        assert!(form_problems(&one.indexes(), Some(("input", false, vec![]))).is_empty());
    }
}
