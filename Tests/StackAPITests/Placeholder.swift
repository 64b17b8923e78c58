// StackAPITests
