// Reproducible sums, dot products and scans across ranks: under every test
// partition (block, weighted, weighted with empty ranks, explicit) the
// distributed result has the same bits as the local reproducible sum of the
// whole data on one device, which itself does not depend on the thread
// count (tests/local/test_reproducible.cpp); so it is the same at 1, 2, 3
// and 4 ranks. And check_replicated.
#include <weft/distributed.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "distributed.hpp"
#include "exact.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

using namespace weft_test;

namespace {
bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

using exec = Kokkos::DefaultExecutionSpace;
using memory = exec::memory_space;
}  // namespace

TEST_CASE("reproducible distributed sums and scans: the same bits under every partition", "[reproducible][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 7, 997, 100003);
  const auto wide = wide_range_data(static_cast<std::size_t>(n), 31);
  const auto moderate = wide_range_data(static_cast<std::size_t>(n), 32, -8, 8);
  const auto lw = to_view<exec>(wide), lm = to_view<exec>(moderate);
  const weft::reproducible_plus plus;
  // The local references, on the whole data.
  const double sum = weft::reduce(exec{}, lw, 0.0, plus);
  const double sum_init = weft::reduce(exec{}, lw, -2.5e200, plus);
  const double dot = weft::transform_reduce(exec{}, lm, lw, 0.0, plus, weft::multiplies{});
  const double squares = weft::transform_reduce(exec{}, lm, 0.0, plus, KOKKOS_LAMBDA(double v) { return v * v; });
  Kokkos::View<double*, memory> inclusive("inclusive", n), exclusive("exclusive", n);
  weft::inclusive_scan(exec{}, lw, inclusive, plus);
  const double exclusive_total = weft::exclusive_scan(exec{}, lw, exclusive, 7.0, plus);
  const auto want_inclusive = to_vector(inclusive), want_exclusive = to_vector(exclusive);

  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    INFO(name << " partition, n = " << n << ", " << comm.size() << " ranks");
    auto x = make_vector<double, memory>(comm, p, wide);
    auto y = make_vector<double, memory>(comm, p, moderate);
    CHECK(same_bits(weft::reduce(x, 0.0, plus), sum));
    CHECK(same_bits(weft::reduce(exec{}, x, -2.5e200, plus), sum_init));
    CHECK(same_bits(weft::transform_reduce(y, x, 0.0, plus, weft::multiplies{}), dot));
    CHECK(same_bits(weft::transform_reduce(y, 0.0, plus, KOKKOS_LAMBDA(double v) { return v * v; }), squares));

    weft::distributed_vector<double, memory> out(comm, p);
    CHECK(same_bits(weft::inclusive_scan(x, out, plus), sum));
    const auto got_inclusive = all_gather(out);
    CHECK(std::equal(got_inclusive.begin(), got_inclusive.end(), want_inclusive.begin(), want_inclusive.end(), same_bits));
    CHECK(same_bits(weft::exclusive_scan(x, out, 7.0, plus), exclusive_total));
    const auto got_exclusive = all_gather(out);
    CHECK(std::equal(got_exclusive.begin(), got_exclusive.end(), want_exclusive.begin(), want_exclusive.end(), same_bits));
    weft::transform_inclusive_scan(x, out, plus, KOKKOS_LAMBDA(double v) { return v; });
    const auto got_transformed = all_gather(out);
    CHECK(std::equal(got_transformed.begin(), got_transformed.end(), want_inclusive.begin(), want_inclusive.end(),
                     same_bits));
  }
}

TEST_CASE("reproducible sums on distributed grids equal the local sum", "[reproducible][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  // At least a row per rank for the 2-D grid's P x 1 process grid below
  // (the stress run goes to 64 ranks).
  const std::int64_t rows = std::max<std::int64_t>(37, comm.size()), cols = 29, depth = 5;
  const auto values = wide_range_data(rows * cols * depth, 41);
  const weft::reproducible_plus plus;
  const double want = weft::reduce(exec{}, to_view<exec>(values), 0.0, plus);
  std::vector<double> squares(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) squares[i] = values[i] * values[i];
  const double want_squares = weft::reduce(exec{}, to_view<exec>(squares), 0.0, plus);
  const auto data = to_view<exec>(values);

  weft::distributed_grid<double, 3, memory> g(comm, {rows, cols, depth}, {.halo = 1});
  weft::for_each_index(g, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::int64_t k, double& v) {
    v = data((i * cols + j) * depth + k);
  });
  CHECK(same_bits(weft::reduce(g, 0.0, plus), want));
  CHECK(same_bits(weft::transform_reduce(g, g, 0.0, plus, weft::multiplies{}), want_squares));

  // 2-D, with an uneven process grid.
  weft::distributed_grid<double, 2, memory> h(comm, {rows, cols * depth}, {.halo = 0, .dims = {comm.size(), 1}});
  weft::for_each_index(h, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) { v = data(i * cols * depth + j); });
  CHECK(same_bits(weft::reduce(exec{}, h, 0.0, plus), want));
}

TEST_CASE("check_replicated passes on equal data and names the ranks and index that differ", "[reproducible][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  std::vector<double> weights(100);
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 0.5 * static_cast<double>(i);
  weft::check_replicated(comm, weights, "the weights");
  weft::check_replicated(comm, 3.25, "the residual");
  Kokkos::View<double**, memory> field("field", 4, 6);
  Kokkos::deep_copy(field, 1.5);
  weft::check_replicated(comm, field, "the field");
  if (comm.size() == 1) return;

  // The last rank's 17th weight differs in its last bit.
  const int odd = comm.size() - 1;
  if (comm.rank() == odd) weights[17] = std::nextafter(weights[17], 100.0);
  REQUIRE_THROWS_WITH(weft::check_replicated(comm, weights, "the weights"),
                      Catch::Matchers::ContainsSubstring("the weights differs between ranks") &&
                          Catch::Matchers::ContainsSubstring("rank " + std::to_string(odd) +
                                                             " first differs from rank 0 at index 17 "
                                                             "(8.5000000000000018 against 8.5)"));
  // -0.0 and 0.0 differ bitwise; rank 0 alone differs from the others: rank 1 is named.
  const double zero = comm.rank() == 0 ? -0.0 : 0.0;
  REQUIRE_THROWS_WITH(weft::check_replicated(comm, zero, "the offset"),
                      Catch::Matchers::ContainsSubstring("rank 1 first differs from rank 0 at index 0 (0 against -0)"));
  // A 2-D view: the index as the view's own, and different sizes.
  if (comm.rank() == odd) {
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, field);
    host(2, 3) = 9;
    Kokkos::deep_copy(field, host);
  }
  REQUIRE_THROWS_WITH(weft::check_replicated(comm, field, "the field"),
                      Catch::Matchers::ContainsSubstring("first differs from rank 0 at index (2, 3) (9 against 1.5)"));
  std::vector<int> counts(comm.rank() == odd ? 3 : 4, 1);
  REQUIRE_THROWS_WITH(weft::check_replicated(comm, counts, "the counts"),
                      Catch::Matchers::ContainsSubstring(
                          "ranks disagree on the number of elements of the counts: 3 on some ranks, 4 on others"));
}

namespace {
// Whether f threw weft::error containing `text` on this rank, and on every
// rank (an MPI_Allreduce that also shows nobody is left waiting in f).
bool throws_everywhere(const weft::communicator& comm, const std::function<void()>& f, const std::string& text) {
  int threw = 0;
  try {
    f();
  } catch (const weft::error& e) {
    threw = 1;
    CHECK_THAT(e.what(), Catch::Matchers::ContainsSubstring(text));
  }
  int everywhere = 0;
  MPI_Allreduce(&threw, &everywhere, 1, MPI_INT, MPI_MIN, comm.native());
  return everywhere == 1;
}
}  // namespace

TEST_CASE("check_replicated compares the data exactly, not a hash", "[reproducible][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();
  if (size > 1) {
    // The same 64-bit FNV-1a hash as {1, 2}: these passed.
    const std::vector<double> crafted =
        rank == 0 ? std::vector<double>{1, 2} : std::vector<double>{1.0000000000000002, 2.0004882812502642};
    CHECK(throws_everywhere(
        comm, [&] { weft::check_replicated(comm, crafted, "the model"); },
        "weft::check_replicated: the model differs between ranks: rank 1 first differs from rank 0 at index 0 "
        "(1.0000000000000002 against 1)"));
  }
  // Sizes across the 1 MiB pieces (131072 doubles): equal data passes; one
  // bit of the last element on one rank only throws everywhere.
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 7, 131072, 1000003);
  CAPTURE(n);
  auto data = random_vector<double>(static_cast<std::size_t>(n), 41);
  CHECK_NOTHROW(weft::check_replicated(comm, data, "the state"));
  std::vector<std::array<float, 3>> triples(static_cast<std::size_t>(n));  // 12 bytes: pieces of 87381
  for (std::size_t i = 0; i < triples.size(); ++i)
    triples[i] = {static_cast<float>(i), 0.5f * static_cast<float>(i), -1.0f};
  CHECK_NOTHROW(weft::check_replicated(comm, triples, "the triples"));
  if (n == 0 || size == 1) return;
  const int odd = size > 2 ? 1 : size - 1;  // a rank in the middle where there is one
  const auto last = static_cast<std::size_t>(n - 1);
  if (rank == odd) {
    data[last] = std::bit_cast<double>(std::bit_cast<std::uint64_t>(data[last]) ^ 1);
    triples[last][2] = std::bit_cast<float>(std::bit_cast<std::uint32_t>(triples[last][2]) ^ 1u);
  }
  CHECK(throws_everywhere(
      comm, [&] { weft::check_replicated(comm, data, "the state"); },
      "rank " + std::to_string(odd) + " first differs from rank 0 at index " + std::to_string(n - 1) + " ("));
  CHECK(throws_everywhere(
      comm, [&] { weft::check_replicated(comm, triples, "the triples"); },
      "the triples differs between ranks: rank " + std::to_string(odd) + " first differs from rank 0 at index " +
          std::to_string(n - 1)));
  CHECK_NOTHROW(weft::check_replicated(comm, 2.5, "a value"));  // still in step
}
