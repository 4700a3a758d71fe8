// SPDX-License-Identifier: GPL-2.0

//! The learned reclaim policy in the simulator of Linux's reclaim, on the benchmark's own
//! workload generators (`lo-work`): the exact fallback reproduces stock Linux miss for miss,
//! the guard's sampled shadow estimates stock Linux's misses, the shipped model beats stock on
//! the scan-polluted workload, and the guard trips on a wrong model.

use learned_core::cache::insert::{InsertRule, DEFAULT_INSERT};
use learned_core::cache::reclaim::Fallback;
use learned_core::cache::Request;
use learned_core::model::format::Kind;
use learned_core::model::schema;
use lo_work::{Accesses, Workload};
use lrn::evalrun::{simulate_linux, simulate_linux_observe};
use lrn::model::{synth, SynthArgs};
use lrn::{fill_next_access, CacheSize};

const MIB: u64 = 8;

fn trace(w: Workload, seed: u64) -> Vec<Request> {
    trace_at(w, MIB, seed)
}

fn trace_at(w: Workload, mib: u64, seed: u64) -> Vec<Request> {
    let mut reqs: Vec<Request> = Accesses::new(w, mib, seed)
        .map(|a| Request {
            id: a.id(),
            size: 4096,
            next_access: -1,
        })
        .collect();
    fill_next_access(&mut reqs);
    reqs
}

fn size() -> CacheSize {
    CacheSize::Bytes(MIB << 20)
}

fn shipped() -> Vec<u8> {
    std::fs::read(lrn::DEFAULT_RECLAIM_MODEL).unwrap()
}

#[test]
fn fallback_is_stock_linux_miss_for_miss() {
    for w in [Workload::Scan, Workload::Lru] {
        let reqs = trace(w, 5);
        let stock = simulate_linux(&reqs, size(), None, false, 4, InsertRule::Stock).unwrap();
        let disabled =
            simulate_linux(&reqs, size(), Some(&shipped()), false, 4, DEFAULT_INSERT).unwrap();
        let no_model = simulate_linux(&reqs, size(), None, true, 4, InsertRule::Stock).unwrap();
        assert_eq!(stock.stats, disabled.stats, "{}", w.name());
        assert_eq!(stock.stats, no_model.stats, "{}", w.name());
        assert!(stock.stats.misses > 0);
    }
}

#[test]
fn the_shadow_estimates_stock_misses() {
    // One page in 16 replayed in a cache 16 times smaller: the calibrated bias (stock reads
    // per shadow miss, over windows without overrides) should be near 1.
    for w in [Workload::Scan, Workload::Zipf, Workload::Lru] {
        let reqs = trace(w, 6);
        let run = simulate_linux(&reqs, size(), None, false, 4, InsertRule::Stock).unwrap();
        let bias = run.guard.bias_permille;
        assert!(
            (800..=1250).contains(&bias),
            "{}: stock reads per 1000 shadow misses {bias}",
            w.name()
        );
    }
}

#[test]
fn the_shipped_policy_beats_stock_on_the_scan_workload() {
    // The shipped model never saw lo-work's workloads (it is trained on the generated corpus);
    // at 32 MiB it answers "reclaim" for the scan's pages and the insertion duel takes the
    // scan's pages to the inactive tail.
    let reqs = trace_at(Workload::Scan, 32, 7);
    let size = CacheSize::Bytes(32 << 20);
    let stock = simulate_linux(&reqs, size, None, false, 4, InsertRule::Stock).unwrap();
    let learned = simulate_linux(&reqs, size, Some(&shipped()), true, 4, DEFAULT_INSERT).unwrap();
    println!(
        "scan at 32 MiB: stock {} misses, learned {}",
        stock.stats.misses, learned.stats.misses
    );
    assert!(learned.stats.misses * 100 < stock.stats.misses * 90);
    assert!(
        learned.hook.model.iter().sum::<u64>() > 0,
        "the model answered"
    );
    assert!(learned.hook.cold_inserts > 0, "the duel inserted cold");
    assert!(learned.guard.windows > 0, "the guard judged it");
    assert_eq!(learned.guard.trips, 0, "and let it decide");
}

#[test]
fn the_guard_trips_on_a_wrong_model_and_bounds_its_cost() {
    let wrong = synth(&SynthArgs {
        kind: Kind::Mlp,
        schema: schema::EVICT,
        seed: 1,
        inputs: 8,
        hidden: 0,
        outputs: 4,
        keys: 0,
        epsilon: 0,
        adversarial: true,
        constant: None,
        out: String::new(),
    })
    .unwrap();
    // At 32 MiB: the run spans several of the guard's default windows (16384 accesses).
    let reqs = trace_at(Workload::Scan, 32, 8);
    let size = CacheSize::Bytes(32 << 20);
    let stock = simulate_linux(&reqs, size, None, false, 4, InsertRule::Stock).unwrap();
    // The guard alone (no keep gate): it trips.
    let nothing = |_: usize, _: u64, _: &[i8; 8]| {};
    let ungated = simulate_linux_observe(
        &reqs,
        size,
        Some(&wrong),
        true,
        4,
        DEFAULT_INSERT,
        false,
        nothing,
    )
    .unwrap();
    // The module's policy: the keep gate shuts the wrong keeps before the guard need trip.
    let run = simulate_linux(&reqs, size, Some(&wrong), true, 4, DEFAULT_INSERT).unwrap();
    println!(
        "adversarial on scan: stock {} misses; guard alone {}, trips {}; with the keep gate {}, trips {}",
        stock.stats.misses,
        ungated.stats.misses,
        ungated.guard.trips,
        run.stats.misses,
        run.guard.trips
    );
    assert!(ungated.guard.trips >= 1);
    assert!(
        ungated.hook.fallback[Fallback::Tripped as usize] > 0,
        "answers from the tripped fallback"
    );
    assert!(
        run.hook.fallback[Fallback::Gated as usize] > 0,
        "gated keeps"
    );
    assert!(
        run.stats.misses * 100 <= stock.stats.misses * 105,
        "the gated wrong model stays within 5% of stock"
    );
}

/// The insertion lever on the benchmark's own patterns, no model: `cold` wins on the scan and
/// the loop and loses on the sliding window (`lru`), where new pages are soon reused. The duel
/// keeps `cold`'s gain on the scan and follows stock on the window. On the loop (1.25 times
/// the cache, from a cold cache) `cold` wins only by how it fills the cache on the first pass:
/// after it every miss has a recent ghost and is no candidate, and while the cache fills both
/// miniature simulations agree, so the duel has no evidence in time and stays stock.
#[test]
fn the_duel_takes_the_cold_insertion_only_where_it_wins() {
    let misses = |reqs: &[Request], insert| {
        simulate_linux(reqs, size(), None, true, 4, insert)
            .unwrap()
            .stats
            .misses as f64
    };
    for w in [Workload::Scan, Workload::Loop, Workload::Lru] {
        let reqs = trace(w, 1);
        let stock = misses(&reqs, InsertRule::Stock);
        let cold = misses(&reqs, InsertRule::Cold) / stock;
        let duel = misses(&reqs, InsertRule::Duel) / stock;
        println!("{w:?}: cold/stock {cold:.3}, duel/stock {duel:.3}");
        match w {
            Workload::Lru => {
                assert!(cold > 1.1, "{w:?}: cold/stock {cold:.3}");
                assert!(duel < 1.02, "{w:?}: duel/stock {duel:.3}");
            }
            Workload::Loop => {
                assert!(cold < 0.95, "{w:?}: cold/stock {cold:.3}");
                assert!(duel <= 1.0, "{w:?}: duel/stock {duel:.3}");
            }
            _ => {
                assert!(cold < 0.95, "{w:?}: cold/stock {cold:.3}");
                assert!(
                    duel < 1.0 - (1.0 - cold) * 0.8,
                    "{w:?}: duel/stock {duel:.3}"
                );
            }
        }
    }
}
