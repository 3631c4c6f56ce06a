//! The catalogue of configuration problems: each kind has a stable id, printed before its
//! message, so that scripts and documentation can name a problem whatever its wording
//! (README, "Configuration error ids"; ids are never reused for another kind).

/// Defines the problem kinds and their catalogue from one list, so that no kind can lack an
/// id, a title or its place in [`ConfigProblem::ALL`].
macro_rules! config_problems {
    ($($kind:ident = $id:literal, $title:literal;)*) => {
        /// A kind of configuration problem.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum ConfigProblem {
            $($kind,)*
        }

        impl ConfigProblem {
            /// Every kind, in id order.
            pub const ALL: &'static [ConfigProblem] = &[$(ConfigProblem::$kind,)*];

            /// The stable id, `CFG` and three digits.
            pub fn id(self) -> &'static str {
                match self {
                    $(ConfigProblem::$kind => $id,)*
                }
            }

            /// What the kind means, in a few words.
            pub fn title(self) -> &'static str {
                match self {
                    $(ConfigProblem::$kind => $title,)*
                }
            }
        }
    };
}

config_problems! {
    Syntax = "CFG001", "not valid TOML";
    UnknownKey = "CFG002", "unknown key";
    WrongType = "CFG003", "value of the wrong type";
    MissingKey = "CFG004", "required key missing";
    Empty = "CFG005", "empty value or list";
    UnknownName = "CFG006", "not one of the accepted names";
    Duplicate = "CFG007", "defined twice";
    TooLong = "CFG008", "too long for where Windows Installer keeps it";
    Malformed = "CFG009", "value not in its expected format";
    OutOfRange = "CFG010", "number out of range";
    InvalidCondition = "CFG011", "invalid condition or Formatted text";
    NotApplicable = "CFG012", "key does not apply to this kind";
    Incomplete = "CFG013", "a setting this one needs is missing";
    Conflict = "CFG014", "settings that contradict each other";
    Unreadable = "CFG015", "file cannot be read";
    ForbiddenText = "CFG016", "character or name Windows treats specially";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_cfg_numbers_in_increasing_order_with_titles() {
        let numbers: Vec<u32> = ConfigProblem::ALL
            .iter()
            .map(|problem| {
                let id = problem.id();
                let digits = id.strip_prefix("CFG").unwrap_or_else(|| panic!("{id}"));
                assert_eq!(digits.len(), 3, "{id}");
                assert!(!problem.title().is_empty());
                digits.parse().unwrap_or_else(|_| panic!("{id}"))
            })
            .collect();
        assert!(
            numbers.windows(2).all(|pair| pair[0] < pair[1]),
            "{numbers:?}"
        );
    }
}
