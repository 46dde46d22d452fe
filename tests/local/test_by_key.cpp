// The by-key family against sequential references: reduce_by_key, the two
// scans by key and segmented_reduce, with an exact non-commutative operation
// (composition of affine maps mod 2^64) so that any reordering shows, runs of
// every length (one segment across all tiles too), host and device tilings,
// and bad input.
#include <weft/by_key.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "affine.hpp"
#include "data.hpp"
#include "device_tiling.hpp"
#include "keys.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1009, large_size)

namespace {

enum class runs { long_sorted, short_random, one_segment };

// Keys with runs of the given kind.
std::vector<int> run_keys(std::int64_t n, std::uint64_t seed, runs kind) {
  std::mt19937_64 engine(seed);
  std::vector<int> keys(n);
  for (auto& k : keys) k = static_cast<int>(engine() % (kind == runs::long_sorted ? 9 : 3));
  if (kind == runs::long_sorted) std::sort(keys.begin(), keys.end());
  if (kind == runs::one_segment) {
    std::fill(keys.begin(), keys.end(), 4);
    if (n > 2) keys[n - 2] = 5;  // ...and two short ones at the end
  }
  return keys;
}

// Equal when both even or both odd.
struct same_parity {
  KOKKOS_INLINE_FUNCTION bool operator()(int a, int b) const { return (a - b) % 2 == 0; }
};

// Sequential references. Segment starts where !eq(keys[i-1], keys[i]).
template <class V, class Op, class Eq>
void reference_by_key(const std::vector<int>& keys, const std::vector<V>& values, Op op, Eq eq, const V& init,
                      std::vector<int>& seg_keys, std::vector<V>& seg_values, std::vector<V>& inclusive,
                      std::vector<V>& exclusive) {
  const std::size_t n = keys.size();
  inclusive.resize(n);
  exclusive.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool start = i == 0 || !eq(keys[i - 1], keys[i]);
    if (start) {
      seg_keys.push_back(keys[i]);
      seg_values.push_back(values[i]);
      inclusive[i] = values[i];
      exclusive[i] = init;
    } else {
      exclusive[i] = op(init, inclusive[i - 1]);
      inclusive[i] = op(inclusive[i - 1], values[i]);
      seg_values.back() = op(seg_values.back(), values[i]);
    }
  }
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("reduce_by_key and the scans by key fold each run of equal keys in order",
                        "[by_key][local]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  const std::int64_t n = WEFT_TEST_SIZES;
  const runs kind = GENERATE(runs::long_sorted, runs::short_random, runs::one_segment);
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  const auto keys = run_keys(n, 400 + n, kind);
  const auto maps = random_affine(n, 401 + n);
  const Exec exec{};
  CAPTURE(n, static_cast<int>(kind), many_tiles);

  SECTION("affine maps composed in order, weft::equal_to") {
    const affine init{3, 5};
    std::vector<int> seg_keys;
    std::vector<affine> seg_values, inclusive, exclusive;
    reference_by_key(keys, maps, then{}, std::equal_to<>{}, init, seg_keys, seg_values, inclusive, exclusive);
    const std::int64_t m = static_cast<std::int64_t>(seg_keys.size());
    auto k = to_view<Exec>(keys);
    auto v = to_view<Exec>(maps);
    Kokkos::View<int*, M> keys_out("keys_out", m + 3);
    Kokkos::View<affine*, M> values_out("values_out", m);
    CHECK(weft::reduce_by_key(exec, k, v, keys_out, values_out, then{}) == m);
    auto got_keys = to_vector(keys_out);
    CHECK(std::vector<int>(got_keys.begin(), got_keys.begin() + m) == seg_keys);
    CHECK(to_vector(values_out) == seg_values);

    Kokkos::View<affine*, M> out("out", n);
    weft::inclusive_scan_by_key(exec, k, v, out, then{});
    CHECK(to_vector(out) == inclusive);
    weft::exclusive_scan_by_key(exec, k, v, out, init, then{});
    CHECK(to_vector(out) == exclusive);
    // In place, strided.
    auto s = to_strided_view<Exec>(maps);
    weft::inclusive_scan_by_key(k, s, s, then{}, weft::equal_to<>{});
    CHECK(to_vector(s) == inclusive);
  }
  SECTION("64-bit sums with a user equality, default operations") {
    auto values = make_keys<std::int64_t>(n, 402 + n, key_shape::random);
    for (auto& x : values) x >>= 24;  // |x| < 2^39: no overflow in sums of a million
    std::vector<int> seg_keys;
    std::vector<std::int64_t> seg_values, inclusive, exclusive;
    reference_by_key(keys, values, std::plus<>{}, same_parity{}, std::int64_t{0}, seg_keys, seg_values, inclusive,
                     exclusive);
    const std::int64_t m = static_cast<std::int64_t>(seg_keys.size());
    auto k = to_strided_view<Exec>(keys);
    auto v = to_view<Exec>(values);
    Kokkos::View<int*, M> keys_out("keys_out", m);
    Kokkos::View<std::int64_t*, M> values_out("values_out", m);
    CHECK(weft::reduce_by_key(k, v, keys_out, values_out, weft::plus{}, same_parity{}) == m);
    CHECK(to_vector(keys_out) == seg_keys);
    CHECK(to_vector(values_out) == seg_values);
    Kokkos::View<std::int64_t*, M> out("out", n);
    weft::inclusive_scan_by_key(exec, k, v, out, weft::plus{}, same_parity{});
    CHECK(to_vector(out) == inclusive);
    weft::exclusive_scan_by_key(exec, k, v, out, std::int64_t{0}, weft::plus{}, same_parity{});
    CHECK(to_vector(out) == exclusive);

    // Defaults (plus, equal_to, init 0) against the equal_to reference.
    std::vector<int> plain_keys;
    std::vector<std::int64_t> plain_values, plain_inclusive, plain_exclusive;
    reference_by_key(keys, values, std::plus<>{}, std::equal_to<>{}, std::int64_t{0}, plain_keys, plain_values,
                     plain_inclusive, plain_exclusive);
    weft::inclusive_scan_by_key(k, v, out);
    CHECK(to_vector(out) == plain_inclusive);
    weft::exclusive_scan_by_key(k, v, out);
    CHECK(to_vector(out) == plain_exclusive);
    Kokkos::View<int*, M> plain_keys_out("keys_out", n);
    Kokkos::View<std::int64_t*, M> plain_values_out("values_out", n);
    const std::int64_t plain_m = weft::reduce_by_key(exec, k, v, plain_keys_out, plain_values_out);
    REQUIRE(plain_m == static_cast<std::int64_t>(plain_keys.size()));
    auto got = to_vector(plain_values_out);
    CHECK(std::vector<std::int64_t>(got.begin(), got.begin() + plain_m) == plain_values);
  }
}

TEMPLATE_LIST_TEST_CASE("segmented_reduce folds CSR segments in order, init for empty ones", "[by_key][local]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  const std::int64_t n = WEFT_TEST_SIZES;
  const std::int64_t segments = GENERATE(as<std::int64_t>{}, 1, 5, 1000);
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  const auto maps = random_affine(n, 500 + n);
  // Random cut points in [0, n], sorted: empty segments, and leading and
  // trailing values outside every segment.
  std::mt19937_64 engine(501 + n + segments);
  std::vector<std::int64_t> offsets(segments + 1);
  for (auto& o : offsets) o = n ? static_cast<std::int64_t>(engine() % (n + 1)) : 0;
  std::sort(offsets.begin(), offsets.end());
  if (segments > 3) offsets[2] = offsets[1];  // certainly one empty segment
  const affine init{7, 9};
  std::vector<affine> expected(segments);
  for (std::int64_t s = 0; s < segments; ++s) {
    affine acc = init;
    for (std::int64_t i = offsets[s]; i < offsets[s + 1]; ++i) acc = then{}(acc, maps[i]);
    expected[s] = acc;
  }
  CAPTURE(n, segments, many_tiles);

  auto v = to_view<Exec>(maps);
  auto o = to_view<Exec>(offsets);
  Kokkos::View<affine*, M> out("out", segments);
  weft::segmented_reduce(Exec{}, v, o, out, init, then{});
  CHECK(to_vector(out) == expected);

  // int offsets, strided values, default sum.
  std::vector<int> small_offsets(offsets.begin(), offsets.end());
  const auto ints = random_vector<std::int64_t>(n, 502 + n);
  std::vector<std::int64_t> sums(segments, 0);
  for (std::int64_t s = 0; s < segments; ++s)
    for (std::int64_t i = offsets[s]; i < offsets[s + 1]; ++i) sums[s] += ints[i];
  Kokkos::View<std::int64_t*, M> sum_out("sums", segments);
  weft::segmented_reduce(to_strided_view<Exec>(ints), to_view<Exec>(small_offsets), sum_out);
  CHECK(to_vector(sum_out) == sums);
}

TEMPLATE_LIST_TEST_CASE("by-key algorithms reject bad input before writing", "[by_key][local]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  const Exec exec{};
  auto keys = to_view<Exec>(std::vector<int>{1, 1, 2, 3, 3, 3, 4});
  auto values = to_view<Exec>(std::vector<double>{1, 2, 3, 4, 5, 6, 7});
  auto keys_out = to_view<Exec>(std::vector<int>(3, -1));
  auto values_out = to_view<Exec>(std::vector<double>(4, -1.0));
  CHECK_THROWS_WITH(weft::reduce_by_key(exec, keys, values, keys_out, values_out),
                    "weft::reduce_by_key: 4 segments among 7 keys, but keys_out has 3 elements and values_out 4");
  CHECK(to_vector(keys_out) == std::vector<int>(3, -1));
  CHECK(to_vector(values_out) == std::vector<double>(4, -1.0));
  CHECK_THROWS_WITH(weft::reduce_by_key(exec, keys, values, keys, values_out),
                    ContainsSubstring("an output shares memory with an input"));
  Kokkos::View<double*, M> six("six", 6);
  CHECK_THROWS_WITH(weft::inclusive_scan_by_key(exec, keys, values, six),
                    "weft::inclusive_scan_by_key: keys have 7 elements, values 7, output 6");
  auto shifted = Kokkos::subview(values, std::pair<int, int>(0, 7));
  CHECK_NOTHROW(weft::exclusive_scan_by_key(exec, keys, values, shifted));  // the same elements: in place

  Kokkos::View<double*, M> out("out", 3);
  auto bad_order = to_view<Exec>(std::vector<int>{0, 4, 2, 7});
  CHECK_THROWS_WITH(weft::segmented_reduce(exec, values, bad_order, out),
                    "weft::segmented_reduce: offsets(1) = 4 > offsets(2) = 2");
  auto negative = to_view<Exec>(std::vector<int>{-1, 4, 5, 7});
  CHECK_THROWS_WITH(weft::segmented_reduce(exec, values, negative, out),
                    "weft::segmented_reduce: offsets(0) = -1 is negative");
  auto past_end = to_view<Exec>(std::vector<int>{0, 4, 5, 8});
  CHECK_THROWS_WITH(weft::segmented_reduce(exec, values, past_end, out),
                    "weft::segmented_reduce: offsets(3) = 8 is past the end of 7 values");
  auto too_few = to_view<Exec>(std::vector<int>{0, 4, 5});
  CHECK_THROWS_WITH(weft::segmented_reduce(exec, values, too_few, out),
                    "weft::segmented_reduce: 3 segments need 4 offsets, got 3");
  CHECK(to_vector(out) == std::vector<double>(3, 0.0));
  // Nothing to do: no segments, no offsets.
  Kokkos::View<double*, M> none("none", 0);
  CHECK_NOTHROW(weft::segmented_reduce(exec, values, Kokkos::View<int*, M>("no offsets", 0), none));
}
