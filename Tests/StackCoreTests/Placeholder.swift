// StackCoreTests
