//! `sessions inspect`: what a cookie value or token is, whether it verifies, and what the
//! store holds for it.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Map, Value};
use session_core::{
    EncryptedFormat, JwtFormat, Keyring, Opened, SessionId, SessionState, SignedFormat,
    StatelessKeys, TokenFormat, Unsigned,
};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::codec::{AnyCodec, CodecName};
use crate::error::{Exit, Failure};
use crate::output::{instant, print_json, relative, span};
use crate::secrets::Secrets;
use crate::Global;

/// `sessions inspect`'s arguments.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The cookie's value (`s:<id>.<signature>`, percent-encoded or not; `name=value` as a
    /// browser shows it also works) or a stateless token (JWT, `v1.` signed, `e2.`
    /// encrypted); `-` reads it from standard input, which keeps it out of `ps`.
    #[arg(
        value_name = "VALUE",
        required_unless_present = "id",
        conflicts_with = "id"
    )]
    value: Option<String>,
    /// Look up a bare session id in the store instead (no signature to check).
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Read the secrets from this file instead of SESSION_SECRETS (same format).
    #[arg(long, value_name = "PATH")]
    secrets_file: Option<PathBuf>,
    /// The cookie's name, which signed and encrypted tokens are bound to [default: id, or
    /// the name before `=` in VALUE].
    #[arg(long, value_name = "NAME")]
    cookie_name: Option<String>,
    /// The issuer the application's JwtFormat is configured with.
    #[arg(long, value_name = "ISS")]
    jwt_issuer: Option<String>,
    /// The audience the application's JwtFormat is configured with.
    #[arg(long, value_name = "AUD")]
    jwt_audience: Option<String>,
    /// The clock-skew leeway of the application's JwtFormat, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    jwt_leeway: u64,
}

/// What `inspect` found, for people and for `--json` alike.
struct Report {
    /// Label and text, in order, for people.
    lines: Vec<(&'static str, String)>,
    /// The same, for `--json`.
    doc: Map<String, Value>,
    /// What is wrong, in plain words: any makes the exit code 1.
    problems: Vec<String>,
    /// Worth knowing, not wrong.
    notes: Vec<String>,
}

impl Report {
    fn new(kind: &str) -> Self {
        let mut doc = Map::new();
        doc.insert("kind".into(), kind.into());
        Self {
            lines: Vec::new(),
            doc,
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn field(&mut self, label: &'static str, key: &str, value: Value, text: String) {
        self.doc.insert(key.into(), value);
        self.lines.push((label, text));
    }

    fn finish(mut self, global: &Global) -> Exit {
        let valid = self.problems.is_empty();
        if global.json {
            self.doc.insert("valid".into(), valid.into());
            self.doc.insert("problems".into(), json!(self.problems));
            self.doc.insert("notes".into(), json!(self.notes));
            print_json(&Value::Object(self.doc));
        } else {
            for (label, text) in &self.lines {
                println!("{:<11} {text}", format!("{label}:"));
            }
            for note in &self.notes {
                println!("note:       {note}");
            }
            for problem in &self.problems {
                println!("PROBLEM:    {problem}");
            }
            if valid {
                println!("verdict:    valid");
            } else {
                println!("verdict:    NOT valid");
            }
        }
        if valid {
            Exit::Ok
        } else {
            Exit::Findings
        }
    }
}

pub async fn run(args: InspectArgs, global: &Global) -> Result<Exit, Failure> {
    let now = global.now();
    if let Some(id) = &args.id {
        let Some(id) = SessionId::parse(id) else {
            return Err(Failure::usage("--id: a session id is not empty"));
        };
        let mut report = Report::new("session-id");
        report.field("id", "id", id.as_str().into(), id.as_str().to_owned());
        look_up(&mut report, &id, global, now).await?;
        return Ok(report.finish(global));
    }
    let mut value = match args.value.as_deref() {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
            text
        }
        Some(value) => value.to_owned(),
        None => return Err(Failure::usage("give a VALUE to inspect, or --id")),
    };
    value = value.trim().trim_matches('"').to_owned();
    let mut cookie_name = args.cookie_name.clone();
    // `name=value`, as a browser's storage panel or a `Cookie` header shows it: no cookie
    // value or token this tool reads contains `=`.
    if let Some((name, rest)) = value.split_once('=') {
        if !name.is_empty() && !name.contains([' ', ';', ',']) {
            cookie_name.get_or_insert_with(|| name.to_owned());
            value = rest.trim().to_owned();
        }
    }
    if value.contains('%') {
        value = session_core::decode_uri_component(&value).ok_or_else(|| {
            Failure::usage("the value is not valid percent-encoding (a cookie is encoded once)")
        })?;
    }
    let cookie_name = cookie_name.unwrap_or_else(|| "id".to_owned());
    let secrets = Secrets::load(args.secrets_file.as_deref())?;

    if value.starts_with("s:") {
        return signed_cookie(&value, &secrets, global, now).await;
    }
    let keys = |what: &str| {
        StatelessKeys::new(secrets.as_slice()).map_err(|e| {
            Failure::usage(format!(
                "{what} need secrets of 32 bytes or more, as the application's StatelessKeys: {e}"
            ))
        })
    };
    let report = if value.starts_with("v1.") {
        let format = SignedFormat::new(keys("signed tokens")?);
        token(&value, "signed-token", &format, &cookie_name, now)
    } else if value.starts_with("e1.") || value.starts_with("e2.") {
        let format = EncryptedFormat::new(keys("encrypted tokens")?);
        token(&value, "encrypted-token", &format, &cookie_name, now)
    } else if jwt_header(&value).is_some() {
        let mut format = JwtFormat::new(keys("JWTs")?).leeway(Duration::from_secs(args.jwt_leeway));
        if let Some(issuer) = &args.jwt_issuer {
            format = format.issuer(issuer);
        }
        if let Some(audience) = &args.jwt_audience {
            format = format.audience(audience);
        }
        let mut report = token(&value, "jwt", &format, &cookie_name, now);
        if !report.problems.is_empty() {
            diagnose_jwt(&mut report, &value, &secrets, &format, &cookie_name, now);
        }
        report
    } else {
        let mut report = Report::new("unknown");
        report.problems.push(
            "malformed: neither a signed cookie (s:<id>.<signature>, as express-session writes \
             it) nor a stateless token (a JWT, a v1. signed or an e2. encrypted token)"
                .to_owned(),
        );
        if value.len() == 32 && URL_SAFE_NO_PAD.decode(&value).is_ok() {
            report.notes.push(
                "this looks like a bare session id: `sessions inspect --id ID` looks it up"
                    .to_owned(),
            );
        }
        report
    };
    Ok(report.finish(global))
}

/// express-session's signed id: check the signature, then look the id up.
async fn signed_cookie(
    value: &str,
    secrets: &Secrets,
    global: &Global,
    now: OffsetDateTime,
) -> Result<Exit, Failure> {
    let mut report = Report::new("signed-cookie");
    let ring = Keyring::new(secrets.as_slice())
        .map_err(|e| Failure::usage(format!("the secrets: {e}")))?;
    match ring.verify(value) {
        Err(Unsigned::Malformed) => {
            report.problems.push(
                "malformed: a signed cookie is s:<id>.<signature>, the signature 43 \
                 characters of base64; this one is cut short or altered"
                    .to_owned(),
            );
            Ok(report.finish(global))
        }
        Err(Unsigned::BadSignature) => {
            report.problems.push(format!(
                "bad signature: it matches none of the {} secret(s) given; it was signed \
                 with a secret not in the list (an unknown or retired secret), or altered",
                ring.len()
            ));
            Ok(report.finish(global))
        }
        Ok(verified) => {
            let index = verified.key_index;
            valid_signature(&mut report, index);
            if index > 0 {
                report.notes.push(format!(
                    "signed with an older secret (#{index}): it verifies while that secret \
                     stays in the list"
                ));
            }
            let Some(id) = SessionId::parse(verified.id) else {
                return Err(Failure::usage("the cookie holds an empty id"));
            };
            report.field("id", "id", id.as_str().into(), id.as_str().to_owned());
            look_up(&mut report, &id, global, now).await?;
            Ok(report.finish(global))
        }
    }
}

/// Adds what the store holds for `id` to `report`.
async fn look_up(
    report: &mut Report,
    id: &SessionId,
    global: &Global,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    let Some(target) = global.target_opt()? else {
        report
            .notes
            .push("no --store (or SESSION_STORE_URL): the session was not looked up".to_owned());
        return Ok(());
    };
    let store = target.open(global.timeout, false).await?;
    let shown = &target.shown;
    report.field("store", "store", shown.as_str().into(), shown.clone());
    let found = store
        .load(id, now)
        .await
        .map_err(|e| Failure::store("loading the session", shown, &e))?;
    let Some(record) = found else {
        // Loaded as of 1970, a row that has expired but is still kept comes back.
        let kept = store
            .load(id, OffsetDateTime::UNIX_EPOCH)
            .await
            .map_err(|e| Failure::store("loading the session", shown, &e))?;
        report.doc.insert("found".into(), false.into());
        match kept {
            Some(record) => {
                report.field(
                    "expired",
                    "expires_at",
                    instant(record.expires_at).into(),
                    format!(
                        "{} ({})",
                        instant(record.expires_at),
                        relative(record.expires_at, now)
                    ),
                );
                report.problems.push(format!(
                    "expired {}: the store still keeps the record until purge-expired runs",
                    relative(record.expires_at, now)
                ));
            }
            None => report.problems.push(
                "not in the store: it expired, was revoked (logged out, regenerated), or was \
                 never saved"
                    .to_owned(),
            ),
        }
        return Ok(());
    };
    report.doc.insert("found".into(), true.into());
    report.field(
        "expires",
        "expires_at",
        instant(record.expires_at).into(),
        format!(
            "{} ({})",
            instant(record.expires_at),
            relative(record.expires_at, now)
        ),
    );
    let user_text = match (&record.user, store.has_user_index()) {
        (Some(user), _) => user.clone(),
        (None, true) => "none (anonymous)".to_owned(),
        (None, false) => format!("not kept by the {} layout", store.layout()),
    };
    report.field("user", "user", json!(record.user), user_text);
    let codec_name = global.codec.unwrap_or_else(|| target.default_codec());
    let codec = AnyCodec::new(codec_name, None)?;
    report.field(
        "record",
        "record",
        json!({"version": record.version, "payload_bytes": record.payload.len(),
               "codec": codec_name.name()}),
        format!(
            "version {}, {} bytes, {} codec",
            record.version,
            record.payload.len(),
            codec_name.name()
        ),
    );
    match codec.decode(&record.payload) {
        Ok(state) => {
            describe_state(report, &state, now);
            let last = match codec_name {
                CodecName::Express => express_last_touch(&record.payload),
                _ => None,
            };
            match last {
                Some(at) => report.field(
                    "last seen",
                    "last_seen",
                    instant(at).into(),
                    format!(
                        "{} ({}; express's cookie.expires - originalMaxAge)",
                        instant(at),
                        relative(at, now)
                    ),
                ),
                None => report.field(
                    "last seen",
                    "last_seen",
                    Value::Null,
                    "not recorded by this layout".to_owned(),
                ),
            }
        }
        Err(e) => report.problems.push(format!(
            "the record does not decode with the {} codec ({e}); see --codec",
            codec_name.name()
        )),
    }
    Ok(())
}

/// Creation time, own max-age and data keys.
fn describe_state(report: &mut Report, state: &SessionState, now: OffsetDateTime) {
    if state.created_at == OffsetDateTime::UNIX_EPOCH {
        report.field("created", "created_at", Value::Null, "unknown".to_owned());
    } else {
        report.field(
            "created",
            "created_at",
            instant(state.created_at).into(),
            format!(
                "{} ({})",
                instant(state.created_at),
                relative(state.created_at, now)
            ),
        );
    }
    if let Some(max_age) = state.max_age {
        let text = if max_age.is_zero() {
            "browser session (its own choice)".to_owned()
        } else {
            span(time::Duration::try_from(max_age).unwrap_or(time::Duration::MAX))
        };
        report.field(
            "max-age",
            "max_age_ms",
            json!(max_age.as_millis() as u64),
            text,
        );
    }
    let mut keys: Vec<&String> = state.data.keys().collect();
    keys.sort();
    let text = if keys.is_empty() {
        "(none)".to_owned()
    } else {
        format!(
            "{} ({})",
            keys.iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            keys.len()
        )
    };
    report.field("data keys", "keys", json!(keys), text);
}

/// When express last touched a record it wrote: `cookie.expires - cookie.originalMaxAge`.
fn express_last_touch(payload: &[u8]) -> Option<OffsetDateTime> {
    let record: Value = serde_json::from_slice(payload).ok()?;
    let cookie = record.get("cookie")?;
    let expires = cookie.get("expires")?.as_str()?;
    let expires =
        OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339).ok()?;
    let max_age = cookie.get("originalMaxAge")?.as_f64()?;
    if !max_age.is_finite() || max_age.abs() > 1e15 {
        return None;
    }
    expires.checked_sub(time::Duration::milliseconds(max_age as i64))
}

/// A stateless token: open it, or say why it does not open.
fn token(
    value: &str,
    kind: &str,
    format: &dyn TokenFormat,
    cookie_name: &str,
    now: OffsetDateTime,
) -> Report {
    let mut report = Report::new(kind);
    report.notes.push(
        "stateless: the session travels in the token and nothing is stored; it is valid until \
         it expires unless the application keeps a revocation list (not checked here)"
            .to_owned(),
    );
    if let Some(opened) = format.open(value, cookie_name, now) {
        describe_token(&mut report, &opened, now);
        return report;
    }
    // The same token read as of long ago: if it opens then, only its expiry is wrong.
    let long_ago = OffsetDateTime::UNIX_EPOCH;
    if let Some(opened) = format.open(value, cookie_name, long_ago) {
        describe_token(&mut report, &opened, now);
        report.problems.push(format!(
            "expired {} ({})",
            relative(opened.claims.expires_at, now),
            instant(opened.claims.expires_at)
        ));
        return report;
    }
    report.problems.push(match kind {
        "signed-token" if value.matches('.').count() == 2 => format!(
            "bad signature: it verifies with none of the secrets for cookie name {cookie_name:?} \
             (signed tokens are bound to the cookie's name: see --cookie-name); signed with \
             another secret, or altered"
        ),
        "encrypted-token" => format!(
            "does not decrypt with any of the secrets for cookie name {cookie_name:?} (the name \
             is bound in: see --cookie-name): another secret, or altered, or cut short"
        ),
        "jwt" => "does not verify (see below)".to_owned(),
        _ => "malformed: not a token of this format".to_owned(),
    });
    report
}

/// The `signature` field of a value that verified, naming the secret by its index.
fn valid_signature(report: &mut Report, index: usize) {
    let which = if index == 0 {
        "secret #0, the current one".to_owned()
    } else {
        format!("secret #{index}, an older one")
    };
    report.field(
        "signature",
        "secret_index",
        index.into(),
        format!("valid ({which})"),
    );
}

fn describe_token(report: &mut Report, opened: &Opened, now: OffsetDateTime) {
    let claims = &opened.claims;
    let index = opened.key_index;
    valid_signature(report, index);
    if index > 0 {
        report.notes.push(format!(
            "issued with an older secret (#{index}): it opens while that secret stays in the list"
        ));
    }
    report.field(
        "id",
        "id",
        claims.id.as_str().into(),
        claims.id.as_str().to_owned(),
    );
    report.field(
        "issued",
        "issued_at",
        instant(claims.issued_at).into(),
        format!(
            "{} ({})",
            instant(claims.issued_at),
            relative(claims.issued_at, now)
        ),
    );
    report.field(
        "expires",
        "expires_at",
        instant(claims.expires_at).into(),
        format!(
            "{} ({})",
            instant(claims.expires_at),
            relative(claims.expires_at, now)
        ),
    );
    describe_state(report, &claims.state, now);
}

/// The decoded header of a compact JWT, if `value` is shaped like one.
fn jwt_header(value: &str) -> Option<Map<String, Value>> {
    let mut parts = value.split('.');
    let (header, _, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Map<String, Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    header.contains_key("alg").then_some(header)
}

/// Why a JWT did not open: its algorithm, its signature (checked with each secret's HS256
/// key, [`JwtFormat::verification_key`]), its times, its claims.
fn diagnose_jwt(
    report: &mut Report,
    value: &str,
    secrets: &Secrets,
    format: &JwtFormat,
    cookie_name: &str,
    now: OffsetDateTime,
) {
    report.problems.clear();
    let header = jwt_header(value).unwrap_or_default();
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("?");
    if alg != "HS256" {
        report.problems.push(format!(
            "refused: the header's algorithm is {alg:?}; only HS256 tokens are accepted"
        ));
        return;
    }
    let Some((signing_input, signature)) = value.rsplit_once('.') else {
        report.problems.push("malformed JWT".to_owned());
        return;
    };
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    let signer = secrets.as_slice().iter().position(|secret| {
        let key = JwtFormat::verification_key(secret);
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return false;
        };
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&signature).is_ok()
    });
    let Some(index) = signer else {
        report.problems.push(
            "bad signature: no secret given signs this JWT (another secret, or altered)".to_owned(),
        );
        return;
    };
    let claims: Map<String, Value> = signing_input
        .split('.')
        .nth(1)
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|c| serde_json::from_slice(&c).ok())
        .unwrap_or_default();
    let time_of = |key: &str| {
        claims
            .get(key)
            .and_then(Value::as_i64)
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
    };
    let leeway = TokenFormat::leeway(format);
    // Read as of its own issue time: if it opens then, its times are what is wrong.
    let at = time_of("nbf").or_else(|| time_of("iat"));
    if let Some(opened) = at.and_then(|at| format.open(value, cookie_name, at)) {
        describe_token(report, &opened, now);
        if let Some(exp) = time_of("exp").filter(|exp| *exp + leeway <= now) {
            report.problems.push(format!(
                "expired {} ({}, leeway {} s)",
                relative(exp, now),
                instant(exp),
                leeway.whole_seconds()
            ));
        } else {
            report.problems.push(format!(
                "not valid yet: nbf or iat is {} (leeway {} s); the issuer's clock runs ahead",
                at.map(|at| relative(at, now)).unwrap_or_default(),
                leeway.whole_seconds()
            ));
        }
        return;
    }
    report.field(
        "signature",
        "secret_index",
        index.into(),
        format!("valid (secret #{index}) but the token is refused"),
    );
    if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
        report.field("id", "id", jti.into(), jti.to_owned());
    }
    let mut why = Vec::new();
    if claims.get("exp").and_then(Value::as_i64).is_none() {
        why.push("no numeric exp");
    }
    if claims.get("jti").and_then(Value::as_str).is_none() {
        why.push("no jti (session id)");
    }
    if claims.contains_key("aud") {
        why.push("an aud this tool was not told to accept (see --jwt-audience)");
    }
    if claims.contains_key("iss") {
        why.push("an iss that may differ from --jwt-issuer");
    }
    if header.contains_key("crit") {
        why.push("a crit header");
    }
    report.problems.push(if why.is_empty() {
        "the signature is valid but the claims are refused (issuer, audience, or a session key \
         of the wrong type)"
            .to_owned()
    } else {
        format!(
            "the signature is valid but the claims are refused: {}",
            why.join("; ")
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn express_records_say_when_they_were_touched() {
        let payload =
            br#"{"cookie":{"originalMaxAge":3600000,"expires":"2030-01-01T01:00:00.000Z"}}"#;
        assert_eq!(
            express_last_touch(payload),
            Some(time::macros::datetime!(2030-01-01 0:00 UTC))
        );
        assert_eq!(express_last_touch(br#"{"cookie":{"expires":null}}"#), None);
    }

    #[test]
    fn jwts_are_told_by_their_header() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        assert!(jwt_header(&format!("{header}.e30.sig")).is_some());
        assert!(jwt_header("s:abc.def").is_none());
        assert!(jwt_header(&format!("{header}.e30")).is_none());
    }
}
