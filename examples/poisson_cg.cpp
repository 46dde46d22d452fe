// Poisson's equation by preconditioned conjugate gradients on a distributed grid.
//
//   mpiexec -n 4 poisson_cg [n] [--precondition none|jacobi|mg] [--reproducible] [--check-iterations K]
//
// Solves -laplace(u) = f on the unit square with u = 0 on the boundary, on
// an n x n grid of interior unknowns (h = 1/(n+1); unknown (i, j) sits at
// x = (i+1) h, y = (j+1) h). The matrix is never formed: A p is one
// weft::stencil of the 5-point Laplacian whose weft::constant{0.0} boundary
// supplies the zero Dirichlet values just outside the grid. Dot products are
// weft::transform_reduce, the vector updates weft::transform.
//
// The preconditioners:
//   none    plain CG: about 3.3 n iterations to |r|/|b| = 1e-10.
//   jacobi  z = D^-1 r. The diagonal is the constant 4/h^2 here, so this
//           only scales r: the same iterates as plain CG up to rounding.
//           Shown because it is the usual first try, and does nothing for a
//           constant-coefficient problem.
//   mg      one geometric multigrid V-cycle (examples/multigrid.hpp): 7 to 9
//           iterations at every n tried, from 7 to 2049.
// Without --precondition all three run, and a table compares their
// iterations and times to solution (the multigrid's setup included).
//
// The manufactured solution is u = e^(x+y) sin(pi x) sin(pi y). (Plain
// sin(pi x) sin(pi y) is an eigenvector of the discrete Laplacian too, so
// CG would be done after one iteration and show nothing.) The example checks
// the max-norm error at n and at 2n+1 (h halves exactly): the 5-point scheme
// is second order, so the error must fall by about 4. Exits 1 otherwise, or
// if a solve does not converge, or takes more than K iterations with
// --check-iterations K.
//
// weft's reductions fold the ranks' partial results in rank order, the same
// on every rank, so every rank takes the same CG decisions; the residual
// history depends on the rank and thread counts only through rounding.
// With --reproducible the dot products use weft::reproducible_plus: then
// every iterate is bitwise the same at any rank and thread count, and the
// checksum lines printed at the end (the bits of the sum and the sum of
// squares of the solution, and of the last |r|^2) show it. The V-cycle's
// kernels compute each point alike whatever the blocks, and its levels
// depend on n alone up to 3 ranks along a dimension (multigrid.hpp), so
// this holds for mg too.
#include "multigrid.hpp"

#include <weft/distributed.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numbers>
#include <optional>
#include <utility>
#include <vector>

namespace {
using grid = weft::distributed_grid<double, 2>;

enum class preconditioner { none, jacobi, mg };

const char* name_of(preconditioner pc) {
  switch (pc) {
    case preconditioner::none: return "none";
    case preconditioner::jacobi: return "jacobi";
    case preconditioner::mg: return "mg";
  }
  return "?";
}

struct solve_result {
  int iterations = 0;
  bool converged = false;
  double relative_residual = 0;  // |r| / |b| as CG updated it
  double true_residual = 0;      // |b - A x| / |b|, recomputed from x
  double max_error = 0;          // max |x - u| over the grid
  double setup_seconds = 0;      // building the preconditioner
  double seconds = 0;            // setup and iterations: the time to solution
};

// -laplace_h at one point: the 5-point stencil scaled by 1/h^2. A functor
// rather than a generic KOKKOS_LAMBDA(const auto& nb): nvcc does not accept
// generic __host__ __device__ lambdas.
struct laplacian {
  double scale;  // 1 / h^2
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return scale * (4 * nb(0, 0) - nb(-1, 0) - nb(1, 0) - nb(0, -1) - nb(0, 1));
  }
};

// out = A in. weft::constant{0.0} supplies the Dirichlet zeros just outside
// the grid. `in` needs a halo of 1; the stencil exchanges it while it
// computes the block's interior.
void apply_laplacian(const grid& in, const grid& out, double h) {
  weft::stencil(in, out, weft::cross(1), weft::constant{0.0}, laplacian{1.0 / (h * h)});
}

bool reproducible = false;  // --reproducible

double dot(const grid& a, const grid& b) {
  return reproducible ? weft::transform_reduce(a, b, 0.0, weft::reproducible_plus{}, weft::multiplies{})
                      : weft::transform_reduce(a, b, 0.0, weft::plus{}, weft::multiplies{});
}

unsigned long long bits_of(double x) {
  unsigned long long b = 0;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

solve_result solve(const weft::communicator& comm, std::int64_t n, preconditioner pc) {
  const double h = 1.0 / double(n + 1);
  const double pi = std::numbers::pi;
  const bool root = comm.rank() == 0;

  // Only p and z are read by stencils (z by the V-cycle's sweeps), so only
  // they carry a halo.
  // Two layouts, each agreed once and shared by its fields (one Cartesian
  // communicator each, and one halo plan for p and z).
  const weft::grid_layout<2> no_halo(comm, {n, n}, {.halo = 0});
  const weft::grid_layout<2> one_halo(comm, {n, n}, {.halo = 1});
  grid x(no_halo), r(no_halo), ap(no_halo), b(no_halo), exact(no_halo), p(one_halo);
  std::optional<grid> z;  // the preconditioned residual
  if (pc != preconditioner::none) z.emplace(one_halo);
  if (root) {
    std::printf("n = %lld: %lld x %lld unknowns, h = 1/%lld, %d x %d process grid, preconditioner %s\n",
                static_cast<long long>(n), static_cast<long long>(n), static_cast<long long>(n),
                static_cast<long long>(n + 1), p.dims()[0], p.dims()[1], name_of(pc));
  }

  // u and b = f = -laplace(u) at the grid points.
  weft::for_each_index(exact, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) {
    const double xs = (i + 1) * h, ys = (j + 1) * h;
    v = std::exp(xs + ys) * std::sin(pi * xs) * std::sin(pi * ys);
  });
  weft::for_each_index(b, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) {
    const double xs = (i + 1) * h, ys = (j + 1) * h;
    const double sx = std::sin(pi * xs), cx = std::cos(pi * xs), sy = std::sin(pi * ys), cy = std::cos(pi * ys);
    v = std::exp(xs + ys) * ((2 * pi * pi - 2) * sx * sy - 2 * pi * (cx * sy + sx * cy));
  });
  // x = 0, so r = b - A x = b.
  weft::fill(x, 0.0);
  weft::copy(b, r);
  Kokkos::fence();

  solve_result result;
  Kokkos::Timer timer;
  std::optional<poisson::multigrid> mg;
  if (pc == preconditioner::mg) {
    mg.emplace(p, h);
    if (root) {
      const grid& coarsest = mg->at(mg->levels() - 1).r;
      std::printf("  multigrid: %zu levels, coarsest %lld x %lld, V(%d,%d) with Jacobi (omega %.2f)\n", mg->levels(),
                  static_cast<long long>(coarsest.global_extent(0)), static_cast<long long>(coarsest.global_extent(1)),
                  mg->options().sweeps, mg->options().sweeps, mg->options().omega);
    }
  }
  result.setup_seconds = timer.seconds();
  // z = M^-1 r.
  const double inverse_diagonal = h * h / 4;
  auto precondition = [&] {
    if (pc == preconditioner::jacobi)
      weft::transform(r, *z, KOKKOS_LAMBDA(double rv) { return inverse_diagonal * rv; });
    else mg->apply(r, *z);
  };

  double rr = dot(r, r);
  const double b_norm = std::sqrt(rr);
  // The first direction p = z (= r unpreconditioned), and rz = (r, z).
  double rz = rr;
  if (pc == preconditioner::none) {
    weft::copy(r, p);
  } else {
    precondition();
    rz = dot(r, *z);
    weft::copy(*z, p);
  }
  const double tolerance = 1e-10;
  const int max_iterations = static_cast<int>(10 * n) + 100;
  // Plain CG needs O(n) iterations here (sqrt of the condition number grows
  // like n), about 3.3 n at this tolerance: report roughly every tenth of
  // them. The multigrid needs few: report each.
  const int report_every = pc == preconditioner::mg ? 1 : std::max<int>(1, static_cast<int>(n / 3));
  auto report = [&](int k, double r_norm) {
    if (root) std::printf("  iteration %5d   |r| = %.6e   |r|/|b| = %.6e\n", k, r_norm, r_norm / b_norm);
  };
  report(0, b_norm);

  int k = 0;
  // Every rank holds the same rr and rz (reductions are identical
  // everywhere), so all ranks take the same branches and leave together.
  while (k < max_iterations && std::sqrt(rr) > tolerance * b_norm) {
    // A region of our own around the iteration: Kokkos Tools show weft's
    // regions (weft::stencil, weft::transform_reduce) and kernels inside it.
    Kokkos::Profiling::pushRegion("cg iteration");
    apply_laplacian(p, ap, h);
    const double alpha = rz / dot(p, ap);
    weft::transform(x, p, x, KOKKOS_LAMBDA(double xv, double pv) { return xv + alpha * pv; });
    weft::transform(r, ap, r, KOKKOS_LAMBDA(double rv, double apv) { return rv - alpha * apv; });
    rr = dot(r, r);
    if (pc == preconditioner::none) {
      const double beta = rr / rz;
      weft::transform(r, p, p, KOKKOS_LAMBDA(double rv, double pv) { return rv + beta * pv; });
      rz = rr;
    } else {
      precondition();
      const double rz_next = dot(r, *z);
      const double beta = rz_next / rz;
      weft::transform(*z, p, p, KOKKOS_LAMBDA(double zv, double pv) { return zv + beta * pv; });
      rz = rz_next;
    }
    Kokkos::Profiling::popRegion();
    ++k;
    if (k % report_every == 0) report(k, std::sqrt(rr));
  }
  Kokkos::fence();
  result.seconds = timer.seconds();
  if (k % report_every != 0) report(k, std::sqrt(rr));
  result.converged = std::sqrt(rr) <= tolerance * b_norm;
  result.iterations = k;
  result.relative_residual = std::sqrt(rr) / b_norm;

  // The recurrence for r drifts from b - A x by rounding; recompute it once
  // (through p, the grid with a halo) to show the answer really solves A x = b.
  weft::copy(x, p);
  apply_laplacian(p, ap, h);
  auto squared_difference = KOKKOS_LAMBDA(double bv, double av) { return (bv - av) * (bv - av); };
  result.true_residual = std::sqrt(reproducible ? weft::transform_reduce(b, ap, 0.0, weft::reproducible_plus{},
                                                                         squared_difference)
                                                : weft::transform_reduce(b, ap, 0.0, weft::plus{},
                                                                         squared_difference)) /
                         b_norm;

  result.max_error = weft::transform_reduce(x, exact, 0.0, weft::maximum{}, KOKKOS_LAMBDA(double xv, double uv) {
    return std::abs(xv - uv);
  });
  if (root) {
    std::printf("  %s after %d iterations: |r|/|b| = %.3e (recomputed |b - A x|/|b| = %.3e), max error %.6e, "
                "%.4f s (setup %.4f s)\n",
                result.converged ? "converged" : "NOT CONVERGED", result.iterations, result.relative_residual,
                result.true_residual, result.max_error, result.seconds, result.setup_seconds);
  }
  if (reproducible) {
    const double sum_x = weft::reduce(x, 0.0, weft::reproducible_plus{});
    const double sum_x2 = dot(x, x);
    if (root)
      std::printf("  checksum %s n=%lld: %d iterations, sum(x) %016llx, sum(x^2) %016llx, |r|^2 %016llx\n",
                  name_of(pc), static_cast<long long>(n), result.iterations, bits_of(sum_x), bits_of(sum_x2),
                  bits_of(rr));
  }
  return result;
}
}  // namespace

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& comm = env.world();
  int status = 0;
  std::int64_t n = 256;
  int iteration_bound = 0;  // --check-iterations K; 0: no bound
  std::vector<preconditioner> runs{preconditioner::none, preconditioner::jacobi, preconditioner::mg};
  bool usage = false;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--reproducible") == 0) {
      reproducible = true;
    } else if (std::strcmp(argv[a], "--precondition") == 0 && a + 1 < argc) {
      const char* name = argv[++a];
      if (std::strcmp(name, "none") == 0)
        runs = {preconditioner::none};
      else if (std::strcmp(name, "jacobi") == 0)
        runs = {preconditioner::jacobi};
      else if (std::strcmp(name, "mg") == 0)
        runs = {preconditioner::mg};
      else
        usage = true;
    } else if (std::strcmp(argv[a], "--check-iterations") == 0 && a + 1 < argc) {
      iteration_bound = std::atoi(argv[++a]);
      usage = usage || iteration_bound <= 0;
    } else if (argv[a][0] != '-' && std::atoll(argv[a]) > 0) {
      n = std::atoll(argv[a]);
    } else {
      usage = true;
    }
  }
  if (usage) {
    if (comm.rank() == 0)
      std::fprintf(stderr,
                   "usage: poisson_cg [n] [--precondition none|jacobi|mg] [--reproducible] "
                   "[--check-iterations K]\n");
    status = 2;
  } else {
    if (comm.rank() == 0)
      std::printf("poisson_cg: -laplace(u) = f on the unit square, u = 0 on the boundary, %d ranks%s\n", comm.size(),
                  reproducible ? ", reproducible dot products" : "");

    struct row {
      preconditioner pc;
      solve_result coarse, fine;
      double ratio;
      bool ok;
    };
    std::vector<row> rows;
    bool ok = true;
    for (const preconditioner pc : runs) {
      solve_result coarse, fine;
      try {
        coarse = solve(comm, n, pc);
        fine = solve(comm, 2 * n + 1, pc);  // h halves exactly: 1/(2n+2)
      } catch (const weft::error& e) {
        // Thrown on every rank alike, e.g. for an n x n grid with fewer
        // points than ranks along a dimension of the process grid.
        if (comm.rank() == 0) std::fprintf(stderr, "poisson_cg: %s\n", e.what());
        ok = false;
        break;
      }
      // Second order: the error falls by 4 when h halves.
      const double ratio = coarse.max_error / fine.max_error;
      const bool within_bound =
          iteration_bound == 0 || (coarse.iterations <= iteration_bound && fine.iterations <= iteration_bound);
      const bool run_ok = coarse.converged && fine.converged && ratio > 3.5 && ratio < 4.5 && within_bound;
      if (comm.rank() == 0) {
        std::printf("%s: max error %.6e (n = %lld), %.6e (n = %lld): ratio %.4f, observed order %.4f (expected 2)",
                    name_of(pc), coarse.max_error, static_cast<long long>(n), fine.max_error,
                    static_cast<long long>(2 * n + 1), ratio, std::log2(ratio));
        if (iteration_bound > 0)
          std::printf("; %d and %d iterations (at most %d)", coarse.iterations, fine.iterations, iteration_bound);
        std::printf(": %s\n", run_ok ? "ok" : "WRONG");
      }
      rows.push_back({pc, coarse, fine, ratio, run_ok});
      ok = ok && run_ok;
    }
    if (comm.rank() == 0 && !rows.empty()) {
      std::printf("\n%-14s %8s %11s %11s %14s %12s   %s\n", "preconditioner", "n", "iterations", "seconds",
                  "s/iteration", "max error", "checks");
      for (const row& w : rows) {
        for (const auto& [size, s] : {std::pair{n, w.coarse}, std::pair{2 * n + 1, w.fine}}) {
          std::printf("%-14s %8lld %11d %11.4f %14.3e %12.4e   %s\n", name_of(w.pc), static_cast<long long>(size),
                      s.iterations, s.seconds, s.seconds / std::max(1, s.iterations), s.max_error,
                      size == n ? "" : (w.ok ? "ok" : "FAILED"));
        }
      }
    }
    status = ok ? 0 : 1;
  }
  return status;
}
