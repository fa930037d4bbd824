//! deb822 control paragraphs (`.deb` `control`, `.dsc`): `Field: value` lines with continuation
//! lines starting with a space or tab; an OpenPGP clear-signature wrapper (as on `.dsc` files) is
//! removed first (not verified: the bundle's own signature covers the file).

use super::PackageError;

/// One paragraph's fields in file order; names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paragraph {
    fields: Vec<(String, String)>,
}

impl Paragraph {
    /// The value of `name` (first occurrence), continuation lines joined with `\n`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of a required field, or an error naming it and `what`.
    ///
    /// # Errors
    /// [`PackageError::MissingField`].
    pub fn require(&self, what: &str, name: &str) -> Result<&str, PackageError> {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .map(str::trim)
            .ok_or_else(|| PackageError::MissingField {
                what: what.to_owned(),
                field: name.to_owned(),
            })
    }
}

/// Parses the first paragraph of `text`, named `what` in errors.
///
/// # Errors
/// [`PackageError::Control`] with the 1-based line of a line that is neither a field nor a
/// continuation.
pub fn parse(what: &str, text: &str) -> Result<Paragraph, PackageError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    let signed = text.starts_with("-----BEGIN PGP SIGNED MESSAGE-----");
    if signed {
        // Skip the armor header lines up to the first blank line.
        for (_, l) in lines.by_ref() {
            if l.trim().is_empty() {
                break;
            }
        }
    }
    // Leading blank lines before the paragraph are allowed.
    while lines.peek().is_some_and(|(_, l)| l.trim().is_empty()) {
        lines.next();
    }
    for (n, line) in lines {
        if line.starts_with("-----BEGIN PGP SIGNATURE-----") || line.trim().is_empty() {
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some((_, v)) = fields.last_mut() else {
                return Err(PackageError::Control {
                    what: what.to_owned(),
                    line: n + 1,
                    detail: "continuation line before any field".to_owned(),
                });
            };
            v.push('\n');
            v.push_str(line.trim());
            continue;
        }
        let Some((k, v)) = line
            .split_once(':')
            .filter(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_graphic() && b != b':'))
        else {
            return Err(PackageError::Control {
                what: what.to_owned(),
                line: n + 1,
                detail: format!("expected `Field: value`, found {:?}", clip(line)),
            });
        };
        fields.push((k.to_owned(), v.trim().to_owned()));
    }
    if fields.is_empty() {
        return Err(PackageError::Control {
            what: what.to_owned(),
            line: 1,
            detail: "no fields".to_owned(),
        });
    }
    Ok(Paragraph { fields })
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}
