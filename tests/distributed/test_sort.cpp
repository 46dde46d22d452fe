// sort, sort_by_key, copy_if and reduce_by_key on distributed vectors
// against sequential references on the global data: global order,
// stability across ranks, nothing lost or duplicated, the partition kept
// (or the documented one), under block, weighted, explicit and all-on-one-
// rank partitions, with and without host staging, at 1 to 4 ranks.
#include <weft/distributed.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "affine.hpp"
#include "data.hpp"
#include "distributed.hpp"
#include "keys.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 3, 7, 1000, 100003)

namespace {

// The test partitions, and everything on one rank (the first, then the last).
std::vector<named_partition> sort_partitions(std::int64_t n, int ranks) {
  auto out = test_partitions(n, ranks);
  for (const int r : {0, ranks - 1}) {
    std::vector<std::int64_t> sizes(ranks, 0);
    sizes[r] = n;
    out.push_back({"all on rank " + std::to_string(r), weft::partition::from_sizes(sizes)});
  }
  return out;
}

struct particle {
  int cell;
  std::int64_t id;
  friend bool operator==(const particle&, const particle&) = default;
};

struct by_cell {
  KOKKOS_INLINE_FUNCTION bool operator()(const particle& a, const particle& b) const { return a.cell < b.cell; }
};

struct positive {
  KOKKOS_INLINE_FUNCTION bool operator()(double x) const { return x > 0; }
};

template <class K, class Less>
std::vector<std::int64_t> stable_order(const std::vector<K>& keys, Less less) {
  auto order = indices<std::int64_t>(keys.size());
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return less(keys[a], keys[b]); });
  return order;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("distributed sort orders globally, stably, and keeps the partition", "[sort][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = WEFT_TEST_SIZES;
  const bool staged = GENERATE(false, true);
  const mpi_staging stage(staged);
  const Exec exec{};
  // Few distinct keys: runs of equal keys span ranks, so stability across
  // ranks shows in the values.
  const auto keys = make_keys<std::int64_t>(n, 800 + n, key_shape::few_distinct);
  const auto doubles = make_keys<double>(n, 801 + n, key_shape::specials);
  const auto order = stable_order(keys, documented_less<std::int64_t>);
  std::vector<std::int64_t> sorted_keys(n);
  for (std::int64_t i = 0; i < n; ++i) sorted_keys[i] = keys[order[i]];
  const auto double_order = stable_order(doubles, documented_less<double>);
  std::vector<double> sorted_doubles(n);
  for (std::int64_t i = 0; i < n; ++i) sorted_doubles[i] = doubles[double_order[i]];

  for (const auto& [name, p] : sort_partitions(n, comm.size())) {
    CAPTURE(name, n, staged);
    auto k = make_vector<std::int64_t, M>(comm, p, keys);
    auto ids = make_vector<std::int64_t, M>(comm, p, indices<std::int64_t>(n));
    weft::sort_by_key(exec, k, ids);
    CHECK(k.partition() == p);
    CHECK(ids.partition() == p);
    CHECK(everything(k) == sorted_keys);
    CHECK(everything(ids) == order);  // stable across ranks; a permutation: nothing lost or doubled

    auto d = make_vector<double, M>(comm, p, doubles);
    weft::sort(d);  // NaNs last, -0 and +0 in input order
    CHECK(same_bits(everything(d), sorted_doubles));
    CHECK(d.local_size() == p.local_size(comm.rank()));

    // Descending, then a user comparison (merge sort on every rank).
    auto down = make_vector<std::int64_t, M>(comm, p, keys);
    weft::sort(exec, down, weft::greater{});
    auto expected_down = sorted_keys;
    std::reverse(expected_down.begin(), expected_down.end());
    CHECK(everything(down) == expected_down);
  }
}

TEMPLATE_LIST_TEST_CASE("distributed sort with a user comparison on structs", "[sort][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = WEFT_TEST_SIZES;
  std::mt19937_64 engine(900 + n);
  std::vector<particle> data(n);
  for (std::int64_t i = 0; i < n; ++i) data[i] = {static_cast<int>(engine() % 5), i};
  auto expected = data;
  std::stable_sort(expected.begin(), expected.end(), by_cell{});
  std::vector<std::int64_t> sorted_keys(n);
  auto raw_keys = make_keys<std::int64_t>(n, 901 + n, key_shape::random);
  auto expected_raw = raw_keys;
  std::sort(expected_raw.begin(), expected_raw.end());
  for (const auto& [name, p] : sort_partitions(n, comm.size())) {
    CAPTURE(name, n);
    auto x = make_vector<particle, M>(comm, p, data);
    weft::sort(Exec{}, x, by_cell{});
    CHECK(everything(x) == expected);
    auto values = make_vector<std::int64_t, M>(comm, p, raw_keys);
    weft::sort(values, KOKKOS_LAMBDA(std::int64_t a, std::int64_t b) { return a < b; });
    CHECK(everything(values) == expected_raw);
  }
}

TEMPLATE_LIST_TEST_CASE("distributed copy_if keeps the selected elements in global order", "[compaction][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<double>(n, 1000 + n);
  std::vector<double> expected;
  std::copy_if(data.begin(), data.end(), std::back_inserter(expected), positive{});
  const std::int64_t m = static_cast<std::int64_t>(expected.size());
  for (const auto& [name, p] : sort_partitions(n, comm.size())) {
    CAPTURE(name, n);
    auto x = make_vector<double, M>(comm, p, data);
    auto y = weft::copy_if(Exec{}, x, positive{});
    CHECK(y.partition() == weft::partition::block(m, comm.size()));
    CHECK(everything(y) == expected);
    // Onto a given partition: everything on the last rank.
    std::vector<std::int64_t> sizes(comm.size(), 0);
    sizes.back() = m;
    auto z = weft::copy_if(x, positive{}, weft::partition::from_sizes(sizes));
    CHECK(z.local_size() == (comm.rank() == comm.size() - 1 ? m : 0));
    CHECK(everything(z) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("distributed reduce_by_key joins runs that span ranks, in order", "[by_key][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = WEFT_TEST_SIZES;
  const int distinct = GENERATE(1, 3, 50);
  std::mt19937_64 engine(1100 + n + distinct);
  std::vector<int> keys(n);
  for (auto& k : keys) k = static_cast<int>(engine() % distinct);
  std::sort(keys.begin(), keys.end());  // long runs, across ranks
  if (n > 4) keys[n / 3] = -1;          // and a run of one
  std::vector<affine> maps(n);
  for (auto& f : maps) f = {engine() | 1, engine()};
  std::vector<int> expected_keys;
  std::vector<affine> expected_values;
  std::vector<std::int64_t> counts;
  for (std::int64_t i = 0; i < n; ++i) {
    if (i == 0 || keys[i] != keys[i - 1]) {
      expected_keys.push_back(keys[i]);
      expected_values.push_back(maps[i]);
      counts.push_back(1);
    } else {
      expected_values.back() = then{}(expected_values.back(), maps[i]);
      ++counts.back();
    }
  }
  const std::int64_t m = static_cast<std::int64_t>(expected_keys.size());
  for (const auto& [name, p] : sort_partitions(n, comm.size())) {
    CAPTURE(name, n, distinct);
    auto k = make_vector<int, M>(comm, p, keys);
    auto v = make_vector<affine, M>(comm, p, maps);
    auto result = weft::reduce_by_key(Exec{}, k, v, then{});
    CHECK(result.keys.partition() == weft::partition::block(m, comm.size()));
    CHECK(everything(result.keys) == expected_keys);
    CHECK(everything(result.values) == expected_values);
    // Counting: weft::plus over ones, with weft::equal_to spelled out.
    auto ones = make_vector<std::int64_t, M>(comm, p, std::vector<std::int64_t>(n, 1));
    auto [count_keys, count_values] = weft::reduce_by_key(k, ones, weft::plus{}, weft::equal_to{});
    CHECK(everything(count_keys) == expected_keys);
    CHECK(everything(count_values) == counts);
  }
}

TEST_CASE("distributed sort, copy_if and reduce_by_key reject bad input on every rank", "[errors][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  weft::distributed_vector<double> x(comm, 20);
  std::vector<std::int64_t> skewed(size, 0);
  skewed.back() = 20;
  weft::distributed_vector<double> y(comm, weft::partition::from_sizes(skewed));
  if (size > 1) {
    CHECK_THROWS_WITH(weft::sort_by_key(x, y), ContainsSubstring("weft::sort_by_key: vectors are partitioned differently"));
    CHECK_THROWS_AS(weft::reduce_by_key(x, y), weft::error);
  }
  CHECK_THROWS_WITH(weft::sort_by_key(x, x), "weft::sort_by_key: keys and values are the same vector (20 elements)");
  weft::fill(x, 1.0);
  CHECK_THROWS_WITH(weft::copy_if(x, positive{}, weft::partition::block(19, size)),
                    "weft::copy_if: 20 of 20 elements pass the predicate, but the partition given for the result "
                    "has 19");
  // Still in step.
  CHECK(weft::reduce(x, 1.0) == 21.0);
}
