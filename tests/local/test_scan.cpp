// The scan family against sequential references (std::inclusive_scan and
// friends), including an associative operation that does not commute.
#include <weft/for_each.hpp>
#include <weft/scan.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "affine.hpp"
#include "data.hpp"
#include "spaces.hpp"

#include <cmath>
#include <cstdint>
#include <numeric>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

using namespace weft_test;

using scan_types = std::tuple<int, std::int64_t, float, double, vec2>;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1000, large_size)

namespace {

template <class T>
using tolerance_type = std::conditional_t<std::is_same_v<T, vec2>, double, T>;

// Every element of got within the size-scaled tolerance of expected.
template <class T>
void check_prefixes(const std::vector<T>& got, const std::vector<T>& expected, double tol) {
  REQUIRE(got.size() == expected.size());
  std::size_t bad = 0, first_bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!close(got[i], expected[i], tol) && bad++ == 0) first_bad = i;
  CAPTURE(tol, first_bad, bad);
  if (bad) {
    UNSCOPED_INFO("first mismatch: got " << got[first_bad] << ", expected " << expected[first_bad]);
  }
  CHECK(bad == 0);
}

// Sequential prefix sums in long double for floats, exact for integers.
template <class T>
std::vector<T> reference_inclusive(const std::vector<T>& data) {
  std::vector<T> out(data.size());
  if constexpr (std::is_floating_point_v<T>) {
    long double s = 0;
    for (std::size_t i = 0; i < data.size(); ++i) out[i] = static_cast<T>(s += data[i]);
  } else {
    std::inclusive_scan(data.begin(), data.end(), out.begin(), [](const T& a, const T& b) { return a + b; });
  }
  return out;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("inclusive_scan computes running sums and returns the total", "[scan][local]",
                        on_every_space<scan_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 70 + n);
  const auto expected = reference_inclusive(data);
  const double tol = sum_tolerance<tolerance_type<T>>(n, total_magnitude(data));
  const T expected_total = n ? expected.back() : T{};
  CAPTURE(n);

  SECTION("into another view") {
    auto in = to_view<Exec>(data);
    Kokkos::View<T*, typename Exec::memory_space> out("out", n);
    const T total = weft::inclusive_scan(Exec{}, in, out);
    check_prefixes(to_vector(out), expected, tol);
    CHECK(close(total, expected_total, tol));
    CHECK(to_vector(in) == data);
  }
  SECTION("in place, strided, with a user lambda (no known identity)") {
    auto v = to_strided_view<Exec>(data);
    const T total = weft::inclusive_scan(v, v, KOKKOS_LAMBDA(const T& a, const T& b) { return a + b; });
    check_prefixes(to_vector(v), expected, tol);
    CHECK(close(total, expected_total, tol));
  }
}

TEMPLATE_LIST_TEST_CASE("exclusive_scan starts at init and returns init plus the total", "[scan][local]",
                        on_every_space<scan_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 80 + n);
  const T init = random_vector<T>(1, 81)[0];
  std::vector<T> shifted(n + 1);
  shifted[0] = init;
  std::copy(data.begin(), data.end(), shifted.begin() + 1);
  auto running = reference_inclusive(shifted);  // running[i] = init + data[0..i-1]
  const T expected_total = running.back();
  running.pop_back();
  const double tol = sum_tolerance<tolerance_type<T>>(n, total_magnitude(shifted));
  CAPTURE(n);

  SECTION("weft::plus, into another view") {
    auto in = to_view<Exec>(data);
    Kokkos::View<T*, typename Exec::memory_space> out("out", n);
    const T total = weft::exclusive_scan(Exec{}, in, out, init);
    check_prefixes(to_vector(out), running, tol);
    CHECK(close(total, expected_total, tol));
  }
  SECTION("user lambda, in place") {
    auto v = to_view<Exec>(data);
    const T total = weft::exclusive_scan(Exec{}, v, v, init, KOKKOS_LAMBDA(const T& a, const T& b) { return a + b; });
    check_prefixes(to_vector(v), running, tol);
    CHECK(close(total, expected_total, tol));
  }
}

TEMPLATE_LIST_TEST_CASE("transform scans apply the unary operation first", "[scan][local]",
                        on_every_space<scan_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 90 + n);
  std::vector<T> tripled(n);
  for (std::int64_t i = 0; i < n; ++i) tripled[i] = data[i] + data[i] + data[i];
  const auto inclusive = reference_inclusive(tripled);
  const double tol = sum_tolerance<tolerance_type<T>>(n, 3 * total_magnitude(data));
  auto in = to_view<Exec>(data);
  Kokkos::View<T*, typename Exec::memory_space> out("out", n);
  auto triple = KOKKOS_LAMBDA(const T& x) { return x + x + x; };
  CAPTURE(n);

  const T total = weft::transform_inclusive_scan(Exec{}, in, out, weft::plus{}, triple);
  check_prefixes(to_vector(out), inclusive, tol);
  CHECK(close(total, n ? inclusive.back() : T{}, tol));

  const T init{};
  const T ex_total = weft::transform_exclusive_scan(Exec{}, in, out, init, weft::plus{}, triple);
  std::vector<T> exclusive(n, T{});
  for (std::int64_t i = 1; i < n; ++i) exclusive[i] = inclusive[i - 1];
  check_prefixes(to_vector(out), exclusive, tol);
  CHECK(close(ex_total, n ? inclusive.back() : T{}, tol));
}

TEMPLATE_LIST_TEST_CASE("scans keep the order of a non-commutative operation", "[scan][local]",
                        enabled_spaces) {
  using Exec = TestType;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_affine(n, 100 + n);
  std::vector<affine> inclusive(n);
  std::inclusive_scan(data.begin(), data.end(), inclusive.begin(), then{});
  const affine init{3, 5};
  std::vector<affine> exclusive(n);
  std::exclusive_scan(data.begin(), data.end(), exclusive.begin(), init, then{});
  CAPTURE(n);

  auto in = to_view<Exec>(data);
  Kokkos::View<affine*, typename Exec::memory_space> out("out", n);
  const affine total = weft::inclusive_scan(Exec{}, in, out, then{});
  CHECK(to_vector(out) == inclusive);
  if (n) CHECK(total == inclusive.back());

  const affine ex_total = weft::exclusive_scan(Exec{}, in, out, init, then{});
  CHECK(to_vector(out) == exclusive);
  CHECK(ex_total == (n ? then{}(init, inclusive.back()) : init));

  // Through the unary form as well: f -> f then f.
  auto twice = KOKKOS_LAMBDA(const affine& f) { return then{}(f, f); };
  std::vector<affine> doubled(n);
  for (std::int64_t i = 0; i < n; ++i) doubled[i] = then{}(data[i], data[i]);
  std::inclusive_scan(doubled.begin(), doubled.end(), inclusive.begin(), then{});
  weft::transform_inclusive_scan(Exec{}, in, out, then{}, twice);
  CHECK(to_vector(out) == inclusive);
}

TEMPLATE_LIST_TEST_CASE("scans reject mismatched extents before writing", "[scan][local]", enabled_spaces) {
  using Exec = TestType;
  const auto a = random_vector<int>(8, 1);
  const auto b = random_vector<int>(7, 2);
  auto in = to_view<Exec>(a);
  auto out = to_view<Exec>(b);
  CHECK_THROWS_WITH(weft::inclusive_scan(Exec{}, in, out), "weft::inclusive_scan: input has 8 elements, output has 7");
  CHECK_THROWS_WITH(weft::exclusive_scan(Exec{}, in, out, 0), "weft::exclusive_scan: input has 8 elements, output has 7");
  CHECK_THROWS_AS(weft::transform_inclusive_scan(Exec{}, in, out, weft::plus{}, KOKKOS_LAMBDA(int x) { return x; }),
                  weft::error);
  CHECK_THROWS_AS(weft::transform_exclusive_scan(Exec{}, in, out, 0, weft::plus{}, KOKKOS_LAMBDA(int x) { return x; }),
                  weft::error);
  CHECK(to_vector(out) == b);
  // Empty input: the inclusive total is T{}, the exclusive one is init.
  auto empty = to_view<Exec>(std::vector<int>{});
  CHECK(weft::inclusive_scan(Exec{}, empty, empty) == 0);
  CHECK(weft::exclusive_scan(Exec{}, empty, empty, 42) == 42);
}

TEMPLATE_LIST_TEST_CASE("exclusive scans accumulate in init's type, as <numeric> does", "[scan][local]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 1000, large_size);
  // int8 ones with an int64 init of 5: the total is 5 + n, not that wrapped to int8.
  Kokkos::View<std::int8_t*, M> ones("ones", n);
  weft::fill(Exec{}, ones, 1);
  Kokkos::View<std::int64_t*, M> wide("wide", n);
  CHECK(weft::exclusive_scan(Exec{}, ones, wide, std::int64_t{5}) == 5 + n);
  const auto values = to_vector(wide);
  std::int64_t wrong = 0;
  for (std::int64_t i = 0; i < n; ++i) wrong += values[i] != 5 + i;
  CHECK(wrong == 0);
  Kokkos::View<std::int8_t*, M> narrow("narrow", n);
  CHECK(weft::exclusive_scan(Exec{}, ones, narrow, std::int64_t{5}) == 5 + n);
  CHECK(weft::transform_exclusive_scan(Exec{}, ones, narrow, std::int64_t{5}, weft::plus{},
                                       KOKKOS_LAMBDA(std::int8_t x) { return static_cast<std::int8_t>(2 * x); }) ==
        5 + 2 * n);
  // float elements with a double init: summed in double.
  Kokkos::View<float*, M> tenths("tenths", n);
  weft::fill(Exec{}, tenths, 0.1f);
  Kokkos::View<double*, M> sums("sums", n);
  const double total = weft::exclusive_scan(Exec{}, tenths, sums, 0.0);
  CHECK(std::abs(total - static_cast<double>(0.1f) * n) < 1e-9 * n);
}

TEMPLATE_LIST_TEST_CASE("scans refuse outputs that share elements with the input at other indices",
                        "[scan][local]", enabled_spaces) {
  using Exec = TestType;
  using Catch::Matchers::ContainsSubstring;
  const std::int64_t n = 1000;
  const auto data = random_vector<int>(n + 1, 70);
  auto all = to_view<Exec>(data);
  auto head = Kokkos::subview(all, std::pair<std::int64_t, std::int64_t>(0, n));
  auto tail = Kokkos::subview(all, std::pair<std::int64_t, std::int64_t>(1, n + 1));
  CHECK_THROWS_WITH(weft::inclusive_scan(Exec{}, head, tail), ContainsSubstring("shares elements with the input"));
  CHECK_THROWS_WITH(weft::exclusive_scan(Exec{}, tail, head, 0), ContainsSubstring("shares elements with the input"));
  CHECK(to_vector(all) == data);
}

TEST_CASE("scans on CUDA go to cub::DeviceScan only for sums of int-or-wider values over contiguous views", "[scan]") {
  using weft::detail::cub_scan_eligible;
  using doubles = Kokkos::View<double*>;
#if defined(KOKKOS_ENABLE_CUDA)
  using longs = Kokkos::View<long*>;
  using ints = Kokkos::View<int*>;
  using shorts = Kokkos::View<short*>;
  STATIC_REQUIRE(cub_scan_eligible<Kokkos::Cuda, weft::plus<>, double, doubles, doubles>);
  STATIC_REQUIRE(cub_scan_eligible<Kokkos::Cuda, weft::plus<long>, long, longs, longs>);
  STATIC_REQUIRE(cub_scan_eligible<Kokkos::Cuda, weft::plus<>, int, Kokkos::View<const int*>, ints>);
  STATIC_REQUIRE_FALSE(cub_scan_eligible<Kokkos::Cuda, weft::plus<>, short, shorts, shorts>);
  STATIC_REQUIRE_FALSE(cub_scan_eligible<Kokkos::Cuda, weft::multiplies<>, double, doubles, doubles>);
  STATIC_REQUIRE_FALSE(cub_scan_eligible<Kokkos::Cuda, weft::plus<>, long, ints, longs>);
  STATIC_REQUIRE_FALSE(cub_scan_eligible<Kokkos::Cuda, weft::reproducible_plus<>, double, doubles, doubles>);
#endif
  STATIC_REQUIRE_FALSE(cub_scan_eligible<Kokkos::DefaultHostExecutionSpace, weft::plus<>, double, doubles, doubles>);
  // Contiguity, checked at run time: a strided view keeps weft's kernels.
  Kokkos::View<double*, Kokkos::HostSpace> whole("whole", 10);
  Kokkos::View<double*, Kokkos::LayoutStride, Kokkos::HostSpace> strided("strided", Kokkos::LayoutStride(10, 2));
  CHECK(weft::detail::cub_contiguous(whole, whole));
  CHECK_FALSE(weft::detail::cub_contiguous(strided, whole));
  CHECK_FALSE(weft::detail::cub_contiguous(whole, strided));
}
