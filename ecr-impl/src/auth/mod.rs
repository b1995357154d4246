//! Registry login: the passwords GetAuthorizationToken hands out, which Berth alone can
//! mint and check (the `/v2` registry accepts only passwords Berth issued).

mod token;

pub use token::{KeyTextError, LoginGrant, MintedPassword, TokenError, TokenKey};
