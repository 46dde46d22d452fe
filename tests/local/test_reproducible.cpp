// Reproducible sums, dot products and scans (weft::reproducible_plus): the
// same bits on every execution space, for any order of the inputs, any
// layout and any grouping of the accumulators, and within the bound the
// README states of the exact sum. Every result is also written, as hex, to
// $WEFT_TEST_CHECKSUMS when set: the ctest entry local.reproducible.threads
// runs this file at 1, 2 and 3 OpenMP threads and compares the files.
#include <weft/reproducible.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "data.hpp"
#include "exact.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace weft_test;

#define WEFT_REPRO_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 997, 100003, 1000000)

namespace {
// Named maps: nvcc allows no device lambda inside the generic lambdas that
// walk the execution spaces below.
struct square {
  KOKKOS_FUNCTION double operator()(double v) const { return v * v; }
};
struct unchanged {
  KOKKOS_FUNCTION double operator()(double v) const { return v; }
};

void record(const std::string& name, double value) {
  if (const char* path = std::getenv("WEFT_TEST_CHECKSUMS"); path && *path)
    std::ofstream(path, std::ios::app) << name << ' ' << hex_bits(value) << '\n';
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

struct data_set {
  std::string name;
  std::vector<double> values;
};

/// Wide range (1e-300 .. 1e300), moderate range (1e-8 .. 1e8), both with
/// x, -x pairs and small terms; and uniform values in [-1, 1).
std::vector<data_set> data_sets(std::int64_t n) {
  const auto size = static_cast<std::size_t>(n);
  return {{"wide", wide_range_data(size, 11)},
          {"moderate", wide_range_data(size, 12, -8, 8)},
          {"uniform", random_vector<double>(size, 13)}};
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

/// |exact sum of values - result| within the stated bound, n counting init.
void check_bound(const std::vector<double>& values, double result, double init = 0) {
  exact_sum exact;
  for (double x : values) exact.add(x);
  exact.add(init);
  exact.subtract(result);
  const long double error = std::abs(exact.approximate());
  const long double bound = reproducible_bound(values.size() + 1, std::max(max_abs(values), std::abs(init)), result);
  INFO("result " << result << ", error " << static_cast<double>(error) << ", bound " << static_cast<double>(bound));
  CHECK(error <= bound * (1 + 1e-9L));
}

template <class Exec>
double sum_on(const std::vector<double>& values, double init = 0) {
  return weft::reduce(Exec{}, to_view<Exec>(values), init, weft::reproducible_plus{});
}

/// The sum on every enabled space; all must agree bit for bit.
double sum_everywhere(const std::vector<double>& values, double init = 0) {
  double first = 0;
  bool have = false;
  std::apply(
      [&](auto... spaces) {
        auto one = [&](auto space) {
          const double s = sum_on<decltype(space)>(values, init);
          if (!have) {
            first = s;
            have = true;
          }
          INFO("on " << decltype(space)::name() << ": " << hex_bits(s) << ", first space: " << hex_bits(first));
          CHECK(same_bits(s, first));
        };
        (one(spaces), ...);
      },
      enabled_spaces{});
  return first;
}

}  // namespace

TEST_CASE("reproducible sums: the same bits on every space, in any order, within the bound", "[reproducible]") {
  const std::int64_t n = WEFT_REPRO_SIZES;
  using exec = Kokkos::DefaultExecutionSpace;
  for (const auto& [name, values] : data_sets(n)) {
    INFO(name << " data, n = " << n);
    const double s = sum_everywhere(values);
    record("sum/" + name + "/" + std::to_string(n), s);
    check_bound(values, s);

    std::vector<double> shuffled = values;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(99));
    CHECK(same_bits(sum_on<exec>(shuffled), s));
    std::vector<double> reversed(values.rbegin(), values.rend());
    CHECK(same_bits(sum_on<exec>(reversed), s));

    // A strided view and a 2-D view (LayoutLeft) of the same values.
    CHECK(same_bits(weft::reduce(exec{}, to_strided_view<exec>(values), 0.0, weft::reproducible_plus{}), s));
    if (n % 7 == 0) {
      Kokkos::View<double**, Kokkos::LayoutLeft, exec::memory_space> grid("grid", n / 7, 7);
      auto host = Kokkos::create_mirror_view(grid);
      for (std::int64_t i = 0; i < n; ++i) host(i / 7, i % 7) = values[i];
      Kokkos::deep_copy(grid, host);
      CHECK(same_bits(weft::reduce(exec{}, grid, 0.0, weft::reproducible_plus{}), s));
    }

    // Pieces folded apart and joined in another order: a rank's share, say.
    const auto view = to_view<exec>(values);
    const std::int64_t a = n / 3, b = n - n / 5;
    auto piece = [&](std::int64_t lo, std::int64_t hi) {
      auto part = Kokkos::subview(view, std::make_pair(lo, hi));
      return weft::detail::repro_fold_range(exec{}, "piece", hi - lo, weft::detail::element_map<decltype(part)>{part});
    };
    weft::detail::repro_sum joined = piece(b, n);
    weft::detail::repro_join(joined, piece(0, a));
    weft::detail::repro_join(joined, piece(a, b));
    CHECK(same_bits(weft::detail::repro_result(joined, 0.0), s));

    // init is one more value.
    const double init = name == "wide" ? 3.5e250 : 0.125;
    const double with_init = sum_everywhere(values, init);
    record("sum_init/" + name + "/" + std::to_string(n), with_init);
    check_bound(values, with_init, init);
  }
}

TEST_CASE("reproducible dot products and transform_reduce", "[reproducible]") {
  const std::int64_t n = WEFT_REPRO_SIZES;
  using exec = Kokkos::DefaultExecutionSpace;
  const auto sets = data_sets(n);
  const std::vector<double>& x = sets[1].values;  // moderate
  const std::vector<double>& y = sets[2].values;  // uniform
  std::vector<double> products(x.size()), squares(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    products[i] = x[i] * y[i];
    squares[i] = x[i] * x[i];
  }
  std::apply(
      [&](auto... spaces) {
        auto one = [&](auto space) {
          using space_t = decltype(space);
          INFO("on " << space_t::name() << ", n = " << n);
          const auto vx = to_view<space_t>(x);
          const auto vy = to_view<space_t>(y);
          const double dot = weft::transform_reduce(space, vx, vy, 0.0, weft::reproducible_plus{}, weft::multiplies{});
          const double norm2 = weft::transform_reduce(space, vx, 0.0, weft::reproducible_plus{}, square{});
          // The same as summing the rounded products: the map is applied, then summed.
          CHECK(same_bits(dot, sum_on<Kokkos::DefaultExecutionSpace>(products)));
          CHECK(same_bits(norm2, sum_on<Kokkos::DefaultExecutionSpace>(squares)));
          record(std::string("dot/") + std::to_string(n), dot);
        };
        (one(spaces), ...);
      },
      enabled_spaces{});
  // Shuffling the pairs together changes nothing.
  std::vector<std::size_t> order(x.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(5));
  std::vector<double> xs(x.size()), ys(y.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    xs[i] = x[order[i]];
    ys[i] = y[order[i]];
  }
  const double dot = weft::transform_reduce(exec{}, to_view<exec>(x), to_view<exec>(y), 0.0, weft::reproducible_plus{},
                                            weft::multiplies{});
  const double dot_shuffled = weft::transform_reduce(exec{}, to_view<exec>(xs), to_view<exec>(ys), 0.0,
                                                     weft::reproducible_plus{}, weft::multiplies{});
  CHECK(same_bits(dot, dot_shuffled));
  check_bound(products, dot);
}

TEST_CASE("reproducible sums of float", "[reproducible]") {
  const std::int64_t n = WEFT_REPRO_SIZES;
  const std::vector<float> values = random_vector<float>(static_cast<std::size_t>(n), 21);
  std::vector<float> shuffled = values;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(3));
  float first = 0;
  bool have = false;
  std::apply(
      [&](auto... spaces) {
        auto one = [&](auto space) {
          using space_t = decltype(space);
          const float s = weft::reduce(space, to_view<space_t>(values), 0.0f, weft::reproducible_plus{});
          const float t = weft::reduce(space, to_view<space_t>(shuffled), 0.0f, weft::reproducible_plus{});
          CHECK(std::bit_cast<std::uint32_t>(s) == std::bit_cast<std::uint32_t>(t));
          if (!have) {
            first = s;
            have = true;
          }
          CHECK(std::bit_cast<std::uint32_t>(s) == std::bit_cast<std::uint32_t>(first));
        };
        (one(spaces), ...);
      },
      enabled_spaces{});
  record("sum_float/" + std::to_string(n), first);
  // The double result rounded to float: within the bound plus a float ulp.
  exact_sum exact;
  for (float v : values) exact.add(v);
  exact.subtract(first);
  const double ulp = std::nextafter(std::abs(first), INFINITY) - std::abs(first);
  CHECK(std::abs(exact.approximate()) <= static_cast<long double>(n) * 0x1p-64L + ulp);
}

TEST_CASE("reproducible sums: special values, overflow, the extremes of the range", "[reproducible]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double big = std::numeric_limits<double>::max();
  const double tiny = std::numeric_limits<double>::denorm_min();
  auto sum = [](std::vector<double> v) { return sum_everywhere(v); };
  CHECK(std::isnan(sum({1.0, nan, 2.0})));
  CHECK(sum({1.0, inf, 2.0}) == inf);
  CHECK(sum({1.0, -inf}) == -inf);
  CHECK(std::isnan(sum({inf, 1.0, -inf})));
  CHECK(sum({big, big}) == inf);
  CHECK(sum({-big, -big}) == -inf);
  CHECK(sum({big, -big, 1.0}) == 0.0);  // 1 lies far below big's bins: dropped, within the bound
  CHECK(sum({big, 0.5 * big, -big}) == 0.5 * big);
  CHECK(sum({1e308, 1e308, -1e308}) == 1e308);
  CHECK(sum({tiny, tiny, tiny}) == 3 * tiny);
  CHECK(sum({1.0, 0x1p-60, -1.0}) == 0x1p-60);
  const double tenths = sum({0.1, 0.2, 0.3});  // exactly 0.6000000000000000055..., within one ulp
  CHECK((tenths == 0.6 || tenths == 0.6000000000000001));
  CHECK(sum({}) == 0.0);
  CHECK(sum({-0.0}) == 0.0);
  // On integers, reproducible_plus is plus.
  std::vector<int> ints = random_vector<int>(1000, 4);
  long long want = 0;
  for (int v : ints) want += v;
  CHECK(weft::reduce(Kokkos::DefaultExecutionSpace{}, to_view<Kokkos::DefaultExecutionSpace>(ints), 0LL,
                     weft::reproducible_plus{}) == want);
}

TEST_CASE("reproducible sums refuse more values than their bins hold", "[reproducible]") {
  // Views over a small buffer with huge extents: the count is refused
  // before any element is read.
  std::vector<double> buffer(8, 1.0);
  using unmanaged1 = Kokkos::View<double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using unmanaged2 = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  const unmanaged1 long_view(buffer.data(), std::size_t(1) << 32);
  const unmanaged2 wide_view(buffer.data(), std::size_t(1) << 17, std::size_t(1) << 16);
  const Kokkos::DefaultHostExecutionSpace host;
  const std::string limit = "weft::reproducible_plus sums at most 2^32 - 1 values in one call";
  CHECK_THROWS_WITH(weft::reduce(host, long_view, 0.0, weft::reproducible_plus{}),
                    "weft::reduce: " + limit + " (the headroom of its 64-bit bins), and this call has 4294967296");
  CHECK_THROWS_WITH(weft::reduce(host, wide_view, 0.0, weft::reproducible_plus{}),
                    "weft::reduce: " + limit + " (the headroom of its 64-bit bins), and this call has 8589934592");
  CHECK_THROWS_WITH(weft::inclusive_scan(host, long_view, long_view, weft::reproducible_plus{}),
                    "weft::inclusive_scan: " + limit + " (the headroom of its 64-bit bins), and this call has 4294967296");
  // One below the limit is accepted by the check (not run: 32 GiB).
  CHECK_NOTHROW(weft::detail::check_repro_count("weft::reduce", (std::int64_t(1) << 32) - 1));
  CHECK(buffer == std::vector<double>(8, 1.0));
}

TEST_CASE("reproducible scans: every prefix the same bits on every space, the last the sum", "[reproducible]") {
  const std::int64_t n = WEFT_REPRO_SIZES;
  for (const auto& [name, values] : data_sets(n)) {
    INFO(name << " data, n = " << n);
    std::vector<double> first_inclusive, first_exclusive;
    double first_total = 0;
    std::apply(
        [&](auto... spaces) {
          auto one = [&](auto space) {
            using space_t = decltype(space);
            INFO("on " << space_t::name());
            const auto in = to_view<space_t>(values);
            Kokkos::View<double*, typename space_t::memory_space> inclusive("inclusive", n), exclusive("exclusive", n);
            const double total = weft::inclusive_scan(space, in, inclusive, weft::reproducible_plus{});
            const double init = 0.375;
            const double exclusive_total = weft::exclusive_scan(space, in, exclusive, init, weft::reproducible_plus{});
            CHECK(same_bits(total, sum_on<space_t>(values)));
            CHECK(same_bits(exclusive_total, sum_on<space_t>(values, init)));
            // In place, and the transform forms with the identity.
            auto copy = to_view<space_t>(values);
            weft::inclusive_scan(space, copy, copy, weft::reproducible_plus{});
            Kokkos::View<double*, typename space_t::memory_space> transformed("transformed", n);
            weft::transform_exclusive_scan(space, in, transformed, init, weft::reproducible_plus{}, unchanged{});
            const auto inc = to_vector(inclusive);
            const auto exc = to_vector(exclusive);
            CHECK(to_vector(copy) == inc);
            CHECK(to_vector(transformed) == exc);
            if (first_inclusive.empty() && n > 0) {
              first_inclusive = inc;
              first_exclusive = exc;
              first_total = total;
            } else {
              CHECK(std::equal(inc.begin(), inc.end(), first_inclusive.begin(), same_bits));
              CHECK(std::equal(exc.begin(), exc.end(), first_exclusive.begin(), same_bits));
              CHECK(same_bits(total, first_total));
            }
          };
          (one(spaces), ...);
        },
        enabled_spaces{});
    if (n == 0) continue;
    // Every prefix within the bound of its exact value (every one for small
    // n, about a thousand spread out otherwise); a checksum of all of them.
    exact_sum exact;
    double prefix_max = 0;
    std::uint64_t checksum = 0xcbf29ce484222325ull;
    const std::int64_t stride = std::max<std::int64_t>(1, n / 1000);
    for (std::int64_t i = 0; i < n; ++i) {
      exact.add(values[i]);
      prefix_max = std::max(prefix_max, std::abs(values[i]));
      checksum = (checksum ^ std::bit_cast<std::uint64_t>(first_inclusive[i])) * 0x100000001b3ull;
      if (i % stride == 0 || i == n - 1) {
        exact_sum error = exact;
        error.subtract(first_inclusive[i]);
        const long double bound = reproducible_bound(i + 1, prefix_max, first_inclusive[i]);
        INFO("prefix " << i);
        CHECK(std::abs(error.approximate()) <= bound * (1 + 1e-9L));
      }
    }
    record("scan/" + name + "/" + std::to_string(n), std::bit_cast<double>(checksum));
    CHECK(same_bits(first_exclusive[0], 0.375));
  }
}
