//! What this product's own custom action (the proxy DLL) writes into the log. Its refusals and
//! errors name the real cause of a refused or failed install, which the launch condition or
//! the exit code alone would blame on the machine.

use crate::model::proxy::{BINARY_ID, SERVER_PROPERTY};
use std::collections::BTreeMap;

/// At most this many lines are kept: a hostile log cannot grow the report.
pub(super) const MAX_LINES: usize = 20;

/// The text of a line the proxy DLL logged that says it refused or failed; Windows may put
/// its own decoration before the prefix, Wine writes the prefix first.
pub(super) fn notable_line(line: &str) -> Option<String> {
    let prefix = format!("{BINARY_ID}: ");
    let (_, text) = line.split_once(prefix.as_str())?;
    let text = text.trim();
    let notable = text.contains("refused") || text.starts_with("ERROR:") || text.contains("failed");
    notable.then(|| format!("{prefix}{text}"))
}

/// The advice that matches what the custom action said, if it said anything notable.
pub(super) fn advice(lines: &[String], properties: &BTreeMap<String, String>) -> Option<String> {
    if lines.iter().any(|line| line.contains("not host:port")) {
        let given = match properties.get(SERVER_PROPERTY) {
            Some(value) => format!("it was \"{value}\""),
            None => "it was not given".to_string(),
        };
        return Some(format!(
            "The proxy custom action refused {SERVER_PROPERTY} ({given}): give it as host:port, \
             e.g. msiexec /i PACKAGE.msi {SERVER_PROPERTY}=proxy.contoso.com:8080 /qn. The \
             machine itself is fine for this package."
        ));
    }
    let error = lines
        .iter()
        .find_map(|line| line.split_once("ERROR:").map(|(_, what)| what.trim()))?;
    Some(format!(
        "The proxy custom action failed: {error}. Its rollback restores the earlier registry \
         values; fix what it names and install again."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_and_errors_of_the_proxy_dll_are_kept() {
        let refused =
            "SsprProxyCA: PROXYSERVER is missing or not host:port; the install is refused";
        assert_eq!(notable_line(refused).as_deref(), Some(refused));
        assert_eq!(
            notable_line(
                "MSI (s) (2C:44) [10:30:02:000]: SsprProxyCA: ERROR: no ProfileList\\Default"
            )
            .as_deref(),
            Some("SsprProxyCA: ERROR: no ProfileList\\Default")
        );
        assert_eq!(notable_line("SsprProxyCA: PROXYSERVER is host:port"), None);
        assert_eq!(notable_line("OtherCA: ERROR: x"), None);
    }

    #[test]
    fn a_refused_proxy_server_is_advised_as_such() {
        let lines = vec![notable_line(
            "SsprProxyCA: PROXYSERVER is missing or not host:port; the install is refused",
        )
        .unwrap()];
        let properties = BTreeMap::from([("PROXYSERVER".to_string(), "proxy".to_string())]);
        let advice = advice(&lines, &properties).unwrap();
        assert!(
            advice.contains("refused PROXYSERVER (it was \"proxy\")"),
            "{advice}"
        );
        assert!(advice.contains("host:port"), "{advice}");
        assert_eq!(super::advice(&[], &properties), None);
    }
}
