//! The scheduling decision as pure functions on typed objects: which seeds may host a shoot, and
//! which one of them the strategy picks (Gardener's `pkg/scheduler/controller/shoot` reconciler).

use std::collections::{BTreeMap, HashMap};

use garden_api::core::v1beta1::{Seed, SeedSelector, Shoot};

/// Condition a seed must report `True` to be usable.
pub const CONDITION_GARDENLET_READY: &str = "GardenletReady";
/// Key of the shoot capacity in a seed's `status.allocatable`.
pub const RESOURCE_SHOOTS: &str = "shoots";

/// How a seed is chosen among the usable ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// Only seeds in the shoot's region (`spec.region` equals the seed's `spec.provider.region`).
    #[default]
    SameRegion,
    /// Seeds in the shoot's region if any, else those whose region is closest to it by name.
    MinimalDistance,
}

/// Why a seed was not chosen. The order is the order the checks run in (a seed is reported with
/// its first failing check) and the order of the reasons in the failure message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rejection {
    /// The seed has a deletion timestamp.
    Deleting,
    /// `GardenletReady` is not `True`.
    NotReady,
    /// `spec.settings.scheduling.visible` is false.
    Invisible,
    /// The provider type is neither the shoot's nor allowed by a seed selector.
    ProviderType,
    /// The labels do not match the shoot's `spec.seedSelector`.
    ShootSelector,
    /// The labels do not match the cloud profile's `spec.seedSelector`.
    CloudProfileSelector,
    /// A taint is not tolerated by the shoot.
    Taints,
    /// `status.allocatable.shoots` is used up.
    Capacity,
    /// Not in a region the strategy accepts.
    Region,
}

impl Rejection {
    /// The phrase after "1 seed" / "N seeds".
    fn phrase(self, plural: bool) -> &'static str {
        let (one, many) = match self {
            Self::Deleting => ("is being deleted", "are being deleted"),
            Self::NotReady => ("is not ready", "are not ready"),
            Self::Invisible => ("is not visible for scheduling", "are not visible for scheduling"),
            Self::ProviderType => ("has a different provider type", "have a different provider type"),
            Self::ShootSelector => {
                ("does not match the shoot's seed selector", "do not match the shoot's seed selector")
            }
            Self::CloudProfileSelector => {
                ("does not match the cloud profile's seed selector", "do not match the cloud profile's seed selector")
            }
            Self::Taints => ("has taints the shoot does not tolerate", "have taints the shoot does not tolerate"),
            Self::Capacity => ("has no capacity for more shoots", "have no capacity for more shoots"),
            Self::Region => ("is in a different region", "are in a different region"),
        };
        if plural {
            many
        } else {
            one
        }
    }
}

/// Everything the decision needs besides the shoot and the seeds.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    /// `spec.seedSelector` of the shoot's CloudProfile (or the NamespacedCloudProfile's resolved spec).
    pub cloud_profile_selector: Option<&'a SeedSelector>,
    /// Number of shoots already scheduled on each seed (by `spec.seedName`).
    pub shoots_per_seed: &'a HashMap<String, usize>,
    /// The strategy.
    pub strategy: Strategy,
}

/// Picks the seed for `shoot`, or explains why none fits (`0/N seeds are available: ...`).
pub fn schedule(shoot: &Shoot, seeds: &[&Seed], inputs: &Inputs<'_>) -> Result<String, String> {
    let mut rejected: BTreeMap<Rejection, usize> = BTreeMap::new();
    let mut usable = Vec::new();
    for seed in seeds {
        match check_seed(shoot, seed, inputs) {
            Ok(()) => usable.push(*seed),
            Err(r) => *rejected.entry(r).or_default() += 1,
        }
    }
    let (candidates, out_of_region) = by_strategy(shoot, &usable, inputs.strategy);
    if out_of_region > 0 {
        *rejected.entry(Rejection::Region).or_default() += out_of_region;
    }
    match fewest_shoots(&candidates, inputs.shoots_per_seed) {
        Some(seed) => Ok(seed.metadata.name.clone().unwrap_or_default()),
        None => Err(failure_message(seeds.len(), &rejected)),
    }
}

/// `0/2 seeds are available: 1 seed has a different provider type, 1 seed is not ready`.
pub fn failure_message(total: usize, rejected: &BTreeMap<Rejection, usize>) -> String {
    let noun = if total == 1 { "seed is" } else { "seeds are" };
    let mut msg = format!("0/{total} {noun} available");
    let parts: Vec<String> = rejected
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| {
            let plural = *n != 1;
            format!("{n} {} {}", if plural { "seeds" } else { "seed" }, r.phrase(plural))
        })
        .collect();
    if !parts.is_empty() {
        msg.push_str(": ");
        msg.push_str(&parts.join(", "));
    }
    msg
}

/// The first check `seed` fails for `shoot`, in [`Rejection`] order.
pub fn check_seed(shoot: &Shoot, seed: &Seed, inputs: &Inputs<'_>) -> Result<(), Rejection> {
    usable(seed)?;
    if !provider_matches(shoot, seed, inputs.cloud_profile_selector) {
        return Err(Rejection::ProviderType);
    }
    let labels = seed.metadata.labels.clone().unwrap_or_default();
    if shoot.spec.seed_selector.as_ref().is_some_and(|s| !selector_matches(s, &labels)) {
        return Err(Rejection::ShootSelector);
    }
    if inputs.cloud_profile_selector.is_some_and(|s| !selector_matches(s, &labels)) {
        return Err(Rejection::CloudProfileSelector);
    }
    if !tolerates(shoot, seed) {
        return Err(Rejection::Taints);
    }
    let name = seed.metadata.name.as_deref().unwrap_or_default();
    if !has_capacity(seed, inputs.shoots_per_seed.get(name).copied().unwrap_or(0)) {
        return Err(Rejection::Capacity);
    }
    Ok(())
}

/// Whether the seed may receive shoots at all: not being deleted, `GardenletReady` is `True`, and
/// not hidden by `spec.settings.scheduling.visible: false`.
///
/// Gardener also requires `SeedSystemComponentsHealthy` (and a ready backup bucket when the seed
/// has backup configured); this scheduler only looks at `GardenletReady`.
pub fn usable(seed: &Seed) -> Result<(), Rejection> {
    if seed.metadata.deletion_timestamp.is_some() {
        return Err(Rejection::Deleting);
    }
    let ready = seed
        .status
        .as_ref()
        .is_some_and(|s| s.conditions.iter().any(|c| c.type_ == CONDITION_GARDENLET_READY && c.status == "True"));
    if !ready {
        return Err(Rejection::NotReady);
    }
    let hidden = seed.spec.settings.as_ref().and_then(|s| s.scheduling.as_ref()).is_some_and(|s| !s.visible);
    if hidden {
        return Err(Rejection::Invisible);
    }
    Ok(())
}

/// The seed's provider type must equal the shoot's, unless a seed selector lists `providerTypes`:
/// then the seed's type (or `*`) must be listed. The shoot's list wins over the cloud profile's.
pub fn provider_matches(shoot: &Shoot, seed: &Seed, cloud_profile_selector: Option<&SeedSelector>) -> bool {
    let shoot_types = shoot.spec.seed_selector.as_ref().map(|s| s.provider_types.as_slice()).unwrap_or_default();
    let profile_types = cloud_profile_selector.map(|s| s.provider_types.as_slice()).unwrap_or_default();
    let allowed = if shoot_types.is_empty() { profile_types } else { shoot_types };
    if allowed.is_empty() {
        return seed.spec.provider.type_ == shoot.spec.provider.type_;
    }
    allowed.iter().any(|t| t == "*" || *t == seed.spec.provider.type_)
}

/// Label selector semantics (`matchLabels` and `matchExpressions`, all must hold); an empty
/// selector matches everything. Unknown operators match nothing.
pub fn selector_matches(selector: &SeedSelector, labels: &BTreeMap<String, String>) -> bool {
    garden_api::rbac::labels_match(&selector.match_labels, &selector.match_expressions, labels).unwrap_or(false)
}

/// Every seed taint needs a shoot toleration with the same key and, if the toleration has a
/// value, the same value.
pub fn tolerates(shoot: &Shoot, seed: &Seed) -> bool {
    seed.spec.taints.iter().all(|taint| {
        shoot.spec.tolerations.iter().any(|t| t.key == taint.key && (t.value.is_none() || t.value == taint.value))
    })
}

/// Room for one more shoot: `status.allocatable.shoots` (when set and parseable) exceeds the number
/// of shoots already on the seed.
pub fn has_capacity(seed: &Seed, scheduled: usize) -> bool {
    let Some(q) = seed.status.as_ref().and_then(|s| s.allocatable.get(RESOURCE_SHOOTS)) else {
        return true;
    };
    match parse_count(&q.0) {
        Some(allocatable) => allocatable > i128::try_from(scheduled).unwrap_or(i128::MAX),
        None => true,
    }
}

/// Parses a count Quantity: an integer with an optional decimal (`k`, `M`, `G`, `T`) or binary
/// (`Ki`, `Mi`, `Gi`, `Ti`) suffix. Fractions and exponents are not supported (`None`).
pub fn parse_count(q: &str) -> Option<i128> {
    let q = q.trim();
    let split = q.find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+')).unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let n: i128 = num.parse().ok()?;
    let mult: i128 = match suffix {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Splits the usable seeds into the strategy's candidates and the number it rejected by region.
fn by_strategy<'a>(shoot: &Shoot, usable: &[&'a Seed], strategy: Strategy) -> (Vec<&'a Seed>, usize) {
    let region = shoot.spec.region.as_str();
    let same: Vec<&Seed> = usable.iter().copied().filter(|s| s.spec.provider.region == region).collect();
    match strategy {
        Strategy::SameRegion => {
            let other = usable.len() - same.len();
            (same, other)
        }
        Strategy::MinimalDistance => {
            if !same.is_empty() {
                return (same, 0);
            }
            let Some(min) = usable.iter().map(|s| region_distance(&s.spec.provider.region, region)).min() else {
                return (Vec::new(), 0);
            };
            let closest =
                usable.iter().copied().filter(|s| region_distance(&s.spec.provider.region, region) == min).collect();
            (closest, 0)
        }
    }
}

/// Distance between two region names for `MinimalDistance`.
///
/// An approximation of Gardener's name-based distance: the number of characters of both names
/// outside their common prefix (`eu-west-1` vs `eu-west-2`: 2, vs `eu-central-1`: 14), so regions
/// sharing a longer prefix (same continent, same area) are closer. Gardener additionally lets the
/// scheduler configuration define explicit region distances; that is not supported.
pub fn region_distance(a: &str, b: &str) -> usize {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    (a.chars().count() - common) + (b.chars().count() - common)
}

/// Gardener's tie-breaker: the candidate hosting the fewest shoots (then the first by name).
fn fewest_shoots<'a>(candidates: &[&'a Seed], shoots_per_seed: &HashMap<String, usize>) -> Option<&'a Seed> {
    candidates.iter().copied().min_by_key(|s| {
        let name = s.metadata.name.as_deref().unwrap_or_default();
        (shoots_per_seed.get(name).copied().unwrap_or(0), name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use garden_api::core::v1beta1::{
        Condition, SeedSettingScheduling, SeedSettings, SeedStatus, SeedTaint, Toleration,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;

    fn seed(name: &str, provider: &str, region: &str) -> Seed {
        let mut s = Seed::default();
        s.metadata.name = Some(name.into());
        s.spec.provider.type_ = provider.into();
        s.spec.provider.region = region.into();
        s.status = Some(SeedStatus {
            conditions: vec![Condition {
                type_: CONDITION_GARDENLET_READY.into(),
                status: "True".into(),
                ..Default::default()
            }],
            ..Default::default()
        });
        s
    }

    fn shoot(provider: &str, region: &str) -> Shoot {
        let mut s = Shoot::default();
        s.metadata.name = Some("s".into());
        s.metadata.namespace = Some("garden-p".into());
        s.spec.provider.type_ = provider.into();
        s.spec.region = region.into();
        s
    }

    fn run(shoot: &Shoot, seeds: &[Seed], strategy: Strategy) -> Result<String, String> {
        let counts = HashMap::new();
        run_with(shoot, seeds, strategy, &counts, None)
    }

    fn run_with(
        shoot: &Shoot,
        seeds: &[Seed],
        strategy: Strategy,
        counts: &HashMap<String, usize>,
        profile: Option<&SeedSelector>,
    ) -> Result<String, String> {
        let refs: Vec<&Seed> = seeds.iter().collect();
        let inputs = Inputs { cloud_profile_selector: profile, shoots_per_seed: counts, strategy };
        schedule(shoot, &refs, &inputs)
    }

    #[test]
    fn seed_being_deleted_is_skipped() {
        let mut s = seed("a", "aws", "eu");
        s.metadata.deletion_timestamp = Some(Time(Timestamp::UNIX_EPOCH));
        assert_eq!(usable(&s), Err(Rejection::Deleting));
        assert_eq!(
            run(&shoot("aws", "eu"), &[s], Strategy::SameRegion),
            Err("0/1 seed is available: 1 seed is being deleted".into())
        );
    }

    #[test]
    fn seed_without_gardenlet_ready_is_skipped() {
        let mut s = seed("a", "aws", "eu");
        assert_eq!(usable(&s), Ok(()));
        s.status.as_mut().unwrap().conditions[0].status = "False".into();
        assert_eq!(usable(&s), Err(Rejection::NotReady));
        s.status = None;
        assert_eq!(usable(&s), Err(Rejection::NotReady));
    }

    #[test]
    fn invisible_seed_is_skipped() {
        let mut s = seed("a", "aws", "eu");
        s.spec.settings = Some(SeedSettings::default());
        assert_eq!(usable(&s), Ok(()), "no scheduling settings: visible");
        s.spec.settings.as_mut().unwrap().scheduling = Some(SeedSettingScheduling { visible: false });
        assert_eq!(usable(&s), Err(Rejection::Invisible));
        s.spec.settings.as_mut().unwrap().scheduling = Some(SeedSettingScheduling { visible: true });
        assert_eq!(usable(&s), Ok(()));
    }

    #[test]
    fn provider_type_must_match_unless_selector_allows() {
        let gcp = seed("g", "gcp", "eu");
        let mut sh = shoot("aws", "eu");
        assert!(!provider_matches(&sh, &gcp, None));
        assert!(provider_matches(&sh, &seed("a", "aws", "eu"), None));
        // The cloud profile's provider types apply when the shoot lists none.
        let profile = SeedSelector { provider_types: vec!["gcp".into()], ..Default::default() };
        assert!(provider_matches(&sh, &gcp, Some(&profile)));
        // The shoot's list wins; `*` allows any type.
        sh.spec.seed_selector = Some(SeedSelector { provider_types: vec!["azure".into()], ..Default::default() });
        assert!(!provider_matches(&sh, &gcp, Some(&profile)));
        sh.spec.seed_selector = Some(SeedSelector { provider_types: vec!["*".into()], ..Default::default() });
        assert!(provider_matches(&sh, &gcp, None));
    }

    #[test]
    fn shoot_seed_selector_must_match_labels() {
        let mut s = seed("a", "aws", "eu");
        s.metadata.labels = Some([("env".to_string(), "prod".to_string())].into());
        let mut sh = shoot("aws", "eu");
        sh.spec.seed_selector =
            Some(SeedSelector { match_labels: [("env".to_string(), "dev".to_string())].into(), ..Default::default() });
        assert_eq!(
            run(&sh, std::slice::from_ref(&s), Strategy::SameRegion),
            Err("0/1 seed is available: 1 seed does not match the shoot's seed selector".into())
        );
        sh.spec.seed_selector = Some(SeedSelector {
            match_expressions: vec![LabelSelectorRequirement {
                key: "env".into(),
                operator: "In".into(),
                values: Some(vec!["prod".into(), "staging".into()]),
            }],
            ..Default::default()
        });
        assert_eq!(run(&sh, &[s], Strategy::SameRegion), Ok("a".into()));
    }

    #[test]
    fn label_selector_operators() {
        let labels: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
        let req = |op: &str, values: Option<Vec<&str>>| SeedSelector {
            match_expressions: vec![LabelSelectorRequirement {
                key: "a".into(),
                operator: op.into(),
                values: values.map(|v| v.into_iter().map(String::from).collect()),
            }],
            ..Default::default()
        };
        assert!(selector_matches(&SeedSelector::default(), &labels));
        assert!(selector_matches(&req("In", Some(vec!["1"])), &labels));
        assert!(!selector_matches(&req("NotIn", Some(vec!["1"])), &labels));
        assert!(selector_matches(&req("Exists", None), &labels));
        assert!(!selector_matches(&req("DoesNotExist", None), &labels));
        assert!(!selector_matches(&req("Bogus", None), &labels));
    }

    #[test]
    fn cloud_profile_seed_selector_must_match_labels() {
        let mut s = seed("a", "aws", "eu");
        let profile =
            SeedSelector { match_labels: [("tier".to_string(), "gold".to_string())].into(), ..Default::default() };
        let counts = HashMap::new();
        let sh = shoot("aws", "eu");
        assert_eq!(
            run_with(&sh, std::slice::from_ref(&s), Strategy::SameRegion, &counts, Some(&profile)),
            Err("0/1 seed is available: 1 seed does not match the cloud profile's seed selector".into())
        );
        s.metadata.labels = Some([("tier".to_string(), "gold".to_string())].into());
        assert_eq!(run_with(&sh, &[s], Strategy::SameRegion, &counts, Some(&profile)), Ok("a".into()));
    }

    #[test]
    fn taints_must_be_tolerated() {
        let mut s = seed("a", "aws", "eu");
        s.spec.taints = vec![SeedTaint { key: "protected".into(), value: Some("x".into()) }];
        let mut sh = shoot("aws", "eu");
        assert!(!tolerates(&sh, &s));
        sh.spec.tolerations = vec![Toleration { key: "protected".into(), value: Some("y".into()) }];
        assert!(!tolerates(&sh, &s), "value mismatch");
        sh.spec.tolerations = vec![Toleration { key: "protected".into(), value: Some("x".into()) }];
        assert!(tolerates(&sh, &s));
        sh.spec.tolerations = vec![Toleration { key: "protected".into(), value: None }];
        assert!(tolerates(&sh, &s), "a toleration without value tolerates any value");
        assert!(tolerates(&shoot("aws", "eu"), &seed("b", "aws", "eu")), "no taints");
    }

    #[test]
    fn capacity_counts_scheduled_shoots() {
        let mut s = seed("a", "aws", "eu");
        assert!(has_capacity(&s, 1000), "no allocatable: unlimited");
        s.status.as_mut().unwrap().allocatable.insert(RESOURCE_SHOOTS.into(), Quantity("2".into()));
        assert!(has_capacity(&s, 1));
        assert!(!has_capacity(&s, 2));
        let counts: HashMap<String, usize> = [("a".to_string(), 2)].into();
        assert_eq!(
            run_with(&shoot("aws", "eu"), &[s], Strategy::SameRegion, &counts, None),
            Err("0/1 seed is available: 1 seed has no capacity for more shoots".into())
        );
        assert_eq!(parse_count("1k"), Some(1000));
        assert_eq!(parse_count("2Ki"), Some(2048));
        assert_eq!(parse_count("1.5"), None);
    }

    #[test]
    fn same_region_strategy_requires_the_shoot_region() {
        let seeds = [seed("a", "aws", "eu-west-1"), seed("b", "aws", "eu-west-2")];
        assert_eq!(run(&shoot("aws", "eu-west-2"), &seeds, Strategy::SameRegion), Ok("b".into()));
        assert_eq!(
            run(&shoot("aws", "us-east-1"), &seeds, Strategy::SameRegion),
            Err("0/2 seeds are available: 2 seeds are in a different region".into())
        );
    }

    #[test]
    fn minimal_distance_prefers_same_region_then_closest() {
        let seeds = [seed("a", "aws", "eu-central-1"), seed("b", "aws", "eu-west-2"), seed("c", "aws", "us-east-1")];
        assert_eq!(run(&shoot("aws", "eu-central-1"), &seeds, Strategy::MinimalDistance), Ok("a".into()));
        assert_eq!(run(&shoot("aws", "eu-west-1"), &seeds, Strategy::MinimalDistance), Ok("b".into()));
        assert_eq!(run(&shoot("aws", "us-west-1"), &seeds, Strategy::MinimalDistance), Ok("c".into()));
        assert!(region_distance("eu-west-1", "eu-west-2") < region_distance("eu-west-1", "eu-central-1"));
    }

    #[test]
    fn fewest_shoots_breaks_ties() {
        let seeds = [seed("a", "aws", "eu"), seed("b", "aws", "eu"), seed("c", "aws", "eu")];
        let counts: HashMap<String, usize> = [("a".to_string(), 3), ("b".to_string(), 1), ("c".to_string(), 1)].into();
        assert_eq!(run_with(&shoot("aws", "eu"), &seeds, Strategy::SameRegion, &counts, None), Ok("b".into()));
    }

    #[test]
    fn failure_message_counts_every_reason() {
        let mut not_ready = seed("b", "aws", "eu");
        not_ready.status = None;
        let seeds = [seed("a", "gcp", "eu"), not_ready];
        assert_eq!(
            run(&shoot("aws", "eu"), &seeds, Strategy::SameRegion),
            Err("0/2 seeds are available: 1 seed is not ready, 1 seed has a different provider type".into())
        );
        assert_eq!(run(&shoot("aws", "eu"), &[], Strategy::SameRegion), Err("0/0 seeds are available".into()));
    }
}
