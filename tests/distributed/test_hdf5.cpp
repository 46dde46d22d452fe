// weft::hdf5: save and load of distributed vectors and grids, bitwise, for
// every value type weft stores; restarts on other layouts (another rank
// count, partition or process grid); errors on every rank; attributes;
// checkpoints. Run at 1 to 4 ranks; files go under $WEFT_TEST_DIR.
#include <weft/hdf5.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "hdf5.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

// ---- Round trips -----------------------------------------------------------

TEMPLATE_LIST_TEST_CASE("vectors round-trip bitwise under every partition, with and without ghosts",
                        "[hdf5][vector]", value_types) {
  using T = TestType;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 7, 1000, 100003);
  const bool staged = GENERATE(false, true);
  const staging mode(staged);
  const auto ps = partitions(n, comm.size());
  const std::string path = test_path("vector_round_trip.h5");
  {
    weft::hdf5_file f(comm, path, weft::hdf5_file::create);
    for (std::size_t k = 0; k < ps.size(); ++k) {
      weft::distributed_vector<T, memory> x(comm, ps[k].partition, weft::halo{int(k % 3)});
      fill_pattern(x, 10 + k);
      weft::save(f, "x" + std::to_string(k), x);
      CHECK(count_wrong(x, 10 + k) == 0);  // saving changes nothing
    }
    f.close();
  }
  weft::hdf5_file f(comm, path, weft::hdf5_file::read);
  for (std::size_t k = 0; k < ps.size(); ++k) {
    const auto& [name, p] = ps[(k + 1) % ps.size()];  // another partition, other ghosts
    CAPTURE(n, k, name, staged);
    weft::distributed_vector<T, memory> y(comm, p, weft::halo{int((k + 1) % 2) * 2});
    fill_pattern(y, 1);  // ghosts to the sentinel; the owned elements are overwritten
    weft::load(f, "x" + std::to_string(k), y);
    CHECK(count_wrong(y, 10 + k) == 0);
    CHECK(f.extents("x" + std::to_string(k)) == std::vector<std::int64_t>{n});
  }
}

TEMPLATE_LIST_TEST_CASE("2-D and 3-D grids round-trip bitwise between process grids, halos and periodicity",
                        "[hdf5][grid]", value_types) {
  using T = TestType;
  weft::communicator comm(MPI_COMM_WORLD);
  const bool staged = GENERATE(false, true);
  const staging mode(staged);
  const std::string path = test_path("grid_round_trip.h5");
  const auto layouts2 = grid_layouts<2>(comm.size());
  const auto layouts3 = grid_layouts<3>(comm.size());
  // {8, 2100}: rows of 8 KiB or more on some layouts, which move directly.
  const std::vector<std::array<std::int64_t, 2>> shapes2{{13, 11}, {64, 33}, {8, 2100}};
  const std::vector<std::array<std::int64_t, 3>> shapes3{{9, 8, 10}, {17, 9, 12}};
  {
    weft::hdf5_file f(comm, path, weft::hdf5_file::create);
    for (std::size_t s = 0; s < shapes2.size(); ++s)
      for (std::size_t k = 0; k < layouts2.size(); ++k) {
        dgrid<T, 2> g(comm, shapes2[s], layouts2[k]);
        fill_pattern(g, 100 * s + k);
        weft::save(f, "g2_" + std::to_string(s) + "_" + std::to_string(k), g);
      }
    for (std::size_t s = 0; s < shapes3.size(); ++s)
      for (std::size_t k = 0; k < layouts3.size(); ++k) {
        dgrid<T, 3> g(comm, shapes3[s], layouts3[k]);
        fill_pattern(g, 1000 + 100 * s + k);
        weft::save(f, "g3_" + std::to_string(s) + "_" + std::to_string(k), g);
      }
  }
  weft::hdf5_file f(comm, path, weft::hdf5_file::read);
  for (std::size_t s = 0; s < shapes2.size(); ++s)
    for (std::size_t k = 0; k < layouts2.size(); ++k)
      for (std::size_t into = 0; into < layouts2.size(); ++into) {
        CAPTURE(s, k, into, staged);
        dgrid<T, 2> g(comm, shapes2[s], layouts2[into]);
        fill_pattern(g, 7);
        weft::load(f, "g2_" + std::to_string(s) + "_" + std::to_string(k), g);
        CHECK(count_wrong(g, 100 * s + k) == 0);
      }
  for (std::size_t s = 0; s < shapes3.size(); ++s)
    for (std::size_t k = 0; k < layouts3.size(); ++k)
      for (std::size_t into = 0; into < layouts3.size(); ++into) {
        CAPTURE(s, k, into, staged);
        dgrid<T, 3> g(comm, shapes3[s], layouts3[into]);
        fill_pattern(g, 7);
        weft::load(f, "g3_" + std::to_string(s) + "_" + std::to_string(k), g);
        CHECK(count_wrong(g, 1000 + 100 * s + k) == 0);
      }
  CHECK(f.extents("g3_1_0") == std::vector<std::int64_t>{17, 9, 12});
}

TEST_CASE("saved at N ranks, loaded at M ranks, for every N and M up to the run's size", "[hdf5][restart]") {
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  const std::int64_t n = 1001;
  for (int saving = 1; saving <= world; ++saving) {
    const std::string path = test_path("restart_" + std::to_string(saving) + ".h5");
    on_first_ranks(saving, [&](const weft::communicator& comm) {
      // Uneven partition and process grids chosen by MPI.
      std::vector<double> weights(comm.size());
      for (int r = 0; r < comm.size(); ++r) weights[r] = 1.0 + 2 * r;
      weft::distributed_vector<double, memory> x(comm, weft::partition::weighted(n, weights), weft::halo{1});
      dgrid<float, 2> g2(comm, {20, 17}, {.halo = 1, .periodic = {true, false, false}, .dims = {}});
      dgrid<std::int64_t, 3> g3(comm, {9, 8, 7});
      fill_pattern(x, 1);
      fill_pattern(g2, 2);
      fill_pattern(g3, 3);
      weft::hdf5_file f(comm, path, weft::hdf5_file::create);
      weft::save(f, "x", x);
      weft::save(f, "fields/g2", g2);
      weft::save(f, "fields/g3", g3);
    });
    for (int loading = 1; loading <= world; ++loading) {
      on_first_ranks(loading, [&](const weft::communicator& comm) {
        CAPTURE(saving, loading);
        // Block, and everything on the last rank (the others empty).
        std::vector<std::int64_t> sizes(comm.size(), 0);
        sizes.back() = n;
        for (const auto& p : {weft::partition::block(n, comm.size()), weft::partition::from_sizes(sizes)}) {
          weft::distributed_vector<double, memory> x(comm, p, weft::halo{2});
          fill_pattern(x, 0);
          weft::load(path, "x", x);
          CHECK(count_wrong(x, 1) == 0);
        }
        weft::hdf5_file f(comm, path, weft::hdf5_file::read);
        dgrid<float, 2> g2(comm, {20, 17}, {.halo = 2, .periodic = {}, .dims = {1, 0, 0}});
        dgrid<std::int64_t, 3> g3(comm, {9, 8, 7}, {.halo = 0, .periodic = {}, .dims = {}});
        fill_pattern(g2, 0);
        fill_pattern(g3, 0);
        weft::load(f, "fields/g2", g2);
        weft::load(f, "fields/g3", g3);
        CHECK(count_wrong(g2, 2) == 0);
        CHECK(count_wrong(g3, 3) == 0);
      });
    }
  }
}

TEST_CASE("a file opened read_write gains datasets and replaces them when asked; names may hold groups",
          "[hdf5][file]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("read_write.h5");
  weft::distributed_vector<double, memory> x(comm, 100);
  dgrid<double, 2> g(comm, {12, 10});
  fill_pattern(x, 1);
  fill_pattern(g, 2);
  {
    weft::hdf5_file f(comm, path, weft::hdf5_file::create);
    weft::save(f, "a/b/x", x);
    CHECK(f.contains("a"));
    CHECK(f.contains("a/b/x"));
    CHECK(f.contains("/a/b/x"));
    CHECK_FALSE(f.contains("a/c/x"));
    CHECK_FALSE(f.contains("nothing/here"));
  }
  {
    weft::hdf5_file f(comm, path, weft::hdf5_file::read_write);
    CHECK_THROWS_WITH(weft::save(f, "a/b/x", g), ContainsSubstring("already holds a dataset of this name"));
    weft::save(f, "a/b/x", g, {}, {.overwrite = true});  // replaced by a grid
    weft::save(f, "y", x);
  }
  weft::hdf5_file f(comm, path, weft::hdf5_file::read);
  dgrid<double, 2> h(comm, {12, 10});
  weft::distributed_vector<double, memory> y(comm, 100);
  fill_pattern(h, 0);
  fill_pattern(y, 0);
  weft::load(f, "a/b/x", h);
  weft::load(f, "y", y);
  CHECK(count_wrong(h, 2) == 0);
  CHECK(count_wrong(y, 1) == 0);
  CHECK(f.extents("a/b/x") == std::vector<std::int64_t>{12, 10});
}

// ---- Attributes ------------------------------------------------------------

TEST_CASE("attributes: weft's own, the user's, on datasets and on the file", "[hdf5][attributes]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("attributes.h5");
  dgrid<double, 2> u(comm, {16, 8});
  fill_pattern(u, 1);
  {
    weft::hdf5_file f(comm, path, weft::hdf5_file::create);
    weft::save(f, "u", u, {{"step", 1000}, {"time", 0.5}, {"units", "K"}, {"count", std::size_t{7}}, {"f", 2.5f}});
    f.write_attribute("step", 1000);
    f.write_attribute("u", "step", 2000);  // replaces
    f.write_attribute("title", std::string("a run"));
  }
  weft::hdf5_file f(comm, path, weft::hdf5_file::read);
  CHECK(f.read_attribute<std::int64_t>("step") == 1000);
  CHECK(f.read_attribute<int>("u", "step") == 2000);
  CHECK(f.read_attribute<double>("u", "step") == 2000.0);  // integers read as floating point too
  CHECK(f.read_attribute<double>("u", "time") == 0.5);
  CHECK(f.read_attribute<float>("u", "f") == 2.5f);
  CHECK(f.read_attribute<std::string>("u", "units") == "K");
  CHECK(f.read_attribute<std::size_t>("u", "count") == 7);
  CHECK(f.read_attribute<std::string>("title") == "a run");
  CHECK(f.read_attribute<std::string>("u", "value_type") == "float64");
  CHECK(f.read_attribute<std::string>("u", "weft_object") == "distributed_grid");
  CHECK(f.read_attribute<std::string>("u", "weft_version") ==
        std::to_string(WEFT_VERSION_MAJOR) + "." + std::to_string(WEFT_VERSION_MINOR) + "." +
            std::to_string(WEFT_VERSION_PATCH));
  CHECK_THROWS_WITH(f.read_attribute<std::int64_t>("u", "time"), ContainsSubstring("float64, not an integer"));
  CHECK_THROWS_WITH(f.read_attribute<std::int64_t>("u", "units"), ContainsSubstring("not an integer"));
  CHECK_THROWS_WITH(f.read_attribute<std::string>("u", "step"), ContainsSubstring("not a string"));
  CHECK_THROWS_WITH(f.read_attribute<std::int8_t>("u", "step"), ContainsSubstring("does not fit"));
  CHECK_THROWS_WITH(f.read_attribute<double>("u", "missing"),
                    ContainsSubstring("attribute 'missing' of 'u'") && ContainsSubstring("no such attribute"));
  CHECK_THROWS_WITH(f.read_attribute<double>("v", "step"), ContainsSubstring("no object 'v'"));
  CHECK_THROWS_WITH(f.write_attribute("step", 1), ContainsSubstring("read-only"));
}

TEST_CASE("value type names in the file", "[hdf5][attributes]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("type_names.h5");
  weft::hdf5_file f(comm, path, weft::hdf5_file::create);
  weft::save(f, "c", weft::distributed_vector<Kokkos::complex<double>, memory>(comm, 4));
  weft::save(f, "a", weft::distributed_vector<std::array<float, 3>, memory>(comm, 4));
  weft::save(f, "p", weft::distributed_vector<particle, memory>(comm, 4));
  weft::save(f, "u", weft::distributed_vector<std::uint16_t, memory>(comm, 4));
  CHECK(f.read_attribute<std::string>("c", "value_type") == "complex128");
  CHECK(f.read_attribute<std::string>("a", "value_type") == "float32[3]");
  CHECK(f.read_attribute<std::string>("p", "value_type") ==
        "{position: float64[3], mass: float32, id: int32, flags: uint8}");
  CHECK(f.read_attribute<std::string>("u", "value_type") == "uint16");
}

// ---- Errors: on every rank, before anything is overwritten -----------------

TEST_CASE("wrong shape, wrong type, missing dataset or file: weft::error on every rank, data untouched",
          "[hdf5][errors]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("errors.h5");
  {
    weft::hdf5_file f(comm, path, weft::hdf5_file::create);
    weft::distributed_vector<double, memory> x(comm, 100);
    dgrid<double, 2> g(comm, {8, 9});
    fill_pattern(x, 1);
    fill_pattern(g, 2);
    weft::save(f, "x", x);
    weft::save(f, "g", g);
  }
  weft::hdf5_file f(comm, path, weft::hdf5_file::read);

  weft::distributed_vector<double, memory> longer(comm, 101);
  fill_pattern(longer, 5);
  CHECK_THROWS_WITH(weft::load(f, "x", longer),
                    ContainsSubstring("weft::load: dataset 'x' in '" + path + "'") &&
                        ContainsSubstring("the file holds 100 float64 values, but the vector is 101 float64"));
  CHECK(count_wrong(longer, 5) == 0);

  weft::distributed_vector<std::int64_t, memory> integers(comm, 100);
  fill_pattern(integers, 5);
  CHECK_THROWS_WITH(weft::load(f, "x", integers), ContainsSubstring("100 float64 values, but the vector is 100 int64") &&
                                                      ContainsSubstring("value types differ"));
  CHECK(count_wrong(integers, 5) == 0);
  weft::distributed_vector<float, memory> floats(comm, 100);
  CHECK_THROWS_WITH(weft::load(f, "x", floats), ContainsSubstring("but the vector is 100 float32"));

  dgrid<double, 2> transposed(comm, {9, 8});
  fill_pattern(transposed, 5);
  CHECK_THROWS_WITH(weft::load(f, "g", transposed), ContainsSubstring("the file holds 8 x 9 float64 values, but the "
                                                                      "grid is 9 x 8 float64 (the shapes differ)"));
  CHECK(count_wrong(transposed, 5) == 0);
  dgrid<double, 3> deeper(comm, {8, 9, 1});
  CHECK_THROWS_WITH(weft::load(f, "g", deeper), ContainsSubstring("8 x 9 float64 values, but the grid is 8 x 9 x 1"));
  dgrid<double, 2> g(comm, {10, 10});
  CHECK_THROWS_WITH(weft::load(f, "x", g), ContainsSubstring("100 float64 values, but the grid is 10 x 10"));

  weft::distributed_vector<double, memory> x(comm, 100);
  CHECK_THROWS_WITH(weft::load(f, "missing", x),
                    ContainsSubstring("dataset 'missing' in '" + path + "': no such dataset"));
  CHECK_THROWS_WITH(weft::load(f, "no/such/group", x), ContainsSubstring("no such dataset"));
  CHECK_THROWS_WITH(weft::save(f, "y", x), ContainsSubstring("read-only"));
  CHECK_THROWS_WITH(f.extents("missing"), ContainsSubstring("no such dataset"));

  const std::string missing = test_path("does-not-exist.h5");
  CHECK_THROWS_WITH(weft::load(missing, "x", x), ContainsSubstring("cannot open '" + missing + "': no such file"));
  CHECK_THROWS_WITH(weft::hdf5_file(comm, missing, weft::hdf5_file::read_write), ContainsSubstring("no such file"));

  // Not HDF5 at all.
  const std::string text = test_path("not-hdf5.h5");
  if (comm.rank() == 0) std::ofstream(text) << "hello\n";
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK_THROWS_WITH(weft::load(text, "x", x), ContainsSubstring("not an HDF5 file"));
  // Directories.
  CHECK_THROWS_WITH(weft::hdf5_file(comm, test_dir(), weft::hdf5_file::read), ContainsSubstring("is a directory"));
  CHECK_THROWS_WITH(weft::hdf5_file(comm, "", weft::hdf5_file::create), ContainsSubstring("empty path"));
  // The file is still usable after all that.
  weft::load(f, "x", x);
  CHECK(count_wrong(x, 1) == 0);
}

TEST_CASE("unwritable places: weft::error on every rank, nothing left behind", "[hdf5][errors]") {
  weft::communicator comm(MPI_COMM_WORLD);
  weft::distributed_vector<double, memory> x(comm, 10);
  dgrid<double, 2> g(comm, {8, 8});
  const std::string nowhere = test_path("no-such-directory/u.h5");
  CHECK_THROWS_WITH(weft::save(nowhere, "u", g), ContainsSubstring("directory '" + test_path("no-such-directory") +
                                                                   "' does not exist"));
  CHECK_THROWS_WITH(weft::hdf5_file(comm, nowhere, weft::hdf5_file::create), ContainsSubstring("does not exist"));
  // A regular file where a directory should be.
  const std::string file = test_path("a-file");
  if (comm.rank() == 0) std::ofstream(file) << "x";
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK_THROWS_WITH(weft::save(file + "/u.h5", "x", x), ContainsSubstring("is not a directory"));
  // A directory without write permission (root may write anywhere: skipped).
  if (::geteuid() != 0) {
    const std::string locked = test_path("locked");
    if (comm.rank() == 0) {
      std::filesystem::create_directories(locked);
      ::chmod(locked.c_str(), 0555);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_THROWS_WITH(weft::save(locked + "/u.h5", "x", x), ContainsSubstring("is not writable"));
    MPI_Barrier(MPI_COMM_WORLD);
    if (comm.rank() == 0) ::chmod(locked.c_str(), 0755);
  }
  // Saving into a read-only file, or through a closed one.
  weft::hdf5_file f(comm, test_path("closed.h5"), weft::hdf5_file::create);
  f.close();
  CHECK_THROWS_WITH(weft::save(f, "x", x), ContainsSubstring("the file is closed"));
  CHECK_THROWS_WITH(weft::load(f, "x", x), ContainsSubstring("the file is closed"));
  CHECK_THROWS_WITH(weft::save(f, "", x), ContainsSubstring("the file is closed"));
}

TEST_CASE("a file on other processes than the object is refused", "[hdf5][errors]") {
  weft::communicator comm(MPI_COMM_WORLD);
  if (comm.size() < 2) return;
  // Two halves, each with its own file and a vector on the other half: a
  // mismatch every rank of the vector sees.
  int rank = comm.rank();
  MPI_Comm half = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
  {
    weft::communicator mine(half);
    weft::hdf5_file f(mine, test_path("half" + std::to_string(rank % 2) + ".h5"), weft::hdf5_file::create);
    weft::distributed_vector<double, memory> x(comm, 10);
    CHECK_THROWS_WITH(weft::save(f, "x", x), ContainsSubstring("the file is open on other processes"));
  }
  MPI_Comm_free(&half);
}

// ---- Checkpoints -----------------------------------------------------------

TEST_CASE("checkpoint_writer: nothing under the final name until commit, then all of it", "[hdf5][checkpoint]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("checkpoint.h5");
  if (comm.rank() == 0) std::filesystem::remove(path);
  MPI_Barrier(MPI_COMM_WORLD);
  dgrid<double, 2> u(comm, {24, 16}, {.halo = 1, .periodic = {true, true}, .dims = {}});
  weft::distributed_vector<std::int64_t, memory> x(comm, 333);
  const bool sync = GENERATE(true, false);
  for (int step = 1; step <= 3; ++step) {
    CAPTURE(step, sync);
    fill_pattern(u, step);
    fill_pattern(x, 10 + step);
    {
      weft::checkpoint_writer ckpt(comm, path, {.sync = sync});
      CHECK(ckpt.temporary_path().rfind(path + ".tmp.", 0) == 0);
      ckpt.write("u", u, {{"time", 0.25 * step}});
      ckpt.write("x", x);
      ckpt.write_attribute("step", step);
      // Before the commit the final name holds the previous checkpoint.
      if (step == 1) CHECK_FALSE(std::filesystem::exists(path));
      else CHECK(weft::hdf5_file(comm, path, weft::hdf5_file::read).read_attribute<int>("step") == step - 1);
      CHECK(temporaries_of(path) == 1);
      ckpt.commit();
      CHECK(ckpt.committed());
      CHECK_THROWS_WITH(ckpt.commit(), ContainsSubstring("already committed"));
    }
    CHECK(temporaries_of(path) == 0);
    weft::hdf5_file f(comm, path, weft::hdf5_file::read);
    CHECK(f.read_attribute<int>("step") == step);
    CHECK(f.read_attribute<double>("u", "time") == 0.25 * step);
    dgrid<double, 2> v(comm, {24, 16});
    weft::distributed_vector<std::int64_t, memory> y(comm, 333);
    fill_pattern(v, 0);
    fill_pattern(y, 0);
    weft::load(f, "u", v);
    weft::load(f, "x", y);
    CHECK(count_wrong(v, step) == 0);
    CHECK(count_wrong(y, 10 + step) == 0);
  }
  // The grid's XDMF sidecar names the checkpoint, not the temporary file.
  const std::string sidecar = test_path("checkpoint.u.xmf");
  REQUIRE(std::filesystem::exists(sidecar));
  std::ifstream in(sidecar);
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(xml, ContainsSubstring("checkpoint.h5:/u") && ContainsSubstring("2DCoRectMesh") &&
                      ContainsSubstring("Dimensions=\"24 16\"") && ContainsSubstring("<Time Value=\"0.75\"/>"));
  CHECK_FALSE(std::filesystem::exists(test_path("checkpoint.x.xmf")));  // vectors get none
}

TEST_CASE("a checkpoint abandoned by an exception leaves the previous one and no temporary file",
          "[hdf5][checkpoint]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = fresh_path("abandoned.h5");
  weft::distributed_vector<double, memory> x(comm, 50);
  fill_pattern(x, 1);
  weft::save(path, "x", x, {{"step", 1}});  // by name: one atomic checkpoint
  CHECK(temporaries_of(path) == 0);
  fill_pattern(x, 2);
  auto abandon = [&] {
    weft::checkpoint_writer ckpt(comm, path);
    ckpt.write("x", x);
    weft::distributed_vector<double, memory> other(comm, 51);
    weft::load(ckpt.file(), "x", other);  // the wrong size: throws on every rank
    ckpt.commit();
  };
  CHECK_THROWS_WITH(abandon(), ContainsSubstring("but the vector is 51 float64"));
  CHECK(temporaries_of(path) == 0);
  weft::distributed_vector<double, memory> y(comm, 50);
  weft::load(path, "x", y);
  CHECK(count_wrong(y, 1) == 0);
  // Saving by name again replaces a file that holds only that dataset ...
  weft::save(path, "x", x);
  // ... but not one that holds anything else, unless asked: then whole.
  CHECK_THROWS_WITH(weft::save(path, "z", x), ContainsSubstring("holds more than dataset 'z' (x)"));
  CHECK(weft::hdf5_file(comm, path, weft::hdf5_file::read).contains("x"));
  weft::save(path, "z", x, {}, {.overwrite = true});
  weft::hdf5_file f(comm, path, weft::hdf5_file::read);
  CHECK(f.contains("z"));
  CHECK_FALSE(f.contains("x"));
}

// ---- Files for the h5py check (tests/distributed/h5py_check.py) ------------

TEST_CASE("files for the h5py check", "[.h5py]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("weft.h5");
  weft::distributed_vector<std::int64_t, memory> v(
      comm, weft::partition::weighted(1000, std::vector<double>(comm.size(), 1.0)), weft::halo{1});
  weft::for_each_index(v, KOKKOS_LAMBDA(std::int64_t i, std::int64_t & value) { value = 3 * i - 7; });
  dgrid<double, 2> u(comm, {37, 23}, {.halo = 1, .periodic = {true, true}, .dims = {}});
  weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& value) { value = i * 100 + j + 0.25; });
  dgrid<float, 3> w(comm, {9, 8, 7}, {.halo = 2, .periodic = {}, .dims = {}});
  weft::for_each_index(w, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::int64_t k, float& value) {
    value = static_cast<float>(i * 10000 + j * 100 + k);
  });
  weft::distributed_vector<Kokkos::complex<double>, memory> c(comm, 10);
  weft::for_each_index(c, KOKKOS_LAMBDA(std::int64_t i, Kokkos::complex<double> & value) {
    value = Kokkos::complex<double>(double(i), -0.5 * double(i));
  });
  weft::distributed_vector<particle, memory> p(comm, 5);
  weft::for_each_index(p, KOKKOS_LAMBDA(std::int64_t i, particle & value) {
    value = particle{{double(i), 2.0 * i, 3.0 * i}, 0.5f * i, static_cast<std::int32_t>(100 + i), std::uint8_t(i % 2)};
  });
  dgrid<std::array<float, 3>, 2> velocity(comm, {6, 5});
  weft::for_each_index(velocity, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::array<float, 3> & value) {
    value = {float(i), float(j), 1.0f};
  });
  weft::checkpoint_writer ckpt(comm, path);
  ckpt.write("vector", v, {{"step", 1000}, {"time", 0.5}, {"units", "m"}});
  ckpt.write("grid2d", u, {{"time", 0.5}});
  ckpt.write("fields/grid3d", w);
  ckpt.write("complex", c);
  ckpt.write("particles", p);
  ckpt.write("velocity", velocity);
  ckpt.write_attribute("step", 1000);
  ckpt.write_attribute("title", "weft h5py check");
  ckpt.commit();
  CHECK(std::filesystem::exists(path));
}
