//! etcd backups of the shoots on this seed: the seed's [`bucket`], the shoots' [`entry`]s and the mapping from
//! both to the `etcd-backup` snapshotter's [`store`] configuration.

pub mod bucket;
pub mod entry;
pub mod store;

fn now_str() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}
