// The compaction family against <algorithm>: copy_if, remove_if,
// stable_partition, unique and unique_by_key, with host and device tilings,
// strided views, and outputs that are too small.
#include <weft/compaction.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "device_tiling.hpp"
#include "keys.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

using namespace weft_test;

using compaction_types = std::tuple<int, std::int64_t, double>;

#define WEFT_TEST_SIZES GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1009, large_size)

namespace {

// Keeps about a third of random data; all or none for the last two kinds.
template <class T>
struct keep {
  int kind;
  KOKKOS_INLINE_FUNCTION bool operator()(const T& x) const {
    if (kind == 1) return true;
    if (kind == 2) return false;
    return static_cast<std::int64_t>(x * 7) % 3 == 0;
  }
};

// Equal when in the same block of ten.
template <class T>
struct same_tens {
  KOKKOS_INLINE_FUNCTION bool operator()(const T& a, const T& b) const {
    return static_cast<std::int64_t>(a) / 10 == static_cast<std::int64_t>(b) / 10;
  }
};

template <class T>
std::vector<T> data_for(std::int64_t n, std::uint64_t seed) {
  auto data = random_vector<T>(n, seed);
  if constexpr (std::is_floating_point_v<T>)
    for (auto& x : data) x *= 1000;  // spread over many blocks of ten
  return data;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("copy_if keeps the selected elements in order and returns their count",
                        "[compaction][local]", on_every_space<compaction_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const int kind = GENERATE(0, 1, 2);
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  const auto data = data_for<T>(n, 100 + n);
  std::vector<T> expected;
  std::copy_if(data.begin(), data.end(), std::back_inserter(expected), keep<T>{kind});
  const std::int64_t m = static_cast<std::int64_t>(expected.size());
  CAPTURE(n, kind, many_tiles, m);

  auto in = to_view<Exec>(data);
  const std::vector<T> sentinel(n + 5, T(-12345));
  auto out = to_view<Exec>(sentinel);  // room to spare: the rest is left alone
  CHECK(weft::copy_if(Exec{}, in, out, keep<T>{kind}) == m);
  auto got = to_vector(out);
  CHECK(std::vector<T>(got.begin(), got.begin() + m) == expected);
  CHECK(std::all_of(got.begin() + m, got.end(), [](const T& x) { return x == T(-12345); }));

  // Strided input and output of exactly the right size, default space.
  auto strided_in = to_strided_view<Exec>(data);
  auto strided_out = to_strided_view<Exec>(std::vector<T>(m, T(0)));
  CHECK(weft::copy_if(strided_in, strided_out, keep<T>{kind}) == m);
  CHECK(to_vector(strided_out) == expected);

  // One too small: an error, and nothing written.
  if (m > 0) {
    auto small = to_view<Exec>(std::vector<T>(m - 1, T(7)));
    CHECK_THROWS_WITH(weft::copy_if(Exec{}, in, small, keep<T>{kind}),
                      "weft::copy_if: " + std::to_string(m) + " of " + std::to_string(n) +
                          " elements pass the predicate but the output has " + std::to_string(m - 1));
    CHECK(to_vector(small) == std::vector<T>(m - 1, T(7)));
  }
}

TEMPLATE_LIST_TEST_CASE("remove_if, stable_partition and unique match std's", "[compaction][local]",
                        on_every_space<compaction_types>) {
  using Exec = typename TestType::exec;
  using T = typename TestType::value_type;
  const std::int64_t n = WEFT_TEST_SIZES;
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  const auto data = data_for<T>(n, 200 + n);
  CAPTURE(n, many_tiles);
  const Exec exec{};

  SECTION("remove_if: the kept ones in front, the rest untouched") {
    auto expected = data;
    const auto m = std::remove_if(expected.begin(), expected.end(), keep<T>{0}) - expected.begin();
    auto v = to_strided_view<Exec>(data);
    CHECK(weft::remove_if(exec, v, keep<T>{0}) == m);
    const auto got = to_vector(v);
    CHECK(std::vector<T>(got.begin(), got.begin() + m) == std::vector<T>(expected.begin(), expected.begin() + m));
    CHECK(std::vector<T>(got.begin() + m, got.end()) == std::vector<T>(data.begin() + m, data.end()));
    auto all = to_view<Exec>(data);
    CHECK(weft::remove_if(all, keep<T>{2}) == n);  // removes nothing
    CHECK(to_vector(all) == data);
    CHECK(weft::remove_if(exec, all, keep<T>{1}) == 0);  // removes everything
  }
  SECTION("stable_partition: both halves in their original order") {
    for (int kind : {0, 1, 2}) {
      auto expected = data;
      const auto m = std::stable_partition(expected.begin(), expected.end(), keep<T>{kind}) - expected.begin();
      auto v = to_view<Exec>(data);
      CHECK(weft::stable_partition(exec, v, keep<T>{kind}) == m);
      CHECK(to_vector(v) == expected);
    }
  }
  SECTION("unique: the first of every run, with weft::equal_to and a user equality") {
    auto runs = data;
    std::sort(runs.begin(), runs.end());
    for (const bool user_eq : {false, true}) {
      auto expected = runs;
      const auto m = (user_eq ? std::unique(expected.begin(), expected.end(), same_tens<T>{})
                              : std::unique(expected.begin(), expected.end())) -
                     expected.begin();
      auto v = to_view<Exec>(runs);
      CHECK((user_eq ? weft::unique(exec, v, same_tens<T>{}) : weft::unique(v)) == m);
      const auto got = to_vector(v);
      CHECK(std::vector<T>(got.begin(), got.begin() + m) == std::vector<T>(expected.begin(), expected.begin() + m));
    }
  }
}

TEMPLATE_LIST_TEST_CASE("unique_by_key keeps the first key and value of every run", "[compaction][local]",
                        enabled_spaces) {
  using Exec = TestType;
  const std::int64_t n = WEFT_TEST_SIZES;
  const bool many_tiles = GENERATE(false, true);
  const device_tiling tiling(many_tiles);
  auto keys = make_keys<std::int64_t>(n, 300 + n, key_shape::few_distinct);
  std::sort(keys.begin(), keys.end());
  if (n > 10) keys[n / 2] = keys[n / 2 - 1] + 1;  // a run of one, between two long ones
  const auto values = make_keys<double>(n, 301 + n, key_shape::random);
  std::vector<std::int64_t> expected_keys;
  std::vector<double> expected_values;
  for (std::int64_t i = 0; i < n; ++i)
    if (i == 0 || keys[i] != keys[i - 1]) {
      expected_keys.push_back(keys[i]);
      expected_values.push_back(values[i]);
    }
  const std::int64_t m = static_cast<std::int64_t>(expected_keys.size());
  CAPTURE(n, many_tiles, m);

  auto k = to_view<Exec>(keys);
  auto v = to_strided_view<Exec>(values);
  CHECK(weft::unique_by_key(Exec{}, k, v) == m);
  auto got_keys = to_vector(k);
  auto got_values = to_vector(v);
  CHECK(std::vector<std::int64_t>(got_keys.begin(), got_keys.begin() + m) == expected_keys);
  CHECK(std::vector<double>(got_values.begin(), got_values.begin() + m) == expected_values);

  if (n > 0) CHECK_THROWS_WITH(weft::unique_by_key(Exec{}, k, k), Catch::Matchers::ContainsSubstring("share memory"));
  auto short_values = to_view<Exec>(std::vector<double>(n + 1));
  CHECK_THROWS_WITH(weft::unique_by_key(k, short_values),
                    "weft::unique_by_key: keys have " + std::to_string(n) + " elements, values have " +
                        std::to_string(n + 1));
}

TEMPLATE_LIST_TEST_CASE("copy_if refuses an output that shares memory with its input", "[compaction][local]",
                        enabled_spaces) {
  using Exec = TestType;
  auto v = to_view<Exec>(std::vector<int>{1, 2, 3, 4, 5, 6});
  auto back = Kokkos::subview(v, std::pair<int, int>(3, 6));
  CHECK_THROWS_WITH(weft::copy_if(Exec{}, v, back, keep<int>{1}),
                    "weft::copy_if: input and output share memory (6 and 3 elements)");
  CHECK(to_vector(v) == std::vector<int>{1, 2, 3, 4, 5, 6});
}
