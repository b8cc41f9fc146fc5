//! etcd backups of the shoots on this seed: the seed's [`bucket`], the shoots' [`entry`]s and the mapping from
//! both to the `etcd-backup` snapshotter's [`store`] configuration.

pub mod bucket;
pub mod entry;
pub mod store;
