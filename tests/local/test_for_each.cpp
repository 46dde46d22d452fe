// The map family against sequential references: for_each, transform, fill, copy, iota.
#include <weft/for_each.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "data.hpp"
#include "spaces.hpp"

#include <cstdint>
#include <tuple>
#include <vector>

using namespace weft_test;

using map_types = std::tuple<int, std::int64_t, float, double, vec2>;
using arithmetic_types = std::tuple<int, std::int64_t, float, double>;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1000, large_size)

TEMPLATE_LIST_TEST_CASE("for_each updates every element in place", "[for_each][local]",
                        on_every_space<map_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 1 + n);
  std::vector<T> expected = data;
  for (auto& x : expected) x = x + x;

  SECTION("contiguous view") {
    auto v = to_view<Exec>(data);
    weft::for_each(Exec{}, v, KOKKOS_LAMBDA(T & x) { x = x + x; });
    CHECK(to_vector(v) == expected);
  }
  SECTION("strided subview, default execution space of the view") {
    auto v = to_strided_view<Exec>(data);
    weft::for_each(v, KOKKOS_LAMBDA(T & x) { x = x + x; });
    CHECK(to_vector(v) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("transform applies unary and binary operations", "[for_each][local]",
                        on_every_space<map_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto a = random_vector<T>(n, 2 + n);
  const auto b = random_vector<T>(n, 3 + n);
  const Exec exec{};

  SECTION("unary, into another view") {
    auto in = to_view<Exec>(a);
    auto out = to_view<Exec>(b);
    weft::transform(exec, in, out, KOKKOS_LAMBDA(const T& x) { return x + x + x; });
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = a[i] + a[i] + a[i];
    CHECK(to_vector(out) == expected);
    CHECK(to_vector(in) == a);
  }
  SECTION("unary, in place on a strided view") {
    auto v = to_strided_view<Exec>(a);
    weft::transform(exec, v, v, KOKKOS_LAMBDA(const T& x) { return x + x; });
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = a[i] + a[i];
    CHECK(to_vector(v) == expected);
  }
  SECTION("binary") {
    auto in1 = to_view<Exec>(a);
    auto in2 = to_strided_view<Exec>(b);
    Kokkos::View<T*, typename Exec::memory_space> out("out", n);
    weft::transform(exec, in1, in2, out, KOKKOS_LAMBDA(const T& x, const T& y) { return x + y + y; });
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = a[i] + b[i] + b[i];
    CHECK(to_vector(out) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("fill, copy and iota", "[for_each][local]", on_every_space<arithmetic_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const auto data = random_vector<T>(n, 4 + n);
  const Exec exec{};

  SECTION("fill") {
    auto v = to_strided_view<Exec>(data);
    weft::fill(exec, v, T(7));
    CHECK(to_vector(v) == std::vector<T>(n, T(7)));
  }
  SECTION("copy converts the value type and takes any layout") {
    auto src = to_strided_view<Exec>(data);
    Kokkos::View<double*, typename Exec::memory_space> dst("dst", n);
    weft::copy(exec, src, dst);
    std::vector<double> expected(data.begin(), data.end());
    CHECK(to_vector(dst) == expected);
  }
  SECTION("iota") {
    auto v = to_view<Exec>(data);
    weft::iota(exec, v, T(-3));
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = T(-3) + T(i);
    CHECK(to_vector(v) == expected);
  }
  SECTION("overloads without an instance run on the view's space") {
    auto v = to_view<Exec>(data);
    weft::fill(v, T(2));
    weft::iota(v, T(1));
    Kokkos::View<T*, typename Exec::memory_space> w("w", n);
    weft::copy(v, w);
    std::vector<T> expected(n);
    for (std::int64_t i = 0; i < n; ++i) expected[i] = T(1) + T(i);
    CHECK(to_vector(w) == expected);
  }
}

TEMPLATE_LIST_TEST_CASE("map algorithms reject mismatched extents before writing", "[for_each][local]",
                        enabled_spaces) {
  using Exec = TestType;
  const auto a = random_vector<double>(10, 5);
  const auto b = random_vector<double>(9, 6);
  auto in = to_view<Exec>(a);
  auto out = to_view<Exec>(b);
  auto twice = KOKKOS_LAMBDA(double x) { return 2 * x; };

  CHECK_THROWS_AS(weft::transform(Exec{}, in, out, twice), weft::error);
  CHECK_THROWS_WITH(weft::transform(Exec{}, in, out, twice),
                    "weft::transform: input has 10 elements, output has 9");
  CHECK_THROWS_AS(weft::transform(Exec{}, in, in, out, KOKKOS_LAMBDA(double x, double y) { return x + y; }),
                  weft::error);
  CHECK_THROWS_WITH(weft::copy(Exec{}, in, out), "weft::copy: source has 10 elements, destination has 9");
  CHECK(to_vector(out) == b);
  CHECK(to_vector(in) == a);
}
