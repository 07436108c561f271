#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "app/experiments/mariadb_run.hpp"
#include "app/scenario/scenario_loader.hpp"
#include "models/queue/queue_model.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/time.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/stats/tally.hpp"

// Closed-form queueing results the simulator must meet, each at a stated confidence: every
// check runs independent replications (distinct seeds), builds a Student t confidence interval
// of the replication means, and passes only if the analytic value lies inside it. A test case
// checks a family of m intervals; each is built at level 1 - 0.05 / m (Bonferroni), so the
// whole family holds with at least 95 % confidence. To show the intervals are not vacuous, each
// must also be narrow: a half-width under 10 % of the analytic value.
namespace {

namespace sim = lockstage::sim;
namespace stats = lockstage::stats;
using lockstage::models::queue::erlang_c;
using lockstage::models::queue::mmck;
using lockstage::models::queue::QueueModelConfig;
using lockstage::models::queue::QueueModelResult;
using lockstage::models::queue::run_queue_model;

constexpr double kFamilyConfidence = 0.95;
constexpr double kMaxRelativeHalfWidth = 0.10;

/// A family of checks: (name, analytic value, one observation per replication).
class Family {
  public:
    explicit Family(std::string title) : title_(std::move(title)) {}

    stats::Tally& add(const std::string& name, double analytic) {
        checks_.push_back(Check{name, analytic, {}});
        return checks_.back().observations;
    }

    /// Prints the table of intervals and checks every one.
    void verify() const {
        const double level = 1.0 - (1.0 - kFamilyConfidence) / static_cast<double>(checks_.size());
        std::string table = fmt::format("{} ({} intervals, each at {:.4f}, so {:.0f} % together)\n",
                                        title_, checks_.size(), level, 100 * kFamilyConfidence);
        for (const Check& c : checks_) {
            const auto ci = stats::mean_confidence_interval(c.observations, level);
            table += fmt::format(
                "  {:<44} analytic {:<12.6g} simulated {:<12.6g} [{:.6g}, {:.6g}]"
                "  n={}\n",
                c.name, c.analytic, ci.mean, ci.low, ci.high, c.observations.count());
        }
        MESSAGE(table);
        for (const Check& c : checks_) {
            const auto ci = stats::mean_confidence_interval(c.observations, level);
            INFO(title_ << ": " << c.name << ": analytic " << c.analytic << ", interval [" << ci.low
                        << ", " << ci.high << "]");
            CHECK(c.observations.count() >= 10);
            CHECK(ci.contains(c.analytic));
            CHECK(ci.half_width() < kMaxRelativeHalfWidth * std::abs(c.analytic));
        }
    }

  private:
    struct Check {
        std::string name;
        double analytic;
        stats::Tally observations;
    };
    std::string title_;
    std::deque<Check> checks_;  // add() hands out references: they must stay valid
};

// The share of observations above zero (customers who had to wait at all, transactions that
// waited for a backup lock).
double positive_share(const stats::Histogram& h) {
    return h.count() ? 1.0 - static_cast<double>(h.zeros()) / static_cast<double>(h.count()) : 0.0;
}

// The mean of the non-zero values (the zeros add nothing to the sum).
double mean_of_positive(const stats::Histogram& h) {
    const std::uint64_t positive = h.count() - h.zeros();
    return positive ? h.mean() * static_cast<double>(h.count()) / static_cast<double>(positive)
                    : 0.0;
}

// Replications of the queue model, seeds 1000, 1001, …
std::vector<QueueModelResult> replicate(QueueModelConfig cfg, int replications) {
    std::vector<QueueModelResult> out;
    for (int r = 0; r < replications; ++r) {
        cfg.seed = 1000 + static_cast<std::uint64_t>(r);
        out.push_back(run_queue_model(cfg));
    }
    return out;
}

}  // namespace

TEST_CASE("M/M/c against Erlang C, c in {1, 4, 16}, rho in {0.5, 0.9}, 20 replications each") {
    // Mean service 1 ms; rate = rho * c * 1000/s. Each replication: a warm-up of 40 relaxation
    // times (M/M/1 at rho 0.9 relaxes in ~0.4 s) and about 100,000 measured customers
    // (500,000 where waiting is rare).
    Family family("M/M/c vs Erlang C");
    for (const int c : {1, 4, 16}) {
        for (const double rho : {0.5, 0.9}) {
            QueueModelConfig cfg;
            cfg.connections = c;
            cfg.rate_tps = rho * c * 1000.0;
            cfg.service = sim::Distribution::exponential(sim::millis(1));
            const auto e = erlang_c(c, cfg.rate_tps, 1e-3);
            REQUIRE(e.has_value());
            // Waiting is rare at M/M/16, rho 0.5 (P = 0.009): five times the customers there.
            const double customers = e->wait_probability < 0.05 ? 500000.0 : 100000.0;
            cfg.warmup = sim::seconds(15);
            cfg.duration = cfg.warmup + sim::from_units(customers / cfg.rate_tps, sim::kSecond);
            const std::string label = fmt::format("M/M/{} rho={}", c, rho);
            auto& wait = family.add(label + " mean wait (ms)", e->mean_wait * 1e3);
            auto& waited = family.add(label + " P(wait > 0)", e->wait_probability);
            auto& util = family.add(label + " utilisation", e->utilisation);
            for (const auto& r : replicate(cfg, 20)) {
                wait.add(r.wait.mean() / 1e6);
                waited.add(positive_share(r.wait));
                util.add(r.utilisation);
            }
        }
    }
    family.verify();
}

TEST_CASE("The M/M/c/K distribution matches the product form and balances the chain") {
    // pi_n = pi_0 a^n / n! for n <= c, pi_0 a^c / c! (a / c)^(n - c) above, a = lambda / mu.
    for (const auto& [c, k, rate] :
         {std::tuple{1, 1, 500.0}, std::tuple{1, 8, 900.0}, std::tuple{4, 10, 3600.0},
          std::tuple{16, 40, 19200.0}, std::tuple{3, 3, 100.0}}) {
        const auto m = mmck(c, k, rate, 1e-3);
        REQUIRE(m.has_value());
        REQUIRE(m->stationary.size() == static_cast<std::size_t>(k + 1));
        const double a = rate * 1e-3;
        std::vector<double> w(static_cast<std::size_t>(k + 1));
        double term = 1.0;
        for (int n = 0; n <= k; ++n) {
            w[static_cast<std::size_t>(n)] = term;
            term *= n < c ? a / (n + 1) : a / c;
        }
        double sum = 0.0;
        for (const double x : w) {
            sum += x;
        }
        for (int n = 0; n <= k; ++n) {
            INFO("c=" << c << " K=" << k << " n=" << n);
            CHECK(m->stationary[static_cast<std::size_t>(n)] ==
                  doctest::Approx(w[static_cast<std::size_t>(n)] / sum).epsilon(1e-9));
        }
        CHECK(m->blocking_probability == doctest::Approx(w.back() / sum).epsilon(1e-9));
    }
    // Every state's flow out equals its flow in (pi Q = 0), for K up to the schema's maximum.
    for (const auto& [c, k, rate] : {std::tuple{4, 10, 3600.0}, std::tuple{16, 100000, 24000.0},
                                     std::tuple{1000, 100000, 500000.0}}) {
        const auto m = mmck(c, k, rate, 1e-3);
        REQUIRE(m.has_value());
        const auto& p = m->stationary;
        const double mu = 1e3;
        double sum = 0.0;
        for (int n = 0; n <= k; ++n) {
            const auto i = static_cast<std::size_t>(n);
            sum += p[i];
            const double out = p[i] * ((n < k ? rate : 0.0) + std::min(n, c) * mu);
            const double in = (n > 0 ? p[i - 1] * rate : 0.0) +
                              (n < k ? p[i + 1] * std::min(n + 1, c) * mu : 0.0);
            INFO("c=" << c << " K=" << k << " n=" << n);
            CHECK(out == doctest::Approx(in).epsilon(1e-9).scale(1e-300));
        }
        CHECK(sum == doctest::Approx(1.0).epsilon(1e-12));
    }
    // Overloaded (rho = 1.5) with a large K: almost always full, refusing 1 - 1/rho of arrivals.
    CHECK(mmck(16, 100000, 24000.0, 1e-3)->blocking_probability ==
          doctest::Approx(1.0 / 3.0).epsilon(1e-9));
    // M/M/1/1 is Erlang's loss formula: P(block) = a / (1 + a).
    CHECK(mmck(1, 1, 500.0, 1e-3)->blocking_probability == doctest::Approx(0.5 / 1.5));
    CHECK_FALSE(mmck(4, 3, 100.0, 1e-3).has_value());  // K below c
    CHECK_FALSE(mmck(1, 5, 0.0, 1e-3).has_value());
}

TEST_CASE("M/M/c/K: the simulated distribution of the number in system against the chain") {
    // A finite connection pool with blocking: c = 4 workers, at most K = 10 in the system, under
    // moderate (rho 0.9) and overload (rho 1.5, which M/M/c/K survives by refusing), and M/M/1/5.
    // The distribution pooled over the replications must be within total variation 0.02 of the
    // chain's; the blocking probability, the mean number in system and the utilisation are
    // checked by interval. 40 replications: in overload the utilisation is close to its bound
    // of 1 and skewed, and 20 replications understate its spread.
    Family family("M/M/c/K vs the birth-death chain");
    for (const auto& [c, k, rho] :
         {std::tuple{4, 10, 0.9}, std::tuple{4, 10, 1.5}, std::tuple{1, 5, 0.8}}) {
        QueueModelConfig cfg;
        cfg.connections = c;
        cfg.capacity = k;
        cfg.rate_tps = rho * c * 1000.0;
        cfg.service = sim::Distribution::exponential(sim::millis(1));
        cfg.warmup = sim::seconds(1);
        cfg.duration = cfg.warmup + sim::from_units(50000.0 / cfg.rate_tps, sim::kSecond);
        const auto m = mmck(c, k, cfg.rate_tps, 1e-3);
        REQUIRE(m.has_value());
        const std::string label = fmt::format("M/M/{}/{} rho={}", c, k, rho);
        auto& blocked = family.add(label + " P(blocked)", m->blocking_probability);
        auto& in_system = family.add(label + " mean in system", m->mean_in_system);
        auto& util = family.add(label + " utilisation", m->utilisation);
        std::vector<double> pooled(static_cast<std::size_t>(k + 1), 0.0);
        const auto runs = replicate(cfg, 40);
        for (const auto& r : runs) {
            REQUIRE(r.in_system_share.size() == static_cast<std::size_t>(k + 1));
            blocked.add(static_cast<double>(r.blocked) / static_cast<double>(r.arrived));
            double l = 0.0;
            for (std::size_t n = 0; n < r.in_system_share.size(); ++n) {
                l += static_cast<double>(n) * r.in_system_share[n];
                pooled[n] += r.in_system_share[n] / static_cast<double>(runs.size());
            }
            in_system.add(l);
            util.add(r.utilisation);
        }
        double tv = 0.0;
        for (std::size_t n = 0; n < pooled.size(); ++n) {
            tv += std::abs(pooled[n] - m->stationary[n]) / 2.0;
        }
        MESSAGE(label << ": total variation distance " << tv);
        CHECK(tv < 0.02);
    }
    family.verify();
}

namespace {

// One FTWRL held for `block_s` from t = 5.0003 s, under an InnoDB autocommit UPDATE load at
// `rate_tps` (Poisson) with fast service (10 us execution, 10 us commit), a pool large enough
// that no request waits for a connection, and samples of the lock queue every 1 ms.
std::string write_block_scenario(double block_s, double rate_tps, double duration_s,
                                 std::uint64_t seed) {
    const double start_s = 5.0003;
    return fmt::format(R"({{
  "name": "write-block", "seed": {seed}, "duration_s": {duration},
  "server": {{"flavor": "mariadb-10.11", "max_connections": 4000,
             "commit_ms": {{"dist": "constant", "value_ms": 0.01}}}},
  "tables": [{{"name": "t1"}}],
  "output": {{"queue_sample_ms": 1}},
  "sessions": [{{"name": "backup", "statements": [
    {{"at_s": {start}, "sql": "FLUSH TABLES WITH READ LOCK", "exec_ms": 0.01}},
    {{"at_s": {end}, "sql": "UNLOCK TABLES", "exec_ms": 0.01}}]}}],
  "workload": {{"groups": [{{"name": "app", "arrivals": {{"kind": "open", "rate_tps": {rate}}},
    "pool_size": 3000, "client_timeout_s": 3600,
    "transactions": [{{"statements": [{{"sql": "UPDATE t1",
      "exec_ms": {{"dist": "constant", "value_ms": 0.01}}}}]}}]}}]}}
}})",
                       fmt::arg("seed", seed), fmt::arg("duration", duration_s),
                       fmt::arg("start", start_s), fmt::arg("end", start_s + block_s),
                       fmt::arg("rate", rate_tps));
}

}  // namespace

TEST_CASE("A write block of length B under Poisson arrivals: lambda B queued, B/2 extra, B/T hit") {
    // Arrivals during the block all wait until it ends: their number is Poisson with mean
    // lambda B (all of them queued when it ends), each waits B - (its arrival - block start), on
    // average B / 2, and a transaction is caught with probability B / T over a run of length T.
    constexpr double kRate = 200.0;
    constexpr double kDuration = 20.0;
    Family family("A write block (FTWRL) under Poisson arrivals");
    for (const double block_s : {1.0, 4.0}) {
        const std::string label =
            fmt::format("B={} s, lambda={}/s, T={} s", block_s, kRate, kDuration);
        auto& queued = family.add(label + " queued at the end", kRate * block_s);
        auto& extra = family.add(label + " mean extra latency (s)", block_s / 2.0);
        auto& hit = family.add(label + " share affected", block_s / kDuration);
        for (int r = 0; r < 30; ++r) {
            const auto s = lockstage::app::load_scenario_text(
                write_block_scenario(block_s, kRate, kDuration,
                                     2000 + static_cast<std::uint64_t>(r)),
                "write-block.json");
            const auto run = lockstage::app::simulate_mariadb(s);
            REQUIRE(run.workload.groups.size() == 1);
            const auto& g = run.workload.groups.front();
            REQUIRE(g.timeouts == 0);
            REQUIRE(g.failed == 0);
            queued.add(run.queue_depth.peak);
            extra.add(mean_of_positive(g.blocked) / 1e9);
            hit.add(positive_share(g.blocked));
        }
    }
    family.verify();
}
