// histogram against a sequential count: equal bins over [lo, hi) (values at
// hi, outside, NaN and inf not counted) and given bin indices, with the
// private-count and atomic paths, host and device tilings.
#include <weft/histogram.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "device_tiling.hpp"
#include "spaces.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

using namespace weft_test;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1009, large_size)

using histogram_types = std::tuple<float, double>;

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
  std::vector<std::int64_t> expected(bins, 0);
  for (const T& x : data) {
    const double v = x;
    if (!(v >= lo && v < hi)) continue;
    const auto b = static_cast<std::int64_t>(std::floor((v - lo) * (static_cast<double>(bins) / (hi - lo))));
    ++expected[std::min(b, bins - 1)];
  }
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
