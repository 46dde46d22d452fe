// The reduction family against sequential references: reduce,
// transform_reduce, min_loc, max_loc, with weft's and users' operations.
#include <weft/reduce.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "data.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

using namespace weft_test;

using reduce_types = std::tuple<int, std::int64_t, float, double, vec2>;
using integer_types = std::tuple<int, std::int64_t>;
using arithmetic_types = std::tuple<int, std::int64_t, float, double>;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1000, large_size)

namespace {
// A user operation with no identity weft could know: the component-wise
// larger of two values.
struct larger_parts {
  KOKKOS_INLINE_FUNCTION vec2 operator()(const vec2& a, const vec2& b) const {
    return {a.x < b.x ? b.x : a.x, a.y < b.y ? b.y : a.y};
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION T operator()(const T& a, const T& b) const {
    return a < b ? b : a;
  }
};

// Sequential sum in double precision (exact for the integer data used).
template <class T>
T reference_sum(const std::vector<T>& data, T init) {
  if constexpr (std::is_same_v<T, vec2>) {
    vec2 s = init;
    for (const auto& x : data) s = s + x;
    return s;
  } else if constexpr (std::is_integral_v<T>) {
    T s = init;
    for (const auto& x : data) s += x;
    return s;
  } else {
    long double s = init;
    for (const auto& x : data) s += x;
    return static_cast<T>(s);
  }
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("reduce sums with and without init", "[reduce][local]", on_every_space<reduce_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 10 + n);
  const double tol = sum_tolerance<std::conditional_t<std::is_same_v<T, vec2>, double, T>>(
      n, total_magnitude(data));
  CAPTURE(n, tol);
  const T init = random_vector<T>(1, 99)[0];

  SECTION("contiguous") {
    auto v = to_view<Exec>(data);
    CHECK(close(weft::reduce(Exec{}, v), reference_sum(data, T{}), tol));
    CHECK(close(weft::reduce(Exec{}, v, init), reference_sum(data, init), tol));
  }
  SECTION("strided, on the view's own space") {
    auto v = to_strided_view<Exec>(data);
    CHECK(close(weft::reduce(v), reference_sum(data, T{}), tol));
    CHECK(close(weft::reduce(v, init), reference_sum(data, init), tol));
  }
  SECTION("a user lambda with no known identity folds the same sum") {
    auto v = to_view<Exec>(data);
    auto add = KOKKOS_LAMBDA(const T& a, const T& b) { return a + b; };
    CHECK(close(weft::reduce(Exec{}, v, init, add), reference_sum(data, init), tol));
  }
  if constexpr (std::is_same_v<T, vec2>) {
    SECTION("a user operation on the user type: the component-wise larger parts") {
      auto v = to_view<Exec>(data);
      vec2 expected = init;
      for (const auto& x : data) expected = larger_parts{}(expected, x);
      CHECK(weft::reduce(Exec{}, v, init, larger_parts{}) == expected);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("reduce with weft's and users' operations", "[reduce][local]",
                        on_every_space<arithmetic_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 20 + n);
  auto v = to_view<Exec>(data);
  const Exec exec{};
  const T lo = std::numeric_limits<T>::lowest();
  const T hi = std::numeric_limits<T>::max();
  const T data_max = n ? *std::max_element(data.begin(), data.end()) : lo;
  const T data_min = n ? *std::min_element(data.begin(), data.end()) : hi;

  CHECK(weft::reduce(exec, v, lo, weft::maximum{}) == data_max);
  CHECK(weft::reduce(exec, v, hi, weft::minimum<T>{}) == data_min);
  CHECK(weft::reduce(exec, v, lo, larger_parts{}) == data_max);
  // init takes part: a larger init wins.
  CHECK(weft::reduce(exec, v, T(5000), weft::maximum{}) == T(5000));
  CHECK(weft::reduce(exec, v, T(5000), larger_parts{}) == T(5000));
}

TEMPLATE_LIST_TEST_CASE("reduce with logical and bitwise operations", "[reduce][local]",
                        on_every_space<integer_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 30 + n);
  auto v = to_view<Exec>(data);
  const Exec exec{};
  T all_and = ~T(0), all_or = 0, all_xor = 0;
  bool all_nonzero = true, any_nonzero = false;
  for (T x : data) {
    all_and &= x;
    all_or |= x;
    all_xor ^= x;
    all_nonzero = all_nonzero && x;
    any_nonzero = any_nonzero || x;
  }
  CHECK(weft::reduce(exec, v, ~T(0), weft::bit_and{}) == all_and);
  CHECK(weft::reduce(exec, v, T(0), weft::bit_or{}) == all_or);
  CHECK(weft::reduce(exec, v, T(0), weft::bit_xor{}) == all_xor);
  CHECK(weft::reduce(exec, v, T(1), weft::logical_and{}) == T(all_nonzero));
  CHECK(weft::reduce(exec, v, T(0), weft::logical_or{}) == T(any_nonzero));
  // Product of values in {1, 2}, up to the edge of T's range.
  std::vector<T> small(std::min<std::int64_t>(n, sizeof(T) == 4 ? 30 : 62));
  for (std::size_t i = 0; i < small.size(); ++i) small[i] = (data[i] & 1) ? 2 : 1;
  T product = 1;
  for (T x : small) product *= x;
  CHECK(weft::reduce(exec, to_view<Exec>(small), T(1), weft::multiplies{}) == product);
}

TEMPLATE_LIST_TEST_CASE("transform_reduce: unary map and binary (dot product)", "[reduce][local]",
                        on_every_space<reduce_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto a = random_vector<T>(n, 40 + n);
  const auto b = random_vector<T>(n, 50 + n);
  const Exec exec{};
  std::vector<T> doubled(n), sums(n);
  for (std::int64_t i = 0; i < n; ++i) {
    doubled[i] = a[i] + a[i];
    sums[i] = a[i] + b[i];
  }
  const double tol = sum_tolerance<std::conditional_t<std::is_same_v<T, vec2>, double, T>>(
      n, 2 * total_magnitude(a) + total_magnitude(b));
  CAPTURE(n, tol);

  auto va = to_view<Exec>(a);
  auto vb = to_strided_view<Exec>(b);
  CHECK(close(weft::transform_reduce(exec, va, T{}, weft::plus{}, KOKKOS_LAMBDA(const T& x) { return x + x; }),
              reference_sum(doubled, T{}), tol));
  CHECK(close(weft::transform_reduce(exec, va, vb, T{}, weft::plus{},
                                     KOKKOS_LAMBDA(const T& x, const T& y) { return x + y; }),
              reference_sum(sums, T{}), tol));
  if constexpr (!std::is_same_v<T, vec2>) {
    // The dot product, the case every solver needs.
    long double dot = 0, mag = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      dot += static_cast<long double>(a[i]) * b[i];
      mag += std::abs(static_cast<long double>(a[i]) * b[i]);
    }
    const T expected = static_cast<T>(dot);
    CHECK(close(weft::transform_reduce(exec, va, vb, T{}, weft::plus{}, weft::multiplies{}), expected,
                sum_tolerance<T>(n, static_cast<double>(mag))));
    CHECK(close(weft::transform_reduce(va, vb, T{}, weft::plus{}, weft::multiplies{}), expected,
                sum_tolerance<T>(n, static_cast<double>(mag))));
  }
}

TEMPLATE_LIST_TEST_CASE("min_loc and max_loc find the first extreme element", "[reduce][local]",
                        on_every_space<reduce_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 1, 2, 7, 1000, large_size);
  auto data = random_vector<T>(n, 60 + n);
  // Plant ties: the extreme values appear again later, so the index must be the first one.
  if (n > 4) {
    data[n - 1] = *std::min_element(data.begin(), data.end());
    data[n - 2] = *std::max_element(data.begin(), data.end());
  }
  const auto min_it = std::min_element(data.begin(), data.end());  // first of equals
  const auto max_it = std::max_element(data.begin(), data.end());  // first of equals
  CAPTURE(n);

  auto v = to_view<Exec>(data);
  const auto lo = weft::min_loc(Exec{}, v);
  const auto hi = weft::max_loc(Exec{}, v);
  CHECK(lo.value == *min_it);
  CHECK(lo.index == min_it - data.begin());
  CHECK(hi.value == *max_it);
  CHECK(hi.index == max_it - data.begin());

  auto s = to_strided_view<Exec>(data);
  CHECK(weft::min_loc(s).index == lo.index);
  CHECK(weft::max_loc(s).index == hi.index);
}

TEMPLATE_LIST_TEST_CASE("reductions reject bad input", "[reduce][local]", enabled_spaces) {
  using Exec = TestType;
  auto empty = to_view<Exec>(std::vector<double>{});
  CHECK_THROWS_WITH(weft::min_loc(Exec{}, empty), "weft::min_loc: empty input (0 elements) has no minimum");
  CHECK_THROWS_WITH(weft::max_loc(Exec{}, empty), "weft::max_loc: empty input (0 elements) has no maximum");
  // Empty input returns init, for any op.
  CHECK(weft::reduce(Exec{}, empty, 3.5) == 3.5);
  CHECK(weft::reduce(Exec{}, empty, 3.5, larger_parts{}) == 3.5);

  auto a = to_view<Exec>(random_vector<double>(5, 1));
  auto b = to_view<Exec>(random_vector<double>(6, 2));
  CHECK_THROWS_WITH(weft::transform_reduce(Exec{}, a, b, 0.0, weft::plus{}, weft::multiplies{}),
                    "weft::transform_reduce: inputs have extents 5 and 6");
}

using floating_types = std::tuple<float, double>;

TEMPLATE_LIST_TEST_CASE("min_loc and max_loc with NaN give the first NaN; minimum and maximum propagate it",
                        "[reduce][local]", on_every_space<floating_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 1, 7, 1000, large_size);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  // NaNs early, late, and several, so that every thread's chunk meets them
  // in a different order; the answer must not depend on the thread count.
  const std::vector<std::int64_t> positions{n / 2, n - 1, 0};
  for (std::size_t k = 0; k < positions.size(); ++k) {
    auto data = random_vector<T>(n, 90 + n);
    for (std::size_t j = k; j < positions.size(); ++j) data[positions[j]] = nan;
    std::int64_t first = n;
    for (std::size_t j = k; j < positions.size(); ++j) first = std::min(first, positions[j]);
    CAPTURE(n, first);
    auto v = to_view<Exec>(data);
    const auto lo = weft::min_loc(Exec{}, v);
    const auto hi = weft::max_loc(Exec{}, v);
    CHECK(std::isnan(lo.value));
    CHECK(lo.index == first);
    CHECK(std::isnan(hi.value));
    CHECK(hi.index == first);
    CHECK(std::isnan(weft::reduce(Exec{}, v, std::numeric_limits<T>::infinity(), weft::minimum{})));
    CHECK(std::isnan(weft::reduce(Exec{}, v, -std::numeric_limits<T>::infinity(), weft::maximum{})));
    CHECK(std::isnan(weft::reduce(Exec{}, v, T(0), weft::maximum{})));
  }
  // Without NaN: the first extreme; +0 and -0 compare equal, so the first of them.
  std::vector<T> zeros{T(0), T(-0.0), T(1), T(-0.0)};
  auto z = to_view<Exec>(zeros);
  CHECK(weft::min_loc(Exec{}, z).index == 0);
  CHECK(weft::max_loc(Exec{}, z).index == 2);
}
