// A stencil function that reads outside the reach it was given aborts with
// a sentence in builds with debug checks (Kokkos_ENABLE_DEBUG_BOUNDS_CHECK,
// or WEFT_ENABLE_DEBUG_CHECKS, which this test defines), instead of reading
// halo cells that were never exchanged.
//
//   reach_check diagonal   a cross stencil reads (1, 1)
//   reach_check far        a radius-1 stencil reads (2, 0)
//   reach_check inside     reads within the reach: no abort
//
// The stencil runs in a child process; the parent passes when the child was
// aborted (or, for `inside`, finished) and prints what happened.
#include <weft/stencil.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

namespace {
struct read_at {
  int a, b;
  template <class Nb>
  KOKKOS_INLINE_FUNCTION double operator()(const Nb& nb) const {
    return nb(0, 0) + nb(a, b);
  }
};

int child(const std::string& what) {
  Kokkos::ScopeGuard kokkos;
  Kokkos::View<double**, Kokkos::HostSpace> in("in", 8, 8), out("out", 8, 8);
  const Kokkos::Serial exec;
  if (what == "diagonal") weft::stencil(exec, in, out, weft::cross(1), weft::clamp{}, read_at{1, 1});
  else if (what == "far") weft::stencil(exec, in, out, 1, weft::clamp{}, read_at{2, 0});
  else weft::stencil(exec, in, out, weft::cross(1), weft::clamp{}, read_at{0, 1});
  exec.fence();
  return 0;
}
}  // namespace

int main(int argc, char* argv[]) {
  const std::string what = argc > 1 ? argv[1] : "diagonal";
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) _exit(child(what));
  int status = 0;
  waitpid(pid, &status, 0);
  const bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  const bool finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (what == "inside") {
    std::printf(finished ? "reads within the reach: no abort\n" : "reads within the reach: the child failed\n");
    return finished ? 0 : 1;
  }
  std::printf(aborted ? "a read outside the reach aborted, as it must\n" : "a read outside the reach went unnoticed\n");
  return aborted ? 0 : 1;
}
