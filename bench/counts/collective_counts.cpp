// weft-collective-counts: what each of weft's collective algorithms moves
// per rank per call, counted with the MPI profiling interface (this program
// defines the MPI calls weft makes and forwards them to PMPI_*).
//
//   mpiexec -n P weft-collective-counts   # one table row per algorithm
//
// For each algorithm: the messages a rank sends and receives, the bytes it
// receives, and the MPI collective calls it makes, the most over all ranks.
// A point-to-point message counts its bytes exactly. An MPI collective
// counts as one call and, for its bytes, what a rank's receive buffer
// takes in: an allgather P times the part, an allreduce, a broadcast or an
// exscan the payload once (what MPI itself moves underneath is MPI's, about
// log P messages of that size). scripts/collective_counts.py runs it at
// P = 2 .. 64 and writes bench/results/collectives.md: flat in P is what
// weft promises for everything but the inherent O(P) structures that
// bench/README names.

#include <weft/distributed.hpp>

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

struct counts {
  std::int64_t sent = 0, received = 0, bytes_received = 0, collectives = 0, communicators = 0, datatypes = 0;
};
counts tally;
bool counting = false;

std::int64_t bytes_of(int count, MPI_Datatype type) {
  int size = 0;
  PMPI_Type_size(type, &size);
  return static_cast<std::int64_t>(count) * size;
}
int size_of(MPI_Comm comm) {
  int p = 1;
  PMPI_Comm_size(comm, &p);
  return p;
}
void message_out() {
  if (counting) ++tally.sent;
}
// A receive: its buffer's size (weft's receives are exact).
void message_in(int count, MPI_Datatype type) {
  if (!counting) return;
  ++tally.received;
  tally.bytes_received += bytes_of(count, type);
}
void collective(std::int64_t bytes) {
  if (!counting) return;
  ++tally.collectives;
  tally.bytes_received += bytes;
}

}  // namespace

extern "C" {
int MPI_Send(const void* buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
  message_out();
  return PMPI_Send(buf, count, type, dest, tag, comm);
}
int MPI_Isend(const void* buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm, MPI_Request* req) {
  message_out();
  return PMPI_Isend(buf, count, type, dest, tag, comm, req);
}
int MPI_Recv(void* buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Status* status) {
  message_in(count, type);
  return PMPI_Recv(buf, count, type, source, tag, comm, status);
}
int MPI_Irecv(void* buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Request* req) {
  message_in(count, type);
  return PMPI_Irecv(buf, count, type, source, tag, comm, req);
}
int MPI_Sendrecv(const void* sbuf, int scount, MPI_Datatype stype, int dest, int stag, void* rbuf, int rcount,
                 MPI_Datatype rtype, int source, int rtag, MPI_Comm comm, MPI_Status* status) {
  message_out();
  message_in(rcount, rtype);
  return PMPI_Sendrecv(sbuf, scount, stype, dest, stag, rbuf, rcount, rtype, source, rtag, comm, status);
}
int MPI_Allreduce(const void* s, void* r, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  collective(bytes_of(count, type));
  return PMPI_Allreduce(s, r, count, type, op, comm);
}
int MPI_Exscan(const void* s, void* r, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  collective(bytes_of(count, type));
  return PMPI_Exscan(s, r, count, type, op, comm);
}
int MPI_Bcast(void* buf, int count, MPI_Datatype type, int root, MPI_Comm comm) {
  collective(bytes_of(count, type));
  return PMPI_Bcast(buf, count, type, root, comm);
}
int MPI_Allgather(const void* s, int scount, MPI_Datatype stype, void* r, int rcount, MPI_Datatype rtype,
                  MPI_Comm comm) {
  collective(bytes_of(rcount, rtype) * size_of(comm));
  return PMPI_Allgather(s, scount, stype, r, rcount, rtype, comm);
}
int MPI_Allgatherv(const void* s, int scount, MPI_Datatype stype, void* r, const int rcounts[], const int displs[],
                   MPI_Datatype rtype, MPI_Comm comm) {
  std::int64_t total = 0;
  for (int q = 0; q < size_of(comm); ++q) total += bytes_of(rcounts[q], rtype);
  collective(total);
  return PMPI_Allgatherv(s, scount, stype, r, rcounts, displs, rtype, comm);
}
int MPI_Alltoall(const void* s, int scount, MPI_Datatype stype, void* r, int rcount, MPI_Datatype rtype,
                 MPI_Comm comm) {
  collective(bytes_of(rcount, rtype) * size_of(comm));
  return PMPI_Alltoall(s, scount, stype, r, rcount, rtype, comm);
}
int MPI_Alltoallv(const void* s, const int scounts[], const int sdispls[], MPI_Datatype stype, void* r,
                  const int rcounts[], const int rdispls[], MPI_Datatype rtype, MPI_Comm comm) {
  std::int64_t total = 0;
  for (int q = 0; q < size_of(comm); ++q) total += bytes_of(rcounts[q], rtype);
  collective(total);
  return PMPI_Alltoallv(s, scounts, sdispls, stype, r, rcounts, rdispls, rtype, comm);
}
int MPI_Barrier(MPI_Comm comm) {
  collective(0);
  return PMPI_Barrier(comm);
}
// Communicators made (each also counts as a collective).
int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* out) {
  if (counting) ++tally.communicators;
  collective(0);
  return PMPI_Comm_dup(comm, out);
}
int MPI_Cart_create(MPI_Comm comm, int n, const int dims[], const int periods[], int reorder, MPI_Comm* out) {
  if (counting) ++tally.communicators;
  collective(0);
  return PMPI_Cart_create(comm, n, dims, periods, reorder, out);
}
int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm* out) {
  if (counting) ++tally.communicators;
  collective(0);
  return PMPI_Comm_split(comm, color, key, out);
}
// Derived datatypes made (halo plans describe boxes of the storage with them).
int MPI_Type_create_subarray(int n, const int sizes[], const int subsizes[], const int starts[], int order,
                             MPI_Datatype old, MPI_Datatype* out) {
  if (counting) ++tally.datatypes;
  return PMPI_Type_create_subarray(n, sizes, subsizes, starts, order, old, out);
}
}

namespace {

// A 4 KiB value with an element-wise sum: a small model's gradient.
struct gradient {
  double g[512];
};
// The 5-point Laplacian (a functor: nvcc compiles no generic device lambda).
struct laplacian_2d {
  template <class Nb>
  KOKKOS_INLINE_FUNCTION double operator()(const Nb& nb) const {
    return nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0);
  }
};
struct add_gradient {
  KOKKOS_INLINE_FUNCTION gradient operator()(const gradient& a, const gradient& b) const {
    gradient c;
    for (int k = 0; k < 512; ++k) c.g[k] = a.g[k] + b.g[k];
    return c;
  }
};

// Runs f once uncounted (plans, first-touch), then counts one call; returns
// the most any rank counted.
counts count(const weft::communicator& comm, const std::function<void()>& f) {
  f();
  PMPI_Barrier(comm.native());
  tally = {};
  counting = true;
  f();
  counting = false;
  std::array<std::int64_t, 6> mine{tally.sent,        tally.received,      tally.bytes_received,
                                   tally.collectives, tally.communicators, tally.datatypes},
      most{};
  PMPI_Allreduce(mine.data(), most.data(), 6, MPI_INT64_T, MPI_MAX, comm.native());
  return {most[0], most[1], most[2], most[3], most[4], most[5]};
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  Kokkos::initialize(argc, argv);
  {
    weft::communicator comm(MPI_COMM_WORLD);
    const int p = comm.size();
    const std::int64_t n = 1000 * p;  // 1000 elements per rank
    weft::distributed_vector<double> x(comm, n), y(comm, n);
    weft::for_each_index(
        x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = 1.0 / (1 + i % 97); });
    weft::distributed_vector<std::int64_t> keys(comm, n);
    weft::for_each_index(
        keys, KOKKOS_LAMBDA(std::int64_t i, std::int64_t & k) { k = i / 7; });
    // Grids of 64 x 64 and 16 x 16 x 16 cells per rank, on MPI's process grids.
    int dims2[2] = {0, 0}, dims3[3] = {0, 0, 0};
    MPI_Dims_create(p, 2, dims2);
    MPI_Dims_create(p, 3, dims3);
    weft::grid_options periodic2, periodic3;
    periodic2.periodic = periodic3.periodic = {true, true, true};
    periodic2.dims = {dims2[0], dims2[1], 0};
    periodic3.dims = {dims3[0], dims3[1], dims3[2]};
    weft::distributed_grid<double, 2> u(comm, {64 * dims2[0], 64 * dims2[1]}, periodic2),
        v(comm, {64 * dims2[0], 64 * dims2[1]}, periodic2);
    weft::distributed_grid<double, 3> w(comm, {16 * dims3[0], 16 * dims3[1], 16 * dims3[2]}, periodic3);
    Kokkos::View<double*> gradient_view("gradient", 131072);
    volatile double sink = 0;

    struct row {
      const char* name;
      std::function<void()> call;
    };
    const std::vector<row> rows{
        {"reduce (double)", [&] { sink = weft::reduce(x); }},
        {"dot", [&] { sink = weft::transform_reduce(x, y, 0.0, weft::plus{}, weft::multiplies{}); }},
        {"min_loc", [&] { sink = weft::min_loc(x).value; }},
        {"transform_reduce (4 KiB value)",
         [&] {
           sink = weft::transform_reduce(
                      x, gradient{}, add_gradient{},
                      KOKKOS_LAMBDA(double e) {
                        gradient g;
                        for (int k = 0; k < 512; ++k) g.g[k] = e * k;
                        return g;
                      })
                      .g[1];
         }},
        {"all_reduce (1 MiB view)", [&] { weft::all_reduce(comm, gradient_view); }},
        {"reduce, reproducible_plus", [&] { sink = weft::reduce(x, 0.0, weft::reproducible_plus{}); }},
        {"inclusive_scan", [&] { sink = weft::inclusive_scan(x, y); }},
        {"exclusive_scan", [&] { sink = weft::exclusive_scan(x, y, 0.0); }},
        {"copy_if",
         [&] {
           sink = static_cast<double>(weft::copy_if(
                                          x, KOKKOS_LAMBDA(double e) { return e > 0.1; })
                                          .global_size());
         }},
        {"reduce_by_key", [&] { sink = static_cast<double>(weft::reduce_by_key(keys, x).keys.global_size()); }},
        {"check_replicated (8 B)", [&] { weft::check_replicated(comm, 42.0); }},
        {"2-D stencil (cross 1)", [&] { weft::stencil(u, v, weft::cross(1), weft::periodic{}, laplacian_2d{}); }},
        {"3-D halo exchange (box 1)", [&] { w.exchange_halo(weft::periodic{}); }},
    };
    if (comm.rank() == 0)
      std::printf(
          "| ranks | algorithm | messages sent | messages received | bytes received | MPI collectives |\n"
          "|--:|:--|--:|--:|--:|--:|\n");
    for (const auto& r : rows) {
      const counts c = count(comm, r.call);
      if (comm.rank() == 0)
        std::printf("| %d | %s | %lld | %lld | %lld | %lld |\n", p, r.name, static_cast<long long>(c.sent),
                    static_cast<long long>(c.received), static_cast<long long>(c.bytes_received),
                    static_cast<long long>(c.collectives));
    }
    // Building fields and exchanging each one's halo once: 100 grids on one
    // layout (one communicator, one plan), or 100 built alone (each with
    // its own agreement, Cartesian communicator and plan). The layout is
    // made inside the call, so its own cost counts.
    const weft::grid_layout<2> shape(comm, {64 * dims2[0], 64 * dims2[1]}, periodic2);
    const std::vector<row> builds{
        {"a layout and 100 grids on it, each exchanging its halo",
         [&] {
           const weft::grid_layout<2> layout(comm, shape.extents(), periodic2);
           std::vector<weft::distributed_grid<double, 2>> fields;
           for (int k = 0; k < 100; ++k) fields.emplace_back(layout);
           for (const auto& f : fields) f.exchange_halo(weft::periodic{});
         }},
        {"100 grids built alone, each exchanging its halo",
         [&] {
           std::vector<weft::distributed_grid<double, 2>> fields;
           for (int k = 0; k < 100; ++k) fields.emplace_back(comm, shape.extents(), periodic2);
           for (const auto& f : fields) f.exchange_halo(weft::periodic{});
         }},
    };
    if (comm.rank() == 0)
      std::printf(
          "\n| ranks | built | communicators made | MPI datatypes made | MPI collectives |\n"
          "|--:|:--|--:|--:|--:|\n");
    for (const auto& r : builds) {
      const counts c = count(comm, r.call);
      if (comm.rank() == 0)
        std::printf("| %d | %s | %lld | %lld | %lld |\n", p, r.name, static_cast<long long>(c.communicators),
                    static_cast<long long>(c.datatypes), static_cast<long long>(c.collectives));
    }
  }
  Kokkos::finalize();
  MPI_Finalize();
}
