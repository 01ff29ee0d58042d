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

// Pages of this process resident in memory (the second field of /proc/self/statm).
long resident_pages() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident;
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

  const long before = resident_pages();
  (*f)->drop_pages(data + 100, bytes_.size() - 200);  // unaligned ends: rounded inward
  (*f)->drop_pages(data, bytes_.size());
  const long dropped = before - resident_pages();
  EXPECT_GT(dropped, long(bytes_.size() / size_t(sysconf(_SC_PAGESIZE))) * 9 / 10);
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
