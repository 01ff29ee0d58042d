// MappedFile: a read-only mapping, and drop_pages giving resident pages back without changing
// what the mapping reads.
#include "base/mapped_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace turbine {
namespace {

// Resident kB of the mapping that starts at `start`, from its /proc/self/smaps entry (exact,
// unlike the batched counters behind /proc/self/statm); -1 when there is no such mapping.
long resident_kb(const void* start) {
  std::ifstream smaps("/proc/self/smaps");
  const uintptr_t want = reinterpret_cast<uintptr_t>(start);
  bool in_mapping = false;
  for (std::string line; std::getline(smaps, line);) {
    const size_t dash = line.find('-');
    if (dash != std::string::npos && dash > 0 && line.find(' ') > dash &&
        line.find_first_not_of("0123456789abcdef") == dash) {
      in_mapping = std::stoull(line.substr(0, dash), nullptr, 16) == want;
    } else if (in_mapping && line.rfind("Rss:", 0) == 0) {
      return std::stol(line.substr(4));
    }
  }
  return -1;
}

class MappedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "mapped_file_test_" + std::to_string(getpid()) + ".bin";
    bytes_.resize(size_t(5) << 20);  // several pages, and a few 2 MiB ranges
    for (size_t i = 0; i < bytes_.size(); ++i) bytes_[i] = char((i * 131 + i / 4096) & 0xFF);
    std::ofstream(path_, std::ios::binary).write(bytes_.data(), std::streamsize(bytes_.size()));
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::string path_;
  std::vector<char> bytes_;
};

TEST_F(MappedFileTest, DropPagesKeepsTheContents) {
  auto f = MappedFile::open(path_);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  const uint8_t* data = (*f)->data();
  ASSERT_EQ((*f)->size(), bytes_.size());
  ASSERT_EQ(0, std::memcmp(data, bytes_.data(), bytes_.size()));  // every page resident now

  const long full_kb = long(bytes_.size() / 1024);
  EXPECT_EQ(resident_kb(data), full_kb);
  // Unaligned ends are rounded inward: at most the two end pages stay (how much of them shows
  // depends on the page cache's folio sizes, so only "most of it went" is checked).
  (*f)->drop_pages(data + 100, bytes_.size() - 200);
  EXPECT_LT(resident_kb(data), full_kb / 2);
  (*f)->drop_pages(data, bytes_.size());
  EXPECT_EQ(resident_kb(data), 0);
  EXPECT_EQ(0, std::memcmp(data, bytes_.data(), bytes_.size()));
}

TEST_F(MappedFileTest, DropPagesOutsideTheMappingDoesNothing) {
  auto f = MappedFile::open(path_);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  // Anonymous memory must never be dropped: MADV_DONTNEED would zero it.
  std::vector<char> heap(size_t(1) << 20, 'x');
  (*f)->drop_pages(heap.data(), heap.size());
  EXPECT_EQ(heap[heap.size() / 2], 'x');
  EXPECT_EQ(heap.back(), 'x');
  // A range that starts inside but runs past the end is refused too.
  (*f)->drop_pages((*f)->data() + 4096, (*f)->size());
  EXPECT_EQ(0, std::memcmp((*f)->data(), bytes_.data(), bytes_.size()));
}

}  // namespace
}  // namespace turbine
