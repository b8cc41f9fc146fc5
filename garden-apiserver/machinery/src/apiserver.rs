//! The server state and the generic object lifecycle (create / update / delete with finalizers), shared by the
//! REST handlers and internal callers (bootstrap, namespace cleanup).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::admission::{self, Attributes, Lookup, Operation};
use crate::authn::Authenticator;
use crate::authz::rbac::{RbacAuthorizer, RbacSource};
use crate::authz::{Authorizer, Decision, RequestAttributes, SystemMastersAuthorizer, UserInfo};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::openapi::OpenApi;
use crate::registry::{Registry, ResourceType};
use crate::storage::cache::{rv_of, set_rv, WatchCache};
use crate::storage::decode_stored;
use crate::storage::etcd::{CasOutcome, EtcdStore};
use crate::storage::object::Want;

/// Server-wide state.
pub struct ApiServer {
    pub registry: Registry,
    pub store: EtcdStore,
    pub prefix: String,
    caches: HashMap<(String, String), Arc<WatchCache>>,
    pub authn: Authenticator,
    pub admission: admission::Chain,
    pub openapi: OpenApi,
    /// The kinds' schemas, for strategic merge patch and server-side apply.
    pub schemas: crate::patch::Schemas,
    pub max_request_bytes: usize,
    /// An aggregated server's links to the garden kube-apiserver (set by `serve::run` for `Topology::Aggregated`).
    pub delegated: Option<Delegated>,
    /// The aggregator of a server with `Topology::Aggregator`.
    pub aggregator: Option<Arc<crate::aggregator::Aggregator>>,
}

/// What an aggregated server asks the garden kube-apiserver: authorization, and the core objects admission reads.
pub struct Delegated {
    pub authorizer: crate::authz::webhook::SubjectAccessReviewer,
    pub core: crate::remote::RemoteCore,
}

/// What a write left in storage: the object (with its new resourceVersion) and, when something was stored, the
/// stored bytes and revision, from which the response is spliced instead of encoding the object again.
pub struct Written {
    pub obj: Value,
    stored: Option<(Vec<u8>, i64)>,
}

impl Written {
    fn unstored(obj: Value) -> Self {
        Self { obj, stored: None }
    }

    /// The object's JSON, as a response body.
    pub fn to_json(&self) -> Vec<u8> {
        match &self.stored {
            Some((raw, rv)) => crate::storage::object::with_resource_version(raw, *rv),
            None => serde_json::to_vec(&self.obj).unwrap_or_default(),
        }
    }
}

/// Who writes and how.
pub struct WriteCtx<'a> {
    pub user: &'a UserInfo,
    pub dry_run: bool,
    /// Run admission plugins (false for the server's own housekeeping writes).
    pub admission: bool,
    pub field_manager: String,
    /// The write is a server-side apply: the object's managedFields already hold the apply's entry, so the write is
    /// not recorded as an Update of the field manager.
    pub apply: bool,
}

impl<'a> WriteCtx<'a> {
    pub fn internal(user: &'a UserInfo) -> Self {
        Self { user, dry_run: false, admission: false, field_manager: "garden-apiserver".into(), apply: false }
    }
}

/// Delete preconditions and options (`DeleteOptions`).
#[derive(Debug, Default, Clone)]
pub struct DeleteOpts {
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}

impl ApiServer {
    pub fn new(
        registry: Registry,
        store: EtcdStore,
        prefix: String,
        authn: Authenticator,
        admission: admission::Chain,
        max_request_bytes: usize,
    ) -> Self {
        let mut caches = HashMap::new();
        for rt in registry.all().iter().filter(|rt| !rt.create_only) {
            let want = Want::from_paths(
                [
                    "metadata.name",
                    "metadata.namespace",
                    "metadata.labels",
                    "metadata.deletionTimestamp",
                    "metadata.resourceVersion",
                ]
                .into_iter()
                .chain(rt.strategy.field_selectors().iter().copied()),
            );
            let cache = WatchCache::start(store.clone(), rt.key_root(&prefix), want);
            crate::metrics::METRICS.watchers.with_label_values(&[rt.plural]).set(0);
            caches.insert((rt.group.to_string(), rt.plural.to_string()), cache);
        }
        let openapi = OpenApi::build(&registry);
        let types: Vec<&ResourceType> = registry.all().iter().map(|rt| rt.as_ref()).collect();
        let schemas = crate::patch::Schemas::build(&types);
        Self {
            registry,
            store,
            prefix,
            caches,
            authn,
            admission,
            openapi,
            schemas,
            max_request_bytes,
            delegated: None,
            aggregator: None,
        }
    }

    /// The schema of `rt`'s kind.
    pub fn schema(&self, rt: &ResourceType) -> crate::patch::Node<'_> {
        self.schemas.root(rt.group, rt.kind)
    }

    pub fn cache(&self, rt: &ResourceType) -> Option<&Arc<WatchCache>> {
        self.caches.get(&(rt.group.to_string(), rt.plural.to_string()))
    }

    /// Waits until every watch cache has seen etcd's current revision (up to 3 s); false when one has not. The
    /// garden kube-apiserver's objects an aggregated server reads have no revision to wait for: half a second
    /// (many times a watch event's usual delay) is given to them.
    async fn caches_caught_up(&self) -> bool {
        if self.delegated.is_some() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let Ok(rev) = self.store.current_revision().await else { return false };
        for cache in self.caches.values() {
            if !cache.wait_for_rv(rev, Duration::from_secs(3)).await {
                return false;
            }
        }
        true
    }

    pub fn caches_synced(&self) -> bool {
        self.caches.values().all(|c| c.synced())
    }

    /// Authorization chain: system:masters, then RBAC from the stored objects.
    pub fn authorize(&self, attrs: &RequestAttributes) -> Decision {
        match SystemMastersAuthorizer.authorize(attrs) {
            Decision::NoOpinion => RbacAuthorizer::new(RbacView(self)).authorize(attrs),
            decided => decided,
        }
    }

    /// The decision on a request: system:masters, then the garden's SubjectAccessReview for an aggregated server,
    /// else this server's own chain. An error when the garden cannot be asked.
    pub async fn authorize_request(&self, attrs: &RequestAttributes) -> ApiResult<Decision> {
        let Some(delegated) = &self.delegated else { return Ok(self.authorize(attrs)) };
        match SystemMastersAuthorizer.authorize(attrs) {
            Decision::NoOpinion => delegated.authorizer.authorize(attrs).await,
            decided => Ok(decided),
        }
    }

    /// The rules that apply to `user` in `namespace` (SelfSubjectRulesReview status).
    pub fn rules_review(&self, user: &UserInfo, namespace: &str) -> Value {
        let mut resource_rules = Vec::new();
        let mut non_resource_rules = Vec::new();
        // Every authorizer of the chain contributes its rules, as kube's union authorizer does: the privileged
        // group may do anything, anywhere.
        if user.in_group(crate::authz::SYSTEM_MASTERS) {
            resource_rules.push(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}));
            non_resource_rules.push(json!({"verbs": ["*"], "nonResourceURLs": ["*"]}));
        }
        for r in RbacAuthorizer::new(RbacView(self)).rules_for(user, namespace) {
            if r.non_resource_urls.as_ref().is_some_and(|u| !u.is_empty()) {
                non_resource_rules.push(json!({"verbs": r.verbs, "nonResourceURLs": r.non_resource_urls}));
            } else {
                let mut rule = json!({"verbs": r.verbs, "apiGroups": r.api_groups.unwrap_or_default(),
                    "resources": r.resources.unwrap_or_default()});
                if let Some(names) = r.resource_names.filter(|n| !n.is_empty()) {
                    rule["resourceNames"] = json!(names);
                }
                resource_rules.push(rule);
            }
        }
        json!({"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": false})
    }

    /// etcd key of one object.
    pub fn key(&self, rt: &ResourceType, ns: &str, name: &str) -> String {
        if rt.namespaced {
            format!("{}{ns}/{name}", rt.key_root(&self.prefix))
        } else {
            format!("{}{name}", rt.key_root(&self.prefix))
        }
    }

    /// Key prefix of a collection (all namespaces when `ns` is empty).
    pub fn collection_prefix(&self, rt: &ResourceType, ns: &str) -> String {
        if rt.namespaced && !ns.is_empty() {
            format!("{}{ns}/", rt.key_root(&self.prefix))
        } else {
            rt.key_root(&self.prefix)
        }
    }

    /// Consistent read of one object.
    pub async fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> ApiResult<Value> {
        let kv = self.store.get(&self.key(rt, ns, name)).await?;
        kv.as_ref().and_then(decode_stored).ok_or_else(|| ApiError::not_found(rt.group, rt.plural, name))
    }

    /// Mutating admission, the kind's validation, validating admission — kube's order.
    #[allow(clippy::too_many_arguments)]
    fn admit_and_validate(
        &self,
        ctx: &WriteCtx<'_>,
        operation: Operation,
        rt: &ResourceType,
        subresource: &str,
        ns: &str,
        name: &str,
        obj: Option<&mut Value>,
        old: Option<&Value>,
    ) -> ApiResult<()> {
        let mut attrs = Attributes {
            operation,
            resource: rt,
            subresource,
            namespace: ns,
            name,
            obj,
            old,
            user: ctx.user,
            dry_run: ctx.dry_run,
            decoded: Default::default(),
        };
        if ctx.admission {
            self.admission.mutate(&mut attrs, self)?;
        }
        if let Some(obj) = attrs.obj.as_deref() {
            self.validate(rt, obj, old)?;
        }
        if ctx.admission {
            if let (Some(obj), Operation::Create | Operation::Update) = (attrs.obj.as_deref(), operation) {
                self.check_rbac_escalation(ctx.user, rt, ns, name, obj)?;
            }
            self.admission.validate(&attrs, self)?;
        }
        Ok(())
    }

    /// kube's RBAC escalation prevention: nobody grants (through a role or a binding) more than they hold,
    /// unless they may `escalate` / `bind`.
    fn check_rbac_escalation(
        &self,
        user: &UserInfo,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        obj: &Value,
    ) -> ApiResult<()> {
        use crate::authz::escalation::{check_binding_write, check_role_write};
        use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef};
        if rt.group != "rbac.authorization.k8s.io" {
            return Ok(());
        }
        let rbac = RbacAuthorizer::new(RbacView(self));
        let authz = ServerAuthorizer(self);
        let user_rules = rbac.rules_for(user, ns);
        match rt.plural {
            "roles" | "clusterroles" => {
                let rules: Vec<PolicyRule> =
                    obj.get("rules").and_then(|r| crate::registry::from_json(r).ok()).unwrap_or_default();
                check_role_write(&authz, &user_rules, user, ns, name, rt.plural == "clusterroles", &rules)
            }
            "rolebindings" | "clusterrolebindings" => {
                let Some(role_ref) = obj.get("roleRef").and_then(|r| crate::registry::from_json::<RoleRef>(r).ok())
                else {
                    return Ok(());
                };
                let role_rules = rbac.role_ref_rules(&role_ref, ns);
                check_binding_write(
                    &authz,
                    &user_rules,
                    user,
                    ns,
                    name,
                    rt.plural == "clusterrolebindings",
                    &role_ref,
                    role_rules.as_deref(),
                )
            }
            _ => Ok(()),
        }
    }

    /// Create a new object (already decoded by the codec).
    pub async fn create(&self, ctx: &WriteCtx<'_>, rt: &ResourceType, ns: &str, mut obj: Value) -> ApiResult<Written> {
        let meta = metadata_mut(&mut obj)?;
        if meta.get("resourceVersion").and_then(Value::as_str).is_some_and(|s| !s.is_empty()) {
            return Err(ApiError::bad_request("resourceVersion should not be set on objects to be created"));
        }
        let name = match meta.get("name").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            Some(n) => n.to_string(),
            None => match meta.get("generateName").and_then(Value::as_str).filter(|s| !s.is_empty()) {
                // kube keeps at most 58 characters of the base, so that a valid prefix makes a valid name.
                Some(base) => format!("{}{}", truncate(base, MAX_GENERATED_BASE), random_suffix()),
                None => {
                    return Err(ApiError::invalid(
                        rt.group,
                        rt.kind,
                        "",
                        &[FieldError::required("metadata.name", "name or generateName is required")],
                    ))
                }
            },
        };
        meta.insert("name".into(), json!(name));
        if rt.namespaced {
            meta.insert("namespace".into(), json!(ns));
        } else {
            meta.remove("namespace");
        }
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
        meta.insert("generation".into(), json!(1));
        for k in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            meta.remove(k);
        }
        if rt.has_status() {
            obj.as_object_mut().map(|o| o.remove("status"));
        }
        rt.strategy.default(&mut obj);
        if let Err(e) = self.admit_and_validate(ctx, Operation::Create, rt, "", ns, &name, Some(&mut obj), None) {
            // Admission reads other objects from the watch caches, a moment behind etcd: a Secret the same client
            // created just before may not be there yet. A refusal is checked once more after every cache has
            // caught up with etcd (admission plugins are idempotent, as kube's reinvocation requires).
            if !(ctx.admission && matches!(e.code, 403 | 404) && self.caches_caught_up().await) {
                return Err(e);
            }
            self.admit_and_validate(ctx, Operation::Create, rt, "", ns, &name, Some(&mut obj), None)?;
        }
        if !ctx.apply {
            crate::patch::record_update_manager(
                &mut obj,
                None,
                self.schema(rt),
                &ctx.field_manager,
                "Update",
                &rt.api_version(),
                &now_rfc3339(),
            );
        }
        if ctx.dry_run {
            return Ok(Written::unstored(obj));
        }
        let bytes = encode(&mut obj);
        match self.store.create(&self.key(rt, ns, &name), bytes.clone()).await? {
            CasOutcome::Done(rv) => {
                set_rv(&mut obj, rv);
                Ok(Written { obj, stored: Some((bytes, rv)) })
            }
            CasOutcome::Conflict(_) => Err(ApiError::already_exists(rt.group, rt.plural, &name)),
        }
    }

    fn validate(&self, rt: &ResourceType, obj: &Value, old: Option<&Value>) -> ApiResult<()> {
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let errs = crate::validation::validate(rt, obj, old);
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(rt.group, rt.kind, name, &errs))
        }
    }

    /// Read-modify-write with compare-and-swap. `mutate` builds the desired object from the current one; it is
    /// re-run on a conflicting concurrent write unless the object it returns pins a resourceVersion (then 409).
    pub async fn update(
        &self,
        ctx: &WriteCtx<'_>,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        subresource: &str,
        mut mutate: impl FnMut(&Value) -> ApiResult<Value>,
    ) -> ApiResult<Written> {
        let key = self.key(rt, ns, name);
        loop {
            let kv = self.store.get(&key).await?.ok_or_else(|| ApiError::not_found(rt.group, rt.plural, name))?;
            let old = decode_stored(&kv).ok_or_else(|| ApiError::internal("stored object is not decodable"))?;
            let mut new = mutate(&old)?;
            let sent_rv = rv_of(&new);
            if sent_rv != 0 && sent_rv != kv.mod_revision {
                return Err(ApiError::stale(rt.group, rt.plural, name));
            }
            merge_system_metadata(rt, subresource, &mut new, &old, name)?;
            if subresource.is_empty() || subresource == "status" {
                rt.strategy.default(&mut new);
            }
            self.admit_and_validate(ctx, Operation::Update, rt, subresource, ns, name, Some(&mut new), Some(&old))?;
            if same_ignoring_rv(&new, &old, !ctx.apply) {
                // Stored bytes from another writer may carry a resourceVersion: encode the decoded object instead.
                return Ok(Written::unstored(old));
            }
            if !ctx.apply {
                crate::patch::record_update_manager(
                    &mut new,
                    Some(&old),
                    self.schema(rt),
                    &ctx.field_manager,
                    "Update",
                    &rt.api_version(),
                    &now_rfc3339(),
                );
            }
            if ctx.dry_run {
                return Ok(Written::unstored(new));
            }
            let finished = new.pointer("/metadata/deletionTimestamp").is_some() && !has_finalizers(&new);
            let bytes = encode(&mut new);
            let outcome = if finished {
                self.store.delete(&key, kv.mod_revision).await?
            } else {
                self.store.update(&key, bytes.clone(), kv.mod_revision).await?
            };
            match outcome {
                CasOutcome::Done(rv) => {
                    set_rv(&mut new, rv);
                    return Ok(Written { obj: new, stored: Some((bytes, rv)) });
                }
                CasOutcome::Conflict(_) if sent_rv != 0 => return Err(ApiError::stale(rt.group, rt.plural, name)),
                CasOutcome::Conflict(_) => continue,
            }
        }
    }

    /// Delete: with finalizers the object only gets a deletionTimestamp. Returns the object and whether it is gone.
    pub async fn delete(
        &self,
        ctx: &WriteCtx<'_>,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        opts: &DeleteOpts,
    ) -> ApiResult<(Value, bool)> {
        let key = self.key(rt, ns, name);
        loop {
            let kv = self.store.get(&key).await?.ok_or_else(|| ApiError::not_found(rt.group, rt.plural, name))?;
            let mut obj = decode_stored(&kv).ok_or_else(|| ApiError::internal("stored object is not decodable"))?;
            let uid = obj.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default().to_string();
            if let Some(want) = opts.uid.as_deref().filter(|u| *u != uid) {
                return Err(ApiError::conflict(
                    rt.group,
                    rt.plural,
                    name,
                    &format!("Precondition failed: UID in precondition: {want}, UID in object meta: {uid}"),
                ));
            }
            if let Some(want) = opts.resource_version.as_deref().filter(|r| *r != kv.mod_revision.to_string()) {
                return Err(ApiError::conflict(
                    rt.group,
                    rt.plural,
                    name,
                    &format!("Precondition failed: ResourceVersion in precondition: {want}, ResourceVersion in object meta: {}", kv.mod_revision),
                ));
            }
            self.admit_and_validate(ctx, Operation::Delete, rt, "", ns, name, None, Some(&obj))?;
            if has_finalizers(&obj) {
                if obj.pointer("/metadata/deletionTimestamp").is_some() {
                    return Ok((obj, false));
                }
                if let Ok(meta) = metadata_mut(&mut obj) {
                    meta.insert("deletionTimestamp".into(), json!(now_rfc3339()));
                    meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                }
                if rt.group.is_empty() && rt.plural == "namespaces" {
                    obj["status"] = json!({"phase": "Terminating"});
                }
                if ctx.dry_run {
                    return Ok((obj, false));
                }
                match self.store.update(&key, encode(&mut obj), kv.mod_revision).await? {
                    CasOutcome::Done(rv) => {
                        set_rv(&mut obj, rv);
                        return Ok((obj, false));
                    }
                    CasOutcome::Conflict(_) => continue,
                }
            }
            if ctx.dry_run {
                return Ok((obj, true));
            }
            match self.store.delete(&key, kv.mod_revision).await? {
                CasOutcome::Done(_) => return Ok((obj, true)),
                CasOutcome::Conflict(_) => continue,
            }
        }
    }

    /// Create an object unless it exists (bootstrap).
    pub async fn ensure(&self, rt: &ResourceType, ns: &str, obj: Value) -> anyhow::Result<()> {
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        if self.store.get(&self.key(rt, ns, &name)).await?.is_some() {
            return Ok(());
        }
        let system =
            UserInfo { name: "system:apiserver".into(), uid: String::new(), groups: vec!["system:masters".into()] };
        let (obj, _) = rt.codec.decode(obj).map_err(anyhow::Error::msg)?;
        match self.create(&WriteCtx::internal(&system), rt, ns, obj).await {
            Ok(_) => Ok(()),
            Err(e) if e.reason == "AlreadyExists" => Ok(()),
            Err(e) => Err(anyhow::anyhow!("failed to create {} {name}: {}", rt.kind, e.message)),
        }
    }

    /// Like [`ApiServer::ensure`]; an object that exists already is replaced by `reconcile(existing)` when that
    /// returns one (kube's reconciliation of its bootstrap policy).
    pub async fn ensure_reconciled(
        &self,
        rt: &ResourceType,
        ns: &str,
        obj: Value,
        reconcile: impl Fn(&Value) -> Option<Value>,
    ) -> anyhow::Result<()> {
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        let Some(kv) = self.store.get(&self.key(rt, ns, &name)).await? else {
            return self.ensure(rt, ns, obj).await;
        };
        let existing =
            decode_stored(&kv).ok_or_else(|| anyhow::anyhow!("stored {} {name} is not decodable", rt.kind))?;
        if reconcile(&existing).is_none() {
            return Ok(());
        }
        let system =
            UserInfo { name: "system:apiserver".into(), uid: String::new(), groups: vec!["system:masters".into()] };
        let mutate = |cur: &Value| {
            let mut next = reconcile(cur).unwrap_or_else(|| cur.clone());
            let (decoded, _) = rt.codec.decode(next.take()).map_err(ApiError::bad_request)?;
            Ok(decoded)
        };
        self.update(&WriteCtx::internal(&system), rt, ns, &name, "", mutate)
            .await
            .map(drop)
            .map_err(|e| anyhow::anyhow!("failed to update {} {name}: {}", rt.kind, e.message))
    }

    /// Housekeeping: finish the deletion of terminating namespaces by deleting what they contain.
    pub async fn run_namespace_cleanup(self: Arc<Self>) {
        let system =
            UserInfo { name: "system:apiserver".into(), uid: String::new(), groups: vec!["system:masters".into()] };
        let Some(ns_rt) = self.registry.lookup("", "v1", "namespaces").cloned() else {
            return;
        };
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let Some(cache) = self.cache(&ns_rt) else {
                return;
            };
            let (namespaces, _) = cache.list(cache.prefix());
            for ns in namespaces.iter().filter(|n| n.index.pointer("/metadata/deletionTimestamp").is_some()) {
                let name = ns.name().to_string();
                if let Err(e) = self.clean_namespace(&system, &ns_rt, &name).await {
                    tracing::warn!(namespace = %name, error = %e, "namespace cleanup failed");
                }
            }
        }
    }

    async fn clean_namespace(&self, system: &UserInfo, ns_rt: &ResourceType, ns: &str) -> ApiResult<()> {
        let ctx = WriteCtx::internal(system);
        let mut remaining = 0;
        for rt in self.registry.all().iter().filter(|rt| rt.namespaced && !rt.create_only) {
            let Some(cache) = self.cache(rt) else {
                continue;
            };
            let (objs, _) = cache.list(&self.collection_prefix(rt, ns));
            for o in objs {
                remaining += 1;
                match self.delete(&ctx, rt, ns, o.name(), &DeleteOpts::default()).await {
                    Ok(_) => {}
                    Err(e) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if let Some(agg) = &self.aggregator {
            // As kube's namespace controller: what aggregated servers keep in the namespace goes too.
            remaining += agg.clean_namespace(ns).await.map_err(|e| ApiError::internal(format!("{e:#}")))?;
        }
        if remaining == 0 {
            let r = self
                .update(&ctx, ns_rt, "", ns, "finalize", |cur| {
                    let mut next = cur.clone();
                    next["spec"]["finalizers"] = json!([]);
                    Ok(next)
                })
                .await;
            if let Err(e) = r {
                if e.code != 404 {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Housekeeping: compact etcd history older than one interval, like kube-apiserver.
    pub async fn run_compactor(self: Arc<Self>, interval: Duration) {
        let mut last = 0;
        loop {
            tokio::time::sleep(interval).await;
            if last > 0 {
                if let Err(e) = self.store.compact(last).await {
                    tracing::debug!(error = %e, "compaction skipped");
                }
            }
            last = self.store.current_revision().await.unwrap_or(last);
        }
    }
}

/// The longest `generateName` base kept: a DNS label (63) minus the random suffix (5).
const MAX_GENERATED_BASE: usize = 58;

fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn random_suffix() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..5).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

fn metadata_mut(obj: &mut Value) -> ApiResult<&mut Map<String, Value>> {
    let o = obj.as_object_mut().ok_or_else(|| ApiError::bad_request("the object must be a JSON object"))?;
    o.entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("metadata must be an object"))
}

/// Stored bytes: the object without its resourceVersion (that is the etcd revision, stamped back on read and
/// after the write).
fn encode(obj: &mut Value) -> Vec<u8> {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    serde_json::to_vec(obj).unwrap_or_default()
}

pub fn has_finalizers(obj: &Value) -> bool {
    let non_empty = |p: &str| obj.pointer(p).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    non_empty("/metadata/finalizers")
        || non_empty("/spec/finalizers") && obj.get("kind").and_then(Value::as_str) == Some("Namespace")
}

/// Whether a write changes nothing; `ignore_managed`: managedFields are left out (they are recorded after this
/// check, except for an apply, where a change of ownership alone is a change).
fn same_ignoring_rv(a: &Value, b: &Value, ignore_managed: bool) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
            if ignore_managed {
                m.remove("managedFields");
            }
        }
        v
    };
    strip(a) == strip(b)
}

/// Everything but metadata and status: a change here bumps `metadata.generation`.
fn spec_part(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        for k in ["metadata", "status", "apiVersion", "kind"] {
            o.remove(k);
        }
    }
    v
}

/// Carry over what clients may not change and apply subresource rules.
fn merge_system_metadata(
    rt: &ResourceType,
    subresource: &str,
    new: &mut Value,
    old: &Value,
    name: &str,
) -> ApiResult<()> {
    let sent_name = new.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(name);
    if sent_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({sent_name}) does not match the name on the URL ({name})"
        )));
    }
    match subresource {
        "status" => {
            // Only status changes; metadata and spec come from the stored object.
            let status = new.get("status").cloned();
            *new = old.clone();
            match status {
                Some(s) => new["status"] = s,
                None => {
                    new.as_object_mut().map(|o| o.remove("status"));
                }
            }
        }
        "finalize" => {
            let fin = new.pointer("/spec/finalizers").cloned().unwrap_or_else(|| json!([]));
            *new = old.clone();
            new["spec"]["finalizers"] = fin;
        }
        _ => {
            if rt.has_status() {
                match old.get("status") {
                    Some(s) => new["status"] = s.clone(),
                    None => {
                        new.as_object_mut().map(|o| o.remove("status"));
                    }
                }
            }
        }
    }
    let old_meta = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let generation = old_meta.get("generation").and_then(Value::as_i64).unwrap_or(1);
    let bumped = if spec_part(new) != spec_part(old) { generation + 1 } else { generation };
    let meta = metadata_mut(new)?;
    for k in ["creationTimestamp", "namespace", "name"] {
        match old_meta.get(k) {
            Some(v) => meta.insert(k.into(), v.clone()),
            None => meta.remove(k),
        };
    }
    // As kube: a uid left out is the stored one, and a deletion timestamp or grace period once set stays; any other
    // change of them is refused by validation (field is immutable).
    let sent_uid = meta.get("uid").and_then(Value::as_str).is_some_and(|u| !u.is_empty());
    for (k, keep) in [
        ("uid", !sent_uid),
        ("deletionTimestamp", old_meta.get("deletionTimestamp").is_some()),
        ("deletionGracePeriodSeconds", old_meta.get("deletionGracePeriodSeconds").is_some()),
    ] {
        if let (true, Some(v)) = (keep, old_meta.get(k)) {
            meta.insert(k.into(), v.clone());
        }
    }
    meta.insert("generation".into(), json!(bumped));
    meta.remove("selfLink");
    if old_meta.get("deletionTimestamp").is_some() {
        let old_f: Vec<Value> = old_meta.get("finalizers").and_then(Value::as_array).cloned().unwrap_or_default();
        let new_f: Vec<Value> = meta.get("finalizers").and_then(Value::as_array).cloned().unwrap_or_default();
        if new_f.iter().any(|f| !old_f.contains(f)) {
            return Err(ApiError::invalid(
                rt.group,
                rt.kind,
                name,
                &[FieldError::forbidden(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted",
                )],
            ));
        }
    }
    Ok(())
}

impl ApiServer {
    /// The garden kube-apiserver's objects of a kind this aggregated server does not serve itself.
    fn remote(&self, group: &str, plural: &str) -> Option<&crate::remote::RemoteCore> {
        self.delegated.as_ref().map(|d| &d.core).filter(|c| c.serves(group, plural))
    }
}

impl Lookup for ApiServer {
    fn get(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<Arc<Value>> {
        let Some(rt) = self.registry.all().iter().find(|rt| rt.group == group && rt.plural == plural) else {
            return self.remote(group, plural)?.get(plural, namespace, name);
        };
        self.cache(rt)?.get(&self.key(rt, namespace, name)).map(|o| o.value())
    }
    fn list(&self, group: &str, plural: &str, namespace: &str) -> Vec<Arc<Value>> {
        let Some(rt) = self.registry.all().iter().find(|rt| rt.group == group && rt.plural == plural) else {
            return self.remote(group, plural).map(|r| r.list(plural, namespace)).unwrap_or_default();
        };
        let Some(cache) = self.cache(rt) else {
            return Vec::new();
        };
        cache.list(&self.collection_prefix(rt, namespace)).0.iter().map(|o| o.value()).collect()
    }
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
    crate::registry::from_json(v).ok()
}

/// The server's authorization chain as an `Authorizer` (for escalation checks).
struct ServerAuthorizer<'a>(&'a ApiServer);

impl Authorizer for ServerAuthorizer<'_> {
    fn authorize(&self, a: &RequestAttributes) -> Decision {
        self.0.authorize(a)
    }
}

/// RBAC objects as the authorizer sees them: straight from the watch caches.
pub struct RbacView<'a>(&'a ApiServer);

impl RbacSource for RbacView<'_> {
    fn cluster_role(&self, name: &str) -> Option<k8s_openapi::api::rbac::v1::ClusterRole> {
        Lookup::get(self.0, "rbac.authorization.k8s.io", "clusterroles", "", name).and_then(|v| typed(&v))
    }
    fn role(&self, namespace: &str, name: &str) -> Option<k8s_openapi::api::rbac::v1::Role> {
        Lookup::get(self.0, "rbac.authorization.k8s.io", "roles", namespace, name).and_then(|v| typed(&v))
    }
    fn cluster_role_bindings(&self) -> Vec<k8s_openapi::api::rbac::v1::ClusterRoleBinding> {
        Lookup::list(self.0, "rbac.authorization.k8s.io", "clusterrolebindings", "")
            .iter()
            .filter_map(|v| typed(v))
            .collect()
    }
    fn role_bindings(&self, namespace: &str) -> Vec<k8s_openapi::api::rbac::v1::RoleBinding> {
        Lookup::list(self.0, "rbac.authorization.k8s.io", "rolebindings", namespace)
            .iter()
            .filter_map(|v| typed(v))
            .collect()
    }
}
