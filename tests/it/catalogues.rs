//! README tables against the catalogues they document: the rule catalogue (id and severity,
//! in report order), the exit codes and the configuration problem ids. A rule, code or id
//! added without its README row fails.

use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The first cells of the rows of the README table whose header row starts with `header`.
fn table_rows(readme: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = readme.lines().skip_while(|line| !line.starts_with(header));
    lines
        .next()
        .unwrap_or_else(|| panic!("README has no table headed {header}"));
    lines
        .skip(1) // the |---| line
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_readme_rule_table_is_the_rule_catalogue() {
    let rows = table_rows(&readme(), "| ID | severity |");
    let documented: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let catalogue: Vec<(String, String)> = msikit::rules::RULES
        .iter()
        .map(|rule| {
            let severity = serde_json::to_value(rule.severity).unwrap();
            (rule.id.to_string(), severity.as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(documented, catalogue);
}

#[test]
fn the_readme_exit_code_table_is_the_exit_code_catalogue() {
    let rows = table_rows(&readme(), "| code | meaning |");
    let documented: Vec<i32> = rows.iter().map(|row| row[0].parse().unwrap()).collect();
    let catalogue: Vec<i32> = sspr_msi::error::exit_code::ALL
        .iter()
        .map(|(code, _)| *code)
        .collect();
    assert_eq!(documented, catalogue);
}

#[test]
fn the_readme_config_error_table_is_the_config_problem_catalogue() {
    let rows = table_rows(&readme(), "| id | problem |");
    let documented: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let catalogue: Vec<(String, String)> = sspr_msi::error::ConfigProblem::ALL
        .iter()
        .map(|problem| (problem.id().to_string(), problem.title().to_string()))
        .collect();
    assert_eq!(documented, catalogue);
}
