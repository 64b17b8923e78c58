// StackCLITests
