// The edges of the distributed layer, one test per finding of the
// adversarial run (issue 7): layouts that differ between ranks, checks that
// fail on one rank only, impossible process grids, NaN in min_loc/max_loc,
// overflowing sizes, the type of exclusive_scan's total, and the smaller
// items. Each case ends in the right answer or in weft::error on every rank,
// and then a collective shows that the ranks are still in step.
#include <weft/distributed.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "distributed.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

namespace {

// Runs f on every rank; checks that it threw weft::error on this rank with
// `text` in the message, and that it threw on every rank (an MPI_Allreduce
// that also proves nobody was left waiting inside f).
void throws_on_every_rank(const weft::communicator& comm, const std::function<void()>& f, const std::string& text) {
  int threw = 0;
  try {
    f();
  } catch (const weft::error& e) {
    threw = 1;
    CHECK_THAT(e.what(), ContainsSubstring(text));
  }
  int everywhere = 0;
  MPI_Allreduce(&threw, &everywhere, 1, MPI_INT, MPI_MIN, comm.native());
  CHECK(threw == 1);
  CHECK(everywhere == 1);
}

// Still in step: a collective after an error completes on every rank.
void still_in_step(const weft::communicator& comm) {
  weft::distributed_vector<int> probe(comm, 3 * comm.size());
  weft::fill(probe, 1);
  CHECK(weft::reduce(probe) == 3 * comm.size());
}

struct centre_1d {
  template <class Nb>
  KOKKOS_INLINE_FUNCTION double operator()(const Nb& nb) const {
    return nb(0);
  }
};

// The two neighbours of a 1-D point, of any value type (a functor: nvcc
// compiles no generic device lambda).
struct ends_sum {
  template <class Nb>
  KOKKOS_INLINE_FUNCTION auto operator()(const Nb& nb) const {
    return nb(-1) + nb(1);
  }
};

}  // namespace

TEST_CASE("layouts are agreed exactly, not by a hash", "[hardening][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();
  if (size == 2) {
    // These two layouts had the same 64-bit key: reduce was wrong on every
    // rank and gather overflowed the root's buffer.
    throws_on_every_rank(
        comm,
        [&] {
          const auto p = rank == 0 ? weft::partition::from_sizes({1000, 1000}) : weft::partition::from_sizes({39, 1961});
          weft::distributed_vector<double> x(comm, p, weft::halo{rank == 0 ? 0 : 30});
        },
        "ranks disagree on");
  }
  if (size == 3) {
    // ... and these: one rank got MPI_ERR_TRUNCATE, the others hung.
    throws_on_every_rank(
        comm,
        [&] {
          const auto p = rank == 0 ? weft::partition::from_sizes({10, 50, 10}) : weft::partition::from_sizes({11, 18, 41});
          weft::distributed_vector<double> x(comm, p);
        },
        "ranks disagree on the partition's block boundaries");
  }
  if (size > 1) {
    // Any difference at all, at every rank count: one rank's block boundary
    // one element off.
    throws_on_every_rank(
        comm,
        [&] {
          std::vector<std::int64_t> sizes(size, 10);
          if (rank == size - 1) {
            sizes[0] += 1;
            sizes[1] -= 1;
          }
          weft::distributed_vector<float> x(comm, weft::partition::from_sizes(sizes));
        },
        "ranks disagree on the partition's block boundaries [1]: 10 on some ranks, 11 on others");
    // Grid extents that collided under the old key ({4, 8} and {3, 62000194}).
    throws_on_every_rank(
        comm,
        [&] {
          const std::array<std::int64_t, 2> n = rank == 0 ? std::array<std::int64_t, 2>{4, 8}
                                                          : std::array<std::int64_t, 2>{3, 62000194};
          weft::distributed_grid<double, 2> g(comm, n);
        },
        "ranks disagree on the global extents");
    throws_on_every_rank(
        comm, [&] { weft::distributed_grid<double, 3> g(comm, {8, 8, 8}, {.halo = 1, .shape = rank == 0 ? weft::stencil_shape::cross : weft::stencil_shape::box}); },
        "ranks disagree on grid_options::shape");
    // A partition with the wrong number of blocks on one rank only.
    throws_on_every_rank(
        comm,
        [&] {
          weft::distributed_vector<double> x(comm, weft::partition::block(10, rank == 0 ? size + 1 : size));
        },
        "blocks but the communicator has");
  }
  still_in_step(comm);
}

TEST_CASE("a check that fails on one rank throws on every rank", "[hardening][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();
  weft::distributed_vector<double> x(comm, weft::partition::block(40, size), weft::halo{2});
  weft::distributed_vector<double> y(comm, weft::partition::block(40, size));
  const centre_1d centre;

  SECTION("a stencil radius wider than the ghosts on one rank") {
    throws_on_every_rank(
        comm, [&] { weft::stencil(x, y, rank == size - 1 ? 3 : 1, weft::periodic{}, centre); },
        "radius 3 needs 3 ghost cells but the input has 2");
  }
  SECTION("valid radii that differ between ranks (one rank would skip the exchange)") {
    if (size > 1)
      throws_on_every_rank(
          comm, [&] { weft::stencil(x, y, rank == 0 ? 0 : 1, weft::periodic{}, centre); },
          "ranks disagree on the radius: 0 on some ranks, 1 on others");
  }
  SECTION("boundaries that differ between ranks") {
    if (size > 1) {
      throws_on_every_rank(
          comm,
          [&] {
            if (rank == 0) x.exchange_halo(weft::periodic{});
            else x.exchange_halo(weft::clamp{});
          },
          "ranks disagree on the boundary kind");
      throws_on_every_rank(
          comm, [&] { x.exchange_halo(weft::constant{rank == 0 ? 1.0 : 2.0}); },
          "ranks disagree on the boundary value");
    }
  }
  SECTION("redistribute to a partition that differs between ranks") {
    if (size > 1)
      throws_on_every_rank(
          comm,
          [&] {
            std::vector<double> weights(size, 1.0);
            if (rank == 0) weights[0] = 2.0;
            (void)weft::redistribute(x, weft::partition::weighted(40, weights));
          },
          "ranks disagree on the partition's block boundaries");
  }
  SECTION("a gather whose root differs between ranks") {
    if (size > 1) throws_on_every_rank(comm, [&] { (void)weft::gather(x, rank == 0 ? 0 : 1); }, "ranks disagree on the root");
  }
  SECTION("an allocation that fails on one rank") {
    if (size > 1) {
      // 2^50 doubles on the last rank: more than any address space.
      std::vector<std::int64_t> sizes(size, 4);
      sizes[size - 1] = std::int64_t(1) << 50;
      throws_on_every_rank(
          comm, [&] { weft::distributed_vector<double> huge(comm, weft::partition::from_sizes(sizes)); },
          "weft::distributed_vector");
    }
  }
  still_in_step(comm);
}

TEST_CASE("redistribute moves blocks of more than INT_MAX elements", "[hardening][distributed][large]") {
  weft::communicator comm(MPI_COMM_WORLD);
  // Only at 2 ranks (the message of over 2^31 elements needs two), and only
  // with 64-bit hosts: about 4.3 GB in all.
  if (comm.size() != 2 || sizeof(void*) < 8) return;
  const std::int64_t n = (std::int64_t(1) << 31) + 5;
  weft::distributed_vector<char, Kokkos::HostSpace> x(comm, weft::partition::from_sizes({n, 0}));
  weft::for_each_index(Kokkos::DefaultHostExecutionSpace{}, x,
                       KOKKOS_LAMBDA(std::int64_t i, char& v) { v = static_cast<char>(i * 7 % 127); });
  auto y = weft::redistribute(x, weft::partition::from_sizes({5, n - 5}));
  Kokkos::fence();
  auto local = y.local();
  std::int64_t wrong = 0;
  for (std::int64_t i = 0; i < y.local_size(); ++i) wrong += local(i) != static_cast<char>((y.offset() + i) * 7 % 127);
  CHECK(wrong == 0);
  CHECK(y.local_size() == (comm.rank() == 0 ? 5 : n - 5));
}

TEST_CASE("impossible process grids throw on every rank instead of aborting", "[hardening][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  if (size > 1) {
    // MPI_Dims_create aborted the whole job on this one (MPI_ERR_DIMS).
    throws_on_every_rank(
        comm, [&] { weft::distributed_grid<double, 2> g(comm, {16, 16}, {.dims = {1, 1}}); },
        "must multiply to the " + std::to_string(size) + " ranks");
  }
  // These overflowed int and divided by zero (SIGFPE on every rank).
  throws_on_every_rank(
      comm, [&] { weft::distributed_grid<double, 2> g(comm, {16, 16}, {.dims = {65536, 65536}}); },
      "is outside [0, " + std::to_string(size) + "]");
  throws_on_every_rank(
      comm, [&] { weft::distributed_grid<double, 3> g(comm, {16, 16, 16}, {.dims = {-1, 0, 0}}); },
      "process-grid entry -1");
  if (size == 4)
    throws_on_every_rank(
        comm, [&] { weft::distributed_grid<double, 3> g(comm, {16, 16, 16}, {.dims = {3, 0, 0}}); }, "must divide");
  // Extents whose product passes 2^63.
  throws_on_every_rank(
      comm,
      [&] {
        weft::distributed_grid<double, 3> g(comm, {std::int64_t(1) << 30, std::int64_t(1) << 30, std::int64_t(1) << 30});
      },
      "multiply past the largest 64-bit index");
  still_in_step(comm);
}

TEST_CASE("partitions reject sizes that overflow and ranks out of range", "[hardening][distributed]") {
  CHECK_THROWS_WITH(weft::partition::from_sizes({INT64_MAX, 1}), ContainsSubstring("sum past the largest 64-bit"));
  CHECK_THROWS_WITH(weft::partition::from_sizes({INT64_MAX / 2, INT64_MAX / 2, 2}),
                    ContainsSubstring("sum past the largest 64-bit"));
  CHECK_NOTHROW(weft::partition::from_sizes({INT64_MAX - 1, 1}));
  const auto p = weft::partition::block(10, 3);
  CHECK_THROWS_AS(p.local_size(3), weft::error);  // not std::out_of_range
  CHECK_THROWS_AS(p.local_size(-1), weft::error);
  CHECK_THROWS_AS(p.offset(4), weft::error);
  CHECK(p.offset(3) == 10);
  // Past 2^53 the weighted shares still add up exactly.
  const std::int64_t big = (std::int64_t(1) << 62) + 12345;
  const auto w = weft::partition::weighted(big, {0.1, 0.7, 0.2, 1e-9});
  CHECK(w.global_size() == big);
  std::int64_t sum = 0;
  for (int r = 0; r < w.ranks(); ++r) sum += w.local_size(r);
  CHECK(sum == big);
}

TEMPLATE_LIST_TEST_CASE("min_loc and max_loc with NaN give the first NaN on any partition", "[hardening][distributed]",
                        enabled_spaces) {
  using M = typename TestType::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = 1009;
  auto global = random_vector<double>(n, 77);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::int64_t first_nan = GENERATE(as<std::int64_t>{}, 0, 500, 1008);
  global[first_nan] = nan;
  if (first_nan + 7 < n) global[first_nan + 7] = nan;
  global[3] = -5.0;  // a minimum before the NaN in one case
  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name, first_nan);
    auto x = make_vector<double, M>(comm, p, global);
    const auto lo = weft::min_loc(x);
    const auto hi = weft::max_loc(x);
    CHECK(std::isnan(lo.value));
    CHECK(lo.index == first_nan);
    CHECK(std::isnan(hi.value));
    CHECK(hi.index == first_nan);
    CHECK(std::isnan(weft::reduce(x, std::numeric_limits<double>::infinity(), weft::minimum{})));
    CHECK(std::isnan(weft::reduce(x, -std::numeric_limits<double>::infinity(), weft::maximum{})));
  }
}

TEMPLATE_LIST_TEST_CASE("exclusive_scan accumulates in init's type and returns it", "[hardening][distributed]",
                        enabled_spaces) {
  using M = typename TestType::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  // 1000 int8 ones and an int64 init of 5: 1005, not 1005 wrapped to int8 (-19).
  const std::vector<std::int8_t> ones(1000, 1);
  for (const auto& [name, p] : test_partitions(1000, comm.size())) {
    CAPTURE(name);
    auto x = make_vector<std::int8_t, M>(comm, p, ones);
    weft::distributed_vector<std::int64_t, M> wide(comm, p);
    weft::distributed_vector<std::int8_t, M> narrow(comm, p);
    CHECK(weft::exclusive_scan(x, narrow, std::int64_t{5}) == 1005);
    CHECK(weft::exclusive_scan(x, wide, std::int64_t{5}) == 1005);
    const auto values = weft::all_gather(wide);
    int wrong = 0;
    for (std::int64_t i = 0; i < 1000; ++i) wrong += values[i] != 5 + i;
    CHECK(wrong == 0);
  }
}

TEST_CASE("the smaller items: halo exchanges of two kinds, communicators, init, exceptions",
          "[hardening][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();

  SECTION("a second exchange of one vector with another boundary kind is refused") {
    weft::distributed_vector<double> x(comm, weft::partition::block(30, size), weft::halo{1});
    auto first = x.start_halo_exchange(weft::periodic{});
    throws_on_every_rank(comm, [&] { auto second = x.start_halo_exchange(weft::clamp{}); }, "already in flight");
    first.wait();
    weft::distributed_grid<double, 2> g(comm, {8, 8}, {.periodic = {true, true}});
    auto pending = g.start_halo_exchange(weft::periodic{});
    throws_on_every_rank(comm, [&] { auto second = g.start_halo_exchange(weft::constant{0.0}); }, "already in flight");
    pending.wait();
  }
  SECTION("vectors on communicators that order the ranks differently do not mix") {
    MPI_Comm reversed_mpi = MPI_COMM_NULL;
    MPI_Comm_split(MPI_COMM_WORLD, 0, size - rank, &reversed_mpi);
    weft::communicator reversed(reversed_mpi);
    MPI_Comm_free(&reversed_mpi);
    const auto p = weft::partition::block(10 * size, size);
    weft::distributed_vector<double> a(comm, p), b(reversed, p);
    if (size > 1) {
      throws_on_every_rank(comm, [&] { weft::copy(a, b); }, "order them differently");
      throws_on_every_rank(comm, [&] { (void)weft::transform_reduce(a, b, 0.0, weft::plus{}, weft::multiplies{}); },
                           "order them differently");
    } else {
      CHECK_NOTHROW(weft::copy(a, b));
    }
    // A communicator duplicated from the same ranks in the same order mixes fine.
    weft::communicator again(MPI_COMM_WORLD);
    weft::distributed_vector<double> c(again, p);
    CHECK_NOTHROW(weft::copy(a, c));
  }
  SECTION("an init that differs between ranks") {
    weft::distributed_vector<double> x(comm, weft::partition::block(10, size));
    weft::fill(x, 1.0);
    if (size > 1)
      throws_on_every_rank(comm, [&] { (void)weft::reduce(x, rank == 0 ? 0.0 : 1.0); },
                           "ranks disagree on the initial value");
    CHECK(weft::reduce(x, 2.0) == 12.0);
  }
  SECTION("an exception from the user's function on one rank (Serial)") {
#ifdef KOKKOS_ENABLE_SERIAL
    weft::distributed_vector<double, Kokkos::HostSpace> x(comm, weft::partition::block(8 * size, size));
    weft::fill(Kokkos::Serial{}, x, 1.0);
    const int thrower = size - 1;
    auto map = [rank, thrower](double v) {
      if (rank == thrower) throw std::runtime_error("the user's function failed");
      return v;
    };
    throws_on_every_rank(
        comm, [&] { (void)weft::transform_reduce(Kokkos::Serial{}, x, 0.0, weft::plus{}, map); },
        "the user's function failed [on rank " + std::to_string(thrower) + "]");
    weft::distributed_vector<double, Kokkos::HostSpace> out(comm, x.partition());
    throws_on_every_rank(
        comm, [&] { (void)weft::transform_inclusive_scan(Kokkos::Serial{}, x, out, weft::plus{}, map); },
        "the user's function failed");
#endif
  }
  still_in_step(comm);
}

TEST_CASE("trusted argument checks skip the agreement but keep layouts exact", "[hardening][distributed]") {
  weft::communicator trusted(MPI_COMM_WORLD, weft::argument_checks::trusted);
  CHECK(trusted.checks() == weft::argument_checks::trusted);
  const int size = trusted.size();
  weft::distributed_vector<double> x(trusted, weft::partition::block(40, size), weft::halo{1});
  weft::distributed_vector<double> y(trusted, weft::partition::block(40, size));
  weft::iota(x, 0.0);
  // The same arguments everywhere: the same answers as with checks.
  weft::stencil(x, y, 1, weft::periodic{}, centre_1d{});
  CHECK(weft::reduce(y) == 40.0 * 39 / 2);
  // A check that fails on every rank alike still throws everywhere.
  throws_on_every_rank(trusted, [&] { weft::stencil(x, y, 2, weft::periodic{}, centre_1d{}); }, "needs 2 ghost cells");
  // Layouts are still compared exactly at construction.
  if (size > 1)
    throws_on_every_rank(
        trusted, [&] { weft::distributed_vector<double> z(trusted, weft::partition::block(40 + trusted.rank(), size)); },
        "ranks disagree");
  // Grids made from it keep its setting.
  weft::distributed_grid<double, 2> g(trusted, {8, 8});
  CHECK(g.comm().checks() == weft::argument_checks::trusted);
  CHECK(congruent(g.comm(), trusted));
}

// ---- Issue 20: one rank's failure, boundary values of any type, extreme weights and times ----

namespace {

// A global order check of a host vector, on every rank.
template <class X>
bool globally_sorted(const X& x) {
  const auto all = weft::all_gather(x);
  return std::is_sorted(all.begin(), all.end());
}

// A struct with padding bytes after `b`: its boundary values are compared with ==.
struct padded {
  double a;
  int b;
  bool operator==(const padded&) const = default;
};

}  // namespace

TEST_CASE("a user function that throws on one rank throws on every rank in sort, copy_if, reduce_by_key and the "
          "balancer",
          "[hardening][distributed]") {
#ifdef KOKKOS_ENABLE_SERIAL
  using S = Kokkos::Serial;
  using H = Kokkos::HostSpace;
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();
  const int thrower = size - 1;
  // The user's message, and where fail_together says it came from.
  auto from_thrower = [&](const std::string& what) {
    return size == 1 ? what : what + " [on rank " + std::to_string(thrower) + "]";
  };
  const std::int64_t n = 1000;
  weft::distributed_vector<double, H> x(comm, weft::partition::block(n, size));
  // Keys that name the rank they start on: rank * 10^6 + a pseudo-random part.
  auto refill = [&] {
    weft::for_each_index(S{}, x, [rank](std::int64_t i, double& v) {
      v = rank * 1e6 + static_cast<double>((i * 7919) % 1009);
    });
  };
  auto origin = [](double key) { return static_cast<int>(key / 1e6); };

  SECTION("sort: the comparison fails in the local sort on one rank") {
    refill();
    auto comp = [rank, thrower](double a, double b) {
      if (rank == thrower) throw std::runtime_error("the comparison failed");
      return a < b;
    };
    throws_on_every_rank(comm, [&] { weft::sort(S{}, x, comp); }, "weft::sort: " + from_thrower("the comparison failed"));
    weft::distributed_vector<int, H> ids(comm, x.partition());
    refill();
    throws_on_every_rank(comm, [&] { weft::sort_by_key(S{}, x, ids, comp); },
                         "weft::sort_by_key: " + from_thrower("the comparison failed"));
  }
  SECTION("sort: the comparison fails on one rank only between keys from different ranks (the splitters)") {
    if (size > 1) {
      refill();
      auto comp = [rank, thrower, origin](double a, double b) {
        if (rank == thrower && origin(a) != origin(b)) throw std::runtime_error("the splitters failed");
        return a < b;
      };
      throws_on_every_rank(comm, [&] { weft::sort(S{}, x, comp); }, from_thrower("the splitters failed"));
    }
  }
  SECTION("sort: the comparison fails on one rank in the sort of what arrived (its last comparison)") {
    if (size > 1) {
      // Count the thrower's comparisons in a sort of the same keys, then
      // fail at the last one: the sort of the pieces that arrived.
      long calls = 0, limit = -1;
      auto comp = [rank, thrower, calls = &calls, limit = &limit](double a, double b) {
        if (rank == thrower && ++*calls == *limit) throw std::runtime_error("the last comparison failed");
        return a < b;
      };
      refill();
      weft::sort(S{}, x, comp);
      limit = calls;
      calls = 0;
      refill();
      throws_on_every_rank(comm, [&] { weft::sort(S{}, x, comp); }, from_thrower("the last comparison failed"));
      if (rank == thrower) CHECK(calls == limit);
    }
  }
  SECTION("copy_if: the predicate fails on one rank") {
    refill();
    auto pred = [rank, thrower](double v) {
      if (rank == thrower) throw std::runtime_error("the predicate failed");
      return v > 0;
    };
    throws_on_every_rank(comm, [&] { (void)weft::copy_if(S{}, x, pred); },
                         "weft::copy_if: " + from_thrower("the predicate failed"));
    // Still in step: the same call with a predicate that works.
    const auto kept = weft::copy_if(S{}, x, [](double v) { return static_cast<std::int64_t>(v) % 2 == 0; });
    std::int64_t expected = 0;
    for (const double v : weft::all_gather(x)) expected += static_cast<std::int64_t>(v) % 2 == 0;
    CHECK(kept.global_size() == expected);
  }
  SECTION("reduce_by_key: op fails on one rank, and eq fails on one rank only joining runs across ranks") {
    weft::distributed_vector<std::int64_t, H> keys(comm, x.partition());
    weft::distributed_vector<double, H> values(comm, x.partition());
    weft::for_each_index(S{}, keys, [rank](std::int64_t i, std::int64_t& k) { k = rank * 1000000 + i / 3; });
    weft::fill(S{}, values, 1.0);
    auto op = [rank, thrower](double a, double b) {
      if (rank == thrower) throw std::runtime_error("the operation failed");
      return a + b;
    };
    throws_on_every_rank(comm, [&] { (void)weft::reduce_by_key(S{}, keys, values, op, weft::equal_to<>{}); },
                         "weft::reduce_by_key: " + from_thrower("the operation failed"));
    if (size > 1) {
      auto eq = [rank, thrower](std::int64_t a, std::int64_t b) {
        if (rank == thrower && a / 1000000 != b / 1000000) throw std::runtime_error("joining the runs failed");
        return a == b;
      };
      throws_on_every_rank(comm, [&] { (void)weft::reduce_by_key(S{}, keys, values, weft::plus<>{}, eq); },
                           "weft::reduce_by_key: " + from_thrower("joining the runs failed"));
    }
    const auto [cells, sums] = weft::reduce_by_key(S{}, keys, values);
    CHECK(weft::reduce(S{}, sums) == static_cast<double>(n));
  }
  SECTION("balancer::observe: the step fails on one rank") {
    weft::balancer balance(comm, x.partition());
    throws_on_every_rank(
        comm,
        [&] {
          (void)balance.observe(S{}, [&] {
            if (rank == thrower) throw std::runtime_error("the step failed");
          });
        },
        "weft::balancer::observe: " + from_thrower("the step failed"));
    CHECK_NOTHROW(balance.observe(S{}, [] {}));
  }
  SECTION("scatter: a check only the root can make (the size of its data)") {
    const auto p = weft::partition::block(n, size);
    const std::vector<double> wrong(rank == thrower ? 3 : 0, 1.0);
    throws_on_every_rank(comm, [&] { (void)weft::scatter<double, H>(comm, wrong, p, thrower); },
                         "weft::scatter: root holds 3 elements but the partition has 1000");
    const std::vector<double> right(rank == thrower ? n : 0, 2.0);
    const auto y = weft::scatter<double, H>(comm, right, p, thrower);
    CHECK(weft::reduce(S{}, y) == 2.0 * n);
  }
  // Every case ends in step: a sort that works, checked globally.
  refill();
  weft::sort(S{}, x);
  CHECK(globally_sorted(x));
#endif
  still_in_step(comm);
}

TEST_CASE("constant boundaries of any value type are agreed bitwise across ranks", "[hardening][distributed]") {
  using C = Kokkos::complex<double>;
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();
  const int odd = size - 1;
  const C wall(2, 3), stray(2, 4);

  // A vector: its halo exchange, and a stencil reading across the ends.
  weft::distributed_vector<C> x(comm, weft::partition::block(10 * size, size), weft::halo{1});
  weft::distributed_vector<C> y(comm, x.partition());
  weft::fill(x, C(1, 1));
  if (size > 1) {
    // Each rank filled its ends with its own constant before.
    throws_on_every_rank(comm, [&] { x.exchange_halo(weft::constant{rank == odd ? stray : wall}); },
                         "ranks disagree on the boundary value [1]: 3 on some ranks, 4 on others");
    throws_on_every_rank(
        comm, [&] { weft::stencil(x, y, 1, weft::constant{rank == odd ? stray : wall}, ends_sum{}); },
        "ranks disagree on the boundary value [1]");
  }
  x.exchange_halo(weft::constant{wall});
  {
    auto ghosts = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, x.with_halo());
    const std::int64_t m = x.local_size();
    CHECK(ghosts(0) == (rank == 0 ? wall : C(1, 1)));
    CHECK(ghosts(m + 1) == (rank == size - 1 ? wall : C(1, 1)));
  }
  weft::stencil(x, y, 1, weft::constant{wall}, ends_sum{});
  {
    const auto all = weft::all_gather(y);
    CHECK(all.front() == wall + C(1, 1));
    CHECK(all.back() == C(1, 1) + wall);
    CHECK(all[1] == C(2, 2));
  }

  // A grid: the outer faces, edges and corners.
  weft::distributed_grid<C, 2> g(comm, {6, 5}, {.halo = 1});
  weft::fill(g, C(1, 1));
  if (size > 1)
    throws_on_every_rank(comm, [&] { g.exchange_halo(weft::constant{rank == odd ? stray : wall}); },
                         "ranks disagree on the boundary value [1]: 3 on some ranks, 4 on others");
  g.exchange_halo(weft::constant{wall});
  {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, g.with_halo());
    std::int64_t wrong = 0;
    for (std::size_t i = 0; i < h.extent(0); ++i)
      for (std::size_t j = 0; j < h.extent(1); ++j) {
        const std::int64_t gi = g.offset(0) + static_cast<std::int64_t>(i) - 1;
        const std::int64_t gj = g.offset(1) + static_cast<std::int64_t>(j) - 1;
        const bool outside = gi < 0 || gi >= 6 || gj < 0 || gj >= 5;
        wrong += h(i, j) != (outside ? wall : C(1, 1));
      }
    CHECK(wrong == 0);
  }

  // A type with padding bytes: compared with == against rank 0's, so
  // different padding is no difference, a different member is.
  weft::distributed_vector<padded> p(comm, weft::partition::block(4 * size, size), weft::halo{1});
  padded value;
  std::memset(static_cast<void*>(&value), 0x11 * (rank + 1), sizeof value);  // padding differs between ranks
  value.a = 1.5;
  value.b = 7;
  CHECK_NOTHROW(p.exchange_halo(weft::constant{value}));
  if (size > 1) {
    padded other = value;
    if (rank == odd) other.b = 8;
    throws_on_every_rank(comm, [&] { p.exchange_halo(weft::constant{other}); },
                         "ranks disagree on the boundary value: it differs from rank 0's (compared with operator==");
  }
  still_in_step(comm);
}

TEST_CASE("weighted_splits and the balancer take extreme weights and times", "[hardening][distributed]") {
  // A valid input that threw "from_sizes: no ranks": the weight 1e-300 of
  // 1e300 became 0 when scaled.
  const auto s = weft::weighted_splits<2>({64, 64}, {2, 2}, {1e-300, 1e300, 1, 1});
  for (const auto& split : s) {
    REQUIRE(split.ranks() == 2);
    CHECK(split.global_size() == 64);
    CHECK(split.local_size(0) >= 1);
    CHECK(split.local_size(1) >= 1);
  }
  // Rank 0 (weight 1e-300, 1e300 times slower than ranks 2 and 3) gets
  // the smallest block there is.
  CHECK(s[0].local_size(0) * s[1].local_size(0) == 1);
  // Weights no split can follow are refused, naming the weight.
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (const double bad : {0.0, -1.0, nan, inf})
    CHECK_THROWS_WITH(weft::weighted_splits<2>({64, 64}, {2, 2}, {1, 1, bad, 1}),
                      ContainsSubstring("weft::weighted_splits: weight") && ContainsSubstring(" of rank 2 is not positive and finite"));

  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();
  // A time of 5e-324 s made an infinite rate, and "weight inf" was thrown.
  weft::balancer balance(comm, weft::partition::block(1000, size), {.warmup_steps = 0});
  CHECK_NOTHROW(balance.observe(5e-324));
  CHECK_NOTHROW(balance.observe(rank == 0 ? 5e-324 : 1e-3));
  CHECK_NOTHROW(balance.observe(rank == 0 ? 1e308 : 5e-324));
  for (const double r : balance.rates()) CHECK(std::isfinite(r));
  CHECK(std::isfinite(balance.last_report().imbalance));
  CHECK(balance.proposed().global_size() == 1000);
  weft::grid_balancer<2> grids(comm, weft::weighted_splits<2>({40, 40}, {size, 1}, std::vector<double>(size, 1.0)),
                               {.warmup_steps = 0});
  CHECK_NOTHROW(grids.observe(rank == 0 ? 5e-324 : 1e-3));
  CHECK(grids.proposed()[0].global_size() == 40);
  still_in_step(comm);
}
