// StackBundleTests
