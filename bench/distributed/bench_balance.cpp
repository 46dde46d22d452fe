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
// Each iteration moves there and back, so the layout it starts from is the
// same every time. n is the global size of each vector.

#include "common.hpp"

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

}  // namespace

void register_balance_benchmarks() {
  for (const std::int64_t n : {std::int64_t(1) << 16, std::int64_t(1) << 20, std::int64_t(1) << 24}) register_pair(n);
}

}  // namespace weft_dbench
