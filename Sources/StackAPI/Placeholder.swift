// StackAPI
