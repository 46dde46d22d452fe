// A seeded, randomized fuzz of the distributed layer against sequential
// references: random sizes, rank counts (sub-communicators of 1 to all
// ranks), partitions (block, weighted with zero weights, explicit with
// empty blocks), ghost widths, grids (2-D and 3-D, process grids, halos,
// periodicity, box or cross halos), boundaries, a non-commutative scan, NaN, and
// injected errors (a layout or an argument that differs on one rank, input
// that is wrong everywhere), each of which must throw weft::error on every
// rank of the case.
//
// Every rank draws the same cases from the same seed. By default CI runs
// 150 cases at each of 1 to 4 ranks; for more, or to replay one case:
//   WEFT_FUZZ_CASES=5000 mpiexec -n 4 build/dev/tests/distributed/weft_distributed_tests "[fuzz]"
//   WEFT_FUZZ_SEED=<seed printed by a failure> WEFT_FUZZ_CASES=1 mpiexec -n 4 ... "[fuzz]"
#include <weft/distributed.hpp>

#include <catch2/catch_test_macros.hpp>

#include "affine.hpp"
#include "data.hpp"
#include "distributed.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace weft_test;

namespace {

// The same draws on every rank.
class fuzz_rng {
 public:
  explicit fuzz_rng(std::uint64_t seed) : engine_(seed) {}
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(engine_);
  }
  bool coin(double p = 0.5) { return std::uniform_real_distribution<double>(0, 1)(engine_) < p; }
  // 0, 1, a few, a prime, or up to a few thousand.
  std::int64_t size() {
    static constexpr std::int64_t primes[] = {2, 3, 7, 13, 31, 97, 251, 1009, 4093};
    switch (uniform(0, 5)) {
      case 0: return uniform(0, 1);
      case 1: return uniform(2, 9);
      case 2: return primes[uniform(0, 8)];
      default: return uniform(0, 3000);
    }
  }
  weft::partition partition(std::int64_t n, int ranks, std::string& what) {
    switch (uniform(0, 2)) {
      case 0: what += " block"; return weft::partition::block(n, ranks);
      case 1: {
        std::vector<double> w(ranks);
        for (auto& x : w) x = coin(0.25) ? 0.0 : double(uniform(1, 10));
        if (std::all_of(w.begin(), w.end(), [](double x) { return x == 0; })) w[ranks - 1] = 1;
        what += " weighted";
        return weft::partition::weighted(n, w);
      }
      default: {
        std::vector<std::int64_t> cuts{0, n};
        for (int r = 1; r < ranks; ++r) cuts.push_back(uniform(0, n));
        std::sort(cuts.begin(), cuts.end());
        std::vector<std::int64_t> sizes(ranks);
        for (int r = 0; r < ranks; ++r) sizes[r] = cuts[r + 1] - cuts[r];
        what += " explicit";
        return weft::partition::from_sizes(sizes);
      }
    }
  }
  std::vector<std::int64_t> values(std::int64_t n, std::int64_t lo, std::int64_t hi) {
    std::vector<std::int64_t> v(n);
    for (auto& x : v) x = uniform(lo, hi);
    return v;
  }

 private:
  std::mt19937_64 engine_;
};

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* s = std::getenv(name);
  return s && *s ? std::strtoull(s, nullptr, 10) : fallback;
}

enum class bc_kind { periodic, clamp, constant, interior_only };
const char* name_of(bc_kind k) {
  switch (k) {
    case bc_kind::periodic: return "periodic";
    case bc_kind::clamp: return "clamp";
    case bc_kind::constant: return "constant";
    default: return "interior_only";
  }
}

constexpr int max_side = 5;  // 2 * radius + 1 for radius <= 2
using weights_t = Kokkos::Array<std::int64_t, max_side * max_side * max_side>;

// sum of w(offset) * in(point + offset) over the radius-r box (or its axes only).
template <int R>
struct fuzz_stencil {
  weights_t w;
  int r;
  bool cross;
  template <class Nb>
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(const Nb& nb) const {
    std::int64_t s = 0;
    const int side = 2 * r + 1;
    if constexpr (R == 1) {
      for (int i = -r; i <= r; ++i) s += w[i + r] * nb(i);
    } else if constexpr (R == 2) {
      for (int i = -r; i <= r; ++i)
        for (int j = -r; j <= r; ++j)
          if (!cross || i == 0 || j == 0) s += w[(i + r) * side + j + r] * nb(i, j);
    } else {
      for (int i = -r; i <= r; ++i)
        for (int j = -r; j <= r; ++j)
          for (int k = -r; k <= r; ++k)
            if (!cross || (i == 0 && j == 0) || (i == 0 && k == 0) || (j == 0 && k == 0))
              s += w[((i + r) * side + j + r) * side + k + r] * nb(i, j, k);
    }
    return s;
  }
};

// The sequential reference of the stencil above on a row-major global field.
template <int R>
std::vector<std::int64_t> reference_stencil(const std::vector<std::int64_t>& field, const std::array<std::int64_t, 3>& n,
                                            const fuzz_stencil<R>& f, bc_kind kind, std::int64_t constant,
                                            const std::array<bool, 3>& periodic, std::vector<std::int64_t> out) {
  const int r = f.r, side = 2 * r + 1;
  std::int64_t points = 1;
  for (int d = 0; d < R; ++d) points *= n[d];
  for (std::int64_t at = 0; at < points; ++at) {
    std::array<std::int64_t, 3> p{};
    std::int64_t rest = at;
    for (int d = R - 1; d >= 0; --d) {
      p[d] = rest % n[d];
      rest /= n[d];
    }
    bool skip = false;
    for (int d = 0; d < R; ++d)
      skip = skip || (kind == bc_kind::interior_only && !periodic[d] && (p[d] < r || p[d] >= n[d] - r));
    if (skip) continue;
    std::int64_t s = 0;
    std::int64_t offsets = 1;
    for (int d = 0; d < R; ++d) offsets *= side;
    for (std::int64_t c = 0; c < offsets; ++c) {
      std::array<int, 3> o{};
      std::int64_t t = c;
      int nonzero = 0;
      for (int d = R - 1; d >= 0; --d) {
        o[d] = int(t % side) - r;
        t /= side;
        nonzero += o[d] != 0;
      }
      if (f.cross && nonzero > 1) continue;
      std::int64_t q = 0;
      bool outside_constant = false;
      for (int d = 0; d < R; ++d) {
        std::int64_t x = p[d] + o[d];
        if (x < 0 || x >= n[d]) {
          if (periodic[d] || kind == bc_kind::periodic) x = ((x % n[d]) + n[d]) % n[d];
          else if (kind == bc_kind::clamp) x = x < 0 ? 0 : n[d] - 1;
          else outside_constant = true;
        }
        q = q * n[d] + x;
      }
      s += f.w[c] * (outside_constant ? constant : field[q]);
    }
    out[at] = s;
  }
  return out;
}

// Calls the distributed stencil with the boundary of `kind`.
template <class In, class Out, class F>
void run_stencil(const In& in, const Out& out, weft::reach r, bc_kind kind, std::int64_t constant, const F& f) {
  switch (kind) {
    case bc_kind::periodic: weft::stencil(in, out, r, weft::periodic{}, f); break;
    case bc_kind::clamp: weft::stencil(in, out, r, weft::clamp{}, f); break;
    case bc_kind::constant: weft::stencil(in, out, r, weft::constant<std::int64_t>{constant}, f); break;
    default: weft::stencil(in, out, r, weft::interior_only{}, f); break;
  }
}

// Whether f threw weft::error on every rank of comm (false if on some only,
// which the MPI_Allreduce here would also reveal as a hang-free mismatch).
template <class F>
bool throws_everywhere(const weft::communicator& comm, F f) {
  int threw = 0;
  try {
    f();
  } catch (const weft::error&) {
    threw = 1;
  }
  int all = 0, any = 0;
  MPI_Allreduce(&threw, &all, 1, MPI_INT, MPI_MIN, comm.native());
  MPI_Allreduce(&threw, &any, 1, MPI_INT, MPI_MAX, comm.native());
  return all == 1 && any == 1;
}

template <class X>
std::vector<typename X::value_type> host_all(const X& x) {
  return weft::all_gather(x);
}

// One vector case: returns whether every check held.
bool vector_case(fuzz_rng& rng, const weft::communicator& comm, std::string& what) {
  using M = Kokkos::DefaultExecutionSpace::memory_space;
  const int ranks = comm.size(), me = comm.rank();
  const std::int64_t n = rng.size();
  what += " vector n=" + std::to_string(n);
  const auto p = rng.partition(n, ranks, what);
  const int g = int(rng.uniform(0, 3));
  what += " ghosts=" + std::to_string(g);
  const auto global = rng.values(n, -50, 50);
  bool ok = true;

  if (rng.coin(0.2)) {  // an injected error
    const int victim = int(rng.uniform(0, ranks - 1));
    const int kind = int(rng.uniform(0, ranks > 1 ? 5 : 1));
    what += " error " + std::to_string(kind) + " on rank " + std::to_string(victim);
    auto x = make_vector<std::int64_t, M>(comm, p, global, g);
    weft::distributed_vector<std::int64_t, M> y(comm, p);
    const fuzz_stencil<1> centre{weights_t{}, 0, false};
    switch (kind) {
      case 0: return throws_everywhere(comm, [&] { run_stencil(x, y, g + 1, bc_kind::clamp, 0, centre); });
      case 1: return throws_everywhere(comm, [&] { (void)weft::gather(x, ranks); });
      case 2:
        return throws_everywhere(comm, [&] {
          weft::distributed_vector<double, M> z(comm, weft::partition::block(n + (me == victim), ranks));
        });
      case 3:
        return throws_everywhere(
            comm, [&] { weft::distributed_vector<double, M> z(comm, p, weft::halo{g + (me == victim)}); });
      case 4:
        return throws_everywhere(comm, [&] { run_stencil(x, y, me == victim ? 1 : 0, bc_kind::clamp, 0, centre); });
      default:
        return throws_everywhere(comm, [&] {
          if (me == victim) x.exchange_halo(weft::periodic{});
          else x.exchange_halo(weft::clamp{});
        });
    }
  }

  auto x = make_vector<std::int64_t, M>(comm, p, global, g);
  // Reductions: exact on integers.
  std::int64_t sum = 0;
  for (auto v : global) sum += v;
  ok = ok && weft::reduce(x) == sum && weft::reduce(x, std::int64_t{7}) == sum + 7;
  if (n > 0) {
    const auto lo = weft::min_loc(x), hi = weft::max_loc(x);
    const auto lo_it = std::min_element(global.begin(), global.end());
    const auto hi_it = std::max_element(global.begin(), global.end());
    ok = ok && lo.value == *lo_it && lo.index == lo_it - global.begin() && hi.value == *hi_it &&
         hi.index == hi_it - global.begin();
  }
  // A non-commutative scan, inclusive and exclusive.
  {
    std::vector<affine> maps(n);
    for (std::int64_t i = 0; i < n; ++i) maps[i] = {std::uint64_t(global[i] * 2 + 1), std::uint64_t(global[i] + 3)};
    auto a = make_vector<affine, M>(comm, p, maps);
    weft::distributed_vector<affine, M> s(comm, p);
    const affine init{3, 5};
    const affine total = weft::exclusive_scan(a, s, init, then{});
    std::vector<affine> expected(n);
    affine acc = init;
    for (std::int64_t i = 0; i < n; ++i) {
      expected[i] = acc;
      acc = then{}(acc, maps[i]);
    }
    ok = ok && total == acc && host_all(s) == expected;
    weft::inclusive_scan(a, a, then{});
    acc = {1, 0};
    for (std::int64_t i = 0; i < n; ++i) expected[i] = acc = then{}(acc, maps[i]);
    ok = ok && host_all(a) == expected;
  }
  // A stencil of random radius (up to the ghosts) and boundary.
  {
    const int r = int(rng.uniform(0, g));
    auto kind = bc_kind(rng.uniform(0, 3));
    if (kind == bc_kind::periodic && r > n) kind = bc_kind::clamp;
    const std::int64_t constant = rng.uniform(-9, 9);
    fuzz_stencil<1> f{weights_t{}, r, false};
    for (int k = 0; k < 2 * r + 1; ++k) f.w[k] = rng.uniform(-3, 3);
    what += std::string(" stencil r=") + std::to_string(r) + " " + name_of(kind);
    std::vector<std::int64_t> before(n, -1);
    auto y = make_vector<std::int64_t, M>(comm, p, before);
    run_stencil(x, y, r, kind, constant, f);
    const auto expected = reference_stencil<1>(global, {n, 1, 1}, f, kind, constant, {false, false, false}, before);
    ok = ok && host_all(y) == expected;
  }
  // Movement: redistribute to another partition, gather on a random root.
  {
    std::string unused;
    const auto q = rng.partition(n, ranks, unused);
    const auto z = weft::redistribute(x, q);
    ok = ok && z.partition() == q && host_all(z) == global;
    const int root = int(rng.uniform(0, ranks - 1));
    const auto gathered = weft::gather(x, root);
    ok = ok && (me == root ? gathered == global : gathered.empty());
  }
  // NaN in min_loc: the first NaN, on any partition.
  if (n > 0) {
    std::vector<double> d(global.begin(), global.end());
    const std::int64_t first = rng.uniform(0, n - 1);
    d[first] = std::numeric_limits<double>::quiet_NaN();
    if (first + 1 < n && rng.coin()) d[rng.uniform(first + 1, n - 1)] = std::numeric_limits<double>::quiet_NaN();
    auto dv = make_vector<double, M>(comm, p, d);
    const auto lo = weft::min_loc(dv), hi = weft::max_loc(dv);
    ok = ok && std::isnan(lo.value) && lo.index == first && std::isnan(hi.value) && hi.index == first;
  }
  return ok;
}

template <int R>
bool grid_case(fuzz_rng& rng, const weft::communicator& comm, std::string& what) {
  using M = Kokkos::DefaultExecutionSpace::memory_space;
  const int ranks = comm.size(), me = comm.rank();
  weft::grid_options opt;
  opt.halo = int(rng.uniform(0, 2));
  const bool cross_grid = rng.coin();
  opt.shape = cross_grid ? weft::stencil_shape::cross : weft::stencil_shape::box;
  for (int d = 0; d < R; ++d) opt.periodic[d] = rng.coin();
  // A process grid: MPI's choice, or one given in full.
  int dims[3] = {0, 0, 0};
  if (rng.coin()) {
    int left = ranks;
    for (int d = 0; d < R - 1; ++d) {
      std::vector<int> divisors;
      for (int k = 1; k <= left; ++k)
        if (left % k == 0) divisors.push_back(k);
      dims[d] = divisors[rng.uniform(0, std::int64_t(divisors.size()) - 1)];
      left /= dims[d];
    }
    dims[R - 1] = left;
    for (int d = 0; d < R; ++d) opt.dims[d] = dims[d];
  }
  MPI_Dims_create(ranks, R, dims);
  std::array<std::int64_t, R> n;
  std::array<std::int64_t, 3> n3{1, 1, 1};
  for (int d = 0; d < R; ++d) n3[d] = n[d] = dims[d] * std::max(1, opt.halo) + rng.uniform(0, R == 2 ? 12 : 5);
  what += " grid " + std::to_string(R) + "-D " + std::to_string(n3[0]) + "x" + std::to_string(n3[1]) + "x" +
          std::to_string(n3[2]) + " halo=" + std::to_string(opt.halo) + (cross_grid ? " cross" : " box");
  std::int64_t points = 1;
  for (int d = 0; d < R; ++d) points *= n[d];
  const auto field = rng.values(points, -20, 20);

  if (rng.coin(0.2)) {  // an injected error
    const int victim = int(rng.uniform(0, ranks - 1));
    const int kind = int(rng.uniform(0, ranks > 1 ? 3 : 1));
    what += " error " + std::to_string(kind) + " on rank " + std::to_string(victim);
    switch (kind) {
      case 0: {  // a halo wider than the smallest block, everywhere
        weft::grid_options wide = opt;
        wide.halo = int(n[0] / dims[0]) + 1;
        wide.periodic[0] = true;
        return throws_everywhere(comm, [&] { weft::distributed_grid<std::int64_t, R, M> g(comm, n, wide); });
      }
      case 1: {  // a process grid that does not fit
        weft::grid_options bad = opt;
        bad.dims = {ranks + 1, 1, 1};
        return throws_everywhere(comm, [&] { weft::distributed_grid<std::int64_t, R, M> g(comm, n, bad); });
      }
      case 2: {  // extents that differ on one rank
        auto m = n;
        if (me == victim) m[R - 1] += 1;
        return throws_everywhere(comm, [&] { weft::distributed_grid<std::int64_t, R, M> g(comm, m, opt); });
      }
      default: {  // options that differ on one rank
        weft::grid_options other = opt;
        if (me == victim) other.shape = cross_grid ? weft::stencil_shape::box : weft::stencil_shape::cross;
        return throws_everywhere(comm, [&] { weft::distributed_grid<std::int64_t, R, M> g(comm, n, other); });
      }
    }
  }

  weft::distributed_grid<std::int64_t, R, M> u(comm, n, opt), v(comm, n, opt);
  weft::scatter(me == 0 ? field : std::vector<std::int64_t>{}, u, 0);
  std::int64_t sum = 0;
  for (auto x : field) sum += x;
  bool ok = weft::reduce(u) == sum;
  const auto lo = weft::min_loc(u);
  const auto lo_it = std::min_element(field.begin(), field.end());
  std::int64_t at = 0;
  for (int d = 0; d < R; ++d) at = at * n[d] + lo.index[d];
  ok = ok && lo.value == *lo_it && at == lo_it - field.begin();
  // A stencil: a cross one on a cross grid, either on a box grid.
  const int r = int(rng.uniform(0, opt.halo));
  auto kind = bc_kind(rng.uniform(0, 3));
  bool all_periodic = true;
  for (int d = 0; d < R; ++d) all_periodic = all_periodic && opt.periodic[d];
  if (kind == bc_kind::periodic && !all_periodic) kind = bc_kind::constant;
  const std::int64_t constant = rng.uniform(-9, 9);
  fuzz_stencil<R> f{weights_t{}, r, cross_grid || rng.coin()};
  for (std::size_t k = 0; k < f.w.size(); ++k) f.w[k] = rng.uniform(-2, 2);
  what += std::string(" stencil r=") + std::to_string(r) + " " + name_of(kind);
  const std::vector<std::int64_t> before(points, -1);
  weft::scatter(me == 0 ? before : std::vector<std::int64_t>{}, v, 0);
  run_stencil(u, v, f.cross ? weft::cross(r) : weft::box(r), kind, constant, f);
  const auto expected = reference_stencil<R>(field, n3, f, kind, constant, opt.periodic, before);
  const auto got = weft::gather(v, 0);
  int right = me != 0 || got == expected;
  MPI_Bcast(&right, 1, MPI_INT, 0, comm.native());
  return ok && right;
}

}  // namespace

TEST_CASE("fuzz: random distributed cases against sequential references", "[fuzz][distributed]") {
  const std::uint64_t seed = env_or("WEFT_FUZZ_SEED", 20261128);
  const std::uint64_t cases = env_or("WEFT_FUZZ_CASES", 150);
  int world_rank = 0, world_size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  std::uint64_t failures = 0, run = 0, vectors = 0, grids = 0, errors = 0;
  for (std::uint64_t c = 0; c < cases; ++c) {
    const std::uint64_t case_seed = seed + c;
    fuzz_rng rng(case_seed);
    // A sub-communicator of the first k ranks, so one run covers 1 to k ranks.
    const int k = int(rng.uniform(1, world_size));
    MPI_Comm sub = MPI_COMM_NULL;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank < k ? 0 : MPI_UNDEFINED, world_rank, &sub);
    if (sub == MPI_COMM_NULL) continue;
    ++run;
    bool ok = false;
    std::string what = "at " + std::to_string(k) + " ranks:";
    {
      weft::communicator comm(sub);
      try {
        const auto kind = rng.uniform(0, 3);
        if (kind < 2) ++vectors;
        else ++grids;
        switch (kind) {
          case 0:
          case 1: ok = vector_case(rng, comm, what); break;
          case 2: ok = grid_case<2>(rng, comm, what); break;
          default: ok = grid_case<3>(rng, comm, what); break;
        }
        errors += what.find(" error ") != std::string::npos;
      } catch (const std::exception& e) {
        what += std::string(" threw: ") + e.what();
      }
    }
    MPI_Comm_free(&sub);
    if (!ok) {
      ++failures;
      UNSCOPED_INFO("case seed " << case_seed << " " << what);
    }
  }
  if (world_rank == 0)
    std::printf("fuzz: seed %llu, %llu cases on rank 0 (%llu vectors, %llu grids, %llu injected errors)\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(run),
                static_cast<unsigned long long>(vectors), static_cast<unsigned long long>(grids),
                static_cast<unsigned long long>(errors));
  CHECK(run > 0);
  CHECK(failures == 0);
}
