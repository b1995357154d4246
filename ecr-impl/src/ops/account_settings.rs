//! GetAccountSetting and PutAccountSetting (§7): a setting's name and value are checked
//! against the settings ECR knows (the model only bounds their length).

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    GetAccountSettingError, InvalidParameterException, PutAccountSettingError, ServerException,
};
use ecr_generated::types::{
    AccountSettingName, GetAccountSettingRequest, GetAccountSettingResponse,
    PutAccountSettingRequest, PutAccountSettingResponse,
};

use super::{Builder, State, caller_scope, server_failure};
use crate::messages;
use crate::registry::account_settings::{self, Setting};
use crate::store::meta;

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .get_account_setting(get_account_setting)
        .put_account_setting(put_account_setting)
}

fn setting(name: &str) -> Result<Setting, InvalidParameterException> {
    Setting::named(name).ok_or_else(|| {
        InvalidParameterException::new(messages::account_setting_not_in(
            "name",
            &account_settings::names(),
        ))
    })
}

/// A setting's value as the model's type (every value is within its 1–64 characters).
fn value_of(value: &str) -> Result<AccountSettingName, ServerException> {
    AccountSettingName::try_from(value).map_err(|error| {
        ServerException::new(messages::unexpected_store_outcome(&error.to_string()))
    })
}

pub(crate) async fn get_account_setting(
    state: &State,
    ctx: &RequestContext,
    input: GetAccountSettingRequest,
) -> Result<GetAccountSettingResponse, GetAccountSettingError> {
    let scope = caller_scope(ctx)?;
    let setting = setting(&input.name)?;
    let value = meta::read(state.meta(), move |tx| {
        account_settings::get(tx, &scope, setting)
    })
    .await
    .map_err(server_failure::<GetAccountSettingError>)?;
    Ok(GetAccountSettingResponse {
        name: Some(input.name),
        value: Some(value_of(value)?),
    })
}

pub(crate) async fn put_account_setting(
    state: &State,
    ctx: &RequestContext,
    input: PutAccountSettingRequest,
) -> Result<PutAccountSettingResponse, PutAccountSettingError> {
    let scope = caller_scope(ctx)?;
    let setting = setting(&input.name)?;
    let value = setting.value(&input.value).ok_or_else(|| {
        InvalidParameterException::new(messages::account_setting_not_in("value", setting.values()))
    })?;
    meta::write(state.meta(), move |tx| {
        account_settings::put(tx, &scope, setting, value)
    })
    .await
    .map_err(server_failure::<PutAccountSettingError>)?;
    Ok(PutAccountSettingResponse {
        name: Some(input.name),
        value: Some(input.value),
    })
}
