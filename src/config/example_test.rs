//! `recovery-bot.example.toml` holds every key the config file accepts.

use super::*;
use crate::recovery::replies::ReplyConfig;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// The field names a `Deserialize` struct accepts, read from the derive
/// itself (it names them when it asks for a struct).
fn fields<'de, T: Deserialize<'de>>() -> Vec<&'static str> {
    struct Names(Vec<&'static str>);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("stop")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    impl<'de> Deserializer<'de> for &mut Names {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0.extend_from_slice(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut names = Names(Vec::new());
    let _ = T::deserialize(&mut names);
    names.0
}

const EXAMPLE: &str = include_str!("../../recovery-bot.example.toml");
const TWO_INDEXES: &str = include_str!("../../recovery-bot.two-indexes.example.toml");

/// Keys shown in the two-index example, not the main one (they cannot be
/// set beside the main one's top-level index settings).
const INDEX_KEYS: [&str; 2] = ["default_index", "indexes"];

/// The example with its commented-out settings (`# key = value`) put
/// back, so they are read and checked too.
fn uncommented() -> String {
    uncomment(EXAMPLE)
}

fn uncomment(text: &str) -> String {
    let setting = regex::Regex::new(r"^#\s?([a-z_]+\s*=.*)$").unwrap();
    text.lines()
        .map(|l| setting.replace(l, "$1").into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_example_is_accepted_as_it_is_and_uncommented() {
    toml::from_str::<FileSettings>(EXAMPLE).unwrap();
    toml::from_str::<FileSettings>(&uncommented()).unwrap();
}

#[test]
fn every_key_the_file_accepts_is_in_the_example() {
    let example: toml::Table = toml::from_str(&uncommented()).unwrap();
    // The nested tables and the keys each accepts.
    let tables: [(&str, Vec<&str>); 3] = [
        ("jobs", fields::<JobSettings>()),
        ("labels", fields::<Labels>()),
        ("form", fields::<FormSettings>()),
    ];
    let top = fields::<FileSettings>();
    assert!(top.len() > 20, "{top:?}");
    for key in top.iter().filter(|k| !INDEX_KEYS.contains(k)) {
        assert!(
            example.contains_key(*key),
            "`{key}` is missing from the example"
        );
        if let Some(toml::Value::Table(t)) = example.get(*key) {
            if *key == "replies" {
                let reply_keys = fields::<ReplyConfig>();
                let example_reply = t.values().next().and_then(|v| v.as_table()).unwrap();
                for k in reply_keys {
                    assert!(example_reply.contains_key(k), "[replies.*] {k} missing");
                }
                continue;
            }
            let (_, keys) = tables
                .iter()
                .find(|(name, _)| name == key)
                .unwrap_or_else(|| panic!("[{key}]: add its struct to `tables` above"));
            for k in keys {
                assert!(
                    t.contains_key(*k),
                    "[{key}] {k} is missing from the example"
                );
            }
        }
    }
    // `[labels]` keys are what `Labels::all` names (its state keys are
    // `State::as_str`).
    let mut keys: Vec<&str> = Labels::default()
        .all()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut want = fields::<Labels>();
    keys.sort_unstable();
    want.sort_unstable();
    assert_eq!(keys, want);
}

#[test]
fn the_two_index_example_holds_every_index_key_and_resolves() {
    let example: toml::Table = toml::from_str(&uncomment(TWO_INDEXES)).unwrap();
    for key in INDEX_KEYS {
        assert!(
            example.contains_key(key),
            "`{key}` is missing from the two-index example"
        );
    }
    let pypi = example["indexes"]["pypi"].as_table().unwrap();
    for k in fields::<super::indexes::IndexTable>() {
        assert!(
            pypi.contains_key(k),
            "[indexes.pypi] {k} is missing from the two-index example"
        );
    }
    let settings = Settings::resolve(
        SettingsArgs::default(),
        toml::from_str(TWO_INDEXES).unwrap(),
    )
    .unwrap();
    let indexes = settings.indexes();
    assert_eq!(indexes.iter().count(), 2);
    assert_eq!(indexes.default_index().name, "PyPI");
    assert_eq!(
        indexes.get("testpypi").unwrap().label.as_deref(),
        Some("test pypi issue")
    );
}

#[test]
fn label_names_are_checked() {
    let long = "x".repeat(51);
    let err = Settings::resolve(
        SettingsArgs::default(),
        toml::from_str(&format!(
            "[labels]\nverified = \"{long}\"\npending = \" \"\n"
        ))
        .unwrap(),
    )
    .unwrap_err();
    let problems = &err.downcast_ref::<Problems>().unwrap().0;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("[labels] verified") && p.contains("50"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("[labels] pending") && p.contains("empty"))
    );
    let ok = "y".repeat(50);
    Settings::resolve(
        SettingsArgs::default(),
        toml::from_str(&format!("[labels]\nverified = \"{ok}\"\n")).unwrap(),
    )
    .unwrap();
}
