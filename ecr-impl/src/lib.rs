//! The behaviour of Berth's ECR operations: handlers registered with the generated
//! [`EcrService`] builder. What Berth implements is exactly what is registered.
//!
//! - `ops`: the operations, by topic; each module registers its handlers beside them, and
//!   each handler checks what the model cannot state and asks the store;
//! - [`store`]: the state interfaces ([`store::Store`] and its in-memory backend, the
//!   durable one being the `storage-sqlite` crate, so this one links no database; and
//!   [`store::blobs::BlobStore`], whose backend is the `storage-fs` crate);
//! - [`images`]: what a manifest says and ECR's rules for reading it (PutImage's steps);
//! - [`auth`]: the login passwords GetAuthorizationToken issues, signed with the
//!   [`auth::TokenKey`] an [`Ecr`] holds, and their verification;
//! - `arn`, `policy`, `tags`, `pagination`: formats and rules the operations share
//!   (`arn` also holds [`RegistryHost`], where repository URIs point);
//! - `messages` and `limits`: every error message and every limit, each in one place.

mod arn;
pub mod auth;
mod clock;
pub mod console;
pub mod events;
mod exclusions;
pub mod images;
pub mod layers;
mod lifecycle;
mod limits;
mod messages;
mod on_push;
mod ops;
mod pagination;
mod policy;
pub mod pull_through;
mod registry;
mod rendered;
mod repositories;
mod scanning;
mod signing;
pub mod store;
mod tags;
mod templates;

use std::ops::Deref;
use std::sync::Arc;

use berth_runtime::Timestamp;
use ecr_generated::errors;
use ecr_generated::operations::EcrService;
use ecr_generated::types;

pub use crate::arn::{InvalidRegistryHost, RegistryHost, caller_arn};
use crate::auth::{LoginGrant, TokenError, TokenKey};
pub use crate::clock::Clock;
pub use crate::lifecycle::LifecycleRun;
pub use crate::ops::State;
use crate::store::blobs::BlobStore;
use crate::store::memory::MemoryMeta;
use crate::store::memory_blobs::MemoryBlobs;
use crate::store::meta::MetaStore;

/// Berth's ECR: the generated service with every handler of `ops` registered, over one
/// state interface holding every account's and region's repositories, and the key its login
/// passwords are signed with. Dereferences to the service (`handle` a request, call an
/// operation, read the catalog). Cheap to clone; clones share their state and key.
#[derive(Debug, Clone)]
pub struct Ecr {
    service: Arc<EcrService<State>>,
}

impl Default for Ecr {
    fn default() -> Ecr {
        Ecr::in_memory()
    }
}

impl Ecr {
    /// An ECR whose state lives in memory, with a new random token key.
    ///
    /// # Panics
    /// If the operating system has no random source (as `uuid` would).
    pub fn in_memory() -> Ecr {
        Ecr::with_store(MemoryMeta::new())
    }

    /// An ECR whose metadata lives in `meta` and whose blobs live in memory, with a new
    /// random token key: the passwords it issues are accepted only by this value and its
    /// clones.
    ///
    /// # Panics
    /// If the operating system has no random source (as `uuid` would).
    pub fn with_store(meta: impl MetaStore + 'static) -> Ecr {
        let token_key = TokenKey::generate().expect("the operating system's random source works");
        Ecr::new(Arc::new(meta), Arc::new(MemoryBlobs::new()), token_key)
    }

    /// An ECR whose metadata lives in `meta`, whose blobs live in `blobs`, and whose login
    /// passwords are signed with `token_key` (a persisted key keeps passwords valid across
    /// restarts).
    pub fn new(meta: Arc<dyn MetaStore>, blobs: Arc<dyn BlobStore>, token_key: TokenKey) -> Ecr {
        let state = State {
            meta,
            blobs,
            uploads: Arc::default(),
            token_key: Arc::new(token_key),
            rendered: Arc::default(),
            registry_host: RegistryHost::aws(),
            clock: Arc::default(),
            events: Arc::default(),
        };
        Ecr::serving(state)
    }

    /// The generated service with every implemented handler, over `state`.
    fn serving(state: State) -> Ecr {
        // Partial: the operations no module registers answer NotImplementedException.
        let service = ops::register(EcrService::builder(state)).build_partial();
        Ecr {
            service: Arc::new(service),
        }
    }

    /// This ECR, on the same state and key, answering `repositoryUri` and `proxyEndpoint` on
    /// `host` (such as `localhost:4566`, Berth's own registry) instead of AWS's hosts. Set it
    /// before serving: clones made earlier keep answering with the host they had.
    pub fn with_registry_host(self, host: RegistryHost) -> Ecr {
        Ecr::serving(State {
            registry_host: host,
            ..self.service.state().clone()
        })
    }

    /// Where `repositoryUri` and `proxyEndpoint` point ([`RegistryHost::aws`] unless set).
    pub fn registry_host(&self) -> &RegistryHost {
        &self.service.state().registry_host
    }

    /// What a password from GetAuthorizationToken grants at `now` (the registry it was
    /// issued for and its expiry), if this ECR's key issued it and it has not expired.
    pub fn verify_login_password(
        &self,
        password: &str,
        now: Timestamp,
    ) -> Result<LoginGrant, TokenError> {
        self.service.state().token_key.verify(password, now)
    }

    fn meta(&self) -> &dyn MetaStore {
        self.service.state().meta()
    }

    /// The time Berth stamps and judges stored things by (see [`Clock`]).
    pub fn clock(&self) -> &Clock {
        &self.service.state().clock
    }

    /// The events this ECR emits (see [`events::Events`]).
    pub fn events(&self) -> &events::Events {
        &self.service.state().events
    }

    /// Drops all state (every account and region); returns once that is durable. Fails
    /// only when the backend does (nothing is dropped then).
    pub async fn reset(&self) -> Result<(), errors::ServerException> {
        self.meta().reset().await.map_err(ops::server_failure)?;
        self.service.state().rendered.clear();
        self.service.state().events.clear();
        Ok(())
    }

    /// Every repository of every account and region, sorted by account, region and name.
    pub async fn all_repositories(
        &self,
    ) -> Result<Vec<types::Repository>, errors::ServerException> {
        let all = repositories::all(self.meta())
            .await
            .map_err(ops::server_failure)?;
        Ok(all
            .iter()
            .map(|(scope, record)| ops::repository_view(self.registry_host(), scope, record))
            .collect())
    }
}

impl Deref for Ecr {
    type Target = EcrService<State>;

    fn deref(&self) -> &Self::Target {
        &self.service
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_can_be_shared_across_tasks() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Ecr>();
    }

    /// The implemented set, checked by behaviour: every operation gets a valid input
    /// generated from the model; the registered ones run their handler (whatever it
    /// answers), the others answer NotImplementedException naming themselves.
    #[tokio::test]
    async fn the_registered_operations_are_exactly_those_not_answering_not_implemented() {
        use berth_runtime::RequestContext;
        use berth_runtime::error::NOT_IMPLEMENTED;
        use berth_runtime::protocol::Request;
        use conformance::fixture::NoFixture;
        use conformance::generate::Generator;
        use conformance::model::Model;
        use ecr_generated::operations::{Operation, SERVICE};

        let config = conformance::ecr_config().expect("the ECR config");
        let (model, _) = Model::load(&config, None).expect("the model loads");
        let generator = Generator::new(&model, &NoFixture);
        let ecr = Ecr::in_memory();
        let mut answered = 0;
        for operation in Operation::ALL {
            let name = operation.name();
            let modeled = model
                .service
                .operations
                .iter()
                .find(|modeled| modeled.name == name)
                .expect("every operation is in the model");
            let plan = generator.plan(modeled).expect("inputs generate");
            let valid = &plan.variants[0].input;
            let target = format!("{}.{name}", SERVICE.target_prefix);
            let body = valid.to_string();
            let mut ctx = RequestContext {
                account_id: "123456789012".into(),
                region: "us-east-1".into(),
                request_id: "r".into(),
                operation: "",
                endpoint: String::new(),
            };
            let request = Request {
                target: Some(&target),
                content_type: Some(SERVICE.content_type),
                body: body.as_bytes(),
            };
            let response = ecr.handle(&mut ctx, request).await;
            let answer: serde_json::Value =
                serde_json::from_slice(&response.body).expect("a JSON body");
            let not_implemented = answer["__type"] == NOT_IMPLEMENTED;
            assert_eq!(
                not_implemented,
                !ecr.is_implemented(operation),
                "{name} with {body}: {} {answer}",
                response.status
            );
            if not_implemented {
                let message = answer["message"].as_str().unwrap_or_default();
                assert!(message.contains(name), "{name}: {message}");
            } else {
                answered += 1;
            }
        }
        assert_eq!(answered, ecr.implemented().count());
        assert!(answered > 0, "some operation is implemented");
    }
}
