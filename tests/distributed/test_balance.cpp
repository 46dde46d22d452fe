// Load balancing: the balancer's decisions from given step times, moving
// several vectors in one exchange, and ranks on different execution spaces
// (and memory spaces, where the build has them) running every distributed
// algorithm together with the results of a single-space run.
#include <weft/distributed.hpp>

#include <catch2/catch_approx.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "distributed.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

namespace {
// Every rank's step time when rank r processes `rates[r]` elements per
// second on its block of p.
std::vector<double> step_times(const weft::partition& p, const std::vector<double>& rates) {
  std::vector<double> t(rates.size());
  for (std::size_t r = 0; r < rates.size(); ++r) t[r] = double(p.local_size(int(r))) / rates[r];
  return t;
}

std::vector<std::int64_t> sizes_of(const weft::partition& p) {
  std::vector<std::int64_t> s;
  for (int r = 0; r < p.ranks(); ++r) s.push_back(p.local_size(r));
  return s;
}

// Every rank's value of v, on every rank.
std::vector<std::int64_t> everyone(const weft::communicator& comm, const std::vector<std::int64_t>& v) {
  std::vector<std::int64_t> all(v.size() * std::size_t(comm.size()));
  MPI_Allgather(v.data(), int(v.size()), MPI_INT64_T, all.data(), int(v.size()), MPI_INT64_T, comm.native());
  return all;
}
}  // namespace

TEST_CASE("the balancer decides from the step times it is given", "[balance][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  const std::int64_t n = 100003;
  const auto even = weft::partition::block(n, size);
  const std::vector<double> equal(std::size_t(size), 1e8);

  SECTION("equal speeds, exact or with noise of 2 %, never move") {
    weft::balancer balance(comm, even);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> noise(0.98, 1.02);
    for (int step = 0; step < 20; ++step) {
      auto t = step_times(even, equal);
      if (step > 0)
        for (double& v : t) v *= noise(rng);
      CHECK_FALSE(balance.decide(t));
      CHECK(balance.last_report().imbalance < 1.05);
    }
    CHECK(balance.proposed() == even);
  }

  SECTION("one slow rank: a proposal after the warm-up, shares proportional to speed, then quiet") {
    std::vector<double> rates = equal;
    rates.back() = 1e7;  // ten times slower
    weft::balancer balance(comm, even);
    CHECK_FALSE(balance.decide(step_times(even, rates)));  // the warm-up step
    const bool moves = balance.decide(step_times(even, rates));
    CHECK(moves == (size > 1));
    if (size == 1) return;
    const auto& report = balance.last_report();
    CHECK(report.imbalance > 1.5);
    CHECK(balance.proposed() == weft::partition::weighted(n, rates));
    // The prediction: the ideal n / sum(rates), up to one element's time.
    double total_rate = 0;
    for (double r : rates) total_rate += r;
    CHECK(report.balanced_seconds == Catch::Approx(double(n) / total_rate).epsilon(0).margin(1.0 / rates.back()));
    CHECK(report.step_seconds == Catch::Approx(double(even.local_size(size - 1)) / rates.back()));
    CHECK(report.elements_moved > 0);
    balance.moved(1e-3);
    CHECK(balance.current() == weft::partition::weighted(n, rates));
    CHECK(balance.moves() == 1);
    // Balanced now: the same speeds measured on the new blocks ask for nothing.
    for (int step = 0; step < 5; ++step) CHECK_FALSE(balance.decide(step_times(balance.current(), rates)));
  }

  SECTION("a move that costs more than it saves within payback_steps is not proposed") {
    if (size == 1) return;
    std::vector<double> rates = equal;
    rates[0] = 0.8e8;  // 1.25x slower: some time to gain
    weft::balancer_options slow_network;
    slow_network.move_seconds_per_element = 1.0;  // one second per element
    weft::balancer balance(comm, even, slow_network);
    for (int step = 0; step < 3; ++step) CHECK_FALSE(balance.decide(step_times(even, rates)));
    CHECK(balance.last_report().imbalance > 1.05);
    CHECK(balance.last_report().move_seconds > 1.0);
    weft::balancer_options cheap;
    cheap.move_seconds_per_element = 0;
    weft::balancer eager(comm, even, cheap);
    eager.decide(step_times(even, rates));
    CHECK(eager.decide(step_times(even, rates)));
  }

  SECTION("rates are smoothed over steps") {
    weft::balancer_options opt;
    opt.smoothing = 0.25;
    weft::balancer balance(comm, even, opt);
    balance.decide(step_times(even, std::vector<double>(std::size_t(size), 1e8)));
    balance.decide(step_times(even, std::vector<double>(std::size_t(size), 2e8)));
    for (int r = 0; r < size; ++r) {
      if (even.local_size(r) == 0) continue;
      CHECK(balance.rates()[std::size_t(r)] == Catch::Approx(0.25 * 2e8 + 0.75 * 1e8));
    }
  }

  SECTION("zero times and empty blocks leave a rank unmeasured; it is assumed average and given work") {
    weft::balancer balance(comm, even);
    CHECK_FALSE(balance.decide(std::vector<double>(std::size_t(size), 0.0)));
    for (double r : balance.rates()) CHECK(r == 0);
    if (size == 1) return;
    // Rank 0 owns nothing: it is never measured, yet gets a share.
    std::vector<std::int64_t> sizes(std::size_t(size), n / (size - 1));
    sizes[0] = 0;
    sizes.back() += n - (size - 1) * (n / (size - 1));
    const auto skewed = weft::partition::from_sizes(sizes);
    weft::balancer from_empty(comm, skewed);
    auto t = step_times(skewed, equal);
    from_empty.decide(t);
    CHECK(from_empty.decide(t));
    CHECK(from_empty.rates()[0] == 0);
    CHECK(from_empty.proposed().local_size(0) >= n / size - 1);
  }

  SECTION("min_block keeps every block at least that large") {
    if (size == 1) return;
    std::vector<double> rates = equal;
    rates[0] = 1;  // hopelessly slow: its share would round to nothing
    weft::balancer_options opt;
    opt.min_block = 50;
    weft::balancer balance(comm, even, opt);
    balance.decide(step_times(even, rates));
    CHECK(balance.decide(step_times(even, rates)));
    CHECK(balance.proposed().local_size(0) == 50);
    CHECK(balance.proposed().global_size() == n);
    for (int r = 0; r < size; ++r) CHECK(balance.proposed().local_size(r) >= 50);
  }

  SECTION("bad times and options throw weft::error on every rank") {
    weft::balancer balance(comm, even);
    auto t = step_times(even, equal);
    t[0] = std::nan("");
    CHECK_THROWS_WITH(balance.decide(t), ContainsSubstring("weft::balancer::observe: rank 0 reported a step time"));
    t[0] = -1;
    CHECK_THROWS_AS(balance.decide(t), weft::error);
    CHECK_THROWS_WITH(balance.decide(std::vector<double>(std::size_t(size) + 1, 1.0)),
                      ContainsSubstring("step times for"));
    weft::balancer_options bad;
    bad.threshold = 0.5;
    CHECK_THROWS_WITH(weft::balancer(comm, even, bad), ContainsSubstring("threshold 0.5"));
    // Options that differ between ranks.
    weft::balancer_options mine;
    mine.payback_steps = 10 + comm.rank();
    if (size > 1)
      CHECK_THROWS_WITH(weft::balancer(comm, even, mine), ContainsSubstring("balancer_options::payback_steps"));
    CHECK_THROWS_WITH(weft::balancer(comm, weft::partition::block(n, size + 1)),
                      ContainsSubstring("blocks but the communicator has"));
  }
}

TEST_CASE("observe gathers every rank's time and every rank takes the same decision", "[balance][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = 5000;
  const auto even = weft::partition::block(n, comm.size());
  weft::balancer balance(comm, even);
  // Rank r is (r + 1) times slower per element.
  const double mine = double(even.local_size(comm.rank())) * 1e-6 * (comm.rank() + 1);
  balance.observe(mine);
  const bool moves = balance.observe(mine);
  std::vector<std::int64_t> decision = sizes_of(balance.proposed());
  decision.push_back(moves);
  const auto all = everyone(comm, decision);
  for (int r = 1; r < comm.size(); ++r)
    CHECK(std::vector<std::int64_t>(all.begin() + r * long(decision.size()), all.begin() + (r + 1) * long(decision.size())) ==
          decision);
  CHECK(moves == (comm.size() > 1));
  // The timed form runs the step and observes its time.
  int runs = 0;
  balance.observe(Kokkos::DefaultHostExecutionSpace{}, [&] { ++runs; });
  CHECK(runs == 1);
  CHECK(balance.last_report().step == 3);
}

TEMPLATE_LIST_TEST_CASE("redistribute moves several vectors in one exchange, and the balancer applies it",
                        "[balance][movement][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 7, 1009, 100003);
  const bool staged = GENERATE(false, true);
  if (staged) setenv("WEFT_MPI_STAGING", "1", 1);
  else unsetenv("WEFT_MPI_STAGING");
  const auto a = random_vector<double>(n, 900 + n);
  const auto b = random_vector<std::int32_t>(n, 901 + n);
  const auto partitions = test_partitions(n, comm.size());
  for (const auto& [from_name, from] : partitions) {
    for (const auto& [to_name, to] : partitions) {
      CAPTURE(from_name, to_name, n, staged);
      auto x = make_vector<double, M>(comm, from, a, 1);
      auto y = make_vector<std::int32_t, M>(comm, from, b);
      const auto [u, v] = weft::redistribute(std::tie(x, y), to);
      CHECK(u.partition() == to);
      CHECK(v.partition() == to);
      CHECK(u.halo_width() == 1);
      CHECK(v.halo_width() == 0);
      CHECK(weft::all_gather(u) == a);
      CHECK(weft::all_gather(v) == b);
      // The new vectors skip initialising what is overwritten, not their ghosts.
      auto with_ghosts = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, u.with_halo());
      CHECK(with_ghosts(0) == 0.0);
      CHECK(with_ghosts(with_ghosts.extent(0) - 1) == 0.0);
    }
  }
  unsetenv("WEFT_MPI_STAGING");

  if (comm.size() > 1 && n >= 1009) {
    std::vector<double> rates(std::size_t(comm.size()), 1e8);
    rates[0] = 2e7;
    const auto even = weft::partition::block(n, comm.size());
    auto x = make_vector<double, M>(comm, even, a, 2);
    auto y = make_vector<std::int32_t, M>(comm, even, b);
    weft::balancer balance(comm, even);
    balance.decide(step_times(even, rates));
    REQUIRE(balance.decide(step_times(even, rates)));
    const auto x_before = x;
    balance.apply(x, y);
    CHECK(x.partition() == balance.proposed());
    CHECK(balance.current() == balance.proposed());
    CHECK(y.partition() == balance.current());
    CHECK(x.halo_width() == 2);
    CHECK(weft::all_gather(x) == a);
    CHECK(weft::all_gather(y) == b);
    CHECK_FALSE(x.same_data(x_before));
    CHECK(balance.moves() == 1);
    CHECK(balance.move_seconds_per_element() >= 0);
    // Vectors not on the balancer's partition are refused, on every rank.
    auto stale = x_before;
    CHECK_THROWS_WITH(balance.apply(stale), ContainsSubstring("not laid out on the balancer's current layout"));
  }
}

TEMPLATE_LIST_TEST_CASE("the grid balancer proposes weighted splits and moves grids", "[balance][grid][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  using grid_type = weft::distributed_grid<double, 2, M>;
  const std::array<std::int64_t, 2> n{203, 157};
  grid_type u(comm, n, {.halo = 2, .periodic = {true, false}}), v(comm, n, {.halo = 2, .periodic = {true, false}});
  const auto field_u = random_vector<double>(std::size_t(n[0] * n[1]), 1300);
  const auto field_v = random_vector<double>(std::size_t(n[0] * n[1]), 1301);
  weft::scatter(comm.rank() == 0 ? field_u : std::vector<double>{}, u, 0);
  weft::scatter(comm.rank() == 0 ? field_v : std::vector<double>{}, v, 0);

  // The last rank is four times slower per point.
  std::vector<double> rates(std::size_t(size), 1e8);
  rates.back() = 2.5e7;
  auto times_on = [&](const std::array<weft::partition, 2>& s) {
    std::vector<double> t(static_cast<std::size_t>(size));
    for (int r = 0; r < size; ++r) {
      int c0 = r / s[1].ranks(), c1 = r % s[1].ranks();
      t[std::size_t(r)] = double(s[0].local_size(c0) * s[1].local_size(c1)) / rates[std::size_t(r)];
    }
    return t;
  };
  weft::grid_balancer<2> balance(comm, u.splits(), {.min_block = u.halo_width()});
  CHECK_FALSE(balance.decide(times_on(u.splits())));  // warm-up
  const bool moves = balance.decide(times_on(u.splits()));
  CHECK(moves == (size > 1));
  if (size == 1) return;
  const auto proposal = balance.proposed();
  // The balancer's rates are points / measured seconds: the given rates to
  // within rounding, which may break a tie between equal shares otherwise
  // (5 ranks: four shares of 47.76 rows for three spare rows). So the
  // proposal is the split of the balancer's rates, and within a row of the
  // split of the given ones.
  CHECK(proposal == weft::weighted_splits<2>(n, u.dims(), balance.rates(), u.halo_width()));
  const auto exact = weft::weighted_splits<2>(n, u.dims(), rates, u.halo_width());
  for (std::size_t d = 0; d < 2; ++d)
    for (int k = 0; k < exact[d].ranks(); ++k) {
      CAPTURE(d, k);
      CHECK(std::abs(proposal[d].local_size(k) - exact[d].local_size(k)) <= 1);
    }
  const auto& report = balance.last_report();
  CHECK(report.balanced_seconds < report.step_seconds);
  for (const auto& p : proposal)
    for (int k = 0; k < p.ranks(); ++k) CHECK(p.local_size(k) >= u.halo_width());
  const auto after = times_on(proposal);
  const double slowest_after = *std::max_element(after.begin(), after.end());
  CHECK(report.balanced_seconds == Catch::Approx(slowest_after));

  balance.apply(u, v);
  CHECK(u.splits() == proposal);
  CHECK(v.splits() == proposal);
  CHECK(balance.current() == proposal);
  CHECK(u.halo_width() == 2);
  CHECK(u.options().periodic[0]);
  CHECK(weft::gather(u, 0) == (comm.rank() == 0 ? field_u : std::vector<double>{}));
  CHECK(weft::gather(v, 0) == (comm.rank() == 0 ? field_v : std::vector<double>{}));
  // The moved grids work as grids: the same sum as before, to the bit.
  grid_type even(comm, n, {.halo = 2, .periodic = {true, false}});
  weft::scatter(comm.rank() == 0 ? field_u : std::vector<double>{}, even, 0);
  CHECK(weft::reduce(Exec{}, u, 0.0, weft::reproducible_plus{}) ==
        weft::reduce(Exec{}, even, 0.0, weft::reproducible_plus{}));
  // Balanced now: no further move.
  CHECK_FALSE(balance.decide(times_on(balance.current())));
  grid_type stale(comm, n, {.halo = 2, .periodic = {true, false}});
  CHECK_THROWS_WITH(balance.apply(stale), ContainsSubstring("not laid out on the balancer's current layout"));
}

TEST_CASE("redistributing vectors on different partitions together is refused on every rank",
          "[balance][movement][distributed][errors]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = 40;
  weft::distributed_vector<double> x(comm, weft::partition::block(n, comm.size()));
  weft::distributed_vector<double> y(comm, weft::partition::weighted(n, std::vector<double>(std::size_t(comm.size()), 1.0)));
  std::vector<double> rising(std::size_t(comm.size()));
  for (int r = 0; r < comm.size(); ++r) rising[std::size_t(r)] = r + 1;
  weft::distributed_vector<double> z(comm, weft::partition::weighted(n, rising));
  const auto to = weft::partition::block(n, comm.size());
  CHECK_NOTHROW(weft::redistribute(std::tie(x, y), to));  // equal partitions, however made
  if (comm.size() > 1)
    CHECK_THROWS_WITH(weft::redistribute(std::tie(x, z), to),
                      ContainsSubstring("weft::redistribute: the vectors are not all laid out on the same partition"));
  CHECK_THROWS_WITH(weft::redistribute(std::tie(x, y), weft::partition::block(n + 1, comm.size())),
                    ContainsSubstring("the new partition has 41 elements, the vectors 40"));
  CHECK(weft::all_gather(x).size() == std::size_t(n));  // still in step
}

// ---------------------------------------------------------------------------
// Ranks on different execution spaces.

namespace {
struct twice_plus_one {
  KOKKOS_INLINE_FUNCTION double operator()(double v) const { return 2 * v + 1; }
};
struct three_point {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return 0.25 * nb(-1) + 0.5 * nb(0) + 0.25 * nb(1);
  }
};
struct five_point {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return nb(0, 0) - 0.125 * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1));
  }
};
struct is_even {
  KOKKOS_INLINE_FUNCTION bool operator()(std::int64_t v) const { return v % 2 == 0; }
};
struct modulo_seven {
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int64_t v) const { return (v % 7 + 7) % 7; }
};
struct grid_value {
  std::int64_t columns;
  KOKKOS_INLINE_FUNCTION double operator()(std::int64_t i, std::int64_t j) const {
    return double((i * columns + j) % 97) * 0.03125 - 1.5;  // exact in binary
  }
};
template <class Grid>
struct fill_grid {
  typename Grid::storage_type storage;
  std::int64_t h, off0, off1;
  grid_value value;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j) const {
    storage(i + h, j + h) = value(off0 + i, off1 + j);
  }
};

// What run_everything computes: exact values, compared exactly, and the
// default floating-point sum, which may round differently per space.
struct outcome {
  std::vector<std::int64_t> integers;
  std::vector<double> exact;
  double default_sum = 0;
};

template <class T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// Every distributed algorithm, written once over the execution space, on
// vectors and grids in that space's memory.
template <class Exec>
outcome run_everything(const weft::communicator& comm, const Exec& exec, std::int64_t n) {
  using M = typename Exec::memory_space;
  std::vector<double> rising(std::size_t(comm.size()));
  for (int r = 0; r < comm.size(); ++r) rising[std::size_t(r)] = r + 1.5;
  const auto p = weft::partition::weighted(n, rising);
  const auto keys = random_vector<std::int64_t>(n, 1100 + n);
  const auto values = random_vector<double>(n, 1101 + n);
  outcome o;

  auto k = make_vector<std::int64_t, M>(comm, p, keys);
  auto x = make_vector<double, M>(comm, p, values, 1);
  // Map and stencil (exact element by element).
  weft::distributed_vector<double, M> y(comm, p, weft::halo{1}), z(comm, p);
  weft::transform(exec, x, y, twice_plus_one{});
  weft::stencil(exec, y, z, 1, weft::periodic{}, three_point{});
  append(o.exact, weft::all_gather(z));
  weft::iota(exec, y, 0.5);
  append(o.exact, weft::all_gather(y));
  // Reductions: integers and reproducible sums are exact.
  o.integers.push_back(weft::reduce(exec, k, std::int64_t{0}, weft::plus{}));
  if (n > 0) {
    const auto lo = weft::min_loc(exec, k);
    const auto hi = weft::max_loc(exec, x);
    o.integers.insert(o.integers.end(), {lo.value, lo.index, hi.index});
    o.exact.push_back(hi.value);
  }
  o.exact.push_back(weft::reduce(exec, x, 0.0, weft::reproducible_plus{}));
  o.exact.push_back(weft::transform_reduce(exec, x, z, 0.0, weft::reproducible_plus{}, weft::multiplies{}));
  o.default_sum = weft::reduce(exec, x, 0.0, weft::plus{});
  // Scans.
  weft::distributed_vector<std::int64_t, M> s(comm, p);
  o.integers.push_back(weft::inclusive_scan(exec, k, s, weft::plus{}));
  append(o.integers, weft::all_gather(s));
  weft::distributed_vector<double, M> e(comm, p);
  o.exact.push_back(weft::exclusive_scan(exec, x, e, 0.0, weft::reproducible_plus{}));
  append(o.exact, weft::all_gather(e));
  // Sort, compaction, by-key.
  weft::distributed_vector<std::int64_t, M> sorted(comm, p), groups(comm, p);
  weft::copy(exec, k, sorted);
  weft::sort(exec, sorted);
  append(o.integers, weft::all_gather(sorted));
  append(o.integers, weft::all_gather(weft::copy_if(exec, k, is_even{})));
  weft::transform(exec, sorted, groups, modulo_seven{});
  weft::distributed_vector<double, M> payload(comm, p);
  weft::copy(exec, x, payload);
  weft::sort_by_key(exec, groups, payload);
  append(o.integers, weft::all_gather(groups));
  append(o.exact, weft::all_gather(payload));
  const auto [unique, counts] = weft::reduce_by_key(exec, groups, k);
  append(o.integers, weft::all_gather(unique));
  append(o.integers, weft::all_gather(counts));
  // Movement.
  const auto moved = weft::redistribute(k, weft::partition::block(n, comm.size()));
  append(o.integers, weft::all_gather(moved));
  // A grid: fill, halo exchange through a stencil, reductions, gather.
  const std::int64_t rows = 29, columns = 17;
  using grid_type = weft::distributed_grid<double, 2, M>;
  grid_type g(comm, {rows, columns}), h(comm, {rows, columns});
  Kokkos::parallel_for(
      "fill", Kokkos::MDRangePolicy<Exec, Kokkos::Rank<2>>(exec, {0, 0}, {g.local_extent(0), g.local_extent(1)}),
      fill_grid<grid_type>{g.with_halo(), g.halo_width(), g.offset(0), g.offset(1), grid_value{columns}});
  exec.fence();
  weft::stencil(exec, g, h, 1, weft::clamp{}, five_point{});
  append(o.exact, weft::gather(h, 0));
  o.exact.push_back(weft::reduce(exec, h, 0.0, weft::reproducible_plus{}));
  // The replicated check agrees across ranks whatever their spaces.
  weft::check_replicated(comm, o.integers, "the integer results");
  return o;
}
}  // namespace

TEST_CASE("ranks on different execution spaces run every distributed algorithm together",
          "[balance][spaces][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const auto spaces = weft::enabled_execution_spaces();
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 13, 1009, 20011);
  CAPTURE(n);
  auto run = [&](auto exec) { return run_everything(comm, exec, n); };
  const auto single = weft::with_execution_space("host", run);
  // Rank r runs on the r-th enabled space (cycling): with a CUDA build,
  // rank 0 on the GPU beside host ranks; here, OpenMP beside Serial.
  const std::string& mine = spaces[std::size_t(comm.rank()) % spaces.size()];
  CAPTURE(mine);
  const auto mixed = weft::with_execution_space(mine, run);
  CHECK(mixed.integers == single.integers);
  REQUIRE(mixed.exact.size() == single.exact.size());
  int differ = 0;
  for (std::size_t i = 0; i < single.exact.size(); ++i)
    differ += std::memcmp(&mixed.exact[i], &single.exact[i], sizeof(double)) != 0;
  CHECK(differ == 0);
  CHECK(mixed.default_sum == Catch::Approx(single.default_sum).margin(1e-12 * double(n + 1)));
}

TEST_CASE("with_execution_space names the spaces this build enables", "[spaces]") {
  const auto spaces = weft::enabled_execution_spaces();
  REQUIRE_FALSE(spaces.empty());
  for (const auto& name : spaces) {
    const std::string got = weft::with_execution_space(name, [](auto exec) { return std::string(exec.name()); });
    CHECK(weft::detail::same_name(got, name));
  }
  CHECK(weft::with_execution_space("DEFAULT", [](auto exec) { return std::string(exec.name()); }) ==
        Kokkos::DefaultExecutionSpace::name());
  int calls = 0;
  weft::with_execution_space("host", [&](auto) { ++calls; });
  CHECK(calls == 1);
  CHECK_THROWS_WITH(weft::with_execution_space("abacus", [](auto) { return 0; }),
                    ContainsSubstring("weft::with_execution_space: this Kokkos build has no execution space \"abacus\""));
}
