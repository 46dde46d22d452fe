// The sorts against std::stable_sort: every arithmetic key type the radix
// sort takes, in both directions, NaNs and signed zeros, keys with values
// (stability), user comparisons on structs (the merge sort), strided views,
// and the device code paths run on the host.
#include <weft/sort.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "data.hpp"
#include "keys.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <tuple>
#include <vector>

using namespace weft_test;

using float_types = std::tuple<float, double>;
using radix_types = std::tuple<std::int8_t, std::uint8_t, std::int16_t, std::uint16_t, int, std::uint32_t,
                               std::int64_t, std::uint64_t, float, double>;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1009, large_size)
#define WEFT_TEST_SHAPES \
  GENERATE(key_shape::random, key_shape::few_distinct, key_shape::sorted, key_shape::reversed, key_shape::specials)

namespace {

// keys[i] with their original index: what a stable sort must produce.
template <class K, class Less>
std::pair<std::vector<K>, std::vector<std::int64_t>> stable_reference(const std::vector<K>& keys, Less less) {
  std::vector<std::int64_t> order = indices<std::int64_t>(keys.size());
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return less(keys[a], keys[b]); });
  std::vector<K> sorted(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) sorted[i] = keys[order[i]];
  return {sorted, order};
}

template <class K>
void check_keys(const std::vector<K>& got, const std::vector<K>& expected) {
  const std::int64_t at = first_difference(got, expected);
  CAPTURE(at);
  if (at >= 0 && static_cast<std::size_t>(at) < got.size())
    UNSCOPED_INFO("got " << +got[at] << ", expected " << +expected[at]);
  CHECK(at == -1);
}

// A particle-like struct sorted by one field: equal cells are common, so the
// order of the others shows whether the sort is stable.
struct particle {
  int cell;
  double x;
  friend bool operator==(const particle&, const particle&) = default;
};

struct by_cell {
  KOKKOS_INLINE_FUNCTION bool operator()(const particle& a, const particle& b) const { return a.cell < b.cell; }
};

struct by_cell_descending {
  KOKKOS_INLINE_FUNCTION bool operator()(const particle& a, const particle& b) const { return b.cell < a.cell; }
};

std::vector<particle> random_particles(std::size_t n, std::uint64_t seed, int cells) {
  std::mt19937_64 engine(seed);
  std::vector<particle> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = {static_cast<int>(engine() % cells), static_cast<double>(i)};
  return out;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("sort orders arithmetic keys as std::stable_sort with the documented order", "[sort][local]",
                        on_every_space<radix_types>) {
  using Exec = typename TestType::exec;
  using K = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const key_shape shape = WEFT_TEST_SHAPES;
  const auto keys = make_keys<K>(n, 1000 + n, shape);
  CAPTURE(n, shape_name(shape));
  const Exec exec{};

  // One run checks all three forms: the references are the slow part.
  const auto [sorted, order] = stable_reference(keys, documented_less<K>);
  auto v = to_view<Exec>(keys);
  weft::sort(exec, v);  // ascending, keys only, default order
  check_keys(to_vector(v), sorted);

  auto k = to_view<Exec>(keys);
  auto idx = to_view<Exec>(indices<std::int64_t>(n));
  weft::sort_by_key(exec, k, idx, weft::less<K>{});  // with indices as values: stable
  check_keys(to_vector(k), sorted);
  CHECK(to_vector(idx) == order);

  // Descending (weft::greater), strided keys and values.
  const auto [sorted_down, order_down] = stable_reference(keys, documented_greater<K>);
  auto ks = to_strided_view<Exec>(keys);
  auto idxs = to_strided_view<Exec>(indices<std::uint32_t>(n));
  weft::sort_by_key(ks, idxs, weft::greater{});
  check_keys(to_vector(ks), sorted_down);
  CHECK(to_vector(idxs) == std::vector<std::uint32_t>(order_down.begin(), order_down.end()));
}

TEMPLATE_LIST_TEST_CASE("NaNs sort after +inf, stable among themselves; -0 and +0 are equal", "[sort][local]",
                        on_every_space<float_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  const std::vector<T> keys = {nan, 1, -nan, -inf, T(-0.0), 2, inf, T(0.0), -1, nan, T(-0.0)};
  const std::vector<int> ids = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto k = to_view<Exec>(keys);
  auto v = to_view<Exec>(ids);
  weft::sort_by_key(Exec{}, k, v);
  // -inf, -1, then the zeros in input order (-0, +0, -0), 1, 2, inf, the NaNs in input order.
  CHECK(to_vector(v) == std::vector<int>{3, 8, 4, 7, 10, 1, 5, 6, 0, 2, 9});
  const auto sorted = to_vector(k);
  CHECK(std::signbit(sorted[2]));
  CHECK(!std::signbit(sorted[3]));
  CHECK(std::isnan(sorted[8]));
  CHECK(std::signbit(sorted[9]));  // the NaN payloads and signs travel unchanged
  CHECK(std::isnan(sorted[10]));

  // Descending: largest first, the NaNs still last and in input order.
  k = to_view<Exec>(keys);
  v = to_view<Exec>(ids);
  weft::sort_by_key(Exec{}, k, v, weft::greater<T>{});
  CHECK(to_vector(v) == std::vector<int>{6, 5, 1, 4, 7, 10, 8, 3, 0, 2, 9});
}

TEMPLATE_LIST_TEST_CASE("sort with a user comparison is a stable merge sort", "[sort][local]", enabled_spaces) {
  using Exec = TestType;
  const std::int64_t n = WEFT_TEST_SIZES;
  const int cells = GENERATE(1, 7, 100000);
  const Exec exec{};
  CAPTURE(n, cells);

  SECTION("structs by one field, in place: stable") {
    const auto data = random_particles(n, 2000 + n, cells);
    auto expected = data;
    std::stable_sort(expected.begin(), expected.end(), by_cell{});
    auto v = to_view<Exec>(data);
    weft::sort(exec, v, by_cell{});
    CHECK(to_vector(v) == expected);
    // Sorting sorted data changes nothing; reversing keeps equal cells in order.
    weft::sort(v, by_cell{});
    CHECK(to_vector(v) == expected);
    std::stable_sort(expected.begin(), expected.end(), by_cell_descending{});
    weft::sort(exec, v, by_cell_descending{});
    CHECK(to_vector(v) == expected);
  }
  SECTION("64-bit keys by a lambda, 64-bit values, strided") {
    auto keys = make_keys<std::int64_t>(n, 2100 + n, key_shape::random);
    for (auto& k : keys) k %= cells;
    const auto [sorted, order] = stable_reference(keys, [](std::int64_t a, std::int64_t b) { return a < b; });
    auto k = to_strided_view<Exec>(keys);
    auto idx = to_view<Exec>(indices<std::uint64_t>(n));
    weft::sort_by_key(exec, k, idx, KOKKOS_LAMBDA(std::int64_t a, std::int64_t b) { return a < b; });
    CHECK(to_vector(k) == sorted);
    CHECK(to_vector(idx) == std::vector<std::uint64_t>(order.begin(), order.end()));
  }
  SECTION("reversed input, descending comparison of doubles") {
    auto keys = make_keys<double>(n, 2200 + n, key_shape::sorted);
    auto expected = keys;
    std::reverse(expected.begin(), expected.end());
    auto k = to_view<Exec>(keys);
    weft::sort(exec, k, KOKKOS_LAMBDA(double a, double b) { return a > b; });
    CHECK(to_vector(k) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("the device code paths of the sorts, run on the host", "[sort][local]", enabled_spaces) {
  using Exec = TestType;
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 1, 255, 256, 257, 5000, large_size);
  const Exec exec{};
  CAPTURE(n);
  // Radix: 4-bit digits over every bit, tiles of 256 elements, no key-range read.
  const auto keys = make_keys<std::int32_t>(n, 3000 + n, key_shape::few_distinct);
  const auto [sorted, order] = stable_reference(keys, documented_less<std::int32_t>);
  auto k = to_view<Exec>(keys);
  auto idx = to_view<Exec>(indices<std::int64_t>(n));
  weft::detail::radix_sort<1, Exec, decltype(k), decltype(idx), false>(exec, k, idx, "test");
  CHECK(to_vector(k) == sorted);
  CHECK(to_vector(idx) == order);

  const auto doubles = make_keys<double>(n, 3100 + n, key_shape::specials);
  const auto [sorted_doubles, doubles_order] = stable_reference(doubles, documented_greater<double>);
  auto d = to_view<Exec>(doubles);
  weft::detail::radix_sort<-1, Exec, decltype(d), weft::detail::no_values, false>(exec, d, {}, "test");
  CHECK(same_bits(to_vector(d), sorted_doubles));

  // Merge sort: pieces of 256 outputs.
  const auto particles = random_particles(n, 3200 + n, 13);
  auto expected = particles;
  std::stable_sort(expected.begin(), expected.end(), by_cell{});
  auto p = to_view<Exec>(particles);
  weft::detail::merge_sort<Exec, decltype(p), weft::detail::no_values, by_cell, false>(exec, p, {}, by_cell{}, "test");
  CHECK(to_vector(p) == expected);
}

TEMPLATE_LIST_TEST_CASE("sort_by_key rejects bad input before writing", "[sort][local]", enabled_spaces) {
  using Exec = TestType;
  const auto a = random_vector<int>(8, 1);
  const auto b = random_vector<int>(7, 2);
  auto keys = to_view<Exec>(a);
  auto values = to_view<Exec>(b);
  CHECK_THROWS_WITH(weft::sort_by_key(Exec{}, keys, values),
                    "weft::sort_by_key: keys have 8 elements, values have 7");
  CHECK_THROWS_WITH(weft::sort_by_key(Exec{}, keys, keys, weft::greater{}),
                    "weft::sort_by_key: keys and values share memory (8 elements each)");
  CHECK(to_vector(keys) == a);
  CHECK(to_vector(values) == b);
}
