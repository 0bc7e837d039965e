// main() for integration test binaries: runs every case in one process so that the
// PostgreSQL cluster (SharedPgCluster) is started once and stopped at the end.
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
