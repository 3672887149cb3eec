//! Several indexes on one tracker (PyPI and TestPyPI share pypi/support):
//! which index a request is for. An account is a username *on an index*:
//! `alice` on TestPyPI is not `alice` on PyPI, so usernames, duplicates,
//! links, evidence and waiting periods are all per index, and a request
//! that moves to another index has named another account.
//!
//! The settings describe the indexes ([`Indexes`]); the pick is pure: the
//! form's field keyed `index` when the form has one, else the index whose
//! tracker label the issue carries, else the default.

use secrecy::SecretString;

/// The form field whose value names the index.
pub const INDEX_FIELD: &str = "index";

/// The key of the one index a config without `[indexes.*]` describes.
pub const SINGLE_INDEX_KEY: &str = "default";

/// One index the tracker serves.
#[derive(Debug, Clone)]
pub struct Index {
    /// The `[indexes.<key>]` table's key (`default` for a config without
    /// tables); stored with each request.
    pub key: String,
    /// Its name in emails, the confirmation page and comments.
    pub name: String,
    /// Its account directory (HTTP, a local file or a Warehouse database).
    pub directory_url: Option<String>,
    pub directory_token: Option<SecretString>,
    /// Its profile URL up to the name (`[form] profile_url_prefix` for a
    /// config without tables); `None`: the default.
    pub profile_url_prefix: Option<String>,
    /// Its directory offers the recover call.
    pub recover: bool,
    /// The tracker label that marks a request for it.
    pub label: Option<String>,
}

/// The indexes, in the order the config gives them (by key), with the
/// default among them.
#[derive(Debug, Clone)]
pub struct Indexes {
    list: Vec<Index>,
    default: usize,
    /// From `[indexes.*]` tables (else the top-level settings).
    tables: bool,
}

impl Indexes {
    /// The one index of a config without `[indexes.*]`.
    pub fn single(index: Index) -> Self {
        Self {
            list: vec![index],
            default: 0,
            tables: false,
        }
    }

    /// The indexes of `[indexes.*]` tables; `default` is a key among them.
    pub fn tables(list: Vec<Index>, default: &str) -> Option<Self> {
        let default = list.iter().position(|i| i.key == default)?;
        Some(Self {
            list,
            default,
            tables: true,
        })
    }

    pub fn default_index(&self) -> &Index {
        &self.list[self.default]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Index> {
        self.list.iter()
    }

    /// More than one index: requests say which one they are for.
    pub fn several(&self) -> bool {
        self.list.len() > 1
    }

    /// Whether the indexes come from `[indexes.*]` tables.
    pub fn from_tables(&self) -> bool {
        self.tables
    }

    /// The index with this table key.
    pub fn get(&self, key: &str) -> Option<&Index> {
        self.list.iter().find(|i| i.key == key)
    }

    /// The index a stored request names. A request stored under a config
    /// without tables (`default`) is the default index's; another key the
    /// config no longer has names no index (`None`): such a request has no
    /// directory, so no proof and no reset reach it (fail closed).
    pub fn of_request(&self, key: &str) -> Option<&Index> {
        self.get(key)
            .or_else(|| (key == SINGLE_INDEX_KEY).then(|| self.default_index()))
    }

    /// The index `--index NAME` names: a table key, or (any case) an index
    /// name.
    pub fn named(&self, name: &str) -> Option<&Index> {
        self.get(name)
            .or_else(|| self.list.iter().find(|i| i.name.eq_ignore_ascii_case(name)))
    }

    /// Which index a request is for: the form's `index` value when the
    /// form has that field (an index name, any case; a value that names
    /// none is the form's problem, and the default stands meanwhile), else
    /// the first index whose label the issue carries, else the default.
    pub fn pick<'a>(
        &'a self,
        form_value: Option<Option<&str>>,
        labels: impl IntoIterator<Item = &'a str> + Clone,
    ) -> &'a Index {
        if let Some(value) = form_value {
            return value
                .and_then(|v| {
                    self.list
                        .iter()
                        .find(|i| i.name.eq_ignore_ascii_case(v.trim()))
                })
                .unwrap_or_else(|| self.default_index());
        }
        self.list
            .iter()
            .find(|i| {
                i.label.as_deref().is_some_and(|label| {
                    labels
                        .clone()
                        .into_iter()
                        .any(|l| l.eq_ignore_ascii_case(label))
                })
            })
            .unwrap_or_else(|| self.default_index())
    }

    /// Whether `label` marks a request for one of the indexes: adding or
    /// removing it may move a request to another index.
    pub fn is_index_label(&self, label: &str) -> bool {
        self.list.iter().any(|i| {
            i.label
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(label))
        })
    }
}

/// Whether two `(index key, username)` pairs name one account: the same
/// index, and usernames equal but for case (PyPI's are). A missing username
/// names no account.
pub fn one_account(a: (&str, Option<&str>), b: (&str, Option<&str>)) -> bool {
    match (a, b) {
        ((ia, Some(ua)), (ib, Some(ub))) => ia == ib && ua.eq_ignore_ascii_case(ub),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_is_one_index_and_one_name() {
        assert!(one_account(
            ("pypi", Some("Alice")),
            ("pypi", Some("alice"))
        ));
        assert!(!one_account(
            ("pypi", Some("alice")),
            ("testpypi", Some("alice"))
        ));
        assert!(!one_account(("pypi", Some("alice")), ("pypi", Some("bob"))));
        assert!(!one_account(("pypi", None), ("pypi", None)));
    }

    fn index(key: &str, name: &str, label: Option<&str>) -> Index {
        Index {
            key: key.into(),
            name: name.into(),
            directory_url: None,
            directory_token: None,
            profile_url_prefix: None,
            recover: false,
            label: label.map(str::to_owned),
        }
    }

    fn two() -> Indexes {
        Indexes::tables(
            vec![
                index("pypi", "PyPI", None),
                index("testpypi", "TestPyPI", Some("test pypi issue")),
            ],
            "pypi",
        )
        .unwrap()
    }

    #[test]
    fn the_form_value_wins_then_the_label_then_the_default() {
        let i = two();
        let none: [&str; 0] = [];
        assert_eq!(i.pick(None, none).key, "pypi");
        assert_eq!(i.pick(None, ["bug", "Test PyPI Issue"]).key, "testpypi");
        // The form has the field: its value decides, whatever the labels.
        assert_eq!(i.pick(Some(Some("pypi")), ["test pypi issue"]).key, "pypi");
        assert_eq!(i.pick(Some(Some(" testpypi ")), none).key, "testpypi");
        // Empty or unknown: the default (the form's problem says why).
        assert_eq!(i.pick(Some(None), ["test pypi issue"]).key, "pypi");
        assert_eq!(i.pick(Some(Some("NotAnIndex")), none).key, "pypi");
    }

    #[test]
    fn keys_names_and_labels_are_looked_up() {
        let i = two();
        assert!(i.several() && i.from_tables());
        assert_eq!(i.named("testpypi").unwrap().name, "TestPyPI");
        assert_eq!(i.named("TESTPYPI").unwrap().key, "testpypi");
        assert!(i.named("npm").is_none());
        assert!(i.of_request("gone").is_none());
        assert_eq!(i.of_request(SINGLE_INDEX_KEY).unwrap().key, "pypi");
        assert!(i.is_index_label("TEST PYPI ISSUE"));
        assert!(!i.is_index_label("pypi"));
        assert!(Indexes::tables(vec![index("a", "A", None)], "b").is_none());
    }
}
