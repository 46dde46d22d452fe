// weft::partition: block, weighted and explicit layouts and their queries.
#include <weft/distributed.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace {
// Sizes, offsets and owner() agree with each other for every index.
void check_consistent(const weft::partition& p) {
  std::int64_t at = 0;
  for (int r = 0; r < p.ranks(); ++r) {
    CHECK(p.offset(r) == at);
    CHECK(p.local_size(r) >= 0);
    at += p.local_size(r);
  }
  CHECK(at == p.global_size());
  const std::int64_t step = std::max<std::int64_t>(1, p.global_size() / 997);
  for (std::int64_t i = 0; i < p.global_size(); i += step) {
    const int r = p.owner(i);
    CHECK(p.offset(r) <= i);
    CHECK(i < p.offset(r) + p.local_size(r));
  }
}
}  // namespace

TEST_CASE("block partitions differ by at most one", "[partition][distributed]") {
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 2, 3, 7, 1000, (1 << 20) + 3);
  const int ranks = GENERATE(1, 2, 3, 4, 7);
  CAPTURE(n, ranks);
  const auto p = weft::partition::block(n, ranks);
  check_consistent(p);
  CHECK(p.ranks() == ranks);
  for (int r = 0; r < ranks; ++r) CHECK((p.local_size(r) == n / ranks || p.local_size(r) == n / ranks + 1));
  // The larger blocks come first.
  for (int r = 1; r < ranks; ++r) CHECK(p.local_size(r) <= p.local_size(r - 1));
}

TEST_CASE("weighted partitions follow the weights, rounding by largest remainder", "[partition][distributed]") {
  SECTION("exact shares") {
    const auto p = weft::partition::weighted(100, {1, 3});
    CHECK(p.local_size(0) == 25);
    CHECK(p.local_size(1) == 75);
  }
  SECTION("largest remainder, ties to the lower rank") {
    // Quotas 10/3 each: 3, 3, 3 and one left over, to rank 0.
    const auto p = weft::partition::weighted(10, {1, 1, 1});
    CHECK(p.local_size(0) == 4);
    CHECK(p.local_size(1) == 3);
    CHECK(p.local_size(2) == 3);
    // Quotas 1.4, 2.8, 5.6, 0.2: floors 1, 2, 5, 0; remainders .4 .8 .6 .2 -> ranks 1, 2.
    const auto q = weft::partition::weighted(10, {1.4, 2.8, 5.6, 0.2});
    CHECK(q.local_size(0) == 1);
    CHECK(q.local_size(1) == 3);
    CHECK(q.local_size(2) == 6);
    CHECK(q.local_size(3) == 0);
  }
  SECTION("zero weights get empty blocks") {
    const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 5, 1001);
    const auto p = weft::partition::weighted(n, {0, 2, 0, 1, 0});
    check_consistent(p);
    CHECK(p.local_size(0) == 0);
    CHECK(p.local_size(2) == 0);
    CHECK(p.local_size(4) == 0);
    CHECK(p.local_size(1) + p.local_size(3) == n);
    CHECK(std::abs(p.local_size(1) - 2 * p.local_size(3)) <= 2);
  }
  SECTION("random weights: every share within one of its quota") {
    std::mt19937_64 engine(7);
    std::uniform_real_distribution<double> dist(0, 10);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<double> w(1 + trial % 6);
      for (auto& x : w) x = dist(engine);
      const std::int64_t n = static_cast<std::int64_t>(engine() % 100000);
      const auto p = weft::partition::weighted(n, w);
      check_consistent(p);
      const double total = std::accumulate(w.begin(), w.end(), 0.0);
      for (std::size_t r = 0; r < w.size(); ++r) CHECK(std::abs(p.local_size(r) - n * w[r] / total) < 1.0);
    }
  }
}

TEST_CASE("explicit partitions and equality", "[partition][distributed]") {
  const auto p = weft::partition::from_sizes({0, 5, 0, 2});
  check_consistent(p);
  CHECK(p.global_size() == 7);
  CHECK(p.owner(0) == 1);
  CHECK(p.owner(4) == 1);
  CHECK(p.owner(5) == 3);
  CHECK(p.offset(2) == 5);
  CHECK(p == weft::partition::from_sizes({0, 5, 0, 2}));
  CHECK_FALSE(p == weft::partition::from_sizes({5, 0, 0, 2}));
  CHECK(weft::partition::block(10, 2) == weft::partition::from_sizes({5, 5}));
}

TEST_CASE("bad partitions throw weft::error", "[partition][distributed]") {
  using Catch::Matchers::ContainsSubstring;
  CHECK_THROWS_WITH(weft::partition::weighted(10, {0, 0}), ContainsSubstring("all 2 weights are zero"));
  CHECK_THROWS_WITH(weft::partition::weighted(10, {1, -1}), ContainsSubstring("weight -1 of rank 1"));
  CHECK_THROWS_AS(weft::partition::weighted(10, {}), weft::error);
  CHECK_THROWS_WITH(weft::partition::from_sizes({3, -2}), ContainsSubstring("size -2 of rank 1"));
  CHECK_THROWS_AS(weft::partition::block(-1, 2), weft::error);
  CHECK_THROWS_AS(weft::partition::block(5, 0), weft::error);
  CHECK_THROWS_WITH(weft::partition::block(5, 2).owner(5), ContainsSubstring("index 5 is outside [0, 5)"));
}
