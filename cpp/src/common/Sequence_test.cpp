#include "cbcs/common/Sequence.hpp"

#include <gtest/gtest.h>

namespace cbcs {
namespace {

TEST(SeqDelta, WrapsAtTheEdges) {
  struct Case { uint16_t a, b; int32_t delta; };
  for (const Case c : {Case{0, 1, 1}, Case{65535, 0, 1}, Case{0, 65535, -1},
                       Case{32767, 32768, 1}, Case{0, 32767, 32767}, Case{0, 32768, -32768},
                       Case{65535, 32766, 32767}, Case{100, 100, 0}}) {
    EXPECT_EQ(SeqDelta(c.a, c.b), c.delta) << c.a << " -> " << c.b;
  }
}

TEST(SeqNewer, HalfRangeRule) {
  EXPECT_TRUE(SeqNewer(0, 65535));
  EXPECT_FALSE(SeqNewer(65535, 0));
  EXPECT_TRUE(SeqNewer(32767, 0));
  EXPECT_FALSE(SeqNewer(32768, 0));
  EXPECT_FALSE(SeqNewer(7, 7));
}

TEST(SeqUnwrapper, ContinuesAcrossWrapAndKeepsReorderedBehind) {
  SeqUnwrapper u;
  EXPECT_EQ(u.Unwrap(65534), 65534);
  EXPECT_EQ(u.Unwrap(65535), 65535);
  EXPECT_EQ(u.Unwrap(0), 65536);
  EXPECT_EQ(u.Unwrap(65535), 65535);  // late packet stays behind
  EXPECT_EQ(u.Unwrap(1), 65537);
  EXPECT_EQ(u.Unwrap(32767), 65536 + 32767);
}

TEST(TimestampUnwrapper, ContinuesAcross32BitWrap) {
  TimestampUnwrapper u;
  EXPECT_EQ(u.Unwrap(0xFFFFFF00u), 0xFFFFFF00LL);
  EXPECT_EQ(u.Unwrap(0x00000040u), 0x100000040LL);
  EXPECT_EQ(u.Unwrap(0xFFFFFFF0u), 0xFFFFFFF0LL);
}

}  // namespace
}  // namespace cbcs
