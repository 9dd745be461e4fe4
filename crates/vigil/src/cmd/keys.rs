//! `vigil keys show|rotate`.

use std::process::ExitCode;

use vigil_server::config::ServerConfig;

use crate::args::KeysCommand;
use crate::settings::FileConfig;

pub async fn run(file: &FileConfig, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let (KeysCommand::Show(data) | KeysCommand::Rotate(data)) = &command;
    let config = ServerConfig { data_dir: file.data_dir(data), ..file.server.clone() };
    std::fs::create_dir_all(&config.data_dir)?;
    let db = vigil_server::app::open_db(&config)?;
    match command {
        KeysCommand::Show(_) => match vigil_discovery::keys::show(&db, &config.data_dir).await? {
            Some(key) => println!("{key}"),
            None => {
                eprintln!(
                    "no agent key in {}: start `vigil serve` once to create one, or run `vigil keys rotate`",
                    config.data_dir.display()
                );
                return Ok(ExitCode::FAILURE);
            }
        },
        KeysCommand::Rotate(_) => {
            let key = vigil_discovery::keys::rotate(&db, &config.data_dir).await?;
            println!("{key}");
            eprintln!("the previous agent key stops working within a second; update your agents");
        }
    }
    Ok(ExitCode::SUCCESS)
}
