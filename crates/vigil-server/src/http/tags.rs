//! `POST /api/v1/{hosts,clusters,sap_systems,databases}/{id}/tags` and
//! `DELETE .../{id}/tags/{value}`: plain CRUD behind the gate's authorization and audit
//! (`AddTag`, `RemoveTag`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::extract::{Caller, JsonBody, parse_id};
use super::{DECISION_HEADER, TagView};
use crate::app::App;
use vigil_readmodel::tags::{TagTarget, validate};

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct NewTag {
    /// Letters, digits, spaces and `-_.:`, at most 64 characters; trimmed.
    #[schema(pattern = r"^[A-Za-z0-9_.:-]([A-Za-z0-9 _.:-]{0,62}[A-Za-z0-9_.:-])?$")]
    value: String,
}

type Added = (StatusCode, [(HeaderName, String); 1], Json<TagView>);
type Removed = (StatusCode, [(HeaderName, String); 1]);

async fn add(app: Arc<App>, caller: Caller, target: TagTarget, id: String, tag: NewTag) -> Result<Added, ApiError> {
    let id = parse_id(&format!("{} id", target.kind()), &id)?;
    let value = validate(&tag.value).map_err(|e| ApiError::Unprocessable(format!("value: {e}")))?;
    let decision = app
        .gate
        .authorize_crud(&caller.0, "AddTag", (target.kind(), id.to_string()), json!({ "value": value }))
        .await?;
    if !app.landscape.exists(target.kind(), id).await? {
        return Err(ApiError::NotFound(format!("{} {id} is not registered", target.kind())));
    }
    let added = app.tags.add(target, id.to_string(), value.clone(), Utc::now()).await?;
    Ok((
        if added { StatusCode::CREATED } else { StatusCode::OK },
        [(DECISION_HEADER, decision.to_string())],
        Json(TagView { value, resource_id: id.to_string(), resource_type: target.kind() }),
    ))
}

async fn remove(
    app: Arc<App>,
    caller: Caller,
    target: TagTarget,
    id: String,
    value: String,
) -> Result<Removed, ApiError> {
    let id = parse_id(&format!("{} id", target.kind()), &id)?;
    let value = value.trim().to_owned();
    let decision = app
        .gate
        .authorize_crud(&caller.0, "RemoveTag", (target.kind(), id.to_string()), json!({ "value": value }))
        .await?;
    if !app.tags.remove(target, id.to_string(), value.clone()).await? {
        return Err(ApiError::NotFound(format!("{} {id} has no tag `{value}`", target.kind())));
    }
    Ok((StatusCode::NO_CONTENT, [(DECISION_HEADER, decision.to_string())]))
}

// rustfmt re-indents attributes inside a macro body on every run.
#[rustfmt::skip]
macro_rules! tag_routes {
    ($add:ident, $remove:ident, $target:expr, $add_path:literal, $remove_path:literal) => {
        /// Tags the resource (201; 200 when it already had the tag).
        #[utoipa::path(post, path = $add_path, tag = "tags", request_body = NewTag,
            params(("id" = uuid::Uuid, Path, description = "The resource id")),
            responses((status = 201, description = "Tagged", body = TagView),
                (status = 200, description = "Already tagged", body = TagView)))]
        pub(super) async fn $add(
            State(app): State<Arc<App>>,
            caller: Caller,
            Path(id): Path<String>,
            JsonBody(tag): JsonBody<NewTag>,
        ) -> Result<Added, ApiError> {
            add(app, caller, $target, id, tag).await
        }

        #[utoipa::path(delete, path = $remove_path, tag = "tags",
            params(("id" = uuid::Uuid, Path, description = "The resource id"),
                ("value" = String, Path, description = "The tag")),
            responses((status = 204, description = "Removed")))]
        pub(super) async fn $remove(
            State(app): State<Arc<App>>,
            caller: Caller,
            Path((id, value)): Path<(String, String)>,
        ) -> Result<Removed, ApiError> {
            remove(app, caller, $target, id, value).await
        }
    };
}

tag_routes!(
    add_to_host,
    remove_from_host,
    TagTarget::Host,
    "/api/v1/hosts/{id}/tags",
    "/api/v1/hosts/{id}/tags/{value}"
);
tag_routes!(
    add_to_cluster,
    remove_from_cluster,
    TagTarget::Cluster,
    "/api/v1/clusters/{id}/tags",
    "/api/v1/clusters/{id}/tags/{value}"
);
tag_routes!(
    add_to_database,
    remove_from_database,
    TagTarget::Database,
    "/api/v1/databases/{id}/tags",
    "/api/v1/databases/{id}/tags/{value}"
);
tag_routes!(
    add_to_sap_system,
    remove_from_sap_system,
    TagTarget::SapSystem,
    "/api/v1/sap_systems/{id}/tags",
    "/api/v1/sap_systems/{id}/tags/{value}"
);
