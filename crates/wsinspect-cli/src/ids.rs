//! Maps keyed by connection id. The ids are our own counter, not the input's choice, so a fast
//! hash (foldhash) is safe where SipHash cost about 1 % of `pcap --summary`.

use std::collections::{HashMap, HashSet};

/// A map from connection id.
pub type IdMap<V> = HashMap<u64, V, foldhash::fast::RandomState>;

/// A set of connection ids.
pub type IdSet = HashSet<u64, foldhash::fast::RandomState>;
