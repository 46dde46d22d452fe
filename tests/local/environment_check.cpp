// weft::local_environment initialises Kokkos and finalises only what it
// initialised. One process per case (Kokkos starts once per process):
//
//   environment_check fresh    Kokkos down: the object starts and stops it
//   environment_check nested   Kokkos up: an inner object leaves it alone
//
// Prints "ok: <case>" and exits 0, or names what went wrong and exits 1.
#include <weft/environment.hpp>

#include <cstdio>
#include <string>

namespace {
int failures = 0;

void expect(bool condition, const char* what) {
  if (!condition) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

void fresh(int& argc, char* argv[]) {
  expect(!Kokkos::is_initialized(), "Kokkos down before the environment");
  {
    weft::local_environment env(argc, argv);
    expect(Kokkos::is_initialized(), "Kokkos up inside the environment");
    expect(env.initialized_kokkos(), "the environment reports that it initialised Kokkos");
    Kokkos::View<double*> v("v", 10);
    Kokkos::deep_copy(v, 1.0);
  }
  expect(!Kokkos::is_initialized(), "Kokkos finalised by the environment");
}

void nested(int& argc, char* argv[]) {
  weft::local_environment outer(argc, argv);
  expect(outer.initialized_kokkos(), "the outer environment initialised Kokkos");
  {
    weft::local_environment inner;
    expect(!inner.initialized_kokkos(), "the inner environment found Kokkos up");
  }
  expect(Kokkos::is_initialized(), "Kokkos still up after the inner environment");
  Kokkos::View<double*> v("v", 10);
  Kokkos::deep_copy(v, 1.0);
}
}  // namespace

int main(int argc, char* argv[]) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fresh")
    fresh(argc, argv);
  else if (mode == "nested")
    nested(argc, argv);
  else {
    std::printf("usage: environment_check fresh|nested\n");
    return 2;
  }
  if (mode == "nested") expect(!Kokkos::is_initialized(), "Kokkos finalised by the outer environment");
  if (failures == 0) std::printf("ok: %s\n", mode.c_str());
  return failures == 0 ? 0 : 1;
}
