//! Admitting new peers to a site: names, keys and tunnel addresses not yet
//! taken, indexed once.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use crate::error::{Error, Result};
use crate::model::keys::PublicKey;
use crate::model::name::PeerName;
use crate::model::site::Site;

/// Names, keys and addresses already taken on a site, for admitting new
/// peers. Each admitted peer takes its name, key and addresses at once.
pub struct Admission {
    subnet: Ipv4Net,
    subnet6: Option<Ipv6Net>,
    names: HashMap<String, PeerName>,
    keys: HashSet<PublicKey>,
    used4: HashSet<Ipv4Addr>,
    used6: HashSet<Ipv6Addr>,
    /// Every host address below this one is taken: addresses are only ever
    /// taken here, so the search resumes where it stopped.
    next4: u32,
}

impl Admission {
    /// What `site` has taken already.
    pub fn new(site: &Site) -> Self {
        let mut names = HashMap::with_capacity(site.peers.len());
        let mut keys = HashSet::with_capacity(site.peers.len() + 1);
        let mut used4 = HashSet::with_capacity(site.peers.len() + 1);
        let mut used6 = HashSet::new();
        keys.insert(site.server_public_key);
        used4.insert(site.server_address());
        used6.extend(site.server_address6());
        for p in &site.peers {
            names.insert(p.name.key(), p.name.clone());
            keys.insert(p.public_key);
            used4.insert(p.address);
            used6.extend(p.address6);
        }
        Admission {
            subnet: site.subnet,
            subnet6: site.subnet6,
            names,
            keys,
            used4,
            used6,
            next4: u32::from(site.subnet.network()),
        }
    }

    /// Checks that `name` is not already a peer (also under another case or
    /// with `-` for `_`, which would collide in file and section names).
    pub fn check_name(&self, name: &PeerName) -> Result<()> {
        match self.names.get(&name.key()) {
            None => Ok(()),
            Some(p) if p == name => Err(Error::Conflict(format!(
                "peer '{name}' already exists; pick another name or remove it first"
            ))),
            Some(p) => Err(Error::Conflict(format!(
                "peer '{name}' would collide with existing peer '{p}' (names differ only in case or '-'/'_'); pick another name"
            ))),
        }
    }

    /// Takes `name` and `key` for a new peer and returns its tunnel
    /// addresses: never the router's, never one in use.
    pub fn admit(
        &mut self,
        name: &PeerName,
        key: PublicKey,
    ) -> Result<(Ipv4Addr, Option<Ipv6Addr>)> {
        self.check_name(name)?;
        if self.keys.contains(&key) {
            return Err(Error::Conflict(format!(
                "the public key given for '{name}' already belongs to this site"
            )));
        }
        let (v4, v6) = self.addresses()?;
        self.names.insert(name.key(), name.clone());
        self.keys.insert(key);
        self.used4.insert(v4);
        self.used6.extend(v6);
        self.next4 = u32::from(v4);
        Ok((v4, v6))
    }

    /// How many more peers the tunnel subnet has room for.
    pub fn free(&self) -> usize {
        let hosts = u32::from(self.subnet.broadcast()) - u32::from(self.subnet.network());
        // Less the network and broadcast addresses, and what is in use.
        (hosts.saturating_sub(1) as usize).saturating_sub(self.used4.len())
    }

    /// The first free addresses, without taking them.
    pub(super) fn addresses(&self) -> Result<(Ipv4Addr, Option<Ipv6Addr>)> {
        let first = u32::from(self.subnet.network());
        let last = u32::from(self.subnet.broadcast()) - 1;
        let v4 = (self.next4 + 1..=last)
            .map(Ipv4Addr::from)
            .find(|a| !self.used4.contains(a))
            .ok_or_else(|| {
                Error::Conflict(format!(
                    "the tunnel subnet {} has no free address left ({} peers use it); start a new site with a larger --subnet",
                    self.subnet,
                    self.used4.len() - 1
                ))
            })?;
        let v6 = self.subnet6.map(|net| {
            let base = u128::from(net.network());
            // Prefer the IPv6 address with the same host part as the IPv4 one.
            let offset = u128::from(u32::from(v4) - first);
            let size = 1u128
                .checked_shl(128 - u32::from(net.prefix_len()))
                .unwrap_or(u128::MAX);
            std::iter::once(offset)
                .chain(2..size)
                .map(|i| Ipv6Addr::from(base + i))
                .find(|a| net.contains(a) && !self.used6.contains(a))
                .expect("an IPv6 prefix of at most /120 has room for every IPv4 peer")
        });
        Ok((v4, v6))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::model::keys::PrivateKey;
    use crate::model::peer::Peer;
    use crate::model::site::Site;
    use crate::model::site::tests::site;

    pub(crate) fn add(site: &mut Site, name: &str) {
        let (address, address6) = site.free_addresses().unwrap();
        site.peers.push(Peer::new(
            name.parse().unwrap(),
            address,
            address6,
            PrivateKey::generate().public_key(),
        ));
    }

    #[test]
    fn allocation_skips_router_and_used_and_reuses_gaps() {
        let mut s = site();
        assert_eq!(s.server_address().to_string(), "10.66.0.1");
        for n in ["a", "b", "c"] {
            add(&mut s, n);
        }
        let got: Vec<String> = s.peers.iter().map(|p| p.address.to_string()).collect();
        assert_eq!(got, ["10.66.0.2", "10.66.0.3", "10.66.0.4"]);
        assert_eq!(s.peers[1].address6.unwrap().to_string(), "fd66::3");
        s.peers.remove(1);
        add(&mut s, "d");
        assert_eq!(s.peers[2].address.to_string(), "10.66.0.3");
        s.validate().unwrap();
    }

    #[test]
    fn exhausted_pool_is_a_clear_error() {
        let mut s = site();
        // /29: 6 hosts, one is the router.
        for n in ["a", "b", "c", "d", "e"] {
            add(&mut s, n);
        }
        let err = s.free_addresses().unwrap_err().to_string();
        assert!(
            err.contains("no free address") && err.contains("10.66.0.0/29"),
            "{err}"
        );
    }

    #[test]
    fn admission_takes_what_it_hands_out() {
        let mut s = site();
        add(&mut s, "a");
        add(&mut s, "b");
        s.peers.remove(0); // leaves a gap at .2
        let mut adm = s.admission();
        let key = || PrivateKey::generate().public_key();
        let got: Vec<String> = ["c", "d", "e"]
            .iter()
            .map(|n| adm.admit(&n.parse().unwrap(), key()).unwrap().0.to_string())
            .collect();
        assert_eq!(got, ["10.66.0.2", "10.66.0.4", "10.66.0.5"]);
        let taken = s.peers[0].public_key;
        let err = adm.admit(&"f".parse().unwrap(), taken).unwrap_err();
        assert!(err.to_string().contains("already belongs"), "{err}");
        let err = adm.admit(&"C".parse().unwrap(), key()).unwrap_err();
        assert!(
            err.to_string().contains("collide with existing peer 'c'"),
            "{err}"
        );
        let err = adm.admit(&"B".parse().unwrap(), key()).unwrap_err();
        assert!(
            err.to_string().contains("collide with existing peer 'b'"),
            "{err}"
        );
        assert_eq!(adm.free(), 1);
        adm.admit(&"g".parse().unwrap(), key()).unwrap();
        assert_eq!(adm.free(), 0);
        let err = adm.admit(&"h".parse().unwrap(), key()).unwrap_err();
        assert!(err.to_string().contains("no free address"), "{err}");
    }
}
