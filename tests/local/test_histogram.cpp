// histogram against a sequential count: equal bins over [lo, hi) (values at
// hi, outside, NaN and inf not counted) and given bin indices, with the
// private-count and atomic paths, host and device tilings. The reference
// finds each edge, the double nearest lo + k (hi - lo) / bins, by exact
// arithmetic (weft_test::exact_sum) and places values by comparing them
// with the edges, on ranges from subnormal to [-DBL_MAX, DBL_MAX).
#include <weft/histogram.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "device_tiling.hpp"
#include "exact.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

using namespace weft_test;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1009, large_size)

using histogram_types = std::tuple<float, double>;

namespace {

// Doubles in order as unsigned integers (-0.0 just below +0.0), and back.
std::uint64_t ordered(double x) {
  const auto b = std::bit_cast<std::uint64_t>(x);
  return (b >> 63) ? ~b : b | (std::uint64_t(1) << 63);
}
double from_ordered(std::uint64_t k) {
  return std::bit_cast<double>((k >> 63) ? k & ~(std::uint64_t(1) << 63) : ~k);
}

// The sign of bins * x (x given twice: bins * (x + y)) - m * ((bins - k) lo + k hi), exactly.
int edge_side(double x, double y, double lo, double hi, std::int64_t bins, std::int64_t k, std::uint64_t m) {
  exact_sum s;
  s.add_multiple(x, static_cast<std::uint64_t>(bins));
  s.add_multiple(y, static_cast<std::uint64_t>(bins));
  s.add_multiple(-lo, m * static_cast<std::uint64_t>(bins - k));
  s.add_multiple(-hi, m * static_cast<std::uint64_t>(k));
  return s.sign();
}

// The bins + 1 edges of equal bins over [lo, hi): edge k is the double
// nearest lo + k (hi - lo) / bins, ties to the even one, found by a binary
// search over the doubles in [lo, hi] with exact comparisons. Cached.
const std::vector<double>& exact_edges(double lo, double hi, std::int64_t bins) {
  static std::map<std::tuple<double, double, std::int64_t>, std::vector<double>> cache;
  auto& edges = cache[{lo, hi, bins}];
  if (!edges.empty()) return edges;
  for (std::int64_t k = 0; k <= bins; ++k) {
    // The last double c with c <= e_k (bins c - (bins - k) lo - k hi <= 0).
    std::uint64_t first = ordered(lo), last = ordered(hi);
    while (first < last) {
      const std::uint64_t mid = first + (last - first + 1) / 2;
      if (edge_side(from_ordered(mid), 0.0, lo, hi, bins, k, 1) <= 0) first = mid;
      else last = mid - 1;
    }
    const double below = from_ordered(first);
    double edge = below;
    if (edge_side(below, 0.0, lo, hi, bins, k, 1) < 0) {
      // e_k lies between `below` and the next double: the nearer, or the even one on a tie.
      const double above = from_ordered(first + 1);
      const int side = edge_side(below, above, lo, hi, bins, k, 2);
      edge = side > 0 ? below : side < 0 ? above : (std::bit_cast<std::uint64_t>(below) & 1) ? above : below;
    }
    edges.push_back(edge);
  }
  REQUIRE(edges.front() == lo);
  REQUIRE(edges.back() == hi);
  REQUIRE(std::is_sorted(edges.begin(), edges.end()));
  return edges;
}

// The sequential histogram: x in [lo, hi) goes to the last bin whose edge is <= x.
std::vector<std::int64_t> reference_counts(const std::vector<double>& data, double lo, double hi, std::int64_t bins) {
  const auto& edges = exact_edges(lo, hi, bins);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
  for (const double x : data) {
    if (!(x >= lo && x < hi)) continue;
    const auto b = std::upper_bound(edges.begin(), edges.end(), x) - edges.begin() - 1;
    ++counts[static_cast<std::size_t>(b)];
  }
  return counts;
}

// Awkward data over [lo, hi): values spread by value and by representation
// (so tiny values show up in wide ranges), the edges and their neighbours,
// and values just outside, NaN and infinities.
std::vector<double> awkward_data(std::int64_t n, double lo, double hi, std::int64_t bins, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto& edges = exact_edges(lo, hi, bins);
  const std::uint64_t first = ordered(lo), last = ordered(hi);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> data(static_cast<std::size_t>(n));
  for (auto& x : data) {
    switch (engine() % 8) {
      case 0:
      case 1: {
        const double u = unit(engine);
        x = std::min(std::max(lo * (1 - u) + hi * u, lo), hi);
        break;
      }
      case 2:
      case 3: x = from_ordered(first + engine() % (last - first + 1)); break;
      case 4: x = edges[engine() % edges.size()]; break;
      case 5: x = std::nextafter(edges[engine() % edges.size()], engine() % 2 ? inf : -inf); break;
      case 6: {
        const double ends[] = {lo, hi, std::nextafter(lo, -inf), std::nextafter(hi, -inf), std::nextafter(hi, inf)};
        x = ends[engine() % 5];
        break;
      }
      default: {
        const double odd[] = {std::numeric_limits<double>::quiet_NaN(), inf, -inf, 0.0, -0.0, DBL_TRUE_MIN,
                              -DBL_TRUE_MIN, DBL_MAX, -DBL_MAX};
        x = odd[engine() % 9];
      }
    }
  }
  return data;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("histogram is exact on every finite range, wide and subnormal ones included",
                        "[histogram][local]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 7, 1000, 1000003);
  const std::int64_t bins = GENERATE(as<std::int64_t>{}, 1, 4, 7, 1000);
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  const std::pair<double, double> ranges[] = {
      {-0.5, 0.75},
      {-DBL_MAX, DBL_MAX},
      {0.0, 4 * DBL_TRUE_MIN},
      {1.0, std::nextafter(1.0, 2.0)},
      {DBL_TRUE_MIN, 1.0},
      {-1e-310, 3e-310},
      {1e300, DBL_MAX},
      {-DBL_MAX, -DBL_MAX / 3},
      {0.1, 1.1},     // a width that is not a double
      {0.0, 100.0},   // whole edges for whole bins: the exact shortcut
      {-3.0, 1e-300},
  };
  for (const auto& [lo, hi] : ranges) {
    CAPTURE(n, bins, many_tiles, lo, hi);
    const auto data = awkward_data(n, lo, hi, bins, 900 + n + bins);
    const auto expected = reference_counts(data, lo, hi, bins);
    auto v = to_view<Exec>(data);
    auto counts = to_view<Exec>(std::vector<std::int64_t>(bins, -3));  // overwritten
    weft::histogram(Exec{}, v, counts, lo, hi);
    CHECK(to_vector(counts) == expected);
    if (n == 1000) {
      auto strided = to_strided_view<Exec>(data);
      Kokkos::View<std::int64_t*, M> counts2("counts", bins);
      weft::histogram(Exec{}, strided, counts2, lo, hi);
      CHECK(to_vector(counts2) == expected);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("histogram is exact over random ranges: bins of a few doubles, edges near zero, subnormals",
                        "[histogram][local]", enabled_spaces) {
  using Exec = TestType;
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  std::mt19937_64 engine(4242);
  // A double of random sign and magnitude, 2^-1074 to 2^1023.
  auto any_double = [&] {
    const double m = 1 + static_cast<double>(engine() >> 11) * 0x1p-53;
    const double x = std::ldexp(m, static_cast<int>(engine() % 2098) - 1074);
    return engine() % 2 ? -x : x;
  };
  // Subnormal edges, where rounding in the scaled range and again to the
  // subnormal grid could differ from rounding once.
  const std::pair<double, double> subnormal[] = {
      {0.0, std::nextafter(DBL_MIN, 0.0)}, {-DBL_MIN, 0.7 * DBL_MIN}, {3 * DBL_TRUE_MIN, 1e-309}};
  for (int trial = 0; trial < 27; ++trial) {
    double lo = any_double(), hi = any_double();
    switch (trial < 24 ? trial % 3 : 3) {
      case 0:  // a few doubles wide: bins narrower than the spacing of doubles, or a few of it
        hi = from_ordered(std::min(ordered(lo) + 1 + engine() % 3000, ordered(DBL_MAX)));
        break;
      case 1:  // across zero, different magnitudes: edges near zero, far from any estimate
        lo = -std::abs(lo);
        hi = std::abs(hi);
        break;
      case 2:
        if (hi < lo) std::swap(lo, hi);
        break;
      default:
        std::tie(lo, hi) = subnormal[trial - 24];
    }
    if (!(lo < hi)) continue;
    const std::int64_t bins =
        trial >= 24 ? 997 : 1 + static_cast<std::int64_t>(engine() % (trial % 4 == 0 ? 3000 : 40));
    CAPTURE(trial, many_tiles, lo, hi, bins);
    const auto data = awkward_data(3000, lo, hi, bins, 1300 + trial);
    auto counts = to_view<Exec>(std::vector<std::int64_t>(bins, -3));
    weft::histogram(Exec{}, to_view<Exec>(data), counts, lo, hi);
    CHECK(to_vector(counts) == reference_counts(data, lo, hi, bins));
  }
}

TEMPLATE_LIST_TEST_CASE("histogram of the issue's cases: the widest range, subnormal ranges, values on edges",
                        "[histogram][local]", enabled_spaces) {
  using Exec = TestType;
  auto count = [](const std::vector<double>& data, std::int64_t bins, double lo, double hi) {
    auto counts = to_view<Exec>(std::vector<std::int64_t>(bins, -3));
    weft::histogram(Exec{}, to_view<Exec>(data), counts, lo, hi);
    return to_vector(counts);
  };
  using counts = std::vector<std::int64_t>;
  // hi - lo overflowed to inf: every value landed in bin 0 (2 0 0 0 before).
  CHECK(count({-1e308, 0.0, 1e308}, 4, -DBL_MAX, DBL_MAX) == counts{1, 0, 1, 1});
  CHECK(count({-DBL_MAX, -DBL_MAX / 2, -DBL_TRUE_MIN, -0.0, DBL_MAX / 2, std::nextafter(DBL_MAX, 0.0)}, 4, -DBL_MAX,
              DBL_MAX) == counts{1, 2, 1, 2});
  // Subnormal ranges: bins / (hi - lo) overflowed.
  CHECK(count({0.0, DBL_TRUE_MIN, 2 * DBL_TRUE_MIN, 3 * DBL_TRUE_MIN, 4 * DBL_TRUE_MIN}, 4, 0.0, 4 * DBL_TRUE_MIN) ==
        counts{1, 1, 1, 1});
  CHECK(count({DBL_TRUE_MIN, 0.5, std::nextafter(1.0, 0.0)}, 2, DBL_TRUE_MIN, 1.0) == counts{1, 2});
  // One double wide: every edge but the first rounds to hi or to lo.
  CHECK(count({1.0, std::nextafter(1.0, 2.0)}, 4, 1.0, std::nextafter(1.0, 2.0)) == counts{0, 0, 1, 0});
  // Decimals on a decimal grid go to the bin they name.
  std::vector<double> tenths;
  for (int i = 0; i < 10; ++i) tenths.push_back(i / 10.0);
  CHECK(count(tenths, 10, 0.0, 1.0) == counts(10, 1));
  std::vector<double> hundredths;
  for (int i = 0; i < 100; ++i) hundredths.push_back(i / 100.0);
  CHECK(count(hundredths, 100, 0.0, 1.0) == counts(100, 1));
}

TEMPLATE_LIST_TEST_CASE("histogram counts values in equal bins over [lo, hi)", "[histogram][local]",
                        on_every_space<histogram_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  using M = typename Exec::memory_space;
  const std::int64_t n = WEFT_TEST_SIZES;
  const std::int64_t bins = GENERATE(as<std::int64_t>{}, 1, 7, 100, 5000);
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  auto data = random_vector<T>(n, 600 + n);  // [-1, 1)
  const double lo = -0.5, hi = 0.75;
  if (n > 6) {
    data[0] = T(lo);  // counted, bin 0
    data[1] = T(hi);  // not counted
    data[2] = std::numeric_limits<T>::quiet_NaN();
    data[3] = std::numeric_limits<T>::infinity();
    data[4] = -std::numeric_limits<T>::infinity();
    data[5] = std::nextafter(T(hi), T(0));  // just below hi: the last bin
  }
  const auto expected = reference_counts(std::vector<double>(data.begin(), data.end()), lo, hi, bins);
  if (n > 6) {
    CHECK(expected[0] >= 1);
    CHECK(expected[bins - 1] >= 1);
  }
  CAPTURE(n, bins, many_tiles);

  auto v = to_view<Exec>(data);
  auto counts = to_view<Exec>(std::vector<std::int64_t>(bins, -3));  // overwritten
  weft::histogram(Exec{}, v, counts, lo, hi);
  CHECK(to_vector(counts) == expected);

  auto strided = to_strided_view<Exec>(data);
  Kokkos::View<std::int64_t*, M> counts2("counts", bins);
  weft::histogram(strided, counts2, lo, hi);
  CHECK(to_vector(counts2) == expected);
}

TEMPLATE_LIST_TEST_CASE("histogram of bin indices ignores those out of range", "[histogram][local]",
                        enabled_spaces) {
  using Exec = TestType;
  const std::int64_t n = WEFT_TEST_SIZES;
  const std::int64_t bins = GENERATE(as<std::int64_t>{}, 1, 64, 100000);
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  std::mt19937_64 engine(700 + n);
  std::vector<int> index(n);
  for (auto& i : index) i = static_cast<int>(engine() % (bins + 10)) - 5;
  std::vector<std::int64_t> expected(bins, 0);
  for (int i : index)
    if (i >= 0 && i < bins) ++expected[i];
  CAPTURE(n, bins, many_tiles);
  auto idx = to_view<Exec>(index);
  auto counts = to_view<Exec>(std::vector<std::int64_t>(bins, 99));
  weft::histogram(Exec{}, idx, counts);
  CHECK(to_vector(counts) == expected);

  // Unsigned indices, strided.
  std::vector<std::uint16_t> small(n);
  for (std::int64_t i = 0; i < n; ++i) small[i] = static_cast<std::uint16_t>(index[i] < 0 ? 65535 : index[i]);
  auto small_view = to_strided_view<Exec>(small);
  weft::histogram(small_view, counts);
  if (bins < 65535) CHECK(to_vector(counts) == expected);
}

TEMPLATE_LIST_TEST_CASE("histogram rejects an empty or infinite range", "[histogram][local]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  auto v = to_view<Exec>(std::vector<double>{0.5, 1.5});
  auto counts = to_view<Exec>(std::vector<std::int64_t>{4, 4, 4});
  CHECK_THROWS_WITH(weft::histogram(Exec{}, v, counts, 1.0, 1.0),
                    "weft::histogram: the range [1, 1) is empty or not finite (2 values, 3 bins)");
  CHECK_THROWS_AS(weft::histogram(Exec{}, v, counts, 0.0, std::numeric_limits<double>::infinity()), weft::error);
  CHECK_THROWS_AS(weft::histogram(Exec{}, v, counts, std::nan(""), 1.0), weft::error);
  CHECK(to_vector(counts) == std::vector<std::int64_t>{4, 4, 4});
  Kokkos::View<std::int64_t*, M> no_bins("none", 0);
  CHECK_NOTHROW(weft::histogram(Exec{}, v, no_bins, 0.0, 1.0));
}
