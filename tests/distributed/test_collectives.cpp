// weft's ordered collectives (detail/collectives.hpp) and the algorithms on
// them, at any rank count (ctest runs these at 1 to 4 ranks, and at 5, 6
// and 8 oversubscribed): folds and exclusive scans (forward and backward)
// against sequential references with a non-commutative exact operation,
// both schedules (small messages by recursive doubling, large ones up and
// down a tree), empty parts, bitwise the same on every rank, failures and
// disagreements on one rank thrown on every rank.
#include <weft/distributed.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "affine.hpp"
#include "distributed.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

namespace {

template <class T>
using opt = weft::detail::optional_value<T>;

// N maps of 16 B a part: 80 (1.3 KiB) are past the small-message limit
// (the tree beyond 4 ranks); 700 (11 KiB) travel as a head and pieces, 1200
// (19 KiB) as a head and one message.
template <std::size_t N>
struct many {
  std::array<affine, N> f;
};
struct then_many {
  template <std::size_t N>
  many<N> operator()(const many<N>& x, const many<N>& y) const {
    many<N> r;
    for (std::size_t k = 0; k < N; ++k) r.f[k] = then{}(x.f[k], y.f[k]);
    return r;
  }
};
template <std::size_t N>
bool operator==(const many<N>& a, const many<N>& b) {
  return a.f == b.f;
}

template <class T, class Op>
opt<T> join(const opt<T>& a, const opt<T>& b, Op op) {
  if (!a.valid) return b;
  if (!b.valid) return a;
  return {op(a.value, b.value), true};
}

// Whether every rank holds the same bytes.
template <class T>
bool same_on_every_rank(const weft::communicator& comm, const T& value) {
  std::vector<unsigned char> mine(sizeof(T)), root(sizeof(T));
  std::memcpy(mine.data(), &value, sizeof(T));
  root = mine;
  MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_BYTE, 0, comm.native());
  int same = root == mine, all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, comm.native());
  return all == 1;
}

// One rank's part of trial t: part r of the sequence, or nothing on some ranks.
template <class T>
opt<T> part_of(int rank, int ranks, int trial);
template <>
opt<affine> part_of<affine>(int rank, int ranks, int trial) {
  return {random_affine(static_cast<std::size_t>(ranks), 100 + trial)[static_cast<std::size_t>(rank)],
          trial % 3 != 1 || rank % 2 == 1};
}
template <class T>
requires requires(T t) { t.f; }
opt<T> part_of(int rank, int ranks, int trial) {
  T m;
  for (std::size_t k = 0; k < m.f.size(); ++k)
    m.f[k] = random_affine(static_cast<std::size_t>(ranks), 1000 * k + trial)[static_cast<std::size_t>(rank)];
  return {m, trial % 3 != 2 || rank == ranks - 1};
}

template <class T, class Op>
void check_ordered(const weft::communicator& comm, Op op) {
  for (int trial = 0; trial < 6; ++trial) {
    CAPTURE(trial, comm.size());
    opt<T> total{T{}, false}, before{T{}, false};
    for (int r = 0; r < comm.size(); ++r) {
      if (r == comm.rank()) before = total;
      total = join(total, part_of<T>(r, comm.size(), trial), op);
    }
    const opt<T> mine = part_of<T>(comm.rank(), comm.size(), trial);
    weft::detail::collective_check check("test");
    const auto folded = weft::detail::ordered_all_fold(comm, check, mine, op, "test");
    const auto scanned = weft::detail::ordered_exclusive_scan(comm, check, mine, op, "test");
    REQUIRE(folded.valid == total.valid);
    REQUIRE(scanned.total.valid == total.valid);
    REQUIRE(scanned.before.valid == before.valid);
    if (total.valid) {
      CHECK(folded.value == total.value);
      CHECK(scanned.total.value == total.value);
    }
    if (before.valid) CHECK(scanned.before.value == before.value);
    CHECK(same_on_every_rank(comm, folded.value));
    // Backward: the fold of the higher ranks' parts, still in rank order.
    opt<T> after{T{}, false};
    for (int r = comm.rank() + 1; r < comm.size(); ++r) after = join(after, part_of<T>(r, comm.size(), trial), op);
    const auto suffix =
        weft::detail::ordered_exclusive_scan(comm, check, mine, op, "test", weft::detail::scan_direction::backward);
    REQUIRE(suffix.before.valid == after.valid);
    if (after.valid) CHECK(suffix.before.value == after.value);
    REQUIRE(suffix.total.valid == total.valid);
    if (total.valid) CHECK(suffix.total.value == total.value);
  }
}

}  // namespace

TEST_CASE("communicator::split makes groups ordered by key", "[collectives]") {
  weft::communicator world(MPI_COMM_WORLD);
  const int p = world.size(), r = world.rank();
  // Two groups, even and odd ranks, each ordered backwards.
  const auto half = world.split(r % 2, -r);
  CHECK(half.size() == (r % 2 == 0 ? (p + 1) / 2 : p / 2));
  CHECK(half.rank() == half.size() - 1 - r / 2);
  CHECK(half.checks() == world.checks());
  // A reduction over each group sums its own ranks only: one element per
  // rank, holding the rank's number in the world.
  weft::distributed_vector<std::int64_t> x(half, half.size());
  weft::fill(x, std::int64_t(r));
  std::int64_t sum = 0;
  for (int q = r % 2; q < p; q += 2) sum += q;
  CHECK(weft::reduce(x) == sum);
  // A negative color on one rank: every rank throws, nobody hangs.
  CHECK_THROWS_WITH(world.split(r == 0 ? -1 : 0, r), Catch::Matchers::ContainsSubstring("color -1 is negative"));
}

TEST_CASE("ordered folds and exclusive scans keep rank order, at any rank count", "[collectives]") {
  weft::communicator comm(MPI_COMM_WORLD);
  check_ordered<affine>(comm, then{});     // 8 words a message: recursive doubling
  check_ordered<many<80>>(comm, then_many{});    // 1.3 KiB: the tree beyond 4 ranks
  check_ordered<many<700>>(comm, then_many{});   // in pieces
  check_ordered<many<1200>>(comm, then_many{});  // the value as one message
}

TEST_CASE("floating-point folds are the same bits on every rank and in every run", "[collectives]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const double mine = 1.0 / (3 + comm.rank()) + 1e-17 * comm.rank();
  weft::detail::collective_check check("test");
  const auto a = weft::detail::ordered_all_fold(comm, check, opt<double>{mine, true}, weft::plus{}, "test");
  const auto b = weft::detail::ordered_all_fold(comm, check, opt<double>{mine, true}, weft::plus{}, "test");
  CHECK(same_on_every_rank(comm, a.value));
  CHECK(std::memcmp(&a.value, &b.value, sizeof(double)) == 0);
  // Through the public algorithms.
  for (const std::int64_t n : {0, 1, 7, 1000, 100003}) {
    CAPTURE(n);
    weft::distributed_vector<double> x(comm, weft::partition::weighted(n, std::vector<double>(comm.size(), 1.0)));
    weft::for_each_index(
        x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = 1.0 / (1 + i % 97) - 0.003 * (i % 13); });
    CHECK(same_on_every_rank(comm, weft::reduce(x)));
    CHECK(same_on_every_rank(comm, weft::transform_reduce(x, x, 0.0, weft::plus{}, weft::multiplies{})));
    weft::distributed_vector<double> y(comm, weft::partition::block(n, comm.size()));
    CHECK(same_on_every_rank(comm, weft::inclusive_scan(x, y)));
  }
}

TEST_CASE("a failure or a disagreement on one rank throws on every rank", "[collectives]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const bool last = comm.rank() == comm.size() - 1;
  for (const int size : {0, 1, 2}) {  // one message, the tree's, the head and the value apart
    CAPTURE(size);
    auto fold = [&](weft::detail::collective_check& check) {
      if (size == 1)
        weft::detail::ordered_all_fold(comm, check, part_of<many<80>>(comm.rank(), comm.size(), 0), then_many{},
                                       "test");
      else if (size == 2)
        weft::detail::ordered_all_fold(comm, check, part_of<many<1200>>(comm.rank(), comm.size(), 0), then_many{},
                                       "test");
      else
        weft::detail::ordered_all_fold(comm, check, part_of<affine>(comm.rank(), comm.size(), 0), then{}, "test");
    };
    auto scan = [&](weft::detail::collective_check& check) {
      if (size == 1)
        weft::detail::ordered_exclusive_scan(comm, check, part_of<many<80>>(comm.rank(), comm.size(), 0), then_many{},
                                             "test");
      else if (size == 2)
        weft::detail::ordered_exclusive_scan(comm, check, part_of<many<1200>>(comm.rank(), comm.size(), 0), then_many{},
                                             "test");
      else
        weft::detail::ordered_exclusive_scan(comm, check, part_of<affine>(comm.rank(), comm.size(), 0), then{}, "test");
    };
    {
      weft::detail::collective_check check("weft::test");
      check.require(!last, "weft::test: rank ", comm.rank(), " failed");
      CHECK_THROWS_WITH(fold(check), ContainsSubstring("rank " + std::to_string(comm.size() - 1) + " failed"));
    }
    {
      weft::detail::collective_check check("weft::test");
      check.require(!last, "weft::test: rank ", comm.rank(), " failed");
      CHECK_THROWS_WITH(scan(check), ContainsSubstring("failed"));
    }
    if (comm.size() > 1) {
      weft::detail::collective_check check("weft::test");
      check.same("the answer", last ? 43 : 42);
      CHECK_THROWS_WITH(fold(check), ContainsSubstring("ranks disagree on the answer: 42 on some ranks, 43 on others"));
    }
    weft::detail::collective_check fine("weft::test");
    CHECK_NOTHROW(fold(fine));  // nothing left behind
  }
  // Through the public algorithms: an init that differs.
  weft::distributed_vector<double> x(comm, 100);
  if (comm.size() > 1)
    CHECK_THROWS_WITH(weft::reduce(x, last ? 1.0 : 0.0, weft::plus{}),
                      ContainsSubstring("ranks disagree on the initial value"));
}

// weft's operations say they cannot throw, so all_reduce skips its second check.
static_assert(std::is_nothrow_invocable_v<weft::plus<>, const double&, const double&>);
static_assert(std::is_nothrow_invocable_v<weft::maximum<int>, const int&, const int&>);
static_assert(!std::is_nothrow_invocable_v<then, const affine&, const affine&>);

TEST_CASE("all_reduce folds views element by element in rank order, the same bits on every rank", "[collectives]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const auto ranks = static_cast<std::size_t>(comm.size()), me = static_cast<std::size_t>(comm.rank());
  for (const std::int64_t n : {0, 1, 2, 7, 1000, 4099}) {
    CAPTURE(n, comm.size());
    // Element i of rank r: map r of sequence i. The reference folds them in rank order.
    std::vector<affine> mine(static_cast<std::size_t>(n)), want(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      const auto maps = random_affine(ranks, 77 + static_cast<std::uint64_t>(i));
      mine[static_cast<std::size_t>(i)] = maps[me];
      affine acc = maps[0];
      for (std::size_t r = 1; r < ranks; ++r) acc = then{}(acc, maps[r]);
      want[static_cast<std::size_t>(i)] = acc;
    }
    Kokkos::View<affine*, Kokkos::HostSpace> v("v", static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v(i) = mine[static_cast<std::size_t>(i)];
    weft::all_reduce(comm, v, then{});
    bool all_equal = true;
    for (std::int64_t i = 0; i < n; ++i) all_equal = all_equal && v(i) == want[static_cast<std::size_t>(i)];
    CHECK(all_equal);
    // Doubles summed: the same bits on every rank, and again in a second run.
    Kokkos::View<double*> x("x", static_cast<std::size_t>(n)), y("y", static_cast<std::size_t>(n));
    Kokkos::parallel_for(
        "fill", n, KOKKOS_LAMBDA(std::int64_t i) {
          x(i) = y(i) = 1.0 / (3.0 + static_cast<double>(i % 11)) + 1e-3 * static_cast<double>(me);
        });
    weft::all_reduce(comm, x);
    weft::all_reduce(comm, y, weft::plus{});
    auto hx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, x);
    auto hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
    CHECK(std::memcmp(hx.data(), hy.data(), static_cast<std::size_t>(n) * sizeof(double)) == 0);
    std::vector<double> bits(hx.data(), hx.data() + n);
    CHECK(same_on_every_rank(comm, std::make_pair(bits.size(), std::accumulate(bits.begin(), bits.end(), 0.0))));
    // A strided view goes through a host copy.
    Kokkos::View<double**, Kokkos::LayoutLeft, Kokkos::HostSpace> two("two", static_cast<std::size_t>(n), 2);
    auto column = Kokkos::subview(two, Kokkos::ALL, 1);
    for (std::int64_t i = 0; i < n; ++i) column(i) = static_cast<double>(comm.rank() + i);
    weft::all_reduce(comm, column);
    bool sums = true;
    for (std::int64_t i = 0; i < n; ++i)
      sums = sums && column(i) == static_cast<double>(comm.size()) * static_cast<double>(i) +
                                      static_cast<double>(comm.size() * (comm.size() - 1) / 2);
    CHECK(sums);
  }
}

TEST_CASE("all_reduce: extents that differ, or an op that throws on one rank, throw on every rank", "[collectives]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const bool last = comm.rank() == comm.size() - 1;
  if (comm.size() > 1) {
    Kokkos::View<double*, Kokkos::HostSpace> v("v", last ? 11 : 10);
    CHECK_THROWS_WITH(weft::all_reduce(comm, v),
                      ContainsSubstring("ranks disagree on the extent: 10 on some ranks, 11 on others"));
  }
  // The last rank always folds a part of the vector (it is never the
  // first of a folded pair).
  Kokkos::View<double*, Kokkos::HostSpace> v("v", 100);
  auto throwing = [last](double a, double b) {
    if (last) throw std::runtime_error("too big");
    return a + b;
  };
  if (comm.size() > 1)
    CHECK_THROWS_WITH(weft::all_reduce(comm, v, throwing), ContainsSubstring("weft::all_reduce: too big"));
  Kokkos::View<double*, Kokkos::HostSpace> fine("fine", 5);
  CHECK_NOTHROW(weft::all_reduce(comm, fine));  // nothing left behind
}

namespace {
struct neighbours_sum {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return nb(-1) + nb(0) + nb(1);
  }
};
// Three neighbours of a 3-D point (a functor: nvcc compiles no generic
// device lambda).
struct box_three {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return nb(-1, 0, 0) + nb(1, 0, 0) + nb(0, 1, 1);
  }
};
}  // namespace

TEST_CASE(
    "after the first exchange, halo arguments are agreed with the neighbours only: a rank that differs "
    "throws with its neighbours, and every rank throws at its next collective",
    "[collectives]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), me = comm.rank(), last = size - 1;
  if (size < 2) return;  // nothing to disagree with
  const std::int64_t n = 10 * size;
  weft::distributed_vector<double> x(comm, weft::partition::block(n, size), weft::halo{1}),
      y(comm, weft::partition::block(n, size));
  weft::for_each_index(
      x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = static_cast<double>(i % 7); });
  // The first call settles on every rank (one allreduce) and learns the
  // neighbours; the second agrees with them alone.
  weft::stencil(x, y, 1, weft::periodic{}, neighbours_sum{});
  weft::stencil(x, y, 1, weft::periodic{}, neighbours_sum{});
  const double good = weft::reduce(y);
  CHECK(good == 3 * weft::reduce(x));

  // The last rank passes another boundary: it and its neighbours (ranks 0
  // and last - 1, periodic) throw at once; nothing hangs.
  auto differing_call = [&](auto&& call) {
    bool threw = false;
    try {
      call();
    } catch (const weft::error& e) {
      threw = true;
      CHECK_THAT(e.what(), ContainsSubstring("ranks disagree on the boundary") || ContainsSubstring("radius"));
    }
    const bool neighbour = me == last || me == 0 || me == last - 1;
    CHECK(threw == neighbour);
    // Every rank's next collective throws, with the same message ...
    CHECK_THROWS_WITH(weft::reduce(x), ContainsSubstring("ranks disagree on the"));
    // ... and reports it: the next one is fine, and so is the next stencil.
    CHECK(weft::reduce(x) == weft::reduce(x));
    weft::stencil(x, y, 1, weft::periodic{}, neighbours_sum{});
    CHECK(weft::reduce(y) == good);
  };
  differing_call([&] {
    if (me == last)
      weft::stencil(x, y, 1, weft::constant{0.0}, neighbours_sum{});
    else
      weft::stencil(x, y, 1, weft::periodic{}, neighbours_sum{});
  });
  // A radius of 0 (no exchange there) against 1.
  differing_call([&] { weft::stencil(x, y, me == last ? 0 : 1, weft::periodic{}, neighbours_sum{}); });
  // A halo exchange of its own, start and wait.
  differing_call([&] {
    auto pending = x.start_halo_exchange(weft::constant{me == last ? 1.0 : 0.0});
    pending.wait();
  });

  // 3-D grids: a constant that differs on one rank of a 2 x 2 x 2 (or
  // other) process grid; the ranks next to it throw, all at the next reduce.
  weft::distributed_grid<double, 3> g(comm, {4 * size, 6, 5}), h(comm, {4 * size, 6, 5}, {.halo = 0});
  weft::fill(g, 1.0);
  const box_three box{};
  weft::stencil(g, h, weft::box(1), weft::constant{2.0}, box);
  weft::stencil(g, h, weft::box(1), weft::constant{2.0}, box);
  bool threw = false;
  try {
    weft::stencil(g, h, weft::box(1), weft::constant{me == last ? 3.0 : 2.0}, box);
  } catch (const weft::error& e) {
    threw = true;
    CHECK_THAT(e.what(), ContainsSubstring("ranks disagree on the boundary value"));
  }
  CHECK((threw || me != last));  // the rank that differs always knows
  CHECK_THROWS_WITH(weft::reduce(h), ContainsSubstring("ranks disagree on the boundary value"));
  weft::stencil(g, h, weft::box(1), weft::constant{2.0}, box);
  CHECK(weft::reduce(h) == weft::reduce(h));
}
