//! What a build tells the user about the signature it puts on a package: the key's own
//! warnings (an RSA key below 3072 bits), and ECDSA on the Windows versions where nobody here
//! could confirm that Windows accepts it.

use crate::target::{OsFamily, Target};
use msikit::sign::credentials::Credentials;

/// The warnings for signing `target`'s package with `credentials`, in a stable order.
pub fn for_target(credentials: &Credentials, target: Target) -> Vec<String> {
    let mut warnings = credentials.warnings.clone();
    let unconfirmed = matches!(
        target.family,
        OsFamily::Win7 | OsFamily::Win8 | OsFamily::Win81
    );
    if credentials.algorithm().is_ecdsa() && unconfirmed {
        warnings.push(format!(
            "{} is signed with {}: that {} accepts ECDSA Authenticode signatures on MSI packages \
             is not confirmed; sign it with an RSA key if it must verify there",
            target.name(),
            credentials.algorithm().describe(),
            target.family.label()
        ));
    }
    warnings
}
