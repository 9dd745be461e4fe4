//! `vigil tokens create|list|revoke`: works on the data directory, with or without a
//! running server (token changes reach the audit log through its inbox).

use std::process::ExitCode;

use chrono::Utc;
use vigil_gate::principal::PrincipalKind;
use vigil_server::config::ServerConfig;

use crate::args::TokensCommand;
use crate::settings::FileConfig;

pub async fn run(file: &FileConfig, command: TokensCommand) -> anyhow::Result<ExitCode> {
    let data = match &command {
        TokensCommand::Create { data, .. } | TokensCommand::Revoke { data, .. } => data,
        TokensCommand::List(data) => data,
    };
    let config = ServerConfig { data_dir: file.data_dir(data), ..file.server.clone() };
    std::fs::create_dir_all(&config.data_dir)?;
    let db = vigil_server::app::open_db(&config)?;
    let now = Utc::now();
    match command {
        TokensCommand::Create { role, name, service, expires, .. } => {
            let kind = if service { PrincipalKind::Service } else { PrincipalKind::User };
            let expires_at = expires.map(|d| chrono::Duration::from_std(d).map(|d| now + d)).transpose()?;
            let (token, info) = vigil_gate::tokens::create(&db, &name, kind, &role, expires_at, now).await?;
            println!("{token}");
            eprintln!("token {} ({}, {}) created; it is shown only this once", info.id, info.role, info.kind);
        }
        TokensCommand::List(_) => {
            for t in vigil_gate::tokens::list(&db).await? {
                let state = match (&t.revoked_at, &t.expires_at) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Some(at)) => format!("expires {at}"),
                    (None, None) => "active".to_owned(),
                };
                println!("{}\t{}\t{}\t{}\t{}\t{state}", t.id, t.role, t.kind, t.name, t.created_at);
            }
        }
        TokensCommand::Revoke { id, .. } => {
            vigil_gate::tokens::revoke(&db, &id, now).await?;
            eprintln!("token {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}
