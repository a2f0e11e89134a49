//! The flapping brake of front-ends that restore by themselves: a NACL
//! restored too often in a short time has someone fighting back (another
//! automation, Terraform, Firewall Manager, an attacker), and restoring it
//! again would only feed the fight. It is held: reported, never restored,
//! until its restores age out of the window.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use nacl_drift_model::NetworkAclId;

/// Restores per NACL within a sliding window.
#[derive(Clone, Debug)]
pub struct FlapBrake {
    limit: usize,
    window: Duration,
    restores: BTreeMap<NetworkAclId, VecDeque<Instant>>,
}

/// A NACL the brake holds, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flapping {
    /// The NACL.
    pub network_acl_id: NetworkAclId,
    /// Its restores within the window.
    pub restores: usize,
    /// The window.
    pub window: Duration,
}

impl Flapping {
    /// Why the NACL is not restored, for people.
    pub fn reason(&self) -> String {
        format!(
            "flapping: restored {} times in {}s, and changed again: something is fighting back, so nacl-drift stopped restoring it",
            self.restores,
            self.window.as_secs()
        )
    }
}

impl FlapBrake {
    /// Holds a NACL once it has been restored `limit` times within `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        FlapBrake {
            limit: limit.max(1),
            window,
            restores: BTreeMap::new(),
        }
    }

    /// Counts a restore of `acl` at `now`.
    pub fn restored(&mut self, acl: &NetworkAclId, now: Instant) {
        self.restores.entry(acl.clone()).or_default().push_back(now);
    }

    /// The NACLs held at `now`: those restored `limit` times or more within
    /// the window before it.
    pub fn held(&mut self, now: Instant) -> Vec<Flapping> {
        let window = self.window;
        self.restores.retain(|_, times| {
            while times
                .front()
                .is_some_and(|first| now.duration_since(*first) > window)
            {
                times.pop_front();
            }
            !times.is_empty()
        });
        self.restores
            .iter()
            .filter(|(_, times)| times.len() >= self.limit)
            .map(|(acl, times)| Flapping {
                network_acl_id: acl.clone(),
                restores: times.len(),
                window,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nacl_is_held_after_the_limit_until_its_restores_age_out() {
        let acl: NetworkAclId = "acl-0db".parse().expect("acl");
        let other: NetworkAclId = "acl-0web".parse().expect("acl");
        let mut brake = FlapBrake::new(3, Duration::from_secs(600));
        let start = Instant::now();
        let at = |seconds| start + Duration::from_secs(seconds);
        brake.restored(&acl, at(0));
        brake.restored(&acl, at(60));
        brake.restored(&other, at(60));
        assert!(brake.held(at(61)).is_empty());
        brake.restored(&acl, at(120));
        let held = brake.held(at(121));
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].network_acl_id, acl);
        assert_eq!(held[0].restores, 3);
        assert!(
            held[0]
                .reason()
                .starts_with("flapping: restored 3 times in 600s")
        );
        assert!(brake.held(at(601)).is_empty(), "the first restore aged out");
    }
}
