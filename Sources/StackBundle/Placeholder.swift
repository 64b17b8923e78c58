// StackBundle
