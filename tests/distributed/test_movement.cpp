// gather, all_gather, scatter and redistribute between every pair of partitions.
#include <weft/distributed.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "distributed.hpp"
#include "spaces.hpp"

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace weft_test;

TEMPLATE_LIST_TEST_CASE("gather, all_gather and scatter round-trip", "[movement][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1000, 100003);
  const auto global = random_vector<double>(n, 700 + n);
  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name, n);
    auto x = make_vector<double, M>(comm, p, global, 1);
    for (int root = 0; root < comm.size(); ++root) {
      const auto on_root = weft::gather(x, root);
      CHECK(on_root == (comm.rank() == root ? global : std::vector<double>{}));
    }
    CHECK(weft::all_gather(x) == global);

    const int root = comm.size() - 1;
    const auto y = weft::scatter<double, M>(comm, comm.rank() == root ? global : std::vector<double>{}, p, root);
    CHECK(y.partition() == p);
    CHECK(weft::all_gather(y) == global);
  }
}

TEMPLATE_LIST_TEST_CASE("redistribute keeps the global contents under any new partition",
                        "[movement][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 3, 1000, 100003);
  const bool staged = GENERATE(false, true);
  if (staged) setenv("WEFT_MPI_STAGING", "1", 1);
  else unsetenv("WEFT_MPI_STAGING");
  const auto global = random_vector<std::int64_t>(n, 800 + n);
  const auto partitions = test_partitions(n, comm.size());
  for (const auto& [from_name, from] : partitions) {
    for (const auto& [to_name, to] : partitions) {
      CAPTURE(from_name, to_name, n, staged);
      auto x = make_vector<std::int64_t, M>(comm, from, global, 2);
      const auto y = weft::redistribute(x, to);
      CHECK(y.partition() == to);
      CHECK(y.halo_width() == 2);
      // Each rank holds exactly its new block.
      auto mine = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y.local());
      int wrong = 0;
      for (std::int64_t i = 0; i < y.local_size(); ++i) wrong += mine(i) != global[y.offset() + i];
      CHECK(wrong == 0);
    }
  }
  unsetenv("WEFT_MPI_STAGING");
}

TEST_CASE("data movement rejects bad input on every rank", "[errors][distributed]") {
  using Catch::Matchers::ContainsSubstring;
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  const auto p = weft::partition::block(10, size);
  // Only the root holds the data, so only the root can see it is wrong: all
  // throw, with the root's message, naming it.
  const std::vector<double> wrong(comm.rank() == 0 ? 9 : 0, 1.0);
  CHECK_THROWS_WITH(weft::scatter(comm, wrong, p, 0),
                    ContainsSubstring("weft::scatter: root holds 9 elements but the partition has 10 [on rank 0]"));
  weft::distributed_vector<double> x(comm, p);
  CHECK_THROWS_WITH(weft::gather(x, size), ContainsSubstring("root " + std::to_string(size) + " is not a rank"));
  CHECK_THROWS_WITH(weft::redistribute(x, weft::partition::block(11, size)),
                    ContainsSubstring("the new partition has 11 elements, the vector 10"));
  CHECK(weft::all_gather(x).size() == 10);  // still in step
}
