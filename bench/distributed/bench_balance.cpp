// Moving data for load balancing: two vectors (a simulation's two fields)
// moved from block to speed-weighted blocks (rank r weighs r + 1), one call
// for both against one call each, and against the same messages written by
// hand (MPI_Isend / MPI_Irecv of each overlap, both vectors, into arrays
// allocated once: the floor, with no allocation of the new vectors).
//
//   redistribute2/weft_tuple/n   std::tie(x, y) = weft::redistribute(std::tie(x, y), to) (and back)
//   redistribute2/weft_each/n    x = weft::redistribute(x, to); y = weft::redistribute(y, to) (and back)
//   redistribute2/mpi/n          hand-written overlaps, both vectors (there and back)
//
//   redistribute_grid2d/weft/n   u = weft::redistribute(u, to) for an n x n grid (halo 1) from block
//                                splits to speed-weighted splits (and back)
//   gather_grid2d/weft/n         weft::gather(u, 0) of an n x n grid (halo 1)
//   gather_grid2d/mpi/n          by hand: each block packed into a host array, MPI_Gatherv of the
//                                blocks, root copies their rows into the field (weft before issue 26)
//   gather1d/weft/n, gather1d/mpi/n   weft::gather(x, 0) of a vector, and MPI_Gatherv of the blocks
//
// Each iteration moves there and back, so the layout it starts from is the
// same every time. n is the global size of each vector, the side of each grid.

#include "common.hpp"

#include <algorithm>
#include <array>
#include <tuple>
#include <vector>

namespace weft_dbench {
namespace {

using dvector = weft::distributed_vector<double>;

weft::partition rising(std::int64_t n) {
  std::vector<double> w(static_cast<std::size_t>(world_size()));
  for (std::size_t r = 0; r < w.size(); ++r) w[r] = double(r + 1);
  return weft::partition::weighted(n, w);
}

struct pair_data {
  weft::communicator comm;
  dvector x, y;
};

pair_data& pair(std::int64_t n) {
  return cached<pair_data>("balance/" + std::to_string(n), [n] {
    weft::communicator comm(MPI_COMM_WORLD);
    const auto p = weft::partition::block(n, comm.size());
    pair_data d{comm, dvector(comm, p), dvector(comm, p)};
    weft::for_each_index(d.x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = pattern(i, 1); });
    weft::for_each_index(d.y, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = pattern(i, 2); });
    Kokkos::fence();
    return d;
  });
}

void check_moved(const std::string& name, const dvector& v, int seed) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v.local());
  for (std::int64_t i = 0; i < v.local_size(); ++i)
    check_value(name, "element " + std::to_string(v.offset() + i), host(i), pattern(v.offset() + i, seed));
}

// Elements this rank sends (or receives) moving between from and to.
traffic move_traffic(const weft::partition& from, const weft::partition& to, double bytes_per_element) {
  const int me = world_rank();
  const std::int64_t lo = std::max(from.offset(me), to.offset(me));
  const std::int64_t hi = std::min(from.offset(me + 1), to.offset(me + 1));
  const double kept = double(std::max<std::int64_t>(0, hi - lo));
  int peers = 0;
  for (int q = 0; q < from.ranks(); ++q)
    if (q != me && std::max(from.offset(me), to.offset(q)) < std::min(from.offset(me + 1), to.offset(q + 1))) ++peers;
  return {double(peers), bytes_per_element * (double(from.local_size(me)) - kept)};
}

void register_pair(std::int64_t n) {
  add("redistribute2", "weft_tuple", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = pair(n);
    const auto from = d.x.partition(), to = rising(n);
    auto [x, y] = weft::redistribute(std::tie(d.x, d.y), to);
    check_moved(name, x, 1);
    check_moved(name, y, 2);
    time_loop(state, [&] {
      std::tie(x, y) = weft::redistribute(std::tie(d.x, d.y), to);
      std::tie(x, y) = weft::redistribute(std::tie(x, y), from);
    });
    auto t = move_traffic(from, to, 16);
    return traffic{2 * t.messages, 2 * t.bytes};
  });
  add("redistribute2", "weft_each", n, [n](benchmark::State& state, const std::string&) {
    auto& d = pair(n);
    const auto from = d.x.partition(), to = rising(n);
    time_loop(state, [&] {
      auto x = weft::redistribute(d.x, to);
      auto y = weft::redistribute(d.y, to);
      x = weft::redistribute(x, from);
      y = weft::redistribute(y, from);
    });
    auto t = move_traffic(from, to, 8);
    return traffic{4 * t.messages, 4 * t.bytes};
  });
  if constexpr (!host_default) return;
  add("redistribute2", "mpi", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = pair(n);
    const auto from = d.x.partition(), to = rising(n);
    const int me = world_rank(), p = world_size();
    std::vector<double> x_new(static_cast<std::size_t>(to.local_size(me))), y_new(x_new.size());
    auto move = [&](const weft::partition& a, const weft::partition& b, double* x_from, double* y_from, double* x_to,
                    double* y_to) {
      std::vector<MPI_Request> requests;
      for (int q = 0; q < p; ++q) {
        // Receive b's block from a's owners; send a's block to b's owners.
        const std::int64_t rlo = std::max(b.offset(me), a.offset(q)), rhi = std::min(b.offset(me + 1), a.offset(q + 1));
        const std::int64_t slo = std::max(a.offset(me), b.offset(q)), shi = std::min(a.offset(me + 1), b.offset(q + 1));
        if (rlo < rhi && q != me) {
          requests.resize(requests.size() + 2);
          MPI_Irecv(x_to + (rlo - b.offset(me)), int(rhi - rlo), MPI_DOUBLE, q, 1, MPI_COMM_WORLD, &requests.end()[-2]);
          MPI_Irecv(y_to + (rlo - b.offset(me)), int(rhi - rlo), MPI_DOUBLE, q, 2, MPI_COMM_WORLD, &requests.end()[-1]);
        }
        if (slo < shi && q != me) {
          requests.resize(requests.size() + 2);
          MPI_Isend(x_from + (slo - a.offset(me)), int(shi - slo), MPI_DOUBLE, q, 1, MPI_COMM_WORLD, &requests.end()[-2]);
          MPI_Isend(y_from + (slo - a.offset(me)), int(shi - slo), MPI_DOUBLE, q, 2, MPI_COMM_WORLD, &requests.end()[-1]);
        }
        if (slo < shi && q == me) {
          std::copy(x_from + (slo - a.offset(me)), x_from + (shi - a.offset(me)), x_to + (slo - b.offset(me)));
          std::copy(y_from + (slo - a.offset(me)), y_from + (shi - a.offset(me)), y_to + (slo - b.offset(me)));
        }
      }
      MPI_Waitall(int(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
    };
    double* x = d.x.local().data();
    double* y = d.y.local().data();
    move(from, to, x, y, x_new.data(), y_new.data());
    for (std::int64_t i = 0; i < to.local_size(me); ++i) {
      check_value(name, "x", x_new[std::size_t(i)], pattern(to.offset(me) + i, 1));
      check_value(name, "y", y_new[std::size_t(i)], pattern(to.offset(me) + i, 2));
    }
    time_loop(state, [&] {
      move(from, to, x, y, x_new.data(), y_new.data());
      move(to, from, x_new.data(), y_new.data(), x, y);
    });
    auto t = move_traffic(from, to, 8);
    return traffic{4 * t.messages, 4 * t.bytes};
  });
}

using dgrid = weft::distributed_grid<double, 2>;

dgrid& grid_of(std::int64_t n) {
  return cached<dgrid>("balance/grid/" + std::to_string(n), [n] {
    dgrid u(weft::communicator(MPI_COMM_WORLD), {n, n}, {.halo = 1});
    weft::for_each_index(
        u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) { v = pattern(i * n + j, 3); });
    Kokkos::fence();
    return u;
  });
}

void check_field(const std::string& name, const std::vector<double>& field, std::int64_t n) {
  if (world_rank() != 0) return;
  check_value(name, "size", double(field.size()), double(n * n));
  for (std::int64_t k = 0; k < n * n; k += 997) check_value(name, "point", field[std::size_t(k)], pattern(k, 3));
}

void register_grid_moves(std::int64_t n) {
  add("redistribute_grid2d", "weft", n, [n](benchmark::State& state, const std::string& name) {
    auto& u = grid_of(n);
    const auto from = u.splits();
    std::vector<double> speeds(static_cast<std::size_t>(world_size()));
    for (std::size_t r = 0; r < speeds.size(); ++r) speeds[r] = double(r + 1);
    const auto to = weft::weighted_splits<2>({n, n}, u.dims(), speeds, 1);
    auto v = weft::redistribute(u, to);
    check_field(name, weft::gather(v, 0), n);
    time_loop(state, [&] {
      v = weft::redistribute(u, to);
      v = weft::redistribute(v, from);
    });
    return traffic{0, 0};
  });
  add("gather_grid2d", "weft", n, [n](benchmark::State& state, const std::string& name) {
    auto& u = grid_of(n);
    check_field(name, weft::gather(u, 0), n);
    time_loop(state, [&] { benchmark::DoNotOptimize(weft::gather(u, 0)); });
    return traffic{0, 0};
  });
  if constexpr (!host_default) return;
  add("gather_grid2d", "mpi", n, [n](benchmark::State& state, const std::string& name) {
    auto& u = grid_of(n);
    const int p = world_size(), me = world_rank();
    // Every rank's block: extents and offsets from the splits, in MPI's row-major Cartesian order.
    std::vector<int> counts(static_cast<std::size_t>(p)), displs(static_cast<std::size_t>(p));
    std::vector<std::array<std::int64_t, 4>> blocks(static_cast<std::size_t>(p));
    for (int r = 0, at = 0; r < p; ++r) {
      const int c0 = r / u.dims()[1], c1 = r % u.dims()[1];
      blocks[std::size_t(r)] = {u.split(0).offset(c0), u.split(0).local_size(c0), u.split(1).offset(c1),
                                u.split(1).local_size(c1)};
      counts[std::size_t(r)] = int(blocks[std::size_t(r)][1] * blocks[std::size_t(r)][3]);
      displs[std::size_t(r)] = at;
      at += counts[std::size_t(r)];
    }
    auto gather = [&] {
      const auto local = u.local();
      std::vector<double> mine(std::size_t(local.extent(0) * local.extent(1)));
      for (std::size_t i = 0; i < local.extent(0); ++i)
        for (std::size_t j = 0; j < local.extent(1); ++j) mine[i * local.extent(1) + j] = local(i, j);
      std::vector<double> packed(me == 0 ? std::size_t(n * n) : 0), field(packed.size());
      MPI_Gatherv(mine.data(), int(mine.size()), MPI_DOUBLE, packed.data(), counts.data(), displs.data(), MPI_DOUBLE, 0,
                  MPI_COMM_WORLD);
      if (me == 0)
        for (int r = 0; r < p; ++r) {
          const auto& b = blocks[std::size_t(r)];
          for (std::int64_t i = 0; i < b[1]; ++i)
            std::copy_n(packed.begin() + displs[std::size_t(r)] + i * b[3], b[3],
                        field.begin() + (b[0] + i) * n + b[2]);
        }
      return field;
    };
    check_field(name, gather(), n);
    time_loop(state, [&] { benchmark::DoNotOptimize(gather()); });
    return traffic{0, 0};
  });
}

void register_vector_gather(std::int64_t n) {
  add("gather1d", "weft", n, [n](benchmark::State& state, const std::string&) {
    auto& d = pair(n);
    time_loop(state, [&] { benchmark::DoNotOptimize(weft::gather(d.x, 0)); });
    return traffic{0, 0};
  });
  if constexpr (!host_default) return;
  add("gather1d", "mpi", n, [n](benchmark::State& state, const std::string&) {
    auto& d = pair(n);
    const int p = world_size();
    std::vector<int> counts(static_cast<std::size_t>(p)), displs(static_cast<std::size_t>(p));
    for (int r = 0; r < p; ++r) {
      counts[std::size_t(r)] = int(d.x.partition().local_size(r));
      displs[std::size_t(r)] = int(d.x.partition().offset(r));
    }
    time_loop(state, [&] {
      std::vector<double> all(world_rank() == 0 ? std::size_t(n) : 0);
      MPI_Gatherv(d.x.local().data(), int(d.x.local_size()), MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                  MPI_DOUBLE, 0, MPI_COMM_WORLD);
      benchmark::DoNotOptimize(all);
    });
    return traffic{0, 0};
  });
}

}  // namespace

void register_balance_benchmarks() {
  for (const std::int64_t n : {std::int64_t(1) << 16, std::int64_t(1) << 20, std::int64_t(1) << 24}) register_pair(n);
  for (const std::int64_t n : {std::int64_t(512), std::int64_t(2048)}) register_grid_moves(n);
  for (const std::int64_t n : {std::int64_t(1) << 16, std::int64_t(1) << 22}) register_vector_gather(n);
}

}  // namespace weft_dbench
