//! Shell completions and the man page, generated from the clap definitions, so they list
//! exactly the commands and options the parser accepts.

use super::Cli;
use clap::CommandFactory;
use sspr_msi::error::{Error, Result};

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sspr-msi", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// The man page (roff) of the command and, after it, one section per subcommand.
pub fn man_page() -> Result<String> {
    let command = Cli::command();
    let mut page = Vec::new();
    let render =
        |error: std::io::Error| Error::Internal(format!("rendering the man page: {error}"));
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .map_err(render)?;
    for subcommand in command.get_subcommands().filter(|c| c.get_name() != "help") {
        let name = format!("sspr-msi {}", subcommand.get_name());
        let man = clap_mangen::Man::new(subcommand.clone().bin_name(name));
        man.render_title(&mut Vec::new()).map_err(render)?;
        page.extend_from_slice(
            format!(".SH \"{}\"\n", subcommand.get_name().to_uppercase()).as_bytes(),
        );
        man.render_synopsis_section(&mut page).map_err(render)?;
        man.render_description_section(&mut page).map_err(render)?;
        man.render_options_section(&mut page).map_err(render)?;
    }
    Ok(String::from_utf8_lossy(&page).into_owned())
}
