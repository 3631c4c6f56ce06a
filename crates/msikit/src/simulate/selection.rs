//! Which features a first install puts on the machine: by level and INSTALLLEVEL, or by the
//! feature lists ADDLOCAL and REMOVE give on the command line (or in the Property table).
//!
//! Read from Wine's `dlls/msi/action.c` (CostFinalize, process_overrides and
//! MSI_SetFeatureStates) and Wine-checked (`tests/it/wine_selection.rs`):
//! - Any of ADDLOCAL, REMOVE, ADDSOURCE, REINSTALL or ADVERTISE set means the features were
//!   chosen (`Preselected`): the Condition table is not read and no feature installs for its
//!   level alone.
//! - ADDLOCAL lists features by exact, case-sensitive name, comma-separated, or is `ALL`
//!   (any case); a listed feature of level 0 stays off. REMOVE, read after it, takes listed
//!   features back off (on a first install none is installed yet).
//! - A feature under a parent whose level is not between 1 and INSTALLLEVEL stays off,
//!   however it was chosen; one marked FollowParent (attribute 2) takes its parent's state.

use crate::format::schema::Feature;
use std::collections::{BTreeMap, BTreeSet};

// msidbFeatureAttributesFollowParent.
const FOLLOW_PARENT: i32 = 0x2;

/// The properties that choose features; later ones override earlier ones.
const CHOOSING: [&str; 5] = ["ADDLOCAL", "REMOVE", "ADDSOURCE", "REINSTALL", "ADVERTISE"];

/// The features the command line asks to install locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Requested {
    add_local: Option<String>,
    remove: Option<String>,
}

impl Requested {
    /// `None` when no choosing property is set (levels decide).
    pub(super) fn from_properties(properties: &BTreeMap<String, String>) -> Option<Self> {
        let given = |name: &str| {
            properties
                .get(name)
                .filter(|value| !value.is_empty())
                .cloned()
        };
        CHOOSING
            .iter()
            .any(|name| given(name).is_some())
            .then(|| Self {
                add_local: given("ADDLOCAL"),
                remove: given("REMOVE"),
            })
    }

    /// The choosing properties set that this model does not follow (their features are
    /// predicted as not installed).
    pub(super) fn unfollowed(properties: &BTreeMap<String, String>) -> Vec<&'static str> {
        CHOOSING[2..]
            .iter()
            .copied()
            .filter(|name| properties.get(*name).is_some_and(|value| !value.is_empty()))
            .collect()
    }

    fn wants(&self, feature: &str) -> bool {
        listed(&self.add_local, feature) && !self.removes(feature)
    }

    fn removes(&self, feature: &str) -> bool {
        listed(&self.remove, feature)
    }
}

fn listed(list: &Option<String>, feature: &str) -> bool {
    list.as_deref().is_some_and(|list| {
        list.eq_ignore_ascii_case("ALL") || list.split(',').any(|name| name == feature)
    })
}

/// The Feature table as a tree, with each feature's level.
pub(super) struct FeatureTree<'t> {
    rows: BTreeMap<&'t str, &'t Feature>,
    levels: &'t BTreeMap<&'t str, i32>,
    install_level: i32,
}

impl<'t> FeatureTree<'t> {
    pub(super) fn new(
        features: &'t [Feature],
        levels: &'t BTreeMap<&'t str, i32>,
        install_level: i32,
    ) -> Self {
        let rows = features
            .iter()
            .map(|row| (row.feature.as_str(), row))
            .collect();
        Self {
            rows,
            levels,
            install_level,
        }
    }

    /// The features installed, chosen by `requested` or else by level.
    pub(super) fn installed(&self, requested: Option<&Requested>) -> BTreeSet<String> {
        self.reached(|feature| match requested {
            Some(requested) => self.level(feature) > 0 && requested.wants(feature),
            None => self.selected(feature),
        })
    }

    /// The features an uninstall (REMOVE) takes away: those REMOVE lists, of a level above 0,
    /// under selected parents, as for an install (measured on Wine: a child whose parent is
    /// above INSTALLLEVEL stays).
    pub(super) fn removed(&self, requested: &Requested) -> BTreeSet<String> {
        self.reached(|feature| self.level(feature) > 0 && requested.removes(feature))
    }

    /// The features whose `chosen` state holds once parents and FollowParent are applied.
    fn reached(&self, chosen: impl Fn(&str) -> bool) -> BTreeSet<String> {
        // Whether every ancestor is selected: a child of one that is not stays off.
        let under_selected = self.up_the_tree(
            |feature| match self.parent(feature) {
                None => Step::Done(true),
                Some(parent) if self.rows.contains_key(parent) => Step::Up(parent),
                Some(_) => Step::Done(false),
            },
            |feature, parent_value| {
                parent_value && self.parent(feature).is_some_and(|p| self.selected(p))
            },
            false,
        );
        // The feature whose state this one takes: itself, or up the FollowParent chain.
        let deciding = self.up_the_tree(
            |feature| match self.parent(feature) {
                Some(parent) if self.follows(feature) && self.rows.contains_key(parent) => {
                    Step::Up(parent)
                }
                _ => Step::Done(feature),
            },
            |_, parent_value| parent_value,
            "",
        );
        let on = |feature: &str| under_selected.get(feature) == Some(&true) && chosen(feature);
        deciding
            .into_iter()
            .filter(|(_, decider)| on(decider))
            .map(|(feature, _)| feature.to_string())
            .collect()
    }

    fn level(&self, feature: &str) -> i32 {
        self.levels.get(feature).copied().unwrap_or(0)
    }

    fn selected(&self, feature: &str) -> bool {
        let level = self.level(feature);
        level > 0 && level <= self.install_level
    }

    fn follows(&self, feature: &str) -> bool {
        self.rows
            .get(feature)
            .is_some_and(|row| row.attributes & FOLLOW_PARENT != 0)
    }

    fn parent(&self, feature: &str) -> Option<&'t str> {
        let parent = self.rows.get(feature)?.parent.as_deref()?;
        (!parent.is_empty() && parent != feature).then_some(parent)
    }

    /// A value for every feature that is either its own (`Done`) or derived from its
    /// parent's; each is computed once, so a deep tree costs linear time, and a parent cycle
    /// gets `cyclic`.
    fn up_the_tree<T: Copy>(
        &self,
        own: impl Fn(&'t str) -> Step<'t, T>,
        derive: impl Fn(&'t str, T) -> T,
        cyclic: T,
    ) -> BTreeMap<&'t str, T> {
        let mut values: BTreeMap<&'t str, T> = BTreeMap::new();
        for &start in self.rows.keys() {
            let mut path = Vec::new();
            let mut current = start;
            let mut value = loop {
                if let Some(&known) = values.get(current) {
                    break known;
                }
                if path.len() > self.rows.len() {
                    break cyclic;
                }
                match own(current) {
                    Step::Done(value) => {
                        values.insert(current, value);
                        break value;
                    }
                    Step::Up(parent) => {
                        path.push(current);
                        current = parent;
                    }
                }
            };
            for feature in path.into_iter().rev() {
                value = derive(feature, value);
                values.entry(feature).or_insert(value);
            }
        }
        values
    }
}

enum Step<'t, T> {
    Done(T),
    Up(&'t str),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(name: &str, parent: Option<&str>, level: i32, attributes: i32) -> Feature {
        Feature {
            feature: name.into(),
            parent: parent.map(Into::into),
            title: None,
            description: None,
            display: None,
            level,
            directory: None,
            attributes,
        }
    }

    /// A (1), B (3) with its child D (1), C (0), and E (5) following A.
    fn features() -> Vec<Feature> {
        vec![
            feature("A", None, 1, 0),
            feature("B", None, 3, 0),
            feature("C", None, 0, 0),
            feature("D", Some("B"), 1, 0),
            feature("E", Some("A"), 5, FOLLOW_PARENT),
        ]
    }

    fn installed(
        features: &[Feature],
        install_level: i32,
        properties: &[(&str, &str)],
    ) -> Vec<String> {
        let levels = features
            .iter()
            .map(|row| (row.feature.as_str(), row.level))
            .collect();
        let properties = properties
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let requested = Requested::from_properties(&properties);
        let tree = FeatureTree::new(features, &levels, install_level);
        tree.installed(requested.as_ref()).into_iter().collect()
    }

    #[test]
    fn levels_choose_under_selected_parents_and_a_follower_takes_its_parents_state() {
        let features = features();
        assert_eq!(installed(&features, 1, &[]), ["A", "E"]);
        assert_eq!(installed(&features, 3, &[]), ["A", "B", "D", "E"]);
    }

    #[test]
    fn addlocal_lists_exact_names_of_any_level_above_zero_and_remove_takes_them_back() {
        let features = features();
        assert_eq!(installed(&features, 1, &[("ADDLOCAL", "B")]), ["B"]);
        // D's parent B is above INSTALLLEVEL, so D stays off even when listed.
        assert_eq!(installed(&features, 1, &[("ADDLOCAL", "B,D")]), ["B"]);
        assert_eq!(installed(&features, 3, &[("ADDLOCAL", "B,D")]), ["B", "D"]);
        assert_eq!(
            installed(&features, 1, &[("ADDLOCAL", "all")]),
            ["A", "B", "E"]
        );
        assert_eq!(
            installed(&features, 1, &[("ADDLOCAL", "C,b, A")]),
            Vec::<String>::new()
        );
        let all_but_a = [("ADDLOCAL", "ALL"), ("REMOVE", "A")];
        assert_eq!(installed(&features, 1, &all_but_a), ["B"]);
        // REMOVE alone on a first install: features are chosen, and none is.
        assert_eq!(
            installed(&features, 1, &[("REMOVE", "A")]),
            Vec::<String>::new()
        );
        assert_eq!(
            installed(&features, 1, &[("ADDSOURCE", "A")]),
            Vec::<String>::new()
        );
        assert_eq!(installed(&features, 1, &[("ADDLOCAL", "")]), ["A", "E"]);
    }

    #[test]
    fn remove_all_takes_features_above_level_zero_under_selected_parents() {
        let features = features();
        let levels = features
            .iter()
            .map(|row| (row.feature.as_str(), row.level))
            .collect();
        let tree = FeatureTree::new(&features, &levels, 1);
        let properties = [("REMOVE".to_string(), "ALL".to_string())].into();
        let remove_all = Requested::from_properties(&properties).unwrap();
        let removed: Vec<String> = tree.removed(&remove_all).into_iter().collect();
        // C (level 0) and D (under B, above INSTALLLEVEL) are not taken.
        assert_eq!(removed, ["A", "B", "E"]);
    }

    #[test]
    fn a_parent_cycle_installs_nothing_and_a_deep_tree_is_walked_once() {
        let cycle = vec![
            feature("X", Some("Y"), 1, 0),
            feature("Y", Some("X"), 1, FOLLOW_PARENT),
        ];
        assert!(installed(&cycle, 1, &[]).is_empty());
        let deep: Vec<Feature> = (0..50_000)
            .map(|n| {
                let parent = (n > 0).then(|| format!("F{}", n - 1));
                feature(&format!("F{n}"), parent.as_deref(), 1, FOLLOW_PARENT)
            })
            .collect();
        assert_eq!(installed(&deep, 1, &[]).len(), 50_000);
    }
}
