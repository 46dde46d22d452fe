// weft::hdf5 never loses data and never hangs: grid round trips on the
// stack that used to lose them, what save may replace, arguments that differ
// between ranks, attributes that round-trip exactly or are refused, the
// checksum that catches a damaged file, files written by other programs,
// files open twice, sidecars and commits. Every error is checked on every
// rank. Run at 1 to 4 ranks (and at 3 under both of Open MPI's MPI-IO
// components); files go under $WEFT_TEST_DIR.
#include <weft/hdf5.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "hdf5.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

namespace {

// A name that differs on the last rank only (the same everywhere at 1 rank).
std::string differs_on_last(const weft::communicator& comm, const std::string& usual, const std::string& other) {
  return comm.size() > 1 && comm.rank() == comm.size() - 1 ? other : usual;
}

}  // namespace

TEST_CASE("a 37 x 23 grid round-trips through save and load every time, at every process grid", "[hdf5][safety]") {
  // Open MPI's OMPIO lost up to 568 of these 851 values in 44 of 100 round
  // trips at 3 ranks when the file was opened on the grid's Cartesian
  // communicator.
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = fresh_path("round_trips.h5"), path3 = fresh_path("round_trips_3d.h5");
  for (int trip = 0; trip < 30; ++trip) {
    CAPTURE(trip);
    const int halo = trip % 3;
    const weft::grid_options saved{.halo = halo, .periodic = {trip % 2 == 0, false, false}, .dims = {}};
    const weft::grid_options loaded{.halo = 2 - halo, .periodic = {}, .dims = {trip % 2 ? comm.size() : 0, 0, 0}};
    dgrid<double, 2> u(comm, {37, 23}, saved), v(comm, {37, 23}, loaded);
    fill_pattern(u, trip);
    fill_pattern(v, 999);
    weft::save(path, "u", u);
    weft::load(path, "u", v);
    REQUIRE(count_wrong(v, trip) == 0);
    dgrid<float, 3> w(comm, {13, 7, 5}, saved), z(comm, {13, 7, 5}, loaded);
    fill_pattern(w, trip);
    fill_pattern(z, 999);
    weft::save(path3, "w", w);
    weft::load(path3, "w", z);
    REQUIRE(count_wrong(z, trip) == 0);
  }
}

TEST_CASE("save replaces nothing it was not asked to: groups, other datasets, other files", "[hdf5][safety]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = fresh_path("replace.h5");
  weft::distributed_vector<double, memory> u(comm, 40), v(comm, 41), x(comm, 42);
  fill_pattern(u, 1);
  fill_pattern(v, 2);
  fill_pattern(x, 3);
  {
    weft::hdf5_file f(comm, path, weft::hdf5_file::create);
    weft::save(f, "fields/u", u);
    weft::save(f, "fields/v", v);
    // A group in the way: never replaced, with or without overwrite.
    CHECK_THROWS_WITH(weft::save(f, "fields", x), ContainsSubstring("weft::save: dataset 'fields'") &&
                                                      ContainsSubstring("is a group") &&
                                                      ContainsSubstring("save never replaces"));
    CHECK_THROWS_WITH(weft::save(f, "fields", x, {}, {.overwrite = true}), ContainsSubstring("is a group"));
    CHECK_THROWS_WITH(weft::save(f, "/fields/", x, {}, {.overwrite = true}), ContainsSubstring("is a group"));
    // A dataset where a group would have to be.
    CHECK_THROWS_WITH(weft::save(f, "fields/u/w", x), ContainsSubstring("not a group"));
    // A dataset: replaced only when asked, and then only it.
    CHECK_THROWS_WITH(weft::save(f, "fields/u", x), ContainsSubstring("already holds a dataset of this name"));
    CHECK(f.contains("fields/u"));
    CHECK(f.contains("fields/v"));
    CHECK_FALSE(f.contains("fields/u/w"));
  }
  weft::hdf5_file f(comm, path, weft::hdf5_file::read);
  weft::distributed_vector<double, memory> u2(comm, 40), v2(comm, 41);
  weft::load(f, "fields/u", u2);
  weft::load(f, "fields/v", v2);
  CHECK(count_wrong(u2, 1) == 0);
  CHECK(count_wrong(v2, 2) == 0);
  f.close();
  // By file name: a file holding more than the dataset stays unless asked.
  CHECK_THROWS_WITH(
      weft::save(path, "fields/u", x),
      ContainsSubstring("holds more than dataset 'fields/u' (fields/v)") && ContainsSubstring("overwrite = true"));
  CHECK(temporaries_of(path) == 0);
  CHECK(weft::hdf5_file(comm, path, weft::hdf5_file::read).contains("fields/v"));
  // A file that is not HDF5 at all stays too.
  const std::string text = test_path("replace.txt");
  if (comm.rank() == 0) std::ofstream(text) << "notes\n";
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK_THROWS_WITH(weft::save(text, "u", u), ContainsSubstring("not an HDF5 file"));
  CHECK(std::filesystem::file_size(text) == 6);
}

TEST_CASE("I/O arguments that differ between ranks throw on every rank, and nothing is written", "[hdf5][safety]") {
  weft::communicator comm(MPI_COMM_WORLD);
  if (comm.size() < 2) return;
  const std::string path = test_path("arguments.h5");
  weft::distributed_vector<double, memory> u(comm, 30);
  dgrid<double, 2> g(comm, {9, 8});
  fill_pattern(u, 1);
  fill_pattern(g, 2);
  // The file name: hdf5_file, checkpoint_writer, save and load by name.
  const std::string odd = differs_on_last(comm, path, test_path("arguments-other.h5"));
  CHECK_THROWS_WITH(weft::hdf5_file(comm, odd, weft::hdf5_file::create),
                    ContainsSubstring("ranks disagree on the file name") && ContainsSubstring("arguments-other.h5"));
  CHECK_THROWS_WITH(weft::checkpoint_writer(comm, odd), ContainsSubstring("ranks disagree on the checkpoint's name"));
  CHECK_THROWS_WITH(weft::save(odd, "u", u), ContainsSubstring("ranks disagree on the file name"));
  CHECK_FALSE(std::filesystem::exists(test_path("arguments-other.h5")));
  CHECK(temporaries_of(path) == 0);
  weft::hdf5_file f(comm, path, weft::hdf5_file::create);
  // The mode.
  CHECK_THROWS_WITH(weft::hdf5_file(comm, test_path("m.h5"),
                                    comm.rank() == 1 ? weft::hdf5_file::read_write : weft::hdf5_file::create),
                    ContainsSubstring("ranks disagree on the mode"));
  // Dataset names, in save and load and the queries.
  CHECK_THROWS_WITH(weft::save(f, differs_on_last(comm, "u", "v"), u),
                    ContainsSubstring("ranks disagree on the dataset name: 'u' on rank 0, 'v' on rank"));
  CHECK_FALSE(f.contains("u"));
  CHECK_FALSE(f.contains("v"));
  weft::save(f, "u", u);
  CHECK_THROWS_WITH(weft::load(f, differs_on_last(comm, "u", "v"), u), ContainsSubstring("ranks disagree"));
  CHECK_THROWS_WITH(f.contains(differs_on_last(comm, "u", "uu")), ContainsSubstring("ranks disagree on the name"));
  CHECK_THROWS_WITH(f.extents(differs_on_last(comm, "u", "uu")), ContainsSubstring("ranks disagree"));
  // Options.
  CHECK_THROWS_WITH(weft::save(f, "u", u, {}, {.overwrite = comm.rank() == 1}),
                    ContainsSubstring("ranks disagree on save_options::overwrite"));
  CHECK_THROWS_WITH(weft::load(f, "u", u, {.verify = comm.rank() != 1}), ContainsSubstring("load_options::verify"));
  // Attribute names and values, of every kind, and their number.
  const bool last = comm.rank() == comm.size() - 1;
  CHECK_THROWS_WITH(weft::save(f, "w", u, {{"step", last ? 2 : 1}}),
                    ContainsSubstring("ranks disagree on the value of an integer attribute: 1 on rank 0, 2 on rank"));
  CHECK_THROWS_WITH(weft::save(f, "w", u, {{"time", last ? -0.0 : 0.0}}),
                    ContainsSubstring("the value of a floating-point attribute"));
  CHECK_THROWS_WITH(weft::save(f, "w", u, {{"units", last ? "m" : "K"}}), ContainsSubstring("string attribute"));
  CHECK_THROWS_WITH(weft::save(f, "w", u, {{last ? "b" : "a", 1}}), ContainsSubstring("an attribute name"));
  CHECK_THROWS_WITH(weft::save(f, "w", u, {{"n", last ? weft::attribute_value(1.0) : weft::attribute_value(1)}}),
                    ContainsSubstring("ranks disagree"));
  weft::attributes some{{"a", 1}};
  if (last) some.push_back({"b", 2});
  CHECK_THROWS_WITH(weft::save(f, "w", u, some), ContainsSubstring("the number of attributes"));
  CHECK_FALSE(f.contains("w"));
  CHECK_THROWS_WITH(f.write_attribute("step", last ? 2 : 1), ContainsSubstring("ranks disagree"));
  CHECK_THROWS_WITH(f.write_attribute(differs_on_last(comm, "u", "/"), "step", 1), ContainsSubstring("the object"));
  CHECK_THROWS_WITH(f.read_attribute<int>(differs_on_last(comm, "a", "b")), ContainsSubstring("attribute name"));
  // The file is still usable, and holds only what was agreed.
  f.write_attribute("step", 7);
  CHECK(f.read_attribute<int>("step") == 7);
  weft::distributed_vector<double, memory> back(comm, 30);
  weft::load(f, "u", back);
  CHECK(count_wrong(back, 1) == 0);
}

TEST_CASE("attributes round-trip exactly or are refused", "[hdf5][safety][attributes]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("attribute_types.h5");
  weft::distributed_vector<double, memory> u(comm, 10);
  {
    weft::hdf5_file f(comm, path, weft::hdf5_file::create);
    weft::save(f, "u", u,
               {{"big", std::uint64_t{0xDEADBEEFDEADBEEFull}},
                {"max64", std::numeric_limits<std::int64_t>::max()},
                {"min64", std::numeric_limits<std::int64_t>::min()},
                {"huge", 1e300},
                {"tenth", 0.1},
                {"float_tenth", 0.1f},
                {"tiny", DBL_TRUE_MIN},
                {"nan", std::nan("")},
                {"inf", -HUGE_VAL},
                {"exact_ld", 0.5L},
                {"two53p1", (std::int64_t{1} << 53) + 1}});
    // Weft's own names are not the user's to write.
    CHECK_THROWS_WITH(weft::save(f, "v", u, {{"value_type", "float32"}}), ContainsSubstring("weft keeps"));
    CHECK_THROWS_WITH(weft::save(f, "v", u, {{"extents", 3}}), ContainsSubstring("weft keeps"));
    CHECK_THROWS_WITH(weft::save(f, "v", u, {{"weft_checksum", 3}}), ContainsSubstring("weft keeps"));
    CHECK_THROWS_WITH(f.write_attribute("u", "value_type", "int8"), ContainsSubstring("weft keeps"));
    CHECK_THROWS_WITH(weft::save(f, "v", u, {{"a", 1}, {"a", 2}}), ContainsSubstring("given twice"));
    // A long double float64 cannot hold: refused, not rounded.
    CHECK_THROWS_WITH(weft::save(f, "v", u, {{"third", 1.0L / 3.0L}}), ContainsSubstring("long double"));
    CHECK_FALSE(f.contains("v"));
  }
  weft::hdf5_file f(comm, path, weft::hdf5_file::read);
  CHECK(f.read_attribute<std::uint64_t>("u", "big") == 0xDEADBEEFDEADBEEFull);
  CHECK(f.read_attribute<std::int64_t>("u", "max64") == std::numeric_limits<std::int64_t>::max());
  CHECK(f.read_attribute<std::int64_t>("u", "min64") == std::numeric_limits<std::int64_t>::min());
  CHECK(f.read_attribute<std::uint64_t>("u", "max64") == std::uint64_t(std::numeric_limits<std::int64_t>::max()));
  CHECK(f.read_attribute<double>("u", "huge") == 1e300);
  CHECK(f.read_attribute<double>("u", "tiny") == DBL_TRUE_MIN);
  CHECK(f.read_attribute<float>("u", "float_tenth") == 0.1f);  // stored from a float: exact
  CHECK(std::isnan(f.read_attribute<double>("u", "nan")));
  CHECK(std::isnan(f.read_attribute<float>("u", "nan")));
  CHECK(f.read_attribute<float>("u", "inf") == -HUGE_VALF);
  CHECK(f.read_attribute<long double>("u", "exact_ld") == 0.5L);
  CHECK(f.read_attribute<long double>("u", "two53p1") == (std::int64_t{1} << 53) + 1);
  CHECK(weft::hdf5_file(comm, path, weft::hdf5_file::read).read_attribute<std::string>("u", "value_type") == "float64");
  // Refused, on every rank: out of range, or not exact.
  CHECK_THROWS_WITH(f.read_attribute<std::int64_t>("u", "big"), ContainsSubstring("does not fit"));
  CHECK_THROWS_WITH(f.read_attribute<std::uint64_t>("u", "min64"), ContainsSubstring("does not fit"));
  CHECK_THROWS_WITH(f.read_attribute<std::int32_t>("u", "max64"), ContainsSubstring("does not fit"));
  CHECK_THROWS_WITH(f.read_attribute<float>("u", "huge"), ContainsSubstring("out of its range"));
  CHECK_THROWS_WITH(f.read_attribute<float>("u", "tenth"), ContainsSubstring("not exactly"));
  CHECK_THROWS_WITH(f.read_attribute<float>("u", "tiny"), ContainsSubstring("not exactly"));
  CHECK_THROWS_WITH(f.read_attribute<double>("u", "two53p1"), ContainsSubstring("not exactly"));
  CHECK_THROWS_WITH(f.read_attribute<float>("u", "big"), ContainsSubstring("not exactly"));
  CHECK_THROWS_WITH(f.read_attribute<std::int64_t>("u", "tenth"), ContainsSubstring("not an integer"));
}

TEST_CASE("a damaged file fails its checksum on every rank; verify = false loads it anyway", "[hdf5][safety]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = fresh_path("damaged.h5");
  dgrid<double, 2> u(comm, {31, 17}, {.halo = 1, .periodic = {}, .dims = {}});
  fill_pattern(u, 5);
  weft::save(path, "u", u);
  const auto checksum =
      weft::hdf5_file(comm, path, weft::hdf5_file::read).read_attribute<std::uint64_t>("u", "weft_checksum");
  // A second grid with the same values, laid out otherwise, has the same checksum.
  dgrid<double, 2> same(comm, {31, 17}, {.halo = 2, .periodic = {}, .dims = {comm.size(), 1, 0}});
  fill_pattern(same, 5);
  weft::save(path, "u", same);
  CHECK(weft::hdf5_file(comm, path, weft::hdf5_file::read).read_attribute<std::uint64_t>("u", "weft_checksum") ==
        checksum);
  // One bit of one value flipped in the file, behind weft's back: the last
  // value (the dataset ends the file's data), read by the last rank.
  const std::string flip_at = GENERATE(std::string("first"), std::string("last"));
  if (comm.rank() == 0) {
    const int fd = ::open(path.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    // Find the values by their bytes: the first and last of the pattern.
    std::vector<char> all(std::filesystem::file_size(path));
    REQUIRE(::pread(fd, all.data(), all.size(), 0) == static_cast<ssize_t>(all.size()));
    const double value = value_at<double>(flip_at == "first" ? 0 : 31 * 17 - 1, 5);
    const std::string needle(reinterpret_cast<const char*>(&value), sizeof value);
    const auto at = std::string(all.begin(), all.end()).find(needle);
    REQUIRE(at != std::string::npos);
    char byte = all[at + 3] ^ 0x10;
    REQUIRE(::pwrite(fd, &byte, 1, static_cast<off_t>(at + 3)) == 1);
    ::close(fd);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  dgrid<double, 2> v(comm, {31, 17});
  fill_pattern(v, 0);  // the halo holds the sentinel count_wrong expects
  CHECK_THROWS_WITH(weft::load(path, "u", v), ContainsSubstring("weft::load: dataset 'u'") &&
                                                  ContainsSubstring("do not match the checksum stored with them"));
  weft::load(path, "u", v, {.verify = false});
  CHECK(count_wrong(v, 5) == 1);  // exactly the flipped value
}

TEST_CASE("datasets other programs wrote (chunked, compressed, big-endian) load through HDF5, unchecked",
          "[hdf5][safety]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("foreign.h5");
  const hsize_t n0 = 23, n1 = 19;
  if (comm.rank() == 0) {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t dims[2] = {n0, n1}, chunk[2] = {5, 7};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(create, 2, chunk);
    H5Pset_deflate(create, 4);
    std::vector<double> values(n0 * n1);
    for (std::size_t k = 0; k < values.size(); ++k) values[k] = value_at<double>(static_cast<std::int64_t>(k), 8);
    const hid_t a = H5Dcreate2(file, "chunked", H5T_IEEE_F64LE, space, H5P_DEFAULT, create, H5P_DEFAULT);
    H5Dwrite(a, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    const hid_t b = H5Dcreate2(file, "big_endian", H5T_IEEE_F64BE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(b, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(a);
    H5Dclose(b);
    H5Pclose(create);
    H5Sclose(space);
    H5Fclose(file);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const bool staged = GENERATE(false, true);
  const staging mode(staged);
  for (const char* name : {"chunked", "big_endian"}) {
    CAPTURE(name, staged);
    dgrid<double, 2> g(comm, {std::int64_t(n0), std::int64_t(n1)}, {.halo = 1, .periodic = {}, .dims = {}});
    fill_pattern(g, 0);
    weft::load(path, name, g);
    CHECK(count_wrong(g, 8) == 0);
  }
}

TEST_CASE("a file open in this program is not created over, nor read while written", "[hdf5][safety]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = fresh_path("open_twice.h5");
  weft::distributed_vector<double, memory> u(comm, 12);
  fill_pattern(u, 3);
  weft::save(path, "u", u);
  {
    weft::hdf5_file reader(comm, path, weft::hdf5_file::read);
    weft::hdf5_file another(comm, path, weft::hdf5_file::read);  // readers share
    CHECK_THROWS_WITH(weft::hdf5_file(comm, path, weft::hdf5_file::create),
                      ContainsSubstring("this program has it open"));
    CHECK_THROWS_WITH(weft::hdf5_file(comm, path, weft::hdf5_file::read_write),
                      ContainsSubstring("this program has it open"));
    weft::distributed_vector<double, memory> v(comm, 12);
    weft::load(reader, "u", v);  // untouched
    CHECK(count_wrong(v, 3) == 0);
  }
  {
    weft::hdf5_file writer(comm, path, weft::hdf5_file::read_write);
    CHECK_THROWS_WITH(weft::hdf5_file(comm, path, weft::hdf5_file::read), ContainsSubstring("open for writing"));
    writer.close();
    weft::hdf5_file reader(comm, path, weft::hdf5_file::read);  // closed: fine
  }
  weft::hdf5_file again(comm, path, weft::hdf5_file::create);  // nothing open: fine
  CHECK_FALSE(again.contains("u"));
}

TEST_CASE("sidecars of 'a/b' and 'a.b' differ; a commit that fails after the rename says so", "[hdf5][safety]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const std::string path = test_path("sidecars.h5");
  dgrid<double, 2> u(comm, {6, 5}), v(comm, {5, 6});
  fill_pattern(u, 1);
  fill_pattern(v, 2);
  {
    weft::checkpoint_writer ckpt(comm, path);
    ckpt.write("a/b", u);
    ckpt.write("a.b", v);
    ckpt.commit();
  }
  const std::string nested = test_path("sidecars.a.b.xmf"), dotted = test_path("sidecars.a%2Eb.xmf");
  REQUIRE(std::filesystem::exists(nested));
  REQUIRE(std::filesystem::exists(dotted));
  std::ifstream in(nested), in2(dotted);
  const std::string x1((std::istreambuf_iterator<char>(in)), {}), x2((std::istreambuf_iterator<char>(in2)), {});
  CHECK_THAT(x1, ContainsSubstring("sidecars.h5:/a/b") && ContainsSubstring("Dimensions=\"6 5\""));
  CHECK_THAT(x2, ContainsSubstring("sidecars.h5:/a.b") && ContainsSubstring("Dimensions=\"5 6\""));

  // A directory where a sidecar must go: the checkpoint is committed (it is
  // renamed first), and commit says that its sidecar is missing.
  const std::string blocked = test_path("blocked.h5"), in_the_way = test_path("blocked.u.xmf/inside");
  if (comm.rank() == 0) std::filesystem::create_directories(in_the_way);
  MPI_Barrier(MPI_COMM_WORLD);
  weft::checkpoint_writer ckpt(comm, blocked);
  ckpt.write("u", u);
  CHECK_THROWS_WITH(ckpt.commit(), ContainsSubstring("'" + blocked + "': committed, but its XDMF sidecar"));
  CHECK(ckpt.committed());
  dgrid<double, 2> w(comm, {6, 5});
  fill_pattern(w, 0);
  weft::load(blocked, "u", w);
  CHECK(count_wrong(w, 1) == 0);
}
