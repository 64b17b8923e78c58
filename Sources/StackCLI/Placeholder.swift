// StackCLI
