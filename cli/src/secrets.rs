//! Reading the signing secrets: from `--secrets-file` or `SESSION_SECRETS`, never from an
//! argument (the command line is visible to every user of the machine through `ps`).

use std::path::Path;

use crate::error::Failure;

/// The environment variable holding the secrets.
pub const ENV: &str = "SESSION_SECRETS";

/// The secrets, first (the one that signs) first.
pub struct Secrets(Vec<String>);

impl Secrets {
    /// From `file` when given, else from `SESSION_SECRETS`.
    pub fn load(file: Option<&Path>) -> Result<Self, Failure> {
        let (text, source) = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Failure::usage(format!(
                        "cannot read the secrets file {}: {e}",
                        path.display()
                    ))
                })?;
                (text, format!("the secrets file {}", path.display()))
            }
            None => match std::env::var(ENV) {
                Ok(text) => (text, ENV.to_owned()),
                Err(std::env::VarError::NotPresent) => {
                    return Err(Failure::usage(format!(
                        "no secrets: set {ENV} (one secret per line, or a JSON array of \
                         strings) or pass --secrets-file PATH"
                    )))
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Failure::usage(format!("{ENV} is not valid UTF-8")))
                }
            },
        };
        let secrets = parse(&text).map_err(|why| Failure::usage(format!("{source}: {why}")))?;
        Ok(Self(secrets))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// One secret per line (blank lines skipped; the line ending, `\n` or `\r\n`, is not part of
/// the secret, other whitespace is), or, when the text starts with `[`, a JSON array of
/// strings (the form express apps keep their `secret` list in). Errors never quote the text.
fn parse(text: &str) -> Result<Vec<String>, String> {
    let secrets: Vec<String> = if text.trim_start().starts_with('[') {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "starts with '[' but is not a JSON array (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let items = value
            .as_array()
            .ok_or("starts with '[' but is not a JSON array")?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("item {i} of the JSON array is not a string"))
            })
            .collect::<Result<_, _>>()?
    } else {
        text.lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .filter(|line| !line.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    if secrets.is_empty() {
        return Err("holds no secret".to_owned());
    }
    if secrets.iter().any(String::is_empty) {
        return Err("holds an empty secret".to_owned());
    }
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_json_arrays() {
        assert_eq!(
            parse("new secret\r\n\nold, with comma\n").unwrap(),
            ["new secret", "old, with comma"]
        );
        assert_eq!(
            parse(r#"["a b", "keyboard cat"]"#).unwrap(),
            ["a b", "keyboard cat"]
        );
        assert!(parse("\n \n").is_err());
        assert!(parse(r#"["ok", ""]"#).is_err());
        let err = parse(r#"["hunter2", 42]"#).unwrap_err();
        assert!(!err.contains("hunter2") && !err.contains("42"), "{err}");
        let err = parse("[hunter2").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
