//! Grammars of the small strings in a config: ids, locales, origins, URLs, colours.
//! Each check returns a message that says what is wrong and what would be right.

/// Ids of surveys, questions, options and alerts: they end up in URLs, CSV headers and SQL
/// filters, so keep them boring.
pub fn check_id(id: &str) -> Result<(), String> {
    const MAX: usize = crate::wire::limits::MAX_ID_CHARS;
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    if id.len() > MAX {
        return Err(format!(
            "is {} characters long; the limit is {MAX}",
            id.chars().count()
        ));
    }
    let ok_start = id.as_bytes()[0].is_ascii_alphanumeric();
    let ok_rest = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok_start || !ok_rest {
        return Err(format!(
            "\"{id}\" may use only letters, digits, '-' and '_', and must start with a letter or digit"
        ));
    }
    Ok(())
}

/// The site id also names a database partition and a URL segment: lowercase only.
pub fn check_site_id(id: &str) -> Result<(), String> {
    check_id(id)?;
    if id.bytes().any(|b| b.is_ascii_uppercase() || b == b'_') {
        return Err(format!(
            "\"{id}\" may use only lowercase letters, digits and '-'"
        ));
    }
    Ok(())
}

/// A BCP 47 language tag in the usual form: `en`, `nb`, `en-GB`, `zh-Hant`.
pub fn check_locale(tag: &str) -> Result<(), String> {
    let mut parts = tag.split('-');
    let lang = parts.next().unwrap_or_default();
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if lang_ok && rest_ok {
        Ok(())
    } else {
        Err(format!(
            "\"{tag}\" is not a locale; use a lowercase language code with optional subtags, like \"en\", \"nb\" or \"en-GB\""
        ))
    }
}

/// `scheme://host[:port]` exactly as a browser sends it in the `Origin` header: lowercase,
/// no default port, no path. Anything else would never match a request.
pub fn check_origin(origin: &str) -> Result<(), String> {
    let (scheme, rest) = origin.split_once("://").ok_or_else(|| {
        format!("\"{origin}\" is not an origin; write it like \"https://shop.example.com\"")
    })?;
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err(format!("\"{origin}\" must start with https:// or http://")),
    };
    if let Some(i) = rest.find(['/', '?', '#']) {
        let bare = format!("{scheme}://{}", &rest[..i]);
        return Err(format!(
            "an origin has no path, query or fragment: use \"{bare}\""
        ));
    }
    let (host, port) = split_host_port(rest).map_err(|m| format!("\"{origin}\": {m}"))?;
    check_host(host).map_err(|m| format!("\"{origin}\": {m}"))?;
    if port == Some(default_port) {
        let bare = format!("{scheme}://{host}");
        return Err(format!(
            "browsers omit the default port {default_port}: use \"{bare}\""
        ));
    }
    Ok(())
}

/// An absolute http(s) URL, for webhooks and buttons.
pub fn check_http_url(url: &str) -> Result<(), String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return Err(format!("\"{url}\" must be an http:// or https:// URL"));
    };
    if url.len() > crate::wire::limits::MAX_URL_CHARS {
        return Err(format!(
            "is longer than {} characters",
            crate::wire::limits::MAX_URL_CHARS
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "\"{url}\" contains spaces or control characters; percent-encode them"
        ));
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.contains('@') {
        return Err(
            "must not contain a user name or password; put secrets in headers, not URLs".into(),
        );
    }
    let (host, _) = split_host_port(authority).map_err(|m| format!("\"{url}\": {m}"))?;
    check_host(&host.to_ascii_lowercase()).map_err(|m| format!("\"{url}\": {m}"))
}

/// A link on the thanks screen: an absolute http(s) URL or a path on the same site.
pub fn check_link(url: &str) -> Result<(), String> {
    if url.starts_with('/') && !url.starts_with("//") {
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "\"{url}\" contains spaces or control characters; percent-encode them"
            ));
        }
        return Ok(());
    }
    check_http_url(url).map_err(|_| {
        format!("\"{url}\" must be an https:// or http:// URL or a path starting with /")
    })
}

/// `#rgb` or `#rrggbb`.
pub fn check_color(color: &str) -> Result<(), String> {
    let hex = color.strip_prefix('#').unwrap_or("");
    if matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!(
            "\"{color}\" is not a colour; use #rgb or #rrggbb, like \"#4f46e5\""
        ))
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']').ok_or("unclosed [ in IPv6 address")?;
        let after = &rest[end + 1..];
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or("unexpected text after the IPv6 address")?,
            ),
        };
        (&authority[..end + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(p) = port {
        let valid = !p.is_empty()
            && !p.starts_with('0')
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit());
        if !valid || p.parse::<u32>().map_or(true, |n| n > 65535) {
            return Err(format!("\"{p}\" is not a port (1–65535)"));
        }
    }
    Ok((host, port))
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is missing".into());
    }
    if let Some(v6) = host.strip_prefix('[') {
        let inner = v6.trim_end_matches(']');
        return if !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            if inner.bytes().any(|b| b.is_ascii_uppercase()) {
                Err("write the IPv6 address in lowercase".into())
            } else {
                Ok(())
            }
        } else {
            Err(format!("\"{host}\" is not an IPv6 address"))
        };
    }
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "write the host in lowercase (\"{}\"), as browsers send it",
            host.to_ascii_lowercase()
        ));
    }
    if host.contains('*') {
        return Err("wildcards are not allowed; list each origin".into());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if host.len() > 253 || !host.split('.').all(label_ok) {
        return Err(format!("\"{host}\" is not a valid host name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["nps", "post-purchase", "q_1", "A1"] {
            assert_eq!(check_id(ok), Ok(()), "{ok}");
        }
        for bad in ["", "-x", "has space", "é", "a/b", &"x".repeat(65)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert!(check_site_id("demo-shop").is_ok());
        assert!(check_site_id("Demo").is_err());
        assert!(check_site_id("demo_shop").is_err());
    }

    #[test]
    fn locales() {
        for ok in ["en", "nb", "en-GB", "zh-Hant", "es-419", "fil"] {
            assert_eq!(check_locale(ok), Ok(()), "{ok}");
        }
        for bad in ["", "EN", "e", "english", "en_GB", "en-", "en--GB"] {
            assert!(check_locale(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins() {
        for ok in [
            "https://shop.example.com",
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "https://[::1]:8443",
            "https://xn--bcher-kva.example",
        ] {
            assert_eq!(check_origin(ok), Ok(()), "{ok}");
        }
        let cases = [
            ("shop.example.com", "not an origin"),
            ("ftp://example.com", "https:// or http://"),
            ("https://example.com/", "no path"),
            ("https://example.com/shop", "use \"https://example.com\""),
            ("https://Example.com", "lowercase"),
            ("https://example.com:443", "default port 443"),
            ("http://example.com:80", "default port 80"),
            ("https://example.com:0", "not a port"),
            ("https://example.com:99999", "not a port"),
            ("https://*.example.com", "wildcards"),
            ("https://", "host is missing"),
            ("https://exa mple.com", "not a valid host"),
            ("https://[::1", "unclosed"),
        ];
        for (bad, msg) in cases {
            let err = check_origin(bad).unwrap_err();
            assert!(err.contains(msg), "{bad}: {err}");
        }
    }

    #[test]
    fn urls_links_and_colours() {
        assert!(check_http_url("https://hooks.example.com/t/123?x=1").is_ok());
        assert!(
            check_http_url("https://user:pw@hooks.example.com/")
                .unwrap_err()
                .contains("password")
        );
        assert!(check_http_url("javascript:alert(1)").is_err());
        assert!(check_link("/reviews").is_ok());
        assert!(check_link("https://g.page/r/abc").is_ok());
        assert!(check_link("//evil.example").is_err());
        assert!(check_link("javascript:alert(1)").is_err());
        assert!(check_link("/a b").is_err());
        assert!(check_color("#4f46e5").is_ok() && check_color("#fff").is_ok());
        for bad in ["4f46e5", "#4f46e", "#ggg", "red", ""] {
            assert!(check_color(bad).is_err(), "{bad}");
        }
    }
}
