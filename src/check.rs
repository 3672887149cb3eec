//! `recovery-bot check`: parse and validate issue bodies offline, no
//! database or network. Exit 0 when every body is valid, 1 when one is not,
//! 2 on a usage or read error.

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::form::{self, Rules, Template};
use crate::recovery::messages;

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Issue bodies to check; `-` or none reads standard input.
    pub files: Vec<String>,
    /// The issue form to read them with [default: the built-in form].
    #[arg(long)]
    pub template: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

pub const VALID: u8 = 0;
pub const INVALID: u8 = 1;
pub const ERROR: u8 = 2;

/// Runs the check; returns the exit code.
pub fn run(
    args: &CheckArgs,
    rules: &Rules,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let template = match &args.template {
        None => Template::default_recovery(),
        Some(path) => match load_template(path, rules) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "recovery-bot check: template {}: {e}", path.display());
                return ERROR;
            }
        },
    };
    let inputs: Vec<String> = if args.files.is_empty() {
        vec!["-".to_owned()]
    } else {
        args.files.clone()
    };
    let several = inputs.len() > 1;
    let mut code = VALID;
    let mut stdin_used = false;
    for name in &inputs {
        let body = match read_body(name, stdin, &mut stdin_used) {
            Ok(b) => b,
            Err(e) => {
                let _ = writeln!(err, "recovery-bot check: {name}: {e}");
                code = ERROR;
                continue;
            }
        };
        let response = form::parse(&template, Some(&body));
        let validation = form::validate(&template, &response, rules);
        if !validation.is_valid() && code == VALID {
            code = INVALID;
        }
        let problems: Vec<(String, String)> = validation
            .problems
            .iter()
            .map(|p| (p.field.clone(), messages::problem(p, &template)))
            .collect();
        let file = several.then_some(name.as_str());
        let _ = write_result(out, args.format, file, &validation, &problems);
    }
    code
}

/// The `--template` file, read with the configured username field.
fn load_template(path: &std::path::Path, rules: &Rules) -> Result<Template, String> {
    std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            Template::from_yaml_with(&t, rules.username_field.as_deref()).map_err(|e| e.to_string())
        })
}

/// One body: the file `name`, or standard input for `-` (once only).
fn read_body(name: &str, stdin: &mut dyn Read, stdin_used: &mut bool) -> Result<String, String> {
    if name == "-" {
        if *stdin_used {
            Err("standard input can be read only once".to_owned())
        } else {
            *stdin_used = true;
            let mut s = String::new();
            stdin
                .read_to_string(&mut s)
                .map(|_| s)
                .map_err(|e| e.to_string())
        }
    } else {
        std::fs::read_to_string(name).map_err(|e| e.to_string())
    }
}

/// One body's result, in `format`; `file` names it when several were given.
fn write_result(
    out: &mut dyn Write,
    format: Format,
    file: Option<&str>,
    validation: &form::Validation,
    problems: &[(String, String)],
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            let mut v = json!({
                "valid": validation.is_valid(),
                "fields": validation.fields_json(),
                "problems": problems
                    .iter()
                    .map(|(f, m)| json!({"field": f, "message": m}))
                    .collect::<Vec<Value>>(),
            });
            if let Some(name) = file {
                v["file"] = json!(name);
            }
            writeln!(out, "{v}")
        }
        Format::Text => {
            let head = match file {
                Some(name) => format!("{name}: "),
                None => String::new(),
            };
            if validation.is_valid() {
                writeln!(out, "{head}valid")
            } else {
                let mut s = format!("{head}invalid ({} problem(s))\n", problems.len());
                for (field, message) in problems {
                    s.push_str(&format!("  - {field}: {message}\n"));
                }
                write!(out, "{s}")
            }
        }
    }
}
