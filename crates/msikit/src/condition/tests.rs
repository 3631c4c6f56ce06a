//! The condition language against the cases Windows answers (re-authored from the behaviour
//! Wine's tests record on Windows).

use super::parse::MAX_NESTING;
use super::*;

type Properties = &'static [(&'static str, &'static str)];

fn environment(properties: Properties) -> MapEnvironment {
    MapEnvironment {
        properties: properties
            .iter()
            .map(|&(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        ..MapEnvironment::default()
    }
}

/// Components, features and environment variables for [`STATE_CASES`].
fn installer_environment() -> MapEnvironment {
    use InstallState::*;
    let states = |entries: &[(&str, (InstallState, InstallState))]| {
        entries
            .iter()
            .map(|&(name, state)| (name.to_string(), state))
            .collect()
    };
    MapEnvironment {
        properties: BTreeMap::new(),
        env: [
            ("PROCESSOR_ARCHITECTURE", "AMD64"),
            ("NUMBER_OF_PROCESSORS", "8"),
        ]
        .iter()
        .map(|&(name, value)| (name.to_string(), value.to_string()))
        .collect(),
        components: states(&[("CompNew", (Absent, Local)), ("CompKeep", (Local, Unknown))]),
        features: states(&[("Feature", (Absent, Local)), ("FeatOld", (Local, Absent))]),
    }
}

/// (condition, properties, expected). Cases marked "Windows" come from
/// Wine's msi test suite, which is checked against real Windows.
const CASES: &[(&str, Properties, bool)] = &[
    // Empty conditions.
    ("", &[], true),
    ("   ", &[], true),
    ("\t\r\n ", &[], true),
    // Bare operands.
    ("Installed", &[], false),
    ("Installed", &[("Installed", "1")], true),
    ("Installed", &[("Installed", "")], false),
    ("Installed", &[("Installed", "0")], true),
    ("installed", &[("Installed", "1")], false),
    ("1", &[], true),
    ("0", &[], false),
    ("-1", &[], true),
    ("\"0\"", &[], true),
    ("\"\"", &[], false),
    // NOT.
    ("NOT Installed", &[], true),
    ("not Installed", &[("Installed", "1")], false),
    ("NOT NOT A", &[("A", "x")], true),
    ("not 0", &[], true),
    ("not \"A\"", &[], false),
    // Integer literals (Windows).
    ("0 = 0", &[], true),
    ("0 <> 0", &[], false),
    ("0 = 1", &[], false),
    ("0 > 1", &[], false),
    ("0 ~> 1", &[], false),
    ("1 > 1", &[], false),
    ("1 >= 1", &[], true),
    ("1 ~>= 1", &[], true),
    ("0 < 1", &[], true),
    ("0 ~< 1", &[], true),
    ("1 < 1", &[], false),
    ("1 <= 1", &[], true),
    ("1 ~<= 1", &[], true),
    (" 1 ~= 1 ", &[], true),
    ("-5 < 3", &[], true),
    ("3 >< 1", &[], true),
    ("3 >< 4", &[], false),
    // Bitwise `<<` / `>>`: high and low 16 bits; `~` changes nothing.
    ("196613 << 3", &[], true),
    ("196613 << 5", &[], false),
    ("196613 >> 5", &[], true),
    ("196613 ~>> 5", &[], true),
    ("196613 ~<< 3", &[], true),
    // Number tokens are read like strtol.
    ("1.5 = 1", &[], true),
    ("99999999999 = 2147483647", &[], true),
    // Two literals always compare as text (Windows).
    (" \"A\" < \"B\" ", &[], true),
    (" \"A\" > \"B\" ", &[], false),
    (" \"1\" > \"12\" ", &[], false),
    (" \"100\" < \"21\" ", &[], true),
    ("\"02.1\" < \"2.11\"", &[], true),
    ("\"2\" < \"1.1\"", &[], false),
    (" \"A\" = \"a\" ", &[], false),
    (" \"A\" ~= \"a\" ", &[], true),
    ("\"ASFD\" >< \"S\" ", &[], true),
    ("\"ASFD\" ~>< \"s\" ", &[], true),
    ("\"ASFD\" ~>< \"\" ", &[], true),
    ("\"ASFD\" ~>< \"sss\" ", &[], false),
    // Text order is by UTF-16 code unit: a surrogate pair sorts below U+FFFD.
    ("\"\u{1F600}\" < \"\u{FFFD}\"", &[], true),
    ("\"\u{C4}RGER\" ~= \"\u{E4}rger\"", &[], true),
    // Integer against literal: only `<>` holds (Windows).
    (" \"A\" ~= 1 ", &[], false),
    (" \"A\" = 1 ", &[], false),
    (" 1 ~= \"1\" ", &[], false),
    (" 1 = \"1\" ", &[], false),
    (" 1 <> \"1\" ", &[], true),
    (" 0 < \"100\" ", &[], false),
    (" 100 > \"0\" ", &[], false),
    ("0 = \"\"", &[], false),
    ("0 AND \"\"", &[], false),
    ("1 AND \"\"", &[], false),
    ("1 AND \"1\"", &[], true),
    // Property against integer (Windows).
    ("mm = 5", &[("mm", "5")], true),
    ("mm < 6", &[("mm", "5")], true),
    ("mm <= 5", &[("mm", "5")], true),
    ("mm > 4", &[("mm", "5")], true),
    ("mm < 12", &[("mm", "5")], true),
    ("mm = \"5\"", &[("mm", "5")], true),
    ("bandalmael=0", &[], false),
    ("bandalmael<>0", &[], true),
    ("bandalmael<0", &[], false),
    ("bandalmael>0", &[], false),
    ("bandalmael>=0", &[], false),
    ("bandalmael<=0", &[], false),
    ("bandalmael~<>0", &[], true),
    ("bandalmael=0", &[("bandalmael", "0")], true),
    ("bandalmael=0", &[("bandalmael", "")], false),
    ("bandalmael=0", &[("bandalmael", "asdf")], false),
    ("bandalmael=0", &[("bandalmael", "0asdf")], false),
    ("bandalmael=0", &[("bandalmael", "0 ")], false),
    ("bandalmael=0", &[("bandalmael", "-0")], true),
    ("bandalmael=0", &[("bandalmael", "0000000000000")], true),
    ("bandalmael=0", &[("bandalmael", "--0")], false),
    ("bandalmael=0", &[("bandalmael", "0x00")], false),
    ("bandalmael=0", &[("bandalmael", "-")], false),
    ("bandalmael=0", &[("bandalmael", "+0")], false),
    ("bandalmael=0", &[("bandalmael", "0.0")], false),
    ("bandalmael<>0", &[("bandalmael", "0.0")], true),
    ("P = -7", &[("P", "-7")], true),
    ("P = 0", &[("P", "4294967296")], false),
    ("P = 2147483647", &[("P", "2147483647")], true),
    // Property against text: digit-only strings compare as numbers (Windows).
    ("2 <= X", &[("X", "50")], true),
    ("A <= X", &[("A", "2"), ("X", "50")], true),
    ("A <= 50", &[("A", "2")], true),
    ("2 <= X", &[("X", "50val")], false),
    ("A <= X", &[("A", "2"), ("X", "50val")], true),
    ("A <= X", &[("A", "7"), ("X", "50val")], false),
    ("one < \"1\"", &[("one", "1")], false),
    ("P < \"9\"", &[("P", "10")], false),
    ("\"10\" < \"9\"", &[], true),
    ("P > \"-2\"", &[("P", "-1")], false),
    ("LicView <> \"1\"", &[], true),
    ("LicView <> LicView", &[], false),
    ("Installed<>\"\"", &[], false),
    (
        "X =\"5.0\" or X =\"5.1\" or X =\"6.0\"",
        &[("X", "5.0")],
        true,
    ),
    // An unset property is empty text (Windows).
    ("MsiNetAssemblySupport < \"1.1.4322\"", &[], true),
    ("MsiNetAssemblySupport > \"1.1.4322\"", &[], false),
    ("MsiNetAssemblySupport >= \"1.1.4322\"", &[], false),
    ("MsiNetAssemblySupport <= \"1.1.4322\"", &[], true),
    ("MsiNetAssemblySupport <> \"1.1.4322\"", &[], true),
    ("MsiNetAssemblySupport ~< \"1.1.4322\"", &[], true),
    ("MsiNetAssemblySupport < \"A\"", &[], true),
    (
        "MsiNetAssemblySupport < \"1.1.4322\"",
        &[("MsiNetAssemblySupport", "1.1.4322")],
        false,
    ),
    (
        "MsiNetAssemblySupport < \"1.1.14322\"",
        &[("MsiNetAssemblySupport", "1.1.4322")],
        false,
    ),
    (
        "MsiNetAssemblySupport < \"1.1.5\"",
        &[("MsiNetAssemblySupport", "1.1.4322")],
        true,
    ),
    (
        "MsiNetAssemblySupport < \"1\"",
        &[("MsiNetAssemblySupport", "1.1.4322")],
        false,
    ),
    // Substring operators on properties (Windows).
    ("one >< two", &[("one", "hi"), ("two", "hithere")], false),
    ("one >< two", &[("one", "hithere"), ("two", "hi")], true),
    ("one >< two", &[("one", "hello"), ("two", "hi")], false),
    (
        "one >< two",
        &[("one", "hellohithere"), ("two", "hi")],
        true,
    ),
    ("one >< two", &[("one", ""), ("two", "hi")], false),
    ("one >< two", &[("one", "hi"), ("two", "")], true),
    ("one >< two", &[], false),
    ("one >< two", &[("one", "1234"), ("two", "1")], false),
    ("one >< two", &[("one", "one 1234"), ("two", "1")], true),
    ("one << two", &[("one", "hithere"), ("two", "hi")], true),
    ("one << two", &[("one", "hi"), ("two", "hithere")], false),
    ("one << two", &[("one", "hi"), ("two", "hi")], true),
    (
        "one << two",
        &[("one", "abcdhithere"), ("two", "hi")],
        false,
    ),
    ("one << two", &[("one", ""), ("two", "hi")], false),
    ("one << two", &[("one", "hithere"), ("two", "")], true),
    ("one << two", &[], false),
    ("one << two", &[("one", "1234"), ("two", "1")], false),
    ("one << two", &[("one", "1234 one"), ("two", "1")], true),
    ("one >> two", &[("one", "hithere"), ("two", "there")], true),
    ("one >> two", &[("one", "hithere"), ("two", "hi")], false),
    ("one >> two", &[("one", "there"), ("two", "hithere")], false),
    ("one >> two", &[("one", "there"), ("two", "there")], true),
    ("one >> two", &[("one", ""), ("two", "there")], false),
    ("one >> two", &[("one", "there"), ("two", "")], true),
    ("one >> two", &[], false),
    ("one >> two", &[("one", "1234"), ("two", "4")], false),
    ("one >> two", &[("one", "one 1234"), ("two", "4")], true),
    // Case-insensitive operators.
    ("REMOVE~=\"ALL\"", &[("REMOVE", "All")], true),
    ("REMOVE=\"ALL\"", &[("REMOVE", "All")], false),
    ("REMOVE~=\"ALL\"", &[], false),
    ("P ~<< \"core\"", &[("P", "CoreN")], true),
    ("P ~>> \"N\"", &[("P", "coren")], true),
    ("P ~<> \"X\"", &[("P", "x")], false),
    ("P ~>< \"ORE\"", &[("P", "CoreN")], true),
    // Logical operators (Windows).
    ("1 and 2", &[], true),
    ("not 0 and 3", &[], true),
    ("not 0 and 0", &[], false),
    ("not 0 or 1", &[], true),
    ("(0)", &[], false),
    ("(((((1)))))", &[], true),
    ("1 XOR 1", &[], false),
    ("1 XOR 0", &[], true),
    ("1 IMP 1", &[], true),
    ("1 IMP 0", &[], false),
    ("0 IMP 0", &[], true),
    ("0 EQV 0", &[], true),
    ("0 EQV 1", &[], false),
    ("1 IMP 1 OR 0", &[], true),
    ("NOT 0 AND 0", &[], false),
    ("NOT 0 AND 1", &[], true),
    ("NOT 1 OR 0", &[], false),
    ("0 AND 1 OR 1", &[], true),
    ("0 AND 0 OR 1", &[], true),
    ("NOT 0 AND 1 OR 0", &[], true),
    ("NOT 1 AND 0", &[], false),
    ("_1 = _1", &[], true),
    ("NOT ( 1 AND 1 )", &[], false),
    (
        "NOT A AND (BBBBBBBBBB=2 OR CCC=1) AND Ddddddddd",
        &[],
        false,
    ),
    // Keywords ignore case; documented precedence; left grouping.
    ("1 Or 0", &[], true),
    ("NoT 0", &[], true),
    ("0 xor 1", &[], true),
    ("1 eqv 1", &[], true),
    ("1 iMp 0", &[], false),
    ("1 XOR 1 OR 1", &[], false),
    ("0 IMP 1 XOR 1", &[], true),
    ("0 IMP 0 IMP 0", &[], false),
    ("1 OR 0 AND 0", &[], true),
    ("NOT A = \"x\"", &[("A", "x")], false),
    // Names: `.`, `-` and `#` continue a name; no spaces needed around operators.
    ("My.Prop = \"x\"", &[("My.Prop", "x")], true),
    ("A-B", &[("A-B", "1")], true),
    ("A=\"x\"AND B", &[("A", "x"), ("B", "1")], true),
    ("ORDER", &[("ORDER", "1")], true),
    // Real-world conditions.
    ("Installed OR VersionNT64", &[("VersionNT64", "603")], true),
    ("Installed OR VersionNT64", &[], false),
    (
        "Installed OR VersionNT64",
        &[("Installed", "00:00:00")],
        true,
    ),
    ("NOT Installed", &[("Installed", "00:00:00")], false),
    ("WINMAJOR = \"#10\"", &[("WINMAJOR", "#10")], true),
    ("WINMAJOR = 10", &[("WINMAJOR", "#10")], false),
    ("WINMAJOR <> 10", &[("WINMAJOR", "#10")], true),
    ("WINBUILD >= 22000", &[("WINBUILD", "22631")], true),
    ("WINBUILD >= 22000", &[("WINBUILD", "19045")], false),
    (
        "Installed OR (WINMAJOR = \"#10\" AND WINBUILD >= 17134 AND WINBUILD < 22000)",
        &[("WINMAJOR", "#10"), ("WINBUILD", "19045")],
        true,
    ),
    (
        "Installed OR (WINMAJOR = \"#10\" AND WINBUILD >= 17134 AND WINBUILD < 22000)",
        &[("WINMAJOR", "#10"), ("WINBUILD", "22631")],
        false,
    ),
    (
        "Installed OR (WINMAJOR = \"#10\" AND WINBUILD >= 17134 AND WINBUILD < 22000)",
        &[("Installed", "1"), ("WINMAJOR", "#6"), ("WINBUILD", "9600")],
        true,
    ),
    ("VersionNT >= 1000", &[("VersionNT", "1000")], true),
    ("VersionNT >= 1000", &[("VersionNT", "603")], false),
    ("VersionNT>=600", &[("VersionNT", "603")], true),
    ("NOT UPGRADINGPRODUCTCODE", &[], true),
    (
        "NOT UPGRADINGPRODUCTCODE",
        &[(
            "UPGRADINGPRODUCTCODE",
            "{8A1F6E2B-0000-0000-0000-000000000000}",
        )],
        false,
    ),
    (
        "Installed OR MsiNTProductType = 1",
        &[("MsiNTProductType", "1")],
        true,
    ),
    (
        "Installed OR MsiNTProductType = 1",
        &[("MsiNTProductType", "3")],
        false,
    ),
    (
        "NOT (WINEDITION << \"Core\")",
        &[("WINEDITION", "CoreN")],
        false,
    ),
    (
        "NOT (WINEDITION << \"Core\")",
        &[("WINEDITION", "Professional")],
        true,
    ),
    ("NOT (WINEDITION << \"Core\")", &[], true),
    (
        "REMOVE=\"ALL\" AND NOT UPGRADINGPRODUCTCODE",
        &[("REMOVE", "ALL")],
        true,
    ),
    ("ALLUSERS = 1 OR Privileged", &[("ALLUSERS", "1")], true),
];

/// (condition, expected) against [`installer_environment`].
const STATE_CASES: &[(&str, bool)] = &[
    ("$CompNew = 3", true),
    ("?CompNew = 2", true),
    ("$CompKeep = -1", true),
    ("?CompKeep = 3", true),
    ("$CompKeep", true),
    ("$CompNew > ?CompNew", true),
    ("$CompNew = \"3\"", false),
    ("$ CompNew = 3", true),
    ("&Feature = 3", true),
    ("!Feature = 2", true),
    ("(&Feature = 3) AND NOT (!Feature = 3)", true),
    ("&FeatOld = 2", true),
    ("!FeatOld = 3", true),
    ("(&FeatOld = 3) AND NOT (!FeatOld = 3)", false),
    ("&Feature = 3 AND $CompNew = 3", true),
    // Unknown components and features read as an empty literal (Windows: `&nofeature` is false).
    ("&nofeature", false),
    ("$Missing", false),
    ("$Missing = 3", false),
    ("$Missing <> 3", true),
    ("!nofeature = \"\"", true),
    ("?Missing = -1", false),
    // Environment variables: names ignore case, unset is empty.
    ("%PROCESSOR_ARCHITECTURE = \"AMD64\"", true),
    ("%processor_architecture = \"AMD64\"", true),
    ("%NUMBER_OF_PROCESSORS > 4", true),
    ("%NUMBER_OF_PROCESSORS >= \"16\"", false),
    ("%UNSET", false),
    ("%UNSET = \"\"", true),
    ("NOT %UNSET", true),
];

/// (condition, byte offset, part of the message).
const ERRORS: &[(&str, usize, &str)] = &[
    ("(", 1, "found end of condition"),
    ("(A", 2, "')' to close the '(' at byte 0"),
    ("((A)", 4, "')' to close the '(' at byte 0"),
    ("(A B)", 3, "')' to close"),
    ("A)", 1, "')' has no matching '('"),
    ("(((((1))))))", 11, "no matching"),
    ("\"abc", 0, "unterminated string"),
    ("A = \"abc", 4, "unterminated string"),
    ("\"2\" < \"1.1", 6, "unterminated string"),
    (
        "A B",
        2,
        "expected AND, OR, XOR, EQV, IMP or end of condition, found 'B'",
    ),
    ("1 IMPL 1", 2, "found 'IMPL'"),
    ("A = B = C", 6, "found '='"),
    ("A = B C", 6, "found 'C'"),
    ("(1<<1) == 2", 7, "found '='"),
    ("( 1 AND 1 ) = 2", 12, "found '='"),
    (
        "A =",
        3,
        "expected a property, number or \"string\", found end of condition",
    ),
    ("= A", 0, "expected a property"),
    ("0 < > 0", 4, "found '>'"),
    ("AND", 0, "found 'AND'"),
    ("A AND", 5, "end of condition"),
    ("A OR OR B", 5, "found 'OR'"),
    ("NOT", 3, "end of condition"),
    ("()", 1, "found ')'"),
    ("$", 1, "a component name after '$'"),
    ("$1", 1, "a component name after '$', found '1'"),
    ("?NOT", 1, "a component name after '?'"),
    ("%", 1, "an environment variable name after '%'"),
    ("&", 1, "a feature name after '&'"),
    ("!(A)", 1, "a feature name after '!'"),
    ("X != \"\"", 2, "found '!'"),
    (
        " \"A\" ~ = \"a\" ",
        5,
        "'~' must be followed by a comparison operator",
    ),
    ("~not \"A\"", 0, "'~' must be followed"),
    ("A @ B", 2, "unexpected character '@'"),
    ("A = \u{E9}", 4, "unexpected character '\u{E9}'"),
    ("A = 'x'", 4, "unexpected character '''"),
    ("[ProductName]", 0, "unexpected character '['"),
];

/// Pairs that must parse to the same tree: precedence made explicit.
const SAME_TREE: &[(&str, &str)] = &[
    ("A OR B AND C", "A OR (B AND C)"),
    ("A AND B OR C", "(A AND B) OR C"),
    ("NOT A AND B", "(NOT A) AND B"),
    ("NOT A = B", "NOT (A = B)"),
    ("A XOR B OR C", "A XOR (B OR C)"),
    ("A EQV B XOR C", "A EQV (B XOR C)"),
    ("A IMP B EQV C", "A IMP (B EQV C)"),
    ("A OR B IMP C AND D", "(A OR B) IMP (C AND D)"),
    ("a and b", "a AND b"),
    ("A<>\"x\"", "A <> \"x\""),
];

fn check_all<T>(cases: &[T], failure: impl Fn(&T) -> Option<String>) {
    let failures: Vec<String> = cases.iter().filter_map(failure).collect();
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn evaluates_property_conditions() {
    check_all(CASES, |&(condition, properties, expected)| {
        match evaluate(condition, &environment(properties)) {
            Ok(actual) if actual == expected => None,
            result => Some(format!(
                "{condition:?} with {properties:?}: expected {expected}, got {result:?}"
            )),
        }
    });
}

#[test]
fn evaluates_states_and_environment_variables() {
    let env = installer_environment();
    check_all(STATE_CASES, |&(condition, expected)| {
        match evaluate(condition, &env) {
            Ok(actual) if actual == expected => None,
            result => Some(format!(
                "{condition:?}: expected {expected}, got {result:?}"
            )),
        }
    });
}

#[test]
fn reports_errors_with_offsets() {
    check_all(ERRORS, |&(condition, offset, fragment)| {
        match evaluate(condition, &MapEnvironment::default()) {
            Err(error) if error.offset == offset && error.message.contains(fragment) => None,
            result => Some(format!(
                "{condition:?}: expected error at {offset} containing {fragment:?}, got {result:?}"
            )),
        }
    });
}

#[test]
fn precedence_matches_explicit_parentheses() {
    check_all(SAME_TREE, |&(implicit, explicit)| {
        let (implicit_tree, explicit_tree) = (parse(implicit), parse(explicit));
        (implicit_tree != explicit_tree).then(|| {
            format!("{implicit:?} parsed as {implicit_tree:?}, {explicit:?} as {explicit_tree:?}")
        })
    });
}

#[test]
fn display_round_trips() {
    let conditions = CASES
        .iter()
        .map(|case| case.0)
        .chain(STATE_CASES.iter().map(|case| case.0));
    for condition in conditions {
        let Ok(expr) = parse(condition) else { continue };
        let printed = expr.to_string();
        assert_eq!(
            parse(&printed),
            Ok(expr),
            "{condition:?} printed as {printed:?}"
        );
    }
}

#[test]
fn display_is_canonical() {
    let expr = parse("a ~>= \"x\" or not (b and c) imp (d imp e) and $C<>-1").unwrap();
    assert_eq!(
        expr.to_string(),
        "a ~>= \"x\" OR NOT (b AND c) IMP (d IMP e) AND $C <> -1"
    );
}

#[test]
fn parses_into_public_tree() {
    let expected = Expr::Not(Box::new(Expr::Compare {
        left: Operand::Property("WINEDITION".to_string()),
        op: CompareOp {
            relation: Relation::StartsWith,
            ignore_case: false,
        },
        right: Operand::Literal("Core".to_string()),
    }));
    assert_eq!(parse("NOT (WINEDITION << \"Core\")"), Ok(expected));
    assert_eq!(parse("  "), Ok(Expr::Empty));
    let chain = parse("A OR B OR %C").unwrap();
    let Expr::Logical {
        op: LogicalOp::Or,
        operands,
    } = chain
    else {
        panic!("expected an OR chain, got {chain:?}");
    };
    assert_eq!(operands.len(), 3);
    assert_eq!(
        operands[2],
        Expr::Operand(Operand::EnvironmentVariable("C".to_string()))
    );
}

#[test]
fn lists_comparisons_for_lint_rules() {
    let expr =
        parse("Installed OR (WINMAJOR = \"#10\" AND WINBUILD >= 17134 AND NOT WINBUILD ~< 22000)")
            .unwrap();
    let listed: Vec<String> = expr
        .comparisons()
        .into_iter()
        .map(|(left, op, right)| format!("{left} {op} {right}"))
        .collect();
    assert_eq!(
        listed,
        [
            "WINMAJOR = \"#10\"",
            "WINBUILD >= 17134",
            "WINBUILD ~< 22000"
        ]
    );

    let version_check = parse("VersionNT >= 1000").unwrap();
    let found = version_check
        .comparisons()
        .into_iter()
        .any(|(left, op, right)| {
            *left == Operand::Property("VersionNT".to_string())
                && op.relation == Relation::GreaterOrEqual
                && *right == Operand::Integer(1000)
        });
    assert!(found);
    assert!(parse("Installed").unwrap().comparisons().is_empty());
}

#[test]
fn parsed_condition_can_be_reused() {
    let expr = parse("&Feature = 3 AND NOT Installed").unwrap();
    let mut env = installer_environment();
    assert!(expr.evaluate(&env));
    env.properties
        .insert("Installed".to_string(), "1".to_string());
    assert!(!expr.evaluate(&env));
}

#[test]
fn error_display_names_offset() {
    let error = parse("A = ").unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("invalid condition at byte 4: {}", error.message)
    );
}

#[test]
fn install_state_values() {
    let values = [
        InstallState::Unknown,
        InstallState::Advertised,
        InstallState::Absent,
        InstallState::Local,
        InstallState::Source,
    ]
    .map(InstallState::value);
    assert_eq!(values, [-1, 1, 2, 3, 4]);
}

#[test]
fn rejects_excessive_nesting_without_overflowing() {
    let deep_parens = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse(&deep_parens).unwrap_err().message.contains("nest"));
    let deep_not = format!("{}1", "NOT ".repeat(10_000));
    assert!(parse(&deep_not).is_err());
    let within_limit = format!("{}1{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert_eq!(
        evaluate(&within_limit, &MapEnvironment::default()),
        Ok(true)
    );
    // Long flat chains build one node, not a deep tree.
    let long_chain = format!("{}A", "A AND ".repeat(50_000));
    assert_eq!(evaluate(&long_chain, &environment(&[("A", "1")])), Ok(true));
}

#[test]
fn mangled_conditions_never_panic() {
    let long = "Installed OR (WINMAJOR = \"#10\" AND %WINBUILD >= 17134 AND $C~<>-1) \
                XOR NOT (&F = 3 IMP !F ~>< \"\u{E9}t\u{E9}\") EQV ?C << 2 OR P >> \"x\"";
    let env = installer_environment();
    let boundaries: Vec<usize> = long
        .char_indices()
        .map(|(index, _)| index)
        .chain([long.len()])
        .collect();
    let mut mangled: Vec<String> = Vec::new();
    for (position, &start) in boundaries.iter().enumerate() {
        mangled.push(long[..start].to_string());
        mangled.push(long[start..].to_string());
        if let Some(&next) = boundaries.get(position + 1) {
            mangled.push(format!("{}{}", &long[..start], &long[next..]));
            mangled.push(format!("{}\"{}", &long[..start], &long[start..]));
            mangled.push(format!("{}({}", &long[..start], &long[start..]));
        }
    }
    mangled.extend(
        [
            "~", "~~", "<<<", "\"", "\"\"\"", "$", "-", "--", ".", "#", "%%", "((", "))", ")(",
            "NOT NOT", "\u{0}", "\u{FEFF}",
        ]
        .map(String::from),
    );
    for condition in &mangled {
        if let Err(error) = evaluate(condition, &env) {
            assert!(error.offset <= condition.len(), "{condition:?}: {error}");
            assert!(!error.message.is_empty());
        }
    }
}
